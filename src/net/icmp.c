/*
 * ICMP: echo replies, errors we send (rate-limited as IOS does:
 * unreachables at most one per 500 ms), and errors or replies about our
 * own echoes, which go to the ping engine.
 */
#include <string.h>

#include "core/wbuf.h"
#include "net/inet.h"
#include "net/net_priv.h"

#define UNREACH_INTERVAL_MS 500		/* IOS: ip icmp rate-limit unreachable 500 */
#define ERR_WINDOW_MS 100
#define ERR_PER_WINDOW 10

static bool is_query(uint8_t type)
{
	/* Echo, timestamp, information, address mask: requests and replies, not errors. */
	return type == 0 || type == 8 || (type >= 13 && type <= 18);
}

static bool rate_ok(struct router *r, uint8_t type, uint8_t code)
{
	struct net_state *n = NET(r);
	uint64_t now = ev_now(r->ev);
	if (type == ICMP_UNREACH && code != ICMP_UNREACH_NEEDFRAG) {
		if (n->icmp_unreach_last && now - n->icmp_unreach_last < UNREACH_INTERVAL_MS)
			return false;
		n->icmp_unreach_last = now ? now : 1;
		return true;
	}
	if (now - n->icmp_err_window >= ERR_WINDOW_MS) {
		n->icmp_err_window = now;
		n->icmp_err_in_window = 0;
	}
	return n->icmp_err_in_window++ < ERR_PER_WINDOW;
}

void icmp_send_error(struct router *r, const struct pkt *orig, uint8_t type, uint8_t code,
		     uint32_t info)
{
	struct net_state *n = NET(r);
	if (!orig || orig->len < IP_HLEN)
		return;
	const uint8_t *ip = orig->data;
	size_t hlen = (size_t)(ip[IPH_VHL] & 0x0f) * 4;
	if (hlen < IP_HLEN || hlen > orig->len)
		return;
	uint32_t src = wbuf_be32(ip + IPH_SRC), dst = wbuf_be32(ip + IPH_DST);
	/* RFC 1812 4.3.2.7: not about non-first fragments, broadcasts, or ICMP errors. */
	if (wbuf_be16(ip + IPH_OFF) & IP_OFFMASK)
		return;
	if ((dst >> 28) == 14 || net_is_broadcast(r, dst) || src == 0 || (src >> 28) >= 14 ||
	    net_is_broadcast(r, src) || (src >> 24) == 127)
		return;
	if (ip[IPH_PROTO] == IPPROTO_ICMP_ && (orig->len <= hlen || !is_query(ip[hlen])))
		return;
	/* Errors about our own packets go to ourselves (ping's 'M'): no budget needed. */
	if (!(orig->flags & PKT_F_LOCAL) && !rate_ok(r, type, code)) {
		n->st.icmp_ratelimited++;
		return;
	}
	size_t quote = hlen + (orig->len - hlen < 8 ? orig->len - hlen : 8);
	struct pkt *p = pkt_alloc();
	if (!p)
		return;
	uint8_t *h = p->data;
	h[0] = type;
	h[1] = code;
	h[2] = h[3] = 0;
	wbuf_st32(h + 4, info);
	memcpy(h + 8, ip, quote);
	p->len = 8 + quote;
	wbuf_st16(h + 2, inet_cksum(h, p->len));
	/* From the interface the offender came in on, as traceroute expects. */
	uint32_t from = 0;
	if (orig->in_if && orig->in_if->has_addr)
		from = orig->in_if->addr;
	if (ip_push_header(r, p, from, src, IPPROTO_ICMP_, 255, false) < 0) {
		pkt_free(p);
		return;
	}
	p->flags = PKT_F_LOCAL;
	n->st.icmp_sent++;
	if (type == ICMP_UNREACH)
		n->st.icmp_unreach_sent++;
	else if (type == ICMP_TIMXCEED)
		n->st.icmp_ttl_sent++;
	if (r->debug & DBG_ICMP) {
		char d[IP_FMT_LEN];
		log_debug(&r->log, "ICMP: %s sent to %s",
			  type == ICMP_UNREACH ? "dst unreachable" : "time exceeded", ip_fmt(src, d));
	}
	ip_output(r, p, false);
}

