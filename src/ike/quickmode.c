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
#include "ike/qm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config/transform.h"
#include "router.h"

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
			sadb_release_spi(r, IPPROTO_AH_, q->ah_spi_in);
		if (q->esp_spi_in)
			sadb_release_spi(r, IPPROTO_ESP_, q->esp_spi_in);
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

void qm_finish(struct ike_qm *q, enum qm_state s)
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
			sadb_release_spi(ike->r, IPPROTO_AH_, q->ah_spi_in);
		if (q->esp_spi_in)
			sadb_release_spi(ike->r, IPPROTO_ESP_, q->esp_spi_in);
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

void qm_fail_log(struct ike_qm *q, const char *why)
{
	struct ike_state *ike = q->sa->ike;
	char ps[16];
	ip_fmt(q->sa->peer, ps);
	ike->st.p2_fail++;
	log_msg_rl(&ike->r->log, &ike->rl_fail, ev_now(ike->r->ev), 1000, "CRYPTO", SEV_INFO,
		   "IKMP_MODE_FAILURE", "Processing of Quick mode failed with peer at %s (%s)", ps, why);
}

/*
 * A Quick Mode first sent at @since got no answer through all its
 * retransmissions: every IKE SA with the peer on which it said nothing
 * authenticated since then goes (a Delete, best effort). Another IKE SA it
 * has been as silent on is as likely gone at the peer (two crossing Main
 * Modes leave two), and would take the next acquire into the same
 * two-minute wait.
 */
static void qm_death_p2(struct ike_state *ike, uint32_t peer, uint64_t since)
{
	for (struct ike_sa *o = ike->sas; o; o = o->next) {
		if (o->peer != peer || !ike_sa_established(o) || o->last_rx_ms >= since)
			continue;
		ike->st.p2_death++;
		info_send_isakmp_delete(o);
		ike_sa_delete(o, "Death by retransmission P2");
	}
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
					sadb_delete_inbound_spi(ike->r, IPPROTO_ESP_, q->esp_spi_in, SADB_DEL_CLEAR);
				else if (q->has_ah)
					sadb_delete_inbound_spi(ike->r, IPPROTO_AH_, q->ah_spi_in, SADB_DEL_CLEAR);
				if (q->has_ah)
					ike_record_del_spi(ike, sa->peer, IPPROTO_AH_, q->ah_spi_in, true);
				if (q->has_esp)
					ike_record_del_spi(ike, sa->peer, IPPROTO_ESP_, q->esp_spi_in, true);
			}
		}
		qm_finish(q, QM_FAILED);
		/*
		 * If the peer said nothing on this IKE SA, it may have dropped
		 * it (an INITIAL-CONTACT of a crossing Main Mode, a lost Delete,
		 * a reboot). Kept, every later acquire and every INVALID_SPI
		 * notify would go out on it again, a black hole until its
		 * lifetime ends. IOS deletes it too ("Death by retransmission
		 * P2"); the next need of it starts Main Mode. One that the peer
		 * answered on (a NO_PROPOSAL_CHOSEN, DPD) stays.
		 */
		if (q->initiator)
			qm_death_p2(ike, sa->peer, q->first_sent_ms);
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

