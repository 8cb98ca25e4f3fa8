/*
 * Software GSO and checksum completion (src/net/gso.c).
 *
 * gso_kernel_matches_capture: the kernel's own segmentation of the same
 * super-frames (tests/unit/data/gso_kernel.txt, made by gso_capture.sh on a
 * veth with offloads off): TCP with options and a short last segment
 * (FIN/PSH only on the last, CWR only on the first, IPv4 IDs counting up,
 * sequence numbers wrapping), an exact multiple of the MSS (IDs wrapping),
 * and UDP GSO; each also as GRO would hand it over (checksum verified,
 * stale checksum field, no partial offsets).  The comparison is byte for byte, Ethernet header included;
 * nothing legitimately differs for these frames.  (The one place the two
 * could differ, a checksum that computes to 0, is written 0xffff by both:
 * see gso.c.)
 */
#include "t.h"

#include <stdlib.h>

#include "core/pkt.h"
#include "core/wbuf.h"
#include "core/wire.h"
#include "net/gso.h"
#include "net/inet.h"

#define MAXSEG 64

struct segs {
	int n;
	struct pkt *p[MAXSEG];
};

static void collect(void *arg, struct pkt *seg)
{
	struct segs *s = arg;
	if (s->n < MAXSEG)
		s->p[s->n++] = seg;
	else
		pkt_free(seg);
}

static void segs_free(struct segs *s)
{
	for (int i = 0; i < s->n; i++)
		pkt_free(s->p[i]);
	s->n = 0;
}

static struct pkt *frame_from_hex(const char *hex, size_t l2len)
{
	struct pkt *p = pkt_alloc();
	p->data = p->buf + PKT_HEADROOM - l2len;
	p->len = t_hex(hex, p->data, PKT_MAX_IP + l2len);
	return p;
}

static char *read_data(const char *name)
{
	char path[512];
	const char *top = getenv("TOP");
	snprintf(path, sizeof(path), "%s/tests/unit/data/%s", top ? top : ".", name);
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	size_t got = fread(buf, 1, (size_t)n, f);
	buf[got] = 0;
	fclose(f);
	return buf;
}

/*
 * One case of the capture: runs gso_input on "in" and compares with "out".
 * gro: present the frame as GRO delivers one from a NIC instead (checksum
 * verified, not partial; the merged header's checksum field stale): the
 * segments must come out the same.
 */
static void run_case(const char *name, const struct vnet_hdr *vh_in, const char *in, char **outs,
		     int nout, int *cases, bool gro)
{
	struct gso_stats st = { 0 };
	struct segs s = { 0 };
	const char *why = NULL;
	struct pkt *p = frame_from_hex(in, 14);
	struct vnet_hdr gv = *vh_in;
	const struct vnet_hdr *vh = vh_in;
	if (gro) {
		gv.flags = VNET_F_DATA_VALID;
		gv.csum_start = gv.csum_offset = 0;
		size_t at = 14 + 20 + (p->data[14 + 9] == 6 ? 16 : 6);
		p->data[at] ^= 0x5a;
		p->data[at + 1] ^= 0xa5;
		vh = &gv;
	}
	enum gso_rc rc = gso_input(p, 14, vh, collect, &s, &st, &why);
	CHECK(rc == GSO_SEGMENTED);
	if (rc != GSO_SEGMENTED) {
		fprintf(stderr, "  %s: %s\n", name, why ? why : "not segmented");
		pkt_free(p);	/* not segmented: still ours */
		return;
	}
	CHECK(s.n == nout);
	CHECK(st.frames == 1 && st.segs == (uint64_t)nout && st.bad == 0);
	for (int i = 0; i < s.n && i < nout; i++) {
		uint8_t want[2048];
		size_t wl = t_hex(outs[i], want, sizeof(want));
		CHECK(s.p[i]->len == wl);
		bool same = s.p[i]->len == wl && memcmp(s.p[i]->data, want, wl) == 0;
		CHECK(same);
		if (!same) {
			for (size_t k = 0; k < wl && k < s.p[i]->len; k++)
				if (s.p[i]->data[k] != want[k]) {
					fprintf(stderr, "  %s segment %d: first difference at byte %zu "
						"(ours %02x, kernel %02x)\n", name, i, k,
						s.p[i]->data[k], want[k]);
					break;
				}
		}
	}
	segs_free(&s);
	(*cases)++;
}

