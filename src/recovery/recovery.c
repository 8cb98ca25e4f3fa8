/*
 * Invalid SPI Recovery (IOS `crypto isakmp invalid-spi-recovery`).
 *
 * The receiver of a packet with an unknown SPI tells its sender, over an
 * authenticated IKE SA, with Notify INVALID-SPI.  With an IKE SA up it does
 * so whatever the configuration (IOS behaviour); with none, only when the
 * feature is on and the source is a static peer (a `set peer` address), and
 * it brings up Main Mode just for that.  Everything here is bounded: a
 * flood of forged packets can cost a counter increment and a table probe,
 * never an IKE SA per packet:
 *
 *   - a source that is not a static peer never creates state;
 *   - one recovery initiation per peer per hold-down;
 *   - one notify per (peer, SPI) per notify hold-down, and at most
 *     ISR_NOTIFY_PER_PEER_SEC notifies per peer per second (random SPIs
 *     would otherwise defeat the per-SPI limit);
 *   - a global budget of initiations per second;
 *   - a fixed-size table of pending recoveries.
 *
 * The sender of the dead SA acts on an authenticated notify only: it deletes
 * the outbound SA with that SPI toward that peer and its whole bundle; the
 * next packet for the flow then brings up a new Quick Mode.
 */
#include "recovery/recovery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cmdtree.h"
#include "core/ipfmt.h"
#include "ike/ike.h"
#include "ike/isakmp.h"
#include "ipsec/sadb.h"
#include "recovery/recovery_state.h"
#include "router.h"

#define ISR_NOTIFY_PER_PEER_SEC 5
#define ISR_PENDING_TIMEOUT_MS 30000

static struct recovery_state *st(struct router *r) { return r->rec; }

int recovery_init(struct router *r)
{
	struct recovery_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	r->rec = s;
	p2up_init(r);
	return 0;
}

void recovery_free(struct router *r)
{
	if (r->rec)
		ev_timer_cancel(r->ev, &r->rec->tick);
	free(r->rec);
	r->rec = NULL;
}

/* ---- small fixed tables (no allocation after init) ---- */

static uint32_t mix(uint32_t a, uint32_t b)
{
	uint64_t h = ((uint64_t)a << 32 | b) * 0x9E3779B97F4A7C15ull;
	return (uint32_t)(h >> 32);
}

/* The per-peer entry, created only for static peers or peers with an IKE SA. */
static struct isr_peer *peer_get(struct recovery_state *s, uint32_t peer, uint64_t now,
				 bool create)
{
	struct isr_peer *victim = NULL;
	for (size_t i = 0; i < ISR_PEERS; i++) {
		struct isr_peer *p = &s->peers[i];
		if (p->used && p->addr == peer)
			return p;
		if (!p->used && !victim)
			victim = p;
	}
	if (!create)
		return NULL;
	if (!victim) {
		/* Evict the least recently active: the table only bounds memory. */
		victim = &s->peers[0];
		for (size_t i = 1; i < ISR_PEERS; i++)
			if (s->peers[i].last_seen < victim->last_seen)
				victim = &s->peers[i];
	}
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->addr = peer;
	victim->last_seen = now;
	return victim;
}

/* Returns true when (peer, proto, spi) was notified within the hold-down. */
static bool notify_held_down(struct recovery_state *s, uint32_t peer, uint8_t proto,
			     uint32_t spi, uint64_t now, uint64_t holddown_ms)
{
	uint32_t h = mix(peer ^ proto, spi) % ISR_NOTIFY_SLOTS;
	struct isr_notified *n = &s->notified[h];
	if (n->when && n->peer == peer && n->spi == spi && n->proto == proto &&
	    now - n->when < holddown_ms)
		return true;
	return false;
}

static void notify_record(struct recovery_state *s, uint32_t peer, uint8_t proto, uint32_t spi,
			  uint64_t now)
{
	uint32_t h = mix(peer ^ proto, spi) % ISR_NOTIFY_SLOTS;
	s->notified[h] = (struct isr_notified){ .peer = peer, .spi = spi, .proto = proto, .when = now };
}

