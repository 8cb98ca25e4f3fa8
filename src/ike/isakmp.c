#include "ike/isakmp.h"

#include <string.h>

#include "core/wire.h"
#include "ike/ike_hdr.h"

const uint8_t isakmp_vid_dpd[16] = { 0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
				     0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00 };
const uint8_t isakmp_vid_rfc3947[16] = { 0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
					 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f };
const uint8_t isakmp_vid_natt_02[16] = { 0xcd, 0x60, 0x46, 0x43, 0x35, 0xdf, 0x21, 0xf8,
					 0x7c, 0xfd, 0xb2, 0xfc, 0x68, 0xb6, 0xa4, 0x48 };
const uint8_t isakmp_vid_natt_02n[16] = { 0x90, 0xcb, 0x80, 0x91, 0x3e, 0xbb, 0x69, 0x6e,
					  0x08, 0x63, 0x81, 0xb5, 0xec, 0x42, 0x7b, 0x1f };
const uint8_t isakmp_vid_natt_03[16] = { 0x7d, 0x94, 0x19, 0xa6, 0x53, 0x10, 0xca, 0x6f,
					 0x2c, 0x17, 0x9d, 0x92, 0x15, 0x52, 0x9d, 0x56 };

const char *isakmp_strerror(enum isakmp_err e)
{
	switch (e) {
	case ISAKMP_OK: return "ok";
	case ISAKMP_E_SHORT: return "truncated";
	case ISAKMP_E_VERSION: return "bad version";
	case ISAKMP_E_LENGTH: return "bad length";
	case ISAKMP_E_RESERVED: return "reserved field not zero";
	case ISAKMP_E_PAYLOAD: return "unexpected payload type";
	case ISAKMP_E_TOO_MANY: return "too many payloads";
	case ISAKMP_E_TRAILING: return "trailing bytes";
	case ISAKMP_E_CONTENT: return "invalid payload contents";
	}
	return "?";
}

enum isakmp_err isakmp_parse_hdr(const uint8_t *buf, size_t len, struct isakmp_hdr *h)
{
	struct wbuf_rd rd;
	wbuf_rd_init(&rd, buf, len);
	if (len < ISAKMP_HDR_LEN)
		return ISAKMP_E_SHORT;
	IKE_HDR_GET(&rd, h, icookie, rcookie);
	if (rd.err)
		return ISAKMP_E_SHORT;
	/* Minor versions are to be ignored (RFC 2408 §3.1); the major must be 1. */
	if ((h->version >> 4) != 1)
		return ISAKMP_E_VERSION;
	if (h->len != len)
		return ISAKMP_E_LENGTH;
	if (h->flags & ~(ISAKMP_FLAG_ENC | ISAKMP_FLAG_COMMIT | ISAKMP_FLAG_AUTHONLY))
		return ISAKMP_E_RESERVED;
	return ISAKMP_OK;
}

static bool known_payload(uint8_t t)
{
	return (t >= ISAKMP_NP_SA && t <= ISAKMP_NP_VID && t != ISAKMP_NP_P && t != ISAKMP_NP_T) ||
	       t == ISAKMP_NP_NATD || t == ISAKMP_NP_NATOA || t == ISAKMP_NP_NATD_DRAFT ||
	       t == ISAKMP_NP_NATOA_DRAFT;
}