TEST(gso_kernel_matches_capture)
{
	char *text = read_data("gso_kernel.txt");
	CHECK(text != NULL);
	if (!text)
		return;
	size_t base = pkt_in_use();
	int cases = 0, nout = 0;
	char name[64] = "", *in = NULL, *outs[MAXSEG];
	struct vnet_hdr vh = { 0 };
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned f, g, hl, gs, cs, co;
		if (sscanf(line, "case %63s", name) == 1) {
			in = NULL;
			nout = 0;
		} else if (sscanf(line, "vnet %u %u %u %u %u %u", &f, &g, &hl, &gs, &cs, &co) == 6) {
			vh = (struct vnet_hdr){ (uint8_t)f, (uint8_t)g, (uint16_t)hl, (uint16_t)gs,
						(uint16_t)cs, (uint16_t)co };
		} else if (strncmp(line, "in ", 3) == 0) {
			in = line + 3;
		} else if (strncmp(line, "out ", 4) == 0 && nout < MAXSEG) {
			outs[nout++] = line + 4;
		} else if (strcmp(line, "end") == 0 && in) {
			CHECK(nout > 1);
			run_case(name, &vh, in, outs, nout, &cases, false);
			run_case(name, &vh, in, outs, nout, &cases, true);
		}
	}
	CHECK(cases == 6);
	CHECK(pkt_in_use() == base);
	free(text);
}

/* A UDP datagram as charon sends it over a veth: checksum field = pseudo-header sum. */
static struct pkt *partial_udp(size_t paylen, struct vnet_hdr *vh)
{
	struct pkt *p = pkt_alloc();
	p->data = p->buf + PKT_HEADROOM - 14;
	uint8_t *f = p->data;
	memset(f, 0, 14);
	f[12] = 0x08;
	uint8_t *ip = f + 14, *u = ip + 20;
	size_t l4 = 8 + paylen;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	wbuf_st16(ip + IPH_LEN, (uint16_t)(20 + l4));
	ip[IPH_TTL] = 64;
	ip[IPH_PROTO] = IPPROTO_UDP_;
	wbuf_st32(ip + IPH_SRC, 0xc0000202);
	wbuf_st32(ip + IPH_DST, 0xc0000201);
	ip_set_cksum(ip);
	wbuf_st16(u, 500);
	wbuf_st16(u + 2, 500);
	wbuf_st16(u + 4, (uint16_t)l4);
	for (size_t i = 0; i < paylen; i++)
		u[8 + i] = (uint8_t)(i * 13 + 1);
	uint32_t ps = inet_pseudo_sum(0xc0000202, 0xc0000201, IPPROTO_UDP_, (uint16_t)l4);
	while (ps >> 16)
		ps = (ps & 0xffff) + (ps >> 16);
	wbuf_st16(u + 6, (uint16_t)ps);
	p->len = 14 + 20 + l4;
	*vh = (struct vnet_hdr){ VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 0, 34, 6 };
	return p;
}

TEST(gso_finishes_partial_udp_checksum)
{
	struct gso_stats st = { 0 };
	struct vnet_hdr vh;
	const char *why;
	struct pkt *p = partial_udp(301, &vh);
	/* Ethernet padding behind the datagram must not enter the sum. */
	memset(p->data + p->len, 0xee, 20);
	size_t dlen = p->len;
	p->len += 20;
	CHECK(gso_input(p, 14, &vh, collect, NULL, &st, &why) == GSO_DELIVER);
	CHECK(st.csum == 1 && st.bad == 0);
	uint8_t *ip = p->data + 14;
	uint32_t ps = inet_pseudo_sum(0xc0000202, 0xc0000201, IPPROTO_UDP_, (uint16_t)(dlen - 34));
	/* A receiver's check: the sum over pseudo-header and datagram folds to 0. */
	CHECK(inet_fold(inet_sum(ip + 20, dlen - 34, ps)) == 0);
	CHECK(wbuf_be16(ip + 26) != 0);
	pkt_free(p);
}

