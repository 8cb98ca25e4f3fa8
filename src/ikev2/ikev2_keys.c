#include "ikev2/ikev2_keys.h"

#include <string.h>

#include <openssl/crypto.h>

int ikev2_prf_plus(int hash, const uint8_t *key, size_t klen, const struct ikev2_chunk *seed,
		   size_t nseed, uint8_t *out, size_t outlen)
{
	size_t plen = prf_len(hash);
	uint8_t t[PRF_MAX_LEN];
	if (!plen || outlen > 255 * plen)
		return -1;
	for (unsigned n = 1; outlen; n++) {
		struct prf_ctx c;
		uint8_t ctr = (uint8_t)n;
		if (prf_init(&c, hash, key, klen) < 0)
			goto fail;
		if (n > 1)
			prf_update(&c, t, plen);
		for (size_t i = 0; i < nseed; i++)
			prf_update(&c, seed[i].p, seed[i].n);
		prf_update(&c, &ctr, 1);
		if (prf_final(&c, t) < 0)
			goto fail;
		size_t take = outlen < plen ? outlen : plen;
		memcpy(out, t, take);
		out += take;
		outlen -= take;
	}
	OPENSSL_cleanse(t, sizeof(t));
	return 0;
fail:
	OPENSSL_cleanse(t, sizeof(t));
	return -1;
}

static int skeyseed(int hash, const uint8_t *old_sk_d, const uint8_t *ni, size_t nilen,
		    const uint8_t *nr, size_t nrlen, const uint8_t *gir, size_t girlen, uint8_t *out)
{
	struct prf_ctx c;
	if (old_sk_d) {
		if (prf_init(&c, hash, old_sk_d, prf_len(hash)) < 0)
			return -1;
		prf_update(&c, gir, girlen);
		prf_update(&c, ni, nilen);
		prf_update(&c, nr, nrlen);
		return prf_final(&c, out);
	}
	/* HMAC takes a key of any length, so Ni | Nr is the key whole (§2.14). */
	uint8_t key[2 * 256];
	if (nilen + nrlen > sizeof(key))
		return -1;
	memcpy(key, ni, nilen);
	memcpy(key + nilen, nr, nrlen);
	int rc = prf(hash, key, nilen + nrlen, gir, girlen, out);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int ikev2_derive_ike(int hash, const uint8_t *old_sk_d, const uint8_t *ni, size_t nilen,
		     const uint8_t *nr, size_t nrlen, const uint8_t *gir, size_t girlen,
		     const uint8_t spi_i[8], const uint8_t spi_r[8], struct ikev2_ike_keys *k)
{
	size_t p = prf_len(hash);
	uint8_t seed[PRF_MAX_LEN];
	uint8_t km[3 * PRF_MAX_LEN + 2 * IKEV2_MAX_INTEG_KEY + 2 * IKEV2_MAX_ENC_KEY];
	if (!p || k->integ_len > IKEV2_MAX_INTEG_KEY || k->enc_len > IKEV2_MAX_ENC_KEY)
		return -1;
	k->prf_len = p;
	size_t total = 3 * p + 2 * k->integ_len + 2 * k->enc_len;
	const struct ikev2_chunk s[] = { { ni, nilen }, { nr, nrlen }, { spi_i, 8 }, { spi_r, 8 } };
	int rc = -1;
	if (skeyseed(hash, old_sk_d, ni, nilen, nr, nrlen, gir, girlen, seed) < 0 ||
	    ikev2_prf_plus(hash, seed, p, s, 4, km, total) < 0)
		goto out;
	const uint8_t *q = km;
	memcpy(k->sk_d, q, p), q += p;
	memcpy(k->sk_ai, q, k->integ_len), q += k->integ_len;
	memcpy(k->sk_ar, q, k->integ_len), q += k->integ_len;
	memcpy(k->sk_ei, q, k->enc_len), q += k->enc_len;
	memcpy(k->sk_er, q, k->enc_len), q += k->enc_len;
	memcpy(k->sk_pi, q, p), q += p;
	memcpy(k->sk_pr, q, p);
	rc = 0;
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(km, sizeof(km));
	return rc;
}

void ikev2_ike_keys_wipe(struct ikev2_ike_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

int ikev2_derive_child(int hash, const uint8_t *sk_d, const uint8_t *gir, size_t girlen,
		       const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
		       uint8_t *keymat, size_t len)
{
	const struct ikev2_chunk s[] = { { gir, gir ? girlen : 0 }, { ni, nilen }, { nr, nrlen } };
	return ikev2_prf_plus(hash, sk_d, prf_len(hash), s, 3, keymat, len);
}

int ikev2_psk_auth(int hash, const uint8_t *psk, size_t psklen, const uint8_t *msg, size_t msglen,
		   const uint8_t *nonce, size_t noncelen, const uint8_t *sk_p, const uint8_t *idbody,
		   size_t idlen, uint8_t *out)
{
	static const char pad[] = "Key Pad for IKEv2";	/* 17 octets, no NUL (§2.15) */
	size_t p = prf_len(hash);
	uint8_t idhash[PRF_MAX_LEN], kpad[PRF_MAX_LEN];
	struct prf_ctx c;
	int rc = -1;
	if (!p || prf(hash, sk_p, p, idbody, idlen, idhash) < 0 ||
	    prf(hash, psk, psklen, pad, sizeof(pad) - 1, kpad) < 0 || prf_init(&c, hash, kpad, p) < 0)
		goto out;
	prf_update(&c, msg, msglen);
	prf_update(&c, nonce, noncelen);
	prf_update(&c, idhash, p);
	rc = prf_final(&c, out);
out:
	OPENSSL_cleanse(idhash, sizeof(idhash));
	OPENSSL_cleanse(kpad, sizeof(kpad));
	return rc;
}
