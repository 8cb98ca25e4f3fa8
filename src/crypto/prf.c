#include "crypto/prf.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "config/config.h"

static const char *md_name(int hash)
{
	switch (hash) {
	case IKE_HASH_MD5: return "MD5";
	case IKE_HASH_SHA1: return "SHA1";
	case IKE_HASH_SHA256: return "SHA256";
	case IKE_HASH_SHA384: return "SHA384";
	case IKE_HASH_SHA512: return "SHA512";
	}
	return NULL;
}

bool prf_supported(int hash) { return md_name(hash) != NULL; }

size_t prf_len(int hash)
{
	switch (hash) {
	case IKE_HASH_MD5: return 16;
	case IKE_HASH_SHA1: return 20;
	case IKE_HASH_SHA256: return 32;
	case IKE_HASH_SHA384: return 48;
	case IKE_HASH_SHA512: return 64;
	}
	return 0;
}

const char *prf_name(int hash)
{
	switch (hash) {
	case IKE_HASH_MD5: return "md5";
	case IKE_HASH_SHA1: return "sha";
	case IKE_HASH_SHA256: return "sha256";
	case IKE_HASH_SHA384: return "sha384";
	case IKE_HASH_SHA512: return "sha512";
	}
	return "?";
}

int prf_init(struct prf_ctx *c, int hash, const uint8_t *key, size_t klen)
{
	const char *md = md_name(hash);
	c->mac = NULL;
	c->hash = hash;
	if (!md)
		return -1;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return -1;
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (!ctx)
		return -1;
	OSSL_PARAM params[2] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md, 0),
		OSSL_PARAM_construct_end(),
	};
	/* An empty key is legal for HMAC; OpenSSL wants a non-NULL pointer. */
	static const uint8_t nokey[1];
	if (!EVP_MAC_init(ctx, klen ? key : nokey, klen, params)) {
		EVP_MAC_CTX_free(ctx);
		return -1;
	}
	c->mac = ctx;
	return 0;
}

void prf_update(struct prf_ctx *c, const void *data, size_t len)
{
	if (c->mac && len)
		EVP_MAC_update(c->mac, data, len);
}

int prf_final(struct prf_ctx *c, uint8_t *out)
{
	size_t n = 0;
	int rc = -1;
	if (c->mac && EVP_MAC_final(c->mac, out, &n, PRF_MAX_LEN) && n == prf_len(c->hash))
		rc = 0;
	prf_abort(c);
	return rc;
}

void prf_abort(struct prf_ctx *c)
{
	EVP_MAC_CTX_free(c->mac);
	c->mac = NULL;
}

int prf(int hash, const uint8_t *key, size_t klen, const void *data, size_t dlen, uint8_t *out)
{
	struct prf_ctx c;
	if (prf_init(&c, hash, key, klen) < 0)
		return -1;
	prf_update(&c, data, dlen);
	return prf_final(&c, out);
}

int prf_hash2(int hash, const void *a, size_t alen, const void *b, size_t blen, uint8_t *out)
{
	const char *name = md_name(hash);
	if (!name)
		return -1;
	EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = md && ctx && EVP_DigestInit_ex(ctx, md, NULL) &&
		 EVP_DigestUpdate(ctx, a, alen) && EVP_DigestUpdate(ctx, b, blen) &&
		 EVP_DigestFinal_ex(ctx, out, &n);
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return ok && n == prf_len(hash) ? 0 : -1;
}

int prf_expand_enc_key(int hash, const uint8_t *skeyid_e, size_t slen, uint8_t *out,
		       size_t keylen)
{
	size_t hl = prf_len(hash);
	if (!hl)
		return -1;
	if (keylen <= slen) {
		memcpy(out, skeyid_e, keylen);
		return 0;
	}
	uint8_t k[PRF_MAX_LEN];
	uint8_t zero = 0;
	size_t done = 0;
	if (prf(hash, skeyid_e, slen, &zero, 1, k) < 0)
		return -1;
	for (;;) {
		size_t n = keylen - done < hl ? keylen - done : hl;
		memcpy(out + done, k, n);
		done += n;
		if (done == keylen)
			break;
		if (prf(hash, skeyid_e, slen, k, hl, k) < 0) {
			OPENSSL_cleanse(k, sizeof(k));
			return -1;
		}
	}
	OPENSSL_cleanse(k, sizeof(k));
	return 0;
}
