/*
 * What two data-plane threads share of one SA: the outbound sequence
 * counter and the inbound replay window.  Each test runs two pthreads
 * against one SA for a bounded number of packets and checks, afterwards,
 * what a receiver would: no sequence number handed out twice, none past
 * the limit, every in-order packet accepted exactly once.  Under the
 * tsan build (make tsan) these are also the data-race check.
 */
#include <pthread.h>
#include <stdlib.h>

#include "ipsec/replay.h"
#include "ipsec/seqno.h"
#include "t.h"

#define SEQ_PER_THREAD 200000u
#define SEQ_LIMIT 300000u

/* Both threads start together, or the first may be done before the second runs. */
static pthread_barrier_t start;

struct seq_job {
	ipsec_seq_t *ctr;
	uint64_t *got;		/* the numbers this thread was handed, in order */
	size_t n, refused;
};

static void *seq_worker(void *arg)
{
	struct seq_job *j = arg;
	pthread_barrier_wait(&start);
	for (unsigned i = 0; i < SEQ_PER_THREAD; i++) {
		uint64_t s = ipsec_seq_next(j->ctr, SEQ_LIMIT);
		if (s)
			j->got[j->n++] = s;
		else
			j->refused++;
	}
	return NULL;
}

TEST(mt_seq_never_repeats_never_passes_limit)
{
	ipsec_seq_t ctr = 0;
	struct seq_job j[2];
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		j[i] = (struct seq_job){ .ctr = &ctr, .got = calloc(SEQ_PER_THREAD, 8) };
		CHECK(j[i].got);
		if (!j[i].got)
			return;
	}
	pthread_barrier_init(&start, NULL, 2);
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&th[i], NULL, seq_worker, &j[i]) == 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	/* Every number 1..limit handed out exactly once, nothing else. */
	uint8_t *seen = calloc(SEQ_LIMIT + 1, 1);
	size_t dups = 0, out_of_range = 0, ascending = 1;
	for (int i = 0; i < 2; i++)
		for (size_t k = 0; k < j[i].n; k++) {
			uint64_t s = j[i].got[k];
			if (s == 0 || s > SEQ_LIMIT)
				out_of_range++;
			else if (seen[s]++)
				dups++;
			if (k && s <= j[i].got[k - 1])
				ascending = 0;	/* one thread's numbers rise */
		}
	CHECK(dups == 0);
	CHECK(out_of_range == 0);
	CHECK(ascending);
	CHECK(j[0].n + j[1].n == SEQ_LIMIT);
	CHECK(j[0].refused + j[1].refused == 2 * SEQ_PER_THREAD - SEQ_LIMIT);
	CHECK(ipsec_seq_last(&ctr) == SEQ_LIMIT);
	for (uint64_t s = 1; s <= SEQ_LIMIT; s++)
		if (!seen[s]) {
			CHECK(seen[s]);
			break;
		}
	free(seen);
	free(j[0].got);
	free(j[1].got);
}

TEST(mt_seq_ends_at_ipsec_seq_max)
{
	ipsec_seq_t ctr = IPSEC_SEQ_MAX - 1;
	CHECK(ipsec_seq_next(&ctr, IPSEC_SEQ_MAX) == IPSEC_SEQ_MAX);
	CHECK(ipsec_seq_next(&ctr, IPSEC_SEQ_MAX) == 0);
	CHECK(ipsec_seq_next(&ctr, IPSEC_SEQ_MAX) == 0);
	CHECK(ipsec_seq_last(&ctr) == IPSEC_SEQ_MAX);
}

#define RW_PACKETS 300000u

struct rw_job {
	struct replay_window *w;
	unsigned stride;	/* 1: every number; 2: odd or even ones */
	unsigned first;
	size_t accepted, checked_then_refused;
	uint8_t *acc;		/* acc[s]: this thread accepted s */
};

/* As esp_decap does it: check, (verify the ICV), then update. */
static void *rw_worker(void *arg)
{
	struct rw_job *j = arg;
	pthread_barrier_wait(&start);
	for (uint64_t s = j->first; s <= RW_PACKETS; s += j->stride) {
		if (!replay_check(j->w, s))
			continue;
		if (replay_update(j->w, s)) {
			j->accepted++;
			j->acc[s] = 1;
		}
		else
			j->checked_then_refused++;
	}
	return NULL;
}

static void rw_run(struct rw_job *j)
{
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		j[i].acc = calloc(RW_PACKETS + 1, 1);
	pthread_barrier_init(&start, NULL, 2);
	for (int i = 0; i < 2; i++)
		CHECK(j[i].acc && pthread_create(&th[i], NULL, rw_worker, &j[i]) == 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
}

/* Every number either thread accepted that is still inside the window stays refused. */
static size_t rw_forgotten(struct replay_window *w, struct rw_job *j)
{
	size_t n = 0;
	for (uint64_t s = RW_PACKETS - w->size + 1; s <= RW_PACKETS; s++)
		if ((j[0].acc[s] || j[1].acc[s]) && replay_check(w, s))
			n++;
	free(j[0].acc);
	free(j[1].acc);
	return n;
}

/*
 * Both threads see every packet (a duplicating network, or a replaying
 * attacker racing the real flow): each number must get in exactly once.
 * The thread that is behind finds its number either taken or left of the
 * window, which the thread ahead moved past it only after taking it.
 */
TEST(mt_replay_window_every_packet_once)
{
	uint32_t sizes[] = { 64, 1024 };
	for (size_t z = 0; z < 2; z++) {
		struct replay_window w;
		replay_init(&w, sizes[z]);
		struct rw_job j[2] = { { .w = &w, .stride = 1, .first = 1 },
				       { .w = &w, .stride = 1, .first = 1 } };
		rw_run(j);
		CHECK(j[0].accepted + j[1].accepted == RW_PACKETS);
		CHECK(rw_forgotten(&w, j) == 0);
	}
}

/*
 * One flow's packets split over two threads (odd / even numbers), as two
 * workers see one SA: every number accepted and still inside the window
 * at the end must still be marked seen (no update lost to the other
 * thread's write of the same 64-bit block), and the newest is accepted.
 */
TEST(mt_replay_window_split_flow_marks_stay)
{
	uint32_t sizes[] = { 64, 1024 };
	for (size_t z = 0; z < 2; z++) {
		struct replay_window w;
		replay_init(&w, sizes[z]);
		struct rw_job j[2] = { { .w = &w, .stride = 2, .first = 1 },
				       { .w = &w, .stride = 2, .first = 2 } };
		rw_run(j);
		CHECK(j[0].accepted + j[1].accepted > RW_PACKETS / 2);
		CHECK(j[0].acc[RW_PACKETS] || j[1].acc[RW_PACKETS]);
		CHECK(rw_forgotten(&w, j) == 0);
	}
}
