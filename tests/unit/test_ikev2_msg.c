/*
 * The IKEv2 codec against messages built by scapy's IKEv2 layer
 * (tests/unit/ikev2_vectors.py), and its strictness on broken input.
 */
#include "t.h"

#include <string.h>

#include "ikev2/ikev2_msg.h"

static const char sa_init_hex[] = "010203040506070800000000000000002120220800000000000001b0220000300000002c010100040300000c0100000c800e0100030000080300000c0300000802000005000000080400000e28000108000e0000030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dce3eaf1f8ff060d141b222930373e454c535a61686f767d848b9299a0a7aeb5bcc3cad1d8dfe6edf4fb020910171e252c333a41484f565d646b727980878e959ca3aab1b8bfc6cdd4dbe2e9f0f7fe050c131a21282f363d444b525960676e757c838a91989fa6adb4bbc2c9d0d7dee5ecf3fa01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3dae1e8eff6fd040b121920272e353c434a51585f666d747b828990979ea5acb3bac1c8cfd6dde4ebf2f900070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc290000240102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202900001c00004004000102030405060708090a0b0c0d0e0f101112130000001c000040051415161718191a1b1c1d1e1f2021222324252627";
static const char ts_hex[] = "010203040506070811121314151617182c202308000000010000004c2d00001801000000070000100000ffff0a0000000a0000ff00000018010000000711001001f401f40a0002020a000202";

static uint8_t msg[2048];

TEST(ikev2_decode_scapy_sa_init)
{
	struct ikev2_msg m;
	struct ikev2_props sa;
	struct ikev2_ke ke;
	struct ikev2_notify n;
	const uint8_t *nonce;
	size_t nlen, len = t_hex(sa_init_hex, msg, sizeof(msg));
	CHECK(ikev2_decode(msg, len, &m) == 0);
	CHECK(m.h.exch == IKEV2_EXCH_IKE_SA_INIT && m.h.flags == IKEV2_FLAG_INITIATOR && m.h.msgid == 0);
	CHECK(m.npl == 5 && !m.sk);
	CHECK(ikev2_parse_sa(&m.pl[0], &sa) == 0);
	CHECK(sa.nprop == 1 && sa.prop[0].proto == IKEV2_PROTO_IKE && sa.prop[0].nxf == 4);
	CHECK(sa.prop[0].xf[0].type == IKEV2_XF_ENCR && sa.prop[0].xf[0].id == IKEV2_ENCR_AES_CBC &&
	      sa.prop[0].xf[0].keylen == 256);
	CHECK(sa.prop[0].xf[1].id == IKEV2_AUTH_HMAC_SHA2_256_128 && sa.prop[0].xf[2].id == IKEV2_PRF_HMAC_SHA2_256);
	CHECK(sa.prop[0].xf[3].type == IKEV2_XF_DH && sa.prop[0].xf[3].id == 14);
	CHECK(ikev2_parse_ke(&m.pl[1], &ke) == 0 && ke.group == 14 && ke.len == 256);
	CHECK(ikev2_parse_nonce(&m.pl[2], &nonce, &nlen) == 0 && nlen == 32 && nonce[0] == 1);
	CHECK(ikev2_parse_notify(&m.pl[3], &n) == 0 && n.type == IKEV2_N_NAT_DETECTION_SOURCE_IP && n.len == 20);
	CHECK(ikev2_find_notify(&m, IKEV2_N_NAT_DETECTION_DESTINATION_IP) == &m.pl[4]);
	CHECK(ikev2_find_notify(&m, IKEV2_N_COOKIE) == NULL);

	/* Our writer produces scapy's bytes from what we decoded. */
	uint8_t out[2048];
	struct ikev2_wr w;
	ikev2_wr_init(&w, out, sizeof(out), &m.h);
	ikev2_put_sa(&w, &sa);
	ikev2_put_ke(&w, ke.group, ke.data, ke.len);
	ikev2_put_nonce(&w, nonce, nlen);
	for (int i = 3; i < 5; i++) {
		CHECK(ikev2_parse_notify(&m.pl[i], &n) == 0);
		ikev2_put_notify(&w, n.proto, n.spi, n.spi_len, n.type, n.data, n.len);
	}
	CHECK(ikev2_wr_finish(&w) == len);
	CHECK_MEM(out, msg, len);
}

