/* ESP/AH data path through two in-process routers (the seed lab). */
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/wbuf.h"
#include "ipsec/ipsec.h"
#include "t.h"
#include "test_sadb_fixture.h"

static const uint32_t A_IN = IP4(10, 0, 0, 1), B_IN = IP4(10, 0, 2, 2);

static struct iface *wan(struct fx_router *fr) { return &fr->r->ifaces[0]; }

static void install_both(struct fx *f, const struct cfg_transform_set *xf, uint32_t spi_base)
{
	struct sadb_bundle_spec s;
	fx_spec(&s, 0, xf, spi_base);
	CHECK(sadb_install(f->a.r, &s) > 0);
	fx_spec(&s, 1, xf, spi_base);
	CHECK(sadb_install(f->b.r, &s) > 0);
}

static struct ipsec_flowrec *flow0(struct fx_router *fr) { return fr->r->ipsec->flows; }

/* Sends one packet A->B through egress and B's input; true when B delivered it intact. */
static bool one_way(struct fx_router *from, struct fx_router *to, uint32_t src, uint32_t dst,
		    size_t len, uint16_t id)
{
	struct pkt *p = fx_icmp(src, dst, len, id);
	uint8_t copy[2048];
	memcpy(copy, p->data, len);
	if (ipsec_egress(from->r, wan(from), p, 0) != IPSEC_CONSUMED)
		return false;
	if (fx_count(&from->out) != 1)
		return false;
	fx_carry(from, to);
	struct pkt *q = pktq_pop(&to->in);
	if (!q)
		return false;
	bool ok = q->len == len && !memcmp(q->data, copy, len) && (q->flags & PKT_F_DECAPPED);
	pkt_free(q);
	return ok;
}

static void round_trip(const struct cfg_transform_set *xf)
{
	struct fx f;
	fx_seed(&f, xf, false);
	install_both(&f, xf, 0x10000);
	int good = 0, n = 0;
	for (size_t len = 28; len < 1300; len += 97, n++) {
		good += one_way(&f.a, &f.b, A_IN, B_IN, len, (uint16_t)len);
		good += one_way(&f.b, &f.a, B_IN, A_IN, len + 1, (uint16_t)len);
	}
	CHECK(good == 2 * n);
	if (good != 2 * n)
		fprintf(stderr, "    transform %d/%d/%d/%d failed\n", xf->ah, xf->esp_enc,
			xf->esp_keybits, xf->esp_auth);
	const struct ipsec_counters *c = &flow0(&f.b)->c;
	CHECK(c->encaps == (uint64_t)n && c->decaps == (uint64_t)n);
	CHECK(c->recv_errors == 0 && c->send_errors == 0);
	bool enc = xf->esp_enc != XF_ENC_NONE && xf->esp_enc != XF_ENC_NULL;
	CHECK(c->encrypt == (enc ? (uint64_t)n : 0));
	CHECK(c->digest == (uint64_t)n && c->verify == (uint64_t)n);
	fx_free(&f);
}

TEST(esp_round_trip_every_transform)
{
	static const struct { enum cfg_xf_enc e; uint16_t bits; } encs[] = {
		{ XF_ENC_NONE, 0 }, { XF_ENC_DES, 0 }, { XF_ENC_3DES, 0 }, { XF_ENC_AES, 128 },
		{ XF_ENC_AES, 192 }, { XF_ENC_AES, 256 }, { XF_ENC_GCM, 128 }, { XF_ENC_GCM, 192 },
		{ XF_ENC_GCM, 256 }, { XF_ENC_NULL, 0 },
	};
	int tried = 0;
	for (size_t i = 0; i < sizeof(encs) / sizeof(encs[0]); i++)
		for (int auth = XF_AUTH_NONE; auth <= XF_AUTH_SHA512; auth++)
			for (int ah = XF_AH_NONE; ah <= XF_AH_SHA512; ah++) {
				struct cfg_transform_set xf = fx_xf("t", (enum cfg_xf_ah)ah, encs[i].e,
								    encs[i].bits, (enum cfg_xf_auth)auth);
				/* Unauthenticated ESP alone is legal in IOS but tested below. */
				if (xf_validate(&xf, NULL) < 0 || (ah == XF_AH_NONE && auth == XF_AUTH_NONE &&
								   encs[i].e != XF_ENC_GCM))
					continue;
				round_trip(&xf);
				tried++;
			}
	CHECK(tried > 250);
}

