/*
 * Phase-1 keying (RFC 2409 §5, Appendix B), the CBC encryption of
 * messages with IV chaining, phase-2 IVs and KEYMAT (§5.5).
 */
#include "ike/ike_int.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "router.h"

size_t ike_cipher_block(enum cfg_ike_enc enc)
{
	return enc == IKE_ENC_DES || enc == IKE_ENC_3DES ? 8 : 16;
}

size_t ike_cipher_keylen(const struct cfg_isakmp_policy *pol)
{
	switch (pol->enc) {
	case IKE_ENC_DES: return 8;
	case IKE_ENC_3DES: return 24;
	case IKE_ENC_AES128: return 16;
	case IKE_ENC_AES192: return 24;
	case IKE_ENC_AES256: return 32;
	}
	return 0;
}

static const char *cipher_name(enum cfg_ike_enc enc)
{
	switch (enc) {
	case IKE_ENC_DES: return "DES-CBC";
	case IKE_ENC_3DES: return "DES-EDE3-CBC";
	case IKE_ENC_AES128: return "AES-128-CBC";
	case IKE_ENC_AES192: return "AES-192-CBC";
	case IKE_ENC_AES256: return "AES-256-CBC";
	}
	return NULL;
}

/*
 * Single DES lives in OpenSSL 3's legacy provider.  Each router holds its
 * own reference (providers are refcounted) and drops it in ike_free.  By
 * the time DES is wanted the default provider is already active (the
 * failed fetch activates it), so loading legacy does not displace it.
 */
static EVP_CIPHER *fetch_cipher(struct ike_state *ike, enum cfg_ike_enc enc)
{
	const char *name = cipher_name(enc);
	if (!name)
		return NULL;
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);
	if (!c && enc == IKE_ENC_DES && !ike->legacy) {
		ike->legacy = OSSL_PROVIDER_load(NULL, "legacy");
		if (ike->legacy)
			log_msg(&ike->r->log, "CRYPTO", SEV_WARNING, "WEAK_CIPHER",
				"ISAKMP policy uses single DES: it is broken, use aes");
		c = EVP_CIPHER_fetch(NULL, name, NULL);
	}
	return c;
}

void ike_crypt_free(struct ike_state *ike)
{
	if (ike->legacy)
		OSSL_PROVIDER_unload(ike->legacy);
	ike->legacy = NULL;
}

static int cbc(struct ike_state *ike, enum cfg_ike_enc enc, const uint8_t *key, const uint8_t *iv, const uint8_t *in,
	       size_t len, uint8_t *out, bool encrypt)
{
	EVP_CIPHER *c = fetch_cipher(ike, enc);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0, rc = -1;
	if (c && ctx && EVP_CipherInit_ex2(ctx, c, key, iv, encrypt ? 1 : 0, NULL) &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	    EVP_CipherUpdate(ctx, out, &n1, in, (int)len) &&
	    EVP_CipherFinal_ex(ctx, out + n1, &n2) && (size_t)(n1 + n2) == len)
		rc = 0;
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	return rc;
}

void ike_sa_wipe(struct ike_sa *sa)
{
	OPENSSL_cleanse(sa->psk, sizeof(sa->psk));
	OPENSSL_cleanse(sa->gxy, sizeof(sa->gxy));
	OPENSSL_cleanse(sa->skeyid, sizeof(sa->skeyid));
	OPENSSL_cleanse(sa->skeyid_d, sizeof(sa->skeyid_d));
	OPENSSL_cleanse(sa->skeyid_a, sizeof(sa->skeyid_a));
	OPENSSL_cleanse(sa->skeyid_e, sizeof(sa->skeyid_e));
	OPENSSL_cleanse(sa->enckey, sizeof(sa->enckey));
	dh_free(sa->dh);
	sa->dh = NULL;
}

/*
 * SKEYID = prf(pre-shared-key, Ni_b | Nr_b)
 * SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
 * SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
 * SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
 * and the phase-1 IV = hash(g^xi | g^xr) truncated to the block size.
 */
int ike_derive_p1(struct ike_sa *sa)
{
	int h = sa->pol.hash;
	struct prf_ctx c;
	uint8_t n;
	size_t hl = prf_len(h);
	uint8_t full[PRF_MAX_LEN];
	sa->hlen = hl;
	if (!hl)
		return -1;
	if (prf_init(&c, h, sa->psk, sa->psklen) < 0)
		return -1;
	prf_update(&c, sa->ni, sa->nilen);
	prf_update(&c, sa->nr, sa->nrlen);
	if (prf_final(&c, sa->skeyid) < 0)
		return -1;
	const uint8_t *prev = NULL;
	uint8_t *outs[3] = { sa->skeyid_d, sa->skeyid_a, sa->skeyid_e };
	for (n = 0; n < 3; n++) {
		if (prf_init(&c, h, sa->skeyid, hl) < 0)
			return -1;
		if (prev)
			prf_update(&c, prev, hl);
		prf_update(&c, sa->gxy, sa->gxylen);
		prf_update(&c, sa->icookie, 8);
		prf_update(&c, sa->rcookie, 8);
		prf_update(&c, &n, 1);
		if (prf_final(&c, outs[n]) < 0)
			return -1;
		prev = outs[n];
	}
	sa->keylen = ike_cipher_keylen(&sa->pol);
	sa->blocklen = ike_cipher_block(sa->pol.enc);
	if (prf_expand_enc_key(h, sa->skeyid_e, hl, sa->enckey, sa->keylen) < 0)
		return -1;
	if (prf_hash2(h, sa->gxi, sa->gxlen, sa->gxr, sa->gxlen, full) < 0)
		return -1;
	memcpy(sa->iv, full, sa->blocklen);
	return 0;
}