static bool per_peer_notify_allowed(struct isr_peer *p, uint64_t now)
{
	if (now - p->notify_window >= 1000) {
		p->notify_window = now;
		p->notify_count = 0;
	}
	if (p->notify_count >= ISR_NOTIFY_PER_PEER_SEC)
		return false;
	p->notify_count++;
	return true;
}

static bool budget_allows(struct recovery_state *s, const struct cfg_isr *isr, uint64_t now)
{
	if (now - s->budget_window >= 1000) {
		s->budget_window = now;
		s->budget_used = 0;
	}
	if (s->budget_used >= isr->budget_per_sec)
		return false;
	s->budget_used++;
	return true;
}

/* Sends the notify over an established IKE SA, applying the notify limits. */
static bool send_notify(struct router *r, struct isr_peer *p, uint32_t local, uint32_t peer,
			uint8_t proto, uint32_t spi)
{
	struct recovery_state *s = st(r);
	uint64_t now = ev_now(r->ev);
	uint64_t hold = (uint64_t)r->cfg->isr.notify_holddown_sec * 1000;
	if (notify_held_down(s, peer, proto, spi, now, hold)) {
		s->c.suppressed_notify_holddown++;
		return false;
	}
	if (!per_peer_notify_allowed(p, now)) {
		s->c.suppressed_notify_rate++;
		return false;
	}
	if (!ike_send_invalid_spi(r, local, peer, proto, spi)) {
		s->c.notify_send_failed++;
		return false;
	}
	notify_record(s, peer, proto, spi, now);
	s->c.notifies_sent++;
	char ps[IP_FMT_LEN];
	ip_fmt(peer, ps);
	log_msg_rl(&r->log, &p->log_rl, now, 1000, "CRYPTO", SEV_NOTICE, "ISR_NOTIFY_SENT",
		   "Invalid SPI recovery: sent INVALID_SPI notify to %s for spi=0x%X(%u), prot=%u",
		   ps, spi, spi, proto);
	return true;
}

/*
 * Pending recoveries are kept packed in pending[0..npending): every packet
 * from a static peer looks here, so a flood costs a scan of what is pending
 * (usually nothing), not of the whole table.
 */
static struct isr_pending *pending_find(struct recovery_state *s, uint32_t peer)
{
	for (size_t i = 0; i < s->npending; i++)
		if (s->pending[i].peer == peer)
			return &s->pending[i];
	return NULL;
}

static void pending_remove(struct recovery_state *s, struct isr_pending *pd)
{
	*pd = s->pending[--s->npending];
}

static void pending_add_spi(struct isr_pending *pd, uint8_t proto, uint32_t spi)
{
	for (size_t i = 0; i < pd->nspi; i++)
		if (pd->spi[i] == spi && pd->proto[i] == proto)
			return;
	if (pd->nspi < ISR_PENDING_SPIS) {
		pd->proto[pd->nspi] = proto;
		pd->spi[pd->nspi++] = spi;
	}
}

static void phase1_ready(struct router *r, uint32_t peer, bool ok, void *arg)
{
	(void)arg;
	struct recovery_state *s = st(r);
	if (!s)
		return;
	struct isr_pending *pd = pending_find(s, peer);
	if (!pd)
		return;
	char ps[IP_FMT_LEN];
	ip_fmt(peer, ps);
	struct isr_pending done = *pd;
	pending_remove(s, pd);
	if (!ok) {
		s->c.initiations_failed++;
		log_msg(&r->log, "CRYPTO", SEV_WARNING, "ISR_IKE_FAILED",
			"Invalid SPI recovery: IKE SA with %s could not be established; "
			"%zu invalid SPI notif%s not sent", ps, done.nspi, done.nspi == 1 ? "y" : "ies");
		return;
	}
	struct isr_peer *p = peer_get(s, peer, ev_now(r->ev), true);
	for (size_t i = 0; i < done.nspi; i++)
		send_notify(r, p, done.local, peer, done.proto[i], done.spi[i]);
	/* A peer that ignores INVALID-SPI would never bring its SAs back itself. */
	p2up_trigger(r, peer, P2UP_RECOVERY, 0);
}

