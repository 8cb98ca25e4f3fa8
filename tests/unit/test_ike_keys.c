/*
 * RFC 2409 keying against values computed independently with Python's
 * hashlib/hmac (tests/unit/ike_vectors.py prints them).
 */
#include "t.h"

#include <stdlib.h>
#include <string.h>

#include "ike/ike_int.h"

static void fill(struct ike_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->pol = (struct cfg_isakmp_policy){ 1, IKE_ENC_3DES, IKE_HASH_SHA1, IKE_AUTH_PSK, 1, 86400 };
	memcpy(sa->psk, "1234", 4);
	sa->psklen = 4;
	for (int i = 0; i < 20; i++) {
		sa->ni[i] = (uint8_t)(i + 1);
		sa->nr[i] = (uint8_t)(i + 101);
	}
	sa->nilen = sa->nrlen = 20;
	for (int i = 0; i < 96; i++) {
		sa->gxy[i] = (uint8_t)(i * 7 + 3);
		sa->gxi[i] = (uint8_t)(i * 5 + 1);
		sa->gxr[i] = (uint8_t)(i * 11 + 9);
	}
	sa->gxylen = sa->gxlen = 96;
	t_hex("0102030405060708", sa->icookie, 8);
	t_hex("1112131415161718", sa->rcookie, 8);
}

TEST(ike_keys_skeyid_and_3des_expansion)
{
	struct ike_sa *sa = malloc(sizeof(*sa));
	uint8_t want[64];
	fill(sa);
	CHECK(ike_derive_p1(sa) == 0);
	t_hex("d1af7a2f3c659fa0c3f540c77a408282973bd6fb", want, 20);
	CHECK_MEM(sa->skeyid, want, 20);
	t_hex("b96635e4a1b14694cefebd2d3d1ebacdcda3a92a", want, 20);
	CHECK_MEM(sa->skeyid_d, want, 20);
	t_hex("909c33488a190c0a1ac444c28d048774ff0c00b5", want, 20);
	CHECK_MEM(sa->skeyid_a, want, 20);
	t_hex("a8c5ca6f7311f5ca1dd0f03efe59791cc199b8b7", want, 20);
	CHECK_MEM(sa->skeyid_e, want, 20);
	/* 3DES needs 24 bytes from a 20-byte SKEYID_e: Appendix B expansion. */
	CHECK(sa->keylen == 24);
	t_hex("46371d74cbcb5634d9f0862b4ca5717d834b8195055a07fb", want, 24);
	CHECK_MEM(sa->enckey, want, 24);
	/* Phase-1 IV = hash(g^xi | g^xr) truncated to the block. */
	CHECK(sa->blocklen == 8);
	t_hex("12aae53e3038d109", want, 8);
	CHECK_MEM(sa->iv, want, 8);
	uint8_t iv[16];
	ike_p2_iv(sa, 0x11223344, iv);
	t_hex("049e7fc08aaae248", want, 8);
	CHECK_MEM(iv, want, 8);
	free(sa);
}

TEST(ike_keys_keymat_expansion)
{
	struct ike_sa *sa = malloc(sizeof(*sa));
	uint8_t want[64], km[64];
	fill(sa);
	CHECK(ike_derive_p1(sa) == 0);
	CHECK(ike_keymat(sa, NULL, 0, ISAKMP_PROTO_ESP, 0xF9205CED, sa->ni, 20, sa->nr, 20, km, 44) == 0);
	t_hex("212164b59feef2a83e6a852f5b4e0096dc388750ae14268b45d6f19e0247e2568dcbfa17559fd68d04eb89a8", want, 44);
	CHECK_MEM(km, want, 44);
	/* A different SPI or protocol gives different keys. */
	uint8_t other[44];
	ike_keymat(sa, NULL, 0, ISAKMP_PROTO_AH, 0xF9205CED, sa->ni, 20, sa->nr, 20, other, 44);
	CHECK(memcmp(other, km, 44) != 0);
	free(sa);
}

TEST(ike_keys_phase1_cbc_iv_chaining)
{
	/* Two SAs with the same keys: one encrypts, the other decrypts, IVs move alike. */
	struct ike_sa *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct ike_state *ike = calloc(1, sizeof(*ike));
	fill(a);
	ike_derive_p1(a);
	a->ike = ike;
	*b = *a;
	uint8_t msg[256], out[256];
	struct isakmp_hdr h = { .version = ISAKMP_VERSION, .exch = ISAKMP_EXCH_IDPROT };
	memcpy(h.icookie, a->icookie, 8);
	memcpy(h.rcookie, a->rcookie, 8);
	for (int round = 0; round < 3; round++) {
		struct isakmp_wr w;
		isakmp_wr_init(&w, msg, sizeof(msg), &h);
		uint8_t data[13] = { (uint8_t)round };
		isakmp_put_raw(&w, ISAKMP_NP_VID, data, sizeof(data));
		int len = isakmp_wr_finish(&w);
		uint8_t before[16];
		memcpy(before, a->iv, 8);
		len = ike_encrypt_msg(a, a->iv, msg, (size_t)len, sizeof(msg));
		CHECK(len == ISAKMP_HDR_LEN + 24);	/* 17 bytes of payload padded to 24 */
		CHECK(msg[19] & ISAKMP_FLAG_ENC);
		/* Next IV = the last ciphertext block. */
		CHECK_MEM(a->iv, msg + len - 8, 8);
		CHECK(memcmp(before, a->iv, 8) != 0);
		struct isakmp_msg m;
		const char *why = NULL;
		CHECK(ike_decrypt_msg(b, b->iv, msg, (size_t)len, out, &m, &why) == 0);
		CHECK_MEM(b->iv, a->iv, 8);
		CHECK(m.npl == 1 && m.pl[0].type == ISAKMP_NP_VID && m.pl[0].body[0] == round);
		CHECK(m.padding == 7);
	}
	free(a);
	free(b);
	free(ike);
}