TEST(esp_outer_header)
{
	struct cfg_transform_set xf = fx_xf("auth2", XF_AH_SHA1, XF_ENC_DES, 0, XF_AUTH_SHA1);
	struct fx f;
	fx_seed(&f, &xf, false);
	install_both(&f, &xf, 0x20000);
	struct pkt *p = fx_icmp(A_IN, B_IN, 100, 7);
	p->data[1] = 0xb8;		/* DSCP EF */
	p->data[6] = 0x40;		/* DF */
	wbuf_st16(p->data + 10, 0);
	wbuf_st16(p->data + 10, inet_cksum(p->data, 20));
	CHECK(ipsec_egress(f.a.r, wan(&f.a), p, 0) == IPSEC_CONSUMED);
	struct pkt *o = pktq_pop(&f.a.out);
	CHECK(o != NULL);
	if (o) {
		const uint8_t *h = o->data;
		CHECK(h[0] == 0x45 && h[9] == 51 && h[8] == OUTER_TTL);
		CHECK(wbuf_be32(h + 12) == IP4(10, 1, 1, 1) && wbuf_be32(h + 16) == IP4(10, 2, 2, 2));
		CHECK(h[1] == 0xb8 && (h[6] & 0x40));
		CHECK(wbuf_be16(h + 2) == o->len);
		CHECK(inet_cksum(h, 20) == 0);
		/* AH: next header ESP, length for a 96-bit ICV, SPI, sequence 1. */
		CHECK(h[20] == 50 && h[21] == 4 && wbuf_be32(h + 24) == 0x20000 && wbuf_be32(h + 28) == 1);
		/* ESP: SPI, sequence 1, 8-byte IV, ciphertext a multiple of 8, 12-byte ICV. */
		CHECK(wbuf_be32(h + 44) == 0x20001 && wbuf_be32(h + 48) == 1);
		CHECK((o->len - 44 - 8 - 8 - 12) % 8 == 0);
		pkt_free(o);
	}
	fx_free(&f);
}

TEST(esp_gcm_iv_is_sequence_number)
{
	struct cfg_transform_set xf = fx_xf("g", XF_AH_NONE, XF_ENC_GCM, 128, XF_AUTH_NONE);
	struct fx f;
	fx_seed(&f, &xf, false);
	install_both(&f, &xf, 0x30000);
	for (uint32_t i = 1; i <= 3; i++) {
		CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 84, 1), 0) == IPSEC_CONSUMED);
		struct pkt *o = pktq_pop(&f.a.out);
		CHECK(o && wbuf_be32(o->data + 24) == i);
		CHECK(o && wbuf_be32(o->data + 28) == 0 && wbuf_be32(o->data + 32) == i);
		/* payload padded to 4: 84 + pad + 2 */
		CHECK(o && (o->len - 20 - 8 - 8 - 16) % 4 == 0);
		pkt_free(o);
	}
	fx_free(&f);
}

