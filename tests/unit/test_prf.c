#include "t.h"

#include <string.h>

#include "config/config.h"
#include "crypto/prf.h"

TEST(prf_hmac_known_answers)
{
	uint8_t out[64], want[64], key[20];
	/* RFC 2202 test case 2 (HMAC-SHA-1) and RFC 4231 test case 2 (HMAC-SHA-256/512). */
	const char *data = "what do ya want for nothing?";
	CHECK(prf(IKE_HASH_SHA1, (const uint8_t *)"Jefe", 4, data, strlen(data), out) == 0);
	t_hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", want, 20);
	CHECK_MEM(out, want, 20);
	CHECK(prf(IKE_HASH_SHA256, (const uint8_t *)"Jefe", 4, data, strlen(data), out) == 0);
	t_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want, 32);
	CHECK_MEM(out, want, 32);
	CHECK(prf(IKE_HASH_MD5, (const uint8_t *)"Jefe", 4, data, strlen(data), out) == 0);
	t_hex("750c783e6ab0b503eaa86e310a5db738", want, 16);
	CHECK_MEM(out, want, 16);
	/* RFC 2202 test case 1: key 0x0b x 20, "Hi There". */
	memset(key, 0x0b, 20);
	CHECK(prf(IKE_HASH_SHA1, key, 20, "Hi There", 8, out) == 0);
	t_hex("b617318655057264e28bc0b6fb378c8ef146be00", want, 20);
	CHECK_MEM(out, want, 20);
	CHECK(prf_len(IKE_HASH_SHA384) == 48 && prf_len(IKE_HASH_SHA512) == 64 && prf_len(99) == 0);
	CHECK(prf(99, key, 20, "x", 1, out) < 0);
}

TEST(prf_incremental_equals_one_shot)
{
	uint8_t a[64], b[64];
	struct prf_ctx c;
	CHECK(prf_init(&c, IKE_HASH_SHA384, (const uint8_t *)"k", 1) == 0);
	prf_update(&c, "abc", 3);
	prf_update(&c, "", 0);
	prf_update(&c, "def", 3);
	CHECK(prf_final(&c, a) == 0);
	CHECK(prf(IKE_HASH_SHA384, (const uint8_t *)"k", 1, "abcdef", 6, b) == 0);
	CHECK_MEM(a, b, 48);
}

TEST(prf_enc_key_expansion)
{
	uint8_t e[20], out[40], k1[20], k2[20], zero = 0;
	for (int i = 0; i < 20; i++)
		e[i] = (uint8_t)i;
	/* Short keys are a prefix of SKEYID_e. */
	CHECK(prf_expand_enc_key(IKE_HASH_SHA1, e, 20, out, 16) == 0);
	CHECK_MEM(out, e, 16);
	/* Long keys: K1 = prf(e, 0), K2 = prf(e, K1). */
	CHECK(prf_expand_enc_key(IKE_HASH_SHA1, e, 20, out, 32) == 0);
	prf(IKE_HASH_SHA1, e, 20, &zero, 1, k1);
	prf(IKE_HASH_SHA1, e, 20, k1, 20, k2);
	CHECK_MEM(out, k1, 20);
	CHECK_MEM(out + 20, k2, 12);
}
