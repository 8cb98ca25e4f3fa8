/*
 * Quick Mode (RFC 2409 §5.5), initiator and responder.
 *
 *   QM1 I->R  HASH(1), SA, Ni [, KE] [, IDci, IDcr]
 *   QM2 R->I  HASH(2), SA, Nr [, KE] [, IDci, IDcr] [, N(RESPONDER-LIFETIME)]
 *   QM3 I->R  HASH(3)
 *
 * A transform set is one proposal bundle: its AH and ESP proposals share a
 * proposal number.  When SAs are installed (no commit bit, as IOS): the
 * responder installs the whole bundle when it sends QM2, so its inbound SAs
 * exist before the initiator can possibly use them (the initiator installs
 * on QM2).  The responder retransmits QM2 until QM3 comes; if it never
 * does, it deletes what it installed (the Delete tells the initiator).
 */
#include "ike/ike_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config/transform.h"
#include "router.h"

/* ---- transform sets <-> IPsec DOI: every ID and length from config/transform.h ---- */

static bool xf_has_esp(const struct cfg_transform_set *x)
{
	return x->esp_enc != XF_ENC_NONE || x->esp_auth != XF_AUTH_NONE;
}

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

struct p2_attrs {
	uint32_t life_sec, life_kb;
	uint32_t encap, auth, keylen, group;
};

static bool parse_p2_attrs(const struct isakmp_transform *t, struct p2_attrs *a)
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

