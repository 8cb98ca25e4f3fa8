/*
 * GRO on the way out: TCP segments a worker decapsulated for a host, one
 * after another in a batch, go to the host as one super-frame behind a
 * virtio-net header (GSO TCPv4, partial checksum), as a NIC's GRO would
 * have handed them to its stack: the host takes one packet through its
 * stack instead of up to 44.  The kernel segments it again only if the
 * host forwards it.
 *
 * Segments merge under the rules of Linux's tcp_gro_receive: same addresses,
 * ports, TOS and TTL; the next sequence number; the same ACK number, data
 * offset, flags (PSH may close the frame) and window; the same TCP options
 * bytes (timestamps included); every payload the size of the first but the
 * last, which may be shorter and then closes the frame.  Anything else
 * sends what is built and starts again, so segments keep their order.
 * A super-frame never outlives the batch (fp_gro_flush at its end).
 */
#include <string.h>

#include "core/wbuf.h"
#include "core/wire.h"
#include "net/fp_int.h"
#include "net/inet.h"

#define GRO_MAX_BYTES 62000	/* IPv4 bytes of a super-frame: under 64 KB with room to spare */
#define GRO_MAX_SEGS 44		/* as Linux's MAX_GRO_SKBS-era limit of 64 KB / MSS */
#define TH_FIN 0x01
#define TH_PSH 0x08
#define TH_ACK 0x10


void fp_gro_flush(struct fp_wk *w, const struct fp_tab *t)
{
	struct fp_gro *g = &w->gro;
	struct pkt *p = g->p;
	if (!p)
		return;
	g->p = NULL;
	if (g->segs == 1) {
		fp_tx_queue(w, t, g->o, g->mac, p, NULL, 1);
		return;
	}
	uint8_t *ip = p->data;
	wbuf_st16(ip + IPH_LEN, (uint16_t)p->len);
	ip_set_cksum(ip);
	/* CHECKSUM_PARTIAL: the field holds the pseudo-header sum, the kernel (or the host) adds the rest. */
	uint16_t l4 = (uint16_t)(p->len - IP_HLEN);
	uint16_t pseudo = (uint16_t)~inet_fold(inet_pseudo_sum(wbuf_be32(ip + IPH_SRC),
							       wbuf_be32(ip + IPH_DST), IPPROTO_TCP_, l4));
	wbuf_st16(ip + IP_HLEN + 16, pseudo);
	struct vnet_hdr vh = {
		.flags = VNET_F_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV4,
		.hdr_len = (uint16_t)(ETH_HLEN + g->hl), .gso_size = (uint16_t)g->mss,
		.csum_start = ETH_HLEN + IP_HLEN, .csum_offset = 16,
	};
	uint8_t raw[VNET_HDR_LEN];
	vnet_hdr_put(raw, &vh);
	fp_count(&w->gro_frames, 1);
	fp_count(&w->gro_segs, g->segs);
	fp_tx_queue(w, t, g->o, g->mac, p, raw, g->segs);
}

/* Whether segment s (its IPv4 header at s, TCP header th, payload pay bytes) continues g. */
static bool continues(const struct fp_gro *g, int o, const uint8_t *s, const uint8_t *th,
		      size_t thl, size_t pay)
{
	const uint8_t *f = g->p->data, *fth = f + IP_HLEN;
	if (o != g->o || g->hl != IP_HLEN + thl || !pay || pay > g->mss ||
	    g->p->len + pay > GRO_MAX_BYTES || g->segs >= GRO_MAX_SEGS)
		return false;
	/* TOS, then TTL, then the addresses; ports; ACK number; offset, flags but PSH, window; options. */
	return f[1] == s[1] && f[8] == s[8] && !memcmp(f + 12, s + 12, 8) && !memcmp(fth, th, 4) &&
	       wbuf_be32(th + 4) == g->next_seq && !memcmp(fth + 8, th + 8, 5) &&
	       (fth[13] | TH_PSH) == (th[13] | TH_PSH) && !memcmp(fth + 14, th + 14, 2) &&
	       !memcmp(fth + 20, th + 20, thl - 20);
}

void fp_gro_add(struct fp_wk *w, const struct fp_tab *t, int o, const uint8_t *mac, struct pkt *p)
{
	struct fp_gro *g = &w->gro;
	const uint8_t *ip = p->data, *th = ip + IP_HLEN;
	size_t thl = p->len >= IP_HLEN + 20 ? (size_t)(th[12] >> 4) * 4 : 0;
	if (thl < 20 || IP_HLEN + thl > p->len) {
		fp_gro_flush(w, t);
		fp_tx_queue(w, t, o, mac, p, NULL, 1);
		return;
	}
	size_t pay = p->len - IP_HLEN - thl;
	uint8_t flags = th[13];
	if (g->p && continues(g, o, ip, th, thl, pay)) {
		memcpy(g->p->data + g->p->len, ip + IP_HLEN + thl, pay);
		g->p->len += pay;
		g->next_seq += (uint32_t)pay;
		g->segs++;
		g->p->data[IP_HLEN + 13] |= flags & TH_PSH;
		pkt_free(p);
		if ((flags & TH_PSH) || pay < g->mss)
			fp_gro_flush(w, t);
		return;
	}
	fp_gro_flush(w, t);
	/* Only data segments with ACK alone (PSH closes a frame, it cannot open one) start a frame. */
	if (flags != TH_ACK || !pay || pkt_tailroom(p) < GRO_MAX_BYTES - p->len) {
		fp_tx_queue(w, t, o, mac, p, NULL, 1);
		return;
	}
	*g = (struct fp_gro){ .p = p, .o = o, .next_seq = wbuf_be32(th + 4) + (uint32_t)pay,
			      .hl = IP_HLEN + thl, .mss = pay, .segs = 1 };
	memcpy(g->mac, mac, 6);
}
