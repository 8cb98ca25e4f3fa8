#include "ikev2/ikev2_msg.h"

#include <string.h>

#include "ike/ike_hdr.h"

static bool known_payload(uint8_t t)
{
	return t >= IKEV2_PL_SA && t <= IKEV2_PL_EAP;
}

bool ikev2_peek_hdr(const uint8_t *p, size_t len, struct ikev2_hdr *h)
{
	struct wbuf_rd rd;
	wbuf_rd_init(&rd, p, len);
	IKE_HDR_GET(&rd, h, spi_i, spi_r);
	return !rd.err;
}

/* Reads the fragment fields that open an SKF body (RFC 7383 §2.5). */
static int skf_fields(struct ikev2_msg *m, struct wbuf_rd *body)
{
	if (!wbuf_get_u16(body, &m->frag_no) || !wbuf_get_u16(body, &m->frag_total))
		return IKEV2_N_INVALID_SYNTAX;
	if (m->frag_no == 0 || m->frag_total == 0 || m->frag_no > m->frag_total)
		return IKEV2_N_INVALID_SYNTAX;
	return 0;
}

/*
 * One walk for the outer chain and for a decrypted SK body.  The Encrypted
 * payload ends the outer chain; inside it nothing may be encrypted again.
 */
static int walk(struct ikev2_msg *m, struct wbuf_rd *rd, uint8_t np, bool outer)
{
	while (np != IKEV2_PL_NONE) {
		uint8_t next, flags;
		uint16_t plen;
		struct wbuf_rd body;
		if (!ike_gen_get(rd, &next, &flags, &plen) || !ike_gen_body(rd, plen, IKEV2_GEN_LEN, &body))
			return IKEV2_N_INVALID_SYNTAX;
		bool enc = np == IKEV2_PL_SK || np == IKEV2_PL_SKF;
		if (!enc && !known_payload(np)) {
			if (flags & IKEV2_PL_CRITICAL) {
				m->bad_critical = np;
				return IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD;
			}
			np = next;	/* §2.5: skipped, and not recorded */
			continue;
		}
		if (m->npl == IKEV2_MAX_PAYLOADS || (enc && (!outer || wbuf_left(rd) != 0)))
			return IKEV2_N_INVALID_SYNTAX;
		if (np == IKEV2_PL_SKF) {
			int rc = skf_fields(m, &body);
			if (rc)
				return rc;
		}
		struct ikev2_pl *pl = &m->pl[m->npl++];
		pl->type = np;
		pl->critical = flags & IKEV2_PL_CRITICAL;
		pl->body = wbuf_cur(&body);
		pl->len = wbuf_left(&body);
		if (enc) {
			m->sk = pl;
			m->sk_inner_np = next;
			return 0;
		}
		np = next;
	}
	return wbuf_done(rd) ? 0 : IKEV2_N_INVALID_SYNTAX;
}

int ikev2_decode(const uint8_t *p, size_t len, struct ikev2_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (!ikev2_peek_hdr(p, len, &m->h))
		return IKEV2_N_INVALID_SYNTAX;
	if (m->h.version >> 4 != IKEV2_VERSION >> 4)
		return IKEV2_N_INVALID_MAJOR_VERSION;
	if (m->h.len != len)
		return IKEV2_N_INVALID_SYNTAX;
	struct wbuf_rd rd;
	wbuf_rd_init(&rd, p + IKEV2_HDR_LEN, len - IKEV2_HDR_LEN);
	return walk(m, &rd, m->h.np, true);
}

int ikev2_decode_inner(struct ikev2_msg *m, uint8_t first_np, const uint8_t *p, size_t len)
{
	struct wbuf_rd rd;
	wbuf_rd_init(&rd, p, len);
	return walk(m, &rd, first_np, false);
}

const struct ikev2_pl *ikev2_find(const struct ikev2_msg *m, uint8_t type, size_t from)
{
	for (size_t i = from; i < m->npl; i++)
		if (m->pl[i].type == type)
			return &m->pl[i];
	return NULL;
}

const struct ikev2_pl *ikev2_find_notify(const struct ikev2_msg *m, uint16_t ntype)
{
	for (size_t i = 0; i < m->npl; i++)
		if (m->pl[i].type == IKEV2_PL_N && m->pl[i].len >= 4 &&
		    wbuf_be16(m->pl[i].body + 2) == ntype)
			return &m->pl[i];
	return NULL;
}

