/*
 * IKEv2 keying (RFC 7296 §2.13-2.18) and the Encrypted payload (§3.14,
 * RFC 5282) against values computed independently with Python's
 * hashlib/hmac and python3-cryptography (tests/unit/ikev2_vectors.py).
 */
#include "t.h"

#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "ikev2/ikev2_keys.h"
#include "ikev2/ikev2_sk.h"

static uint8_t ni[32], nr[32], gir[256], spii[8], spir[8];

static void inputs(void)
{
	for (int i = 0; i < 32; i++) {
		ni[i] = (uint8_t)(i + 1);
		nr[i] = (uint8_t)(i + 101);
	}
	for (int i = 0; i < 256; i++)
		gir[i] = (uint8_t)(i * 7 + 3);
	t_hex("0102030405060708", spii, 8);
	t_hex("1112131415161718", spir, 8);
}

static void derive(struct ikev2_ike_keys *k)
{
	inputs();
	memset(k, 0, sizeof(*k));
	k->integ_len = 32;	/* HMAC-SHA2-256-128 keys are 32 bytes */
	k->enc_len = 16;	/* AES-128-CBC */
	CHECK(ikev2_derive_ike(IKE_HASH_SHA256, NULL, ni, 32, nr, 32, gir, 256, spii, spir, k) == 0);
}

TEST(ikev2_prf_plus)
{
	uint8_t out[100], want[100];
	const struct ikev2_chunk s[] = { { "se", 2 }, { "ed", 2 } };
	CHECK(ikev2_prf_plus(IKE_HASH_SHA256, (const uint8_t *)"key", 3, s, 2, out, 100) == 0);
	t_hex("a2392e429a99b173341b368bb5ce320bfd483d89567c14ec187c2d77e3c0a208ba45d21d42611712996c0cd4b329ac8681e093a8a5bbbbf0fb8c9d1cf674f7423fe3d2fbd6641ff544749daa37804f04be0b1beba59ddc3867c3016209779fa74e8b8654", want, 100);
	CHECK_MEM(out, want, 100);
	/* 255 blocks at most (§2.13). */
	uint8_t *big = malloc(256 * 32);
	CHECK(ikev2_prf_plus(IKE_HASH_SHA256, (const uint8_t *)"k", 1, s, 2, big, 255 * 32) == 0);
	CHECK(ikev2_prf_plus(IKE_HASH_SHA256, (const uint8_t *)"k", 1, s, 2, big, 255 * 32 + 1) < 0);
	free(big);
}

TEST(ikev2_ike_sa_keys)
{
	struct ikev2_ike_keys k;
	uint8_t want[32];
	derive(&k);
	CHECK(k.prf_len == 32);
	t_hex("e5edbed7ef7e2cdd53fbd36d2607b54e13a61e91caf4c7fe26872cb3186ee4aa", want, 32);
	CHECK_MEM(k.sk_d, want, 32);
	t_hex("d3e591e6d91733c0547e0581ec1dcea8c055df1c478926304306099ff9c38e2f", want, 32);
	CHECK_MEM(k.sk_ai, want, 32);
	t_hex("dcb5b5aec15097db6251dcbe57a8887f4c1b35641d91a97b47ff08d303a49e3e", want, 32);
	CHECK_MEM(k.sk_ar, want, 32);
	t_hex("f65e157332a1c7f5026e6966c6e9c57e", want, 16);
	CHECK_MEM(k.sk_ei, want, 16);
	t_hex("d8520a2bedd8561711836860ed8d4983", want, 16);
	CHECK_MEM(k.sk_er, want, 16);
	t_hex("9169d3258f4144c422c1d997f5c6fc67df4dfd1fbb288b632eef089829f53c5d", want, 32);
	CHECK_MEM(k.sk_pi, want, 32);
	t_hex("9283ed4aa0c17b06b1042f826955c478213dab9ee416d078fe4027a50adda9c3", want, 32);
	CHECK_MEM(k.sk_pr, want, 32);

	/* Rekey: SKEYSEED = prf(SK_d(old), g^ir(new) | Ni | Nr), new SPIs. */
	struct ikev2_ike_keys k2 = { .integ_len = 32, .enc_len = 16 };
	uint8_t rgir[256];
	for (int i = 0; i < 256; i++)
		rgir[i] = gir[255 - i];
	CHECK(ikev2_derive_ike(IKE_HASH_SHA256, k.sk_d, nr, 32, ni, 32, rgir, 256, spir, spii, &k2) == 0);
	t_hex("dc83fd427f4f3b1e2d1194fdf68c68a8c581007b104ad80b9419b25a9d665484", want, 32);
	CHECK_MEM(k2.sk_d, want, 32);
	ikev2_ike_keys_wipe(&k2);
	CHECK(k2.prf_len == 0 && k2.sk_d[0] == 0 && k2.sk_d[31] == 0);
}

