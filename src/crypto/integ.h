/*
 * Thin wrapper over OpenSSL 3 EVP_MAC (HMAC) for ESP and AH integrity.  The
 * MAC context is keyed once per SA; each packet re-initialises it with the
 * stored key (EVP_MAC_init with a NULL key), which skips the key schedule.
 */
#ifndef SPIGOT_CRYPTO_INTEG_H
#define SPIGOT_CRYPTO_INTEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#define CRYPTO_MAC_MAX 64

struct crypto_integ {
	EVP_MAC *mac;		/* fetched, owned */
	EVP_MAC_CTX *ctx;
	size_t out_len;		/* full HMAC output */
	size_t icv_len;		/* truncated ICV on the wire */
};

/* digest: "MD5", "SHA1", "SHA2-256" ...; icv_len <= the digest size. */
int crypto_integ_init(struct crypto_integ *m, const char *digest, const uint8_t *key,
		      size_t key_len, size_t icv_len);
void crypto_integ_free(struct crypto_integ *m);

int crypto_integ_begin(struct crypto_integ *m);
int crypto_integ_update(struct crypto_integ *m, const uint8_t *p, size_t n);
/* Writes the truncated ICV (icv_len bytes). */
int crypto_integ_final(struct crypto_integ *m, uint8_t *icv);
/* Finishes and compares against icv in constant time: 0 when equal. */
int crypto_integ_verify(struct crypto_integ *m, const uint8_t *icv);
/* One-shot over a single buffer. */
int crypto_integ_oneshot(struct crypto_integ *m, const uint8_t *p, size_t n, uint8_t *icv);

#endif
