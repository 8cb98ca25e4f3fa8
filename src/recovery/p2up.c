/*
 * Phase-2 restore: bring a peer's IPsec SAs back without waiting for our
 * own traffic.
 *
 * Invalid SPI Recovery assumes the peer acts on INVALID-SPI and renegotiates.
 * Most peers in the field do not (strongSwan, Libreswan, iked log and ignore
 * it); and the INITIAL-CONTACT our new IKE SA carries makes them delete every
 * SA they had with us.  Their traffic then has no SA and nothing of theirs
 * brings one up: DPD succeeds over the new IKE SA.  So whenever we open an
 * IKE SA for recovery, send INITIAL-CONTACT on one, or tell a peer over an
 * IKE SA that one of its SPIs is dead, we run Quick Mode ourselves for every
 * flow (crypto-map ACL permit line) toward that peer that has no outbound
 * SA, with the proxy identities acquire would offer for it.
 *
 * Bounded: at most P2UP_JOBS peers at once, P2UP_INFLIGHT Quick Modes in
 * flight per peer, P2UP_QM_PER_SEC started per second in all; flows that
 * already have SAs cost a look-up.  A notify (which a forged packet can
 * cause) restarts a peer's restore at most once per P2UP_RETRIGGER_MS.
 */
#include <stdio.h>
#include <string.h>

#include "core/ipfmt.h"
#include "ike/ike.h"
#include "recovery/recovery.h"
#include "recovery/recovery_state.h"
#include "router.h"

static const char *const WHY[P2UP_NWHY] = {
	"after recovery", "after INITIAL-CONTACT", "after INVALID_SPI notify", "contact on start",
};

void p2up_init(struct router *r)
{
	ev_timer_init(&r->rec->tick, p2up_tick, r);
}

void p2up_arm(struct router *r)
{
	if (!ev_timer_armed(&r->rec->tick))
		ev_timer_arm(r->ev, &r->rec->tick, P2UP_TICK_MS);
}

static bool qm_rate_allows(struct recovery_state *s, uint64_t now)
{
	if (now - s->qm_window >= 1000) {
		s->qm_window = now;
		s->qm_used = 0;
	}
	if (s->qm_used >= P2UP_QM_PER_SEC)
		return false;
	s->qm_used++;
	return true;
}

static bool same_flow(const struct ipsec_peer_flow *a, const struct ipsec_peer_flow *b)
{
	const struct ipsec_flow *x = &a->flow, *y = &b->flow;
	return a->seq == b->seq && !strcmp(a->cmap, b->cmap) && x->local == y->local &&
	       x->local_mask == y->local_mask && x->remote == y->remote &&
	       x->remote_mask == y->remote_mask && x->proto == y->proto &&
	       x->local_port == y->local_port && x->remote_port == y->remote_port;
}

/* Whether the flow a Quick Mode was for has an outbound SA now. */
static bool flow_up_now(struct router *r, uint32_t peer, const struct ipsec_peer_flow *f)
{
	struct ipsec_peer_flow cur;
	for (size_t i = 0; ipsec_peer_flow(r, peer, i, &cur); i++)
		if (same_flow(&cur, f))
			return cur.up;
	return false;
}

static void job_end(struct router *r, struct p2up_job *j, const char *how)
{
	char ps[IP_FMT_LEN];
	ip_fmt(j->peer, ps);
	log_msg(&r->log, "CRYPTO", SEV_INFO, "ISR_PHASE2_DONE",
		"Invalid SPI recovery: IPsec SA restore with %s %s", ps, how);
	j->used = false;
}

