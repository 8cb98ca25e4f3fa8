#include "ikev2/ikev2_sk.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

static int key_dir(struct ikev2_sk_dir *d, const struct ikev2_sk_alg *a, const uint8_t *ek,
		   const uint8_t *ak, bool encrypt)
{
	memset(d, 0, sizeof(*d));
	if (crypto_cipher_init(&d->c, a->cipher, ek, a->key_len, encrypt) < 0)
		return -1;
	if (a->aead) {
		memcpy(d->salt, ek + a->key_len, IKEV2_GCM_SALT);
		return 0;
	}
	return crypto_integ_init(&d->m, a->digest, ak, a->integ_key_len, a->icv_len);
}

int ikev2_sk_init(struct ikev2_sk *sk, const struct ikev2_sk_alg *alg,
		  const struct ikev2_ike_keys *k, bool initiator)
{
	memset(sk, 0, sizeof(*sk));
	sk->alg = *alg;
	const uint8_t *ei = initiator ? k->sk_ei : k->sk_er, *ai = initiator ? k->sk_ai : k->sk_ar;
	const uint8_t *er = initiator ? k->sk_er : k->sk_ei, *ar = initiator ? k->sk_ar : k->sk_ai;
	if (alg->iv_len > IKEV2_SK_MAX_IV || key_dir(&sk->out, alg, ei, ai, true) < 0 ||
	    key_dir(&sk->in, alg, er, ar, false) < 0) {
		ikev2_sk_free(sk);
		return -1;
	}
	return 0;
}

static void free_dir(struct ikev2_sk_dir *d)
{
	crypto_cipher_free(&d->c);
	crypto_integ_free(&d->m);
	OPENSSL_cleanse(d, sizeof(*d));
}

void ikev2_sk_free(struct ikev2_sk *sk)
{
	free_dir(&sk->out);
	free_dir(&sk->in);
}

/* RFC 5282 §4: the nonce is the salt from the key material, then the explicit IV. */
static void gcm_nonce(const struct ikev2_sk_dir *d, const uint8_t *iv, uint8_t *nonce)
{
	memcpy(nonce, d->salt, IKEV2_GCM_SALT);
	memcpy(nonce + IKEV2_GCM_SALT, iv, IKEV2_GCM_NONCE - IKEV2_GCM_SALT);
}

/* The IV that opens an SK or SKF body. */
static void put_iv(struct ikev2_wr *w, struct ikev2_sk *sk)
{
	uint8_t *iv = wbuf_reserve(&w->w, sk->alg.iv_len);
	if (!iv)
		return;
	if (sk->alg.aead) {
		/* RFC 5282 §3.1: the IV must not repeat under a key; a counter is simplest. */
		uint64_t s = ++sk->out.seq;
		for (size_t i = 0; i < 8; i++)
			iv[i] = (uint8_t)(s >> (56 - 8 * i));
	} else if (RAND_bytes(iv, (int)sk->alg.iv_len) != 1) {
		w->w.err = true;	/* §3.14: CBC IVs must be unpredictable */
	}
}

size_t ikev2_sk_begin(struct ikev2_wr *w, struct ikev2_sk *sk)
{
	size_t start = ikev2_pl_begin(w, IKEV2_PL_SK);
	put_iv(w, sk);
	return start;
}

size_t ikev2_skf_begin(struct ikev2_wr *w, struct ikev2_sk *sk, uint16_t frag_no, uint16_t total)
{
	size_t start = ikev2_pl_begin(w, IKEV2_PL_SKF);
	wbuf_put_u16(&w->w, frag_no);
	wbuf_put_u16(&w->w, total);
	put_iv(w, sk);
	return start;
}

