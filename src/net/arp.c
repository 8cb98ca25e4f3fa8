/*
 * ARP (RFC 826) on Ethernet ports: a bounded cache per router, keyed by
 * (interface, address).  Complete entries (answers to our requests) live 4
 * hours as on IOS; an unresolved address holds a few packets while requests
 * are retried once a second, and gives up (dropping what it held) after
 * ARP_RETRIES.  Any on-link host can send requests for us, so what they
 * teach is ARP_STALE: at most ARP_STALE_MAX entries, ARP_STALE_MS long,
 * evicted oldest first, and never at the cost of an entry we resolved.
 */
#include <stdio.h>
#include <string.h>

#include "core/wbuf.h"
#include "net/fastpath.h"
#include "net/net_priv.h"

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static unsigned hash(const struct iface *ifp, uint32_t ip)
{
	uint32_t h = ip * 2654435761u ^ (uint32_t)ifp->index * 40503u;
	return (h >> 24) & 0xff;
}

void arp_init(struct arp_table *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < 256; i++)
		t->bucket[i] = -1;
	for (int i = 0; i < ARP_MAX_ENTRIES; i++)
		pktq_init(&t->e[i].hold, ARP_HOLD_MAX);
}

static struct arp_entry *find(struct arp_table *t, const struct iface *ifp, uint32_t ip)
{
	for (int32_t i = t->bucket[hash(ifp, ip)]; i >= 0; i = t->e[i].next)
		if (t->e[i].ifp == ifp && t->e[i].ip == ip)
			return &t->e[i];
	return NULL;
}

static void drop_entry(struct arp_table *t, struct arp_entry *e)
{
	int32_t idx = (int32_t)(e - t->e);
	int32_t *pp = &t->bucket[hash(e->ifp, e->ip)];
	while (*pp >= 0 && *pp != idx)
		pp = &t->e[*pp].next;
	if (*pp == idx)
		*pp = e->next;
	pktq_flush(&e->hold);
	if (e->state == ARP_STALE)
		t->nstale--;
	e->state = ARP_FREE;
	e->ifp = NULL;
	t->n--;
}

/* The oldest entry in state st (by last update), or NULL. */
static struct arp_entry *oldest(struct arp_table *t, enum arp_state st)
{
	struct arp_entry *o = NULL;
	for (int i = 0; i < ARP_MAX_ENTRIES; i++)
		if (t->e[i].state == st && (!o || t->e[i].updated_ms < o->updated_ms))
			o = &t->e[i];
	return o;
}

static void evict(struct router *r, struct arp_table *t, struct arp_entry *e)
{
	fastpath_dirty(r);
	t->evicted++;
	t->drops_unresolved += e->hold.n;
	e->ifp->c.out_drops += e->hold.n;
	NET(r)->st.encap_failed += e->hold.n;
	drop_entry(t, e);
}

/*
 * Makes room for one more entry.  Stale entries go first; for an address we
 * need ourselves (ours), then the oldest unresolved one, and only then the
 * oldest complete one.  An unsolicited entry evicts only its own kind.
 */
static bool make_room(struct router *r, struct arp_table *t, bool ours)
{
	struct arp_entry *v = NULL;
	if (!ours && t->nstale >= ARP_STALE_MAX)
		v = oldest(t, ARP_STALE);
	else if (t->n < ARP_MAX_ENTRIES)
		return true;
	if (!v)
		v = oldest(t, ARP_STALE);
	if (!v && ours)
		v = oldest(t, ARP_INCOMPLETE);
	if (!v && ours)
		v = oldest(t, ARP_COMPLETE);
	if (!v)
		return false;
	evict(r, t, v);
	return true;
}

static struct arp_entry *create(struct arp_table *t, struct iface *ifp, uint32_t ip)
{
	if (t->n >= ARP_MAX_ENTRIES)
		return NULL;
	for (int32_t i = 0; i < ARP_MAX_ENTRIES; i++) {
		struct arp_entry *e = &t->e[i];
		if (e->state != ARP_FREE)
			continue;
		e->ifp = ifp;
		e->ip = ip;
		e->tries = 0;
		memset(e->mac, 0, 6);
		unsigned h = hash(ifp, ip);
		e->next = t->bucket[h];
		t->bucket[h] = i;
		t->n++;
		return e;
	}
	return NULL;
}

void arp_free(struct arp_table *t)
{
	for (int i = 0; i < ARP_MAX_ENTRIES; i++)
		pktq_flush(&t->e[i].hold);
}

