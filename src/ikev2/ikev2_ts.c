/*
 * Traffic selector lists (RFC 7296 §2.9).  A Child SA here holds one
 * range per side, so from a list the responder answers the widest part
 * of what was proposed that its policy allows (narrowing), and the
 * initiator takes an answer only if every selector in it lies within what
 * it proposed.  An initiator that sends the triggering packet's selector
 * first (then its policy's range) asks for an answer that holds that
 * packet: when the first selector of a list of several meets our policy,
 * only intersections holding it are candidates.
 */
#include "ikev2/ikev2_int.h"

/* How much a range covers: addresses x ports x protocols (any protocol is 256 of them). */
static uint64_t span(const struct ikev2_range *r)
{
	return ((uint64_t)r->eaddr - r->saddr + 1) * ((uint64_t)r->eport - r->sport + 1) * (r->proto ? 1 : 256);
}

bool ikev2_ts_pick(const struct ikev2_tsp *t, const struct ikev2_range *ours, struct ikev2_range *out)
{
	struct ikev2_range pkt, best, x;
	bool has_pkt = t->nts > 1 && ikev2_narrow(&t->ts[0], ours, &pkt), found = false;
	for (size_t i = 0; i < t->nts; i++) {
		if (!ikev2_narrow(&t->ts[i], ours, &x) || (has_pkt && !ikev2_within(&pkt, &x)))
			continue;
		if (!found || span(&x) > span(&best)) {
			best = x;
			found = true;
		}
	}
	if (found)
		*out = best;
	return found;
}

void ikev2_ts_policy(const struct ikev2_sa *sa, const struct ikev2_tsp *tsi, const struct ikev2_tsp *tsr,
		     struct ikev2_range *local, struct ikev2_range *remote)
{
	const struct ikev2_host *h = sa->eng->host;
	struct ikev2_range l, r;
	*local = sa->conf.local_ts;
	*remote = sa->conf.remote_ts;
	/* The first selectors name the flow: the packet when several were sent, else the one range. */
	if (tsi->nts && tsr->nts && h->policy_for &&
	    h->policy_for(h->arg, sa, &tsi->ts[0], &tsr->ts[0], &l, &r)) {
		*local = l;
		*remote = r;
	}
}

bool ikev2_ts_accept(const struct ikev2_tsp *t, const struct ikev2_range *proposed, struct ikev2_range *out)
{
	bool found = false;
	if (t->skipped_v6)
		return false;		/* we proposed IPv4 only: anything else is outside */
	for (size_t i = 0; i < t->nts; i++) {
		const struct ikev2_ts *s = &t->ts[i];
		struct ikev2_range r = { s->proto, s->sport, s->eport, s->saddr, s->eaddr };
		if (!ikev2_within(&r, proposed))
			return false;
		if (!found || span(&r) > span(out)) {
			*out = r;
			found = true;
		}
	}
	return found;
}

void ikev2_put_ranges(struct ikev2_wr *w, uint8_t type, const struct ikev2_range *first, const struct ikev2_range *r)
{
	struct ikev2_tsp t = { .nts = 0 };
	const struct ikev2_range *v[2] = { first, r };
	for (size_t i = 0; i < 2; i++)
		if (v[i])
			t.ts[t.nts++] = (struct ikev2_ts){ IKEV2_TS_IPV4_ADDR_RANGE, v[i]->proto, v[i]->sport,
							   v[i]->eport, v[i]->saddr, v[i]->eaddr };
	ikev2_put_ts(w, type, &t);
}