/* ---- payload bodies ---- */

static int parse_attrs(struct wbuf_rd *rd, struct ikev2_xf *x)
{
	while (wbuf_left(rd)) {
		uint16_t af, v;
		if (!wbuf_get_u16(rd, &af) || !wbuf_get_u16(rd, &v))
			return IKEV2_N_INVALID_SYNTAX;
		if (!(af & IKEV2_ATTR_TV)) {	/* TLV: v is its length */
			if (!wbuf_skip(rd, v))
				return IKEV2_N_INVALID_SYNTAX;
			x->unknown_attr = true;
		} else if ((af & ~IKEV2_ATTR_TV) == IKEV2_ATTR_KEY_LENGTH && !x->keylen && v) {
			x->keylen = v;
		} else {
			x->unknown_attr = true;
		}
	}
	return 0;
}

static int parse_transforms(struct wbuf_rd *rd, struct ikev2_prop *pr, uint8_t nxf)
{
	for (uint8_t i = 0; i < nxf; i++) {
		uint8_t last, rsv, type, rsv2;
		uint16_t tlen, id;
		struct wbuf_rd t;
		if (!wbuf_get_u8(rd, &last) || !wbuf_get_u8(rd, &rsv) || !wbuf_get_u16(rd, &tlen) ||
		    tlen < 8 || !wbuf_get_sub(rd, &t, tlen - 4))
			return IKEV2_N_INVALID_SYNTAX;
		if (last != (i + 1 == nxf ? IKEV2_XF_LAST : IKEV2_XF_MORE))
			return IKEV2_N_INVALID_SYNTAX;
		if (pr->nxf == IKEV2_MAX_TRANSFORMS)
			return IKEV2_N_INVALID_SYNTAX;
		struct ikev2_xf *x = &pr->xf[pr->nxf++];
		memset(x, 0, sizeof(*x));
		wbuf_get_u8(&t, &type);
		wbuf_get_u8(&t, &rsv2);
		wbuf_get_u16(&t, &id);
		x->type = type;
		x->id = id;
		int rc = parse_attrs(&t, x);
		if (rc)
			return rc;
	}
	return wbuf_left(rd) ? IKEV2_N_INVALID_SYNTAX : 0;
}

int ikev2_parse_sa(const struct ikev2_pl *pl, struct ikev2_props *sa)
{
	struct wbuf_rd rd;
	wbuf_rd_init(&rd, pl->body, pl->len);
	memset(sa, 0, sizeof(*sa));
	uint8_t last = IKEV2_PROP_MORE;
	while (last == IKEV2_PROP_MORE) {
		uint8_t rsv, nxf;
		uint16_t plen;
		struct wbuf_rd p;
		if (sa->nprop == IKEV2_MAX_PROPOSALS)
			return IKEV2_N_INVALID_SYNTAX;
		struct ikev2_prop *pr = &sa->prop[sa->nprop++];
		if (!wbuf_get_u8(&rd, &last) || !wbuf_get_u8(&rd, &rsv) || !wbuf_get_u16(&rd, &plen) ||
		    plen < 8 || !wbuf_get_sub(&rd, &p, plen - 4))
			return IKEV2_N_INVALID_SYNTAX;
		if (last != IKEV2_PROP_LAST && last != IKEV2_PROP_MORE)
			return IKEV2_N_INVALID_SYNTAX;
		wbuf_get_u8(&p, &pr->num);
		wbuf_get_u8(&p, &pr->proto);
		wbuf_get_u8(&p, &pr->spi_len);
		wbuf_get_u8(&p, &nxf);
		if (pr->spi_len > IKEV2_MAX_SPI || !wbuf_get_bytes(&p, pr->spi, pr->spi_len) || nxf == 0)
			return IKEV2_N_INVALID_SYNTAX;
		int rc = parse_transforms(&p, pr, nxf);
		if (rc)
			return rc;
	}
	return wbuf_done(&rd) && sa->nprop ? 0 : IKEV2_N_INVALID_SYNTAX;
}