/* Validates a payload's own structure. */
static enum isakmp_err check_payload(uint8_t type, const uint8_t *b, size_t len)
{
	struct isakmp_id id;
	struct isakmp_notify n;
	struct isakmp_delete d;
	switch (type) {
	case ISAKMP_NP_SA: return isakmp_parse_sa(b, len, NULL);
	case ISAKMP_NP_ID: return isakmp_parse_id(b, len, &id);
	case ISAKMP_NP_N: return isakmp_parse_notify(b, len, &n);
	case ISAKMP_NP_D: return isakmp_parse_delete(b, len, &d);
	case ISAKMP_NP_NONCE:
		/* RFC 2409 §5: nonces are 8 to 256 bytes. */
		return len >= 8 && len <= 256 ? ISAKMP_OK : ISAKMP_E_CONTENT;
	case ISAKMP_NP_CERT:
	case ISAKMP_NP_CR:
		/* An encoding byte, then data (a CR's data may be empty). */
		return len >= 1 ? ISAKMP_OK : ISAKMP_E_CONTENT;
	case ISAKMP_NP_KE:
	case ISAKMP_NP_HASH:
	case ISAKMP_NP_SIG:
	case ISAKMP_NP_VID:
	case ISAKMP_NP_NATD:
	case ISAKMP_NP_NATD_DRAFT:
		return len >= 1 ? ISAKMP_OK : ISAKMP_E_CONTENT;
	case ISAKMP_NP_NATOA:
	case ISAKMP_NP_NATOA_DRAFT:
		/* RFC 3947 §5.2: ID type, 3 reserved bytes, then an IPv4 (or IPv6) address. */
		return len == 8 || len == 20 ? ISAKMP_OK : ISAKMP_E_CONTENT;
	}
	return ISAKMP_E_PAYLOAD;
}

/*
 * The generic header (RFC 2408 §3.2) that every payload, proposal and
 * transform starts with, in two steps so each caller can check the next
 * payload type in between: gen_hdr reads next type and length (reserved octet
 * zero), gen_body carves out the body the length announces, refusing a length
 * below min (header included) or beyond what rd holds.
 */
static enum isakmp_err gen_hdr(struct wbuf_rd *rd, uint8_t *next, uint16_t *len)
{
	uint8_t res;
	if (!ike_gen_get(rd, next, &res, len))
		return ISAKMP_E_SHORT;
	return res != 0 ? ISAKMP_E_RESERVED : ISAKMP_OK;
}

static enum isakmp_err gen_body(struct wbuf_rd *rd, uint16_t len, size_t min, struct wbuf_rd *body)
{
	return ike_gen_body(rd, len, min, body) ? ISAKMP_OK : ISAKMP_E_LENGTH;
}

enum isakmp_err isakmp_parse_payloads(uint8_t first_np, const uint8_t *body, size_t len,
				      bool allow_pad, struct isakmp_msg *m)
{
	struct wbuf_rd rd;
	uint8_t np = first_np;
	wbuf_rd_init(&rd, body, len);
	m->npl = 0;
	m->padding = 0;
	while (np != ISAKMP_NP_NONE) {
		if (!known_payload(np))
			return ISAKMP_E_PAYLOAD;
		if (m->npl == ISAKMP_MAX_PAYLOADS)
			return ISAKMP_E_TOO_MANY;
		const uint8_t *raw = wbuf_cur(&rd);
		uint8_t next;
		uint16_t plen;
		struct wbuf_rd pb;
		enum isakmp_err e = gen_hdr(&rd, &next, &plen);
		if (e == ISAKMP_OK)
			e = gen_body(&rd, plen, ISAKMP_GEN_LEN, &pb);
		if (e == ISAKMP_OK)
			e = check_payload(np, wbuf_cur(&pb), wbuf_left(&pb));
		if (e != ISAKMP_OK)
			return e;
		m->pl[m->npl++] = (struct isakmp_pl){ np, wbuf_cur(&pb), wbuf_left(&pb), raw, plen };
		np = next;
	}
	m->padding = wbuf_left(&rd);
	if (m->padding && (!allow_pad || m->padding > ISAKMP_MAX_PAD))
		return ISAKMP_E_TRAILING;
	return ISAKMP_OK;
}

enum isakmp_err isakmp_decode(const uint8_t *buf, size_t len, struct isakmp_msg *m)
{
	enum isakmp_err e = isakmp_parse_hdr(buf, len, &m->hdr);
	if (e != ISAKMP_OK)
		return e;
	return isakmp_parse_payloads(m->hdr.np, buf + ISAKMP_HDR_LEN, len - ISAKMP_HDR_LEN, false, m);
}

