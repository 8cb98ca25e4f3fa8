/*
 * Partial checksums and GSO super-frames from the kernel side of a port.
 *
 * A veth (or a TUN with TUNSETOFFLOAD) hands us what the sending stack
 * built for hardware that would finish it: a TCP/UDP checksum field holding
 * only the pseudo-header sum (VNET_F_NEEDS_CSUM) and TCP or UDP payloads of
 * up to 64 KB behind one header (gso_type, gso_size = the segment payload).
 * We are that hardware.  Segments are built the way the kernel's software
 * GSO builds them, so a host cannot tell which of the two did it:
 *   - IPv4: total length per segment, ID incremented per segment (the
 *     kernel's behaviour without SKB_GSO_TCP_FIXEDID), header checksum;
 *   - TCP: sequence number advanced by the payload already sent; FIN and
 *     PSH only on the last segment, CWR only on the first; options copied;
 *     the checksum over the pseudo-header and the segment;
 *   - UDP (UDP_L4): a UDP header per segment with its own length/checksum.
 * A computed checksum of 0 is written as 0xffff (skb_checksum_help's
 * CSUM_MANGLED_0): equal in one's complement, and what the kernel puts there.
 */
#include "net/gso.h"

#include <string.h>

#include "core/wbuf.h"
#include "core/wire.h"
#include "net/inet.h"

#define TCPH_SEQ 4
#define TCPH_OFF 12
#define TCPH_FLAGS 13
#define TCPH_SUM 16
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80
#define UDPH_LEN 4
#define UDPH_SUM 6

void vnet_hdr_get(struct vnet_hdr *vh, const uint8_t b[VNET_HDR_LEN])
{
	/* The kernel writes the legacy virtio header in host byte order. */
	vh->flags = b[0];
	vh->gso_type = b[1];
	memcpy(&vh->hdr_len, b + 2, 2);
	memcpy(&vh->gso_size, b + 4, 2);
	memcpy(&vh->csum_start, b + 6, 2);
	memcpy(&vh->csum_offset, b + 8, 2);
}

void vnet_hdr_put(uint8_t b[VNET_HDR_LEN], const struct vnet_hdr *vh)
{
	b[0] = vh->flags;
	b[1] = vh->gso_type;
	memcpy(b + 2, &vh->hdr_len, 2);
	memcpy(b + 4, &vh->gso_size, 2);
	memcpy(b + 6, &vh->csum_start, 2);
	memcpy(b + 8, &vh->csum_offset, 2);
}

/* The IPv4 datagram inside a frame, as far as its own header vouches for it. */
struct ip4 {
	size_t l2len;		/* offset of the IPv4 header in the frame */
	size_t ihl;
	size_t tot;		/* total length (<= what the frame holds) */
	uint8_t proto;
	uint16_t id, off;
	uint32_t src, dst;
};

static bool frame_is_ipv4(const struct pkt *p, size_t l2len)
{
	if (l2len == 0)
		return p->len >= 1 && p->data[0] >> 4 == 4;
	/* An Ethernet frame: the type field ends the link header. */
	return l2len >= 2 && p->len > l2len && wbuf_be16(p->data + l2len - 2) == 0x0800;
}

static bool parse_ip4(const struct pkt *p, size_t l2len, struct ip4 *h, const char **why)
{
	struct wbuf_rd rd;
	uint8_t vhl, tos, ttl;
	uint16_t tot, sum;
	wbuf_rd_init(&rd, p->data + l2len, p->len - l2len);
	wbuf_get_u8(&rd, &vhl);
	wbuf_get_u8(&rd, &tos);
	wbuf_get_u16(&rd, &tot);
	wbuf_get_u16(&rd, &h->id);
	wbuf_get_u16(&rd, &h->off);
	wbuf_get_u8(&rd, &ttl);
	wbuf_get_u8(&rd, &h->proto);
	wbuf_get_u16(&rd, &sum);
	wbuf_get_u32(&rd, &h->src);
	wbuf_get_u32(&rd, &h->dst);
	h->l2len = l2len;
	h->ihl = (size_t)(vhl & 0x0f) * 4;
	h->tot = tot;
	if (rd.err || vhl >> 4 != 4 || h->ihl < IP_HLEN || tot < h->ihl || tot > p->len - l2len) {
		*why = "IPv4 header does not fit the frame";
		return false;
	}
	return true;
}

/*
 * Writes a finished checksum.  A UDP checksum that computes to 0 goes out
 * as 0xffff (RFC 768: 0 means "none"); a TCP one stays 0, as the kernel's
 * own segmentation leaves it (0xffff is the same number in one's
 * complement, but checkers such as tshark flag it).
 */
static void put_sum(uint8_t *at, uint32_t sum, bool udp)
{
	uint16_t c = inet_fold(sum);
	wbuf_st16(at, c || !udp ? c : 0xffff);
}

/*
 * NEEDS_CSUM without GSO: the field already holds the pseudo-header sum;
 * the one's-complement sum from csum_start to the end of the datagram,
 * complemented, is the checksum.
 */
