/*
 * IKEv2 proposals: our offers from the configured suites, the choice
 * among a peer's, the check of a peer's answer, and the algorithms behind
 * the transform IDs.  The algorithms themselves (OpenSSL names, key, IV,
 * ICV lengths) come from the one transform table, src/config/transform.c,
 * by their IKEv2 IDs; only the prf, which no IPsec SA uses, is mapped here.
 */
#include "ikev2/ikev2_sa.h"

#include <string.h>

#include "config/config.h"
#include "config/transform.h"

static int prf_hash_of(uint16_t id)
{
	switch (id) {
	case IKEV2_PRF_HMAC_MD5: return IKE_HASH_MD5;
	case IKEV2_PRF_HMAC_SHA1: return IKE_HASH_SHA1;
	case IKEV2_PRF_HMAC_SHA2_256: return IKE_HASH_SHA256;
	case IKEV2_PRF_HMAC_SHA2_384: return IKE_HASH_SHA384;
	case IKEV2_PRF_HMAC_SHA2_512: return IKE_HASH_SHA512;
	}
	return 0;
}

static const struct xf_alg *encr_alg(uint16_t id, uint16_t bits)
{
	return xf_by_ikev2(IKEV2_XF_ENCR, id, bits);
}

static const struct xf_alg *integ_alg(uint16_t id)
{
	return id ? xf_by_ikev2(IKEV2_XF_INTEG, id, 0) : NULL;
}

int ikev2_suite_algs(const struct ikev2_suite *s, struct ikev2_sk_alg *a, size_t *integ_key_len,
		     size_t *enc_key_len, int *prf_hash)
{
	const struct xf_alg *e = encr_alg(s->encr, s->encr_bits);
	const struct xf_alg *i = e && !e->aead ? integ_alg(s->integ) : NULL;
	*prf_hash = prf_hash_of(s->prf);
	if (!e || !e->ossl || (!e->aead && !i) || (e->aead && s->integ) || !*prf_hash ||
	    !dh_supported(s->dh))
		return -1;
	memset(a, 0, sizeof(*a));
	a->cipher = e->ossl;
	a->aead = e->aead;
	a->key_len = e->aead ? e->key_len - IKEV2_GCM_SALT : e->key_len;
	a->iv_len = e->iv_len;
	a->block = e->block;
	a->digest = i ? i->ossl : NULL;
	a->integ_key_len = i ? i->key_len : 0;
	a->icv_len = e->aead ? e->icv_len : i->icv_len;
	*integ_key_len = a->integ_key_len;
	*enc_key_len = e->key_len;
	return 0;
}

int ikev2_child_keylens(const struct ikev2_child_suite *s, size_t *enc, size_t *integ)
{
	const struct xf_alg *e = encr_alg(s->encr, s->encr_bits);
	const struct xf_alg *i = integ_alg(s->integ);
	if (!e || (!e->aead && !i) || (e->aead && s->integ) || (s->integ && !i))
		return -1;
	*enc = e->key_len;
	*integ = i ? i->key_len : 0;
	return 0;
}

static void add_xf(struct ikev2_prop *p, uint8_t type, uint16_t id, uint16_t bits)
{
	if (p->nxf < IKEV2_MAX_TRANSFORMS)
		p->xf[p->nxf++] = (struct ikev2_xf){ type, id, bits, false };
}

static void ike_prop(const struct ikev2_suite *s, uint8_t num, struct ikev2_prop *p)
{
	memset(p, 0, sizeof(*p));
	p->num = num;
	p->proto = IKEV2_PROTO_IKE;
	add_xf(p, IKEV2_XF_ENCR, s->encr, s->encr_bits);
	if (s->integ)
		add_xf(p, IKEV2_XF_INTEG, s->integ, 0);
	add_xf(p, IKEV2_XF_PRF, s->prf, 0);
	add_xf(p, IKEV2_XF_DH, s->dh, 0);
}

static void child_prop(const struct ikev2_child_suite *s, uint8_t num, uint32_t spi, struct ikev2_prop *p)
{
	memset(p, 0, sizeof(*p));
	p->num = num;
	p->proto = IKEV2_PROTO_ESP;
	p->spi_len = 4;
	wbuf_st32(p->spi, spi);
	add_xf(p, IKEV2_XF_ENCR, s->encr, s->encr_bits);
	if (s->integ)
		add_xf(p, IKEV2_XF_INTEG, s->integ, 0);
	add_xf(p, IKEV2_XF_ESN, IKEV2_ESN_NO, 0);
}

