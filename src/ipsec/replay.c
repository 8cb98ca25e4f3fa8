#include "ipsec/replay.h"

#include <string.h>

void replay_init(struct replay_window *w, uint32_t size)
{
	memset(w, 0, sizeof(*w));
	if (size < 64)
		size = 64;
	if (size > REPLAY_WINDOW_MAX)
		size = REPLAY_WINDOW_MAX;
	size = (size + 63) & ~63u;
	uint32_t blocks = 1;
	while (blocks < size / 64 + 1)
		blocks <<= 1;
	w->size = size;
	w->mask = blocks - 1;
	atomic_flag_clear(&w->lock);
}

static void lock(struct replay_window *w)
{
	while (atomic_flag_test_and_set_explicit(&w->lock, memory_order_acquire))
		;
}

static void unlock(struct replay_window *w)
{
	atomic_flag_clear_explicit(&w->lock, memory_order_release);
}

static bool check_locked(const struct replay_window *w, uint64_t seq)
{
	if (seq == 0)
		return false;	/* sequence numbers start at 1 and never wrap */
	if (seq > w->last)
		return true;
	if (w->last - seq >= w->size)
		return false;
	uint64_t bit = 1ull << (seq & 63);
	return !(w->bm[(seq >> 6) & w->mask] & bit);
}

bool replay_check(struct replay_window *w, uint64_t seq)
{
	lock(w);
	bool ok = check_locked(w, seq);
	unlock(w);
	return ok;
}

bool replay_update(struct replay_window *w, uint64_t seq)
{
	lock(w);
	if (!check_locked(w, seq)) {
		unlock(w);
		return false;
	}
	if (seq > w->last) {
		uint64_t cur = w->last >> 6, idx = seq >> 6;
		uint64_t diff = idx - cur;
		if (diff > (uint64_t)w->mask + 1)
			diff = (uint64_t)w->mask + 1;
		for (uint64_t i = 1; i <= diff; i++)
			w->bm[(cur + i) & w->mask] = 0;
		w->last = seq;
	}
	w->bm[(seq >> 6) & w->mask] |= 1ull << (seq & 63);
	unlock(w);
	return true;
}