static bool finish_csum(struct pkt *p, const struct vnet_hdr *vh, size_t end, size_t min_start,
			bool udp, const char **why)
{
	size_t start = vh->csum_start, at = (size_t)vh->csum_start + vh->csum_offset;
	if (start < min_start || start >= end || at + 2 > end) {
		*why = "checksum offsets outside the packet";
		return false;
	}
	put_sum(p->data + at, inet_sum(p->data + start, end - start, 0), udp);
	return true;
}

static void ip_fix(uint8_t *ip, size_t tot, uint16_t id)
{
	wbuf_st16(ip + IPH_LEN, (uint16_t)tot);
	wbuf_st16(ip + IPH_ID, id);
	ip_set_cksum(ip);
}

/* A fresh segment: the frame's headers (hdrs bytes) and len bytes of payload. */
static struct pkt *seg_new(const struct pkt *p, size_t l2len, size_t hdrs, const uint8_t *pay,
			   size_t len)
{
	struct pkt *s = pkt_alloc();
	if (!s)
		return NULL;
	s->data = s->buf + PKT_HEADROOM - l2len;
	memcpy(s->data, p->data, hdrs);
	memcpy(s->data + hdrs, pay, len);
	s->len = hdrs + len;
	return s;
}

/* A TCP or UDP checksum over len bytes of l4 and the pseudo-header, written at sum_at. */
static void l4_sum(uint8_t *l4, size_t sum_at, size_t len, const struct ip4 *h, uint8_t proto)
{
	l4[sum_at] = l4[sum_at + 1] = 0;
	put_sum(l4 + sum_at, inet_sum(l4, len, inet_pseudo_sum(h->src, h->dst, proto, (uint16_t)len)),
		proto == IPPROTO_UDP_);
}

/*
 * The one split loop for TCP and UDP: each segment gets the frame's
 * headers (the L4 one l4hl bytes) and up to mss bytes of payload, its IP
 * length and ID, then the protocol's own fix-up and the L4 checksum.  One
 * segment is no split: only the checksum is left to finish.
 */
struct seg_l4 {
	uint8_t proto;
	size_t hl, sum_at;
	/* fixes segment i of nseg (payload n bytes at offset off) in its L4 header */
	void (*fix)(uint8_t *l4, const struct seg_l4 *l, size_t i, size_t nseg, size_t off, size_t n);
	uint32_t seq;
	uint8_t flags;
};

static enum gso_rc split(struct pkt *p, const struct ip4 *h, size_t mss, const struct seg_l4 *l,
			 gso_emit_fn emit, void *arg, struct gso_stats *st)
{
	size_t l4len = h->tot - h->ihl, hdrs = h->l2len + h->ihl + l->hl;
	size_t pay = l4len - l->hl, nseg = (pay + mss - 1) / mss;
	if (nseg <= 1) {
		l4_sum(p->data + h->l2len + h->ihl, l->sum_at, l4len, h, l->proto);
		st->csum++;
		return GSO_DELIVER;
	}
	st->frames++;
	for (size_t i = 0, off = 0; i < nseg; i++, off += mss) {
		size_t n = pay - off < mss ? pay - off : mss;
		struct pkt *s = seg_new(p, h->l2len, hdrs, p->data + hdrs + off, n);
		if (!s) {
			st->nomem++;
			continue;
		}
		uint8_t *ip = s->data + h->l2len, *l4 = ip + h->ihl;
		ip_fix(ip, h->ihl + l->hl + n, (uint16_t)(h->id + i));
		l->fix(l4, l, i, nseg, off, n);
		l4_sum(l4, l->sum_at, l->hl + n, h, l->proto);
		st->segs++;
		emit(arg, s);
	}
	pkt_free(p);
	return GSO_SEGMENTED;
}

/* Sequence numbers advance; FIN and PSH only on the last, CWR only on the first. */
static void tcp_fix(uint8_t *t, const struct seg_l4 *l, size_t i, size_t nseg, size_t off, size_t n)
{
	(void)n;
	wbuf_st32(t + TCPH_SEQ, l->seq + (uint32_t)off);
	uint8_t f = l->flags;
	if (i + 1 < nseg)
		f &= (uint8_t)~(TCP_FIN | TCP_PSH);
	if (i > 0)
		f &= (uint8_t)~TCP_CWR;
	t[TCPH_FLAGS] = f;
}

static void udp_fix(uint8_t *u, const struct seg_l4 *l, size_t i, size_t nseg, size_t off, size_t n)
{
	(void)l;
	(void)i;
	(void)nseg;
	(void)off;
	wbuf_st16(u + UDPH_LEN, (uint16_t)(UDP_HLEN + n));
}