static void p2_attrs_put(struct isakmp_transform *t, uint32_t life_sec, uint32_t life_kb,
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
static bool transform_matches(const struct ike_sa *sa, const struct cfg_transform_set *x,
			      uint8_t proto, const struct isakmp_transform *t, int pfs_group,
			      struct p2_attrs *a)
{
	if (!parse_p2_attrs(t, a))
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

/* ---- proxy identities ---- */

static void flow_id(uint32_t addr, uint32_t mask, uint8_t proto, uint16_t port, uint8_t *data,
		    struct isakmp_id *id)
{
	wbuf_st32(data, addr);
	wbuf_st32(data + 4, mask);
	id->type = mask == 0xffffffffu ? ID_IPV4_ADDR : ID_IPV4_ADDR_SUBNET;
	id->proto = proto;
	id->port = port;
	id->data = data;
	id->len = id->type == ID_IPV4_ADDR ? 4 : 8;
}

static bool id_to_net(const struct isakmp_pl *pl, uint32_t *addr, uint32_t *mask, uint8_t *proto,
		      uint16_t *port)
{
	struct isakmp_id id;
	if (isakmp_parse_id(pl->body, pl->len, &id) != ISAKMP_OK)
		return false;
	*proto = id.proto;
	*port = id.port;
	if (id.type == ID_IPV4_ADDR) {
		*addr = wbuf_be32(id.data);
		*mask = 0xffffffffu;
		return true;
	}
	if (id.type == ID_IPV4_ADDR_SUBNET) {
		*mask = wbuf_be32(id.data + 4);
		*addr = wbuf_be32(id.data) & *mask;
		return true;
	}
	return false;
}

static void net_str(uint32_t a, uint32_t m, uint8_t proto, uint16_t port, char *buf, size_t n)
{
	char as[16], ms[16];
	ip_fmt(a, as);
	ip_fmt(m, ms);
	snprintf(buf, n, "%s/%s/%u/%u (type=%d)", as, ms, proto, port, m == 0xffffffffu ? 1 : 4);
}

/* Is net (a/m) inside the ACE side (addr, wildcard)? */
static bool inside(uint32_t a, uint32_t m, uint32_t ace, uint32_t wild)
{
	uint32_t acemask = ~wild;
	return (acemask & ~m) == 0 && (a & acemask) == (ace & acemask);
}

static bool port_ok(enum cfg_port_op op, const uint16_t *p, uint16_t port)
{
	switch (op) {
	case PORT_ANY: return true;
	case PORT_EQ: return port == p[0];
	case PORT_NEQ: return port != 0 && port != p[0];
	case PORT_LT: return port != 0 && port < p[0];
	case PORT_GT: return port > p[0];
	case PORT_RANGE: return port >= p[0] && port <= p[1] && port != 0;
	}
	return false;
}

/* Does the ACL, seen from our side, permit the proposed flow (local = our side)? */
static bool acl_mirrors(const struct cfg_acl *acl, const struct ipsec_flow *f)
{
	for (size_t i = 0; acl && i < acl->nace; i++) {
		const struct cfg_ace *ace = &acl->aces[i];
		if (!ace->permit || ace->remark)
			continue;
		uint32_t dwild = ace->extended ? ace->dst_wild : 0xffffffffu;
		if (!inside(f->local, f->local_mask, ace->src, ace->src_wild) ||
		    !inside(f->remote, f->remote_mask, ace->dst, dwild))
			continue;
		if (ace->proto && ace->proto != f->proto)
			continue;
		if (!port_ok(ace->sop, ace->sport, f->local_port) ||
		    !port_ok(ace->dop, ace->dport, f->remote_port))
			continue;
		return true;
	}
	return false;
}

static bool map_applied_at(const struct config *cfg, const char *map, uint32_t local)
{
	for (size_t i = 0; i < cfg->niface; i++)
		if (cfg->ifaces[i].has_addr && cfg->ifaces[i].addr == local &&
		    strcmp(cfg->ifaces[i].crypto_map, map) == 0)
			return true;
	return false;
}

uint32_t ike_life_sec_of(const struct config *cfg, const struct cfg_cmap_entry *e)
{
	if (e && e->life_sec)
		return e->life_sec;
	return cfg->ipsec_life_sec ? cfg->ipsec_life_sec : 3600;
}

uint32_t ike_life_kb_of(const struct config *cfg, const struct cfg_cmap_entry *e)
{
	if (e && e->life_kb)
		return e->life_kb;
	return cfg->ipsec_life_kb ? cfg->ipsec_life_kb : 4608000;
}

/* ---- records of what we installed ---- */

int ike_record_add(struct ike_state *ike, const struct ike_record *rec)
{
	for (int i = 0; i < IKE_MAX_RECORDS; i++) {
		if (!ike->rec[i].used) {
			ike->rec[i] = *rec;
			ike->rec[i].used = true;
			return i;
		}
	}
	return -1;
}

/*
 * A bundle we could not track could never be deleted, rekeyed or shown:
 * check for room before the message that commits us (QM2 / QM3) goes out.
 */
static bool record_room(struct ike_state *ike)
{
	for (int i = 0; i < IKE_MAX_RECORDS; i++)
		if (!ike->rec[i].used)
			return true;
	ike->st.record_full++;
	return false;
}

struct ike_record *ike_record_by_id(struct ike_state *ike, int id)
{
	for (int i = 0; i < IKE_MAX_RECORDS; i++)
		if (ike->rec[i].used && ike->rec[i].id == id)
			return &ike->rec[i];
	return NULL;
}

void ike_record_del_spi(struct ike_state *ike, uint32_t peer, uint8_t ipproto, uint32_t spi,
			bool inbound)
{
	for (int i = 0; i < IKE_MAX_RECORDS; i++) {
		struct ike_record *c = &ike->rec[i];
		if (!c->used || c->peer != peer)
			continue;
		uint32_t s = ipproto == 51 ? (inbound ? c->ah_spi_in : c->ah_spi_out)
					   : (inbound ? c->esp_spi_in : c->esp_spi_out);
		bool has = ipproto == 51 ? c->has_ah : c->has_esp;
		if (has && s == spi)
			c->used = false;
	}
}

/* ---- exchanges ---- */

static void qm_reap_timer(void *arg)
{
	struct ike_qm *q = arg;
	struct ike_sa *sa = q->sa;
	for (struct ike_qm **pp = &sa->qms; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			qm_free(q);
			return;
		}
	}
}

void qm_free(struct ike_qm *q)
{
	struct router *r = q->sa->ike->r;
	ev_timer_cancel(r->ev, &q->rtx);
	ev_timer_cancel(r->ev, &q->reap);
	if (q->spis_owned) {
		if (q->ah_spi_in)
			sadb_release_spi(r, 51, q->ah_spi_in);
		if (q->esp_spi_in)
			sadb_release_spi(r, 50, q->esp_spi_in);
	}
	ike_msgbuf_free(&q->last_sent);
	ike_msgbuf_free(&q->last_rcvd);
	dh_free(q->dh);
	OPENSSL_cleanse(q, sizeof(*q));
	free(q);
}

const char *qm_state_name(enum qm_state s)
{
	switch (s) {
	case QM_NEW: return "QM_NEW";
	case QM_I_WAIT2: return "QM_I_WAIT2";
	case QM_R_WAIT3: return "QM_R_WAIT3";
	case QM_DONE: return "QM_DONE";
	case QM_FAILED: return "QM_FAILED";
	}
	return "?";
}

bool qm_stateok(enum qm_state from, enum qm_state to)
{
	switch (from) {
	case QM_NEW:
		return to == QM_I_WAIT2 || to == QM_R_WAIT3 || to == QM_FAILED;
	case QM_I_WAIT2:
	case QM_R_WAIT3:
		return to == QM_DONE || to == QM_FAILED;
	case QM_DONE:
	case QM_FAILED:
		return false;
	}
	return false;
}

/* The only place an exchange changes state: it refuses, logs and counts. */
bool qm_set_state(struct ike_qm *q, enum qm_state s)
{
	struct ike_state *ike = q->sa->ike;
	if (q->state == s)
		return true;
	if (!qm_stateok(q->state, s)) {
		char what[64];
		snprintf(what, sizeof(what), "Quick Mode M-ID %u", q->msgid);
		ike_state_refused(ike, what, qm_state_name(q->state), qm_state_name(s));
		return false;
	}
	q->state = s;
	return true;
}

static void qm_finish(struct ike_qm *q, enum qm_state s)
{
	struct ike_state *ike = q->sa->ike;
	if (!qm_set_state(q, s))
		return;
	ev_timer_cancel(ike->r->ev, &q->rtx);
	dh_free(q->dh);
	q->dh = NULL;
	OPENSSL_cleanse(q->gxy, sizeof(q->gxy));
	if (s == QM_FAILED && q->spis_owned) {
		if (q->ah_spi_in)
			sadb_release_spi(ike->r, 51, q->ah_spi_in);
		if (q->esp_spi_in)
			sadb_release_spi(ike->r, 50, q->esp_spi_in);
		q->spis_owned = false;
	}
	/*
	 * Kept to answer a retransmitted message with the same reply, at least
	 * as long as the peer may retransmit: a QM1 that came back after the
	 * exchange was forgotten would be taken for a new one.
	 */
	uint64_t span = ike->rtx_base_ms, step = ike->rtx_base_ms;
	for (int i = 0; i <= ike->rtx_tries; i++, step *= 2)
		span += step;
	ev_timer_arm(ike->r->ev, &q->reap, span > ike->qm_keep_ms ? span : ike->qm_keep_ms);
}

static void qm_fail_log(struct ike_qm *q, const char *why)
{
	struct ike_state *ike = q->sa->ike;
	char ps[16];
	ip_fmt(q->sa->peer, ps);
	ike->st.p2_fail++;
	log_msg_rl(&ike->r->log, &ike->rl_fail, ev_now(ike->r->ev), 1000, "CRYPTO", SEV_INFO,
		   "IKMP_MODE_FAILURE", "Processing of Quick mode failed with peer at %s (%s)", ps, why);
}

static void qm_rtx_timer(void *arg)
{
	struct ike_qm *q = arg;
	struct ike_sa *sa = q->sa;
	struct ike_state *ike = sa->ike;
	if (ike_sa_deleted(sa) || !q->last_sent.p)
		return;
	if (q->tries >= ike->rtx_tries) {
		ike->st.rtx_exhausted++;
		if (q->initiator) {
			qm_fail_log(q, "retransmissions exhausted");
			struct ike_record *old = q->rekey_of ? ike_record_by_id(ike, q->rekey_of) : NULL;
			if (old)
				old->rekeyed = false;
		} else {
			/* QM3 never came: the initiator may not have our SAs. */
			qm_fail_log(q, "no QM3 from initiator; removing the SAs installed for it");
			if (q->bundle_id) {
				if (q->has_esp)
					sadb_delete_inbound_spi(ike->r, 50, q->esp_spi_in, SADB_DEL_CLEAR);
				else if (q->has_ah)
					sadb_delete_inbound_spi(ike->r, 51, q->ah_spi_in, SADB_DEL_CLEAR);
				if (q->has_ah)
					ike_record_del_spi(ike, sa->peer, 51, q->ah_spi_in, true);
				if (q->has_esp)
					ike_record_del_spi(ike, sa->peer, 50, q->esp_spi_in, true);
			}
		}
		qm_finish(q, QM_FAILED);
		return;
	}
	q->tries++;
	ike->st.retransmits++;
	ike_send(sa, q->last_sent.p, q->last_sent.len);
	q->rtx_ms *= 2;
	ev_timer_arm(ike->r->ev, &q->rtx, q->rtx_ms);
}

static struct ike_qm *qm_new(struct ike_sa *sa, uint32_t msgid, bool initiator)
{
	struct ike_qm *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->sa = sa;
	q->msgid = msgid;
	q->initiator = initiator;
	ike_p2_iv(sa, msgid, q->iv);
	ev_timer_init(&q->rtx, qm_rtx_timer, q);
	ev_timer_init(&q->reap, qm_reap_timer, q);
	q->next = sa->qms;
	sa->qms = q;
	return q;
}

static void qm_send(struct ike_qm *q, const uint8_t *msg, size_t len, bool retransmit)
{
	struct ike_state *ike = q->sa->ike;
	ike_msgbuf_set(&q->last_sent, msg, len);
	ike_send(q->sa, msg, len);
	ev_timer_cancel(ike->r->ev, &q->rtx);
	if (retransmit) {
		q->tries = 0;
		q->rtx_ms = ike->rtx_base_ms;
		ev_timer_arm(ike->r->ev, &q->rtx, q->rtx_ms);
	}
}

bool qm_flow_busy(struct ike_state *ike, uint32_t peer, const struct ipsec_flow *f)
{
	for (struct ike_sa *sa = ike->sas; sa; sa = sa->next) {
		if (ike_sa_deleted(sa) || (peer && sa->peer != peer))
			continue;
		for (struct ike_qm *q = sa->qms; q; q = q->next)
			if (q->initiator && q->state == QM_I_WAIT2 &&
			    ipsec_flow_eq(&q->flow, f))
				return true;
	}
	return false;
}

uint32_t new_msgid(struct ike_sa *sa)
{
	uint32_t id;
	for (;;) {
		ike_random(&id, sizeof(id));
		if (id == 0 || ike_msgid_used(sa, id))
			continue;
		/* Ours are remembered too: the peer may not reuse them either. */
		return ike_msgid_remember(sa, id) < 0 ? 0 : id;
	}
}

/* Starts a message with a HASH placeholder; returns the hash payload offset. */
static size_t begin_hashed(struct ike_sa *sa, struct isakmp_wr *w, uint8_t *msg, size_t cap,
			   uint32_t msgid, uint8_t exch)
{
	struct isakmp_hdr h = { .version = ISAKMP_VERSION, .exch = exch, .msgid = msgid };
	memcpy(h.icookie, sa->icookie, 8);
	memcpy(h.rcookie, sa->rcookie, 8);
	isakmp_wr_init(w, msg, cap, &h);
	size_t s = isakmp_wr_begin(w, ISAKMP_NP_HASH);
	wbuf_put_zero(&w->w, sa->hlen);
	isakmp_wr_end(w, s);
	return s;
}

static void debug_proposal(struct ike_qm *q, const char *what, int part, bool ah, uint32_t spi,
			   uint32_t life_sec, uint32_t life_kb, const char *flags)
{
	struct ike_sa *sa = q->sa;
	char ls[16], rs[16], lp[64], rp[64], xn[64];
	ip_fmt(sa->local, ls);
	ip_fmt(sa->peer, rs);
	net_str(q->flow.local, q->flow.local_mask, q->flow.proto, q->flow.local_port, lp, sizeof(lp));
	net_str(q->flow.remote, q->flow.remote_mask, q->flow.proto, q->flow.remote_port, rp, sizeof(rp));
	char partbuf[32] = "";
	if (part)
		snprintf(partbuf, sizeof(partbuf), " proposal part #%d,", part);
	log_debug(&sa->ike->r->log,
		  "IPSEC(%s):%s (key eng. msg.) %s local= %s, remote= %s, local_proxy= %s, remote_proxy= %s, "
		  "protocol= %s, transform= %s , lifedur= %us and %ukb, spi= 0x%X(%u), conn_id= 0, keysize= %zu, flags= %s",
		  part ? "validate_proposal_request" : "initialize_sas", part ? partbuf : " ,", what, ls, rs,
		  lp, rp, ah ? "AH" : "ESP", ike_xf_name(&q->xf, ah, xn, sizeof(xn)), life_sec, life_kb,
		  spi, spi, ah ? (size_t)0 : xf_enc_keylen(&q->xf) * 8, flags);
}

void ike_key_fingerprint(const uint8_t *k, size_t n, uint32_t *fp)
{
	uint8_t h[PRF_MAX_LEN];
	prf_hash2(IKE_HASH_SHA1, k, n, "", 0, h);
	*fp = wbuf_be32(h);
}

/*
 * The one way a negotiated bundle enters the SADB and our records (Quick
 * Mode and IKEv2's Child SAs): sadb_install, then the record (rec brings
 * key_fp and initiator; the rest comes from spec).  Returns the bundle id,
 * or -1 (counted) with nothing left installed.
 */
int ike_install_bundle(struct ike_state *ike, const struct sadb_bundle_spec *spec,
		       struct ike_record *rec)
{
	int id = sadb_install(ike->r, spec);
	if (id < 0) {
		ike->st.install_fail++;
		return -1;
	}
	rec->id = id;
	snprintf(rec->cmap_name, sizeof(rec->cmap_name), "%s", spec->cmap_name ? spec->cmap_name : "");
	rec->cmap_seq = spec->cmap_seq;
	rec->flow = spec->flow;
	rec->local = spec->local_addr;
	rec->peer = spec->peer_addr;
	rec->has_ah = spec->has_ah;
	rec->has_esp = spec->has_esp;
	rec->ah_spi_in = spec->ah_in.spi;
	rec->ah_spi_out = spec->ah_out.spi;
	rec->esp_spi_in = spec->esp_in.spi;
	rec->esp_spi_out = spec->esp_out.spi;
	rec->xf = spec->xf;
	rec->life_sec = spec->life_sec;
	rec->life_kb = spec->life_kb;
	rec->ike_conn_id = spec->ike_conn_id;
	rec->udp_encap = spec->udp_encap;
	rec->peer_port = spec->peer_port;
	rec->installed_ms = ev_now(ike->r->ev);
	if (ike_record_add(ike, rec) < 0) {
		/* Room was checked before the committing message went out, so this
		 * is a bug, not a flood: still, never leave a bundle in the SADB
		 * that nothing tracks. */
		ike->st.record_full++;
		ike->st.install_fail++;
		if (spec->has_esp)
			sadb_delete_inbound_spi(ike->r, 50, spec->esp_in.spi, SADB_DEL_CLEAR);
		else if (spec->has_ah)
			sadb_delete_inbound_spi(ike->r, 51, spec->ah_in.spi, SADB_DEL_CLEAR);
		return -1;
	}
	ike->st.installs++;
	return id;
}

/* KEYMAT for all SAs of the bundle, then sadb_install. */
static int qm_install(struct ike_qm *q)
{
	struct ike_sa *sa = q->sa;
	struct ike_state *ike = sa->ike;
	struct sadb_bundle_spec spec;
	memset(&spec, 0, sizeof(spec));
	spec.cmap_name = q->cmap_name;
	spec.cmap_seq = q->cmap_seq;
	spec.flow = q->flow;
	spec.local_addr = sa->local;
	spec.peer_addr = sa->peer;
	spec.peer_port = sa->peer_port;
	spec.udp_encap = natt_udp_encap(sa);
	spec.xf = q->xf;
	spec.has_ah = q->has_ah;
	spec.has_esp = q->has_esp;
	spec.life_sec = q->life_sec;
	spec.life_kb = q->life_kb;
	spec.ike_conn_id = sa->conn_id;
	struct ike_record rec;
	memset(&rec, 0, sizeof(rec));
	int rc = 0;
	if (q->has_ah) {
		size_t al = xf_ah_keylen(&q->xf);
		spec.ah_in.spi = q->ah_spi_in;
		spec.ah_out.spi = q->ah_spi_out;
		spec.ah_in.auth_key_len = spec.ah_out.auth_key_len = al;
		rc |= ike_keymat(sa, q->gxy, q->gxylen, ISAKMP_PROTO_AH, q->ah_spi_in, q->ni, q->nilen,
				 q->nr, q->nrlen, spec.ah_in.auth_key, al);
		rc |= ike_keymat(sa, q->gxy, q->gxylen, ISAKMP_PROTO_AH, q->ah_spi_out, q->ni, q->nilen,
				 q->nr, q->nrlen, spec.ah_out.auth_key, al);
		ike_key_fingerprint(spec.ah_in.auth_key, al, &rec.key_fp[0]);
		ike_key_fingerprint(spec.ah_out.auth_key, al, &rec.key_fp[1]);
	}
	if (q->has_esp) {
		size_t el = xf_enc_keylen(&q->xf), al = xf_esp_auth_keylen(&q->xf);
		uint8_t km[2 * SADB_KEY_MAX];
		struct sadb_sa_keys *ks[2] = { &spec.esp_in, &spec.esp_out };
		uint32_t spis[2] = { q->esp_spi_in, q->esp_spi_out };
		for (int i = 0; i < 2; i++) {
			/* Encryption key first, then the authentication key. */
			rc |= ike_keymat(sa, q->gxy, q->gxylen, ISAKMP_PROTO_ESP, spis[i], q->ni, q->nilen,
					 q->nr, q->nrlen, km, el + al);
			ks[i]->spi = spis[i];
			memcpy(ks[i]->enc_key, km, el);
			ks[i]->enc_key_len = el;
			memcpy(ks[i]->auth_key, km + el, al);
			ks[i]->auth_key_len = al;
			ike_key_fingerprint(km, el + al, &rec.key_fp[2 + i]);
		}
		OPENSSL_cleanse(km, sizeof(km));
	}
	rec.initiator = q->initiator;
	int id = rc ? -1 : ike_install_bundle(ike, &spec, &rec);
	OPENSSL_cleanse(&spec, sizeof(spec));
	if (id < 0) {
		if (rc)
			ike->st.install_fail++;
		return -1;
	}
	q->spis_owned = false;
	q->bundle_id = id;
	ike->st.p2_ok++;

	if (ike_dbg_ipsec(ike)) {
		char xn[64], ps[16], ls[16];
		ip_fmt(sa->peer, ps);
		ip_fmt(sa->local, ls);
		uint32_t cid = 5120 + 4 * (uint32_t)((id - 1) % 1000);
		if (q->has_ah) {
			debug_proposal(q, "INBOUND", 0, true, q->ah_spi_in, q->life_sec, q->life_kb, "0x2");
			debug_proposal(q, "OUTBOUND", 0, true, q->ah_spi_out, q->life_sec, q->life_kb, "0xA");
		}
		if (q->has_esp) {
			debug_proposal(q, "INBOUND", 0, false, q->esp_spi_in, q->life_sec, q->life_kb, "0x2");
			debug_proposal(q, "OUTBOUND", 0, false, q->esp_spi_out, q->life_sec, q->life_kb, "0xA");
		}
		struct { bool on, ah; uint32_t spi; const char *dst; uint32_t cid; } sas[4] = {
			{ q->has_ah, true, q->ah_spi_in, ls, cid + 1 },
			{ q->has_ah, true, q->ah_spi_out, ps, cid + 2 },
			{ q->has_esp, false, q->esp_spi_in, ls, cid + 3 },
			{ q->has_esp, false, q->esp_spi_out, ps, cid + 4 },
		};
		for (int i = 0; i < 4; i++)
			if (sas[i].on)
				log_debug(&ike->r->log,
					  "IPSEC(create_sa): sa created, (sa) sa_dest= %s, sa_prot= %d, sa_spi= 0x%X(%u), sa_trans= %s , sa_conn_id= %u",
					  sas[i].dst, sas[i].ah ? 51 : 50, sas[i].spi, sas[i].spi,
					  ike_xf_name(&q->xf, sas[i].ah, xn, sizeof(xn)), sas[i].cid);
	}
	return 0;
}

/* ---- initiator ---- */

int qm_start(struct ike_sa *sa, const struct cfg_cmap_entry *e, const struct ipsec_flow *flow,
	     int rekey_of)
{
	struct ike_state *ike = sa->ike;
	const struct config *cfg = ike->r->cfg;
	if (qm_flow_busy(ike, sa->peer, flow)) {
		ike->st.acquire_dup++;
		return 0;
	}
	struct isakmp_sa *offer = calloc(1, sizeof(*offer));
	uint32_t msgid = offer ? new_msgid(sa) : 0;
	struct ike_qm *q = msgid ? qm_new(sa, msgid, true) : NULL;
	if (!q) {
		free(offer);
		return -1;
	}
	snprintf(q->cmap_name, sizeof(q->cmap_name), "%s", e->name);
	q->cmap_seq = e->seq;
	q->flow = *flow;
	q->rekey_of = rekey_of;
	q->pfs_group = e->pfs_group;
	q->life_sec = ike_life_sec_of(cfg, e);
	q->life_kb = ike_life_kb_of(cfg, e);
	offer->doi = ISAKMP_DOI_IPSEC;
	offer->situation = ISAKMP_SIT_IDENTITY_ONLY;
	bool need_ah = false, need_esp = false;
	for (size_t i = 0; i < e->ntsets && q->noffered < 6; i++) {
		const struct cfg_transform_set *x = config_tset(cfg, e->tsets[i]);
		if (x && natt_refuse_ah(sa, x))
			continue;
		if (x && (x->ah || xf_has_esp(x))) {
			q->offered[q->noffered++] = *x;
			need_ah |= x->ah != XF_AH_NONE;
			need_esp |= xf_has_esp(x);
		}
	}
	if (!q->noffered) {
		free(offer);
		qm_fail_log(q, "crypto map entry has no usable transform set");
		qm_finish(q, QM_FAILED);
		return -1;
	}
	/* One SPI per protocol for the whole offer, as IOS does. */
	if (need_ah)
		q->ah_spi_in = sadb_alloc_spi(ike->r, 51);
	if (need_esp)
		q->esp_spi_in = sadb_alloc_spi(ike->r, 50);
	q->spis_owned = true;
	for (size_t i = 0; i < q->noffered && offer->nprop + 2 <= ISAKMP_MAX_PROPOSALS; i++) {
		const struct cfg_transform_set *x = &q->offered[i];
		if (x->ah) {
			struct isakmp_proposal *p = &offer->p[offer->nprop++];
			p->num = (uint8_t)(i + 1);
			p->proto = ISAKMP_PROTO_AH;
			p->spi_size = 4;
			wbuf_st32(p->spi, q->ah_spi_in);
			p->ntrans = 1;
			p->t[0].num = 1;
			p->t[0].id = xf_ike_ah_id(x);
			p2_attrs_put(&p->t[0], q->life_sec, q->life_kb, natt_encap_mode(sa, x->transport),
				     xf_ike_ah_auth(x), 0, q->pfs_group);
		}
		if (xf_has_esp(x)) {
			struct isakmp_proposal *p = &offer->p[offer->nprop++];
			p->num = (uint8_t)(i + 1);
			p->proto = ISAKMP_PROTO_ESP;
			p->spi_size = 4;
			wbuf_st32(p->spi, q->esp_spi_in);
			p->ntrans = 1;
			p->t[0].num = 1;
			p->t[0].id = xf_ike_esp_id(x);
			p2_attrs_put(&p->t[0], q->life_sec, q->life_kb, natt_encap_mode(sa, x->transport),
				     xf_ike_esp_auth(x), xf_ike_keybits(x), q->pfs_group);
		}
	}
	uint8_t msg[ISAKMP_MAX_MSG], ke[DH_MAX_PUB], idd[2][8];
	int kelen = 0;
	if (q->pfs_group) {
		q->dh = dh_new(q->pfs_group);
		kelen = q->dh ? dh_public(q->dh, ke, sizeof(ke)) : -1;
		if (kelen < 0) {
			free(offer);
			qm_fail_log(q, "PFS key generation failed");
			qm_finish(q, QM_FAILED);
			return -1;
		}
	}
	q->nilen = IKE_NONCE_LEN;
	ike_random(q->ni, q->nilen);
	struct isakmp_wr w;
	size_t hs = begin_hashed(sa, &w, msg, sizeof(msg), q->msgid, ISAKMP_EXCH_QUICK);
	isakmp_put_sa(&w, offer);
	isakmp_put_raw(&w, ISAKMP_NP_NONCE, q->ni, q->nilen);
	if (kelen > 0)
		isakmp_put_raw(&w, ISAKMP_NP_KE, ke, (size_t)kelen);
	struct isakmp_id ci, cr;
	flow_id(flow->local, flow->local_mask, flow->proto, flow->local_port, idd[0], &ci);
	flow_id(flow->remote, flow->remote_mask, flow->proto, flow->remote_port, idd[1], &cr);
	isakmp_put_id(&w, &ci);
	isakmp_put_id(&w, &cr);
	int len = isakmp_wr_finish(&w);
	free(offer);
	size_t after = hs + ISAKMP_GEN_LEN + sa->hlen;
	if (len < 0 || ike_hash_p2(sa, false, q->msgid, msg + after, (size_t)len - after, NULL, 0,
				   NULL, 0, msg + hs + ISAKMP_GEN_LEN) < 0 ||
	    (len = ike_encrypt_msg(sa, q->iv, msg, (size_t)len, sizeof(msg))) < 0) {
		qm_fail_log(q, "internal error");
		qm_finish(q, QM_FAILED);
		return -1;
	}
	qm_set_state(q, QM_I_WAIT2);
	if (ike_dbg(ike))
		log_debug(&ike->r->log, "ISAKMP:(%u): beginning Quick Mode exchange, M-ID of %u",
			  sa->conn_id, q->msgid);
	qm_send(q, msg, (size_t)len, true);
	return 0;
}

/* ---- proposal groups ---- */

struct pgroup {
	uint8_t num;
	int ah, esp;	/* index into sa->p, -1 if absent */
	bool bad;
};

static size_t group_proposals(const struct isakmp_sa *o, struct pgroup *g, size_t max)
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

static uint32_t minu(uint32_t a, uint32_t b) { return !a ? b : !b ? a : a < b ? a : b; }

/* ---- responder ---- */

struct qm_choice {
	const struct cfg_cmap_entry *e;
	struct cfg_transform_set xf;
	const struct isakmp_proposal *ah, *esp;
	const struct isakmp_transform *aht, *espt;
	struct p2_attrs attrs;
};

static bool choose(struct ike_sa *sa, const struct isakmp_sa *offer, const struct ipsec_flow *flow,
		   bool has_ke, struct qm_choice *c, const char **why)
{
	const struct config *cfg = sa->ike->r->cfg;
	struct pgroup g[ISAKMP_MAX_PROPOSALS];
	size_t ng = group_proposals(offer, g, ISAKMP_MAX_PROPOSALS);
	bool entry_found = false;
	*why = "no crypto map entry for the peer and proxy identities";
	for (size_t ei = 0; ei < cfg->ncmap; ei++) {
		const struct cfg_cmap_entry *e = &cfg->cmaps[ei];
		bool peer_ok = false;
		for (size_t k = 0; k < e->npeers; k++)
			peer_ok |= e->peers[k] == sa->peer;
		if (e->manual || !peer_ok || !map_applied_at(cfg, e->name, sa->local) ||
		    !acl_mirrors(config_acl(cfg, e->acl), flow))
			continue;
		entry_found = true;
		*why = "no offered proposal matches the transform sets";
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
						if (transform_matches(sa, x, ISAKMP_PROTO_AH, &p->t[k], e->pfs_group, &a))
							at = &p->t[k];
					if (!at)
						continue;
				}
				if (g[gi].esp >= 0) {
					const struct isakmp_proposal *p = &offer->p[g[gi].esp];
					for (size_t k = 0; k < p->ntrans && !et; k++)
						if (transform_matches(sa, x, ISAKMP_PROTO_ESP, &p->t[k], e->pfs_group, &b))
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

static void put_lifetime_notify(struct isakmp_wr *w, uint8_t proto, const uint8_t *spi,
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

static void qm_respond(struct ike_qm *q, const struct isakmp_msg *m, const uint8_t *raw, size_t rawlen)
{
	struct ike_sa *sa = q->sa;
	struct ike_state *ike = sa->ike;
	const struct config *cfg = ike->r->cfg;
	const struct isakmp_pl *sapl = isakmp_find(m, ISAKMP_NP_SA);
	const struct isakmp_pl *nipl = isakmp_find(m, ISAKMP_NP_NONCE);
	const struct isakmp_pl *kepl = isakmp_find(m, ISAKMP_NP_KE);
	size_t nid = isakmp_count(m, ISAKMP_NP_ID);
	struct isakmp_sa *offer = calloc(1, sizeof(*offer));
	const char *why = "malformed QM1";
	if (!offer)
		return;
	if (!sapl || !nipl || isakmp_count(m, ISAKMP_NP_SA) != 1 || isakmp_count(m, ISAKMP_NP_NONCE) != 1 ||
	    isakmp_count(m, ISAKMP_NP_KE) > 1 || (nid != 0 && nid != 2) ||
	    isakmp_parse_sa(sapl->body, sapl->len, offer) != ISAKMP_OK) {
		ike->st.malformed++;
		goto fail;
	}
	/* Proxy identities: IDci is the initiator's side (our remote), IDcr ours. */
	struct ipsec_flow f = { sa->local, 0xffffffffu, sa->peer, 0xffffffffu, 0, 0, 0 };
	if (nid == 2) {
		const struct isakmp_pl *ids[2];
		size_t k = 0;
		for (size_t i = 0; i < m->npl && k < 2; i++)
			if (m->pl[i].type == ISAKMP_NP_ID)
				ids[k++] = &m->pl[i];
		uint8_t p1, p2;
		if (!id_to_net(ids[0], &f.remote, &f.remote_mask, &p1, &f.remote_port) ||
		    !id_to_net(ids[1], &f.local, &f.local_mask, &p2, &f.local_port) || p1 != p2) {
			why = "unsupported proxy identities";
			ike->st.malformed++;
			goto fail;
		}
		f.proto = p1;
		q->had_ids = true;
	}
	q->flow = f;
	struct qm_choice c;
	if (!choose(sa, offer, &f, kepl != NULL, &c, &why)) {
		ike->st.no_proposal++;
		goto fail;
	}
	if (!record_room(ike)) {
		why = "no room to track another bundle";
		goto fail;
	}
	q->xf = c.xf;
	q->has_ah = c.ah != NULL;
	q->has_esp = c.esp != NULL;
	snprintf(q->cmap_name, sizeof(q->cmap_name), "%s", c.e->name);
	q->cmap_seq = c.e->seq;
	q->pfs_group = (int)c.attrs.group;
	memcpy(q->ni, nipl->body, nipl->len);
	q->nilen = nipl->len;
	if (q->has_ah)
		q->ah_spi_out = wbuf_be32(c.ah->spi);
	if (q->has_esp)
		q->esp_spi_out = wbuf_be32(c.esp->spi);
	/* Lifetimes: the lower of the offer and ours; tell the initiator if we lowered. */
	uint32_t our_sec = ike_life_sec_of(cfg, c.e), our_kb = ike_life_kb_of(cfg, c.e);
	q->life_sec = minu(c.attrs.life_sec, our_sec);
	q->life_kb = minu(c.attrs.life_kb, our_kb);
	bool lowered = (c.attrs.life_sec && our_sec < c.attrs.life_sec) ||
		       (c.attrs.life_kb && our_kb < c.attrs.life_kb);

	if (ike_dbg_ipsec(ike)) {
		int part = 1;
		if (q->has_ah)
			debug_proposal(q, "INBOUND", part++, true, 0, 0, 0, "0x2");
		if (q->has_esp)
			debug_proposal(q, "INBOUND", part++, false, 0, 0, 0, "0x2");
	}
	uint8_t ke[DH_MAX_PUB];
	int kelen = 0;
	if (q->pfs_group) {
		q->dh = dh_new(q->pfs_group);
		kelen = q->dh ? dh_public(q->dh, ke, sizeof(ke)) : -1;
		int sl = kelen > 0 && kepl->len == (size_t)kelen
				 ? dh_derive(q->dh, kepl->body, kepl->len, q->gxy, sizeof(q->gxy)) : -1;
		if (sl < 0) {
			why = "bad PFS key exchange";
			ike->st.malformed++;
			goto fail;
		}
		q->gxylen = (size_t)sl;
	}
	if (q->has_ah)
		q->ah_spi_in = sadb_alloc_spi(ike->r, 51);
	if (q->has_esp)
		q->esp_spi_in = sadb_alloc_spi(ike->r, 50);
	q->spis_owned = true;
	if (ike_dbg_ipsec(ike)) {
		char ls[16], ps[16];
		ip_fmt(sa->local, ls);
		ip_fmt(sa->peer, ps);
		if (q->has_ah)
			log_debug(&ike->r->log, "IPSEC(spi_response): getting spi %u for SA from %s to %s for prot 2",
				  q->ah_spi_in, ls, ps);
		if (q->has_esp)
			log_debug(&ike->r->log, "IPSEC(spi_response): getting spi %u for SA from %s to %s for prot 3",
				  q->esp_spi_in, ls, ps);
	}
	q->nrlen = IKE_NONCE_LEN;
	ike_random(q->nr, q->nrlen);

	/* QM2: the chosen proposals, each with the one transform taken, our SPIs. */
	struct isakmp_sa *resp = offer;	/* parsed attributes point into raw, still live */
	struct isakmp_proposal ps_[2];
	size_t np = 0;
	if (c.ah) {
		ps_[np] = (struct isakmp_proposal){ .num = c.ah->num, .proto = ISAKMP_PROTO_AH, .spi_size = 4, .ntrans = 1 };
		wbuf_st32(ps_[np].spi, q->ah_spi_in);
		ps_[np].t[0] = *c.aht;
		np++;
	}
	if (c.esp) {
		ps_[np] = (struct isakmp_proposal){ .num = c.esp->num, .proto = ISAKMP_PROTO_ESP, .spi_size = 4, .ntrans = 1 };
		wbuf_st32(ps_[np].spi, q->esp_spi_in);
		ps_[np].t[0] = *c.espt;
		np++;
	}
	resp->nprop = np;
	for (size_t i = 0; i < np; i++)
		resp->p[i] = ps_[i];
	uint8_t msg[ISAKMP_MAX_MSG];
	struct isakmp_wr w;
	size_t hs = begin_hashed(sa, &w, msg, sizeof(msg), q->msgid, ISAKMP_EXCH_QUICK);
	isakmp_put_sa(&w, resp);
	isakmp_put_raw(&w, ISAKMP_NP_NONCE, q->nr, q->nrlen);
	if (kelen > 0)
		isakmp_put_raw(&w, ISAKMP_NP_KE, ke, (size_t)kelen);
	for (size_t i = 0; i < m->npl; i++)	/* echo the proxy identities */
		if (m->pl[i].type == ISAKMP_NP_ID)
			isakmp_put_raw(&w, ISAKMP_NP_ID, m->pl[i].body, m->pl[i].len);
	if (lowered) {
		if (c.ah)
			put_lifetime_notify(&w, ISAKMP_PROTO_AH, c.ah->spi, q->life_sec, q->life_kb);
		if (c.esp)
			put_lifetime_notify(&w, ISAKMP_PROTO_ESP, c.esp->spi, q->life_sec, q->life_kb);
	}
	int len = isakmp_wr_finish(&w);
	size_t after = hs + ISAKMP_GEN_LEN + sa->hlen;
	free(offer);
	offer = NULL;
	if (len < 0 || ike_hash_p2(sa, false, q->msgid, q->ni, q->nilen, msg + after, (size_t)len - after,
				   NULL, 0, msg + hs + ISAKMP_GEN_LEN) < 0 ||
	    (len = ike_encrypt_msg(sa, q->iv, msg, (size_t)len, sizeof(msg))) < 0) {
		why = "internal error";
		goto fail;
	}
	/*
	 * QM2 goes out first, then the SAs are installed: installing flushes the
	 * packets held for the flow onto the new outbound SA, and they must not
	 * overtake the QM2 that lets the initiator open them.  The initiator
	 * installs only after QM2 and sends on the SAs only after QM3, so our
	 * inbound is in place before its first packet can arrive.
	 */
	ike_msgbuf_set(&q->last_rcvd, raw, rawlen);
	qm_set_state(q, QM_R_WAIT3);
	qm_send(q, msg, (size_t)len, true);
	if (qm_install(q) < 0) {
		/* The initiator has QM2 now; its packets will meet an unknown SPI,
		 * and the INVALID-SPI notify that follows makes it drop the SAs. */
		qm_fail_log(q, "SA installation failed");
		qm_finish(q, QM_FAILED);
	}
	return;
fail:
	free(offer);
	qm_fail_log(q, why);
	{
		/* Tell the peer, protected, so it stops retrying (IOS does the same). */
		struct isakmp_notify n = { ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ESP, 0,
					   ISAKMP_N_NO_PROPOSAL_CHOSEN, NULL, NULL, 0 };
		if (ike->st.no_proposal && strstr(why, "proposal"))
			info_send(sa, &n, NULL, 0);
	}
	ike_msgbuf_set(&q->last_rcvd, raw, rawlen);
	qm_finish(q, QM_FAILED);
}

/* QM2 at the initiator. */
static void qm_complete(struct ike_qm *q, const struct isakmp_msg *m, const uint8_t *raw, size_t rawlen)
{
	struct ike_sa *sa = q->sa;
	struct ike_state *ike = sa->ike;
	const struct isakmp_pl *sapl = isakmp_find(m, ISAKMP_NP_SA);
	const struct isakmp_pl *nrpl = isakmp_find(m, ISAKMP_NP_NONCE);
	const struct isakmp_pl *kepl = isakmp_find(m, ISAKMP_NP_KE);
	struct isakmp_sa *resp = calloc(1, sizeof(*resp));
	const char *why = "malformed QM2";
	if (!resp)
		return;
	if (!sapl || !nrpl || isakmp_count(m, ISAKMP_NP_SA) != 1 ||
	    isakmp_parse_sa(sapl->body, sapl->len, resp) != ISAKMP_OK) {
		ike->st.malformed++;
		goto fail;
	}
	struct pgroup g[2];
	if (group_proposals(resp, g, 2) != 1 || g[0].bad || g[0].num == 0 || g[0].num > q->noffered) {
		why = "responder's SA is not one of our proposals";
		goto fail;
	}
	const struct cfg_transform_set *x = &q->offered[g[0].num - 1];
	if ((x->ah != XF_AH_NONE) != (g[0].ah >= 0) || xf_has_esp(x) != (g[0].esp >= 0)) {
		why = "responder's SA is not one of our proposals";
		goto fail;
	}
	struct p2_attrs a;
	if (g[0].ah >= 0) {
		const struct isakmp_proposal *p = &resp->p[g[0].ah];
		if (p->ntrans != 1 || !transform_matches(sa, x, ISAKMP_PROTO_AH, &p->t[0], q->pfs_group, &a)) {
			why = "responder's AH transform is not ours";
			goto fail;
		}
		q->ah_spi_out = wbuf_be32(p->spi);
	}
	if (g[0].esp >= 0) {
		const struct isakmp_proposal *p = &resp->p[g[0].esp];
		if (p->ntrans != 1 || !transform_matches(sa, x, ISAKMP_PROTO_ESP, &p->t[0], q->pfs_group, &a)) {
			why = "responder's ESP transform is not ours";
			goto fail;
		}
		q->esp_spi_out = wbuf_be32(p->spi);
	}
	if (q->pfs_group) {
		int sl = kepl && kepl->len == dh_pub_len(q->pfs_group)
				 ? dh_derive(q->dh, kepl->body, kepl->len, q->gxy, sizeof(q->gxy)) : -1;
		if (sl < 0) {
			why = "PFS key exchange missing or invalid";
			goto fail;
		}
		q->gxylen = (size_t)sl;
	} else if (kepl) {
		why = "unexpected KE";
		goto fail;
	}
	if (isakmp_count(m, ISAKMP_NP_ID) != 0 && isakmp_count(m, ISAKMP_NP_ID) != 2) {
		why = "bad proxy identities";
		goto fail;
	}
	q->xf = *x;
	q->has_ah = g[0].ah >= 0;
	q->has_esp = g[0].esp >= 0;
	memcpy(q->nr, nrpl->body, nrpl->len);
	q->nrlen = nrpl->len;
	/* RESPONDER-LIFETIME lowers ours. */
	for (size_t i = 0; i < m->npl; i++) {
		struct isakmp_notify n;
		if (m->pl[i].type != ISAKMP_NP_N || isakmp_parse_notify(m->pl[i].body, m->pl[i].len, &n) != ISAKMP_OK ||
		    n.type != ISAKMP_N_RESPONDER_LIFETIME)
			continue;
		struct isakmp_transform t;
		struct wbuf_rd rd;
		uint32_t type = 0;
		wbuf_rd_init(&rd, n.data, n.datalen);
		memset(&t, 0, sizeof(t));
		while (wbuf_left(&rd) && t.nattr < ISAKMP_MAX_ATTRS) {
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
				q->life_sec = minu(q->life_sec, val);
			else if (at == IPSEC_ATTR_LIFE_DUR && type == IKE_LIFE_KB)
				q->life_kb = minu(q->life_kb, val);
		}
	}
	free(resp);
	resp = NULL;
	if (!record_room(ike)) {
		/* No QM3: the responder removes its SAs when it gives up on it. */
		why = "no room to track another bundle";
		goto fail;
	}

	uint8_t msg[ISAKMP_MAX_MSG];
	struct isakmp_wr w;
	size_t hs = begin_hashed(sa, &w, msg, sizeof(msg), q->msgid, ISAKMP_EXCH_QUICK);
	int len = isakmp_wr_finish(&w);
	if (len < 0 || ike_hash_p2(sa, true, q->msgid, q->ni, q->nilen, q->nr, q->nrlen, NULL, 0,
				   msg + hs + ISAKMP_GEN_LEN) < 0 ||
	    (len = ike_encrypt_msg(sa, q->iv, msg, (size_t)len, sizeof(msg))) < 0) {
		why = "internal error";
		goto fail;
	}
	ike_msgbuf_set(&q->last_rcvd, raw, rawlen);
	/* QM3 first, then the SAs: the responder's are already in place. */
	qm_send(q, msg, (size_t)len, false);
	if (qm_install(q) < 0)
		qm_fail_log(q, "SA installation failed");
	if (ike_dbg(ike))
		log_debug(&ike->r->log, "ISAKMP:(%u):Old State = IKE_QM_I_QM1  New State = IKE_QM_PHASE2_COMPLETE",
			  sa->conn_id);
	qm_finish(q, QM_DONE);
	return;
fail:
	free(resp);
	qm_fail_log(q, why);
	qm_finish(q, QM_FAILED);
}

/*
 * An exact copy of the last message the peer sent in this exchange.  Only a
 * repeated *request* is answered, with the stored reply: QM1 while we wait
 * for QM3 (our QM2 was lost), and QM2 at the initiator (the responder
 * retransmits QM2 when our QM3 was lost).  QM3 is the last message of the
 * exchange and is never answered: answering it with QM2 made the initiator
 * answer with QM3 again, an endless exchange started by one network
 * duplicate (issue 9, finding 1).  Everything else is counted and dropped.
 */
static void qm_duplicate(struct ike_qm *q)
{
	struct ike_sa *sa = q->sa;
	struct ike_state *ike = sa->ike;
	bool request = q->last_sent.p &&
		       (q->initiator ? q->state == QM_DONE : q->state == QM_R_WAIT3);
	if (request) {
		ike->st.duplicates++;
		ike_send(sa, q->last_sent.p, q->last_sent.len);
		return;
	}
	ike_drop(ike, &ike->st.dup_dropped, sa->peer,
		 q->initiator ? "duplicate Quick Mode message (exchange over)"
			      : "duplicate QM3 (never answered)");
}

void qm_input(struct ike_sa *sa, const uint8_t *buf, size_t len, const struct isakmp_hdr *h)
{
	struct ike_state *ike = sa->ike;
	if (sa->state != QM_IDLE || !(h->flags & ISAKMP_FLAG_ENC) || h->msgid == 0) {
		ike_drop(ike, &ike->st.unprotected_ignored, sa->peer, "Quick Mode outside an established IKE SA");
		return;
	}
	struct ike_qm *q = NULL;
	for (struct ike_qm *i = sa->qms; i; i = i->next)
		if (i->msgid == h->msgid)
			q = i;
	if (q && ike_msgbuf_eq(&q->last_rcvd, buf, len)) {
		qm_duplicate(q);
		return;
	}
	if (q && (q->state == QM_DONE || q->state == QM_FAILED)) {
		ike_drop(ike, &ike->st.dup_dropped, sa->peer, "Quick Mode message for a finished exchange");
		return;
	}
	/* A new exchange must bring a message ID this SA never used (msgid.c):
	 * a QM1 replayed after its exchange was forgotten stops here. */
	if (!q && ike_msgid_used(sa, h->msgid)) {
		ike_drop(ike, &ike->st.msgid_reuse, sa->peer, "Quick Mode reuses a message ID");
		return;
	}
	bool fresh = !q;
	if (fresh && !(q = qm_new(sa, h->msgid, false)))
		return;
	if (len > ISAKMP_MAX_MSG) {
		ike_drop(ike, &ike->st.malformed, sa->peer, "oversized Quick Mode message");
		goto drop;
	}
	uint8_t plain[ISAKMP_MAX_MSG];
	struct isakmp_msg *m = calloc(1, sizeof(*m));
	uint8_t iv[IKE_MAX_BLOCK], want[PRF_MAX_LEN];
	if (!m)
		goto drop;
	memcpy(iv, q->iv, sizeof(iv));
	const char *why = "?";
	if (ike_decrypt_msg(sa, iv, buf, len, plain, m, &why) < 0) {
		free(m);
		ike_drop_log(ike, sa->peer, why);	/* ike_decrypt_msg counted it */
		goto drop;
	}
	const struct isakmp_pl *hp = m->npl ? &m->pl[0] : NULL;
	if (!hp || hp->type != ISAKMP_NP_HASH || hp->len != sa->hlen) {
		free(m);
		ike_drop(ike, &ike->st.malformed, sa->peer, "Quick Mode message without HASH first");
		goto drop;
	}
	const uint8_t *rest = hp->raw + hp->rawlen;
	size_t restlen = m->npl > 1 ? (size_t)(m->pl[m->npl - 1].raw + m->pl[m->npl - 1].rawlen - rest) : 0;
	int hr;
	if (fresh)	/* QM1: HASH(1) */
		hr = ike_hash_p2(sa, false, q->msgid, rest, restlen, NULL, 0, NULL, 0, want);
	else if (q->initiator && q->state == QM_I_WAIT2)	/* QM2: HASH(2) */
		hr = ike_hash_p2(sa, false, q->msgid, q->ni, q->nilen, rest, restlen, NULL, 0, want);
	else if (!q->initiator && q->state == QM_R_WAIT3)	/* QM3: HASH(3) */
		hr = restlen == 0 ? ike_hash_p2(sa, true, q->msgid, q->ni, q->nilen, q->nr, q->nrlen,
						NULL, 0, want) : -1;
	else
		hr = -1;
	if (hr < 0 || CRYPTO_memcmp(want, hp->body, sa->hlen) != 0) {
		free(m);
		ike_drop(ike, &ike->st.bad_hash, sa->peer, "Quick Mode hash mismatch");
		goto drop;
	}
	if (fresh && ike_msgid_remember(sa, q->msgid) < 0) {
		free(m);
		ike_drop_log(ike, sa->peer, "no message IDs left on this IKE SA");
		goto drop;
	}
	memcpy(q->iv, iv, sizeof(iv));
	natt_rx_authenticated(sa);
	if (fresh) {
		qm_respond(q, m, buf, len);
	} else if (q->initiator) {
		qm_complete(q, m, buf, len);
	} else {
		ike_msgbuf_set(&q->last_rcvd, buf, len);
		if (ike_dbg(ike))
			log_debug(&ike->r->log, "ISAKMP:(%u):Old State = IKE_QM_R_QM2  New State = IKE_QM_PHASE2_COMPLETE",
				  sa->conn_id);
		qm_finish(q, QM_DONE);
	}
	free(m);
	OPENSSL_cleanse(plain, sizeof(plain));
	return;
drop:
	if (fresh) {
		/* Nothing authenticated arrived: forget the exchange at once. */
		for (struct ike_qm **pp = &sa->qms; *pp; pp = &(*pp)->next)
			if (*pp == q) {
				*pp = q->next;
				break;
			}
		qm_free(q);
	}
}
