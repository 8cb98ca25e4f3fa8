/*
 * IKEv2 key derivation (RFC 7296 §2.13, §2.14, §2.17, §2.18) and the
 * pre-shared-key AUTH value (§2.15), over the HMAC prfs of crypto/prf.h.
 * `hash` is the prf's hash as enum cfg_ike_hash (IKE_HASH_SHA256 ...).
 * Every intermediate secret is wiped before return.
 */
#ifndef SPIGOT_IKEV2_KEYS_H
#define SPIGOT_IKEV2_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/prf.h"

#define IKEV2_MAX_ENC_KEY 36		/* AES-256 key + 4-byte GCM salt */
#define IKEV2_MAX_INTEG_KEY 64

/* A piece of a prf input, so callers need not concatenate. */
struct ikev2_chunk {
	const void *p;
	size_t n;
};

/*
 * prf+ (§2.13): T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n), S the
 * concatenation of `seed`.  At most 255 blocks; returns 0 or -1.
 */
int ikev2_prf_plus(int hash, const uint8_t *key, size_t klen, const struct ikev2_chunk *seed,
		   size_t nseed, uint8_t *out, size_t outlen);

struct ikev2_ike_keys {
	size_t prf_len, integ_len, enc_len;	/* enc_len includes a GCM salt */
	uint8_t sk_d[PRF_MAX_LEN];
	uint8_t sk_ai[IKEV2_MAX_INTEG_KEY], sk_ar[IKEV2_MAX_INTEG_KEY];
	uint8_t sk_ei[IKEV2_MAX_ENC_KEY], sk_er[IKEV2_MAX_ENC_KEY];
	uint8_t sk_pi[PRF_MAX_LEN], sk_pr[PRF_MAX_LEN];
};

/*
 * The IKE SA's keys.  With old_sk_d NULL (IKE_SA_INIT, §2.14)
 * SKEYSEED = prf(Ni | Nr, g^ir); with the old SA's SK_d (rekey, §2.18)
 * SKEYSEED = prf(SK_d(old), g^ir(new) | Ni | Nr).  Then
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *   = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
 * k->integ_len and k->enc_len say how much of each to take (integ_len 0
 * for AEAD); k->prf_len is set here.
 */
int ikev2_derive_ike(int hash, const uint8_t *old_sk_d, const uint8_t *ni, size_t nilen,
		     const uint8_t *nr, size_t nrlen, const uint8_t *gir, size_t girlen,
		     const uint8_t spi_i[8], const uint8_t spi_r[8], struct ikev2_ike_keys *k);
void ikev2_ike_keys_wipe(struct ikev2_ike_keys *k);

/* Child SA KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr) (§2.17); gir NULL without PFS. */
int ikev2_derive_child(int hash, const uint8_t *sk_d, const uint8_t *gir, size_t girlen,
		       const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
		       uint8_t *keymat, size_t len);

/*
 * The PSK AUTH payload data (§2.15):
 *   prf(prf(PSK, "Key Pad for IKEv2"), msg | nonce | prf(SK_p, ID body))
 * where msg is the sender's first message, nonce the other side's, SK_p
 * and the ID body the sender's.  out gets prf_len(hash) bytes.
 */
int ikev2_psk_auth(int hash, const uint8_t *psk, size_t psklen, const uint8_t *msg, size_t msglen,
		   const uint8_t *nonce, size_t noncelen, const uint8_t *sk_p, const uint8_t *idbody,
		   size_t idlen, uint8_t *out);

#endif
