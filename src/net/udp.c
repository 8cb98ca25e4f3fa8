/* UDP for the router's own services (IKE on 500 and 4500). */
#include <string.h>

#include "core/wbuf.h"
#include "net/inet.h"
#include "net/net_priv.h"

static int bind_port(struct router *r, uint16_t port, udp_rx_fn fn, udp_pkt_fn pfn, void *arg)
{
	struct net_state *n = NET(r);
	struct udp_binding *free_slot = NULL;
	for (int i = 0; i < NET_UDP_MAX; i++) {
		struct udp_binding *b = &n->udp[i];
		if ((b->fn || b->pfn) && b->port == port) {
			/* Rebinding replaces; binding NULL releases. */
			b->fn = fn;
			b->pfn = pfn;
			b->arg = arg;
			return 0;
		}
		if (!b->fn && !b->pfn && !free_slot)
			free_slot = b;
	}
	if (!fn && !pfn)
		return 0;
	if (!free_slot || port == 0)
		return -1;
	*free_slot = (struct udp_binding){ port, fn, arg, pfn };
	return 0;
}

int udp_bind(struct router *r, uint16_t port, udp_rx_fn fn, void *arg)
{
	return bind_port(r, port, fn, NULL, arg);
}

int udp_bind_pkt(struct router *r, uint16_t port, udp_pkt_fn fn, void *arg)
{
	return bind_port(r, port, NULL, fn, arg);
}

void udp_input(struct router *r, struct pkt *p)
{
	struct net_state *n = NET(r);
	const uint8_t *ip = p->data;
	size_t hlen = (size_t)(ip[IPH_VHL] & 0x0f) * 4;
	uint32_t src = wbuf_be32(ip + IPH_SRC), dst = wbuf_be32(ip + IPH_DST);
	struct wbuf_rd rd;
	uint16_t sport, dport, ulen, sum;
	const uint8_t *data;
	n->st.udp_rcvd++;
	wbuf_rd_init(&rd, ip + hlen, p->len - hlen);
	wbuf_get_u16(&rd, &sport);
	wbuf_get_u16(&rd, &dport);
	wbuf_get_u16(&rd, &ulen);
	wbuf_get_u16(&rd, &sum);
	/* The UDP length must match the IP payload exactly: no trailing bytes. */
	if (rd.err || ulen != p->len - hlen || !wbuf_get_ptr(&rd, &data, ulen - 8u) ||
	    !wbuf_done(&rd) ||
	    (sum && inet_fold(inet_sum(ip + hlen, ulen,
				       inet_pseudo_sum(src, dst, IPPROTO_UDP_, ulen))) != 0)) {
		n->st.udp_bad++;
		if (p->in_if)
			p->in_if->c.in_errors++;
		log_msg_rl(&r->log, &n->rl_hdr, ev_now(r->ev), 10000, "UDP", SEV_WARNING, "BADPKT",
			   "Dropped UDP datagram with a bad length or checksum on %s",
			   p->in_if ? p->in_if->name : "local");
		pkt_free(p);
		return;
	}
	for (int i = 0; i < NET_UDP_MAX; i++) {
		struct udp_binding *b = &n->udp[i];
		if (b->pfn && b->port == dport) {
			pkt_pull(p, hlen + 8);
			p->len = ulen - 8u;
			b->pfn(b->arg, p, src, sport, dst, dport);
			return;
		}
		if (b->fn && b->port == dport) {
			b->fn(b->arg, src, sport, dst, dport, data, ulen - 8u);
			pkt_free(p);
			return;
		}
	}
	n->st.udp_no_port++;
	if (!net_is_broadcast(r, dst) && (dst >> 28) != 14)
		icmp_send_error(r, p, ICMP_UNREACH, ICMP_UNREACH_PORT, 0);
	pkt_free(p);
}

int udp_send(struct router *r, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
	     const uint8_t *data, size_t len)
{
	if (len > PKT_MAX_IP - IP_HLEN - 8)
		return -1;
	if (!src)
		src = net_source_for(r, dst);
	if (!src)
		return -1;	/* no route, so no address to speak from */
	struct pkt *p = pkt_alloc();
	if (!p)
		return -1;
	uint8_t *u = p->data;
	uint16_t ulen = (uint16_t)(len + 8);
	wbuf_st16(u, sport);
	wbuf_st16(u + 2, dport);
	wbuf_st16(u + 4, ulen);
	wbuf_st16(u + 6, 0);
	if (len)
		memcpy(u + 8, data, len);
	p->len = ulen;
	uint16_t sum = inet_fold(inet_sum(u, ulen, inet_pseudo_sum(src, dst, IPPROTO_UDP_, ulen)));
	wbuf_st16(u + 6, sum ? sum : 0xffff);	/* 0 means "no checksum" on the wire */
	if (ip_push_header(r, p, src, dst, IPPROTO_UDP_, 255, false) < 0) {
		pkt_free(p);
		return -1;
	}
	p->flags = PKT_F_LOCAL;
	NET(r)->st.udp_sent++;
	return ip_output(r, p, false);
}
