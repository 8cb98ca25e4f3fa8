/*
 * Hello on start (`crypto isakmp invalid-spi-recovery contact-peers-on-start`,
 * a spigot extension): when the router starts, or the command is entered, it
 * opens Main Mode with INITIAL-CONTACT to each static peer of its crypto maps
 * and brings up Phase 2 for their entries, so peers drop the SAs of our
 * previous life before their next packet is lost.  Staggered: at most
 * HELLO_INFLIGHT Main Modes under way, one start per HELLO_SPACING_MS, so a
 * router with hundreds of peers does not burst.
 */
#include <stdio.h>
#include <string.h>

#include "core/ipfmt.h"
#include "ike/ike.h"
#include "ipsec/peerflow.h"
#include "recovery/recovery.h"
#include "recovery/recovery_state.h"
#include "router.h"

static void wait_remove(struct recovery_state *s, uint32_t peer)
{
	for (size_t i = 0; i < s->hello_inflight; i++)
		if (s->hello_wait[i] == peer) {
			s->hello_wait[i] = s->hello_wait[--s->hello_inflight];
			return;
		}
}

static void hello_ready(struct router *r, uint32_t peer, bool ok, void *arg)
{
	(void)arg;
	struct recovery_state *s = r->rec;
	if (!s)
		return;
	wait_remove(s, peer);
	if (ok) {
		s->p2c.hello_contacted++;
		p2up_trigger(r, peer, P2UP_HELLO, 0);
	} else {
		s->p2c.hello_failed++;
	}
	p2up_arm(r);
}

/* Any flow toward peer with SAs up: then its SAs are not stale, keep them. */
static bool peer_has_sas(struct router *r, uint32_t peer)
{
	struct ipsec_peer_flow f;
	for (size_t i = 0; ipsec_peer_flow(r, peer, i, &f); i++)
		if (f.up)
			return true;
	return false;
}

void hello_start(struct router *r)
{
	struct recovery_state *s = r->rec;
	if (!r->boot_ms)
		return;		/* not started yet: recovery_start does it */
	s->hello_active = true;
	s->hello_cursor = 0;
	s->hello_last = 0;
	s->p2c.hello_rounds++;
	log_msg(&r->log, "CRYPTO", SEV_NOTICE, "ISR_CONTACT_PEERS",
		"Invalid SPI recovery: contacting the static peers of the crypto maps "
		"(%d at a time, one every %d ms)", HELLO_INFLIGHT, HELLO_SPACING_MS);
	/* From a timer: at start the ports may not be wired yet. */
	p2up_arm(r);
}

void hello_step(struct router *r)
{
	struct recovery_state *s = r->rec;
	if (!s->hello_active)
		return;
	uint64_t now = ev_now(r->ev);
	while (s->hello_inflight < HELLO_INFLIGHT) {
		if (s->hello_last && now - s->hello_last < HELLO_SPACING_MS)
			return;
		uint32_t peer;
		if (!ipsec_static_peer(r, s->hello_cursor, &peer)) {
			if (!s->hello_inflight) {
				s->hello_active = false;
				log_msg(&r->log, "CRYPTO", SEV_INFO, "ISR_CONTACT_DONE",
					"Invalid SPI recovery: %zu static peer%s contacted",
					s->hello_cursor, s->hello_cursor == 1 ? "" : "s");
			}
			return;
		}
		s->hello_cursor++;
		if (ike_sa_up(r, peer)) {
			/* Nothing stale to clear; make sure its SAs are all there. */
			s->p2c.hello_skipped_up++;
			p2up_trigger(r, peer, P2UP_HELLO, 0);
			continue;
		}
		if (ike_sa_negotiating_with(r, peer)) {
			s->p2c.hello_skipped_up++;
			continue;
		}
		/* With no SA of ours left, INITIAL-CONTACT is true: say it. */
		if (!peer_has_sas(r, peer))
			ike_forget_contact(r, peer);
		s->hello_last = now ? now : 1;
		s->hello_wait[s->hello_inflight++] = peer;
		ike_initiate_phase1(r, peer, hello_ready, NULL);
	}
}

void recovery_start(struct router *r)
{
	struct recovery_state *s = r->rec;
	s->hello_cfg_seen = r->cfg->isr.contact_on_start;
	if (s->hello_cfg_seen)
		hello_start(r);
}

void recovery_config_changed(struct router *r)
{
	struct recovery_state *s = r->rec;
	bool on = r->cfg->isr.contact_on_start;
	if (on && !s->hello_cfg_seen && r->boot_ms)
		hello_start(r);
	if (!on)
		s->hello_active = false;
	s->hello_cfg_seen = on;
}
