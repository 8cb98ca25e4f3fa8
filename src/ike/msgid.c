/*
 * Message IDs used within one IKE SA (issue 9, finding 2).
 *
 * RFC 2409 §5.5 and §5.7 derive every Quick Mode and Informational IV and
 * HASH from SKEYID and the message ID alone, so a message replayed under the
 * same IKE SA decrypts and verifies however late it comes.  The only defence
 * is to accept each message ID once for the SA's whole life: ours and the
 * peer's, Quick Mode and Informational alike, since both use one ID space.
 *
 * The store is a sorted array per SA (binary search; one memmove per new ID,
 * a few KB at most), grown by doubling up to ike->msgid_cap.  It never
 * forgets: forgetting is exactly what made the replay work.  Only messages
 * that authenticated (or that we send) are added, so an attacker without
 * the keys can not fill it; an authenticated peer that does, or a very long
 * lived SA with frequent DPD, reaches the soft limit (7/8 of the cap), and
 * then the IKE SA is replaced: a new phase 1 starts and the old SA is
 * deleted after a short grace, using the reserved last eighth of the IDs
 * for the exchanges still under way and its Delete.  At the hard cap a new
 * ID is refused and counted.  IPsec SAs outlive the IKE SA that made them,
 * as on IOS, so a replacement costs no traffic.
 */
#include "ike/ike_int.h"

#include <stdlib.h>
#include <string.h>

#include "router.h"

static size_t lower_bound(const struct ike_sa *sa, uint32_t id)
{
	size_t lo = 0, hi = sa->nmsgids;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sa->msgids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool ike_msgid_used(const struct ike_sa *sa, uint32_t id)
{
	size_t i = lower_bound(sa, id);
	return i < sa->nmsgids && sa->msgids[i] == id;
}

static void retire(struct ike_sa *sa)
{
	struct ike_state *ike = sa->ike;
	char ps[16];
	if (sa->msgid_retiring || ike_sa_deleted(sa))
		return;
	sa->msgid_retiring = true;
	ike->st.msgid_rekeys++;
	ip_fmt(sa->peer, ps);
	log_msg_rl(&ike->r->log, &ike->rl_cfg, ev_now(ike->r->ev), 1000, "CRYPTO", SEV_NOTICE,
		   "IKMP_MSGID_LIMIT",
		   "IKE SA %u with %s has used %zu message IDs: replacing it", sa->conn_id, ps,
		   sa->nmsgids);
	/* The soft-expiry path starts the new phase 1 when the peer is in use. */
	ev_timer_arm(ike->r->ev, &sa->soft, 0);
	if (ike_sa_established(sa))
		ev_timer_arm(ike->r->ev, &sa->life, IKE_MSGID_GRACE_MS);
}

int ike_msgid_remember(struct ike_sa *sa, uint32_t id)
{
	struct ike_state *ike = sa->ike;
	size_t cap = ike->msgid_cap ? ike->msgid_cap : IKE_MAX_MSGIDS;
	size_t i = lower_bound(sa, id);
	if (i < sa->nmsgids && sa->msgids[i] == id)
		return 0;
	if (sa->nmsgids >= cap) {
		ike->st.msgid_full++;
		return -1;
	}
	if (sa->nmsgids == sa->msgids_alloc) {
		size_t n = sa->msgids_alloc ? sa->msgids_alloc * 2 : 16;
		if (n > cap)
			n = cap;
		uint32_t *p = realloc(sa->msgids, n * sizeof(*p));
		if (!p) {
			ike->st.msgid_full++;
			return -1;
		}
		sa->msgids = p;
		sa->msgids_alloc = n;
	}
	memmove(sa->msgids + i + 1, sa->msgids + i, (sa->nmsgids - i) * sizeof(*sa->msgids));
	sa->msgids[i] = id;
	sa->nmsgids++;
	if (sa->nmsgids >= cap - cap / 8)
		retire(sa);
	return 0;
}

void ike_msgid_free(struct ike_sa *sa)
{
	free(sa->msgids);
	sa->msgids = NULL;
	sa->nmsgids = sa->msgids_alloc = 0;
}
