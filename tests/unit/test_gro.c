/*
 * GRO toward hosts (net/fastpath_gro.c): TCP segments a worker forwards to
 * a host are merged into one super-frame behind a virtio-net header.  The
 * proof that the frame is right is the kernel's own contract: segmenting it
 * again (gso_input, which tests/unit/test_gso.c holds byte for byte to the
 * kernel's software GSO) must give back exactly the segments that went in,
 * checksums, lengths, IDs and flags included.  Then a table of segments
 * that must not merge.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/pkt.h"
#include "core/wbuf.h"
#include "core/wire.h"
#include "net/fp_int.h"
#include "net/inet.h"
#include "t.h"

#define MSS 1000
static const uint8_t host_mac[6] = { 2, 0, 0, 0, 9, 9 };

struct seg_spec {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	uint32_t tsval;
	size_t pay;
	uint16_t id;
};

/* A TCP/IPv4 segment 10.0.1.10:40000 -> 10.0.2.10:5201 with a timestamp option, checksums done. */
static struct pkt *segment(const struct seg_spec *s)
{
	struct pkt *p = pkt_alloc();
	uint8_t *ip = p->data, *th = ip + IP_HLEN;
	size_t thl = 32, len = IP_HLEN + thl + s->pay;
	memset(ip, 0, len);
	ip[0] = 0x45;
	wbuf_st16(ip + IPH_LEN, (uint16_t)len);
	wbuf_st16(ip + IPH_ID, s->id);
	wbuf_st16(ip + IPH_OFF, IP_DF);
	ip[IPH_TTL] = 63;
	ip[IPH_PROTO] = IPPROTO_TCP_;
	wbuf_st32(ip + IPH_SRC, 0x0a00010au);
	wbuf_st32(ip + IPH_DST, 0x0a00020au);
	ip_set_cksum(ip);
	wbuf_st16(th, 40000);
	wbuf_st16(th + 2, 5201);
	wbuf_st32(th + 4, s->seq);
	wbuf_st32(th + 8, s->ack);
	th[12] = (uint8_t)((thl / 4) << 4);
	th[13] = s->flags;
	wbuf_st16(th + 14, s->win);
	th[20] = 1, th[21] = 1, th[22] = 8, th[23] = 10;	/* NOP NOP TS */
	wbuf_st32(th + 24, s->tsval);
	wbuf_st32(th + 28, 12345);
	for (size_t i = 0; i < s->pay; i++)
		th[thl + i] = (uint8_t)(s->seq + i);
	uint16_t l4 = (uint16_t)(thl + s->pay);
	wbuf_st16(th + 16, inet_fold(inet_sum(th, l4, inet_pseudo_sum(0x0a00010au, 0x0a00020au,
								       IPPROTO_TCP_, l4))));
	p->len = len;
	return p;
}

struct setup {
	struct fp_tab *t;
	struct fp_wk w;
	int sp[2];
};

static int setup(struct setup *s)
{
	s->t = calloc(1, sizeof(*s->t));
	if (!s->t || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, s->sp) < 0)
		return -1;
	struct fp_if *fi = &s->t->ifs[0];
	*fi = (struct fp_if){ .ok = true, .mtu = 1500, .mac = { 2, 0, 0, 0, 1, 0 }, .vnet = VNET_HDR_LEN };
	fi->txfd[1] = s->sp[0];
	s->t->nif = 1;
	fp_wk_init(&s->w, NULL, 0, 1, 0, VNET_HDR_LEN);
	return 0;
}

static void teardown(struct setup *s)
{
	close(s->sp[0]);
	close(s->sp[1]);
	free(s->t);
}

/* Feeds the segments, flushes, and reads back every frame sent (vnet header first). */
static int run(struct setup *s, const struct seg_spec *segs, int n, uint8_t out[][70000],
	       size_t *outlen)
{
	for (int i = 0; i < n; i++)
		fp_gro_add(&s->w, s->t, 0, host_mac, segment(&segs[i]));
	fp_gro_flush(&s->w, s->t);
	fp_wk_flush(&s->w);
	int k = 0;
	ssize_t r;
	while (k < 16 && (r = recv(s->sp[1], out[k], sizeof(out[k]), 0)) > 0)
		outlen[k++] = (size_t)r;
	return k;
}

struct got {
	struct pkt *seg[64];
	int n;
};

static void collect(void *arg, struct pkt *seg)
{
	struct got *g = arg;
	if (g->n < 64)
		g->seg[g->n++] = seg;
	else
		pkt_free(seg);
}

static uint8_t frames[16][70000];