int ikev2_parse_ke(const struct ikev2_pl *pl, struct ikev2_ke *ke)
{
	struct wbuf_rd rd;
	uint16_t rsv;
	wbuf_rd_init(&rd, pl->body, pl->len);
	if (!wbuf_get_u16(&rd, &ke->group) || !wbuf_get_u16(&rd, &rsv) || !wbuf_left(&rd))
		return IKEV2_N_INVALID_SYNTAX;
	ke->data = wbuf_cur(&rd);
	ke->len = wbuf_left(&rd);
	return 0;
}

int ikev2_parse_nonce(const struct ikev2_pl *pl, const uint8_t **nonce, size_t *len)
{
	if (pl->len < IKEV2_NONCE_MIN || pl->len > IKEV2_NONCE_MAX)
		return IKEV2_N_INVALID_SYNTAX;
	*nonce = pl->body;
	*len = pl->len;
	return 0;
}

/* ID and AUTH share a shape: one type byte, three reserved, then data. */
static int type_and_data(const struct ikev2_pl *pl, uint8_t *type, const uint8_t **data, size_t *len)
{
	if (pl->len < 5)
		return IKEV2_N_INVALID_SYNTAX;
	*type = pl->body[0];
	*data = pl->body + 4;
	*len = pl->len - 4;
	return 0;
}

int ikev2_parse_id(const struct ikev2_pl *pl, struct ikev2_id *id)
{
	id->body = pl->body;
	id->body_len = pl->len;
	int rc = type_and_data(pl, &id->type, &id->data, &id->len);
	if (!rc && id->type == IKEV2_ID_IPV4_ADDR && id->len != 4)
		return IKEV2_N_INVALID_SYNTAX;
	return rc;
}

int ikev2_parse_auth(const struct ikev2_pl *pl, struct ikev2_auth *a)
{
	return type_and_data(pl, &a->method, &a->data, &a->len);
}

int ikev2_parse_notify(const struct ikev2_pl *pl, struct ikev2_notify *n)
{
	struct wbuf_rd rd;
	wbuf_rd_init(&rd, pl->body, pl->len);
	memset(n, 0, sizeof(*n));
	wbuf_get_u8(&rd, &n->proto);
	wbuf_get_u8(&rd, &n->spi_len);
	wbuf_get_u16(&rd, &n->type);
	if (rd.err || n->spi_len > IKEV2_MAX_SPI || !wbuf_get_bytes(&rd, n->spi, n->spi_len))
		return IKEV2_N_INVALID_SYNTAX;
	n->data = wbuf_cur(&rd);
	n->len = wbuf_left(&rd);
	return 0;
}

int ikev2_parse_delete(const struct ikev2_pl *pl, struct ikev2_delete *d)
{
	struct wbuf_rd rd;
	wbuf_rd_init(&rd, pl->body, pl->len);
	wbuf_get_u8(&rd, &d->proto);
	wbuf_get_u8(&rd, &d->spi_len);
	wbuf_get_u16(&rd, &d->nspi);
	if (rd.err)
		return IKEV2_N_INVALID_SYNTAX;
	/* §3.11: the IKE SA is named by the header, AH/ESP SAs by 4-byte SPIs. */
	bool ok = d->proto == IKEV2_PROTO_IKE ? d->spi_len == 0 && d->nspi == 0
		: (d->proto == IKEV2_PROTO_AH || d->proto == IKEV2_PROTO_ESP) && d->spi_len == 4;
	if (!ok || wbuf_left(&rd) != (size_t)d->nspi * d->spi_len)
		return IKEV2_N_INVALID_SYNTAX;
	d->spis = wbuf_cur(&rd);
	return 0;
}

static int parse_one_ts(struct wbuf_rd *rd, struct ikev2_tsp *tsp)
{
	uint8_t type, proto;
	uint16_t len, sport, eport;
	struct wbuf_rd t;
	if (!wbuf_get_u8(rd, &type) || !wbuf_get_u8(rd, &proto) || !wbuf_get_u16(rd, &len) ||
	    len < 8 || !wbuf_get_sub(rd, &t, len - 4))
		return IKEV2_N_INVALID_SYNTAX;
	wbuf_get_u16(&t, &sport);
	wbuf_get_u16(&t, &eport);
	if (type == IKEV2_TS_IPV6_ADDR_RANGE && len == IKEV2_TS_IPV6_LEN) {
		tsp->skipped_v6++;
		return 0;
	}
	if (type != IKEV2_TS_IPV4_ADDR_RANGE || len != IKEV2_TS_IPV4_LEN)
		return IKEV2_N_INVALID_SYNTAX;
	struct ikev2_ts *ts = &tsp->ts[tsp->nts++];
	ts->type = type;
	ts->proto = proto;
	ts->sport = sport;
	ts->eport = eport;
	wbuf_get_u32(&t, &ts->saddr);
	wbuf_get_u32(&t, &ts->eaddr);
	return t.err ? IKEV2_N_INVALID_SYNTAX : 0;
}