static enum isakmp_err parse_attrs(struct wbuf_rd *rd, struct isakmp_transform *t)
{
	size_t n = 0;
	while (wbuf_left(rd)) {
		uint16_t type, v;
		struct isakmp_attr a = { 0 };
		if (!wbuf_get_u16(rd, &type) || !wbuf_get_u16(rd, &v))
			return ISAKMP_E_SHORT;
		if (n == ISAKMP_MAX_ATTRS)
			return ISAKMP_E_TOO_MANY;
		a.type = type & 0x7fff;
		if (type & 0x8000) {
			a.tv = true;
			a.ival = v;
			a.has_ival = true;
		} else {
			a.len = v;
			if (!wbuf_get_ptr(rd, &a.val, v))
				return ISAKMP_E_LENGTH;
			if (v >= 1 && v <= 4) {
				for (uint16_t i = 0; i < v; i++)
					a.ival = a.ival << 8 | a.val[i];
				a.has_ival = true;
			}
		}
		if (t)
			t->attr[n] = a;
		n++;
	}
	if (t)
		t->nattr = n;
	return ISAKMP_OK;
}

static enum isakmp_err parse_proposal(struct wbuf_rd *rd, struct isakmp_proposal *p)
{
	uint8_t num, proto, spi_size, ntrans;
	if (!wbuf_get_u8(rd, &num) || !wbuf_get_u8(rd, &proto) || !wbuf_get_u8(rd, &spi_size) ||
	    !wbuf_get_u8(rd, &ntrans))
		return ISAKMP_E_SHORT;
	if (spi_size > ISAKMP_MAX_SPI)
		return ISAKMP_E_CONTENT;
	if (ntrans == 0)
		return ISAKMP_E_CONTENT;
	if (ntrans > ISAKMP_MAX_TRANSFORMS)
		return ISAKMP_E_TOO_MANY;
	uint8_t spi[ISAKMP_MAX_SPI];
	if (!wbuf_get_bytes(rd, spi, spi_size))
		return ISAKMP_E_LENGTH;
	if (p) {
		p->num = num;
		p->proto = proto;
		p->spi_size = spi_size;
		memcpy(p->spi, spi, spi_size);
		p->ntrans = ntrans;
	}
	for (unsigned i = 0; i < ntrans; i++) {
		uint8_t np, tnum, tid;
		uint16_t tlen, res2;
		struct wbuf_rd sub;
		enum isakmp_err e = gen_hdr(rd, &np, &tlen);
		if (e != ISAKMP_OK)
			return e;
		/* Transforms chain with np 3; the last has 0, and the count must agree. */
		if (np != (i + 1 < ntrans ? ISAKMP_NP_T : ISAKMP_NP_NONE))
			return ISAKMP_E_PAYLOAD;
		if ((e = gen_body(rd, tlen, 8, &sub)) != ISAKMP_OK)
			return e;
		wbuf_get_u8(&sub, &tnum);
		wbuf_get_u8(&sub, &tid);
		wbuf_get_u16(&sub, &res2);
		if (res2 != 0)
			return ISAKMP_E_RESERVED;
		struct isakmp_transform *t = p ? &p->t[i] : NULL;
		if (t) {
			t->num = tnum;
			t->id = tid;
		}
		if ((e = parse_attrs(&sub, t)) != ISAKMP_OK)
			return e;
	}
	return wbuf_left(rd) ? ISAKMP_E_TRAILING : ISAKMP_OK;
}

