/*
 * CREATE_CHILD_SA (RFC 7296 §1.3): a new Child SA, the rekey of a Child SA
 * (REKEY_SA; the old one is deleted once the new one is up, §1.3.3), the
 * rekey of the IKE SA (§1.3.2, §2.18: new SPIs, SKEYSEED from the old
 * SK_d, the Child SAs move to the new IKE SA), optional KE for PFS, and
 * simultaneous rekeys (§2.8.1, §2.8.2): the SA made with the lowest of the
 * four nonces is redundant and its maker deletes it.
 *
 * Every message is inside SK and believed only after ikev2_prot_open.
 */
#include "ikev2/ikev2_int.h"

#include <string.h>

#include <openssl/crypto.h>

/* The payloads of a CREATE_CHILD_SA message, looked up among the protected ones. */
struct cc_payloads {
	struct ikev2_props sa;
	struct ikev2_ke ke;
	bool has_ke, has_ts;
	const uint8_t *nonce;
	size_t nlen;
	struct ikev2_tsp tsi, tsr;
	const struct ikev2_pl *rekey;	/* N(REKEY_SA) */
};

static int cc_parse(const struct ikev2_msg *m, struct cc_payloads *p)
{
	const struct ikev2_pl *sa = ikev2_find(m, IKEV2_PL_SA, IKEV2_INNER),
			      *no = ikev2_find(m, IKEV2_PL_NONCE, IKEV2_INNER),
			      *ke = ikev2_find(m, IKEV2_PL_KE, IKEV2_INNER),
			      *ti = ikev2_find(m, IKEV2_PL_TSI, IKEV2_INNER),
			      *tr = ikev2_find(m, IKEV2_PL_TSR, IKEV2_INNER);
	memset(p, 0, sizeof(*p));
	p->rekey = ikev2_find_notify(m, IKEV2_N_REKEY_SA);
	p->has_ke = ke != NULL;
	p->has_ts = ti && tr;
	if (!sa || !no || ikev2_parse_sa(sa, &p->sa) != 0 || ikev2_parse_nonce(no, &p->nonce, &p->nlen) != 0 ||
	    (ke && ikev2_parse_ke(ke, &p->ke) != 0) || (ti && ikev2_parse_ts(ti, &p->tsi) != 0) ||
	    (tr && ikev2_parse_ts(tr, &p->tsr) != 0) || !p->sa.nprop)
		return IKEV2_N_INVALID_SYNTAX;
	return 0;
}

/* Nonces compare as byte strings; a shorter one that is a prefix is the lower. */
static int nonce_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	return c ? c : (alen > blen) - (alen < blen);
}

static void lower_nonce(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t *out, size_t *olen)
{
	bool first = nonce_cmp(a, alen, b, blen) <= 0;
	*olen = first ? alen : blen;
	memcpy(out, first ? a : b, *olen);
}

/* g^ir of this exchange, into out; -1 when the peer's KE does not fit ours. */
static int shared(struct dh *dh, const struct ikev2_ke *ke, uint8_t *out, size_t *outlen)
{
	if (!dh || ke->group != dh_group(dh))
		return -1;
	int n = dh_derive(dh, ke->data, ke->len, out, DH_MAX_PUB);
	if (n < 0)
		return -1;
	*outlen = (size_t)n;
	return 0;
}

static void put_ke(struct ikev2_wr *w, struct dh *dh)
{
	uint8_t pub[DH_MAX_PUB];
	int n = dh_public(dh, pub, sizeof(pub));
	if (n < 0)
		w->w.err = true;
	else
		ikev2_put_ke(w, (uint16_t)dh_group(dh), pub, (size_t)n);
}

/* IKE proposals carry the new IKE SA's SPI (§1.3.2); the chooser wants it empty. */
static bool strip_ike_spis(struct ikev2_props *p, uint8_t spis[][8])
{
	for (size_t i = 0; i < p->nprop; i++) {
		if (p->prop[i].proto != IKEV2_PROTO_IKE || p->prop[i].spi_len != 8)
			return false;
		memcpy(spis[i], p->prop[i].spi, 8);
		p->prop[i].spi_len = 0;
	}
	return true;
}

/* ---- the request ---- */

