#include "net/syslog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ipfmt.h"
#include "core/json.h"
#include "core/log.h"
#include "net/net.h"
#include "router.h"

#define SYSLOG_SPORT 514
#define SYSLOG_QUEUE 64		/* messages waiting for the send timer */
#define SYSLOG_MSG_MAX 1200

struct syslog_host {
	uint32_t addr;
	uint16_t port;
	uint64_t sent;		/* message lines handed to the network */
	uint64_t failed;	/* no route / no source address / no buffer */
	uint64_t rl_base;	/* lg->rate_limited when the host was added */
};

struct syslog_state {
	struct router *r;
	struct syslog_host hosts[CFG_LOG_HOSTS];
	size_t nhost;
	uint64_t seq;		/* messages sent to syslog since boot */
	/*
	 * A line can be logged from anywhere, even from inside a port's flush;
	 * sending there would touch the very batch being sent.  So the sink
	 * only queues, and a 0 ms timer sends from a clean context.
	 */
	struct ev_timer timer;
	struct {
		uint16_t len;
		char text[SYSLOG_MSG_MAX];
	} q[SYSLOG_QUEUE];
	unsigned qhead, qlen;
	uint64_t overflow;	/* lines lost because the queue was full */
};

/* The address `logging source-interface` names, if it has one and is up. */
static uint32_t source_addr(struct router *r, const char **ifname)
{
	*ifname = r->cfg->logging_source_if;
	if (!**ifname)
		return 0;
	struct iface *ifp = router_iface(r, *ifname);
	return ifp && ifp->has_addr && iface_is_up(ifp) ? ifp->addr : 0;
}

static void sl_flush(void *arg)
{
	struct syslog_state *s = arg;
	struct router *r = s->r;
	const char *ifn;
	uint32_t src = source_addr(r, &ifn);
	/* what sending logs (no route ...) goes to the buffer, not back here */
	bool was = r->log.in_sink;
	r->log.in_sink = true;
	for (; s->qlen; s->qhead = (s->qhead + 1) % SYSLOG_QUEUE, s->qlen--) {
		const uint8_t *m = (const uint8_t *)s->q[s->qhead].text;
		for (size_t i = 0; i < s->nhost; i++) {
			struct syslog_host *h = &s->hosts[i];
			if (udp_send(r, src, SYSLOG_SPORT, h->addr, h->port, m, s->q[s->qhead].len) < 0)
				h->failed++;
			else
				h->sent++;
		}
	}
	r->log.in_sink = was;
}

static void sl_write(void *arg, const struct log_event *ev)
{
	struct syslog_state *s = arg;
	struct router *r = s->r;
	if (!s->nhost || ev->sev > r->cfg->logging_trap)
		return;
	if (s->qlen == SYSLOG_QUEUE) {
		s->overflow++;
		for (size_t i = 0; i < s->nhost; i++)
			s->hosts[i].failed++;
		return;
	}
	unsigned slot = (s->qhead + s->qlen) % SYSLOG_QUEUE;
	unsigned pri = (unsigned)r->cfg->logging_facility * 8 + (unsigned)ev->sev;
	/* `no service timestamps log`: "<PRI>SEQ: BODY", as IOS sends it. */
	int n = snprintf(s->q[slot].text, SYSLOG_MSG_MAX, "<%u>%llu: %s%s%s", pri,
			 (unsigned long long)++s->seq, ev->timestamp, ev->timestamp[0] ? ": " : "",
			 ev->body);
	if (n < 0)
		return;
	s->q[slot].len = (uint16_t)((size_t)n < SYSLOG_MSG_MAX ? (size_t)n : SYSLOG_MSG_MAX - 1);
	s->qlen++;
	if (!ev_timer_armed(&s->timer))
		ev_timer_arm(r->ev, &s->timer, 0);
}

static bool link_up(struct router *r, uint32_t addr)
{
	uint32_t nh;
	return route_lookup(r, addr, &nh) != NULL;
}

static void sl_show(void *arg, struct strbuf *out)
{
	struct syslog_state *s = arg;
	struct router *r = s->r;
	for (size_t i = 0; i < s->nhost; i++) {
		const struct syslog_host *h = &s->hosts[i];
		char a[16];
		ip_fmt(h->addr, a);
		sb_printf(out, "        Logging to %s  (udp port %u, audit disabled,\n", a, h->port);
		sb_printf(out, "              link %s),\n", link_up(r, h->addr) ? "up" : "down");
		sb_printf(out, "              %llu message lines logged, \n", (unsigned long long)h->sent);
		sb_printf(out, "              %llu message lines rate-limited, \n",
			  (unsigned long long)(r->log.rate_limited - h->rl_base));
		sb_printf(out, "              %llu message lines dropped (no route, queue full), \n",
			  (unsigned long long)h->failed);
		sb_puts(out, "              xml disabled, sequence number disabled\n");
		sb_puts(out, "              filtering disabled\n");
	}
	if (r->cfg->logging_source_if[0])
		sb_printf(out, "        Logging Source-Interface:       VRF Name:\n        %-32s\n",
			  r->cfg->logging_source_if);
}

static void sl_show_json(void *arg, struct json *j)
{
	struct syslog_state *s = arg;
	struct router *r = s->r;
	json_str(j, "facility", config_facility_name(r->cfg->logging_facility));
	if (r->cfg->logging_source_if[0])
		json_str(j, "source_interface", r->cfg->logging_source_if);
	else
		json_null(j, "source_interface");
	json_arr_begin(j, "hosts");
	for (size_t i = 0; i < s->nhost; i++) {
		const struct syslog_host *h = &s->hosts[i];
		json_obj_begin(j, NULL);
		json_ip(j, "address", h->addr);
		json_str(j, "transport", "udp");
		json_u64(j, "port", h->port);
		json_bool(j, "link_up", link_up(r, h->addr));
		json_u64(j, "message_lines_logged", h->sent);
		json_u64(j, "message_lines_rate_limited", r->log.rate_limited - h->rl_base);
		json_u64(j, "message_lines_dropped", h->failed);
		json_obj_end(j);
	}
	json_arr_end(j);
}

int syslog_init(struct router *r)
{
	struct syslog_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->r = r;
	ev_timer_init(&s->timer, sl_flush, s);
	r->syslog = s;
	struct log_sink sink = { .write = sl_write, .show = sl_show, .show_json = sl_show_json, .arg = s };
	if (log_add_sink(&r->log, &sink) < 0)
		return -1;
	syslog_config_changed(r);
	return 0;
}

void syslog_free(struct router *r)
{
	if (!r->syslog)
		return;
	log_remove_sink(&r->log, r->syslog);
	ev_timer_cancel(r->ev, &r->syslog->timer);
	free(r->syslog);
	r->syslog = NULL;
}

/* Hosts follow the config; a host kept across a change keeps its counters. */
void syslog_config_changed(struct router *r)
{
	struct syslog_state *s = r->syslog;
	if (!s)
		return;
	struct syslog_host old[CFG_LOG_HOSTS];
	size_t nold = s->nhost;
	memcpy(old, s->hosts, sizeof(old));
	s->nhost = 0;
	for (size_t i = 0; i < r->cfg->nlog_host && i < CFG_LOG_HOSTS; i++) {
		const struct cfg_log_host *c = &r->cfg->log_hosts[i];
		struct syslog_host h = { .addr = c->addr, .port = c->port, .rl_base = r->log.rate_limited };
		for (size_t k = 0; k < nold; k++)
			if (old[k].addr == c->addr) {
				h = old[k];
				h.port = c->port;
			}
		s->hosts[s->nhost++] = h;
	}
}
