#include "t.h"

#include <stdlib.h>

#include "core/pkt.h"
#include "core/wbuf.h"
#include "net/inet.h"
#include "net/net_priv.h"
#include "test_ipv4_helpers.h"

#define DST IP4(10, 2, 2, 1)
#define SRC IP4(10, 2, 2, 9)

struct got {
	int n;
	size_t len;
	uint8_t data[8000];
};

static void on_udp(void *arg, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		   const uint8_t *data, size_t len)
{
	struct got *g = arg;
	(void)src, (void)sport, (void)dst, (void)dport;
	g->n++;
	g->len = len;
	memcpy(g->data, data, len < sizeof(g->data) ? len : sizeof(g->data));
}

static struct router *receiver(struct evloop *ev, struct capture *cap, struct got *g)
{
	static const struct tr_if ifs[] = {
		{ "FastEthernet0/0", DST, 0xffffff00, "mem:", false, 0 },
	};
	struct router *r = tr_new(ev, "RX", ifs, 1, NULL, 0);
	cap_attach(cap, &r->ifaces[0]);
	udp_bind(r, 4000, on_udp, g);
	return r;
}

/* One fragment of the datagram `d` (an IPv4 packet with a 20-byte header). */
static size_t frag_of(uint8_t *out, const uint8_t *d, size_t off, size_t len, bool more)
{
	uint16_t id = wbuf_be16(d + 4);
	return tr_ip(out, wbuf_be32(d + 12), wbuf_be32(d + 16), d[9], 64, id,
		     (uint16_t)(off / 8 | (more ? 0x2000 : 0)), d + 20 + off, len);
}

static size_t big_udp(uint8_t *b, size_t n)
{
	static uint8_t data[8000];
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	return tr_udp(b, SRC, DST, 1234, 4000, data, n);
}

TEST(frag_output_fragments_then_reassembly_round_trip)
{
	struct evloop *ev = ev_new();
	static const struct tr_if ifs[] = {
		{ "FastEthernet0/0", IP4(10, 1, 1, 1), 0xffffff00, "mem:", false, 0 },
		{ "FastEthernet0/1", IP4(10, 2, 2, 2), 0xffffff00, "mem:", false, 576 },
	};
	struct router *fw = tr_new(ev, "FW", ifs, 2, NULL, 0);
	struct capture fin, fout, rcap;
	cap_attach(&fin, &fw->ifaces[0]);
	cap_attach(&fout, &fw->ifaces[1]);
	struct got g = { 0 };
	struct router *rx = receiver(ev, &rcap, &g);
	static uint8_t d[9000];
	size_t dlen = big_udp(d, 3000);
	/* The sender sits behind Fa0/0 this time. */
	wbuf_st32(d + 12, IP4(10, 1, 1, 9));
	ip_set_cksum(d);
	size_t udplen = dlen - 20;
	uint8_t *u = d + 20;
	wbuf_st16(u + 6, 0);	/* no UDP checksum: the source changed under it */
	tr_inject(&fw->ifaces[0], d, dlen);
	CHECK(fout.n == 6);	/* 3008 payload bytes in 552-byte pieces */
	size_t total = 0;
	for (int i = 0; i < fout.n; i++) {
		const uint8_t *f = fout.frame[i];
		uint16_t off = wbuf_be16(f + 6);
		CHECK(fout.len[i] <= 576);
		CHECK(inet_cksum(f, 20) == 0);
		CHECK((size_t)(off & 0x1fff) * 8 == total);
		CHECK(((off & 0x2000) != 0) == (i < fout.n - 1));
		CHECK(wbuf_be16(f + 2) == fout.len[i]);
		CHECK(f[8] == 63);
		total += fout.len[i] - 20;
	}
	CHECK(total == udplen);
	CHECK(NET(fw)->st.fragmented == 1 && NET(fw)->st.frag_created == 6);
	/* Reassemble at the receiver, last fragment first, with a duplicate thrown in. */
	for (int i = fout.n - 1; i >= 0; i--) {
		tr_inject(&rx->ifaces[0], fout.frame[i], fout.len[i]);
		if (i == 3)
			tr_inject(&rx->ifaces[0], fout.frame[i], fout.len[i]);
	}
	CHECK(g.n == 1 && g.len == 3000);
	CHECK(g.n == 1 && memcmp(g.data, d + 28, 3000) == 0);
	CHECK(NET(rx)->st.reasm_ok == 1 && NET(rx)->st.frag_dup == 1);
	cap_reset(&fin);
	cap_reset(&fout);
	cap_reset(&rcap);
	tr_free(fw);
	tr_free(rx);
	ev_free(ev);
}