enum isakmp_err isakmp_parse_sa(const uint8_t *body, size_t len, struct isakmp_sa *sa)
{
	struct wbuf_rd rd;
	uint32_t doi, sit;
	wbuf_rd_init(&rd, body, len);
	if (!wbuf_get_u32(&rd, &doi) || !wbuf_get_u32(&rd, &sit))
		return ISAKMP_E_SHORT;
	/* Only the IPsec DOI, identity-only situation: no labeled-domain fields follow. */
	if (doi != ISAKMP_DOI_IPSEC || sit != ISAKMP_SIT_IDENTITY_ONLY)
		return ISAKMP_E_CONTENT;
	if (sa) {
		sa->doi = doi;
		sa->situation = sit;
		sa->nprop = 0;
	}
	size_t n = 0;
	uint8_t np = ISAKMP_NP_P, prev = 0;
	while (np == ISAKMP_NP_P) {
		uint16_t plen;
		struct wbuf_rd sub;
		if (n == ISAKMP_MAX_PROPOSALS)
			return ISAKMP_E_TOO_MANY;
		enum isakmp_err e = gen_hdr(&rd, &np, &plen);
		if (e != ISAKMP_OK)
			return e;
		if (np != ISAKMP_NP_P && np != ISAKMP_NP_NONE)
			return ISAKMP_E_PAYLOAD;
		if ((e = gen_body(&rd, plen, 8, &sub)) != ISAKMP_OK)
			return e;
		uint8_t num;
		if (!wbuf_peek_u8(&sub, 0, &num))
			return ISAKMP_E_SHORT;
		/* Proposal numbers are monotonically non-decreasing (RFC 2408 §4.2). */
		if (num < prev)
			return ISAKMP_E_CONTENT;
		prev = num;
		if ((e = parse_proposal(&sub, sa ? &sa->p[n] : NULL)) != ISAKMP_OK)
			return e;
		n++;
	}
	if (sa)
		sa->nprop = n;
	return wbuf_left(&rd) ? ISAKMP_E_TRAILING : ISAKMP_OK;
}

enum isakmp_err isakmp_parse_id(const uint8_t *body, size_t len, struct isakmp_id *id)
{
	struct wbuf_rd rd;
	wbuf_rd_init(&rd, body, len);
	if (!wbuf_get_u8(&rd, &id->type) || !wbuf_get_u8(&rd, &id->proto) ||
	    !wbuf_get_u16(&rd, &id->port))
		return ISAKMP_E_SHORT;
	id->len = wbuf_left(&rd);
	id->data = wbuf_cur(&rd);
	switch (id->type) {
	case ID_IPV4_ADDR: return id->len == 4 ? ISAKMP_OK : ISAKMP_E_LENGTH;
	case ID_IPV4_ADDR_SUBNET:
	case ID_IPV4_ADDR_RANGE: return id->len == 8 ? ISAKMP_OK : ISAKMP_E_LENGTH;
	case ID_IPV6_ADDR: return id->len == 16 ? ISAKMP_OK : ISAKMP_E_LENGTH;
	case ID_IPV6_ADDR_SUBNET:
	case ID_IPV6_ADDR_RANGE: return id->len == 32 ? ISAKMP_OK : ISAKMP_E_LENGTH;
	case ID_FQDN:
	case ID_USER_FQDN:
	case ID_DER_ASN1_DN:
	case ID_DER_ASN1_GN:
	case ID_KEY_ID: return id->len >= 1 ? ISAKMP_OK : ISAKMP_E_LENGTH;
	}
	return ISAKMP_E_CONTENT;
}

enum isakmp_err isakmp_parse_notify(const uint8_t *body, size_t len, struct isakmp_notify *n)
{
	struct wbuf_rd rd;
	wbuf_rd_init(&rd, body, len);
	if (!wbuf_get_u32(&rd, &n->doi) || !wbuf_get_u8(&rd, &n->proto) ||
	    !wbuf_get_u8(&rd, &n->spi_size) || !wbuf_get_u16(&rd, &n->type))
		return ISAKMP_E_SHORT;
	if (n->spi_size > ISAKMP_MAX_SPI)
		return ISAKMP_E_CONTENT;
	if (!wbuf_get_ptr(&rd, &n->spi, n->spi_size))
		return ISAKMP_E_LENGTH;
	n->datalen = wbuf_left(&rd);
	n->data = wbuf_cur(&rd);
	return ISAKMP_OK;
}