/* Flips every bit position (one per byte) from `from` on; none may be accepted. */
static void flip_everything(const struct cfg_transform_set *xf, size_t from, const bool *skip)
{
	struct fx f;
	fx_seed(&f, xf, false);
	install_both(&f, xf, 0x40000);
	CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 200, 9), 0) == IPSEC_CONSUMED);
	struct pkt *o = pktq_pop(&f.a.out);
	CHECK(o != NULL);
	if (!o) {
		fx_free(&f);
		return;
	}
	const struct ipsec_state *st = f.b.r->ipsec;
	const struct ipsec_counters *c = &flow0(&f.b)->c;
	int accepted = 0, uncounted = 0;
	for (size_t i = from; i < o->len; i++) {
		if (skip && skip[i])
			continue;
		for (int bit = 0; bit < 8; bit += 3) {
			uint64_t before = c->recv_errors + st->g.inv_spi_ah + st->g.inv_spi_esp +
					  st->g.malformed_ah + st->g.malformed_esp + st->g.not_ipsec + st->g.wrong_dst;
			struct pkt *q = pkt_clone(o);
			q->data[i] ^= (uint8_t)(1u << bit);
			ipsec_input(f.b.r, q);
			struct pkt *d = pktq_pop(&f.b.in);
			if (d) {
				accepted++;
				pkt_free(d);
			}
			uint64_t after = c->recv_errors + st->g.inv_spi_ah + st->g.inv_spi_esp +
					 st->g.malformed_ah + st->g.malformed_esp + st->g.not_ipsec + st->g.wrong_dst;
			if (after != before + 1)
				uncounted++;
		}
	}
	CHECK(accepted == 0);
	CHECK(uncounted == 0);
	/* The untouched packet still goes through: nothing moved the window. */
	ipsec_input(f.b.r, o);
	CHECK(fx_count(&f.b.in) == 1);
	fx_free(&f);
}

TEST(esp_bit_flips_are_dropped_and_counted)
{
	struct cfg_transform_set cbc = fx_xf("c", XF_AH_NONE, XF_ENC_AES, 128, XF_AUTH_SHA1);
	flip_everything(&cbc, 20, NULL);	/* the outer header is not ESP's to protect */
	struct cfg_transform_set gcm = fx_xf("g", XF_AH_NONE, XF_ENC_GCM, 256, XF_AUTH_NONE);
	flip_everything(&gcm, 20, NULL);
}

TEST(ah_bit_flips_are_dropped_and_counted)
{
	/* AH covers the outer header too, except the mutable fields. */
	bool skip[2048] = { 0 };
	/* TOS, flags + fragment offset, TTL, checksum (RFC 4302 §3.3.3.1.1.1) */
	skip[1] = skip[6] = skip[7] = skip[8] = skip[10] = skip[11] = true;
	struct cfg_transform_set ah = fx_xf("a", XF_AH_SHA1, XF_ENC_NONE, 0, XF_AUTH_NONE);
	flip_everything(&ah, 0, skip);
	struct cfg_transform_set seed = fx_xf("auth2", XF_AH_SHA1, XF_ENC_DES, 0, XF_AUTH_SHA1);
	flip_everything(&seed, 0, skip);
}

TEST(esp_truncated_packets_never_crash)
{
	struct cfg_transform_set xf = fx_xf("auth2", XF_AH_SHA1, XF_ENC_DES, 0, XF_AUTH_SHA1);
	struct fx f;
	fx_seed(&f, &xf, false);
	install_both(&f, &xf, 0x50000);
	CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 120, 9), 0) == IPSEC_CONSUMED);
	struct pkt *o = pktq_pop(&f.a.out);
	for (size_t n = 0; o && n < o->len; n++) {
		struct pkt *q = pkt_clone(o);
		q->len = n;
		if (n >= 4)
			wbuf_st16(q->data + 2, (uint16_t)n);	/* a consistent outer length */
		ipsec_input(f.b.r, q);
		CHECK(fx_count(&f.b.in) == 0);
	}
	pkt_free(o);
	fx_free(&f);
}

TEST(esp_replayed_packet_dropped)
{
	struct cfg_transform_set xf = fx_xf("c", XF_AH_NONE, XF_ENC_AES, 256, XF_AUTH_SHA256);
	struct fx f;
	fx_seed(&f, &xf, false);
	install_both(&f, &xf, 0x60000);
	CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 100, 1), 0) == IPSEC_CONSUMED);
	struct pkt *o = pktq_pop(&f.a.out);
	ipsec_input(f.b.r, pkt_clone(o));
	ipsec_input(f.b.r, o);
	CHECK(fx_count(&f.b.in) == 1);
	CHECK(flow0(&f.b)->c.replay_failed == 1 && flow0(&f.b)->c.recv_errors == 1);
	CHECK(fx_logged(&f.b, "%CRYPTO-4-PKT_REPLAY_ERR: decrypt: replay check failed connection id="));
	fx_free(&f);
}

