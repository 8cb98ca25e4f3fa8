/*
 * The Encrypted payload (RFC 7296 §3.14; AES-GCM per RFC 5282): sealing a
 * message as it is written, and verifying then decrypting one received.
 * Integrity is checked before a byte is decrypted, and nothing in the
 * message is used before that check passes.
 *
 * An ikev2_sk holds both directions of one IKE SA, keyed once: the
 * initiator sends with SK_ei/SK_ai and receives with SK_er/SK_ar.
 */
#ifndef SPIGOT_IKEV2_SK_H
#define SPIGOT_IKEV2_SK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/cipher.h"
#include "crypto/integ.h"
#include "ikev2/ikev2_keys.h"
#include "ikev2/ikev2_msg.h"

#define IKEV2_SK_MAX_IV 16
#define IKEV2_GCM_SALT 4
#define IKEV2_GCM_NONCE 12		/* salt + 8-byte explicit IV */

/* What the SK code needs to know of the negotiated ENCR and INTEG transforms. */
struct ikev2_sk_alg {
	const char *cipher;	/* OpenSSL name: "AES-128-CBC", "AES-256-GCM" */
	bool aead;		/* GCM: no INTEG transform, a 16-byte tag */
	size_t key_len;		/* cipher key, without the GCM salt */
	size_t iv_len;		/* 16 for CBC, 8 for GCM */
	size_t block;		/* what the plaintext is padded to */
	const char *digest;	/* HMAC digest ("SHA2-256"), NULL for AEAD */
	size_t integ_key_len;
	size_t icv_len;
};

struct ikev2_sk_dir {
	struct crypto_cipher c;
	struct crypto_integ m;
	uint8_t salt[IKEV2_GCM_SALT];
	uint64_t seq;		/* GCM IVs: a counter never repeats under one key */
};

struct ikev2_sk {
	struct ikev2_sk_alg alg;
	struct ikev2_sk_dir out, in;
};

/* Keys both directions from k (whose integ_len/enc_len the alg set). */
int ikev2_sk_init(struct ikev2_sk *sk, const struct ikev2_sk_alg *alg,
		  const struct ikev2_ike_keys *k, bool initiator);
void ikev2_sk_free(struct ikev2_sk *sk);

/*
 * Opens the SK payload of a message being written (after its cleartext
 * payloads) and returns where it starts; then write the inner payloads
 * with the ikev2_put_* functions and close with ikev2_sk_seal, which pads,
 * encrypts, sets every length and appends the ICV.  Returns the message
 * length, or 0 (overflow, crypto failure).
 */
size_t ikev2_sk_begin(struct ikev2_wr *w, struct ikev2_sk *sk);
size_t ikev2_sk_seal(struct ikev2_wr *w, struct ikev2_sk *sk, size_t sk_start);
/* The same for one Encrypted Fragment payload (RFC 7383 §2.5); the caller writes its body. */
size_t ikev2_skf_begin(struct ikev2_wr *w, struct ikev2_sk *sk, uint16_t frag_no, uint16_t total);
size_t ikev2_skf_seal(struct ikev2_wr *w, struct ikev2_sk *sk, size_t skf_start);

/* CRITICAL: the ICV held, but a payload inside is of a type we do not know, marked critical. */
enum ikev2_sk_result { IKEV2_SK_OK = 0, IKEV2_SK_BAD_ICV = -1, IKEV2_SK_MALFORMED = -2, IKEV2_SK_CRITICAL = -3 };

/*
 * Verifies and decrypts, in place, the SK payload of m, decoded from
 * buf/len by ikev2_decode, then walks the payloads inside into m.  Only
 * after IKEV2_SK_OK may anything in m be believed.
 */
enum ikev2_sk_result ikev2_sk_open(struct ikev2_sk *sk, uint8_t *buf, size_t len, struct ikev2_msg *m);
/*
 * Verifies and decrypts the SK or SKF payload of m in place; pt and ptlen
 * give the plaintext without padding (not walked: a fragment's is part
 * of a chain).  Nothing is written to *pt unless the result is OK.
 */
enum ikev2_sk_result ikev2_sk_decrypt(struct ikev2_sk *sk, uint8_t *buf, size_t len, const struct ikev2_msg *m,
				      uint8_t **pt, size_t *ptlen);

#endif
