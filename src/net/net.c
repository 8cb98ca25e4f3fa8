/*
 * The net module's life cycle: state, ports opened at start, the
 * housekeeping tick (ARP retries and ageing, reassembly timeouts, interface
 * rates), and reaction to config changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/fastpath.h"
#include "net/net_priv.h"

#define TICK_MS 1000

static void on_tick(void *arg);

int net_init(struct router *r)
{
	struct net_state *n = calloc(1, sizeof(*n));
	if (!n)
		return -1;
	n->r = r;
	arp_init(&n->arp);
	/* Per-router MAC seed for mem ports; no global state, so derive it from r. */
	n->mac_seed = (uint64_t)(uintptr_t)r * 0x9e3779b97f4a7c15ULL;
	n->ping_next_id = (uint16_t)(n->mac_seed >> 48) | 1;
	ev_timer_init(&n->tick, on_tick, r);
	r->net = n;
	route_rebuild(r);
	return 0;
}

void net_free(struct router *r)
{
	struct net_state *n = r->net;
	if (!n)
		return;
	ping_free_all(r);
	ev_timer_cancel(r->ev, &n->tick);
	for (int i = 0; i < r->niface; i++) {
		if (r->ifaces[i].port) {
			port_close(r->ifaces[i].port);
			r->ifaces[i].port = NULL;
		}
	}
	fastpath_free(r);	/* every worker is joined: the ports are closed */
	arp_free(&n->arp);
	frag_free(r);
	route_table_free(&n->rt);
	free(n);
	r->net = NULL;
}

static void update_rates(struct router *r)
{
	/* IOS's 5-minute load interval: an exponential decay with a 300 s time constant. */
	const double k = 1.0 - 1.0 / 300.0;
	for (int i = 0; i < r->niface; i++) {
		struct iface *ifp = &r->ifaces[i];
		struct if_rate *rt = &NET(r)->rate[i];
		double din = (double)(ifp->c.in_bytes - rt->last_in_bytes) * 8;
		double dinp = (double)(ifp->c.in_pkts - rt->last_in_pkts);
		double dout = (double)(ifp->c.out_bytes - rt->last_out_bytes) * 8;
		double doutp = (double)(ifp->c.out_pkts - rt->last_out_pkts);
		rt->in_bps = rt->in_bps * k + din * (1 - k);
		rt->in_pps = rt->in_pps * k + dinp * (1 - k);
		rt->out_bps = rt->out_bps * k + dout * (1 - k);
		rt->out_pps = rt->out_pps * k + doutp * (1 - k);
		rt->last_in_bytes = ifp->c.in_bytes;
		rt->last_in_pkts = ifp->c.in_pkts;
		rt->last_out_bytes = ifp->c.out_bytes;
		rt->last_out_pkts = ifp->c.out_pkts;
	}
}

static void on_tick(void *arg)
{
	struct router *r = arg;
	uint64_t now = ev_now(r->ev);
	net_batch_begin(r);
	arp_tick(r, now);
	frag_tick(r, now);
	net_batch_end(r);
	/* Workers' counts first, so rates and lifetimes see them; then a fresh table. */
	fastpath_sync(r);
	fastpath_dirty(r);
	fastpath_publish(r);
	update_rates(r);
	ev_timer_arm(r->ev, &NET(r)->tick, TICK_MS);
}

static void log_lineproto(struct router *r, struct iface *ifp, bool up)
{
	log_msg(&r->log, "LINEPROTO", SEV_NOTICE, "UPDOWN",
		"Line protocol on Interface %s, changed state to %s", ifp->name, up ? "up" : "down");
}