/*
 * Encrypts the body of msg (len bytes, header included) in place after
 * padding it as RFC 2409 §5.3 says (zeros, last byte the pad count), sets
 * the E flag and the length, and moves the IV to the last ciphertext block.
 * Returns the new length or -1.
 */
int ike_encrypt_msg(struct ike_sa *sa, uint8_t *iv, uint8_t *msg, size_t len, size_t cap)
{
	size_t bl = sa->blocklen;
	size_t body = len - ISAKMP_HDR_LEN;
	size_t pad = bl - (body % bl);	/* always some padding, at least one byte */
	if (len + pad > cap || len < ISAKMP_HDR_LEN)
		return -1;
	memset(msg + len, 0, pad);
	msg[len + pad - 1] = (uint8_t)(pad - 1);
	body += pad;
	len += pad;
	msg[19] |= ISAKMP_FLAG_ENC;
	wbuf_st32(msg + 24, (uint32_t)len);
	uint8_t *tmp = msg + ISAKMP_HDR_LEN;
	if (cbc(sa->ike, sa->pol.enc, sa->enckey, iv, tmp, body, tmp, true) < 0)
		return -1;
	memcpy(iv, msg + len - bl, bl);
	return (int)len;
}

/*
 * Decrypts msg into out (header copied, body decrypted) and parses the
 * payloads, tolerating padding of any content.  iv is advanced to the last
 * ciphertext block only into *iv_next semantics: the caller commits it
 * after the message authenticates, so we return it through iv (the caller
 * passes a copy).
 */
int ike_decrypt_msg(struct ike_sa *sa, uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out,
		    struct isakmp_msg *m, const char **why)
{
	struct ike_state *ike = sa->ike;
	size_t bl = sa->blocklen;
	if (!(in[19] & ISAKMP_FLAG_ENC) || !bl) {
		ike->st.unprotected_ignored++;
		*why = "not encrypted";
		return -1;
	}
	size_t body = len - ISAKMP_HDR_LEN;
	if (body == 0 || body % bl) {
		ike->st.decrypt_fail++;
		*why = "encrypted body not a multiple of the block size";
		return -1;
	}
	memcpy(out, in, ISAKMP_HDR_LEN);
	if (cbc(sa->ike, sa->pol.enc, sa->enckey, iv, in + ISAKMP_HDR_LEN, body, out + ISAKMP_HDR_LEN, false) < 0) {
		ike->st.decrypt_fail++;
		*why = "decryption failed";
		return -1;
	}
	memcpy(iv, in + len - bl, bl);
	if (isakmp_parse_hdr(out, len, &m->hdr) != ISAKMP_OK) {
		ike->st.malformed++;
		*why = "bad header";
		return -1;
	}
	enum isakmp_err e = isakmp_parse_payloads(m->hdr.np, out + ISAKMP_HDR_LEN, body, true, m);
	if (e != ISAKMP_OK) {
		/* Usually a wrong key: the plaintext is garbage. */
		ike->st.decrypt_fail++;
		*why = isakmp_strerror(e);
		return -1;
	}
	return 0;
}

void ike_p2_iv(struct ike_sa *sa, uint32_t msgid, uint8_t *iv)
{
	uint8_t m[4], full[PRF_MAX_LEN];
	wbuf_st32(m, msgid);
	prf_hash2(sa->pol.hash, sa->iv, sa->blocklen, m, 4, full);
	memcpy(iv, full, sa->blocklen);
}

/*
 * KEYMAT = K1 | K2 | ..., K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
 * Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b).
 */
int ike_keymat(struct ike_sa *sa, const uint8_t *gxy, size_t gxylen, uint8_t proto,
	       uint32_t spi, const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
	       uint8_t *out, size_t outlen)
{
	int h = sa->pol.hash;
	size_t hl = prf_len(h), done = 0;
	uint8_t k[PRF_MAX_LEN], s[4];
	wbuf_st32(s, spi);
	bool first = true;
	while (done < outlen) {
		struct prf_ctx c;
		if (prf_init(&c, h, sa->skeyid_d, hl) < 0)
			return -1;
		if (!first)
			prf_update(&c, k, hl);
		if (gxylen)
			prf_update(&c, gxy, gxylen);
		prf_update(&c, &proto, 1);
		prf_update(&c, s, 4);
		prf_update(&c, ni, nilen);
		prf_update(&c, nr, nrlen);
		if (prf_final(&c, k) < 0)
			return -1;
		size_t n = outlen - done < hl ? outlen - done : hl;
		memcpy(out + done, k, n);
		done += n;
		first = false;
	}
	OPENSSL_cleanse(k, sizeof(k));
	return 0;
}

/* prf(SKEYID_a, [0 |] M-ID | a | b | c): the Quick Mode and Informational hashes. */
int ike_hash_p2(struct ike_sa *sa, bool zero, uint32_t msgid, const uint8_t *a, size_t alen,
		const uint8_t *b, size_t blen, const uint8_t *c, size_t clen, uint8_t *out)
{
	struct prf_ctx p;
	uint8_t m[4], z = 0;
	wbuf_st32(m, msgid);
	if (prf_init(&p, sa->pol.hash, sa->skeyid_a, sa->hlen) < 0)
		return -1;
	if (zero)
		prf_update(&p, &z, 1);
	prf_update(&p, m, 4);
	prf_update(&p, a, alen);
	prf_update(&p, b, blen);
	prf_update(&p, c, clen);
	return prf_final(&p, out);
}
