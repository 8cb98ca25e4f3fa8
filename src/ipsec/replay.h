/*
 * Anti-replay window (RFC 4303 §3.4.3) kept as RFC 6479's ring of 64-bit
 * blocks: sliding the window forward clears whole blocks instead of
 * shifting a bitmap, so a large jump costs at most the ring's size.
 * One extra block beyond the window keeps the oldest in-window block
 * intact while the newest one fills.
 *
 * Data-plane threads share one window per inbound SA: two workers may
 * hold packets of the same SA.  A spinlock guards the window, held only
 * for the few instructions of a check or an update (never across the
 * ICV computation), so the check-then-update of a packet stays correct:
 * the update re-checks under the lock, and a number two threads both
 * checked gets in once.
 */
#ifndef SPIGOT_IPSEC_REPLAY_H
#define SPIGOT_IPSEC_REPLAY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define REPLAY_WINDOW_MAX 1024
#define REPLAY_WINDOW_DEFAULT 64
/* A power of two >= REPLAY_WINDOW_MAX / 64 + 1. */
#define REPLAY_BLOCKS_MAX 32

struct replay_window {
	atomic_flag lock;	/* guards everything below */
	uint64_t last;		/* highest sequence number accepted; 0 = none yet */
	uint32_t size;		/* window in packets (multiple of 64) */
	uint32_t mask;		/* blocks - 1 */
	uint64_t bm[REPLAY_BLOCKS_MAX];
};

/* size is rounded up to a multiple of 64 and clamped to [64, 1024]. */
void replay_init(struct replay_window *w, uint32_t size);
/* Would seq be accepted?  Does not change the window (ICV not yet verified). */
bool replay_check(struct replay_window *w, uint64_t seq);
/* Records seq after its ICV verified; returns false if it is a replay after all. */
bool replay_update(struct replay_window *w, uint64_t seq);

#endif
