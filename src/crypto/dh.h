/*
 * Diffie-Hellman for IKE: MODP groups 1, 2, 5, 14, 15, 16 (RFC 2409, 3526),
 * group 24 (RFC 5114) and ECP groups 19, 20, 21 (RFC 5903), on OpenSSL 3
 * EVP_PKEY.  Public values and shared secrets have the fixed lengths IKE
 * puts on the wire: MODP values are left-padded to the prime's length; an
 * ECP public value is x || y and its shared secret is x (RFC 5903 §7, §9).
 */
#ifndef SPIGOT_DH_H
#define SPIGOT_DH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DH_MAX_PUB 1024		/* group 16: 4096 bits */

struct dh;

bool dh_supported(int group);
/* Bytes of a public value on the wire; 0 if unsupported. */
size_t dh_pub_len(int group);
/* Bytes of the shared secret (g^xy). */
size_t dh_secret_len(int group);
/* "768 bit", "2048 bit", "256 bit ECP" (as IOS's show prints the group). */
const char *dh_group_desc(int group);

/* A fresh key pair. NULL on failure. */
struct dh *dh_new(int group);
/*
 * A key pair from a known private value (test vectors).  priv is big-endian;
 * pub (same wire form as dh_public) may be NULL where OpenSSL can not derive it.
 */
struct dh *dh_new_priv(int group, const uint8_t *priv, size_t privlen, const uint8_t *pub,
		       size_t publen);
void dh_free(struct dh *d);
int dh_group(const struct dh *d);

/* Our public value, dh_pub_len bytes. Returns the length or -1. */
int dh_public(const struct dh *d, uint8_t *out, size_t cap);
/* g^xy from the peer's public value; dh_secret_len bytes. Rejects bad points / values. */
int dh_derive(const struct dh *d, const uint8_t *peer, size_t peerlen, uint8_t *out, size_t cap);

/* The MODP prime as big-endian bytes (for tests); -1 for ECP groups. */
int dh_prime(int group, uint8_t *out, size_t cap);

#endif
