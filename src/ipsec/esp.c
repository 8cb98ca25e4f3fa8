/*
 * ESP (RFC 4303) in tunnel mode, in place in the packet buffer: the header
 * and IV go into the headroom, padding, trailer and ICV into the tailroom.
 *
 * CBC IVs come from RAND_bytes: RFC 3602 needs them unpredictable, which
 * the DRBG's output is by construction; an encrypted counter would be too,
 * but needs a second keyed context per SA and an argument that counter and
 * data never collide under one key.  The DRBG's per-call cost dominated
 * small packets, so each SA draws 256 bytes at a time and hands them out.  GCM's explicit IV is the sequence number
 * (RFC 4106 §3.1), so it cannot repeat under one key: the SA refuses to send
 * rather than wrap (ipsec_drop DROP_ROLLOVER) and IKE rekeys well before.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/wbuf.h"
#include "ipsec/ipsec_int.h"

#define NH_IPV4 4

static size_t esp_block(const struct ipsec_sa *sa) { return sa->enc ? sa->enc->block : 4; }
static size_t esp_iv(const struct ipsec_sa *sa) { return sa->enc ? sa->enc->iv_len : 0; }
static size_t esp_icv(const struct ipsec_sa *sa)
{
	if (sa->enc && sa->enc->aead)
		return sa->enc->icv_len;
	return sa->auth ? sa->auth->icv_len : 0;
}

bool esp_peek_spi(const struct pkt *p, size_t off, uint32_t *spi)
{
	if (p->len < off + ESP_HDR_LEN)
		return false;
	*spi = wbuf_be32(p->data + off);
	return true;
}

enum ipsec_drop esp_encap(struct ipsec_sa *sa, struct pkt *p) { return esp_encap_cx(sa, &sa->cx, p); }

enum ipsec_drop esp_encap_cx(struct ipsec_sa *sa, struct ipsec_sa_cx *cx, struct pkt *p)
{
	size_t block = esp_block(sa), ivl = esp_iv(sa), icvl = esp_icv(sa);
	size_t len = p->len;
	size_t padlen = (block - (len + 2) % block) % block;
	size_t ptlen = len + padlen + 2;

	if (pkt_tailroom(p) < padlen + 2 + icvl || pkt_headroom(p) < ESP_HDR_LEN + ivl)
		return DROP_NO_ROOM;
	uint64_t seq = ipsec_seq_next(&sa->seq, IPSEC_SEQ_MAX);
	if (!seq)
		return DROP_ROLLOVER;

	uint8_t *tr = p->data + len;
	for (size_t i = 0; i < padlen; i++)
		tr[i] = (uint8_t)(i + 1);	/* RFC 4303 §2.4: 1, 2, 3, ... */
	tr[padlen] = (uint8_t)padlen;
	tr[padlen + 1] = NH_IPV4;

	uint8_t *h = pkt_push(p, ESP_HDR_LEN + ivl);
	wbuf_st32(h, sa->spi);
	wbuf_st32(h + 4, (uint32_t)seq);
	uint8_t *iv = h + ESP_HDR_LEN, *pt = iv + ivl, *icv = pt + ptlen;

	if (sa->enc && sa->enc->aead) {
		uint8_t nonce[12];
		memcpy(nonce, sa->salt, 4);
		for (int i = 0; i < 8; i++)
			iv[i] = (uint8_t)(seq >> (56 - 8 * i));
		memcpy(nonce + 4, iv, 8);
		if (crypto_gcm_seal(&cx->cipher, nonce, h, ESP_HDR_LEN, pt, pt, ptlen, icv, icvl) < 0)
			return DROP_INTERNAL;
	} else {
		if (sa->has_cipher) {
			if (cx->ivpool_off + ivl > sizeof(cx->ivpool) || cx->ivpool_off == 0) {
				if (RAND_bytes(cx->ivpool, sizeof(cx->ivpool)) != 1)
					return DROP_INTERNAL;
				cx->ivpool_off = 0;
			}
			memcpy(iv, cx->ivpool + cx->ivpool_off, ivl);
			/* Never hand out the same bytes twice. */
			OPENSSL_cleanse(cx->ivpool + cx->ivpool_off, ivl);
			cx->ivpool_off += ivl;
			if (crypto_cbc(&cx->cipher, iv, pt, pt, ptlen) < 0)
				return DROP_INTERNAL;
		}
		if (sa->has_integ &&
		    crypto_integ_oneshot(&cx->integ, h, ESP_HDR_LEN + ivl + ptlen, icv) < 0)
			return DROP_INTERNAL;
	}
	p->len = ESP_HDR_LEN + ivl + ptlen + icvl;
	return DROP_NONE;
}

enum ipsec_drop esp_decap(struct ipsec_sa *sa, struct pkt *p, uint8_t *next_hdr)
{
	return esp_decap_cx(sa, &sa->cx, p, next_hdr);
}

enum ipsec_drop esp_decap_cx(struct ipsec_sa *sa, struct ipsec_sa_cx *cx, struct pkt *p,
			     uint8_t *next_hdr)
{
	size_t block = esp_block(sa), ivl = esp_iv(sa), icvl = esp_icv(sa);
	if (p->len < ESP_HDR_LEN + ivl + icvl + 2)
		return DROP_INVALID_LEN;
	size_t ctlen = p->len - ESP_HDR_LEN - ivl - icvl;
	if (ctlen % block)
		return DROP_INVALID_LEN;

	uint8_t *h = p->data, *iv = h + ESP_HDR_LEN, *ct = iv + ivl, *icv = ct + ctlen;
	uint64_t seq = wbuf_be32(h + 4);
	if (!sa->no_replay && !replay_check(&sa->rw, seq))
		return DROP_REPLAY;

	if (sa->enc && sa->enc->aead) {
		uint8_t nonce[12];
		memcpy(nonce, sa->salt, 4);
		memcpy(nonce + 4, iv, 8);
		if (crypto_gcm_open(&cx->cipher, nonce, h, ESP_HDR_LEN, ct, ct, ctlen, icv, icvl) < 0)
			return DROP_AUTH;
	} else if (sa->has_integ) {
		if (crypto_integ_begin(&cx->integ) < 0 ||
		    crypto_integ_update(&cx->integ, h, ESP_HDR_LEN + ivl + ctlen) < 0)
			return DROP_INTERNAL;
		if (crypto_integ_verify(&cx->integ, icv) < 0)
			return DROP_AUTH;
	}
	/* Only an authenticated packet may move the window (RFC 4303 §3.4.3). */
	if (!sa->no_replay && !replay_update(&sa->rw, seq))
		return DROP_REPLAY;
	if (sa->has_cipher && !sa->enc->aead && crypto_cbc(&cx->cipher, iv, ct, ct, ctlen) < 0)
		return DROP_INTERNAL;

	size_t padlen = ct[ctlen - 2];
	if (padlen + 2 > ctlen)
		return DROP_BAD_PAD;
	const uint8_t *pad = ct + ctlen - 2 - padlen;
	for (size_t i = 0; i < padlen; i++)
		if (pad[i] != (uint8_t)(i + 1))
			return DROP_BAD_PAD;
	*next_hdr = ct[ctlen - 1];
	pkt_pull(p, ESP_HDR_LEN + ivl);
	p->len = ctlen - 2 - padlen;
	return DROP_NONE;
}
