/*
 * Quick Mode proposals: transform sets <-> IPsec DOI proposals (every ID and
 * length from config/transform.h), the responder's choice of a crypto map
 * entry and transform set, and the lifetimes the two ends agree on.
 */
#include "ike/qm_int.h"

#include <stdio.h>
#include <string.h>

#include "router.h"

/* ---- transform sets <-> IPsec DOI: every ID and length from config/transform.h ---- */

static const char *cfg_or_empty(const char *s) { return s ? s : ""; }

const char *ike_xf_name(const struct cfg_transform_set *xf, bool ah, char *buf, size_t n)
{
	if (ah) {
		snprintf(buf, n, "%s", cfg_or_empty(xf_ah_cfg_name(xf->ah)));
		return buf;
	}
	char kb[8] = "";
	uint16_t bits = xf_ike_keybits(xf);
	if (bits && bits != 128)
		snprintf(kb, sizeof(kb), " %u", bits);
	snprintf(buf, n, "%s%s%s%s", cfg_or_empty(xf_enc_cfg_name(xf->esp_enc)), kb,
		 xf->esp_auth ? " " : "", cfg_or_empty(xf_auth_cfg_name(xf->esp_auth)));
	return buf;
}

bool qm_parse_p2_attrs(const struct isakmp_transform *t, struct p2_attrs *a)
{
	uint32_t type = 0;
	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < t->nattr; i++) {
		const struct isakmp_attr *x = &t->attr[i];
		if (!x->has_ival)
			return false;
		switch (x->type) {
		case IPSEC_ATTR_LIFE_TYPE: type = x->ival; break;
		case IPSEC_ATTR_LIFE_DUR:
			if (type == IKE_LIFE_SECONDS)
				a->life_sec = x->ival;
			else if (type == IKE_LIFE_KB)
				a->life_kb = x->ival;
			else
				return false;
			break;
		case IPSEC_ATTR_GROUP: a->group = x->ival; break;
		case IPSEC_ATTR_ENCAP: a->encap = x->ival; break;
		case IPSEC_ATTR_AUTH: a->auth = x->ival; break;
		case IPSEC_ATTR_KEY_LEN: a->keylen = x->ival; break;
		default: return false;
		}
	}
	if (!a->encap)
		a->encap = IPSEC_ENCAP_TUNNEL;	/* RFC 2407 §4.5: unspecified is host-dependent; IOS means tunnel */
	return true;
}

void qm_p2_attrs_put(struct isakmp_transform *t, uint32_t life_sec, uint32_t life_kb,
			 uint32_t encap, uint32_t auth, uint32_t keybits, int group)
{
	size_t n = 0;
	t->attr[n++] = (struct isakmp_attr){ .type = IPSEC_ATTR_LIFE_TYPE, .tv = true, .ival = IKE_LIFE_SECONDS };
	t->attr[n++] = (struct isakmp_attr){ .type = IPSEC_ATTR_LIFE_DUR, .tv = life_sec <= 0xffff, .ival = life_sec };
	t->attr[n++] = (struct isakmp_attr){ .type = IPSEC_ATTR_LIFE_TYPE, .tv = true, .ival = IKE_LIFE_KB };
	t->attr[n++] = (struct isakmp_attr){ .type = IPSEC_ATTR_LIFE_DUR, .tv = life_kb <= 0xffff, .ival = life_kb };
	if (group)
		t->attr[n++] = (struct isakmp_attr){ .type = IPSEC_ATTR_GROUP, .tv = true, .ival = (uint32_t)group };
	t->attr[n++] = (struct isakmp_attr){ .type = IPSEC_ATTR_ENCAP, .tv = true,
					     .ival = encap };
	if (auth)
		t->attr[n++] = (struct isakmp_attr){ .type = IPSEC_ATTR_AUTH, .tv = true, .ival = auth };
	if (keybits)
		t->attr[n++] = (struct isakmp_attr){ .type = IPSEC_ATTR_KEY_LEN, .tv = true, .ival = keybits };
	t->nattr = n;
}

/* Does offered transform t (of protocol proto) implement our transform set x? */
bool qm_transform_matches(const struct ike_sa *sa, const struct cfg_transform_set *x,
			      uint8_t proto, const struct isakmp_transform *t, int pfs_group,
			      struct p2_attrs *a)
{
	if (!qm_parse_p2_attrs(t, a))
		return false;
	/* With a NAT in the way only UDP encapsulation will do, and without one, never. */
	if (!natt_encap_ok(sa, x->transport, a->encap))
		return false;
	if (pfs_group && a->group != (uint32_t)pfs_group)
		return false;
	if (a->group && !dh_supported((int)a->group))
		return false;
	if (proto == ISAKMP_PROTO_AH)
		return t->id == xf_ike_ah_id(x) && a->auth == xf_ike_ah_auth(x) && !a->keylen;
	if (t->id != xf_ike_esp_id(x) || a->auth != xf_ike_esp_auth(x))
		return false;
	return a->keylen == xf_ike_keybits(x);
}


