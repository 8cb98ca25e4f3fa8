/*
 * Quick Mode responder: QM1 is received in four steps, each its own
 * function: parse the proxy identities, choose a crypto map entry and
 * proposal, run the key exchange and take SPIs, build QM2; then QM2 goes
 * out and the bundle is installed (qm_install).
 */
#include "ike/qm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

/* ---- responder: QM1 -> parse identities, choose, build QM2, install ---- */

/* QM1's payloads and proxy identities (IDci is the peer's side, IDcr ours) into q->flow. */
static bool qm1_parse(struct ike_qm *q, const struct isakmp_msg *m, struct isakmp_sa *offer,
		      const char **why)
{
	struct ike_sa *sa = q->sa;
	const struct isakmp_pl *sapl = isakmp_find(m, ISAKMP_NP_SA);
	const struct isakmp_pl *nipl = isakmp_find(m, ISAKMP_NP_NONCE);
	size_t nid = isakmp_count(m, ISAKMP_NP_ID);
	*why = "malformed QM1";
	if (!sapl || !nipl || isakmp_count(m, ISAKMP_NP_SA) != 1 || isakmp_count(m, ISAKMP_NP_NONCE) != 1 ||
	    isakmp_count(m, ISAKMP_NP_KE) > 1 || (nid != 0 && nid != 2) ||
	    isakmp_parse_sa(sapl->body, sapl->len, offer) != ISAKMP_OK) {
		sa->ike->st.malformed++;
		return false;
	}
	struct ipsec_flow f = { sa->local, 0xffffffffu, sa->peer, 0xffffffffu, 0, 0, 0 };
	if (nid == 2) {
		const struct isakmp_pl *ids[2];
		size_t k = 0;
		for (size_t i = 0; i < m->npl && k < 2; i++)
			if (m->pl[i].type == ISAKMP_NP_ID)
				ids[k++] = &m->pl[i];
		uint8_t p1, p2;
		if (!qm_id_to_net(ids[0], &f.remote, &f.remote_mask, &p1, &f.remote_port) ||
		    !qm_id_to_net(ids[1], &f.local, &f.local_mask, &p2, &f.local_port) || p1 != p2) {
			*why = "unsupported proxy identities";
			sa->ike->st.malformed++;
			return false;
		}
		f.proto = p1;
		q->had_ids = true;
	}
	q->flow = f;
	memcpy(q->ni, nipl->body, nipl->len);
	q->nilen = nipl->len;
	return true;
}

/* The crypto map entry and proposal we take, into q; *lowered when our lifetimes are lower. */
static bool qm1_choose(struct ike_qm *q, const struct isakmp_sa *offer, bool has_ke,
		       struct qm_choice *c, bool *lowered, const char **why)
{
	struct ike_sa *sa = q->sa;
	struct ike_state *ike = sa->ike;
	const struct config *cfg = ike->r->cfg;
	if (!qm_choose(sa, offer, &q->flow, has_ke, c, why)) {
		ike->st.no_proposal++;
		return false;
	}
	if (!ike_record_room(ike)) {
		*why = "no room to track another bundle";
		return false;
	}
	q->xf = c->xf;
	q->has_ah = c->ah != NULL;
	q->has_esp = c->esp != NULL;
	snprintf(q->cmap_name, sizeof(q->cmap_name), "%s", c->e->name);
	q->cmap_seq = c->e->seq;
	q->pfs_group = (int)c->attrs.group;
	if (q->has_ah)
		q->ah_spi_out = wbuf_be32(c->ah->spi);
	if (q->has_esp)
		q->esp_spi_out = wbuf_be32(c->esp->spi);
	/* Lifetimes: the lower of the offer and ours; tell the initiator if we lowered. */
	uint32_t our_sec = config_cmap_life_sec(cfg, c->e), our_kb = config_cmap_life_kb(cfg, c->e);
	q->life_sec = qm_minu(c->attrs.life_sec, our_sec);
	q->life_kb = qm_minu(c->attrs.life_kb, our_kb);
	*lowered = (c->attrs.life_sec && our_sec < c->attrs.life_sec) ||
		   (c->attrs.life_kb && our_kb < c->attrs.life_kb);
	if (ike_dbg_ipsec(ike)) {
		int part = 1;
		if (q->has_ah)
			qm_debug_proposal(q, "INBOUND", part++, true, 0, 0, 0, "0x2");
		if (q->has_esp)
			qm_debug_proposal(q, "INBOUND", part++, false, 0, 0, 0, "0x2");
	}
	return true;
}