TEST(gso_rejects_headers_that_do_not_fit)
{
	struct gso_stats st = { 0 };
	struct segs s = { 0 };
	struct vnet_hdr vh;
	const char *why;
	size_t base = pkt_in_use();
	struct pkt *p = partial_udp(100, &vh);
	/* Checksum field beyond the datagram. */
	vh.csum_offset = 200;
	CHECK(gso_input(p, 14, &vh, collect, &s, &st, &why) == GSO_BAD && why);
	/* Checksum start inside the IPv4 header. */
	vh.csum_start = 20;
	vh.csum_offset = 6;
	CHECK(gso_input(p, 14, &vh, collect, &s, &st, &why) == GSO_BAD);
	/* TCP segmentation asked for a UDP datagram. */
	vh = (struct vnet_hdr){ VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, 0, 40, 34, 16 };
	CHECK(gso_input(p, 14, &vh, collect, &s, &st, &why) == GSO_BAD);
	/* UDP segmentation with segment size 0. */
	vh = (struct vnet_hdr){ VNET_F_NEEDS_CSUM, VNET_GSO_UDP_L4, 0, 0, 34, 6 };
	CHECK(gso_input(p, 14, &vh, collect, &s, &st, &why) == GSO_BAD);
	/* Checksum offset not at the UDP checksum. */
	vh = (struct vnet_hdr){ VNET_F_NEEDS_CSUM, VNET_GSO_UDP_L4, 0, 40, 34, 2 };
	CHECK(gso_input(p, 14, &vh, collect, &s, &st, &why) == GSO_BAD);
	/* An IPv4 total length beyond the frame. */
	wbuf_st16(p->data + 14 + IPH_LEN, 2000);
	vh = (struct vnet_hdr){ VNET_F_NEEDS_CSUM, VNET_GSO_UDP_L4, 0, 40, 34, 6 };
	CHECK(gso_input(p, 14, &vh, collect, &s, &st, &why) == GSO_BAD);
	CHECK(st.bad == 6 && st.csum == 0 && st.segs == 0 && s.n == 0);
	pkt_free(p);
	CHECK(pkt_in_use() == base);
}

TEST(gso_udp_l4_segments_are_whole_datagrams)
{
	struct gso_stats st = { 0 };
	struct segs s = { 0 };
	struct vnet_hdr vh;
	const char *why;
	struct pkt *p = partial_udp(2500, &vh);
	vh.gso_type = VNET_GSO_UDP_L4;
	vh.gso_size = 1000;
	CHECK(gso_input(p, 14, &vh, collect, &s, &st, &why) == GSO_SEGMENTED);
	CHECK(s.n == 3 && st.frames == 1 && st.segs == 3);
	for (int i = 0; i < s.n; i++) {
		uint8_t *ip = s.p[i]->data + 14;
		size_t l4 = i < 2 ? 1008 : 508;
		CHECK(s.p[i]->len == 14 + 20 + l4);
		CHECK(wbuf_be16(ip + IPH_LEN) == 20 + l4 && inet_cksum(ip, 20) == 0);
		CHECK(wbuf_be16(ip + 24) == l4);
		uint32_t ps = inet_pseudo_sum(0xc0000202, 0xc0000201, IPPROTO_UDP_, (uint16_t)l4);
		CHECK(inet_fold(inet_sum(ip + 20, l4, ps)) == 0);
		CHECK(wbuf_be16(ip + IPH_ID) == i);
	}
	segs_free(&s);
}