enum isakmp_err isakmp_parse_delete(const uint8_t *body, size_t len, struct isakmp_delete *d)
{
	struct wbuf_rd rd;
	wbuf_rd_init(&rd, body, len);
	if (!wbuf_get_u32(&rd, &d->doi) || !wbuf_get_u8(&rd, &d->proto) ||
	    !wbuf_get_u8(&rd, &d->spi_size) || !wbuf_get_u16(&rd, &d->nspi))
		return ISAKMP_E_SHORT;
	/* The SPI size follows from the protocol (RFC 2408 §3.15, RFC 2407 §4.6.3). */
	switch (d->proto) {
	case ISAKMP_PROTO_ISAKMP: if (d->spi_size != 16) return ISAKMP_E_CONTENT; break;
	case ISAKMP_PROTO_AH:
	case ISAKMP_PROTO_ESP: if (d->spi_size != 4) return ISAKMP_E_CONTENT; break;
	case ISAKMP_PROTO_IPCOMP: if (d->spi_size != 2 && d->spi_size != 4) return ISAKMP_E_CONTENT; break;
	default: return ISAKMP_E_CONTENT;
	}
	if (d->nspi == 0)
		return ISAKMP_E_CONTENT;
	if ((size_t)d->nspi * d->spi_size != wbuf_left(&rd))
		return ISAKMP_E_LENGTH;
	d->spis = wbuf_cur(&rd);
	return ISAKMP_OK;
}

const struct isakmp_pl *isakmp_find(const struct isakmp_msg *m, uint8_t type)
{
	for (size_t i = 0; i < m->npl; i++)
		if (m->pl[i].type == type)
			return &m->pl[i];
	return NULL;
}

size_t isakmp_count(const struct isakmp_msg *m, uint8_t type)
{
	size_t n = 0;
	for (size_t i = 0; i < m->npl; i++)
		n += m->pl[i].type == type;
	return n;
}

const struct isakmp_attr *isakmp_attr_find(const struct isakmp_transform *t, uint16_t type)
{
	for (size_t i = 0; i < t->nattr; i++)
		if (t->attr[i].type == type)
			return &t->attr[i];
	return NULL;
}

/* ---- writer ---- */

void isakmp_wr_init(struct isakmp_wr *e, uint8_t *buf, size_t cap, const struct isakmp_hdr *h)
{
	wbuf_wr_init(&e->w, buf, cap);
	IKE_HDR_PUT(&e->w, h, icookie, rcookie, h->version ? h->version : ISAKMP_VERSION, e->np_off);
}

size_t isakmp_wr_begin(struct isakmp_wr *e, uint8_t type)
{
	if (!e->w.err && e->np_off < e->w.len)
		e->w.p[e->np_off] = type;
	size_t start = e->w.len;
	e->np_off = start;
	wbuf_put_u8(&e->w, ISAKMP_NP_NONE);
	wbuf_put_u8(&e->w, 0);
	wbuf_put_u16(&e->w, 0);
	return start;
}

void isakmp_wr_end(struct isakmp_wr *e, size_t start)
{
	size_t len = e->w.len - start;
	if (len > 0xffff)
		e->w.err = true;
	wbuf_set_u16_at(&e->w, start + 2, (uint16_t)len);
}

int isakmp_wr_finish(struct isakmp_wr *e)
{
	wbuf_set_u32_at(&e->w, 24, (uint32_t)e->w.len);
	return e->w.err ? -1 : (int)e->w.len;
}

void isakmp_put_raw(struct isakmp_wr *e, uint8_t type, const void *data, size_t len)
{
	size_t s = isakmp_wr_begin(e, type);
	wbuf_put_bytes(&e->w, data, len);
	isakmp_wr_end(e, s);
}

static void put_attr(struct wbuf_wr *w, const struct isakmp_attr *a)
{
	if (a->tv) {
		wbuf_put_u16(w, (uint16_t)(0x8000 | a->type));
		wbuf_put_u16(w, (uint16_t)a->ival);
	} else if (a->val) {
		wbuf_put_u16(w, a->type);
		wbuf_put_u16(w, a->len);
		wbuf_put_bytes(w, a->val, a->len);
	} else {
		wbuf_put_u16(w, a->type);
		wbuf_put_u16(w, 4);
		wbuf_put_u32(w, a->ival);
	}
}