/* Builds an esp-null/SHA1 packet by hand with a chosen trailer. */
static struct pkt *null_esp(const struct sadb_sa_keys *k, const uint8_t *inner, size_t len,
			    const uint8_t *trailer, size_t tlen, uint32_t seq)
{
	struct pkt *p = pkt_alloc();
	uint8_t *h = p->data;
	size_t esp = 8 + len + tlen, total = 20 + esp + 12;
	ipsec_ip_header(h, total, 0, false, 1, 64, 50, IP4(10, 1, 1, 1), IP4(10, 2, 2, 2));
	wbuf_st32(h + 20, k->spi);
	wbuf_st32(h + 24, seq);
	memcpy(h + 28, inner, len);
	memcpy(h + 28 + len, trailer, tlen);
	struct crypto_integ m;
	crypto_integ_init(&m, "SHA1", k->auth_key, k->auth_key_len, 12);
	crypto_integ_oneshot(&m, h + 20, esp, h + 20 + esp);
	crypto_integ_free(&m);
	p->len = total;
	return p;
}

TEST(esp_padding_and_next_header_checked)
{
	struct cfg_transform_set xf = fx_xf("n", XF_AH_NONE, XF_ENC_NULL, 0, XF_AUTH_SHA1);
	struct fx f;
	fx_seed(&f, &xf, false);
	install_both(&f, &xf, 0x70000);
	struct sadb_bundle_spec s;
	fx_spec(&s, 0, &xf, 0x70000);
	struct pkt *in = fx_icmp(A_IN, B_IN, 29, 3);
	const struct ipsec_counters *c = &flow0(&f.b)->c;

	static const uint8_t good[] = { 1, 1, 4 }, badpad[] = { 9, 1, 4 }, badnh[] = { 1, 1, 41 },
			     longpad[] = { 1, 200, 4 };
	ipsec_input(f.b.r, null_esp(&s.esp_out, in->data, 29, badpad, 3, 1));
	CHECK(c->bad_pad == 1 && fx_count(&f.b.in) == 0);
	ipsec_input(f.b.r, null_esp(&s.esp_out, in->data, 29, longpad, 3, 2));
	CHECK(c->bad_pad == 2 && fx_count(&f.b.in) == 0);
	ipsec_input(f.b.r, null_esp(&s.esp_out, in->data, 29, badnh, 3, 3));
	CHECK(c->invalid_prot == 1 && fx_count(&f.b.in) == 0);
	ipsec_input(f.b.r, null_esp(&s.esp_out, in->data, 29, good, 3, 4));
	CHECK(fx_count(&f.b.in) == 1 && c->decaps == 1);
	CHECK(c->recv_errors == 3);
	pkt_free(in);
	fx_free(&f);
}

TEST(esp_inner_must_match_flow)
{
	struct cfg_transform_set xf = fx_xf("n", XF_AH_NONE, XF_ENC_NULL, 0, XF_AUTH_SHA1);
	struct fx f;
	fx_seed(&f, &xf, false);
	install_both(&f, &xf, 0x80000);
	struct sadb_bundle_spec s;
	fx_spec(&s, 0, &xf, 0x80000);
	/* A valid SA carrying traffic its selectors do not allow (RFC 4301 §5.2). */
	struct pkt *in = fx_icmp(IP4(192, 168, 9, 9), B_IN, 32, 3);
	static const uint8_t tr[] = { 1, 2, 2, 4 };
	ipsec_input(f.b.r, null_esp(&s.esp_out, in->data, 32, tr, 4, 1));
	CHECK(fx_count(&f.b.in) == 0);
	CHECK(flow0(&f.b)->c.invalid_identity == 1 && flow0(&f.b)->c.recv_errors == 1);
	CHECK(fx_logged(&f.b, "%CRYPTO-4-RECVD_PKT_INV_IDENTITY_ACL"));
	pkt_free(in);
	fx_free(&f);
}

