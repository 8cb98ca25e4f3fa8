/*
 * IPv4 input: validate, then deliver to ourselves (reassembling first) or
 * forward.  Every byte of the header is read through the bounds-checked
 * reader; nothing after validation trusts a length it did not check.
 */
#include <stdio.h>
#include <string.h>

#include "core/wbuf.h"
#include "ipsec/ipsec.h"
#include "net/capture.h"
#include "net/inet.h"
#include "net/net_priv.h"

static void drop_malformed(struct router *r, struct pkt *p, const char *why)
{
	struct iface *in = p->in_if;
	NET(r)->st.bad_hdr++;
	if (in)
		in->c.in_errors++;
	log_msg_rl(&r->log, &NET(r)->rl_hdr, ev_now(r->ev), 10000, "IP", SEV_WARNING, "BADPKT",
		   "Dropped malformed IPv4 packet on %s (%zu bytes): %s", in ? in->name : "tunnel",
		   p->len, why);
	pkt_free(p);
}

static void drop_in(struct router *r, struct pkt *p)
{
	if (p->in_if)
		p->in_if->c.in_drops++;
	pkt_free(p);
}

void ip_local_deliver(struct router *r, struct pkt *p)
{
	struct net_state *n = NET(r);
	uint8_t proto = p->data[IPH_PROTO];
	n->st.delivered++;
	switch (proto) {
	case IPPROTO_ICMP_:
		icmp_input(r, p);
		break;
	case IPPROTO_UDP_:
		udp_input(r, p);
		break;
	case IPPROTO_ESP_:
	case IPPROTO_AH_:
		ipsec_input(r, p);
		break;
	default:
		n->st.unknown_proto++;
		if (!net_is_broadcast(r, wbuf_be32(p->data + IPH_DST)))
			icmp_send_error(r, p, ICMP_UNREACH, ICMP_UNREACH_PROTO, 0);
		pkt_free(p);
		break;
	}
}

/*
 * Cleartext that a crypto map wants protected never crosses the router nor
 * reaches it (ipsec_ingress_check logs %CRYPTO-4-RECVD_PKT_NOT_IPSEC).
 */
static bool policy_allows(struct router *r, struct pkt *p)
{
	if (!p->in_if || (p->flags & PKT_F_DECAPPED) || ipsec_ingress_check(r, p->in_if, p))
		return true;
	NET(r)->st.policy_drops++;
	drop_in(r, p);
	return false;
}

static void forward(struct router *r, struct pkt *p)
{
	struct net_state *n = NET(r);
	uint8_t *ip = p->data;
	uint32_t src = wbuf_be32(ip + IPH_SRC), dst = wbuf_be32(ip + IPH_DST);
	if (dst == 0 || src == 0 || (dst >> 28) >= 14) {
		/* Unspecified, multicast and class E are never forwarded. */
		drop_in(r, p);
		return;
	}
	if (!policy_allows(r, p))
		return;
	uint8_t ttl = ip[IPH_TTL];
	if (ttl <= 1) {
		n->st.bad_ttl++;
		icmp_send_error(r, p, ICMP_TIMXCEED, ICMP_TIMXCEED_INTRANS, 0);
		drop_in(r, p);
		return;
	}
	uint16_t old = wbuf_be16(ip + IPH_TTL);
	ip[IPH_TTL] = (uint8_t)(ttl - 1);
	wbuf_st16(ip + IPH_SUM,
		  inet_cksum_update16(wbuf_be16(ip + IPH_SUM), old, wbuf_be16(ip + IPH_TTL)));
	n->st.forwarded++;
	ip_route_output(r, p, false);
}

void ipv4_input(struct router *r, struct pkt *p)
{
	struct net_state *n = NET(r);
	struct wbuf_rd rd;
	uint8_t vhl, tos, ttl, proto;
	uint16_t tot, id, off, sum;
	uint32_t src, dst;
	n->st.rcvd++;
	if (p->in_if && p->in_if->cap)
		capture_packet(r, p->in_if, p, p->flags & PKT_F_DECAPPED ? CAP_CMAP_IN : CAP_IN);
	wbuf_rd_init(&rd, p->data, p->len);
	wbuf_get_u8(&rd, &vhl);
	wbuf_get_u8(&rd, &tos);
	wbuf_get_u16(&rd, &tot);
	wbuf_get_u16(&rd, &id);
	wbuf_get_u16(&rd, &off);
	wbuf_get_u8(&rd, &ttl);
	wbuf_get_u8(&rd, &proto);
	wbuf_get_u16(&rd, &sum);
	wbuf_get_u32(&rd, &src);
	wbuf_get_u32(&rd, &dst);
	if (rd.err) {
		drop_malformed(r, p, "shorter than an IPv4 header");
		return;
	}
	size_t hlen = (size_t)(vhl & 0x0f) * 4;
	if (vhl >> 4 != 4) {
		drop_malformed(r, p, "not IP version 4");
		return;
	}
	if (hlen < IP_HLEN) {
		drop_malformed(r, p, "header length below 20");
		return;
	}
	if (hlen > p->len) {
		drop_malformed(r, p, "header longer than the packet");
		return;
	}
	if (tot < hlen) {
		drop_malformed(r, p, "total length shorter than the header");
		return;
	}
	if (tot > p->len) {
		drop_malformed(r, p, "total length beyond the received bytes");
		return;
	}
	if (inet_cksum(p->data, hlen) != 0) {
		n->st.bad_cksum++;
		drop_malformed(r, p, "bad header checksum");
		return;
	}
	if ((off & 0x8000) != 0) {
		drop_malformed(r, p, "reserved flag set");
		return;
	}
	/* Link padding (Ethernet's 60-byte minimum) is not part of the datagram. */
	p->len = tot;
	if (ip_martian_src(src)) {
		char s[IP_FMT_LEN];
		log_msg_rl(&r->log, &n->rl_martian, ev_now(r->ev), 10000, "IP", SEV_WARNING,
			   "MARTIAN", "Dropped packet on %s from impossible source %s",
			   p->in_if ? p->in_if->name : "tunnel", ip_fmt(src, s));
		drop_in(r, p);
		return;
	}
	if (r->debug & DBG_IP_PACKET) {
		char s[IP_FMT_LEN], d[IP_FMT_LEN];
		log_debug(&r->log, "IP: s=%s (%s), d=%s, len %u, rcvd", ip_fmt(src, s),
			  p->in_if ? p->in_if->name : "local", ip_fmt(dst, d), tot);
	}
	bool bcast = net_is_broadcast(r, dst);
	if (bcast)
		n->st.bcast_rcvd++;
	if ((dst >> 28) == 14)
		n->st.mcast_rcvd++;
	if (!net_local_iface(r, dst) && !bcast && (dst >> 28) != 14) {
		forward(r, p);
		return;
	}
	if (off & (IP_MF | IP_OFFMASK)) {
		p = frag_input(r, p);
		if (!p)
			return;
	}
	/* Judged whole: a later fragment alone has no ports to judge by. */
	if (!policy_allows(r, p))
		return;
	ip_local_deliver(r, p);
}