/* Retires finished Quick Modes; false when the job is over. */
static bool job_retire(struct router *r, struct p2up_job *j)
{
	struct p2up_counters *c = &r->rec->p2c;
	for (size_t i = 0; i < j->ninflight;) {
		if (ike_phase2_busy(r, j->peer, &j->inflight[i].flow)) {
			i++;
			continue;
		}
		if (flow_up_now(r, j->peer, &j->inflight[i]))
			c->qm_up++;
		else
			c->qm_failed++;
		j->inflight[i] = j->inflight[--j->ninflight];
	}
	if (!ike_sa_up(r, j->peer) && !j->ninflight) {
		c->no_ike_sa++;
		job_end(r, j, "abandoned: no IKE SA");
		return false;
	}
	return true;
}

static void job_step(struct router *r, struct p2up_job *j, uint64_t now)
{
	struct recovery_state *s = r->rec;
	struct p2up_counters *c = &s->p2c;
	if (!job_retire(r, j) || now < j->not_before)
		return;
	if (now - j->since > P2UP_JOB_MAX_MS) {
		c->timed_out++;
		job_end(r, j, "timed out");
		return;
	}
	struct ipsec_peer_flow f;
	while (ipsec_peer_flow(r, j->peer, j->cursor, &f)) {
		if (f.up || ike_phase2_busy(r, j->peer, &f.flow)) {
			c->already_up += f.up;
			j->cursor++;
			continue;
		}
		if (j->ninflight >= P2UP_INFLIGHT) {
			c->deferred_inflight++;
			return;
		}
		if (!qm_rate_allows(s, now)) {
			c->deferred_rate++;
			return;
		}
		int rc = ike_phase2_start(r, j->peer, f.cmap, f.seq, &f.flow);
		if (rc < 0) {
			c->no_ike_sa++;
			job_end(r, j, "abandoned: Quick Mode could not start");
			return;
		}
		j->cursor++;
		if (rc > 0) {
			c->qm_started++;
			j->inflight[j->ninflight++] = f;
		}
	}
	if (!j->ninflight) {
		c->completed++;
		job_end(r, j, "complete");
	}
}

void p2up_tick(void *arg)
{
	struct router *r = arg;
	struct recovery_state *s = r->rec;
	uint64_t now = ev_now(r->ev);
	bool busy = false;
	for (size_t i = 0; i < P2UP_JOBS; i++) {
		if (!s->jobs[i].used)
			continue;
		job_step(r, &s->jobs[i], now);
		busy |= s->jobs[i].used;
	}
	hello_step(r);
	if (busy || s->hello_active)
		p2up_arm(r);
}

static bool retrigger_held(struct recovery_state *s, uint32_t peer, uint64_t now)
{
	for (size_t i = 0; i < P2UP_JOBS; i++)
		if (s->last_job[i].when && s->last_job[i].peer == peer &&
		    now - s->last_job[i].when < P2UP_RETRIGGER_MS)
			return true;
	return false;
}

static void remember_start(struct recovery_state *s, uint32_t peer, uint64_t now)
{
	size_t oldest = 0;
	for (size_t i = 0; i < P2UP_JOBS; i++) {
		if (s->last_job[i].peer == peer || !s->last_job[i].when) {
			oldest = i;
			break;
		}
		if (s->last_job[i].when < s->last_job[oldest].when)
			oldest = i;
	}
	s->last_job[oldest].peer = peer;
	s->last_job[oldest].when = now ? now : 1;
}