TEST(ikev2_decode_scapy_traffic_selectors)
{
	struct ikev2_msg m;
	struct ikev2_tsp tsi, tsr;
	size_t len = t_hex(ts_hex, msg, sizeof(msg));
	CHECK(ikev2_decode(msg, len, &m) == 0 && m.npl == 2);
	CHECK(ikev2_parse_ts(&m.pl[0], &tsi) == 0 && ikev2_parse_ts(&m.pl[1], &tsr) == 0);
	CHECK(tsi.nts == 1 && tsi.ts[0].proto == 0 && tsi.ts[0].sport == 0 && tsi.ts[0].eport == 65535);
	CHECK(tsi.ts[0].saddr == 0x0a000000 && tsi.ts[0].eaddr == 0x0a0000ff);
	CHECK(tsr.nts == 1 && tsr.ts[0].proto == 17 && tsr.ts[0].sport == 500 && tsr.ts[0].saddr == 0x0a000202);
	uint8_t out[256];
	struct ikev2_wr w;
	ikev2_wr_init(&w, out, sizeof(out), &m.h);
	ikev2_put_ts(&w, IKEV2_PL_TSI, &tsi);
	ikev2_put_ts(&w, IKEV2_PL_TSR, &tsr);
	CHECK(ikev2_wr_finish(&w) == len);
	CHECK_MEM(out, msg, len);
}

TEST(ikev2_decode_is_strict)
{
	struct ikev2_msg m;
	size_t len = t_hex(sa_init_hex, msg, sizeof(msg));
	/* Trailing byte, and a header length that disagrees with the datagram. */
	msg[len] = 0;
	CHECK(ikev2_decode(msg, len + 1, &m) == IKEV2_N_INVALID_SYNTAX);
	CHECK(ikev2_decode(msg, len - 1, &m) == IKEV2_N_INVALID_SYNTAX);
	CHECK(ikev2_decode(msg, 27, &m) == IKEV2_N_INVALID_SYNTAX);
	/* Major version 3. */
	msg[17] = 0x30;
	CHECK(ikev2_decode(msg, len, &m) == IKEV2_N_INVALID_MAJOR_VERSION);
	msg[17] = 0x21;		/* a minor version is ignored (§3.1) */
	CHECK(ikev2_decode(msg, len, &m) == 0);
	msg[17] = 0x20;
	/* A payload length running past the message; one shorter than its header. */
	msg[28 + 2] = 0x7f;
	CHECK(ikev2_decode(msg, len, &m) == IKEV2_N_INVALID_SYNTAX);
	msg[28 + 2] = 0;
	msg[28 + 3] = 3;
	CHECK(ikev2_decode(msg, len, &m) == IKEV2_N_INVALID_SYNTAX);
}

/* A message of one payload of  with the given flags byte. */
static size_t one_payload(uint8_t type, uint8_t flags, size_t body)
{
	struct ikev2_hdr h = { .exch = IKEV2_EXCH_INFORMATIONAL };
	struct ikev2_wr w;
	ikev2_wr_init(&w, msg, sizeof(msg), &h);
	size_t at = ikev2_pl_begin(&w, type);
	wbuf_put_zero(&w.w, body);
	ikev2_pl_end(&w, at);
	msg[at + 1] = flags;
	return ikev2_wr_finish(&w);
}

TEST(ikev2_unknown_payloads_and_critical_bit)
{
	struct ikev2_msg m;
	size_t len = one_payload(200, 0, 6);
	CHECK(ikev2_decode(msg, len, &m) == 0 && m.npl == 0);	/* skipped (§2.5) */
	len = one_payload(200, IKEV2_PL_CRITICAL, 6);
	CHECK(ikev2_decode(msg, len, &m) == IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD && m.bad_critical == 200);
	/* The critical bit on a payload we know changes nothing. */
	len = one_payload(IKEV2_PL_V, IKEV2_PL_CRITICAL, 6);
	CHECK(ikev2_decode(msg, len, &m) == 0 && m.npl == 1 && m.pl[0].critical);
}

