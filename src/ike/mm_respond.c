/*
 * Main Mode responder, MM1: the half-open SA limits, the choice of policy
 * and MM2.  MM1 creates the SA, so it is the one Main Mode message that
 * does not go through mm_input's dispatch table.
 */
#include "ike/mm_int.h"

#include <stdlib.h>
#include <string.h>

#include "router.h"

static void half_open_evict(struct ike_sa *sa, const char *why)
{
	struct ike_state *ike = sa->ike;
	ike_drop(ike, &ike->st.half_open_evict, sa->peer, why);
	ike_sa_delete(sa, why);
	ev_timer_arm(ike->r->ev, &sa->reap, 0);	/* freed from the loop, never here */
}

/*
 * Half-open responder SAs: per-source and global limits.  Only SAs still
 * waiting for MM3 may be evicted (a spoofer never sees our MM2, so it can
 * not send a valid MM3); the oldest goes first, as the real peer's is the
 * newest when it retransmits.  Refused only when every slot has got past
 * MM3.
 */
enum ike_ho_verdict mm_half_open_admit(struct ike_state *ike, uint32_t src)
{
	int total = 0, from_src = 0;
	struct ike_sa *oldest = NULL, *oldest_src = NULL;
	/* The list is newest first: `<=` keeps the last, oldest, of equal times. */
	for (struct ike_sa *sa = ike->sas; sa; sa = sa->next) {
		if (ike_sa_deleted(sa) || ike_sa_established(sa) || sa->initiator)
			continue;
		total++;
		from_src += sa->peer == src;
		if (sa->state != MM_SA_SETUP)
			continue;
		if (!oldest || sa->created_ms <= oldest->created_ms)
			oldest = sa;
		if (sa->peer == src && (!oldest_src || sa->created_ms <= oldest_src->created_ms))
			oldest_src = sa;
	}
	if (from_src >= ike->ho_per_src) {
		if (!oldest_src)
			return HO_REFUSE;
		half_open_evict(oldest_src, "half-open IKE SA evicted (per-source limit)");
		return HO_EVICT_SRC;
	}
	if (total >= ike->ho_max) {
		if (!oldest)
			return HO_REFUSE;
		half_open_evict(oldest, "half-open IKE SA evicted (global limit)");
		return HO_EVICT_OLDEST;
	}
	return HO_ADMIT;
}

/* A retransmitted MM1 of an exchange we already answered gets our MM2 again; true: handled. */
static bool mm1_seen(struct ike_state *ike, uint32_t peer, const uint8_t *buf, size_t len,
		     const struct isakmp_hdr *h)
{
	for (struct ike_sa *o = ike->sas; o; o = o->next) {
		if (o->initiator || o->peer != peer || memcmp(o->icookie, h->icookie, 8) != 0)
			continue;
		if (!ike_sa_deleted(o) && ike_msgbuf_eq(&o->last_rcvd, buf, len) && o->last_sent.p &&
		    o->state == MM_SA_SETUP) {
			ike->st.duplicates++;
			ike_send(o, o->last_sent.p, o->last_sent.len);
		} else {
			ike_drop(ike, &ike->st.duplicates, peer, "MM1 for an SA under way");
		}
		return true;
	}
	return false;
}

/* IOS: our policies by priority, each against every offered transform. */
static const struct isakmp_transform *mm1_choose(struct ike_state *ike, const struct isakmp_proposal *op,
						 struct cfg_isakmp_policy *pol)
{
	const struct config *cfg = ike->r->cfg;
	for (size_t i = 0; i < cfg->npolicy; i++) {
		const struct cfg_isakmp_policy *ours = &cfg->policies[i];
		for (size_t j = 0; j < op->ntrans; j++) {
			struct cfg_isakmp_policy o;
			bool ok = mm_transform_policy(&op->t[j], &o) && mm_policy_match(ours, &o);
			if (ike_dbg(ike))
				log_debug(&ike->r->log, "ISAKMP:(0):Checking ISAKMP transform %u against priority %d policy%s",
					  op->t[j].num, ours->priority, ok ? "" : " - not acceptable");
			if (ok) {
				*pol = o;
				pol->priority = ours->priority;
				return &op->t[j];
			}
		}
	}
	return NULL;
}