int ikev2_parse_ts(const struct ikev2_pl *pl, struct ikev2_tsp *tsp)
{
	struct wbuf_rd rd;
	uint8_t n, r1;
	uint16_t r2;
	wbuf_rd_init(&rd, pl->body, pl->len);
	memset(tsp, 0, sizeof(*tsp));
	if (!wbuf_get_u8(&rd, &n) || !wbuf_get_u8(&rd, &r1) || !wbuf_get_u16(&rd, &r2) || n == 0 ||
	    n > IKEV2_MAX_TS)
		return IKEV2_N_INVALID_SYNTAX;
	for (uint8_t i = 0; i < n; i++) {
		int rc = parse_one_ts(&rd, tsp);
		if (rc)
			return rc;
	}
	return wbuf_done(&rd) ? 0 : IKEV2_N_INVALID_SYNTAX;
}

/* ---- writing ---- */

void ikev2_wr_init(struct ikev2_wr *w, uint8_t *buf, size_t cap, const struct ikev2_hdr *h)
{
	wbuf_wr_init(&w->w, buf, cap);
	IKE_HDR_PUT(&w->w, h, spi_i, spi_r, IKEV2_VERSION, w->np_at);	/* length: ikev2_wr_finish */
}

size_t ikev2_pl_begin(struct ikev2_wr *w, uint8_t type)
{
	size_t start = w->w.len;
	if (!w->w.err && w->np_at < w->w.len)
		w->w.p[w->np_at] = type;
	w->np_at = start;
	wbuf_put_u8(&w->w, IKEV2_PL_NONE);
	wbuf_put_u8(&w->w, 0);		/* never critical: we send only what we know */
	wbuf_put_u16(&w->w, 0);
	return start;
}

void ikev2_pl_end(struct ikev2_wr *w, size_t start)
{
	size_t n = w->w.len - start;
	if (n > UINT16_MAX)
		w->w.err = true;
	else
		wbuf_set_u16_at(&w->w, start + 2, (uint16_t)n);
}

size_t ikev2_wr_finish(struct ikev2_wr *w)
{
	wbuf_set_u32_at(&w->w, 24, (uint32_t)w->w.len);
	return w->w.err ? 0 : w->w.len;
}

static void put_transform(struct wbuf_wr *b, const struct ikev2_xf *x, bool last)
{
	size_t at = b->len;
	wbuf_put_u8(b, last ? IKEV2_XF_LAST : IKEV2_XF_MORE);
	wbuf_put_u8(b, 0);
	wbuf_put_u16(b, 0);
	wbuf_put_u8(b, x->type);
	wbuf_put_u8(b, 0);
	wbuf_put_u16(b, x->id);
	if (x->keylen) {
		wbuf_put_u16(b, IKEV2_ATTR_TV | IKEV2_ATTR_KEY_LENGTH);
		wbuf_put_u16(b, x->keylen);
	}
	wbuf_set_u16_at(b, at + 2, (uint16_t)(b->len - at));
}