TEST(gso_tun_frames_have_no_link_header)
{
	/* A TUN port: the IPv4 header starts the frame, csum_start counts from it. */
	struct gso_stats st = { 0 };
	struct vnet_hdr vh;
	const char *why;
	struct pkt *p = partial_udp(64, &vh);
	pkt_pull(p, 14);
	vh.csum_start = 20;
	CHECK(gso_input(p, 0, &vh, collect, NULL, &st, &why) == GSO_DELIVER);
	uint32_t ps = inet_pseudo_sum(0xc0000202, 0xc0000201, IPPROTO_UDP_, 72);
	CHECK(inet_fold(inet_sum(p->data + 20, 72, ps)) == 0);
	pkt_free(p);
}

/* A TCP or UDP datagram whose checksum field holds the pseudo-header sum; word0 opens the payload. */
static struct pkt *partial_l4(uint8_t proto, uint16_t word0, struct vnet_hdr *vh)
{
	size_t hl = proto == IPPROTO_TCP_ ? 20 : 8, sumat = proto == IPPROTO_TCP_ ? 16 : 6, l4 = hl + 64;
	struct pkt *p = pkt_alloc();
	p->data = p->buf + PKT_HEADROOM - 14;
	uint8_t *f = p->data, *ip = f + 14, *t = ip + 20;
	memset(f, 0, 14 + 20 + l4);
	f[12] = 0x08;
	ip[0] = 0x45;
	wbuf_st16(ip + IPH_LEN, (uint16_t)(20 + l4));
	ip[IPH_TTL] = 64;
	ip[IPH_PROTO] = proto;
	wbuf_st32(ip + IPH_SRC, 0x0a000110);
	wbuf_st32(ip + IPH_DST, 0x0a000210);
	ip_set_cksum(ip);
	wbuf_st16(t, 40000);
	wbuf_st16(t + 2, 5201);
	if (proto == IPPROTO_TCP_)
		t[12] = 5 << 4;
	else
		wbuf_st16(t + 4, (uint16_t)l4);
	wbuf_st16(t + hl, word0);
	for (size_t i = 2; i < 64; i++)
		t[hl + i] = (uint8_t)(i * 7 + 3);
	uint32_t ps = inet_pseudo_sum(0x0a000110, 0x0a000210, proto, (uint16_t)l4);
	while (ps >> 16)
		ps = (ps & 0xffff) + (ps >> 16);
	wbuf_st16(t + sumat, (uint16_t)ps);
	p->len = 14 + 20 + l4;
	*vh = (struct vnet_hdr){ VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 0, 34, (uint16_t)sumat };
	return p;
}

/* The checksum gso writes for a datagram whose payload opens with word0. */
static uint16_t finished_sum(uint8_t proto, uint16_t word0)
{
	struct gso_stats st = { 0 };
	struct vnet_hdr vh;
	const char *why;
	struct pkt *p = partial_l4(proto, word0, &vh);
	CHECK(gso_input(p, 14, &vh, collect, NULL, &st, &why) == GSO_DELIVER && st.csum == 1);
	uint8_t *ip = p->data + 14;
	size_t l4 = wbuf_be16(ip + IPH_LEN) - 20;
	CHECK(inet_fold(inet_sum(ip + 20, l4, inet_pseudo_sum(0x0a000110, 0x0a000210, proto, (uint16_t)l4))) == 0);
	uint16_t c = wbuf_be16(ip + 20 + vh.csum_offset);
	pkt_free(p);
	return c;
}

TEST(gso_zero_checksum_is_0_for_tcp_ffff_for_udp)
{
	/* A first payload word equal to the checksum it gave makes the sum come to 0. */
	uint16_t c = finished_sum(IPPROTO_TCP_, 0);
	CHECK(finished_sum(IPPROTO_TCP_, c) == 0x0000);	/* tshark flags 0xffff for TCP */
	c = finished_sum(IPPROTO_UDP_, 0);
	CHECK(finished_sum(IPPROTO_UDP_, c) == 0xffff);	/* RFC 768: 0 would mean "no checksum" */
}