void qm_send(struct ike_qm *q, const uint8_t *msg, size_t len, bool retransmit)
{
	struct ike_state *ike = q->sa->ike;
	ike_msgbuf_set(&q->last_sent, msg, len);
	ike_send(q->sa, msg, len);
	ev_timer_cancel(ike->r->ev, &q->rtx);
	if (retransmit) {
		q->tries = 0;
		q->rtx_ms = ike->rtx_base_ms;
		q->first_sent_ms = ev_now(ike->r->ev);
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
size_t qm_begin_hashed(struct ike_sa *sa, struct isakmp_wr *w, uint8_t *msg, size_t cap,
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

/* QM1 or QM2 up to the proxy identities: HASH placeholder, SA, nonce [, KE]; the HASH offset. */
size_t qm_begin_sa_msg(struct ike_qm *q, struct isakmp_wr *w, uint8_t *msg, size_t cap,
		       const struct isakmp_sa *sap, const uint8_t *nonce, size_t nlen,
		       const uint8_t *ke, int kelen)
{
	size_t hs = qm_begin_hashed(q->sa, w, msg, cap, q->msgid, ISAKMP_EXCH_QUICK);
	isakmp_put_sa(w, sap);
	isakmp_put_raw(w, ISAKMP_NP_NONCE, nonce, nlen);
	if (kelen > 0)
		isakmp_put_raw(w, ISAKMP_NP_KE, ke, (size_t)kelen);
	return hs;
}

/*
 * Finishes a hashed message: HASH over [pre |] everything after the HASH
 * payload (RFC 2409 §5.5: HASH(1) without pre, HASH(2) with Ni_b), then
 * encryption.  Returns the length to send, -1 on failure.
 */
int qm_seal_hashed(struct ike_qm *q, uint8_t *msg, size_t cap, int len, size_t hs,
		       const uint8_t *pre, size_t prelen)
{
	struct ike_sa *sa = q->sa;
	size_t after = hs + ISAKMP_GEN_LEN + sa->hlen;
	if (len < 0)
		return -1;
	const uint8_t *rest = msg + after;
	size_t restlen = (size_t)len - after;
	int hr = pre ? ike_hash_p2(sa, false, q->msgid, pre, prelen, rest, restlen, NULL, 0,
				   msg + hs + ISAKMP_GEN_LEN)
		     : ike_hash_p2(sa, false, q->msgid, rest, restlen, NULL, 0, NULL, 0,
				   msg + hs + ISAKMP_GEN_LEN);
	if (hr < 0)
		return -1;
	return ike_encrypt_msg(sa, q->iv, msg, (size_t)len, cap);
}

/* ---- initiator ---- */

/* The transform sets of entry e we can offer; false when there is none. */
static bool pick_offered(struct ike_qm *q, const struct cfg_cmap_entry *e, bool *need_ah,
			 bool *need_esp)
{
	const struct config *cfg = q->sa->ike->r->cfg;
	*need_ah = *need_esp = false;
	for (size_t i = 0; i < e->ntsets && q->noffered < 6; i++) {
		const struct cfg_transform_set *x = config_tset(cfg, e->tsets[i]);
		if (x && natt_refuse_ah(q->sa, x))
			continue;
		if (x && (x->ah || xf_has_esp(x))) {
			q->offered[q->noffered++] = *x;
			*need_ah |= x->ah != XF_AH_NONE;
			*need_esp |= xf_has_esp(x);
		}
	}
	return q->noffered > 0;
}

/* QM1: HASH(1), SA, Ni [, KE], IDci, IDcr. */
static int build_qm1(struct ike_qm *q, const struct isakmp_sa *offer, uint8_t *msg, size_t cap,
		     const char **why)
{
	const struct ipsec_flow *flow = &q->flow;
	uint8_t ke[DH_MAX_PUB], idd[2][8];
	int kelen = 0;
	if (q->pfs_group) {
		q->dh = dh_new(q->pfs_group);
		kelen = q->dh ? dh_public(q->dh, ke, sizeof(ke)) : -1;
		if (kelen < 0) {
			*why = "PFS key generation failed";
			return -1;
		}
	}
	q->nilen = IKE_NONCE_LEN;
	ike_random(q->ni, q->nilen);
	struct isakmp_wr w;
	size_t hs = qm_begin_sa_msg(q, &w, msg, cap, offer, q->ni, q->nilen, ke, kelen);
	struct isakmp_id ci, cr;
	qm_flow_id(flow->local, flow->local_mask, flow->proto, flow->local_port, idd[0], &ci);
	qm_flow_id(flow->remote, flow->remote_mask, flow->proto, flow->remote_port, idd[1], &cr);
	isakmp_put_id(&w, &ci);
	isakmp_put_id(&w, &cr);
	int len = qm_seal_hashed(q, msg, cap, isakmp_wr_finish(&w), hs, NULL, 0);
	if (len < 0)
		*why = "internal error";
	return len;
}

int qm_start(struct ike_sa *sa, const struct cfg_cmap_entry *e, const struct ipsec_flow *flow,
	     int rekey_of)
{
	struct ike_state *ike = sa->ike;
	const struct config *cfg = ike->r->cfg;
	if (!ike_sa_established(sa))
		return -1;	/* e.g. replaced by natt_ah_dead_end while pending flows start */
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
	q->life_sec = config_cmap_life_sec(cfg, e);
	q->life_kb = config_cmap_life_kb(cfg, e);
	bool need_ah, need_esp;
	const char *why = "crypto map entry has no usable transform set";
	uint8_t msg[ISAKMP_MAX_MSG];
	int len = -1;
	uint64_t ah_refused = ike->st.natt_ah_refused;
	if (pick_offered(q, e, &need_ah, &need_esp)) {
		/* One SPI per protocol for the whole offer, as IOS does. */
		if (need_ah)
			q->ah_spi_in = sadb_alloc_spi(ike->r, IPPROTO_AH_);
		if (need_esp)
			q->esp_spi_in = sadb_alloc_spi(ike->r, IPPROTO_ESP_);
		q->spis_owned = true;
		qm_offer_proposals(q, offer);
		len = build_qm1(q, offer, msg, sizeof(msg), &why);
	}
	free(offer);
	if (len < 0) {
		qm_fail_log(q, why);
		qm_finish(q, QM_FAILED);
		if (q->noffered == 0 && ike->st.natt_ah_refused != ah_refused)
			natt_ah_dead_end(sa);
		return -1;
	}
	qm_set_state(q, QM_I_WAIT2);
	if (ike_dbg(ike))
		log_debug(&ike->r->log, "ISAKMP:(%u): beginning Quick Mode exchange, M-ID of %u",
			  sa->conn_id, q->msgid);
	qm_send(q, msg, (size_t)len, true);
	return 0;
}

/* ---- initiator: QM2 -> check the answer, QM3, install ---- */

/* QM2's SA must be one of our proposals with one of our transforms: into q. */
static bool qm2_take_sa(struct ike_qm *q, const struct isakmp_sa *resp, const char **why)
{
	struct pgroup g[2];
	*why = "responder's SA is not one of our proposals";
	if (qm_group_proposals(resp, g, 2) != 1 || g[0].bad || g[0].num == 0 || g[0].num > q->noffered)
		return false;
	const struct cfg_transform_set *x = &q->offered[g[0].num - 1];
	if ((x->ah != XF_AH_NONE) != (g[0].ah >= 0) || xf_has_esp(x) != (g[0].esp >= 0))
		return false;
	struct p2_attrs a;
	if (g[0].ah >= 0) {
		const struct isakmp_proposal *p = &resp->p[g[0].ah];
		if (p->ntrans != 1 || !qm_transform_matches(q->sa, x, ISAKMP_PROTO_AH, &p->t[0], q->pfs_group, &a)) {
			*why = "responder's AH transform is not ours";
			return false;
		}
		q->ah_spi_out = wbuf_be32(p->spi);
	}
	if (g[0].esp >= 0) {
		const struct isakmp_proposal *p = &resp->p[g[0].esp];
		if (p->ntrans != 1 || !qm_transform_matches(q->sa, x, ISAKMP_PROTO_ESP, &p->t[0], q->pfs_group, &a)) {
			*why = "responder's ESP transform is not ours";
			return false;
		}
		q->esp_spi_out = wbuf_be32(p->spi);
	}
	q->xf = *x;
	q->has_ah = g[0].ah >= 0;
	q->has_esp = g[0].esp >= 0;
	return true;
}

/* QM2's KE (PFS) and proxy identities. */
static bool qm2_take_ke(struct ike_qm *q, const struct isakmp_msg *m, const char **why)
{
	const struct isakmp_pl *kepl = isakmp_find(m, ISAKMP_NP_KE);
	if (q->pfs_group) {
		int sl = kepl && kepl->len == dh_pub_len(q->pfs_group)
				 ? dh_derive(q->dh, kepl->body, kepl->len, q->gxy, sizeof(q->gxy)) : -1;
		if (sl < 0) {
			*why = "PFS key exchange missing or invalid";
			return false;
		}
		q->gxylen = (size_t)sl;
	} else if (kepl) {
		*why = "unexpected KE";
		return false;
	}
	if (isakmp_count(m, ISAKMP_NP_ID) != 0 && isakmp_count(m, ISAKMP_NP_ID) != 2) {
		*why = "bad proxy identities";
		return false;
	}
	return true;
}

/* QM3: HASH(3) alone. */
static int build_qm3(struct ike_qm *q, uint8_t *msg, size_t cap)
{
	struct ike_sa *sa = q->sa;
	struct isakmp_wr w;
	size_t hs = qm_begin_hashed(sa, &w, msg, cap, q->msgid, ISAKMP_EXCH_QUICK);
	int len = isakmp_wr_finish(&w);
	if (len < 0 || ike_hash_p2(sa, true, q->msgid, q->ni, q->nilen, q->nr, q->nrlen, NULL, 0,
				   msg + hs + ISAKMP_GEN_LEN) < 0)
		return -1;
	return ike_encrypt_msg(sa, q->iv, msg, (size_t)len, cap);
}

static void qm_recv_qm2(struct ike_qm *q, const struct isakmp_msg *m, const uint8_t *raw, size_t rawlen)
{
	struct ike_sa *sa = q->sa;
	struct ike_state *ike = sa->ike;
	const struct isakmp_pl *sapl = isakmp_find(m, ISAKMP_NP_SA);
	const struct isakmp_pl *nrpl = isakmp_find(m, ISAKMP_NP_NONCE);
	struct isakmp_sa *resp = calloc(1, sizeof(*resp));
	const char *why = "malformed QM2";
	uint8_t msg[ISAKMP_MAX_MSG];
	int len = -1;
	if (!resp)
		return;
	if (!sapl || !nrpl || isakmp_count(m, ISAKMP_NP_SA) != 1 ||
	    isakmp_parse_sa(sapl->body, sapl->len, resp) != ISAKMP_OK) {
		ike->st.malformed++;
	} else if (qm2_take_sa(q, resp, &why) && qm2_take_ke(q, m, &why)) {
		memcpy(q->nr, nrpl->body, nrpl->len);
		q->nrlen = nrpl->len;
		qm_take_responder_lifetime(q, m);
		/* Without room, no QM3: the responder removes its SAs when it gives up on it. */
		if (!ike_record_room(ike))
			why = "no room to track another bundle";
		else if ((len = build_qm3(q, msg, sizeof(msg))) < 0)
			why = "internal error";
	}
	free(resp);
	if (len < 0) {
		qm_fail_log(q, why);
		qm_finish(q, QM_FAILED);
		return;
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
}

/* ---- responder: QM3 ends the exchange ---- */

static void qm_recv_qm3(struct ike_qm *q, const struct isakmp_msg *m, const uint8_t *raw, size_t rawlen)
{
	struct ike_sa *sa = q->sa;
	(void)m;
	ike_msgbuf_set(&q->last_rcvd, raw, rawlen);
	if (ike_dbg(sa->ike))
		log_debug(&sa->ike->r->log, "ISAKMP:(%u):Old State = IKE_QM_R_QM2  New State = IKE_QM_PHASE2_COMPLETE",
			  sa->conn_id);
	qm_finish(q, QM_DONE);
}

/* ---- dispatch ---- */

/*
 * Each message's HASH (RFC 2409 §5.5) over rest, the payloads after it.
 * HASH(3) covers no payload: a QM3 with any is refused.
 */
static int hash_qm1(struct ike_qm *q, const uint8_t *rest, size_t restlen, uint8_t *want)
{
	return ike_hash_p2(q->sa, false, q->msgid, rest, restlen, NULL, 0, NULL, 0, want);
}

static int hash_qm2(struct ike_qm *q, const uint8_t *rest, size_t restlen, uint8_t *want)
{
	return ike_hash_p2(q->sa, false, q->msgid, q->ni, q->nilen, rest, restlen, NULL, 0, want);
}

static int hash_qm3(struct ike_qm *q, const uint8_t *rest, size_t restlen, uint8_t *want)
{
	(void)rest;
	return restlen == 0 ? ike_hash_p2(q->sa, true, q->msgid, q->ni, q->nilen, q->nr, q->nrlen,
					  NULL, 0, want) : -1;
}

/*
 * What a message means is decided here and only here: (our role, the
 * exchange's state) -> its HASH and the one function that receives it.
 * Every Quick Mode message is encrypted (qm_input refuses any other).  A
 * state with no row accepts no message: its HASH can not match.
 */
static const struct qm_dispatch {
	bool initiator;
	enum qm_state state;
	int (*hash)(struct ike_qm *q, const uint8_t *rest, size_t restlen, uint8_t *want);
	void (*recv)(struct ike_qm *q, const struct isakmp_msg *m, const uint8_t *raw, size_t rawlen);
} qm_dispatch[] = {
	{ false, QM_NEW, hash_qm1, qm_recv_qm1 },
	{ true, QM_I_WAIT2, hash_qm2, qm_recv_qm2 },
	{ false, QM_R_WAIT3, hash_qm3, qm_recv_qm3 },
};

static const struct qm_dispatch *qm_dispatch_for(const struct ike_qm *q)
{
	for (size_t i = 0; i < sizeof(qm_dispatch) / sizeof(qm_dispatch[0]); i++)
		if (qm_dispatch[i].initiator == q->initiator && qm_dispatch[i].state == q->state)
			return &qm_dispatch[i];
	return NULL;
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

/* The exchange a message belongs to, a new one for a fresh message ID, or NULL (dropped). */
static struct ike_qm *qm_exchange_for(struct ike_sa *sa, const uint8_t *buf, size_t len,
				      uint32_t msgid, bool *fresh)
{
	struct ike_state *ike = sa->ike;
	struct ike_qm *q = NULL;
	for (struct ike_qm *i = sa->qms; i; i = i->next)
		if (i->msgid == msgid)
			q = i;
	if (q && ike_msgbuf_eq(&q->last_rcvd, buf, len)) {
		qm_duplicate(q);
		return NULL;
	}
	if (q && (q->state == QM_DONE || q->state == QM_FAILED)) {
		ike_drop(ike, &ike->st.dup_dropped, sa->peer, "Quick Mode message for a finished exchange");
		return NULL;
	}
	/* A new exchange must bring a message ID this SA never used (msgid.c):
	 * a QM1 replayed after its exchange was forgotten stops here. */
	if (!q && ike_msgid_used(sa, msgid)) {
		ike_drop(ike, &ike->st.msgid_reuse, sa->peer, "Quick Mode reuses a message ID");
		return NULL;
	}
	*fresh = !q;
	return q ? q : qm_new(sa, msgid, false);
}

/* Decrypts and authenticates (HASH first, checked as d says); false: dropped and counted. */
static bool qm_open(struct ike_qm *q, const struct qm_dispatch *d, const uint8_t *buf, size_t len,
		    uint8_t *plain, struct isakmp_msg *m, uint8_t *iv)
{
	struct ike_sa *sa = q->sa;
	struct ike_state *ike = sa->ike;
	uint8_t want[PRF_MAX_LEN];
	const char *why = "?";
	memcpy(iv, q->iv, IKE_MAX_BLOCK);
	if (ike_decrypt_msg(sa, iv, buf, len, plain, m, &why) < 0) {
		ike_drop_log(ike, sa->peer, why);	/* ike_decrypt_msg counted it */
		return false;
	}
	const struct isakmp_pl *hp = m->npl ? &m->pl[0] : NULL;
	if (!hp || hp->type != ISAKMP_NP_HASH || hp->len != sa->hlen) {
		ike_drop(ike, &ike->st.malformed, sa->peer, "Quick Mode message without HASH first");
		return false;
	}
	const uint8_t *rest = hp->raw + hp->rawlen;
	size_t restlen = m->npl > 1 ? (size_t)(m->pl[m->npl - 1].raw + m->pl[m->npl - 1].rawlen - rest) : 0;
	if (!d || d->hash(q, rest, restlen, want) < 0 || CRYPTO_memcmp(want, hp->body, sa->hlen) != 0) {
		ike_drop(ike, &ike->st.bad_hash, sa->peer, "Quick Mode hash mismatch");
		return false;
	}
	return true;
}

void qm_input(struct ike_sa *sa, const uint8_t *buf, size_t len, const struct isakmp_hdr *h)
{
	struct ike_state *ike = sa->ike;
	if (sa->state != QM_IDLE || !(h->flags & ISAKMP_FLAG_ENC) || h->msgid == 0) {
		ike_drop(ike, &ike->st.unprotected_ignored, sa->peer, "Quick Mode outside an established IKE SA");
		return;
	}
	bool fresh = false;
	struct ike_qm *q = qm_exchange_for(sa, buf, len, h->msgid, &fresh);
	if (!q)
		return;
	uint8_t plain[ISAKMP_MAX_MSG], iv[IKE_MAX_BLOCK];
	struct isakmp_msg *m = NULL;
	const struct qm_dispatch *d = qm_dispatch_for(q);
	if (len > ISAKMP_MAX_MSG) {
		ike_drop(ike, &ike->st.malformed, sa->peer, "oversized Quick Mode message");
		goto drop;
	}
	if (!(m = calloc(1, sizeof(*m))) || !qm_open(q, d, buf, len, plain, m, iv))
		goto drop;
	if (fresh && ike_msgid_remember(sa, q->msgid) < 0) {
		ike_drop_log(ike, sa->peer, "no message IDs left on this IKE SA");
		goto drop;
	}
	memcpy(q->iv, iv, sizeof(iv));
	natt_rx_authenticated(sa);
	sa->last_rx_ms = ev_now(ike->r->ev);
	d->recv(q, m, buf, len);
	free(m);
	OPENSSL_cleanse(plain, sizeof(plain));
	return;
drop:
	free(m);
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