/* ---- proposal groups ---- */

size_t qm_group_proposals(const struct isakmp_sa *o, struct pgroup *g, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < o->nprop; i++) {
		const struct isakmp_proposal *p = &o->p[i];
		if (n == 0 || g[n - 1].num != p->num) {
			if (n == max)
				break;
			g[n++] = (struct pgroup){ p->num, -1, -1, false };
		}
		struct pgroup *c = &g[n - 1];
		if (p->spi_size != 4)
			c->bad = true;
		else if (p->proto == ISAKMP_PROTO_AH && c->ah < 0)
			c->ah = (int)i;
		else if (p->proto == ISAKMP_PROTO_ESP && c->esp < 0)
			c->esp = (int)i;
		else
			c->bad = true;	/* IPComp or a repeated protocol: not supported */
	}
	return n;
}

/* ---- responder ---- */

bool qm_choose(struct ike_sa *sa, const struct isakmp_sa *offer, const struct ipsec_flow *flow,
		   bool has_ke, struct qm_choice *c, const char **why)
{
	const struct config *cfg = sa->ike->r->cfg;
	struct pgroup g[ISAKMP_MAX_PROPOSALS];
	size_t ng = qm_group_proposals(offer, g, ISAKMP_MAX_PROPOSALS);
	bool entry_found = false;
	*why = "no crypto map entry for the peer and proxy identities";
	for (size_t ei = 0; ei < cfg->ncmap; ei++) {
		const struct cfg_cmap_entry *e = &cfg->cmaps[ei];
		bool peer_ok = false;
		for (size_t k = 0; k < e->npeers; k++)
			peer_ok |= e->peers[k] == sa->peer;
		if (e->manual || !peer_ok || !qm_map_applied_at(cfg, e->name, sa->local) ||
		    !qm_acl_mirrors(config_acl(cfg, e->acl), flow))
			continue;
		entry_found = true;
		*why = QM_WHY_NO_MATCH;
		for (size_t gi = 0; gi < ng; gi++) {
			if (g[gi].bad)
				continue;
			for (size_t ti = 0; ti < e->ntsets; ti++) {
				const struct cfg_transform_set *x = config_tset(cfg, e->tsets[ti]);
				if (!x || (x->ah != XF_AH_NONE) != (g[gi].ah >= 0) ||
				    xf_has_esp(x) != (g[gi].esp >= 0) || natt_refuse_ah(sa, x))
					continue;
				const struct isakmp_transform *at = NULL, *et = NULL;
				struct p2_attrs a = { 0 }, b = { 0 };
				if (g[gi].ah >= 0) {
					const struct isakmp_proposal *p = &offer->p[g[gi].ah];
					for (size_t k = 0; k < p->ntrans && !at; k++)
						if (qm_transform_matches(sa, x, ISAKMP_PROTO_AH, &p->t[k], e->pfs_group, &a))
							at = &p->t[k];
					if (!at)
						continue;
				}
				if (g[gi].esp >= 0) {
					const struct isakmp_proposal *p = &offer->p[g[gi].esp];
					for (size_t k = 0; k < p->ntrans && !et; k++)
						if (qm_transform_matches(sa, x, ISAKMP_PROTO_ESP, &p->t[k], e->pfs_group, &b))
							et = &p->t[k];
					if (!et)
						continue;
				}
				const struct p2_attrs *pa = at ? &a : &b;
				/* PFS: a group offered needs its KE, and both halves must agree. */
				if (at && et && a.group != b.group)
					continue;
				if ((pa->group != 0) != has_ke)
					continue;
				c->e = e;
				c->xf = *x;
				c->ah = g[gi].ah >= 0 ? &offer->p[g[gi].ah] : NULL;
				c->esp = g[gi].esp >= 0 ? &offer->p[g[gi].esp] : NULL;
				c->aht = at;
				c->espt = et;
				c->attrs = *pa;
				return true;
			}
		}
	}
	(void)entry_found;
	return false;
}

