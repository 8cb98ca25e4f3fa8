/*
 * `ping` as IOS runs it: one echo at a time, the next sent as soon as the
 * previous one is answered or times out, a `!`/`.` per echo wrapped at 70
 * columns, then the success rate.  Asynchronous on the event loop (the
 * router keeps forwarding meanwhile); several sessions may ping at once,
 * each with its own ICMP identifier.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cmdtree.h"
#include "core/wbuf.h"
#include "net/inet.h"
#include "net/net_priv.h"

#define LINE_WIDTH 70

struct ping {
	struct ping *next;
	struct router *r;
	struct cli_ctx *ctx;
	uint32_t dst, src;
	uint32_t repeat, size, timeout_ms;
	bool df;
	uint16_t id, seq;
	uint32_t sent, ok;
	bool waiting;			/* an echo is out and unanswered */
	uint64_t sent_us;
	uint64_t rtt_min, rtt_max, rtt_sum;
	int col;
	struct ev_timer timer;
};

static void unlink_ping(struct ping *pg)
{
	struct ping **pp = &NET(pg->r)->pings;
	while (*pp && *pp != pg)
		pp = &(*pp)->next;
	if (*pp)
		*pp = pg->next;
	ev_timer_cancel(pg->r->ev, &pg->timer);
}

static void put_char(struct ping *pg, char c)
{
	char s[3];
	int n = 0;
	if (pg->col == LINE_WIDTH) {
		s[n++] = '\n';
		pg->col = 0;
	}
	s[n++] = c;
	s[n] = '\0';
	pg->col++;
	cli_async_write(pg->ctx, s);
}

static void finish(struct ping *pg)
{
	char line[160];
	unsigned pct = pg->sent ? (unsigned)((uint64_t)pg->ok * 100 / pg->sent) : 0;
	if (pg->ok)
		snprintf(line, sizeof(line),
			 "\nSuccess rate is %u percent (%u/%u), round-trip min/avg/max = %llu/%llu/%llu ms\n",
			 pct, pg->ok, pg->sent, (unsigned long long)(pg->rtt_min / 1000),
			 (unsigned long long)(pg->rtt_sum / pg->ok / 1000),
			 (unsigned long long)(pg->rtt_max / 1000));
	else
		snprintf(line, sizeof(line), "\nSuccess rate is %u percent (%u/%u)\n", pct, pg->ok,
			 pg->sent);
	cli_async_write(pg->ctx, line);
	struct cli_ctx *ctx = pg->ctx;
	unlink_ping(pg);
	free(pg);
	ctx->pending = NULL;
	ctx->cancel = NULL;
	cli_async_done(ctx, 0);
}

static void send_echo(struct ping *pg)
{
	struct router *r = pg->r;
	struct pkt *p = pkt_alloc();
	pg->seq++;
	pg->sent++;
	pg->waiting = true;
	pg->sent_us = ev_now_us();
	ev_timer_arm(r->ev, &pg->timer, pg->timeout_ms);
	if (!p)
		return;	/* counts as lost: the timer shows the '.' */
	uint8_t *h = p->data;
	size_t len = pg->size - IP_HLEN;
	h[0] = ICMP_ECHO;
	h[1] = 0;
	wbuf_st16(h + 2, 0);
	wbuf_st16(h + 4, pg->id);
	wbuf_st16(h + 6, pg->seq);
	/* IOS's data pattern. */
	for (size_t i = 8; i < len; i++)
		h[i] = (i % 2) ? 0xcd : 0xab;
	p->len = len;
	wbuf_st16(h + 2, inet_cksum(h, len));
	p->flags = PKT_F_LOCAL;
	if (ip_push_header(r, p, pg->src, pg->dst, IPPROTO_ICMP_, 255, pg->df) < 0) {
		pkt_free(p);
		return;
	}
	NET(r)->st.icmp_sent++;
	NET(r)->st.icmp_echo_sent++;
	ip_output(r, p, false);
}

/* The timer does double duty: the echo timed out, or (armed at 0) go on to the next. */
static void on_timer(void *arg)
{
	struct ping *pg = arg;
	if (pg->waiting) {
		pg->waiting = false;
		put_char(pg, '.');
	}
	if (pg->sent >= pg->repeat) {
		finish(pg);
		return;
	}
	send_echo(pg);
}

