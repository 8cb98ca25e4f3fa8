/*
 * Every limit of Invalid SPI Recovery's DoS guard (src/recovery/recovery.c),
 * row by row on the virtual clock: at time T an invalid SPI arrives at B from
 * a source; exactly one decision counter moves, and the pending table holds
 * what the row says.  The rows walk each limit to its edge (the last
 * millisecond it still holds, the first it no longer does), as WireGuard's
 * selftest/ratelimiter.c does with its expected_results[].
 *
 * B (10.2.2.2) has an IKE SA with A (10.1.1.1), so packets from A take the
 * notify path; P1..P4 are static peers with no IKE SA (the initiation path;
 * their Main Mode goes nowhere), X is nobody's peer.
 *
 * The same table runs with every peer speaking IKEv2 (issue 11 item 3): one
 * guard decides for both versions, so every row must come out the same; only
 * the initiation is IKE_SA_INIT instead of Main Mode.
 */
#include "../unit/t.h"
#include "xlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/evloop.h"
#include "ike/ike2_glue.h"
#include "ikev2/ikev2_sa.h"
#include "recovery/recovery.h"
#include "recovery/recovery_state.h"

enum decision {
	NOTIFY,			/* sent INVALID-SPI over the IKE SA */
	NOTIFY_HOLDDOWN,	/* same (peer, proto, SPI) within notify-holddown */
	NOTIFY_RATE,		/* more than 5 notifies to the peer in its second */
	DISABLED,		/* no IKE SA and the feature is off */
	NOT_STATIC,		/* no IKE SA and the source is not a `set peer` */
	INITIATE,		/* Main Mode started to carry the notify */
	JOINED,			/* a recovery toward the peer is already pending */
	HOLDDOWN,		/* one initiation per peer per holddown */
	PENDING_FULL,		/* max-pending recoveries under way */
	BUDGET,			/* budget initiations per second, all peers */
	NDECISION
};

static const char *const NAME[NDECISION] = {
	"notify", "notify-holddown", "notify-rate", "disabled", "not-static",
	"initiate", "joined", "holddown", "pending-full", "budget",
};

static uint64_t counter(const struct isr_counters *c, enum decision d)
{
	switch (d) {
	case NOTIFY: return c->notifies_sent;
	case NOTIFY_HOLDDOWN: return c->suppressed_notify_holddown;
	case NOTIFY_RATE: return c->suppressed_notify_rate;
	case DISABLED: return c->ignored_disabled;
	case NOT_STATIC: return c->ignored_not_static;
	case INITIATE: return c->initiations;
	case JOINED: return c->joined_pending;
	case HOLDDOWN: return c->suppressed_holddown;
	case PENDING_FULL: return c->suppressed_pending_full;
	case BUDGET: return c->suppressed_budget;
	default: return 0;
	}
}

enum src { A, P1, P2, P3, P4, X };
#define ESP 50
#define AH 51

struct row {
	uint64_t t_ms;		/* since the table started */
	enum src src;
	uint8_t proto;
	uint32_t spi;
	bool off;		/* `no crypto isakmp invalid-spi-recovery` for this row */
	enum decision want;
	size_t pending;		/* recoveries pending after the row */
	uint64_t failed;	/* recoveries abandoned so far (pending timeout) */
};

/*
 * The limits under test, set on B: holddown 40 s, notify-holddown 2 s,
 * budget 2 per second, max-pending 3; the per-peer notify rate is fixed at 5
 * per second and a pending recovery is abandoned after 30 s.
 */
