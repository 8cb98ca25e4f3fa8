/* Anti-replay window (RFC 4303 §3.4.3, RFC 6479). */
#include "ipsec/replay.h"
#include "t.h"

static bool accept(struct replay_window *w, uint64_t seq)
{
	return replay_check(w, seq) && replay_update(w, seq);
}

TEST(replay_basics)
{
	struct replay_window w;
	replay_init(&w, 64);
	CHECK(!replay_check(&w, 0));		/* 0 is never valid */
	CHECK(accept(&w, 1));
	CHECK(!accept(&w, 1));			/* duplicate */
	CHECK(accept(&w, 3));
	CHECK(accept(&w, 2));			/* late but inside */
	CHECK(!accept(&w, 2));
	CHECK(!accept(&w, 3));
	/* check does not change the window: only update does */
	CHECK(replay_check(&w, 4));
	CHECK(replay_check(&w, 4));
	CHECK(accept(&w, 4));
}

static void edges(uint32_t size)
{
	struct replay_window w;
	replay_init(&w, size);
	CHECK(w.size == size);
	uint64_t top = 5000;
	CHECK(accept(&w, top));
	/* The window holds [top - size + 1, top]. */
	CHECK(replay_check(&w, top - size + 1));
	CHECK(!replay_check(&w, top - size));		/* just left of the window */
	CHECK(!replay_check(&w, 1));
	CHECK(accept(&w, top - size + 1));
	CHECK(!accept(&w, top - size + 1));
	/* Every slot in the window once, then none twice. */
	for (uint64_t s = top - size + 2; s < top; s++)
		CHECK(accept(&w, s));
	for (uint64_t s = top - size + 1; s <= top; s++)
		CHECK(!replay_check(&w, s));
	/* Sliding by one keeps everything but the oldest. */
	CHECK(accept(&w, top + 1));
	CHECK(!replay_check(&w, top - size + 1));
	CHECK(!replay_check(&w, top - size + 2));	/* seen, still inside */
	/* A jump beyond the window clears it all: old numbers are left of it. */
	CHECK(accept(&w, top + 10 * size));
	CHECK(!replay_check(&w, top + 1));
	for (uint64_t s = top + 9 * size + 1; s < top + 10 * size; s++)
		CHECK(replay_check(&w, s));		/* fresh, never seen */
	/* A jump of a bit less than one window keeps the recent ones. */
	uint64_t base = top + 10 * size;
	CHECK(accept(&w, base + size - 1));
	CHECK(!replay_check(&w, base));
	CHECK(replay_check(&w, base + 1));
}

TEST(replay_window_64_edges) { edges(64); }
TEST(replay_window_1024_edges) { edges(1024); }
TEST(replay_window_128_edges) { edges(128); }

TEST(replay_sizes_are_clamped)
{
	struct replay_window w;
	replay_init(&w, 0);
	CHECK(w.size == 64);
	replay_init(&w, 100);
	CHECK(w.size == 128);
	replay_init(&w, 5000);
	CHECK(w.size == 1024);
	CHECK(w.mask + 1 >= 1024 / 64 + 1);
}

TEST(replay_block_boundaries)
{
	/* Numbers around 64-bit block edges, where the ring's clearing matters. */
	struct replay_window w;
	replay_init(&w, 64);
	for (uint64_t s = 60; s <= 70; s++)
		CHECK(accept(&w, s));
	CHECK(accept(&w, 127));
	CHECK(accept(&w, 128));
	CHECK(!replay_check(&w, 64));		/* 128 - 64: left edge */
	CHECK(!replay_check(&w, 65));		/* seen before, still inside */
	CHECK(replay_check(&w, 71));
	CHECK(replay_check(&w, 126));
	CHECK(accept(&w, 191));
	CHECK(!replay_check(&w, 127));		/* exactly 64 behind */
	CHECK(replay_check(&w, 130));
	CHECK(!replay_check(&w, 128));
}

TEST(replay_random_against_model)
{
	/* Compare with a plain per-number model over a long pseudo-random run. */
	static unsigned char seen[1 << 16];
	struct replay_window w;
	replay_init(&w, 256);
	uint64_t top = 0;
	uint32_t x = 12345;
	for (int i = 0; i < 50000; i++) {
		x = x * 1103515245 + 12345;
		uint64_t s;
		if (x % 11 == 0)
			s = top + 1 + (x >> 8) % 600;		/* jumps ahead */
		else
			s = top > 300 ? top - 300 + (x >> 8) % 320 : 1 + (x >> 8) % 320;
		if (s == 0 || s >= sizeof(seen))
			continue;
		bool want = !seen[s] && !(top >= 256 && s <= top - 256);
		bool got = accept(&w, s);
		CHECK(got == want);
		if (got) {
			seen[s] = 1;
			if (s > top)
				top = s;
		}
	}
}