static size_t put_child_req(struct ikev2_sa *sa, struct ikev2_wr *w, const struct ikev2_op *op)
{
	struct ikev2_props offer;
	const struct ikev2_range *l = op->ranges ? &op->local : &sa->conf.local_ts,
				 *r = op->ranges ? &op->remote : &sa->conf.remote_ts;
	if (op->kind == IKEV2_OP_REKEY_CHILD) {
		struct ikev2_child_rec *old = ikev2_child_by_in(sa, op->spi);
		uint8_t spi[4];
		if (!old || old->st != IKEV2_C_UP)
			return 0;
		wbuf_st32(spi, op->spi);	/* §1.3.3: the SPI we receive on */
		ikev2_put_notify(w, IKEV2_PROTO_ESP, spi, 4, IKEV2_N_REKEY_SA, NULL, 0);
		l = &old->local;
		r = &old->remote;
	}
	sa->cc.new_spi_in = sa->eng->host->spi_alloc(sa->eng->host->arg);
	if (!sa->cc.new_spi_in || (sa->conf.pfs_group && !(sa->cc.dh = dh_new(sa->conf.pfs_group))))
		return 0;
	ikev2_offer_child_dh(&sa->conf, sa->cc.new_spi_in, sa->conf.pfs_group, &offer);
	ikev2_put_sa(w, &offer);
	ikev2_put_nonce(w, sa->cc.n, IKEV2_NONCE_LEN);
	if (sa->cc.dh)
		put_ke(w, sa->cc.dh);
	ikev2_put_range(w, IKEV2_PL_TSI, l);
	ikev2_put_range(w, IKEV2_PL_TSR, r);
	return 1;
}

static size_t put_ike_req(struct ikev2_sa *sa, struct ikev2_wr *w, uint16_t group)
{
	struct ikev2_props offer;
	if (!group)
		group = sa->suite.dh;
	if (!ikev2_rand(sa->cc.new_spi, 8) || !(sa->cc.dh = dh_new(group)))
		return 0;
	ikev2_offer_ike(&sa->conf, group, &offer);
	for (size_t i = 0; i < offer.nprop; i++) {
		offer.prop[i].spi_len = 8;
		memcpy(offer.prop[i].spi, sa->cc.new_spi, 8);
	}
	ikev2_put_sa(w, &offer);
	ikev2_put_nonce(w, sa->cc.n, IKEV2_NONCE_LEN);
	put_ke(w, sa->cc.dh);
	return 1;
}

int ikev2_send_cc_req(struct ikev2_sa *sa, const struct ikev2_op *op)
{
	static uint8_t buf[4096];
	struct ikev2_wr w;
	dh_free(sa->cc.dh);
	memset(&sa->cc, 0, sizeof(sa->cc));
	if (!ikev2_rand(sa->cc.n, IKEV2_NONCE_LEN))
		return -1;
	size_t at = ikev2_prot_begin(sa, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA, false, sa->req_out);
	size_t ok = op->kind == IKEV2_OP_REKEY_IKE ? put_ike_req(sa, &w, op->group) : put_child_req(sa, &w, op);
	size_t n = ok ? ikev2_seal(sa, &w, at) : 0;
	return n ? ikev2_send_request(sa, buf, n) : -1;
}

static int start(struct ikev2_sa *sa, uint8_t kind, uint32_t spi)
{
	struct ikev2_op op = { .kind = kind, .spi = spi };
	return ikev2_op_start(sa, &op);
}

int ikev2_create_child(struct ikev2_sa *sa, const struct ikev2_range *local, const struct ikev2_range *remote)
{
	struct ikev2_op op = { .kind = IKEV2_OP_NEW_CHILD };
	if (local && remote) {
		op.ranges = true;
		op.local = *local;
		op.remote = *remote;
	}
	return ikev2_op_start(sa, &op);
}

int ikev2_rekey_child(struct ikev2_sa *sa, uint32_t spi_in)
{
	struct ikev2_child_rec *r = ikev2_child_by_in(sa, spi_in);
	return r && r->st == IKEV2_C_UP ? start(sa, IKEV2_OP_REKEY_CHILD, spi_in) : -1;
}

int ikev2_rekey_ike(struct ikev2_sa *sa)
{
	return start(sa, IKEV2_OP_REKEY_IKE, 0);
}

/* ---- the responder ---- */