TEST(ikev2_child_keymat)
{
	struct ikev2_ike_keys k;
	uint8_t km[72], want[72];
	derive(&k);
	CHECK(ikev2_derive_child(IKE_HASH_SHA256, k.sk_d, NULL, 0, ni, 32, nr, 32, km, 72) == 0);
	t_hex("6e012159de935873f726182be6b0ffb73cbf076f7570324ded306a12d510ecf51dded684c15e416bf1d0068833344b0d8d33cf427af56018847a24cc85c0ae5495c6f4e826a15af3", want, 72);
	CHECK_MEM(km, want, 72);
	CHECK(ikev2_derive_child(IKE_HASH_SHA256, k.sk_d, gir, 256, ni, 32, nr, 32, km, 72) == 0);
	t_hex("d5bbfdacaf8b77b9ab9c6dceaa25d6bff93738f1f53df1ffe56a9d0a29898ce17a9d99ab8fc80b74e8a95ed78554361b644d306de62455c201bfe34eafb22e44422cfe3445d1c7b8", want, 72);
	CHECK_MEM(km, want, 72);
}

TEST(ikev2_psk_auth)
{
	struct ikev2_ike_keys k;
	uint8_t msg[200], out[32], want[32];
	const uint8_t idb[] = { 1, 0, 0, 0, 10, 1, 1, 1 };
	derive(&k);
	for (int i = 0; i < 200; i++)
		msg[i] = (uint8_t)i;
	CHECK(ikev2_psk_auth(IKE_HASH_SHA256, (const uint8_t *)"cisco123", 8, msg, 200, nr, 32, k.sk_pi,
			     idb, sizeof(idb), out) == 0);
	t_hex("a32695579cee96dfc808beb1b426bd08180826bdd9fc169e7edf1586d8706739", want, 32);
	CHECK_MEM(out, want, 32);
}

static const struct ikev2_sk_alg cbc = { "AES-128-CBC", false, 16, 16, 16, "SHA2-256", 32, 16 };
static const struct ikev2_sk_alg gcm = { "AES-128-GCM", true, 16, 8, 1, NULL, 0, 16 };

static const uint8_t hdr_spis[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 };