/* Pads, encrypts and authenticates the payload opened at sk_start, whose IV is at iv_at. */
static size_t seal(struct ikev2_wr *w, struct ikev2_sk *sk, size_t sk_start, size_t iv_at)
{
	const struct ikev2_sk_alg *a = &sk->alg;
	size_t pt_at = iv_at + a->iv_len;
	if (w->w.err || w->w.len < pt_at)
		return 0;
	size_t ptlen = w->w.len - pt_at;
	size_t pad = (a->block - (ptlen + 1) % a->block) % a->block;
	wbuf_put_zero(&w->w, pad);
	wbuf_put_u8(&w->w, (uint8_t)pad);
	size_t ctlen = ptlen + pad + 1;
	uint8_t *icv = wbuf_reserve(&w->w, a->icv_len);
	ikev2_pl_end(w, sk_start);
	size_t len = ikev2_wr_finish(w);
	if (!len || !icv)
		return 0;
	uint8_t *b = w->w.p;
	if (a->aead) {
		uint8_t nonce[IKEV2_GCM_NONCE];
		gcm_nonce(&sk->out, b + iv_at, nonce);
		/* RFC 5282 §5.1, RFC 7383 §2.5: the AAD is the IKE header and the SK/SKF payload header. */
		if (crypto_gcm_seal(&sk->out.c, nonce, b, iv_at, b + pt_at, b + pt_at, ctlen, icv,
				    a->icv_len) < 0)
			return 0;
		return len;
	}
	if (crypto_cbc(&sk->out.c, b + iv_at, b + pt_at, b + pt_at, ctlen) < 0 ||
	    crypto_integ_oneshot(&sk->out.m, b, len - a->icv_len, icv) < 0)
		return 0;
	return len;
}

size_t ikev2_sk_seal(struct ikev2_wr *w, struct ikev2_sk *sk, size_t sk_start)
{
	return seal(w, sk, sk_start, sk_start + IKEV2_GEN_LEN);
}

size_t ikev2_skf_seal(struct ikev2_wr *w, struct ikev2_sk *sk, size_t skf_start)
{
	return seal(w, sk, skf_start, skf_start + IKEV2_GEN_LEN + 4);
}

enum ikev2_sk_result ikev2_sk_decrypt(struct ikev2_sk *sk, uint8_t *buf, size_t len, const struct ikev2_msg *m,
				      uint8_t **pt, size_t *ptlen)
{
	const struct ikev2_sk_alg *a = &sk->alg;
	if (!m->sk || (m->sk->type != IKEV2_PL_SK && m->sk->type != IKEV2_PL_SKF))
		return IKEV2_SK_MALFORMED;
	size_t iv_at = (size_t)(m->sk->body - buf), blen = m->sk->len;
	if (iv_at + blen != len || blen < a->iv_len + a->icv_len + 1)
		return IKEV2_SK_MALFORMED;
	size_t pt_at = iv_at + a->iv_len, ctlen = blen - a->iv_len - a->icv_len;
	uint8_t *icv = buf + len - a->icv_len;
	if (a->aead) {
		uint8_t nonce[IKEV2_GCM_NONCE];
		gcm_nonce(&sk->in, buf + iv_at, nonce);
		if (crypto_gcm_open(&sk->in.c, nonce, buf, iv_at, buf + pt_at, buf + pt_at, ctlen, icv,
				    a->icv_len) < 0)
			return IKEV2_SK_BAD_ICV;
	} else {
		if (crypto_integ_begin(&sk->in.m) < 0 ||
		    crypto_integ_update(&sk->in.m, buf, len - a->icv_len) < 0 ||
		    crypto_integ_verify(&sk->in.m, icv) != 0)
			return IKEV2_SK_BAD_ICV;
		if (ctlen % a->block || crypto_cbc(&sk->in.c, buf + iv_at, buf + pt_at, buf + pt_at, ctlen) < 0)
			return IKEV2_SK_MALFORMED;
	}
	uint8_t pad = buf[pt_at + ctlen - 1];
	if ((size_t)pad + 1 > ctlen)
		return IKEV2_SK_MALFORMED;
	*pt = buf + pt_at;
	*ptlen = ctlen - pad - 1;
	return IKEV2_SK_OK;
}

static enum ikev2_sk_result inner(struct ikev2_msg *m, const uint8_t *pt, size_t ptlen)
{
	int rc = ikev2_decode_inner(m, m->sk_inner_np, pt, ptlen);
	if (rc == IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD)
		return IKEV2_SK_CRITICAL;
	return rc ? IKEV2_SK_MALFORMED : IKEV2_SK_OK;
}

enum ikev2_sk_result ikev2_sk_open(struct ikev2_sk *sk, uint8_t *buf, size_t len, struct ikev2_msg *m)
{
	uint8_t *pt;
	size_t ptlen;
	/* A message ikev2_frag.c put together: each fragment was verified and decrypted. */
	if (m->reassembled && m->sk && m->sk->type == IKEV2_PL_SK)
		return inner(m, m->sk->body, m->sk->len);
	if (!m->sk || m->sk->type != IKEV2_PL_SK)
		return IKEV2_SK_MALFORMED;
	enum ikev2_sk_result r = ikev2_sk_decrypt(sk, buf, len, m, &pt, &ptlen);
	if (r != IKEV2_SK_OK)
		return r;
	return inner(m, pt, ptlen);
}