static void cc_error(struct ikev2_sa *sa, uint32_t msgid, uint16_t type, uint16_t data16)
{
	uint8_t buf[2048], d[2];
	struct ikev2_wr w;
	wbuf_st16(d, data16);
	size_t at = ikev2_prot_begin(sa, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA, true, msgid);
	ikev2_put_notify(&w, 0, NULL, 0, type, d, type == IKEV2_N_INVALID_KE_PAYLOAD ? 2 : 0);
	size_t n = ikev2_seal(sa, &w, at);
	if (n)
		ikev2_send_response(sa, buf, n);
}

/* The IKE SA keys of a rekey (§2.18), with the prf of the new SA keyed by the old SK_d. */
static int key_new_ike(struct ikev2_sa *n, const struct ikev2_sa *old, const uint8_t *gir, size_t girlen)
{
	struct ikev2_sk_alg a, oa;
	size_t il, el;
	int hash, ohash;
	if (ikev2_suite_algs(&n->suite, &a, &n->keys.integ_len, &n->keys.enc_len, &hash) < 0 ||
	    ikev2_suite_algs(&old->suite, &oa, &il, &el, &ohash) < 0 || prf_len(hash) != prf_len(ohash) ||
	    ikev2_derive_ike(hash, old->keys.sk_d, n->ni, n->nilen, n->nr, n->nrlen, gir, girlen, n->spi_i,
			     n->spi_r, &n->keys) < 0 ||
	    ikev2_sk_init(&n->sk, &a, &n->keys, n->initiator) < 0)
		return -1;
	n->sk_ready = true;
	return ikev2_set_state(n, IKEV2_S_READY) ? 0 : -1;
}

/* The peer rekeys the IKE SA: we answer, and a new IKE SA stands (§1.3.2). 0, -1 (answered) or a notify. */
static int ike_rekey_resp(struct ikev2_sa *sa, const struct ikev2_msg *m, struct cc_payloads *p)
{
	static uint8_t spis[IKEV2_MAX_PROPOSALS][8], rsp[4096];
	uint8_t gir[DH_MAX_PUB], spi_r[8], propnum;
	size_t girlen = 0;
	struct ikev2_suite chosen;
	struct ikev2_props answer;
	if (!strip_ike_spis(&p->sa, spis) || !p->has_ke)
		return IKEV2_N_INVALID_SYNTAX;
	if (ikev2_choose_ike(&sa->conf, &p->sa, &chosen, &propnum) < 0)
		return IKEV2_N_NO_PROPOSAL_CHOSEN;
	if (p->ke.group != chosen.dh) {
		sa->eng->st.invalid_ke++;
		cc_error(sa, m->h.msgid, IKEV2_N_INVALID_KE_PAYLOAD, chosen.dh);
		return -1;
	}
	size_t pi = 0;
	while (p->sa.prop[pi].num != propnum)
		pi++;
	struct dh *dh = dh_new(chosen.dh);
	struct ikev2_sa *n = NULL;
	int err = IKEV2_N_NO_PROPOSAL_CHOSEN;
	if (!dh || !ikev2_rand(spi_r, 8) || shared(dh, &p->ke, gir, &girlen) < 0 ||
	    !(n = ikev2_sa_rekeyed(sa, false, spis[pi], spi_r)))
		goto out;
	n->suite = chosen;
	memcpy(n->ni, p->nonce, p->nlen);
	n->nilen = p->nlen;
	n->nrlen = IKEV2_NONCE_LEN;
	if (!ikev2_rand(n->nr, n->nrlen) || key_new_ike(n, sa, gir, girlen) < 0)
		goto out;
	struct ikev2_wr w;
	size_t at = ikev2_prot_begin(sa, &w, rsp, sizeof(rsp), IKEV2_EXCH_CREATE_CHILD_SA, true, m->h.msgid);
	ikev2_answer_ike(&chosen, propnum, &answer);
	answer.prop[0].spi_len = 8;
	memcpy(answer.prop[0].spi, spi_r, 8);
	ikev2_put_sa(&w, &answer);
	ikev2_put_nonce(&w, n->nr, n->nrlen);
	put_ke(&w, dh);
	ikev2_qcd_put(n, &w);		/* RFC 6290 §2.4: the new SA's token, for its SPIs */
	size_t len = ikev2_seal(sa, &w, at);
	if (!len)
		goto out;
	ikev2_send_response(sa, rsp, len);
	err = 0;
	sa->eng->st.qcd_rekey_tx += sa->eng->qcd;
	if (sa->cur.kind == IKEV2_OP_REKEY_IKE) {
		/* Both rekey at once (§2.8.2): who keeps the children waits for our answer. */
		sa->eng->st.rekey_collision++;
		sa->cc.coll = true;
		lower_nonce(n->ni, n->nilen, n->nr, n->nrlen, sa->cc.coll_low, &sa->cc.coll_low_len);
		sa->cc.coll_sa = n;
	} else {
		ikev2_move_children(sa, n);
	}
out:
	if (err && n)
		ikev2_set_state(n, IKEV2_S_DEAD);
	dh_free(dh);
	OPENSSL_cleanse(gir, sizeof(gir));
	return err;
}