void ikev2_offer_ike(const struct ikev2_peer_conf *c, uint16_t dh_first, struct ikev2_props *out)
{
	/* The suites whose group matches the KE we send go first (§1.2: the
	 * responder may otherwise choose a group our KE does not carry). */
	memset(out, 0, sizeof(*out));
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < c->nike && out->nprop < IKEV2_MAX_PROPOSALS; i++)
			if ((c->ike[i].dh == dh_first) == (pass == 0)) {
				ike_prop(&c->ike[i], (uint8_t)(out->nprop + 1), &out->prop[out->nprop]);
				out->nprop++;
			}
}

void ikev2_offer_child(const struct ikev2_peer_conf *c, uint32_t spi, struct ikev2_props *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < c->nchild && i < IKEV2_MAX_PROPOSALS; i++)
		child_prop(&c->child[i], (uint8_t)(i + 1), spi, &out->prop[out->nprop++]);
}

static bool has(const struct ikev2_prop *p, uint8_t type, uint16_t id, uint16_t bits)
{
	for (size_t i = 0; i < p->nxf; i++)
		if (p->xf[i].type == type && p->xf[i].id == id && p->xf[i].keylen == bits &&
		    !p->xf[i].unknown_attr)
			return true;
	return false;
}

static bool has_type(const struct ikev2_prop *p, uint8_t type)
{
	for (size_t i = 0; i < p->nxf; i++)
		if (p->xf[i].type == type)
			return true;
	return false;
}

static bool ike_match(const struct ikev2_prop *p, const struct ikev2_suite *s)
{
	/* With an AEAD cipher the INTEG transform is absent or NONE (RFC 5282 §8). */
	bool integ_ok = s->integ ? has(p, IKEV2_XF_INTEG, s->integ, 0)
		: !has_type(p, IKEV2_XF_INTEG) || has(p, IKEV2_XF_INTEG, IKEV2_AUTH_NONE, 0);
	return p->proto == IKEV2_PROTO_IKE && has(p, IKEV2_XF_ENCR, s->encr, s->encr_bits) && integ_ok &&
	       has(p, IKEV2_XF_PRF, s->prf, 0) && has(p, IKEV2_XF_DH, s->dh, 0);
}

static bool child_match(const struct ikev2_prop *p, const struct ikev2_child_suite *s)
{
	bool integ_ok = s->integ ? has(p, IKEV2_XF_INTEG, s->integ, 0)
		: !has_type(p, IKEV2_XF_INTEG) || has(p, IKEV2_XF_INTEG, IKEV2_AUTH_NONE, 0);
	bool esn_ok = !has_type(p, IKEV2_XF_ESN) || has(p, IKEV2_XF_ESN, IKEV2_ESN_NO, 0);
	return p->proto == IKEV2_PROTO_ESP && p->spi_len == 4 &&
	       has(p, IKEV2_XF_ENCR, s->encr, s->encr_bits) && integ_ok && esn_ok;
}

int ikev2_choose_ike(const struct ikev2_peer_conf *c, const struct ikev2_props *offer,
		     struct ikev2_suite *chosen, uint8_t *propnum)
{
	for (size_t i = 0; i < offer->nprop; i++)
		for (size_t j = 0; j < c->nike; j++)
			if (offer->prop[i].spi_len == 0 && ike_match(&offer->prop[i], &c->ike[j])) {
				*chosen = c->ike[j];
				*propnum = offer->prop[i].num;
				return 0;
			}
	return -1;
}

int ikev2_choose_child(const struct ikev2_peer_conf *c, const struct ikev2_props *offer,
		       struct ikev2_child_suite *chosen, uint8_t *propnum, uint32_t *spi)
{
	for (size_t i = 0; i < offer->nprop; i++)
		for (size_t j = 0; j < c->nchild; j++)
			if (child_match(&offer->prop[i], &c->child[j])) {
				*chosen = c->child[j];
				*propnum = offer->prop[i].num;
				*spi = wbuf_be32(offer->prop[i].spi);
				return *spi ? 0 : -1;
			}
	return -1;
}

/* Exactly one transform of each type our suite needs, and nothing else. */
static bool exact(const struct ikev2_prop *p, size_t want)
{
	return p->nxf == want;
}