/* MM1's payloads; false (counted) when malformed.  sapl: its SA payload. */
static bool mm1_parse(struct ike_state *ike, uint32_t peer, const uint8_t *buf, size_t len,
		      const struct isakmp_hdr *h, struct isakmp_msg *m, struct isakmp_sa *offer,
		      const struct isakmp_pl **sapl)
{
	enum isakmp_err e = isakmp_decode(buf, len, m);
	if (e != ISAKMP_OK || h->msgid != 0 || isakmp_count(m, ISAKMP_NP_SA) != 1 ||
	    !mm_only_types(m, BIT(ISAKMP_NP_SA) | BIT(ISAKMP_NP_VID))) {
		ike_drop(ike, &ike->st.malformed, peer, e != ISAKMP_OK ? isakmp_strerror(e) : "bad MM1");
		return false;
	}
	*sapl = isakmp_find(m, ISAKMP_NP_SA);
	if (isakmp_parse_sa((*sapl)->body, (*sapl)->len, offer) != ISAKMP_OK || offer->nprop != 1 ||
	    offer->p[0].proto != ISAKMP_PROTO_ISAKMP) {
		ike_drop(ike, &ike->st.malformed, peer, "phase-1 SA must have one ISAKMP proposal");
		return false;
	}
	return true;
}

/* MM2: one proposal with the chosen transform, our VIDs. */
static int build_mm2(struct ike_sa *sa, struct isakmp_sa *resp, const struct isakmp_transform *chosen,
		     uint8_t *msg, size_t cap)
{
	const struct isakmp_proposal *op = &resp->p[0];
	struct isakmp_proposal rp = { .num = op->num, .proto = ISAKMP_PROTO_ISAKMP, .ntrans = 1 };
	rp.t[0].num = chosen->num;
	rp.t[0].id = ISAKMP_KEY_IKE;
	mm_policy_attrs(&sa->pol, &rp.t[0]);
	resp->nprop = 1;
	resp->p[0] = rp;
	struct isakmp_hdr rh;
	mm_hdr_for(sa, &rh);
	struct isakmp_wr w;
	isakmp_wr_init(&w, msg, cap, &rh);
	isakmp_put_sa(&w, resp);
	isakmp_put_raw(&w, ISAKMP_NP_VID, isakmp_vid_dpd, 16);
	if (sa->peer_natt && sa->ike->r->cfg->natt_enabled)	/* the flavour the peer spoke */
		isakmp_put_raw(&w, ISAKMP_NP_VID,
			       sa->natt_draft ? isakmp_vid_natt_02n : isakmp_vid_rfc3947, 16);
	return isakmp_wr_finish(&w);
}

/* A new responder SA for an acceptable MM1, on its half-open timeout; NULL when refused. */
static struct ike_sa *mm1_admit(struct ike_state *ike, uint32_t local, uint32_t peer, uint16_t port,
				const struct isakmp_hdr *h, const struct cfg_isakmp_policy *pol)
{
	/* Only an MM1 we would answer takes (or evicts for) a half-open slot. */
	if (mm_half_open_admit(ike, peer) == HO_REFUSE) {
		ike_drop(ike, &ike->st.half_open_drop, peer, "too many half-open IKE SAs");
		return NULL;
	}
	struct ike_sa *sa = ike_sa_new(ike, false, local, peer, port);
	if (!sa)
		return NULL;
	/* Until a valid MM3 arrives, the short half-open timeout (ike_int.h). */
	ev_timer_arm(ike->r->ev, &sa->life, ike->ho_ms);
	memcpy(sa->icookie, h->icookie, 8);
	do
		ike_random(sa->rcookie, 8);
	while (wbuf_be32(sa->rcookie) == 0 && wbuf_be32(sa->rcookie + 4) == 0);
	sa->pol = *pol;
	return sa;
}