/* The Child SA the peer asks for, narrowed to our policy; 0 or the notify to answer. */
static int child_choose(struct ikev2_sa *sa, struct cc_payloads *p, struct ikev2_child *c, uint8_t *propnum)
{
	uint16_t pfs = sa->conf.pfs_group;
	if (!p->has_ts)
		return IKEV2_N_INVALID_SYNTAX;
	if (ikev2_choose_child_dh(&sa->conf, &p->sa, pfs, &c->suite, propnum, &c->spi_out) < 0) {
		sa->eng->st.no_proposal++;
		return IKEV2_N_NO_PROPOSAL_CHOSEN;
	}
	struct ikev2_range pol_l, pol_r;
	ikev2_ts_policy(sa, &p->tsi, &p->tsr, &pol_l, &pol_r);
	if (!ikev2_ts_pick(&p->tsi, &pol_r, &c->remote_ts) || !ikev2_ts_pick(&p->tsr, &pol_l, &c->local_ts)) {
		sa->eng->st.ts_unacceptable++;
		return IKEV2_N_TS_UNACCEPTABLE;
	}
	return 0;
}

/* The peer asks for a Child SA, new or a rekey (§1.3.1, §1.3.3). 0, -1 (answered) or a notify. */
static int child_resp(struct ikev2_sa *sa, const struct ikev2_msg *m, struct cc_payloads *p)
{
	static uint8_t rsp[4096];
	static struct ikev2_child c;
	struct ikev2_engine *e = sa->eng;
	struct ikev2_child_rec *old = NULL;
	struct ikev2_notify rn;
	uint8_t propnum, nr[IKEV2_NONCE_LEN], gir[DH_MAX_PUB];
	size_t girlen = 0;
	memset(&c, 0, sizeof(c));
	if (p->rekey) {
		if (ikev2_parse_notify(p->rekey, &rn) != 0 || rn.spi_len != 4)
			return IKEV2_N_INVALID_SYNTAX;
		old = ikev2_child_by_out(sa, wbuf_be32(rn.spi));
		if (!old) {
			e->st.child_not_found++;
			return IKEV2_N_CHILD_SA_NOT_FOUND;
		}
		if (old->st != IKEV2_C_UP) {
			e->st.temporary_failure++;	/* it is being deleted (§2.25) */
			return IKEV2_N_TEMPORARY_FAILURE;
		}
	}
	int err = child_choose(sa, p, &c, &propnum);
	if (err)
		return err;
	uint16_t pfs = sa->conf.pfs_group;
	if (pfs && (!p->has_ke || p->ke.group != pfs)) {
		e->st.invalid_ke++;
		cc_error(sa, m->h.msgid, IKEV2_N_INVALID_KE_PAYLOAD, pfs);
		return -1;
	}
	struct dh *dh = pfs ? dh_new(pfs) : NULL;
	err = IKEV2_N_TEMPORARY_FAILURE;
	if ((pfs && (!dh || shared(dh, &p->ke, gir, &girlen) < 0)) || !ikev2_rand(nr, sizeof(nr)) ||
	    !(c.spi_in = e->host->spi_alloc(e->host->arg)))
		goto out;
	c.replaces_spi_in = old ? old->spi_in : 0;
	if (ikev2_child_keys(sa, &c, false, p->nonce, p->nlen, nr, sizeof(nr), pfs ? gir : NULL, girlen) < 0)
		goto out;
	struct ikev2_wr w;
	struct ikev2_props answer;
	size_t at = ikev2_prot_begin(sa, &w, rsp, sizeof(rsp), IKEV2_EXCH_CREATE_CHILD_SA, true, m->h.msgid);
	ikev2_answer_child_dh(&c.suite, propnum, c.spi_in, pfs, &answer);
	ikev2_put_sa(&w, &answer);
	ikev2_put_nonce(&w, nr, sizeof(nr));
	if (dh)
		put_ke(&w, dh);
	ikev2_put_range(&w, IKEV2_PL_TSI, &c.remote_ts);
	ikev2_put_range(&w, IKEV2_PL_TSR, &c.local_ts);
	size_t n = ikev2_seal(sa, &w, at);
	if (!n)
		goto out;
	ikev2_send_response(sa, rsp, n);
	err = -1;
	if (old && sa->cur.kind == IKEV2_OP_REKEY_CHILD && sa->cur.spi == old->spi_in) {
		/* Both rekey it at once (§2.8.1): which new one stays is decided when ours is answered. */
		e->st.rekey_collision++;
		sa->cc.coll = true;
		lower_nonce(p->nonce, p->nlen, nr, sizeof(nr), sa->cc.coll_low, &sa->cc.coll_low_len);
		sa->cc.coll_spi_in = c.spi_in;
	}
	if (old)
		e->st.child_rekeyed++;
	else
		e->st.child_created++;
	ikev2_child_add(sa, &c);
out:
	dh_free(dh);
	OPENSSL_cleanse(gir, sizeof(gir));
	OPENSSL_cleanse(&c, sizeof(c));
	return err;
}

