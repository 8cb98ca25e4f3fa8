/*
 * IKE SAs that no packet of ours asked for, toward IKEv2 peers: Invalid SPI
 * Recovery with no IKE SA and contact-on-start (src/recovery) call
 * ike_initiate_phase1(), which lands here for a peer whose crypto-map entry
 * has `set ikev2-profile`.  The decision (feature on, static peer, the DoS
 * guard) was made in src/recovery/recovery.c, the same for both versions;
 * this file only opens the SA.
 *
 * An IKEv2 initiation always carries a Child SA (RFC 7296 §1.2): we propose
 * the first flow (ACL permit line) of the first IKEv2 entry naming the peer,
 * what traffic on that line would have proposed (the phase-2 restore brings
 * up the other lines after).  The conf callback adds INITIAL_CONTACT as for
 * any initiation with no READY IKE SA with the peer.  The waiters of
 * ike_initiate_phase1() run when the SA is READY (ike2_glue.c's track_sync)
 * or dies before that (track_reap).
 */
#include <stdio.h>
#include <string.h>

#include "ike/ike2_glue.h"
#include "ike/ike2_int.h"
#include "ike/ike_int.h"
#include "ipsec/peerflow.h"
#include "router.h"

bool ike2_negotiating_with(const struct ike_state *ike, uint32_t peer)
{
	const struct ike2_glue *g = ike->v2;
	for (const struct ike2_track *t = g ? g->tracks : NULL; t; t = t->next)
		if (t->sa->initiator && t->sa->peer == peer && t->sa->state != IKEV2_S_DEAD &&
		    t->sa->state != IKEV2_S_READY)
			return true;
	return false;
}

/* The flow the initiation carries: the first of an IKEv2 entry toward peer. */
static const struct cfg_cmap_entry *first_flow(struct ike_state *ike, uint32_t peer, struct ipsec_peer_flow *pf)
{
	struct router *r = ike->r;
	for (size_t i = 0; ipsec_peer_flow(r, peer, i, pf); i++) {
		const struct cfg_cmap_entry *e = config_cmap_entry(r->cfg, pf->cmap, pf->seq);
		if (e && ike2_entry_wants(ike, e))
			return e;
	}
	return NULL;
}

int ike2_initiate_peer(struct ike_state *ike, uint32_t peer)
{
	struct ike2_glue *g = ike->v2;
	if (!g)
		return -1;
	if (ike2_sa_up(ike, peer) || ike2_negotiating_with(ike, peer))
		return 0;
	struct ipsec_peer_flow pf;
	const struct cfg_cmap_entry *e = first_flow(ike, peer, &pf);
	if (!e) {
		ike2_drop(g, &g->st.no_conf, peer, "no crypto map flow toward this IKEv2 peer to initiate with");
		return -1;
	}
	g->init_entry = e;
	g->init_flow = &pf.flow;
	struct ikev2_sa *sa = ikev2_initiate(&g->eng, ike_local_for_peer(ike->r, peer), peer);
	g->init_entry = NULL;
	g->init_flow = NULL;
	struct ike2_track *t = sa ? ike2_track_new(g, sa) : NULL;
	if (!t) {
		g->st.initiate_fail++;
		ike2_sync(g);
		return -1;
	}
	t->has_flow = true;
	snprintf(t->cmap, sizeof(t->cmap), "%s", e->name);
	t->seq = e->seq;
	t->flow = pf.flow;
	g->st.unsolicited++;
	if (ike->r->debug & DBG_IKEV2) {
		char ps[16];
		ip_fmt(peer, ps);
		log_debug(&ike->r->log, "IKEv2:(SA ID = %u):Initiating IKE_SA_INIT with %s for map %s %d "
			  "(no traffic of ours: recovery or contact on start)", t->id, ps, e->name, e->seq);
	}
	ike2_sync(g);
	return 0;
}
