/*
 * IKEv1 pseudo-random function and hashes (RFC 2409 §5): the negotiated
 * hash in HMAC form is the prf; the bare hash derives the phase-1 and
 * phase-2 IVs (Appendix B).  OpenSSL 3 EVP_MAC / EVP_Digest underneath.
 */
#ifndef SPIGOT_PRF_H
#define SPIGOT_PRF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PRF_MAX_LEN 64		/* SHA-512 */

/* hash is enum cfg_ike_hash (IKE_HASH_MD5, IKE_HASH_SHA1, ...). */
bool prf_supported(int hash);
/* Output length in bytes of the hash (and so of the HMAC prf); 0 if unknown. */
size_t prf_len(int hash);
const char *prf_name(int hash);		/* "sha1", for logs */

/* Incremental prf(key, data...) where data comes in pieces. */
struct prf_ctx {
	void *mac;		/* EVP_MAC_CTX */
	int hash;
};
int prf_init(struct prf_ctx *c, int hash, const uint8_t *key, size_t klen);
void prf_update(struct prf_ctx *c, const void *data, size_t len);
/* Writes prf_len(hash) bytes to out and frees the context. Returns 0 or -1. */
int prf_final(struct prf_ctx *c, uint8_t *out);
void prf_abort(struct prf_ctx *c);

/* One-shot prf(key, data). */
int prf(int hash, const uint8_t *key, size_t klen, const void *data, size_t dlen, uint8_t *out);

/* Plain hash of the concatenation of two pieces (IV derivation). */
int prf_hash2(int hash, const void *a, size_t alen, const void *b, size_t blen, uint8_t *out);

/*
 * RFC 2409 Appendix B key expansion for an encryption key longer than
 * SKEYID_e: Ka = K1 | K2 | ..., K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1).
 * When keylen <= prf_len, the key is simply the first keylen bytes.
 */
int prf_expand_enc_key(int hash, const uint8_t *skeyid_e, size_t slen, uint8_t *out,
		       size_t keylen);

#endif