void ikev2_recv_cc_req(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len)
{
	static struct cc_payloads p;
	if (!ikev2_prot_open(sa, m, buf, len))
		return;
	sa->req_in++;
	int err;
	if (sa->deleting || sa->rekeyed_to) {
		sa->eng->st.temporary_failure++;
		err = IKEV2_N_TEMPORARY_FAILURE;
	} else if ((err = cc_parse(m, &p)) == 0) {
		err = p.sa.prop[0].proto == IKEV2_PROTO_IKE ? ike_rekey_resp(sa, m, &p) : child_resp(sa, m, &p);
	}
	if (err > 0)
		cc_error(sa, m->h.msgid, (uint16_t)err, 0);
}

/* ---- the answer to our request ---- */

/* Our rekey of a Child SA is answered: the old one goes, or (a lost collision) our new one. */
static void child_rekeyed(struct ikev2_sa *sa, struct ikev2_sa *home, uint32_t old_in, const uint8_t *nr,
			  size_t nrlen)
{
	struct ikev2_stats *st = &sa->eng->st;
	uint8_t low[IKEV2_NONCE_MAX];
	size_t lowlen;
	uint32_t del = old_in;
	st->child_rekeyed++;
	if (sa->cc.coll) {
		lower_nonce(sa->cc.n, IKEV2_NONCE_LEN, nr, nrlen, low, &lowlen);
		if (nonce_cmp(low, lowlen, sa->cc.coll_low, sa->cc.coll_low_len) < 0) {
			/* Ours holds the lowest nonce: redundant, and ours to delete; the peer deletes the old. */
			del = sa->cc.new_spi_in;
			st->redundant_deleted++;
		}
	}
	ikev2_delete_child(home, del);
}