static const struct row rows[] = {
	/* Notify limits: A, IKE SA up. */
	{ 0, A, ESP, 0x1001, false, NOTIFY, 0, 0 },
	{ 10, A, ESP, 0x1001, false, NOTIFY_HOLDDOWN, 0, 0 },	/* same SPI */
	{ 20, A, AH, 0x1001, false, NOTIFY, 0, 0 },		/* same SPI, AH: another SA */
	{ 30, A, ESP, 0x1002, false, NOTIFY, 0, 0 },
	{ 40, A, ESP, 0x1003, false, NOTIFY, 0, 0 },
	{ 50, A, ESP, 0x1004, false, NOTIFY, 0, 0 },		/* 5th in this second */
	{ 60, A, ESP, 0x1005, false, NOTIFY_RATE, 0, 0 },	/* 6th */
	{ 999, A, ESP, 0x1006, false, NOTIFY_RATE, 0, 0 },	/* last ms of the second */
	{ 1000, A, ESP, 0x1006, false, NOTIFY, 0, 0 },		/* a new second */
	{ 1999, A, ESP, 0x1001, false, NOTIFY_HOLDDOWN, 0, 0 },	/* sent at 0 */
	{ 2000, A, ESP, 0x1001, false, NOTIFY, 0, 0 },		/* hold-down over */
	{ 2010, A, ESP, 0x1007, true, NOTIFY, 0, 0 },		/* IKE SA up: even when off (IOS) */
	/* No IKE SA: the feature and static peers gate everything. */
	{ 2100, P1, ESP, 0x2001, true, DISABLED, 0, 0 },
	{ 2200, X, ESP, 0x3001, false, NOT_STATIC, 0, 0 },
	/* Initiation limits. */
	{ 3000, P1, ESP, 0x2001, false, INITIATE, 1, 0 },
	{ 3010, P1, AH, 0x2002, false, JOINED, 1, 0 },
	{ 3020, P2, ESP, 0x2003, false, INITIATE, 2, 0 },	/* budget: 2 of 2 */
	{ 3030, P3, ESP, 0x2004, false, BUDGET, 2, 0 },
	{ 3999, P3, ESP, 0x2004, false, BUDGET, 2, 0 },		/* last ms of the second */
	{ 4000, P3, ESP, 0x2004, false, INITIATE, 3, 0 },	/* a new second */
	{ 4010, P4, ESP, 0x2005, false, PENDING_FULL, 3, 0 },	/* 3 of 3 pending */
	{ 33000, P4, ESP, 0x2005, false, PENDING_FULL, 3, 0 },	/* P1's 30 s not over yet */
	{ 33001, P4, ESP, 0x2005, false, INITIATE, 3, 1 },	/* P1 abandoned: room */
	{ 34100, P1, ESP, 0x2001, false, HOLDDOWN, 1, 3 },	/* P2, P3 abandoned too */
	{ 42999, P1, ESP, 0x2001, false, HOLDDOWN, 1, 3 },	/* initiated at 3000 */
	{ 43000, P1, ESP, 0x2001, false, INITIATE, 2, 3 },	/* hold-down over */
	{ 43010, P1, ESP, 0x2001, false, JOINED, 2, 3 },
};

/* `set peer` for each, and `crypto isakmp key 0 1234 address 10.9.0.0 255.255.0.0`. */
static void add_static_peers(struct config *c, const uint32_t *peers, size_t n)
{
	struct cfg_cmap_entry *e = &c->cmaps[0];
	for (size_t i = 0; i < n && e->npeers < CFG_MAX_PEERS; i++)
		e->peers[e->npeers++] = peers[i];
	struct cfg_isakmp_key *k = realloc(c->keys, (c->nkey + 1) * sizeof(*k));
	if (!k)
		return;
	c->keys = k;
	k[c->nkey++] = (struct cfg_isakmp_key){ .key = "1234", .enc_type = 0, .addr = 0x0a090000,
						 .mask = 0xffff0000 };
}

/* IKEv2 for every entry, one suite and the seed's key (what a profile would build). */
static const struct cfg_cmap_entry *v2_entry(const struct config *cfg, uint32_t peer)
{
	return config_is_static_peer(cfg, peer) ? &cfg->cmaps[0] : NULL;
}

static bool v2_build(const struct config *cfg, const struct cfg_cmap_entry *e, uint32_t local, uint32_t peer,
		     struct ikev2_peer_conf *out)
{
	(void)cfg;
	(void)e;
	memset(out, 0, sizeof(*out));
	out->ike[out->nike++] = (struct ikev2_suite){ IKEV2_ENCR_AES_CBC, 128, IKEV2_AUTH_HMAC_SHA2_256_128,
						      IKEV2_PRF_HMAC_SHA2_256, 19 };
	out->child[out->nchild++] = (struct ikev2_child_suite){ IKEV2_ENCR_AES_CBC, 128, IKEV2_AUTH_HMAC_SHA1_96 };
	memcpy(out->psk_local, "1234", 4);
	memcpy(out->psk_remote, "1234", 4);
	out->psk_local_len = out->psk_remote_len = 4;
	out->id_local = local;
	out->id_remote = peer;
	out->local_ts = (struct ikev2_range){ 0, 0, 65535, 0, 0xffffffffu };
	out->remote_ts = out->local_ts;
	return true;
}

