/*
 * IPv4 output: route, crypto map, then fragmentation to the egress MTU and
 * the port (through ARP on Ethernet ports).  Our own packets take the same
 * path as forwarded ones from the route lookup on.
 */
#include <string.h>

#include "core/wbuf.h"
#include "ipsec/ipsec.h"
#include "net/capture.h"
#include "net/inet.h"
#include "net/net_priv.h"

uint32_t net_source_for(struct router *r, uint32_t dst)
{
	struct iface *lo = net_local_iface(r, dst);
	if (lo)
		return lo->addr;
	struct iface *out = route_lookup(r, dst, NULL);
	return out && out->has_addr ? out->addr : 0;
}

int ip_push_header(struct router *r, struct pkt *p, uint32_t src, uint32_t dst, uint8_t proto,
		   uint8_t ttl, bool df)
{
	if (p->len + IP_HLEN > PKT_MAX_IP)
		return -1;
	uint8_t *ip = pkt_push(p, IP_HLEN);
	if (!ip)
		return -1;
	struct iface *out = route_lookup(r, dst, NULL);
	if (!out)
		out = net_local_iface(r, dst);
	/* Identification per egress interface (iface.ip_id), any interface as a fallback. */
	uint16_t id = out ? out->ip_id++ : r->niface ? r->ifaces[0].ip_id++ : 0;
	ip[IPH_VHL] = 0x45;
	ip[IPH_TOS] = 0;
	wbuf_st16(ip + IPH_LEN, (uint16_t)p->len);
	wbuf_st16(ip + IPH_ID, id);
	wbuf_st16(ip + IPH_OFF, df ? IP_DF : 0);
	ip[IPH_TTL] = ttl;
	ip[IPH_PROTO] = proto;
	wbuf_st32(ip + IPH_SRC, src);
	wbuf_st32(ip + IPH_DST, dst);
	ip_set_cksum(ip);
	return 0;
}

static int link_send(struct router *r, struct iface *ifp, struct pkt *p, uint32_t nexthop)
{
	NET(r)->st.sent++;
	if (ifp->cap)
		capture_packet(r, ifp, p, CAP_OUT);
	if (ifp->port->ether)
		return arp_output(r, ifp, p, nexthop);
	return port_output(ifp->port, p);
}

/* The options RFC 791 says every fragment carries (copied flag set), padded. */
static size_t copied_options(const uint8_t *ip, size_t hlen, uint8_t *out)
{
	size_t i = IP_HLEN, n = 0;
	while (i < hlen) {
		uint8_t t = ip[i];
		if (t == 0)
			break;
		if (t == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hlen || ip[i + 1] < 2 || i + ip[i + 1] > hlen)
			break;
		size_t l = ip[i + 1];
		if (t & 0x80) {
			memcpy(out + n, ip + i, l);
			n += l;
		}
		i += l;
	}
	while (n % 4)
		out[n++] = 0;
	return n;
}

static int fragment(struct router *r, struct iface *ifp, struct pkt *p, uint32_t nexthop)
{
	struct net_state *n = NET(r);
	const uint8_t *ip = p->data;
	size_t hlen = (size_t)(ip[IPH_VHL] & 0x0f) * 4;
	size_t payload = p->len - hlen;
	uint16_t off = wbuf_be16(ip + IPH_OFF);
	size_t base = (size_t)(off & IP_OFFMASK) * 8;
	bool more = off & IP_MF;
	uint8_t opts[40];
	size_t olen = copied_options(ip, hlen, opts);
	if (ifp->mtu < hlen + 8 || ifp->mtu < IP_HLEN + olen + 8) {
		n->st.cant_fragment++;
		ifp->c.out_drops++;
		pkt_free(p);
		return -1;
	}
	int rc = 0;
	for (size_t pos = 0; pos < payload;) {
		size_t hl = pos == 0 ? hlen : IP_HLEN + olen;
		size_t chunk = payload - pos;
		if (hl + chunk > ifp->mtu)
			chunk = (ifp->mtu - hl) & ~(size_t)7;
		bool last = pos + chunk == payload;
		struct pkt *f = pkt_alloc();
		if (!f) {
			ifp->c.out_drops++;
			rc = -1;
			break;
		}
		uint8_t *h = f->data;
		memcpy(h, ip, IP_HLEN);
		if (pos == 0) {
			memcpy(h + IP_HLEN, ip + IP_HLEN, hlen - IP_HLEN);
		} else {
			memcpy(h + IP_HLEN, opts, olen);
			h[IPH_VHL] = (uint8_t)(0x40 | (hl / 4));
		}
		memcpy(h + hl, ip + hlen + pos, chunk);
		f->len = hl + chunk;
		f->flags = p->flags;
		wbuf_st16(h + IPH_LEN, (uint16_t)f->len);
		wbuf_st16(h + IPH_OFF,
			  (uint16_t)(((base + pos) / 8) | (!last || more ? IP_MF : 0)));
		ip_set_cksum(h);
		n->st.frag_created++;
		link_send(r, ifp, f, nexthop);
		pos += chunk;
	}
	n->st.fragmented++;
	pkt_free(p);
	return rc;
}