static int finish_child(struct ikev2_sa *sa, const struct ikev2_op *op, struct cc_payloads *p)
{
	static struct ikev2_child c;
	uint8_t gir[DH_MAX_PUB];
	size_t girlen = 0;
	int rc = -1;
	memset(&c, 0, sizeof(c));
	uint16_t pfs = sa->cc.dh ? (uint16_t)dh_group(sa->cc.dh) : 0;
	if (!p->has_ts ||
	    ikev2_accept_child_dh(&sa->conf, &p->sa, pfs, &c.suite, &c.spi_out) < 0 ||
	    (pfs && (!p->has_ke || shared(sa->cc.dh, &p->ke, gir, &girlen) < 0)))
		goto out;
	struct ikev2_sa *home = ikev2_home(sa);
	/* The IKE SA it would belong to is gone or going: no Child SA for it (the peer's dies unused). */
	if (home->state != IKEV2_S_READY || home->deleting)
		goto out;
	struct ikev2_child_rec *old = op->kind == IKEV2_OP_REKEY_CHILD ? ikev2_child_by_in(home, op->spi) : NULL;
	const struct ikev2_range *l = old ? &old->local : op->ranges ? &op->local : &sa->conf.local_ts;
	const struct ikev2_range *r = old ? &old->remote : op->ranges ? &op->remote : &sa->conf.remote_ts;
	/* §2.9: the answer may narrow what we proposed, never widen it. */
	if (!ikev2_ts_accept(&p->tsi, l, &c.local_ts) || !ikev2_ts_accept(&p->tsr, r, &c.remote_ts)) {
		sa->eng->st.ts_unacceptable++;
		goto out;
	}
	c.spi_in = sa->cc.new_spi_in;
	c.replaces_spi_in = old ? old->spi_in : 0;
	if (ikev2_child_keys(sa, &c, true, sa->cc.n, IKEV2_NONCE_LEN, p->nonce, p->nlen, pfs ? gir : NULL,
			     girlen) < 0 ||
	    !ikev2_child_add(home, &c))
		goto out;
	rc = 0;
	if (old)
		child_rekeyed(sa, home, old->spi_in, p->nonce, p->nlen);
	else
		sa->eng->st.child_created++;
out:
	OPENSSL_cleanse(gir, sizeof(gir));
	OPENSSL_cleanse(&c, sizeof(c));
	return rc;
}

/* Our rekey of the IKE SA is answered (§2.18), perhaps beside the peer's own (§2.8.2). */
static int finish_ike(struct ikev2_sa *sa, const struct ikev2_msg *m, struct cc_payloads *p)
{
	static uint8_t spis[IKEV2_MAX_PROPOSALS][8];
	uint8_t gir[DH_MAX_PUB], low[IKEV2_NONCE_MAX];
	size_t girlen = 0, lowlen;
	struct ikev2_suite chosen;
	struct ikev2_sa *n = NULL;
	int rc = -1;
	if (!strip_ike_spis(&p->sa, spis) || !p->has_ke || ikev2_accept_ike(&sa->conf, &p->sa, &chosen) < 0 ||
	    chosen.dh != dh_group(sa->cc.dh) || shared(sa->cc.dh, &p->ke, gir, &girlen) < 0 ||
	    !memcmp(spis[0], "\0\0\0\0\0\0\0\0", 8) || !(n = ikev2_sa_rekeyed(sa, true, sa->cc.new_spi, spis[0])))
		goto out;
	n->suite = chosen;
	memcpy(n->ni, sa->cc.n, IKEV2_NONCE_LEN);
	n->nilen = IKEV2_NONCE_LEN;
	memcpy(n->nr, p->nonce, p->nlen);
	n->nrlen = p->nlen;
	if (key_new_ike(n, sa, gir, girlen) < 0)
		goto out;
	ikev2_qcd_keep(n, m);		/* the responder's token for the new SPIs (RFC 6290 §2.4) */
	rc = 0;
	/* The peer's new SA from the crossing rekey, or what a later rekey made of it. */
	struct ikev2_sa *peers = sa->cc.coll && sa->cc.coll_sa ? ikev2_home(sa->cc.coll_sa) : NULL;
	lower_nonce(n->ni, n->nilen, n->nr, n->nrlen, low, &lowlen);
	if (peers && peers->state == IKEV2_S_READY &&
	    nonce_cmp(low, lowlen, sa->cc.coll_low, sa->cc.coll_low_len) < 0) {
		/* Ours is redundant: the children go to the peer's, we delete ours, the peer the old. */
		ikev2_move_children(sa, peers);
		ikev2_delete_ike(n);
		n->rekeyed_to = peers;		/* never the host's: no ike_down for it */
		sa->eng->st.redundant_deleted++;
		goto out;
	}
	if (sa->cc.coll && sa->cc.coll_sa && !sa->cc.coll_sa->rekeyed_to)
		sa->cc.coll_sa->rekeyed_to = n;	/* the peer's redundant one: it deletes it */
	ikev2_move_children(sa, n);
	/* The old IKE SA is ours to delete (§1.3.2), on the old SA, as the last thing it does. */
	sa->rekeyed_to = NULL;
	ikev2_delete_ike(sa);
	sa->rekeyed_to = n;
	/* Our request could not carry our token (the peer's new SPI was unknown): it goes now, on the new SA. */
	ikev2_qcd_send(n);
out:
	if (rc && n)
		ikev2_set_state(n, IKEV2_S_DEAD);
	OPENSSL_cleanse(gir, sizeof(gir));
	return rc;
}