TEST(esp_sequence_number_never_wraps)
{
	struct cfg_transform_set xf = fx_xf("g", XF_AH_NONE, XF_ENC_GCM, 128, XF_AUTH_NONE);
	struct fx f;
	fx_seed(&f, &xf, false);
	install_both(&f, &xf, 0x90000);
	struct ipsec_bundle *b = f.a.r->ipsec->bundles;
	b->esp_out.seq = UINT32_MAX - 1;
	CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 60, 1), 0) == IPSEC_CONSUMED);
	CHECK(fx_count(&f.a.out) == 1);
	CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 60, 2), 0) == IPSEC_CONSUMED);
	CHECK(fx_count(&f.a.out) == 1);	/* refused: the nonce would repeat */
	CHECK(flow0(&f.a)->c.rollover_send == 1 && flow0(&f.a)->c.send_errors == 1);
	CHECK(b->esp_out.seq == UINT32_MAX);
	fx_free(&f);
}

TEST(esp_unauthenticated_cipher_round_trip)
{
	/* IOS accepts `esp-aes` alone; it works but only the padding guards it. */
	struct cfg_transform_set xf = fx_xf("e", XF_AH_NONE, XF_ENC_AES, 128, XF_AUTH_NONE);
	struct fx f;
	fx_seed(&f, &xf, false);
	install_both(&f, &xf, 0xA0000);
	CHECK(one_way(&f.a, &f.b, A_IN, B_IN, 300, 1));
	CHECK(flow0(&f.b)->c.verify == 0 && flow0(&f.b)->c.decrypt == 1);
	fx_free(&f);
}

/*
 * `crypto ipsec security-association replay window-size N` is what the
 * receiver's window really is: B gets 250 packets of one SA with the newest
 * first; every older one that fits the configured window is accepted, the
 * rest are replay drops, and `show crypto ipsec sa` says the size as IOS does.
 */
static uint64_t late_arrivals(uint32_t window, struct strbuf *show)
{
	struct cfg_transform_set xf = fx_xf("w", XF_AH_NONE, XF_ENC_AES, 128, XF_AUTH_SHA256);
	struct fx f;
	fx_seed(&f, &xf, false);
	f.b.r->cfg->replay_window = window;
	install_both(&f, &xf, 0x70000);
	enum { N = 250 };	/* the fixture's queues hold 256 */
	struct pkt *o[N];
	for (int i = 0; i < N; i++) {
		CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 100, (uint16_t)i), 0) ==
		      IPSEC_CONSUMED);
		o[i] = pktq_pop(&f.a.out);
	}
	ipsec_input(f.b.r, o[N - 1]);
	for (int i = N - 2; i >= 0; i--)
		ipsec_input(f.b.r, o[i]);
	uint64_t delivered = (uint64_t)fx_count(&f.b.in);
	CHECK(flow0(&f.b)->c.replay_failed == N - delivered);
	ipsec_show_sa(f.b.r, show, SHOW_ALL, NULL, 0, false);
	fx_free(&f);
	return delivered;
}

TEST(esp_replay_window_size_from_config)
{
	struct strbuf sb;
	sb_init(&sb);
	/* Seq 250 first: the window holds it and the size-1 numbers below it. */
	CHECK(late_arrivals(64, &sb) == 64);
	CHECK(strstr(sb_str(&sb), "        replay detection support: Y\n"));
	CHECK(!strstr(sb_str(&sb), "replay window size"));
	static const uint32_t sizes[] = { 128, 512, 1024 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		sb_reset(&sb);
		uint64_t got = late_arrivals(sizes[i], &sb);
		CHECK(got == (sizes[i] < 250 ? sizes[i] : 250));
		if (got != (sizes[i] < 250 ? sizes[i] : 250))
			fprintf(stderr, "    window %u: %llu delivered\n", sizes[i], (unsigned long long)got);
		char want[96];
		snprintf(want, sizeof(want),
			 "        replay detection support: Y  replay window size: %u\n", sizes[i]);
		CHECK(strstr(sb_str(&sb), want));
	}
	sb_free(&sb);
}