static bool negotiating(struct router *b, uint32_t peer, bool v2)
{
	return v2 ? ike2_negotiating_with(b->ike, peer) : ike_sa_negotiating(b->ike, peer) != NULL;
}

static void run_table(bool v2)
{
	static const struct xl_opts seed;
	struct xlab *x = xl_new(&seed);
	for (int i = 0; v2 && i < 2; i++) {
		ike2_set_conf(x->r[i], v2_entry, v2_build);
		ike2_set_all_entries(x->r[i], true);
	}
	xl_acquire(x, 0);
	xl_run(x, 3000);
	struct router *b = x->r[1];
	CHECK(ike_sa_up(b, x->outside[0]));

	const uint32_t addr[] = { x->outside[0], 0x0a090001, 0x0a090002, 0x0a090003, 0x0a090004,
				  0x0a080808 };
	add_static_peers(b->cfg, &addr[P1], 4);
	b->cfg->isr = (struct cfg_isr){ .enabled = true, .holddown_sec = 40,
					.notify_holddown_sec = 2, .budget_per_sec = 2,
					.max_pending = 3 };
	CHECK(!config_is_static_peer(b->cfg, addr[X]));

	uint64_t t0 = ev_now(x->ev);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		ev_advance(x->ev, t0 + w->t_ms - ev_now(x->ev));
		/* Only what B decides matters: nothing is delivered, except that over
		 * IKEv2 A answers (a notify waits for the answer to the one before,
		 * RFC 7296 §2.3); datagrams to P1..P4 and X go nowhere. */
		if (v2)
			xl_pump(x);
		x->nq = 0;
		b->cfg->isr.enabled = !w->off;
		struct isr_counters before = b->rec->c;
		int sent = x->sent[1];

		recovery_invalid_spi(b, addr[w->src], x->outside[1], w->proto, w->spi, false);

		const struct isr_counters *c = &b->rec->c;
		int moved = 0;
		for (int d = 0; d < NDECISION; d++) {
			uint64_t delta = counter(c, (enum decision)d) - counter(&before, (enum decision)d);
			if (delta != (d == (int)w->want)) {
				fprintf(stderr, "  row %zu (t=%llu): %s moved by %llu, want %s\n", i,
					(unsigned long long)w->t_ms, NAME[d], (unsigned long long)delta,
					NAME[w->want]);
				moved++;
			}
		}
		CHECK(moved == 0);
		CHECK(b->rec->npending == w->pending);
		CHECK(c->initiations_failed == w->failed);
		if (b->rec->npending != w->pending || c->initiations_failed != w->failed)
			fprintf(stderr, "  row %zu (t=%llu): %zu pending, %llu abandoned\n", i,
				(unsigned long long)w->t_ms, b->rec->npending,
				(unsigned long long)c->initiations_failed);
		/* What a user would see on the wire: one notify for NOTIFY; Main Mode
		 * under way toward the peer for INITIATE (its MM1 already left when an
		 * earlier attempt is still retransmitting); nothing otherwise. */
		if (w->want == INITIATE)
			CHECK(negotiating(b, addr[w->src], v2));
		else
			CHECK(x->sent[1] - sent == (w->want == NOTIFY));
		CHECK(c->invalid_esp + c->invalid_ah == before.invalid_esp + before.invalid_ah + 1);
		CHECK(c->initiations_v2 == (v2 ? c->initiations : 0));
		if (v2)
			xl_pump(x);
	}
	/* Never the other version. */
	if (v2)
		CHECK(b->ike->st.tx == 0);
	else
		CHECK(ike2_stats(b)->unsolicited == 0);
	xl_free(x);
}

TEST(isr_limits_table) { run_table(false); }
TEST(isr_limits_table_ikev2) { run_table(true); }

/* The defaults docs/RECOVERY.md promises for a router that sets no knob. */
TEST(isr_limits_defaults)
{
	struct config *c = config_new();
	CHECK(!c->isr.enabled);
	CHECK(c->isr.holddown_sec == 10);
	CHECK(c->isr.notify_holddown_sec == 1);
	CHECK(c->isr.budget_per_sec == 10);
	CHECK(c->isr.max_pending == 64);
	config_free(c);
}
