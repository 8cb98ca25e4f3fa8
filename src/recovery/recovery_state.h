/* Private to src/recovery: the tables and counters behind recovery.c. */
#ifndef SPIGOT_RECOVERY_STATE_H
#define SPIGOT_RECOVERY_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/evloop.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "ipsec/peerflow.h"

#define ISR_PEERS 256		/* per-peer hold-down state */
#define ISR_NOTIFY_SLOTS 1024	/* (peer, SPI) notify hold-down, a lossy hash */
#define ISR_PENDING_MAX 4096	/* hard cap; `max-pending` is the configured one */
#define ISR_PENDING_SPIS 4	/* SPIs remembered per pending recovery */

struct isr_peer {
	bool used;
	uint32_t addr;
	uint64_t last_init;	/* last recovery initiation (hold-down) */
	uint64_t last_seen;
	uint64_t notify_window;
	uint32_t notify_count;
	struct log_rl log_rl;
};

struct isr_notified {
	uint32_t peer, spi;
	uint8_t proto;
	uint64_t when;
};

struct isr_pending {
	uint32_t peer, local;
	uint64_t since;
	size_t nspi;
	uint8_t proto[ISR_PENDING_SPIS];
	uint32_t spi[ISR_PENDING_SPIS];
};

/*
 * Phase-2 restore (p2up.c): after an IKE SA that recovery opened, or that
 * carried our INITIAL-CONTACT, every flow toward that peer gets its Quick
 * Mode, a few at a time.  Fixed limits (one source: here).
 */
#define P2UP_JOBS 64			/* peers being restored at once */
#define P2UP_INFLIGHT 4			/* Quick Modes in flight per peer */
#define P2UP_QM_PER_SEC 20		/* Quick Modes started per second, all peers */
#define P2UP_TICK_MS 50			/* how often jobs advance */
#define P2UP_RETRIGGER_MS 1000		/* a notify restarts a peer's restore at most this often */
/*
 * As Main Mode responder we wait this long before restoring: the initiator
 * starts Quick Mode for its own traffic at once, and two routers that both
 * restarted (both send INITIAL-CONTACT) would otherwise negotiate every
 * flow twice, crosswise.  What the initiator brings up is then found up.
 * The wait covers the initiator's QM1 being lost twice (retransmitted
 * after 2 s and 4 s more): a responder's restore is a fallback, since a
 * peer that lost its SAs and has traffic restores from its own side.
 */
#define P2UP_RESPONDER_DELAY_MS 7000
/*
 * As initiator of an IKE SA our own traffic opened (INITIAL-CONTACT, not a
 * recovery), a shorter wait: the flow that opened it has its Quick Mode at
 * once, and a peer that dropped its SAs on our INITIAL-CONTACT and has
 * traffic of its own negotiates first; what is still down after that is ours.
 */
#define P2UP_CONTACT_DELAY_MS 300
#define P2UP_JOB_MAX_MS 120000		/* a job that has not finished by then is dropped */
/* Hello on start (hello.c): Main Mode with INITIAL-CONTACT to each static peer. */
#define HELLO_INFLIGHT 8		/* Main Modes under way at once */
#define HELLO_SPACING_MS 50		/* between two starts: at most 20 peers a second */

enum p2up_why { P2UP_RECOVERY = 0, P2UP_CONTACT, P2UP_NOTIFY, P2UP_HELLO, P2UP_NWHY };

struct p2up_job {
	bool used;
	uint32_t peer;
	enum p2up_why why;
	uint64_t since, not_before;
	size_t cursor;			/* next flow index to look at */
	size_t ninflight;
	struct ipsec_peer_flow inflight[P2UP_INFLIGHT];
};

struct p2up_counters {
	uint64_t jobs[P2UP_NWHY];	/* restores started, by trigger */
	uint64_t joined, retrigger_held, table_full;
	uint64_t qm_started, already_up, qm_up, qm_failed;
	uint64_t deferred_inflight, deferred_rate, no_ike_sa, timed_out, completed;
	uint64_t hello_rounds, hello_contacted, hello_skipped_up, hello_failed;
};

struct isr_counters {
	uint64_t invalid_esp, invalid_ah, invalid_udp;
	uint64_t notifies_sent, notify_send_failed;
	uint64_t initiations, initiations_failed, joined_pending;
	uint64_t initiations_v2;	/* of initiations, toward IKEv2 peers */
	uint64_t suppressed_holddown, suppressed_notify_holddown, suppressed_notify_rate;
	uint64_t suppressed_budget, suppressed_pending_full;
	uint64_t ignored_not_static, ignored_disabled;
	uint64_t notifies_received, notifies_acted;
	uint64_t ignored_unauthenticated, ignored_unknown_spi, ignored_wrong_peer, ignored_bad_proto;
};

struct recovery_state {
	struct isr_counters c;
	struct isr_peer peers[ISR_PEERS];
	struct isr_notified notified[ISR_NOTIFY_SLOTS];
	struct isr_pending pending[ISR_PENDING_MAX];	/* packed: [0, npending) */
	size_t npending;
	uint64_t budget_window;
	uint32_t budget_used;
	/* One limiter per mnemonic: a flood of one kind must not hide another. */
	struct log_rl not_static_rl, budget_rl, pending_full_rl, ignored_rl;

	/* phase-2 restore */
	struct p2up_counters p2c;
	struct p2up_job jobs[P2UP_JOBS];
	struct {
		uint32_t peer;
		uint64_t when;
	} last_job[P2UP_JOBS];		/* recent job starts, for P2UP_RETRIGGER_MS */
	uint64_t qm_window;
	uint32_t qm_used;
	struct ev_timer tick;
	/* hello on start */
	bool hello_active, hello_cfg_seen;
	size_t hello_cursor, hello_inflight;
	uint64_t hello_last;
	uint32_t hello_wait[HELLO_INFLIGHT];	/* peers whose Main Mode is under way */
};

/* p2up.c / hello.c */
void p2up_trigger(struct router *r, uint32_t peer, enum p2up_why why, uint32_t delay_ms);
void p2up_init(struct router *r);
void p2up_tick(void *arg);
void p2up_arm(struct router *r);
void hello_start(struct router *r);
void hello_step(struct router *r);
void p2up_show(struct router *r, struct strbuf *o);

#endif