static enum gso_rc seg_tcp(struct pkt *p, const struct ip4 *h, size_t mss, gso_emit_fn emit,
			   void *arg, struct gso_stats *st, const char **why)
{
	const uint8_t *tcp = p->data + h->l2len + h->ihl;
	size_t l4len = h->tot - h->ihl;
	if (l4len < 20 || (size_t)(tcp[TCPH_OFF] >> 4) * 4 < 20 ||
	    (size_t)(tcp[TCPH_OFF] >> 4) * 4 > l4len) {
		*why = "TCP header does not fit the frame";
		return GSO_BAD;
	}
	struct seg_l4 l = { IPPROTO_TCP_, (size_t)(tcp[TCPH_OFF] >> 4) * 4, TCPH_SUM, tcp_fix,
			    wbuf_be32(tcp + TCPH_SEQ), tcp[TCPH_FLAGS] };
	return split(p, h, mss, &l, emit, arg, st);
}

static enum gso_rc seg_udp(struct pkt *p, const struct ip4 *h, size_t mss, gso_emit_fn emit,
			   void *arg, struct gso_stats *st, const char **why)
{
	if (h->tot - h->ihl < UDP_HLEN) {
		*why = "UDP header does not fit the frame";
		return GSO_BAD;
	}
	static const struct seg_l4 l = { IPPROTO_UDP_, UDP_HLEN, UDPH_SUM, udp_fix, 0, 0 };
	return split(p, h, mss, &l, emit, arg, st);
}

/* A super-frame: checks that the kind and the packet agree, then segments. */
static enum gso_rc segment(struct pkt *p, size_t l2len, const struct vnet_hdr *vh,
			   gso_emit_fn emit, void *arg, struct gso_stats *st, const char **why)
{
	struct ip4 h;
	uint8_t kind = vh->gso_type & (uint8_t)~VNET_GSO_ECN;
	if (!parse_ip4(p, l2len, &h, why))
		return GSO_BAD;
	if (h.off & (IP_MF | IP_OFFMASK)) {
		*why = "segmentation asked for a fragment";
		return GSO_BAD;
	}
	uint8_t want = kind == VNET_GSO_TCPV4 ? IPPROTO_TCP_ : IPPROTO_UDP_;
	if (h.proto != want || (kind != VNET_GSO_TCPV4 && kind != VNET_GSO_UDP_L4 &&
				kind != VNET_GSO_UDP)) {
		*why = "segmentation type does not match the packet";
		return GSO_BAD;
	}
	if ((vh->flags & VNET_F_NEEDS_CSUM) &&
	    ((size_t)vh->csum_start != l2len + h.ihl ||
	     vh->csum_offset != (kind == VNET_GSO_TCPV4 ? TCPH_SUM : UDPH_SUM))) {
		*why = "checksum offsets do not match the transport header";
		return GSO_BAD;
	}
	if (kind == VNET_GSO_UDP) {
		/*
		 * UFO: one datagram the kernel would IP-fragment; finishing its
		 * checksum is all that is left, ip_output fragments it to the MTU.
		 */
		if (!(vh->flags & VNET_F_NEEDS_CSUM))
			return GSO_DELIVER;
		if (!finish_csum(p, vh, l2len + h.tot, l2len + h.ihl, true, why))
			return GSO_BAD;
		st->csum++;
		return GSO_DELIVER;
	}
	if (vh->gso_size == 0) {
		*why = "segment size 0";
		return GSO_BAD;
	}
	if (kind == VNET_GSO_TCPV4)
		return seg_tcp(p, &h, vh->gso_size, emit, arg, st, why);
	return seg_udp(p, &h, vh->gso_size, emit, arg, st, why);
}

enum gso_rc gso_input(struct pkt *p, size_t l2len, const struct vnet_hdr *vh, gso_emit_fn emit,
		      void *arg, struct gso_stats *st, const char **why)
{
	*why = NULL;
	if (vh->gso_type != VNET_GSO_NONE) {
		/* IPv6 is not ours: the frame goes on to be dropped as an unknown protocol. */
		if ((vh->gso_type & (uint8_t)~VNET_GSO_ECN) == VNET_GSO_TCPV6 ||
		    !frame_is_ipv4(p, l2len))
			return GSO_DELIVER;
		enum gso_rc rc = segment(p, l2len, vh, emit, arg, st, why);
		if (rc == GSO_BAD)
			st->bad++;
		return rc;
	}
	if (!(vh->flags & VNET_F_NEEDS_CSUM))
		return GSO_DELIVER;
	/*
	 * The checksum covers the datagram, not Ethernet padding; for anything
	 * that is not IPv4 (no IPv6 here) the frame's end is all we know.
	 */
	size_t end = p->len, min_start = 0;
	bool udp = true;	/* not IPv4: the kernel's skb_checksum_help rule */
	if (frame_is_ipv4(p, l2len)) {
		struct ip4 h;
		if (!parse_ip4(p, l2len, &h, why)) {
			st->bad++;
			return GSO_BAD;
		}
		end = l2len + h.tot;
		min_start = l2len + h.ihl;
		udp = h.proto == IPPROTO_UDP_;
	}
	if (!finish_csum(p, vh, end, min_start, udp, why)) {
		st->bad++;
		return GSO_BAD;
	}
	st->csum++;
	return GSO_DELIVER;
}