/* PFS exchange, our inbound SPIs and nonce; our KE into ke/kelen. */
static bool qm1_keys(struct ike_qm *q, const struct isakmp_pl *kepl, uint8_t *ke, size_t kecap,
		     int *kelen, const char **why)
{
	struct ike_sa *sa = q->sa;
	struct ike_state *ike = sa->ike;
	*kelen = 0;
	if (q->pfs_group) {
		q->dh = dh_new(q->pfs_group);
		*kelen = q->dh ? dh_public(q->dh, ke, kecap) : -1;
		int sl = *kelen > 0 && kepl->len == (size_t)*kelen
				 ? dh_derive(q->dh, kepl->body, kepl->len, q->gxy, sizeof(q->gxy)) : -1;
		if (sl < 0) {
			*why = "bad PFS key exchange";
			ike->st.malformed++;
			return false;
		}
		q->gxylen = (size_t)sl;
	}
	if (q->has_ah)
		q->ah_spi_in = sadb_alloc_spi(ike->r, IPPROTO_AH_);
	if (q->has_esp)
		q->esp_spi_in = sadb_alloc_spi(ike->r, IPPROTO_ESP_);
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
	return true;
}

/* QM2: the chosen proposals, each with the one transform taken, our SPIs. */
static int build_qm2(struct ike_qm *q, const struct isakmp_msg *m, struct isakmp_sa *resp,
		     const struct qm_choice *c, bool lowered, const uint8_t *ke, int kelen,
		     uint8_t *msg, size_t cap)
{
	struct isakmp_proposal ps[2];
	size_t np = 0;
	if (c->ah) {
		ps[np] = (struct isakmp_proposal){ .num = c->ah->num, .proto = ISAKMP_PROTO_AH, .spi_size = 4, .ntrans = 1 };
		wbuf_st32(ps[np].spi, q->ah_spi_in);
		ps[np].t[0] = *c->aht;
		np++;
	}
	if (c->esp) {
		ps[np] = (struct isakmp_proposal){ .num = c->esp->num, .proto = ISAKMP_PROTO_ESP, .spi_size = 4, .ntrans = 1 };
		wbuf_st32(ps[np].spi, q->esp_spi_in);
		ps[np].t[0] = *c->espt;
		np++;
	}
	resp->nprop = np;
	for (size_t i = 0; i < np; i++)
		resp->p[i] = ps[i];
	struct isakmp_wr w;
	size_t hs = qm_begin_sa_msg(q, &w, msg, cap, resp, q->nr, q->nrlen, ke, kelen);
	for (size_t i = 0; i < m->npl; i++)	/* echo the proxy identities */
		if (m->pl[i].type == ISAKMP_NP_ID)
			isakmp_put_raw(&w, ISAKMP_NP_ID, m->pl[i].body, m->pl[i].len);
	/* RESPONDER-LIFETIME names each SA by the SPI of the proposal it answers
	 * (ours, as in QM2's SA payload; resp is the offer, reused, so the
	 * peer's proposals are overwritten by now). */
	for (size_t i = 0; lowered && i < np; i++)
		qm_put_lifetime_notify(&w, ps[i].proto, ps[i].spi, q->life_sec, q->life_kb);
	return qm_seal_hashed(q, msg, cap, isakmp_wr_finish(&w), hs, q->ni, q->nilen);
}

/* QM1 refused: say why, and tell the peer, protected, so it stops retrying (as IOS). */
static void qm1_refuse(struct ike_qm *q, const char *why, const uint8_t *raw, size_t rawlen)
{
	struct ike_sa *sa = q->sa;
	struct ike_state *ike = sa->ike;
	qm_fail_log(q, why);
	struct isakmp_notify n = { ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ESP, 0,
				   ISAKMP_N_NO_PROPOSAL_CHOSEN, NULL, NULL, 0 };
	if (ike->st.no_proposal && strstr(why, "proposal"))
		info_send(sa, &n, NULL, 0);
	ike_msgbuf_set(&q->last_rcvd, raw, rawlen);
	qm_finish(q, QM_FAILED);
}

void qm_recv_qm1(struct ike_qm *q, const struct isakmp_msg *m, const uint8_t *raw, size_t rawlen)
{
	const struct isakmp_pl *kepl = isakmp_find(m, ISAKMP_NP_KE);
	struct isakmp_sa *offer = calloc(1, sizeof(*offer));
	const char *why = "internal error";
	struct qm_choice c;
	bool lowered = false;
	uint8_t ke[DH_MAX_PUB], msg[ISAKMP_MAX_MSG];
	int kelen = 0, len = -1;
	if (!offer)
		return;
	uint64_t ah_refused = q->sa->ike->st.natt_ah_refused;
	bool chosen = false;
	if (qm1_parse(q, m, offer, &why) && (chosen = qm1_choose(q, offer, kepl != NULL, &c, &lowered, &why)) &&
	    qm1_keys(q, kepl, ke, sizeof(ke), &kelen, &why)) {
		why = "internal error";
		len = build_qm2(q, m, offer, &c, lowered, ke, kelen, msg, sizeof(msg));
	}
	free(offer);
	if (len < 0) {
		qm1_refuse(q, why, raw, rawlen);
		/*
		 * The peer offered AH, so it sees no NAT where we do, and nothing
		 * else matched: after the refusal (it goes out on this SA).
		 */
		if (!chosen && q->sa->ike->st.natt_ah_refused != ah_refused &&
		    strcmp(why, QM_WHY_NO_MATCH) == 0)
			natt_ah_dead_end(q->sa);
		return;
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
}
