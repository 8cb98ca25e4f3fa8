/*
 * Thin wrapper over OpenSSL 3 EVP ciphers for the ESP data path.  A context
 * is keyed once (per SA) and then only re-IV'd per packet, so the fast path
 * never fetches an algorithm, expands a key or allocates.
 */
#ifndef SPIGOT_CRYPTO_CIPHER_H
#define SPIGOT_CRYPTO_CIPHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

enum crypto_cipher_mode { CRYPTO_CBC = 1, CRYPTO_GCM };

struct crypto_cipher {
	EVP_CIPHER *alg;	/* fetched, owned */
	EVP_CIPHER_CTX *ctx;
	enum crypto_cipher_mode mode;
	bool encrypt;
	size_t key_len, iv_len, block;
};

/*
 * Fetches `ossl_name` ("AES-128-CBC", "DES-EDE3-CBC", "AES-256-GCM" ...)
 * and keys a context for one direction.  For GCM `iv_len` is the full
 * nonce length (12).  Returns 0, or -1 (the algorithm is not available or
 * the key length is wrong); c is then empty and crypto_cipher_free is safe.
 */
int crypto_cipher_init(struct crypto_cipher *c, const char *ossl_name, const uint8_t *key,
		       size_t key_len, bool encrypt);
void crypto_cipher_free(struct crypto_cipher *c);

/* CBC without padding: len must be a multiple of the block size. In place is fine. */
int crypto_cbc(struct crypto_cipher *c, const uint8_t *iv, const uint8_t *in, uint8_t *out,
	       size_t len);

/*
 * GCM: seal writes tag_len bytes of tag; open verifies it (constant time,
 * inside OpenSSL) and returns -1 on mismatch.  In place is fine.
 */
int crypto_gcm_seal(struct crypto_cipher *c, const uint8_t *nonce, const uint8_t *aad,
		    size_t aad_len, const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag,
		    size_t tag_len);
int crypto_gcm_open(struct crypto_cipher *c, const uint8_t *nonce, const uint8_t *aad,
		    size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
		    const uint8_t *tag, size_t tag_len);

/*
 * OpenSSL's legacy provider (single DES) for the default library context.
 * Loading it explicitly stops OpenSSL from loading "default" implicitly, so
 * both are loaded.  The handles are the caller's (one set per router).
 */
struct crypto_legacy {
	OSSL_PROVIDER *legacy, *deflt;
};
int crypto_legacy_load(struct crypto_legacy *l);
void crypto_legacy_unload(struct crypto_legacy *l);

#endif