void qm_put_lifetime_notify(struct isakmp_wr *w, uint8_t proto, const uint8_t *spi,
				uint32_t sec, uint32_t kb)
{
	uint8_t data[24];
	struct wbuf_wr d;
	wbuf_wr_init(&d, data, sizeof(data));
	wbuf_put_u16(&d, 0x8000 | IPSEC_ATTR_LIFE_TYPE);
	wbuf_put_u16(&d, IKE_LIFE_SECONDS);
	wbuf_put_u16(&d, IPSEC_ATTR_LIFE_DUR);
	wbuf_put_u16(&d, 4);
	wbuf_put_u32(&d, sec);
	wbuf_put_u16(&d, 0x8000 | IPSEC_ATTR_LIFE_TYPE);
	wbuf_put_u16(&d, IKE_LIFE_KB);
	wbuf_put_u16(&d, IPSEC_ATTR_LIFE_DUR);
	wbuf_put_u16(&d, 4);
	wbuf_put_u32(&d, kb);
	struct isakmp_notify n = { ISAKMP_DOI_IPSEC, proto, 4, ISAKMP_N_RESPONDER_LIFETIME, spi, data, d.len };
	isakmp_put_notify(w, &n);
}


/* One proposal of QM1 (protocol proto of transform set x, number num), our SPI. */
static void offer_one(struct ike_qm *q, struct isakmp_sa *offer, size_t num, uint8_t proto,
		      const struct cfg_transform_set *x)
{
	bool ah = proto == ISAKMP_PROTO_AH;
	struct isakmp_proposal *p = &offer->p[offer->nprop++];
	p->num = (uint8_t)num;
	p->proto = proto;
	p->spi_size = 4;
	wbuf_st32(p->spi, ah ? q->ah_spi_in : q->esp_spi_in);
	p->ntrans = 1;
	p->t[0].num = 1;
	p->t[0].id = ah ? xf_ike_ah_id(x) : xf_ike_esp_id(x);
	qm_p2_attrs_put(&p->t[0], q->life_sec, q->life_kb, natt_encap_mode(q->sa, x->transport),
			ah ? xf_ike_ah_auth(x) : xf_ike_esp_auth(x), ah ? 0 : xf_ike_keybits(x),
			q->pfs_group);
}

/* QM1's SA payload: one proposal number per offered transform set, AH then ESP. */
void qm_offer_proposals(struct ike_qm *q, struct isakmp_sa *offer)
{
	offer->doi = ISAKMP_DOI_IPSEC;
	offer->situation = ISAKMP_SIT_IDENTITY_ONLY;
	for (size_t i = 0; i < q->noffered && offer->nprop + 2 <= ISAKMP_MAX_PROPOSALS; i++) {
		const struct cfg_transform_set *x = &q->offered[i];
		if (x->ah)
			offer_one(q, offer, i + 1, ISAKMP_PROTO_AH, x);
		if (xf_has_esp(x))
			offer_one(q, offer, i + 1, ISAKMP_PROTO_ESP, x);
	}
}

/* One RESPONDER-LIFETIME's attributes (RFC 2407 §4.6.3.1), each lowering ours. */
static void take_lifetime_attrs(struct ike_qm *q, const uint8_t *data, size_t len)
{
	struct wbuf_rd rd;
	uint32_t type = 0;
	wbuf_rd_init(&rd, data, len);
	while (wbuf_left(&rd)) {	/* bounded by the notify's length */
		uint16_t at, v;
		uint32_t val = 0;
		if (!wbuf_get_u16(&rd, &at) || !wbuf_get_u16(&rd, &v))
			break;
		if (at & 0x8000) {
			val = v;
		} else {
			const uint8_t *p;
			if (v < 1 || v > 4 || !wbuf_get_ptr(&rd, &p, v))
				break;
			for (uint16_t k = 0; k < v; k++)
				val = val << 8 | p[k];
		}
		at &= 0x7fff;
		if (at == IPSEC_ATTR_LIFE_TYPE)
			type = val;
		else if (at == IPSEC_ATTR_LIFE_DUR && type == IKE_LIFE_SECONDS)
			q->life_sec = qm_minu(q->life_sec, val);
		else if (at == IPSEC_ATTR_LIFE_DUR && type == IKE_LIFE_KB)
			q->life_kb = qm_minu(q->life_kb, val);
	}
}

void qm_take_responder_lifetime(struct ike_qm *q, const struct isakmp_msg *m)
{
	for (size_t i = 0; i < m->npl; i++) {
		struct isakmp_notify n;
		if (m->pl[i].type != ISAKMP_NP_N || isakmp_parse_notify(m->pl[i].body, m->pl[i].len, &n) != ISAKMP_OK ||
		    n.type != ISAKMP_N_RESPONDER_LIFETIME)
			continue;
		take_lifetime_attrs(q, n.data, n.datalen);
	}
}
