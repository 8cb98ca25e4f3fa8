/* Private to src/recovery: the tables and counters behind recovery.c. */
#ifndef SPIGOT_RECOVERY_STATE_H
#define SPIGOT_RECOVERY_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"

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

struct isr_counters {
	uint64_t invalid_esp, invalid_ah, invalid_udp;
	uint64_t notifies_sent, notify_send_failed;
	uint64_t initiations, initiations_failed, joined_pending;
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
};

#endif
