/*
 * Small entry points into Quick Mode for code outside src/ike that wants
 * IPsec SAs without a packet to trigger them (src/recovery's phase-2
 * restore).  They go through qm_start, the initiator traffic uses, so the
 * proposal, proxy identities and installation are the same as on acquire.
 */
#include <string.h>

#include "ike/ike2_glue.h"
#include "ike/ike_int.h"
#include "router.h"

/*
 * A Quick Mode we initiated for flow toward peer is waiting for its answer.
 * Only ours: counting the peer's unfinished ones too made the restore skip
 * its flow now and then against strongSwan (interop_spigot_restart.sh, one
 * run in three; the cause is not known), and a crosswise second bundle is
 * harmless (the newest wins). The responder's delay avoids most of them.
 */
static bool busy(struct ike_state *ike, uint32_t peer, const struct ipsec_flow *flow)
{
	for (struct ike_sa *sa = ike->sas; sa; sa = sa->next) {
		if (ike_sa_deleted(sa) || sa->peer != peer)
			continue;
		for (struct ike_qm *q = sa->qms; q; q = q->next)
			if (q->initiator && q->state == QM_I_WAIT2 && ipsec_flow_eq(&q->flow, flow))
				return true;
	}
	return false;
}

int ike_phase2_start(struct router *r, uint32_t peer, const char *cmap, int seq,
		     const struct ipsec_flow *flow)
{
	struct ike_state *ike = r->ike;
	if (!ike)
		return -1;
	struct ike_sa *sa = ike_sa_find_peer(ike, peer);
	const struct cfg_cmap_entry *e = config_cmap_entry(r->cfg, cmap, seq);
	/* An IKEv2 peer: a Child SA over its IKE SA (CREATE_CHILD_SA). */
	if (!sa && e && !e->manual && ike2_entry_wants(ike, e))
		return ike2_phase2_start(ike, e, flow, peer);
	if (!sa || !e || e->manual)
		return -1;
	if (busy(ike, peer, flow))
		return 0;
	return qm_start(sa, e, flow, 0) < 0 ? -1 : 1;
}

bool ike_phase2_busy(struct router *r, uint32_t peer, const struct ipsec_flow *flow)
{
	return r->ike && (busy(r->ike, peer, flow) || ike2_child_busy(r->ike, peer, flow));
}

bool ike_sa_negotiating_with(struct router *r, uint32_t peer)
{
	return r->ike && (ike_sa_negotiating(r->ike, peer) != NULL || ike2_negotiating_with(r->ike, peer));
}

void ike_forget_contact(struct router *r, uint32_t peer)
{
	struct ike_state *ike = r->ike;
	if (!ike)
		return;
	for (size_t i = 0; i < ike->nknown; i++)
		if (ike->known_peers[i] == peer) {
			ike->known_peers[i] = ike->known_peers[--ike->nknown];
			return;
		}
}
