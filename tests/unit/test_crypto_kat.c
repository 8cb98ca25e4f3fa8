/* Known-answer tests through the cipher and integrity wrappers. */
#include <string.h>

#include "crypto/cipher.h"
#include "crypto/integ.h"
#include "t.h"

static void hmac_kat(const char *digest, const char *key_hex, const char *data, size_t data_len,
		     const char *mac_hex, size_t icv_len)
{
	unsigned char key[256], want[64], got[64];
	size_t kl = t_hex(key_hex, key, sizeof(key));
	size_t ml = t_hex(mac_hex, want, sizeof(want));
	struct crypto_integ m;
	CHECK(ml >= icv_len);
	CHECK(crypto_integ_init(&m, digest, key, kl, icv_len) == 0);
	CHECK(crypto_integ_oneshot(&m, (const uint8_t *)data, data_len, got) == 0);
	CHECK_MEM(got, want, icv_len);
	/* Twice, and in pieces: the per-packet re-init must reuse the key exactly. */
	CHECK(crypto_integ_begin(&m) == 0);
	CHECK(crypto_integ_update(&m, (const uint8_t *)data, data_len / 2) == 0);
	CHECK(crypto_integ_update(&m, (const uint8_t *)data + data_len / 2, data_len - data_len / 2) == 0);
	CHECK(crypto_integ_verify(&m, want) == 0);
	want[icv_len - 1] ^= 1;
	CHECK(crypto_integ_oneshot(&m, (const uint8_t *)data, data_len, got) == 0);
	CHECK(crypto_integ_begin(&m) == 0);
	CHECK(crypto_integ_update(&m, (const uint8_t *)data, data_len) == 0);
	CHECK(crypto_integ_verify(&m, want) != 0);
	crypto_integ_free(&m);
}

TEST(crypto_kat_hmac_rfc2202)
{
	/* RFC 2202 test cases 1 and 2, MD5 and SHA-1. */
	hmac_kat("MD5", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", 8,
		 "9294727a3638bb1c13f48ef8158bfc9d", 16);
	hmac_kat("MD5", "4a656665", "what do ya want for nothing?", 28,
		 "750c783e6ab0b503eaa86e310a5db738", 16);
	hmac_kat("SHA1", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", 8,
		 "b617318655057264e28bc0b6fb378c8ef146be00", 20);
	hmac_kat("SHA1", "4a656665", "what do ya want for nothing?", 28,
		 "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", 20);
	/* Test case 5: truncation to 96 bits, as ESP/AH use it. */
	hmac_kat("MD5", "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "Test With Truncation", 20,
		 "56461ef2342edc00f9bab995", 12);
	hmac_kat("SHA1", "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "Test With Truncation", 20,
		 "4c1a03424b55e07fe7f27be1", 12);
}