static void echo_reply(struct router *r, struct pkt *p, size_t hlen)
{
	struct net_state *n = NET(r);
	uint8_t *ip = p->data;
	uint32_t src = wbuf_be32(ip + IPH_SRC), dst = wbuf_be32(ip + IPH_DST);
	uint32_t from = dst;
	if (!net_local_iface(r, dst))
		from = p->in_if && p->in_if->has_addr ? p->in_if->addr : 0;
	pkt_pull(p, hlen);
	uint8_t *h = p->data;
	uint16_t old = wbuf_be16(h);
	h[0] = ICMP_ECHOREPLY;
	wbuf_st16(h + 2, inet_cksum_update16(wbuf_be16(h + 2), old, wbuf_be16(h)));
	p->flags = PKT_F_LOCAL;
	p->in_if = NULL;
	if (ip_push_header(r, p, from, src, IPPROTO_ICMP_, 255, false) < 0) {
		pkt_free(p);
		return;
	}
	n->st.icmp_sent++;
	n->st.icmp_echo_reply_sent++;
	ip_output(r, p, false);
}

void icmp_input(struct router *r, struct pkt *p)
{
	struct net_state *n = NET(r);
	const uint8_t *ip = p->data;
	size_t hlen = (size_t)(ip[IPH_VHL] & 0x0f) * 4;
	struct wbuf_rd rd;
	uint8_t type, code;
	uint16_t sum, id, seq;
	n->st.icmp_rcvd++;
	wbuf_rd_init(&rd, p->data + hlen, p->len - hlen);
	wbuf_get_u8(&rd, &type);
	wbuf_get_u8(&rd, &code);
	wbuf_get_u16(&rd, &sum);
	wbuf_get_u16(&rd, &id);
	wbuf_get_u16(&rd, &seq);
	if (rd.err || inet_cksum(p->data + hlen, p->len - hlen) != 0) {
		n->st.icmp_bad++;
		log_msg_rl(&r->log, &n->rl_icmp, ev_now(r->ev), 10000, "ICMP", SEV_WARNING, "BADPKT",
			   "Dropped ICMP message with a bad length or checksum on %s",
			   p->in_if ? p->in_if->name : "local");
		pkt_free(p);
		return;
	}
	uint32_t src = wbuf_be32(ip + IPH_SRC);
	switch (type) {
	case ICMP_ECHO:
		n->st.icmp_echo_rcvd++;
		echo_reply(r, p, hlen);
		return;
	case ICMP_ECHOREPLY:
		n->st.icmp_echo_reply_rcvd++;
		ping_icmp_input(r, src, type, code, id, seq);
		break;
	case ICMP_UNREACH:
	case ICMP_TIMXCEED:
	case ICMP_SOURCEQUENCH:
	case ICMP_PARAMPROB: {
		if (type == ICMP_UNREACH)
			n->st.icmp_unreach_rcvd++;
		else if (type == ICMP_TIMXCEED)
			n->st.icmp_ttl_rcvd++;
		else
			n->st.icmp_other_rcvd++;
		/* The quoted packet: was it one of our echoes? */
		uint8_t ivhl, iproto, itype;
		uint16_t iid, iseq;
		struct wbuf_rd in = rd;
		if (!wbuf_peek_u8(&in, 0, &ivhl) || (ivhl >> 4) != 4)
			break;
		size_t ihl = (size_t)(ivhl & 0x0f) * 4;
		if (!wbuf_peek_u8(&in, 9, &iproto) || iproto != IPPROTO_ICMP_ || ihl < IP_HLEN)
			break;
		if (!wbuf_skip(&in, ihl) || !wbuf_get_u8(&in, &itype) || itype != ICMP_ECHO ||
		    !wbuf_skip(&in, 3) || !wbuf_get_u16(&in, &iid) || !wbuf_get_u16(&in, &iseq))
			break;
		ping_icmp_input(r, src, type, code, iid, iseq);
		break;
	}
	default:
		n->st.icmp_other_rcvd++;
		break;
	}
	pkt_free(p);
}