/* Writes IKE_AUTH #1 from the initiator: SK { N(INITIAL_CONTACT) }. */
static size_t seal_ic(struct ikev2_sk *sk, uint8_t *buf, size_t cap, const uint8_t *iv)
{
	struct ikev2_hdr h = { .exch = IKEV2_EXCH_IKE_AUTH, .flags = IKEV2_FLAG_INITIATOR, .msgid = 1 };
	struct ikev2_wr w;
	memcpy(h.spi_i, hdr_spis, 8);
	memcpy(h.spi_r, hdr_spis + 8, 8);
	ikev2_wr_init(&w, buf, cap, &h);
	size_t at = ikev2_sk_begin(&w, sk);
	if (iv)		/* CBC IVs are random: the known answer needs a fixed one */
		memcpy(buf + at + IKEV2_GEN_LEN, iv, sk->alg.iv_len);
	ikev2_put_notify(&w, IKEV2_PROTO_IKE, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	return ikev2_sk_seal(&w, sk, at);
}

static void roundtrip_checks(const struct ikev2_sk_alg *alg, struct ikev2_ike_keys *k,
			     const uint8_t *want, size_t wantlen, const uint8_t *iv)
{
	struct ikev2_sk ini, rsp;
	uint8_t buf[512];
	struct ikev2_msg m;
	CHECK(ikev2_sk_init(&ini, alg, k, true) == 0);
	CHECK(ikev2_sk_init(&rsp, alg, k, false) == 0);
	size_t n = seal_ic(&ini, buf, sizeof(buf), iv);
	CHECK(n == wantlen);
	CHECK_MEM(buf, want, wantlen);
	/* The responder opens it; the initiator's own inbound keys can not. */
	uint8_t copy[512];
	memcpy(copy, buf, n);
	CHECK(ikev2_decode(copy, n, &m) == 0);
	CHECK(ikev2_sk_open(&ini, copy, n, &m) == IKEV2_SK_BAD_ICV);
	memcpy(copy, buf, n);
	CHECK(ikev2_decode(copy, n, &m) == 0);
	CHECK(ikev2_sk_open(&rsp, copy, n, &m) == IKEV2_SK_OK);
	CHECK(m.npl == 2 && m.pl[1].type == IKEV2_PL_N);
	CHECK(ikev2_find_notify(&m, IKEV2_N_INITIAL_CONTACT) != NULL);
	/* Every single-bit flip anywhere is caught: header, SK header, IV, body, ICV. */
	int caught = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(copy, buf, n);
		copy[i] ^= 0x01;
		if (ikev2_decode(copy, n, &m) != 0 || ikev2_sk_open(&rsp, copy, n, &m) != IKEV2_SK_OK)
			caught++;
	}
	CHECK(caught == (int)n);
	ikev2_sk_free(&ini);
	ikev2_sk_free(&rsp);
}

TEST(ikev2_sk_aes_cbc_hmac_sha256)
{
	struct ikev2_ike_keys k;
	uint8_t want[80], iv[16];
	derive(&k);
	for (int i = 0; i < 16; i++)
		iv[i] = (uint8_t)(0x40 + i);
	size_t n = t_hex("010203040506070811121314151617182e202308000000010000005029000034404142434445464748494a4b4c4d4e4ff71770424acf06e3c54bf73182d8ad6a75431387ddd310fdd8bde01f4784091d", want, sizeof(want));
	roundtrip_checks(&cbc, &k, want, n, iv);
}

TEST(ikev2_sk_aes_gcm_16)
{
	struct ikev2_ike_keys k;
	uint8_t want[80];
	derive(&k);
	k.integ_len = 0;
	k.enc_len = 20;		/* key + salt */
	t_hex("e5edbed7ef7e2cdd53fbd36d2607b54e13a61e91", k.sk_ei, 20);
	/* A different responder key, so the wrong direction fails its tag. */
	memcpy(k.sk_er, k.sk_ei, 20);
	k.sk_er[0] ^= 0xff;
	size_t n = t_hex("010203040506070811121314151617182e2023080000000100000041290000250000000000000001251b5a03315c4ed267fddab1e41083ed96b7dd14de7ce4d807", want, sizeof(want));
	roundtrip_checks(&gcm, &k, want, n, NULL);
}

TEST(ikev2_sk_rejects_bad_padding_and_short_bodies)
{
	struct ikev2_ike_keys k;
	struct ikev2_sk ini, rsp;
	struct ikev2_msg m;
	uint8_t buf[512];
	derive(&k);
	CHECK(ikev2_sk_init(&ini, &cbc, &k, true) == 0);
	CHECK(ikev2_sk_init(&rsp, &cbc, &k, false) == 0);
	/* A body shorter than IV + ICV + one block: malformed, before any crypto. */
	struct ikev2_hdr h = { .exch = IKEV2_EXCH_INFORMATIONAL, .flags = IKEV2_FLAG_INITIATOR };
	struct ikev2_wr w;
	ikev2_wr_init(&w, buf, sizeof(buf), &h);
	size_t at = ikev2_pl_begin(&w, IKEV2_PL_SK);
	wbuf_put_zero(&w.w, 20);
	ikev2_pl_end(&w, at);
	size_t n = ikev2_wr_finish(&w);
	CHECK(ikev2_decode(buf, n, &m) == 0 && m.sk);
	CHECK(ikev2_sk_open(&rsp, buf, n, &m) == IKEV2_SK_MALFORMED);
	ikev2_sk_free(&ini);
	ikev2_sk_free(&rsp);
}