static void put_sa_body(struct wbuf_wr *w, const struct isakmp_sa *sa)
{
	wbuf_put_u32(w, sa->doi);
	wbuf_put_u32(w, sa->situation);
	for (size_t i = 0; i < sa->nprop; i++) {
		const struct isakmp_proposal *p = &sa->p[i];
		size_t ps = w->len;
		wbuf_put_u8(w, i + 1 < sa->nprop ? ISAKMP_NP_P : ISAKMP_NP_NONE);
		wbuf_put_u8(w, 0);
		wbuf_put_u16(w, 0);
		wbuf_put_u8(w, p->num);
		wbuf_put_u8(w, p->proto);
		wbuf_put_u8(w, p->spi_size);
		wbuf_put_u8(w, (uint8_t)p->ntrans);
		wbuf_put_bytes(w, p->spi, p->spi_size);
		for (size_t j = 0; j < p->ntrans; j++) {
			const struct isakmp_transform *t = &p->t[j];
			size_t ts = w->len;
			wbuf_put_u8(w, j + 1 < p->ntrans ? ISAKMP_NP_T : ISAKMP_NP_NONE);
			wbuf_put_u8(w, 0);
			wbuf_put_u16(w, 0);
			wbuf_put_u8(w, t->num);
			wbuf_put_u8(w, t->id);
			wbuf_put_u16(w, 0);
			for (size_t k = 0; k < t->nattr; k++)
				put_attr(w, &t->attr[k]);
			wbuf_set_u16_at(w, ts + 2, (uint16_t)(w->len - ts));
		}
		wbuf_set_u16_at(w, ps + 2, (uint16_t)(w->len - ps));
	}
}

void isakmp_put_sa(struct isakmp_wr *e, const struct isakmp_sa *sa)
{
	size_t s = isakmp_wr_begin(e, ISAKMP_NP_SA);
	put_sa_body(&e->w, sa);
	isakmp_wr_end(e, s);
}

int isakmp_encode_sa_body(const struct isakmp_sa *sa, uint8_t *buf, size_t cap)
{
	struct wbuf_wr w;
	wbuf_wr_init(&w, buf, cap);
	put_sa_body(&w, sa);
	return w.err ? -1 : (int)w.len;
}

void isakmp_put_id(struct isakmp_wr *e, const struct isakmp_id *id)
{
	size_t s = isakmp_wr_begin(e, ISAKMP_NP_ID);
	wbuf_put_u8(&e->w, id->type);
	wbuf_put_u8(&e->w, id->proto);
	wbuf_put_u16(&e->w, id->port);
	wbuf_put_bytes(&e->w, id->data, id->len);
	isakmp_wr_end(e, s);
}

void isakmp_put_notify(struct isakmp_wr *e, const struct isakmp_notify *n)
{
	size_t s = isakmp_wr_begin(e, ISAKMP_NP_N);
	wbuf_put_u32(&e->w, n->doi);
	wbuf_put_u8(&e->w, n->proto);
	wbuf_put_u8(&e->w, n->spi_size);
	wbuf_put_u16(&e->w, n->type);
	wbuf_put_bytes(&e->w, n->spi, n->spi_size);
	wbuf_put_bytes(&e->w, n->data, n->datalen);
	isakmp_wr_end(e, s);
}

void isakmp_put_delete(struct isakmp_wr *e, const struct isakmp_delete *d)
{
	size_t s = isakmp_wr_begin(e, ISAKMP_NP_D);
	wbuf_put_u32(&e->w, d->doi);
	wbuf_put_u8(&e->w, d->proto);
	wbuf_put_u8(&e->w, d->spi_size);
	wbuf_put_u16(&e->w, d->nspi);
	wbuf_put_bytes(&e->w, d->spis, (size_t)d->nspi * d->spi_size);
	isakmp_wr_end(e, s);
}

uint8_t isakmp_proto_to_ip(uint8_t isakmp_proto)
{
	return isakmp_proto == ISAKMP_PROTO_AH ? IPPROTO_AH_ : isakmp_proto == ISAKMP_PROTO_ESP ? IPPROTO_ESP_ : 0;
}

uint8_t isakmp_proto_from_ip(uint8_t ipproto)
{
	return ipproto == IPPROTO_AH_ ? ISAKMP_PROTO_AH : ipproto == IPPROTO_ESP_ ? ISAKMP_PROTO_ESP : 0;
}