const struct arp_entry *arp_lookup(const struct router *r, const struct iface *ifp, uint32_t ip)
{
	return find(&NET(r)->arp, ifp, ip);
}

int eth_push(struct port *pt, struct pkt *p, const uint8_t dst[6], uint16_t type)
{
	/* Ethernet needs 60 bytes at least; pad here since a veth will not. */
	if (p->len < ETH_ZLEN - ETH_HLEN && pkt_tailroom(p) >= ETH_ZLEN - ETH_HLEN - p->len) {
		memset(p->data + p->len, 0, ETH_ZLEN - ETH_HLEN - p->len);
		p->len = ETH_ZLEN - ETH_HLEN;
	}
	uint8_t *h = pkt_push(p, ETH_HLEN);
	if (!h)
		return -1;
	memcpy(h, dst, 6);
	memcpy(h + 6, pt->mac, 6);
	wbuf_st16(h + 12, type);
	return 0;
}

static void send_arp(struct router *r, struct iface *ifp, uint16_t op, const uint8_t *tha,
		     uint32_t tpa, const uint8_t *eth_dst)
{
	struct port *pt = ifp->port;
	struct pkt *p = pkt_alloc();
	if (!p)
		return;
	struct wbuf_wr wr;
	wbuf_wr_init(&wr, p->data, 28);
	wbuf_put_u16(&wr, 1);		/* Ethernet */
	wbuf_put_u16(&wr, ETHERTYPE_IP);
	wbuf_put_u8(&wr, 6);
	wbuf_put_u8(&wr, 4);
	wbuf_put_u16(&wr, op);
	wbuf_put_bytes(&wr, pt->mac, 6);
	wbuf_put_u32(&wr, ifp->addr);
	wbuf_put_bytes(&wr, tha, 6);
	wbuf_put_u32(&wr, tpa);
	p->len = wr.len;
	if (eth_push(pt, p, eth_dst, ETHERTYPE_ARP) < 0) {
		pkt_free(p);
		return;
	}
	ifp->c.arp_out++;
	if (op == 1)
		NET(r)->arp.requests_out++;
	else
		NET(r)->arp.replies_out++;
	port_output(pt, p);
}

static void request(struct router *r, struct arp_entry *e)
{
	static const uint8_t zero[6];
	e->tries++;
	e->next_try_ms = ev_now(r->ev) + ARP_RETRY_MS;
	send_arp(r, e->ifp, 1, zero, e->ip, bcast_mac);
}

static void send_held(struct router *r, struct arp_entry *e)
{
	struct pkt *p;
	while ((p = pktq_pop(&e->hold))) {
		if (eth_push(e->ifp->port, p, e->mac, ETHERTYPE_IP) < 0) {
			e->ifp->c.out_drops++;
			pkt_free(p);
			continue;
		}
		port_output(e->ifp->port, p);
	}
}

static void learn(struct router *r, struct arp_entry *e, const uint8_t *mac)
{
	/* A refresh of what the workers' table holds already needs no new table. */
	if ((e->state != ARP_COMPLETE && e->state != ARP_STALE) || memcmp(e->mac, mac, 6))
		fastpath_dirty(r);
	memcpy(e->mac, mac, 6);
	e->state = ARP_COMPLETE;
	e->updated_ms = ev_now(r->ev);
	e->tries = 0;
	send_held(r, e);
}