static void expire_pending(struct router *r, uint64_t now)
{
	struct recovery_state *s = st(r);
	for (size_t i = 0; i < s->npending;) {
		if (now - s->pending[i].since > ISR_PENDING_TIMEOUT_MS) {
			pending_remove(s, &s->pending[i]);
			s->c.initiations_failed++;
		} else {
			i++;
		}
	}
}

void recovery_invalid_spi(struct router *r, uint32_t src, uint32_t dst, uint8_t ipproto,
			  uint32_t spi, bool udp_encap)
{
	struct recovery_state *s = st(r);
	const struct cfg_isr *isr = &r->cfg->isr;
	uint64_t now = ev_now(r->ev);
	char ps[IP_FMT_LEN];

	if (ipproto == 50)
		s->c.invalid_esp++;
	else
		s->c.invalid_ah++;
	if (udp_encap)
		s->c.invalid_udp++;
	expire_pending(r, now);

	/* 1. An IKE SA is up: notify, whatever the configuration (IOS). */
	if (ike_sa_up(r, src)) {
		struct isr_peer *p = peer_get(s, src, now, true);
		p->last_seen = now;
		if (send_notify(r, p, dst, src, ipproto, spi))
			p2up_trigger(r, src, P2UP_NOTIFY, 0);
		return;
	}
	/* 2. No IKE SA: only with the feature on may we initiate one. */
	if (!isr->enabled) {
		s->c.ignored_disabled++;
		return;
	}
	/* 3. ...and only toward a static peer: never an arbitrary source. */
	if (!config_is_static_peer(r->cfg, src)) {
		s->c.ignored_not_static++;
		ip_fmt(src, ps);
		log_msg_rl(&r->log, &s->not_static_rl, now, 10000, "CRYPTO", SEV_INFO,
			   "ISR_NOT_STATIC_PEER",
			   "Invalid SPI recovery: %s is not a static peer, no IKE SA initiated", ps);
		return;
	}
	/* 4. A recovery toward this peer is already under way: join it. */
	struct isr_pending *pd = pending_find(s, src);
	if (pd) {
		pending_add_spi(pd, ipproto, spi);
		s->c.joined_pending++;
		return;
	}
	struct isr_peer *p = peer_get(s, src, now, true);
	p->last_seen = now;
	uint64_t hold = (uint64_t)isr->holddown_sec * 1000;
	if (p->last_init && now - p->last_init < hold) {
		s->c.suppressed_holddown++;
		return;
	}
	size_t npending = s->npending;
	if (npending >= isr->max_pending || npending >= ISR_PENDING_MAX) {
		s->c.suppressed_pending_full++;
		log_msg_rl(&r->log, &s->pending_full_rl, now, 10000, "CRYPTO", SEV_WARNING,
			   "ISR_PENDING_FULL",
			   "Invalid SPI recovery: %zu recoveries already pending, none started for %s",
			   npending, ip_fmt(src, ps));
		return;
	}
	if (!budget_allows(s, isr, now)) {
		s->c.suppressed_budget++;
		log_msg_rl(&r->log, &s->budget_rl, now, 10000, "CRYPTO", SEV_WARNING, "ISR_BUDGET",
			   "Invalid SPI recovery: budget of %u IKE initiations per second reached",
			   isr->budget_per_sec);
		return;
	}
	pd = &s->pending[s->npending++];
	*pd = (struct isr_pending){ .peer = src, .local = dst, .since = now };
	pending_add_spi(pd, ipproto, spi);
	p->last_init = now;
	s->c.initiations++;
	bool v2 = ike_peer_is_v2(r, src);
	s->c.initiations_v2 += v2;
	ip_fmt(src, ps);
	log_msg(&r->log, "CRYPTO", SEV_NOTICE, "ISR_INITIATE",
		"Invalid SPI recovery: initiating %s SA with static peer %s to notify "
		"invalid spi=0x%X(%u), prot=%u", v2 ? "IKEv2" : "IKE", ps, spi, spi, ipproto);
	if (ike_initiate_phase1(r, src, phase1_ready, NULL) < 0)
		phase1_ready(r, src, false, NULL);
}