TEST(gro_super_frame_segments_back_into_what_went_in)
{
	struct setup s;
	CHECK(setup(&s) == 0);
	struct seg_spec in[6];
	for (int i = 0; i < 6; i++)
		in[i] = (struct seg_spec){ .seq = 5000 + (uint32_t)i * MSS, .ack = 777, .flags = 0x10,
					   .win = 501, .tsval = 99, .pay = MSS, .id = (uint16_t)(300 + i) };
	in[5].pay = 300;	/* the last one short, with PSH */
	in[5].flags = 0x18;
	size_t len[16];
	int k = run(&s, in, 6, frames, len);
	CHECK(k == 1);
	struct vnet_hdr vh;
	vnet_hdr_get(&vh, frames[0]);
	CHECK(vh.gso_type == VNET_GSO_TCPV4 && vh.flags == VNET_F_NEEDS_CSUM);
	CHECK(vh.gso_size == MSS && vh.csum_start == 34 && vh.csum_offset == 16 &&
	      vh.hdr_len == 14 + 20 + 32);
	CHECK(len[0] == VNET_HDR_LEN + 14 + 20 + 32 + 5 * MSS + 300);
	CHECK(!memcmp(frames[0] + VNET_HDR_LEN, host_mac, 6));
	/*
	 * The partial checksum, finished as a NIC (or skb_checksum_help) would
	 * (the sum from csum_start on, the field holding the pseudo-header
	 * sum), is the TCP checksum of the whole super-frame.
	 */
	uint8_t *l4 = frames[0] + VNET_HDR_LEN + vh.csum_start;
	size_t l4len = len[0] - VNET_HDR_LEN - vh.csum_start;
	uint16_t finished = inet_fold(inet_sum(l4, l4len, 0));
	uint16_t partial = wbuf_be16(l4 + 16);
	wbuf_st16(l4 + 16, 0);
	uint16_t full = inet_fold(inet_sum(l4, l4len, inet_pseudo_sum(0x0a00010au, 0x0a00020au,
								      IPPROTO_TCP_, (uint16_t)l4len)));
	CHECK(finished == full);
	wbuf_st16(l4 + 16, partial);
	/* Segmented again as the kernel would: the same six segments, byte for byte. */
	struct pkt *p = pkt_alloc();
	memcpy(p->data, frames[0] + VNET_HDR_LEN, len[0] - VNET_HDR_LEN);
	p->len = len[0] - VNET_HDR_LEN;
	struct got g = { .n = 0 };
	struct gso_stats st = { 0 };
	const char *why = NULL;
	CHECK(gso_input(p, 14, &vh, collect, &g, &st, &why) == GSO_SEGMENTED);
	CHECK(g.n == 6);
	for (int i = 0; i < g.n && i < 6; i++) {
		struct pkt *want = segment(&in[i]);
		CHECK(g.seg[i]->len == want->len + 14);
		if (g.seg[i]->len == want->len + 14)
			CHECK_MEM(g.seg[i]->data + 14, want->data, want->len);
		CHECK(inet_cksum(g.seg[i]->data + 14, 20) == 0);
		pkt_free(want);
		pkt_free(g.seg[i]);
	}
	CHECK(atomic_load(&s.w.gro_frames) == 1 && atomic_load(&s.w.gro_segs) == 6);
	teardown(&s);
}

/* Pairs of segments: whether the second may join the first. */
static const struct {
	const char *name;
	struct seg_spec b;	/* the first is always seq 1000, ACK only, MSS bytes */
	int frames;
} pairs[] = {
	{ "next in order", { 1000 + MSS, 7, 0x10, 501, 99, MSS, 2 }, 1 },
	{ "a gap in sequence", { 1000 + MSS + 1, 7, 0x10, 501, 99, MSS, 2 }, 2 },
	{ "another ACK number", { 1000 + MSS, 8, 0x10, 501, 99, MSS, 2 }, 2 },
	{ "another window", { 1000 + MSS, 7, 0x10, 502, 99, MSS, 2 }, 2 },
	{ "another timestamp", { 1000 + MSS, 7, 0x10, 501, 100, MSS, 2 }, 2 },
	{ "FIN", { 1000 + MSS, 7, 0x11, 501, 99, MSS, 2 }, 2 },
	{ "bigger than the first", { 1000 + MSS, 7, 0x10, 501, 99, MSS + 1, 2 }, 2 },
	{ "a pure ACK", { 1000 + MSS, 7, 0x10, 501, 99, 0, 2 }, 2 },
	{ "PSH closes it", { 1000 + MSS, 7, 0x18, 501, 99, MSS, 2 }, 1 },
};

TEST(gro_merges_only_what_linux_gro_would)
{
	for (size_t c = 0; c < sizeof(pairs) / sizeof(pairs[0]); c++) {
		struct setup s;
		CHECK(setup(&s) == 0);
		struct seg_spec two[2] = { { 1000, 7, 0x10, 501, 99, MSS, 1 }, pairs[c].b };
		size_t len[16];
		int k = run(&s, two, 2, frames, len);
		if (k != pairs[c].frames)
			t_fail(__FILE__, __LINE__, pairs[c].name);
		/* Unmerged frames go out whole: no GSO, checksums finished. */
		for (int i = 0; k == 2 && i < 2; i++) {
			struct vnet_hdr vh;
			vnet_hdr_get(&vh, frames[i]);
			CHECK(vh.gso_type == VNET_GSO_NONE && vh.flags == 0);
			CHECK(inet_cksum(frames[i] + VNET_HDR_LEN + 14, 20) == 0);
		}
		teardown(&s);
	}
}