TEST(frag_reassembly_in_any_order)
{
	struct evloop *ev = ev_new();
	struct capture cap;
	struct got g = { 0 };
	struct router *rx = receiver(ev, &cap, &g);
	static uint8_t d[9000];
	size_t dlen = big_udp(d, 4000);
	size_t plen = dlen - 20;
	srand(11);
	for (int round = 0; round < 20; round++) {
		int order[8];
		size_t piece = 512;
		int nf = (int)((plen + piece - 1) / piece);
		for (int i = 0; i < nf; i++)
			order[i] = i;
		for (int i = nf - 1; i > 0; i--) {
			int j = rand() % (i + 1), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		wbuf_st16(d + 4, (uint16_t)(100 + round));	/* a fresh datagram each round */
		for (int k = 0; k < nf; k++) {
			uint8_t f[600];
			size_t off = (size_t)order[k] * piece;
			size_t len = off + piece > plen ? plen - off : piece;
			size_t flen = frag_of(f, d, off, len, off + len < plen);
			tr_inject(&rx->ifaces[0], f, flen);
		}
		CHECK(g.n == round + 1);
	}
	CHECK(g.len == 4000 && memcmp(g.data, d + 28, 4000) == 0);
	CHECK(pkt_in_use() == 0);
	cap_reset(&cap);
	tr_free(rx);
	ev_free(ev);
}

TEST(frag_overlap_oversize_and_limits_dropped_and_counted)
{
	struct evloop *ev = ev_new();
	ev_set_virtual(ev, 1000);
	struct capture cap;
	struct got g = { 0 };
	struct router *rx = receiver(ev, &cap, &g);
	static uint8_t d[9000];
	size_t dlen = big_udp(d, 2000);
	(void)dlen;
	uint8_t f[1600];
	size_t n;
	/* Overlap: [0,1024) then [512,1536): the whole datagram is abandoned. */
	wbuf_st16(d + 4, 1);
	n = frag_of(f, d, 0, 1024, true);
	tr_inject(&rx->ifaces[0], f, n);
	n = frag_of(f, d, 512, 1024, true);
	tr_inject(&rx->ifaces[0], f, n);
	n = frag_of(f, d, 1024, 1008 - 24 + 24, false);
	tr_inject(&rx->ifaces[0], f, n);
	CHECK(g.n == 0);
	CHECK(NET(rx)->st.frag_overlap == 1);
	CHECK(rx->ifaces[0].c.in_frag_drops >= 1);
	/* Beyond 65535 bytes (teardrop's cousin, ping of death). */
	uint8_t junk[100] = { 0 };
	n = tr_ip(f, SRC, DST, 17, 64, 2, 8189, junk, 100);
	tr_inject(&rx->ifaces[0], f, n);
	CHECK(NET(rx)->st.frag_oversize == 1);
	/* A middle fragment whose length is not a multiple of 8. */
	n = tr_ip(f, SRC, DST, 17, 64, 3, 0x2000 | 10, junk, 13);
	tr_inject(&rx->ifaces[0], f, n);
	CHECK(NET(rx)->st.frag_oversize == 2);
	/* Bounded: beyond one source's share, its oldest datagrams are evicted. */
	for (int i = 0; i < FRAG_PER_SRC_MAX + 5; i++) {
		n = tr_ip(f, SRC, DST, 17, 64, (uint16_t)(1000 + i), 0x2000, junk, 96);
		tr_inject(&rx->ifaces[0], f, n);
	}
	CHECK(NET(rx)->st.frag_evicted >= 5 && NET(rx)->st.frag_nomem == 0);
	CHECK(pkt_in_use() <= FRAG_PER_SRC_MAX);
	/* After the timeout they all time out and the buffers come back. */
	cap_reset(&cap);
	ev_advance(ev, FRAG_TIMEOUT_MS + 1000);
	CHECK(NET(rx)->st.reasm_timeout >= FRAG_PER_SRC_MAX - 1);
	CHECK(pkt_in_use() == 0);
	/* Each had fragment zero, so each earned a time-exceeded (reassembly), rate-limited. */
	CHECK(cap.n >= 1 && cap.frame[0][20] == 11 && cap.frame[0][21] == 1);
	cap_reset(&cap);
	tr_free(rx);
	ev_free(ev);
}

TEST(frag_timeout_without_first_fragment_sends_nothing)
{
	struct evloop *ev = ev_new();
	ev_set_virtual(ev, 1000);
	struct capture cap;
	struct got g = { 0 };
	struct router *rx = receiver(ev, &cap, &g);
	static uint8_t d[9000];
	big_udp(d, 2000);
	uint8_t f[1600];
	size_t n = frag_of(f, d, 1024, 984, false);
	tr_inject(&rx->ifaces[0], f, n);
	ev_advance(ev, FRAG_TIMEOUT_MS - 1000);
	CHECK(NET(rx)->st.reasm_timeout == 0);
	ev_advance(ev, 2000);
	CHECK(NET(rx)->st.reasm_timeout == 1);
	CHECK(cap.n == 0);	/* RFC 792: only when fragment zero arrived */
	CHECK(pkt_in_use() == 0);
	/* The late first fragment cannot complete the abandoned datagram. */
	n = frag_of(f, d, 0, 1024, true);
	tr_inject(&rx->ifaces[0], f, n);
	CHECK(g.n == 0);
	cap_reset(&cap);
	tr_free(rx);
	ev_free(ev);
}

TEST(frag_copied_options_only_in_later_fragments)
{
	struct evloop *ev = ev_new();
	static const struct tr_if ifs[] = {
		{ "FastEthernet0/0", IP4(10, 1, 1, 1), 0xffffff00, "mem:", false, 0 },
		{ "FastEthernet0/1", IP4(10, 2, 2, 2), 0xffffff00, "mem:", false, 600 },
	};
	struct router *fw = tr_new(ev, "FW", ifs, 2, NULL, 0);
	struct capture fin, fout;
	cap_attach(&fin, &fw->ifaces[0]);
	cap_attach(&fout, &fw->ifaces[1]);
	static uint8_t b[2000];
	/* 32-byte header: router alert (copied), record route (not copied), EOL padding. */
	const uint8_t opts[12] = { 0x94, 4, 0, 0, 0x07, 7, 4, 0, 0, 0, 0, 0 };
	memset(b, 0x5a, sizeof(b));
	b[0] = 0x48;
	wbuf_st16(b + 2, 1032);
	wbuf_st16(b + 4, 42);
	wbuf_st16(b + 6, 0);
	b[8] = 64;
	b[9] = 253;
	wbuf_st32(b + 12, IP4(10, 1, 1, 9));
	wbuf_st32(b + 16, IP4(10, 2, 2, 9));
	memcpy(b + 20, opts, 12);
	ip_set_cksum(b);
	tr_inject(&fw->ifaces[0], b, 1032);
	CHECK(fout.n == 2);
	if (fout.n == 2) {
		CHECK((fout.frame[0][0] & 0xf) == 8 && memcmp(fout.frame[0] + 20, opts, 12) == 0);
		CHECK((fout.frame[1][0] & 0xf) == 6 && fout.frame[1][20] == 0x94);
		CHECK(inet_cksum(fout.frame[1], 24) == 0);
		CHECK((wbuf_be16(fout.frame[1] + 6) & 0x1fff) * 8 == fout.len[0] - 32);
		CHECK(fout.len[0] - 32 + fout.len[1] - 24 == 1000);
	}
	cap_reset(&fin);
	cap_reset(&fout);
	tr_free(fw);
	ev_free(ev);
}

TEST(frag_memory_full_evicts_the_oldest)
{
	struct evloop *ev = ev_new();
	ev_set_virtual(ev, 1000);
	struct capture cap;
	struct got g = { 0 };
	struct router *rx = receiver(ev, &cap, &g);
	static uint8_t junk[64000], f[64100];
	size_t n;
	/* Sixteen 64000-byte first fragments: 1,024,000 of the 1 MiB allowed. */
	for (int i = 0; i < 16; i++) {
		n = tr_ip(f, SRC, DST, 17, 64, (uint16_t)(2000 + i), 0x2000, junk, sizeof(junk));
		tr_inject(&rx->ifaces[0], f, n);
	}
	CHECK(NET(rx)->frag.bytes == 16 * sizeof(junk));
	CHECK(NET(rx)->st.frag_nomem == 0);
	/* A new datagram (another source) that does not fit evicts the oldest. */
	n = tr_ip(f, SRC + 1, DST, 17, 64, 3000, 0x2000, junk, sizeof(junk));
	tr_inject(&rx->ifaces[0], f, n);
	CHECK(NET(rx)->st.frag_nomem == 0 && NET(rx)->st.frag_evicted == 1);
	int used = 0;
	for (int i = 0; i < FRAG_MAX_REASM; i++)
		used += NET(rx)->frag.q[i].used;
	CHECK(used == 16);
	CHECK(NET(rx)->frag.bytes == 16 * sizeof(junk));
	ev_advance(ev, FRAG_TIMEOUT_MS + 1000);
	CHECK(pkt_in_use() == 0);
	cap_reset(&cap);
	tr_free(rx);
	ev_free(ev);
}