TEST(ikev2_encrypted_payload_must_be_last)
{
	struct ikev2_msg m;
	struct ikev2_hdr h = { .exch = IKEV2_EXCH_INFORMATIONAL };
	struct ikev2_wr w;
	ikev2_wr_init(&w, msg, sizeof(msg), &h);
	size_t at = ikev2_pl_begin(&w, IKEV2_PL_SK);
	wbuf_put_zero(&w.w, 40);
	ikev2_pl_end(&w, at);
	size_t len = ikev2_wr_finish(&w);
	CHECK(ikev2_decode(msg, len, &m) == 0 && m.sk == &m.pl[0] && m.sk->len == 40);
	/* Something after SK. */
	ikev2_wr_init(&w, msg, sizeof(msg), &h);
	at = ikev2_pl_begin(&w, IKEV2_PL_SK);
	wbuf_put_zero(&w.w, 40);
	ikev2_pl_end(&w, at);
	msg[at] = IKEV2_PL_V;	/* the SK says its first inner payload is V: fine */
	len = ikev2_wr_finish(&w);
	CHECK(ikev2_decode(msg, len, &m) == 0 && m.sk_inner_np == IKEV2_PL_V);
	/* An SK inside an SK. */
	uint8_t inner[8] = { 0, 0, 0, 8, 0, 0, 0, 0 };
	CHECK(ikev2_decode_inner(&m, IKEV2_PL_SK, inner, 8) == IKEV2_N_INVALID_SYNTAX);
	/* SKF fragment numbers: 0, or above the total, are refused. */
	ikev2_wr_init(&w, msg, sizeof(msg), &h);
	at = ikev2_pl_begin(&w, IKEV2_PL_SKF);
	wbuf_put_u16(&w.w, 3);
	wbuf_put_u16(&w.w, 2);
	wbuf_put_zero(&w.w, 40);
	ikev2_pl_end(&w, at);
	len = ikev2_wr_finish(&w);
	CHECK(ikev2_decode(msg, len, &m) == IKEV2_N_INVALID_SYNTAX);
	wbuf_st16(msg + at + 4, 2);
	CHECK(ikev2_decode(msg, len, &m) == 0 && m.frag_no == 2 && m.frag_total == 2 && m.sk->len == 40);
}

TEST(ikev2_payload_bodies_are_strict)
{
	struct ikev2_pl pl;
	struct ikev2_delete d;
	struct ikev2_notify n;
	struct ikev2_props sa;
	const uint8_t *p;
	size_t l;
	uint8_t b[64] = { 0 };
	pl.body = b;
	/* Nonces of 15 and 257 bytes. */
	pl.len = 15;
	CHECK(ikev2_parse_nonce(&pl, &p, &l) == IKEV2_N_INVALID_SYNTAX);
	pl.len = 16;
	CHECK(ikev2_parse_nonce(&pl, &p, &l) == 0);
	/* Delete: IKE with an SPI size, ESP with 2 SPIs but 7 bytes. */
	uint8_t del1[] = { 1, 8, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8 };
	pl.body = del1, pl.len = sizeof(del1);
	CHECK(ikev2_parse_delete(&pl, &d) == IKEV2_N_INVALID_SYNTAX);
	uint8_t del2[] = { 3, 4, 0, 2, 1, 2, 3, 4, 5, 6, 7 };
	pl.body = del2, pl.len = sizeof(del2);
	CHECK(ikev2_parse_delete(&pl, &d) == IKEV2_N_INVALID_SYNTAX);
	uint8_t del3[] = { 3, 4, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8 };
	pl.body = del3, pl.len = sizeof(del3);
	CHECK(ikev2_parse_delete(&pl, &d) == 0 && d.nspi == 2 && d.spis[4] == 5);
	/* Notify with an SPI size of 9. */
	uint8_t nt[] = { 3, 9, 0, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	pl.body = nt, pl.len = sizeof(nt);
	CHECK(ikev2_parse_notify(&pl, &n) == IKEV2_N_INVALID_SYNTAX);
	nt[1] = 4;
	CHECK(ikev2_parse_notify(&pl, &n) == 0 && n.type == IKEV2_N_INVALID_SPI && n.len == 5);
	/* SA: a proposal claiming 2 transforms that carries 1; "more" flag on the last. */
	uint8_t sa1[] = { 0, 0, 0, 16, 1, 3, 0, 2, 0, 0, 0, 8, 1, 0, 0, 12 };
	pl.body = sa1, pl.len = sizeof(sa1);
	CHECK(ikev2_parse_sa(&pl, &sa) == IKEV2_N_INVALID_SYNTAX);
	sa1[7] = 1;
	CHECK(ikev2_parse_sa(&pl, &sa) == 0 && sa.prop[0].xf[0].id == 12);
	sa1[0] = IKEV2_PROP_MORE;
	CHECK(ikev2_parse_sa(&pl, &sa) == IKEV2_N_INVALID_SYNTAX);
	/* A transform with an attribute we do not know is kept but marked. */
	uint8_t sa2[] = { 0, 0, 0, 20, 1, 3, 0, 1, 0, 0, 0, 12, 1, 0, 0, 12, 0x80, 0x05, 0, 1 };
	pl.body = sa2, pl.len = sizeof(sa2);
	CHECK(ikev2_parse_sa(&pl, &sa) == 0 && sa.prop[0].xf[0].unknown_attr);
}