/* Notices interfaces going up/down or changing address; keeps ARP and routes in line. */
static void sync_state(struct router *r)
{
	fastpath_dirty(r);
	struct net_state *n = NET(r);
	for (int i = 0; i < r->niface; i++) {
		struct iface *ifp = &r->ifaces[i];
		struct if_rate *rt = &n->rate[i];
		bool up = iface_is_up(ifp);
		if (n->started && up != rt->was_up && ifp->port)
			log_lineproto(r, ifp, up);
		if (!up || rt->had_addr != ifp->has_addr || rt->addr != ifp->addr ||
		    rt->mask != ifp->mask)
			arp_flush_iface(r, ifp);
		rt->was_up = up;
		rt->had_addr = ifp->has_addr;
		rt->addr = ifp->addr;
		rt->mask = ifp->mask;
	}
	route_rebuild(r);
}

int net_start(struct router *r)
{
	struct net_state *n = NET(r);
	for (int i = 0; i < r->niface; i++) {
		struct iface *ifp = &r->ifaces[i];
		if (!ifp->port_spec[0] || ifp->port)
			continue;
		char err[256] = "";
		ifp->port = port_open(ifp, ifp->port_spec, err, sizeof(err));
		if (!ifp->port) {
			log_msg(&r->log, "LINK", SEV_ERR, "BADPORT", "Interface %s: port %s: %s",
				ifp->name, ifp->port_spec, err);
			return -1;
		}
		if (ifp->admin_up) {
			log_msg(&r->log, "LINK", SEV_ERR, "UPDOWN",
				"Interface %s, changed state to up", ifp->name);
			log_lineproto(r, ifp, iface_is_up(ifp));
		}
	}
	n->started = true;
	for (int i = 0; i < r->niface; i++)
		n->rate[i].was_up = iface_is_up(&r->ifaces[i]);
	sync_state(r);
	ev_timer_arm(r->ev, &n->tick, TICK_MS);
	return 0;
}

void net_config_changed(struct router *r) { sync_state(r); }

const char *iface_status(const struct iface *ifp)
{
	if (!ifp->admin_up)
		return "administratively down";
	/* No port is like a cable that is plugged in at our end only: up/down, as IOS shows it. */
	return ifp->port && !ifp->port->up ? "down" : "up";
}

const char *iface_protocol(const struct iface *ifp) { return iface_is_up(ifp) ? "up" : "down"; }

bool iface_is_up(const struct iface *ifp) { return ifp->admin_up && ifp->port && ifp->port->up; }

struct iface *net_local_iface(struct router *r, uint32_t addr)
{
	for (int i = 0; i < r->niface; i++) {
		struct iface *ifp = &r->ifaces[i];
		if (ifp->has_addr && ifp->addr == addr && iface_is_up(ifp))
			return ifp;
	}
	return NULL;
}

bool net_is_broadcast(struct router *r, uint32_t addr)
{
	if (addr == 0xffffffffu)
		return true;
	for (int i = 0; i < r->niface; i++) {
		const struct iface *ifp = &r->ifaces[i];
		/* A /31 or /32 has no broadcast address (RFC 3021). */
		if (ifp->has_addr && ifp->mask < 0xfffffffeu && addr == (ifp->addr | ~ifp->mask))
			return true;
	}
	return false;
}

struct iface *net_iface_by_name(struct router *r, const char *name)
{
	struct iface *ifp = router_iface(r, name);
	if (ifp)
		return ifp;
	/* The command tree expands abbreviations; this covers callers that did not. */
	size_t al = strcspn(name, "0123456789");
	if (al == 0)
		return NULL;
	struct iface *found = NULL;
	for (int i = 0; i < r->niface; i++) {
		const char *n = r->ifaces[i].name;
		size_t nl = strcspn(n, "0123456789");
		if (al <= nl && strncasecmp(n, name, al) == 0 && strcmp(n + nl, name + al) == 0) {
			if (found)
				return NULL;	/* ambiguous */
			found = &r->ifaces[i];
		}
	}
	return found;
}

void net_fmt_mac(char *buf, size_t n, const uint8_t m[6])
{
	snprintf(buf, n, "%02x%02x.%02x%02x.%02x%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}