void ping_icmp_input(struct router *r, uint32_t src, uint8_t type, uint8_t code, uint16_t id,
		     uint16_t seq)
{
	struct ping *pg;
	for (pg = NET(r)->pings; pg; pg = pg->next)
		if (pg->id == id)
			break;
	if (!pg || !pg->waiting || seq != pg->seq)
		return;
	char c;
	switch (type) {
	case ICMP_ECHOREPLY:
		if (src != pg->dst)
			return;
		c = '!';
		uint64_t rtt = ev_now_us() - pg->sent_us;
		if (pg->ok == 0 || rtt < pg->rtt_min)
			pg->rtt_min = rtt;
		if (rtt > pg->rtt_max)
			pg->rtt_max = rtt;
		pg->rtt_sum += rtt;
		pg->ok++;
		break;
	case ICMP_UNREACH: c = code == ICMP_UNREACH_NEEDFRAG ? 'M' : 'U'; break;
	case ICMP_TIMXCEED: c = '&'; break;
	case ICMP_SOURCEQUENCH: c = 'Q'; break;
	default: c = '?'; break;
	}
	pg->waiting = false;
	put_char(pg, c);
	/* Not from here: the reply may be delivered inside our own send (pinging ourselves). */
	ev_timer_arm(r->ev, &pg->timer, 0);
}

static void ping_cancel(void *pending)
{
	struct ping *pg = pending;
	unlink_ping(pg);
	free(pg);
}

void ping_free_all(struct router *r)
{
	while (NET(r)->pings) {
		struct ping *pg = NET(r)->pings;
		struct cli_ctx *ctx = pg->ctx;
		unlink_ping(pg);
		free(pg);
		if (ctx) {
			ctx->pending = NULL;
			ctx->cancel = NULL;
		}
	}
}

static uint16_t next_id(struct net_state *n)
{
	for (;;) {
		uint16_t id = n->ping_next_id++;
		bool used = false;
		for (struct ping *pg = n->pings; pg; pg = pg->next)
			used |= pg->id == id;
		if (!used)
			return id;
	}
}

int net_cmd_ping(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct router *r = ctx->r;
	uint32_t dst, v;
	if (!r) {
		sb_puts(ctx->out, "% Not available while loading a configuration\n");
		return -1;
	}
	if (a->argc < 2 || !cmd_parse_ip(a->argv[1], &dst)) {
		sb_puts(ctx->out, "% Unrecognized host or address, or protocol not running.\n");
		return -1;
	}
	struct ping tmp = { .repeat = 5, .size = 100, .timeout_ms = 2000, .dst = dst };
	if (cmd_after_u32(a, "repeat", &v)) {
		if (v < 1 || v > 2147483647u)
			goto bad;
		tmp.repeat = v;
	}
	if (cmd_after_u32(a, "size", &v)) {
		if (v < 36 || v > 18024)
			goto bad;
		tmp.size = v;
	}
	if (cmd_after_u32(a, "timeout", &v)) {
		if (v > 3600)
			goto bad;
		tmp.timeout_ms = v * 1000;
	}
	tmp.df = cmd_has(a, "df-bit");
	const char *s = cmd_after(a, "source");
	if (s) {
		uint32_t sip;
		struct iface *ifp = NULL;
		if (cmd_parse_ip(s, &sip)) {
			ifp = net_local_iface(r, sip);
			if (!ifp) {
				sb_puts(ctx->out, "% Invalid source address- IP address not on any of "
						  "our up interfaces\n");
				return -1;
			}
			tmp.src = sip;
		} else {
			ifp = net_iface_by_name(r, s);
			if (!ifp || !ifp->has_addr || !iface_is_up(ifp)) {
				sb_puts(ctx->out, "% Invalid source interface - ip not enabled or down\n");
				return -1;
			}
			tmp.src = ifp->addr;
		}
	}
	struct ping *pg = malloc(sizeof(*pg));
	if (!pg) {
		sb_puts(ctx->out, "% No memory\n");
		return -1;
	}
	*pg = tmp;
	pg->r = r;
	pg->ctx = ctx;
	pg->id = next_id(NET(r));
	ev_timer_init(&pg->timer, on_timer, pg);
	pg->next = NET(r)->pings;
	NET(r)->pings = pg;
	char ip[IP_FMT_LEN];
	sb_printf(ctx->out,
		  "Type escape sequence to abort.\n"
		  "Sending %u, %u-byte ICMP Echos to %s, timeout is %u seconds:\n",
		  pg->repeat, pg->size, ip_fmt(dst, ip), pg->timeout_ms / 1000);
	if (pg->src)
		sb_printf(ctx->out, "Packet sent with a source address of %s\n",
			  ip_fmt(pg->src, ip));
	ctx->pending = pg;
	ctx->cancel = ping_cancel;
	/* The first echo leaves from the loop, after the header lines are out. */
	ev_timer_arm(r->ev, &pg->timer, 0);
	return CMD_ASYNC;
bad:
	sb_puts(ctx->out, "% Invalid input detected at '^' marker.\n");
	return -1;
}