int ikev2_accept_ike(const struct ikev2_peer_conf *c, const struct ikev2_props *answer,
		     struct ikev2_suite *chosen)
{
	if (answer->nprop != 1 || answer->prop[0].spi_len != 0)
		return -1;
	for (size_t j = 0; j < c->nike; j++)
		if (ike_match(&answer->prop[0], &c->ike[j]) && exact(&answer->prop[0], c->ike[j].integ ? 4 : 3)) {
			*chosen = c->ike[j];
			return 0;
		}
	return -1;
}

int ikev2_accept_child(const struct ikev2_peer_conf *c, const struct ikev2_props *answer,
		       struct ikev2_child_suite *chosen, uint32_t *spi)
{
	if (answer->nprop != 1)
		return -1;
	const struct ikev2_prop *p = &answer->prop[0];
	for (size_t j = 0; j < c->nchild; j++) {
		size_t want = 1 + (c->child[j].integ != 0) + has_type(p, IKEV2_XF_ESN);
		if (child_match(p, &c->child[j]) && exact(p, want)) {
			*chosen = c->child[j];
			*spi = wbuf_be32(p->spi);
			return *spi ? 0 : -1;
		}
	}
	return -1;
}

void ikev2_answer_ike(const struct ikev2_suite *s, uint8_t propnum, struct ikev2_props *out)
{
	memset(out, 0, sizeof(*out));
	out->nprop = 1;
	ike_prop(s, propnum, &out->prop[0]);
}

void ikev2_answer_child(const struct ikev2_child_suite *s, uint8_t propnum, uint32_t spi,
			struct ikev2_props *out)
{
	memset(out, 0, sizeof(*out));
	out->nprop = 1;
	child_prop(s, propnum, spi, &out->prop[0]);
}

/* ---- CREATE_CHILD_SA: Child SA proposals with a DH transform (PFS, §1.3.1) ---- */

static bool dh_ok(const struct ikev2_prop *p, uint16_t dh)
{
	return dh ? has(p, IKEV2_XF_DH, dh, 0) : !has_type(p, IKEV2_XF_DH) || has(p, IKEV2_XF_DH, 0, 0);
}

void ikev2_offer_child_dh(const struct ikev2_peer_conf *c, uint32_t spi, uint16_t dh, struct ikev2_props *out)
{
	ikev2_offer_child(c, spi, out);
	for (size_t i = 0; dh && i < out->nprop; i++)
		add_xf(&out->prop[i], IKEV2_XF_DH, dh, 0);
}

int ikev2_choose_child_dh(const struct ikev2_peer_conf *c, const struct ikev2_props *offer, uint16_t dh,
			  struct ikev2_child_suite *chosen, uint8_t *propnum, uint32_t *spi)
{
	for (size_t i = 0; i < offer->nprop; i++)
		for (size_t j = 0; j < c->nchild; j++)
			if (child_match(&offer->prop[i], &c->child[j]) && dh_ok(&offer->prop[i], dh)) {
				*chosen = c->child[j];
				*propnum = offer->prop[i].num;
				*spi = wbuf_be32(offer->prop[i].spi);
				return *spi ? 0 : -1;
			}
	return -1;
}

int ikev2_accept_child_dh(const struct ikev2_peer_conf *c, const struct ikev2_props *answer, uint16_t dh,
			  struct ikev2_child_suite *chosen, uint32_t *spi)
{
	if (answer->nprop != 1 || !dh_ok(&answer->prop[0], dh))
		return -1;
	const struct ikev2_prop *p = &answer->prop[0];
	for (size_t j = 0; j < c->nchild; j++) {
		size_t want = 1 + (c->child[j].integ != 0) + has_type(p, IKEV2_XF_ESN) + (dh != 0);
		if (child_match(p, &c->child[j]) && exact(p, want)) {
			*chosen = c->child[j];
			*spi = wbuf_be32(p->spi);
			return *spi ? 0 : -1;
		}
	}
	return -1;
}

void ikev2_answer_child_dh(const struct ikev2_child_suite *s, uint8_t propnum, uint32_t spi, uint16_t dh,
			   struct ikev2_props *out)
{
	ikev2_answer_child(s, propnum, spi, out);
	if (dh)
		add_xf(&out->prop[0], IKEV2_XF_DH, dh, 0);
}