int ip_output_iface(struct router *r, struct iface *ifp, struct pkt *p, uint32_t nexthop)
{
	if (!ifp || !iface_is_up(ifp) || p->len < IP_HLEN) {
		if (ifp)
			ifp->c.out_drops++;
		pkt_free(p);
		return -1;
	}
	if (p->len <= ifp->mtu)
		return link_send(r, ifp, p, nexthop);
	if (wbuf_be16(p->data + IPH_OFF) & IP_DF) {
		NET(r)->st.cant_fragment++;
		icmp_send_error(r, p, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, ifp->mtu);
		ifp->c.out_drops++;
		pkt_free(p);
		return -1;
	}
	return fragment(r, ifp, p, nexthop);
}

int ip_output(struct router *r, struct pkt *p, bool no_crypto)
{
	if (p->len < IP_HLEN) {
		pkt_free(p);
		return -1;
	}
	uint8_t *ip = p->data;
	uint32_t dst = wbuf_be32(ip + IPH_DST);
	struct iface *lo = net_local_iface(r, dst);
	if (lo) {
		/* To ourselves (ping our own address): straight to local delivery. */
		if (wbuf_be32(ip + IPH_SRC) == 0) {
			wbuf_st32(ip + IPH_SRC, lo->addr);
			ip_set_cksum(ip);
		}
		p->in_if = NULL;
		ip_local_deliver(r, p);
		return 0;
	}
	return ip_route_output(r, p, no_crypto);
}

int ip_route_output(struct router *r, struct pkt *p, bool no_crypto)
{
	struct net_state *n = NET(r);
	uint8_t *ip = p->data;
	uint32_t dst = wbuf_be32(ip + IPH_DST);
	uint32_t nexthop;
	struct iface *out = route_lookup(r, dst, &nexthop);
	if (!out) {
		n->st.no_route++;
		if (!(p->flags & PKT_F_LOCAL)) {
			icmp_send_error(r, p, ICMP_UNREACH, ICMP_UNREACH_HOST, 0);
			if (p->in_if)
				p->in_if->c.in_drops++;
		}
		char d[IP_FMT_LEN];
		log_msg_rl(&r->log, &n->rl_route, ev_now(r->ev), 10000, "IP", SEV_INFO, "NOROUTE",
			   "No route to %s, packet dropped", ip_fmt(dst, d));
		pkt_free(p);
		return -1;
	}
	if ((p->flags & PKT_F_LOCAL) && wbuf_be32(ip + IPH_SRC) == 0) {
		wbuf_st32(ip + IPH_SRC, out->addr);
		ip_set_cksum(ip);
	}
	if (r->debug & DBG_IP_PACKET) {
		char s[IP_FMT_LEN], d[IP_FMT_LEN];
		log_debug(&r->log, "IP: s=%s (%s), d=%s (%s), len %zu, %s",
			  ip_fmt(wbuf_be32(ip + IPH_SRC), s), p->in_if ? p->in_if->name : "local",
			  ip_fmt(dst, d), out->name, p->len,
			  p->flags & PKT_F_LOCAL ? "sending" : "forward");
	}
	if (out->cap)
		capture_packet(r, out, p, CAP_CMAP_OUT);
	if (!no_crypto && ipsec_egress(r, out, p, nexthop) == IPSEC_CONSUMED)
		return 0;
	return ip_output_iface(r, out, p, nexthop);
}