TEST(crypto_kat_hmac_rfc4231)
{
	const char *k1 = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";
	hmac_kat("SHA2-256", k1, "Hi There", 8,
		 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", 32);
	hmac_kat("SHA2-384", k1, "Hi There", 8,
		 "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
		 "faea9ea9076ede7f4af152e8b2fa9cb6", 48);
	hmac_kat("SHA2-512", k1, "Hi There", 8,
		 "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
		 "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854", 64);
	hmac_kat("SHA2-256", "4a656665", "what do ya want for nothing?", 28,
		 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 32);
	/* RFC 4868 truncation: half the hash. */
	hmac_kat("SHA2-256", k1, "Hi There", 8, "b0344c61d8db38535ca8afceaf0bf12b", 16);
	hmac_kat("SHA2-384", k1, "Hi There", 8,
		 "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec6", 24);
	hmac_kat("SHA2-512", k1, "Hi There", 8,
		 "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde", 32);
}

static void cbc_kat(const char *alg, const char *key_hex, const char *iv_hex, const char *pt_hex,
		    const char *ct_hex)
{
	unsigned char key[32], iv[16], pt[128], ct[128], buf[128];
	size_t kl = t_hex(key_hex, key, sizeof(key));
	t_hex(iv_hex, iv, sizeof(iv));
	size_t n = t_hex(pt_hex, pt, sizeof(pt));
	CHECK(t_hex(ct_hex, ct, sizeof(ct)) == n);
	struct crypto_cipher e, d;
	CHECK(crypto_cipher_init(&e, alg, key, kl, true) == 0);
	CHECK(crypto_cipher_init(&d, alg, key, kl, false) == 0);
	for (int round = 0; round < 2; round++) {
		CHECK(crypto_cbc(&e, iv, pt, buf, n) == 0);
		CHECK_MEM(buf, ct, n);
		/* In place, as ESP decrypts. */
		CHECK(crypto_cbc(&d, iv, buf, buf, n) == 0);
		CHECK_MEM(buf, pt, n);
	}
	CHECK(crypto_cbc(&e, iv, pt, buf, n - 1) != 0);	/* not a whole block */
	crypto_cipher_free(&e);
	crypto_cipher_free(&d);
}

TEST(crypto_kat_aes_cbc_rfc3602)
{
	/* RFC 3602 §4 cases 1-4. */
	cbc_kat("AES-128-CBC", "06a9214036b8a15b512e03d534120006", "3dafba429d9eb430b422da802c9fac41",
		"53696e676c6520626c6f636b206d7367", "e353779c1079aeb82708942dbe77181a");
	cbc_kat("AES-128-CBC", "c286696d887c9aa0611bbb3e2025a45a", "562e17996d093d28ddb3ba695a2e6f58",
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1");
	cbc_kat("AES-128-CBC", "6c3ea0477630ce21a2ce334aa746c2cd", "c782dc4c098c66cbd9cd27d825682c81",
		"5468697320697320612034382d62797465206d657373616765202865786163746c7920332041455320626c6f636b7329",
		"d0a02b3836451753d493665d33f0e8862dea54cdb293abc7506939276772f8d5021c19216bad525c8579695d83ba2684");
}

TEST(crypto_kat_des_fips81)
{
	/* FIPS 81 CBC example, through the legacy provider (single DES). */
	struct crypto_legacy l = { 0 };
	if (crypto_legacy_load(&l) < 0) {
		CHECK(!"legacy provider unavailable");
		return;
	}
	cbc_kat("DES-CBC", "0123456789abcdef", "1234567890abcdef",
		"4e6f77206973207468652074696d6520666f7220616c6c20",
		"e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6");
	crypto_legacy_unload(&l);
}

static void gcm_kat(const char *key_hex, const char *iv_hex, const char *aad_hex,
		    const char *pt_hex, const char *ct_hex, const char *tag_hex)
{
	unsigned char key[32], iv[12], aad[64], pt[128], ct[128], tag[16], buf[128], t[16];
	size_t kl = t_hex(key_hex, key, sizeof(key));
	CHECK(t_hex(iv_hex, iv, sizeof(iv)) == 12);
	size_t al = t_hex(aad_hex, aad, sizeof(aad));
	size_t n = t_hex(pt_hex, pt, sizeof(pt));
	CHECK(t_hex(ct_hex, ct, sizeof(ct)) == n);
	CHECK(t_hex(tag_hex, tag, sizeof(tag)) == 16);
	char name[16];
	snprintf(name, sizeof(name), "AES-%zu-GCM", kl * 8);
	struct crypto_cipher e, d;
	CHECK(crypto_cipher_init(&e, name, key, kl, true) == 0);
	CHECK(crypto_cipher_init(&d, name, key, kl, false) == 0);
	for (int round = 0; round < 2; round++) {
		CHECK(crypto_gcm_seal(&e, iv, aad, al, pt, buf, n, t, 16) == 0);
		CHECK_MEM(buf, ct, n);
		CHECK_MEM(t, tag, 16);
		CHECK(crypto_gcm_open(&d, iv, aad, al, buf, buf, n, t, 16) == 0);
		CHECK_MEM(buf, pt, n);
	}
	/* A flipped tag bit, AAD bit or ciphertext bit is refused. */
	memcpy(buf, ct, n);
	t[15] ^= 0x80;
	CHECK(crypto_gcm_open(&d, iv, aad, al, buf, buf, n, t, 16) != 0);
	t[15] ^= 0x80;
	if (al) {
		aad[0] ^= 1;
		memcpy(buf, ct, n);
		CHECK(crypto_gcm_open(&d, iv, aad, al, buf, buf, n, t, 16) != 0);
		aad[0] ^= 1;
	}
	memcpy(buf, ct, n);
	buf[n / 2] ^= 4;
	CHECK(crypto_gcm_open(&d, iv, aad, al, buf, buf, n, t, 16) != 0);
	crypto_cipher_free(&e);
	crypto_cipher_free(&d);
}

TEST(crypto_kat_gcm_spec)
{
	/* McGrew-Viega GCM specification, test cases 3 and 4 (AES-128). */
	const char *k = "feffe9928665731c6d6a8f9467308308";
	const char *iv = "cafebabefacedbaddecaf888";
	gcm_kat(k, iv, "",
		"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
		"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		"21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
		"4d5c2af327cd64a62cf35abd2ba6fab4");
	gcm_kat(k, iv, "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		"21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
		"5bc94fbc3221a5db94fae95ae7121a47");
	/* Test case 16 (AES-256 with AAD). */
	gcm_kat("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", iv,
		"feedfacedeadbeeffeedfacedeadbeefabaddad2",
		"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		"8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
		"76fc6ece0f4e1768cddf8853bb2d551b");
}

TEST(crypto_cipher_rejects_bad_keys)
{
	unsigned char key[32] = { 0 };
	struct crypto_cipher c;
	CHECK(crypto_cipher_init(&c, "AES-128-CBC", key, 15, true) < 0);
	CHECK(crypto_cipher_init(&c, "NO-SUCH-CIPHER", key, 16, true) < 0);
	struct crypto_integ m;
	CHECK(crypto_integ_init(&m, "SHA1", key, 20, 21) < 0);	/* ICV longer than the hash */
	CHECK(crypto_integ_init(&m, "NO-SUCH-DIGEST", key, 20, 12) < 0);
}