void arp_input(struct router *r, struct iface *ifp, struct pkt *p)
{
	struct arp_table *t = &NET(r)->arp;
	struct wbuf_rd rd;
	uint16_t htype, ptype, op;
	uint8_t hlen, plen;
	const uint8_t *sha, *tha;
	uint32_t spa, tpa;
	ifp->c.arp_in++;
	wbuf_rd_init(&rd, p->data, p->len);
	wbuf_get_u16(&rd, &htype);
	wbuf_get_u16(&rd, &ptype);
	wbuf_get_u8(&rd, &hlen);
	wbuf_get_u8(&rd, &plen);
	wbuf_get_u16(&rd, &op);
	wbuf_get_ptr(&rd, &sha, 6);
	wbuf_get_u32(&rd, &spa);
	wbuf_get_ptr(&rd, &tha, 6);
	wbuf_get_u32(&rd, &tpa);
	/* What follows the 28 bytes is Ethernet padding to 60, not ARP: ignore it. */
	/* Sender 0.0.0.0 is an RFC 5227 probe: valid, answered, never learned. */
	if (rd.err || htype != 1 || ptype != ETHERTYPE_IP || hlen != 6 || plen != 4 ||
	    (op != 1 && op != 2) || (sha[0] & 1) || (spa >> 28) >= 14) {
		t->drops_bad++;
		log_msg_rl(&r->log, &t->rl, ev_now(r->ev), 10000, "ARP", SEV_WARNING, "BADPKT",
			   "bad ARP packet on %s (%zu bytes)", ifp->name, p->len);
		pkt_free(p);
		return;
	}
	if (op == 1)
		t->requests_in++;
	else
		t->replies_in++;
	if (!ifp->has_addr) {
		pkt_free(p);
		return;
	}
	if (spa == ifp->addr && spa != 0) {
		char a[IP_FMT_LEN], m[16];
		net_fmt_mac(m, sizeof(m), sha);
		log_msg_rl(&r->log, &t->rl, ev_now(r->ev), 10000, "IP", SEV_WARNING, "DUPADDR",
			   "Duplicate address %s on %s, sourced by %s", ip_fmt(spa, a), ifp->name, m);
		pkt_free(p);
		return;
	}
	bool for_us = tpa == ifp->addr;
	struct arp_entry *e = spa ? find(t, ifp, spa) : NULL;
	/*
	 * RFC 826 merge: refresh what we know (a reply for us confirms a stale
	 * entry); a sender that asks for us is kept only as stale.
	 */
	bool on_link = spa && (spa & ifp->mask) == (ifp->addr & ifp->mask);
	if (e && e->state == ARP_STALE && !(op == 2 && for_us)) {
		memcpy(e->mac, sha, 6);
		e->updated_ms = ev_now(r->ev);
	} else if (e) {
		if (e->state == ARP_STALE)
			t->nstale--;
		learn(r, e, sha);
	} else if (for_us && on_link) {
		if (make_room(r, t, false) && (e = create(t, ifp, spa))) {
			memcpy(e->mac, sha, 6);
			e->state = ARP_STALE;
			fastpath_dirty(r);
			e->updated_ms = ev_now(r->ev);
			t->nstale++;
		} else {
			t->unsolicited_refused++;
		}
	}
	if (for_us && op == 1)
		send_arp(r, ifp, 2, sha, spa, sha);
	pkt_free(p);
}

int arp_output(struct router *r, struct iface *ifp, struct pkt *p, uint32_t nexthop)
{
	struct arp_table *t = &NET(r)->arp;
	struct port *pt = ifp->port;
	if (nexthop == 0xffffffffu || net_is_broadcast(r, nexthop)) {
		if (eth_push(pt, p, bcast_mac, ETHERTYPE_IP) < 0)
			goto drop;
		return port_output(pt, p);
	}
	struct arp_entry *e = find(t, ifp, nexthop);
	uint64_t now = ev_now(r->ev);
	if (e && e->state == ARP_COMPLETE && now - e->updated_ms >= ARP_TIMEOUT_MS) {
		/* Aged out: resolve afresh, holding this packet meanwhile. */
		e->state = ARP_INCOMPLETE;
		e->tries = 0;
	}
	if (e && e->state == ARP_STALE && now - e->updated_ms < ARP_STALE_MS) {
		/* Usable, but we ask once for ourselves: the reply makes it complete. */
		if (e->tries == 0 || now >= e->next_try_ms)
			request(r, e);
		if (eth_push(pt, p, e->mac, ETHERTYPE_IP) < 0)
			goto drop;
		return port_output(pt, p);
	}
	if (e && e->state == ARP_STALE) {
		t->nstale--;
		e->state = ARP_INCOMPLETE;
		e->tries = 0;
	}
	if (e && e->state == ARP_COMPLETE) {
		if (eth_push(pt, p, e->mac, ETHERTYPE_IP) < 0)
			goto drop;
		return port_output(pt, p);
	}
	if (!e) {
		if (make_room(r, t, true))
			e = create(t, ifp, nexthop);
		if (!e) {
			t->drops_full++;
			goto drop;
		}
		e->state = ARP_INCOMPLETE;
	}
	if (pktq_push(&e->hold, p) < 0) {
		t->drops_unresolved++;
		ifp->c.out_drops++;
		return -1;
	}
	if (e->tries == 0)
		request(r, e);
	t->resolving = true;
	return 0;
drop:
	ifp->c.out_drops++;
	NET(r)->st.encap_failed++;
	pkt_free(p);
	return -1;
}

#define SWEEP_MS 60000