/*
 * MM1 (mm_recv_mm1): no SA exists yet, so ike_input_datagram hands it here
 * rather than to the dispatch table.  Returns the new SA, or NULL.
 */
static struct ike_sa *mm_recv_mm1(struct ike_state *ike, uint32_t local, uint32_t peer, uint16_t port,
				  const uint8_t *buf, size_t len, const struct isakmp_hdr *h,
				  struct isakmp_msg *m, struct isakmp_sa *offer)
{
	const struct isakmp_pl *sapl = NULL;
	char ps[16];
	ip_fmt(peer, ps);
	if (!mm1_parse(ike, peer, buf, len, h, m, offer, &sapl))
		return NULL;
	if (!config_key_for(ike->r->cfg, peer)) {
		ike->st.no_psk++;
		log_msg_rl(&ike->r->log, &ike->rl_cfg, ev_now(ike->r->ev), 1000, "CRYPTO", SEV_WARNING,
			   "IKMP_NO_PRESHARED_KEY", "No pre-shared key with %s", ps);
		return NULL;
	}
	struct cfg_isakmp_policy pol;
	const struct isakmp_transform *chosen = mm1_choose(ike, &offer->p[0], &pol);
	if (!chosen) {
		ike->st.no_proposal++;
		log_msg_rl(&ike->r->log, &ike->rl_fail, ev_now(ike->r->ev), 1000, "CRYPTO", SEV_INFO,
			   "IKMP_MODE_FAILURE",
			   "Processing of Main mode failed with peer at %s (no offered ISAKMP policy is acceptable)", ps);
		info_send_unprotected_notify(ike, local, peer, port, h, ISAKMP_N_NO_PROPOSAL_CHOSEN);
		return NULL;
	}
	struct ike_sa *sa = mm1_admit(ike, local, peer, port, h, &pol);
	if (!sa)
		return NULL;
	if (!mm_load_psk(sa) || !(sa->sai_b = malloc(sapl->len))) {
		ike_p1_failed(sa, "no pre-shared key");
		return NULL;
	}
	memcpy(sa->sai_b, sapl->body, sapl->len);
	sa->sai_len = sapl->len;
	mm_scan_vids(sa, m);
	if (ike_dbg(ike))
		log_debug(&ike->r->log, "ISAKMP:(0):atts are acceptable (priority %d policy). Next payload is 0",
			  pol.priority);
	uint8_t msg[ISAKMP_MAX_MSG];
	struct isakmp_transform t = *chosen;	/* chosen points into offer, which MM2 reuses */
	int mlen = build_mm2(sa, offer, &t, msg, sizeof(msg));
	if (mlen < 0) {
		ike_p1_failed(sa, "internal error");
		return NULL;
	}
	ike_msgbuf_set(&sa->last_rcvd, buf, len);
	ike_set_state(sa, MM_SA_SETUP);
	mm_debug_send(sa);
	ike_sa_send_rtx(sa, msg, (size_t)mlen, false);
	return sa;
}

/* The entry point for MM1 (ike_input_datagram, and IKEv2's demux): name kept stable. */
struct ike_sa *mm_respond(struct ike_state *ike, uint32_t local, uint32_t peer, uint16_t port,
			  const uint8_t *buf, size_t len, const struct isakmp_hdr *h)
{
	if (mm1_seen(ike, peer, buf, len, h))
		return NULL;
	struct isakmp_msg *m = calloc(1, sizeof(*m));
	struct isakmp_sa *offer = calloc(1, sizeof(*offer));
	struct ike_sa *sa = NULL;
	if (m && offer)
		sa = mm_recv_mm1(ike, local, peer, port, buf, len, h, m, offer);
	free(m);
	free(offer);
	return sa;
}

/* KE + nonce; the caller has the DH key ready. */