/*
 * INVALID_KE_PAYLOAD to our IKE rekey names the group the peer wants: once,
 * if one of our suites has it, the rekey goes again first in line (§1.3.2).
 */
static bool retry_ike_group(struct ikev2_sa *sa, const struct ikev2_op *op, const struct ikev2_pl *err)
{
	struct ikev2_notify n;
	/* Not while the peer's own rekey crossed ours: then its new SA is the one. */
	if (op->kind != IKEV2_OP_REKEY_IKE || op->group || sa->cc.coll || ikev2_parse_notify(err, &n) != 0 ||
	    n.type != IKEV2_N_INVALID_KE_PAYLOAD || n.len != 2 || sa->nqueue == IKEV2_MAX_QUEUED)
		return false;
	uint16_t g = wbuf_be16(n.data);
	for (size_t i = 0; i < sa->conf.nike; i++) {
		if (sa->conf.ike[i].dh != g || !sa->cc.dh || g == dh_group(sa->cc.dh))
			continue;
		memmove(sa->queue + 1, sa->queue, sa->nqueue++ * sizeof(sa->queue[0]));
		sa->queue[0] = (struct ikev2_op){ .kind = IKEV2_OP_REKEY_IKE, .group = g };
		sa->eng->st.invalid_ke++;
		return true;
	}
	return false;
}

void ikev2_recv_cc_rsp(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len)
{
	static struct cc_payloads p;
	struct ikev2_engine *e = sa->eng;
	if (sa->cur.kind < IKEV2_OP_NEW_CHILD) {
		e->st.bad_state++;	/* not what our request asked: the timer decides */
		return;
	}
	if (!ikev2_prot_open(sa, m, buf, len))
		return;
	struct ikev2_op op = sa->cur;
	const struct ikev2_pl *err = NULL;
	for (size_t i = IKEV2_INNER; i < m->npl && !err; i++)
		if (m->pl[i].type == IKEV2_PL_N && m->pl[i].len >= 4 &&
		    wbuf_be16(m->pl[i].body + 2) <= IKEV2_N_ERROR_MAX)
			err = &m->pl[i];
	int rc = -1;
	if (err && retry_ike_group(sa, &op, err)) {
		ikev2_log(e, "IKEv2:(SA %s):Peer asked for another DH group: rekeying again", ikev2_sa_name(sa).s);
		rc = 0;
	} else if (err) {
		e->st.peer_error++;
		ikev2_log(e, "IKEv2:(SA %s):CREATE_CHILD_SA refused (message ID %u): %s", ikev2_sa_name(sa).s,
			  (unsigned)m->h.msgid, ikev2_notify_name(wbuf_be16(err->body + 2)));
	} else if (cc_parse(m, &p) == 0) {
		rc = op.kind == IKEV2_OP_REKEY_IKE ? finish_ike(sa, m, &p) : finish_child(sa, &op, &p);
	}
	if (rc < 0 && !err) {
		e->st.no_proposal++;
		ikev2_log(e, "IKEv2:(SA %s):CREATE_CHILD_SA answer not acceptable (message ID %u)", ikev2_sa_name(sa).s,
			  (unsigned)m->h.msgid);
	}
	/* Our IKE rekey failed after we answered the peer's: the peer's new IKE SA is the one (§2.8.2). */
	if (rc < 0 && op.kind == IKEV2_OP_REKEY_IKE && sa->cc.coll && sa->cc.coll_sa &&
	    ikev2_home(sa->cc.coll_sa)->state == IKEV2_S_READY && !sa->rekeyed_to)
		ikev2_move_children(sa, ikev2_home(sa->cc.coll_sa));
	dh_free(sa->cc.dh);
	sa->cc.dh = NULL;
	/* Last: what the answer queued (the Delete of the old SA) goes out now. */
	ikev2_op_done(sa);
}