void recovery_notify_received(struct router *r, uint32_t peer, uint8_t ipsec_proto, uint32_t spi)
{
	struct recovery_state *s = st(r);
	uint8_t ipproto = isakmp_proto_to_ip(ipsec_proto);
	char ps[IP_FMT_LEN];
	ip_fmt(peer, ps);
	s->c.notifies_received++;
	if (!ipproto) {
		s->c.ignored_bad_proto++;
		log_msg_rl(&r->log, &s->ignored_rl, ev_now(r->ev), 1000, "CRYPTO", SEV_WARNING,
			   "ISR_NOTIFY_IGNORED",
			   "INVALID_SPI notify from %s for protocol %u ignored: not AH or ESP", ps,
			   ipsec_proto);
		return;
	}
	if (!sadb_has_outbound_spi(r, peer, ipproto, spi)) {
		/* Another static peer's SA: a peer may only kill its own. */
		for (size_t i = 0; i < r->cfg->ncmap; i++)
			for (size_t j = 0; j < r->cfg->cmaps[i].npeers; j++) {
				uint32_t other = r->cfg->cmaps[i].peers[j];
				if (other != peer && sadb_has_outbound_spi(r, other, ipproto, spi)) {
					s->c.ignored_wrong_peer++;
					log_msg_rl(&r->log, &s->ignored_rl, ev_now(r->ev), 1000,
						   "CRYPTO", SEV_WARNING, "ISR_NOTIFY_IGNORED",
						   "INVALID_SPI notify from %s for spi=0x%X(%u), "
						   "prot=%u ignored: that SA belongs to another peer",
						   ps, spi, spi, ipproto);
					return;
				}
			}
		s->c.ignored_unknown_spi++;
		log_msg_rl(&r->log, &s->ignored_rl, ev_now(r->ev), 1000, "CRYPTO", SEV_WARNING,
			   "ISR_NOTIFY_IGNORED",
			   "INVALID_SPI notify from %s for spi=0x%X(%u), prot=%u ignored: "
			   "no outbound SA with that SPI toward %s", ps, spi, spi, ipproto, ps);
		return;
	}
	int n = sadb_delete_outbound_spi(r, peer, ipproto, spi, SADB_DEL_INVALID_SPI);
	s->c.notifies_acted++;
	log_msg(&r->log, "CRYPTO", SEV_NOTICE, "ISR_SA_DELETED",
		"Invalid SPI recovery: peer %s reported invalid spi=0x%X(%u), prot=%u; "
		"deleted %d IPsec SA bundle%s with it, new SAs on the next packet",
		ps, spi, spi, ipproto, n, n == 1 ? "" : "s");
}

void recovery_notify_rejected(struct router *r, uint32_t peer, enum isr_reject why)
{
	struct recovery_state *s = st(r);
	s->c.notifies_received++;
	if (why == ISR_REJECT_UNAUTHENTICATED)
		s->c.ignored_unauthenticated++;
	else
		s->c.ignored_wrong_peer++;
	char ps[IP_FMT_LEN];
	log_msg_rl(&r->log, &s->ignored_rl, ev_now(r->ev), 1000, "CRYPTO", SEV_WARNING,
		   "ISR_NOTIFY_IGNORED", "INVALID_SPI notify from %s ignored: %s", ip_fmt(peer, ps),
		   why == ISR_REJECT_UNAUTHENTICATED ? "not protected by an IKE SA"
						     : "the SA belongs to another peer");
}