void p2up_trigger(struct router *r, uint32_t peer, enum p2up_why why, uint32_t delay_ms)
{
	struct recovery_state *s = r->rec;
	if (!s || (!r->cfg->isr.restore_phase2 && why != P2UP_HELLO))
		return;
	uint64_t now = ev_now(r->ev);
	struct p2up_job *free_slot = NULL;
	for (size_t i = 0; i < P2UP_JOBS; i++) {
		struct p2up_job *j = &s->jobs[i];
		if (j->used && j->peer == peer) {
			/* Look again from the start: a flow may have gone down since. */
			j->cursor = 0;
			if (now + delay_ms < j->not_before)
				j->not_before = now + delay_ms;
			s->p2c.joined++;
			return;
		}
		if (!j->used && !free_slot)
			free_slot = j;
	}
	if (why == P2UP_NOTIFY && retrigger_held(s, peer, now)) {
		s->p2c.retrigger_held++;
		return;
	}
	char ps[IP_FMT_LEN];
	ip_fmt(peer, ps);
	if (!free_slot) {
		s->p2c.table_full++;
		log_msg_rl(&r->log, &s->pending_full_rl, now, 10000, "CRYPTO", SEV_WARNING,
			   "ISR_PHASE2_FULL",
			   "Invalid SPI recovery: %d IPsec SA restores under way, none started for %s",
			   P2UP_JOBS, ps);
		return;
	}
	*free_slot = (struct p2up_job){ .used = true, .peer = peer, .why = why, .since = now,
					.not_before = now + delay_ms };
	remember_start(s, peer, now);
	s->p2c.jobs[why]++;
	log_msg(&r->log, "CRYPTO", SEV_NOTICE, "ISR_PHASE2_RESTORE",
		"Invalid SPI recovery: bringing up IPsec SAs with %s (%s)", ps, WHY[why]);
	job_step(r, free_slot, now);
	if (free_slot->used)
		p2up_arm(r);
}

void recovery_contact_made(struct router *r, uint32_t peer, bool initiator)
{
	p2up_trigger(r, peer, P2UP_CONTACT, initiator ? P2UP_CONTACT_DELAY_MS : P2UP_RESPONDER_DELAY_MS);
}

void p2up_show(struct router *r, struct strbuf *o)
{
	const struct recovery_state *s = r->rec;
	const struct p2up_counters *c = &s->p2c;
	const struct cfg_isr *isr = &r->cfg->isr;
	size_t active = 0;
	for (size_t i = 0; i < P2UP_JOBS; i++)
		active += s->jobs[i].used;
	sb_printf(o, "\nIPsec SA restore: %s (contact peers on start: %s)\n",
		  isr->restore_phase2 ? "enabled" : "disabled",
		  isr->contact_on_start ? "enabled" : "disabled");
	sb_printf(o, "  Limits: %d Quick Modes in flight per peer, %d per second, %d peers at once\n",
		  P2UP_INFLIGHT, P2UP_QM_PER_SEC, P2UP_JOBS);
	sb_printf(o, "  Restores started: %llu after recovery, %llu after INITIAL-CONTACT, "
		     "%llu after INVALID_SPI notify, %llu on start (active: %zu)\n",
		  (unsigned long long)c->jobs[P2UP_RECOVERY], (unsigned long long)c->jobs[P2UP_CONTACT],
		  (unsigned long long)c->jobs[P2UP_NOTIFY], (unsigned long long)c->jobs[P2UP_HELLO],
		  active);
	sb_printf(o, "  Completed: %llu, abandoned (no IKE SA): %llu, timed out: %llu, "
		     "joined a running one: %llu, held down: %llu, table full: %llu\n",
		  (unsigned long long)c->completed, (unsigned long long)c->no_ike_sa,
		  (unsigned long long)c->timed_out, (unsigned long long)c->joined,
		  (unsigned long long)c->retrigger_held, (unsigned long long)c->table_full);
	sb_printf(o, "  Quick Modes started: %llu (SAs up: %llu, failed: %llu), flows already up: %llu\n",
		  (unsigned long long)c->qm_started, (unsigned long long)c->qm_up,
		  (unsigned long long)c->qm_failed, (unsigned long long)c->already_up);
	sb_printf(o, "  Deferred by per-peer limit: %llu, by rate limit: %llu\n",
		  (unsigned long long)c->deferred_inflight, (unsigned long long)c->deferred_rate);
	sb_printf(o, "  Contact on start: %llu rounds, %llu peers contacted, %llu already up, "
		     "%llu failed%s\n",
		  (unsigned long long)c->hello_rounds, (unsigned long long)c->hello_contacted,
		  (unsigned long long)c->hello_skipped_up, (unsigned long long)c->hello_failed,
		  s->hello_active ? " (in progress)" : "");
}