void arp_tick(struct router *r, uint64_t now)
{
	struct arp_table *t = &NET(r)->arp;
	/* Only retries need every tick; ageing in hours can wait a minute. */
	if (t->n == 0 || (!t->resolving && !t->nstale && now < t->next_sweep))
		return;
	t->resolving = false;
	t->next_sweep = now + SWEEP_MS;
	for (int i = 0; i < ARP_MAX_ENTRIES; i++) {
		struct arp_entry *e = &t->e[i];
		if (e->state == ARP_INCOMPLETE && now >= e->next_try_ms) {
			if (e->tries >= ARP_RETRIES || !iface_is_up(e->ifp)) {
				t->drops_unresolved += e->hold.n;
				e->ifp->c.out_drops += e->hold.n;
				NET(r)->st.encap_failed += e->hold.n;
				drop_entry(t, e);
			} else {
				request(r, e);
			}
		}
		if (e->state == ARP_INCOMPLETE) {
			t->resolving = true;
		} else if (e->state == ARP_COMPLETE && now - e->updated_ms >= ARP_TIMEOUT_MS) {
			drop_entry(t, e);
		} else if (e->state == ARP_STALE && now - e->updated_ms >= ARP_STALE_MS) {
			drop_entry(t, e);
		}
	}
}

void arp_flush_iface(struct router *r, struct iface *ifp)
{
	struct arp_table *t = &NET(r)->arp;
	fastpath_dirty(r);
	for (int i = 0; i < ARP_MAX_ENTRIES; i++)
		if (t->e[i].state != ARP_FREE && t->e[i].ifp == ifp)
			drop_entry(t, &t->e[i]);
}

void arp_clear(struct router *r)
{
	struct arp_table *t = &NET(r)->arp;
	fastpath_dirty(r);
	for (int i = 0; i < ARP_MAX_ENTRIES; i++)
		if (t->e[i].state != ARP_FREE)
			drop_entry(t, &t->e[i]);
}

static void show_line(struct strbuf *out, uint32_t ip, const char *age, const char *hw,
		      const char *ifname)
{
	char a[IP_FMT_LEN];
	sb_printf(out, "Internet  %-16s%9s   %-16s%-7s%s\n", ip_fmt(ip, a), age, hw, "ARPA",
		  ifname);
}

static int cmp_u32(uint32_t a, uint32_t b) { return a < b ? -1 : a > b; }

void arp_show(struct router *r, struct strbuf *out)
{
	struct arp_table *t = &NET(r)->arp;
	uint64_t now = ev_now(r->ev);
	sb_puts(out, "Protocol  Address          Age (min)  Hardware Addr   Type   Interface\n");
	/* IOS lists by address: merge our own entries with the learned ones, in order. */
	int order[ARP_MAX_ENTRIES + ROUTER_MAX_IFACES];
	int n = 0;
	for (int i = 0; i < r->niface; i++)
		if (r->ifaces[i].has_addr && r->ifaces[i].port && r->ifaces[i].port->ether &&
		    r->ifaces[i].admin_up)
			order[n++] = -1 - i;
	for (int i = 0; i < ARP_MAX_ENTRIES; i++)
		if (t->e[i].state != ARP_FREE)
			order[n++] = i;
	for (int i = 1; i < n; i++) {
		int v = order[i], j = i;
		uint32_t vip = v < 0 ? r->ifaces[-1 - v].addr : t->e[v].ip;
		while (j > 0) {
			int u = order[j - 1];
			uint32_t uip = u < 0 ? r->ifaces[-1 - u].addr : t->e[u].ip;
			if (cmp_u32(uip, vip) <= 0)
				break;
			order[j] = u;
			j--;
		}
		order[j] = v;
	}
	for (int k = 0; k < n; k++) {
		char hw[16], age[16];
		if (order[k] < 0) {
			struct iface *ifp = &r->ifaces[-1 - order[k]];
			net_fmt_mac(hw, sizeof(hw), ifp->port->mac);
			show_line(out, ifp->addr, "-", hw, ifp->name);
			continue;
		}
		const struct arp_entry *e = &t->e[order[k]];
		if (e->state == ARP_INCOMPLETE) {
			show_line(out, e->ip, "0", "Incomplete", "");
			continue;
		}
		net_fmt_mac(hw, sizeof(hw), e->mac);
		snprintf(age, sizeof(age), "%llu",
			 (unsigned long long)((now - e->updated_ms) / 60000));
		show_line(out, e->ip, age, hw, e->ifp->name);
	}
}