void ikev2_put_sa(struct ikev2_wr *w, const struct ikev2_props *sa)
{
	struct wbuf_wr *b = &w->w;
	size_t start = ikev2_pl_begin(w, IKEV2_PL_SA);
	for (size_t i = 0; i < sa->nprop; i++) {
		const struct ikev2_prop *pr = &sa->prop[i];
		size_t at = b->len;
		wbuf_put_u8(b, i + 1 == sa->nprop ? IKEV2_PROP_LAST : IKEV2_PROP_MORE);
		wbuf_put_u8(b, 0);
		wbuf_put_u16(b, 0);
		wbuf_put_u8(b, pr->num);
		wbuf_put_u8(b, pr->proto);
		wbuf_put_u8(b, pr->spi_len);
		wbuf_put_u8(b, (uint8_t)pr->nxf);
		wbuf_put_bytes(b, pr->spi, pr->spi_len);
		for (size_t j = 0; j < pr->nxf; j++)
			put_transform(b, &pr->xf[j], j + 1 == pr->nxf);
		if (b->len - at > UINT16_MAX)
			b->err = true;
		else
			wbuf_set_u16_at(b, at + 2, (uint16_t)(b->len - at));
	}
	ikev2_pl_end(w, start);
}

void ikev2_put_ke(struct ikev2_wr *w, uint16_t group, const uint8_t *data, size_t len)
{
	size_t start = ikev2_pl_begin(w, IKEV2_PL_KE);
	wbuf_put_u16(&w->w, group);
	wbuf_put_u16(&w->w, 0);
	wbuf_put_bytes(&w->w, data, len);
	ikev2_pl_end(w, start);
}

void ikev2_put_nonce(struct ikev2_wr *w, const uint8_t *nonce, size_t len)
{
	size_t start = ikev2_pl_begin(w, IKEV2_PL_NONCE);
	wbuf_put_bytes(&w->w, nonce, len);
	ikev2_pl_end(w, start);
}

static void put_typed(struct ikev2_wr *w, uint8_t pltype, uint8_t type, const uint8_t *data, size_t len)
{
	size_t start = ikev2_pl_begin(w, pltype);
	wbuf_put_u8(&w->w, type);
	wbuf_put_zero(&w->w, 3);
	wbuf_put_bytes(&w->w, data, len);
	ikev2_pl_end(w, start);
}

void ikev2_put_id(struct ikev2_wr *w, uint8_t pltype, uint8_t idtype, const uint8_t *data, size_t len)
{
	put_typed(w, pltype, idtype, data, len);
}

void ikev2_put_auth(struct ikev2_wr *w, uint8_t method, const uint8_t *data, size_t len)
{
	put_typed(w, IKEV2_PL_AUTH, method, data, len);
}

void ikev2_put_notify(struct ikev2_wr *w, uint8_t proto, const uint8_t *spi, uint8_t spi_len,
		      uint16_t type, const uint8_t *data, size_t len)
{
	size_t start = ikev2_pl_begin(w, IKEV2_PL_N);
	wbuf_put_u8(&w->w, proto);
	wbuf_put_u8(&w->w, spi_len);
	wbuf_put_u16(&w->w, type);
	wbuf_put_bytes(&w->w, spi, spi_len);
	wbuf_put_bytes(&w->w, data, len);
	ikev2_pl_end(w, start);
}

void ikev2_put_delete(struct ikev2_wr *w, uint8_t proto, uint8_t spi_len, const uint8_t *spis,
		      uint16_t nspi)
{
	size_t start = ikev2_pl_begin(w, IKEV2_PL_D);
	wbuf_put_u8(&w->w, proto);
	wbuf_put_u8(&w->w, spi_len);
	wbuf_put_u16(&w->w, nspi);
	wbuf_put_bytes(&w->w, spis, (size_t)spi_len * nspi);
	ikev2_pl_end(w, start);
}

void ikev2_put_ts(struct ikev2_wr *w, uint8_t pltype, const struct ikev2_tsp *tsp)
{
	size_t start = ikev2_pl_begin(w, pltype);
	wbuf_put_u8(&w->w, (uint8_t)tsp->nts);
	wbuf_put_zero(&w->w, 3);
	for (size_t i = 0; i < tsp->nts; i++) {
		const struct ikev2_ts *ts = &tsp->ts[i];
		wbuf_put_u8(&w->w, IKEV2_TS_IPV4_ADDR_RANGE);
		wbuf_put_u8(&w->w, ts->proto);
		wbuf_put_u16(&w->w, IKEV2_TS_IPV4_LEN);
		wbuf_put_u16(&w->w, ts->sport);
		wbuf_put_u16(&w->w, ts->eport);
		wbuf_put_u32(&w->w, ts->saddr);
		wbuf_put_u32(&w->w, ts->eaddr);
	}
	ikev2_pl_end(w, start);
}
