/*
 * The punt queue between a data-plane worker and the control thread
 * (src/net/puntq.c), driven from two pthreads as workers.c drives it: a
 * producer pushing batches, a consumer popping them, bounded in count.
 * What the control thread must see: every frame the queue took, once, in
 * the order pushed, with its own virtio-net header; what it did not take
 * is handed back (counted as queue-full by the worker), never lost.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "core/pkt.h"
#include "net/puntq.h"
#include "t.h"

#define PQ_FRAMES 60000u
#define PQ_BATCH 64u
#define PQ_CAP 256u

struct pq_run {
	struct punt_queue q;
	atomic_bool done;
	size_t refused, got, out_of_order, bad_vh;
};

static void *pq_producer(void *arg)
{
	struct pq_run *r = arg;
	struct pkt *b[PQ_BATCH];
	uint8_t vh[PQ_BATCH][VNET_HDR_LEN];
	uint32_t next = 0;
	while (next < PQ_FRAMES) {
		unsigned n = 0;
		for (; n < PQ_BATCH && next < PQ_FRAMES; n++, next++) {
			b[n] = pkt_alloc();
			b[n]->sa_ctx = next;
			memset(vh[n], (int)(next & 0xff), VNET_HDR_LEN);
		}
		unsigned took = puntq_push(&r->q, b, (const uint8_t (*)[VNET_HDR_LEN])vh, n);
		for (unsigned i = took; i < n; i++) {
			pkt_free(b[i]);
			r->refused++;
		}
	}
	atomic_store(&r->done, true);
	pkt_pool_drain();	/* as a worker does when it ends */
	return NULL;
}

TEST(puntq_two_threads_in_order_none_lost)
{
	size_t base = pkt_in_use();
	struct pq_run r = { .refused = 0 };
	CHECK(puntq_init(&r.q, PQ_CAP) == 0);
	pthread_t th;
	CHECK(pthread_create(&th, NULL, pq_producer, &r) == 0);
	struct pkt *p[PQ_BATCH];
	uint8_t vh[PQ_BATCH][VNET_HDR_LEN];
	long last = -1;
	for (;;) {
		bool was_done = atomic_load(&r.done);
		unsigned n = puntq_pop(&r.q, p, vh, PQ_BATCH);
		for (unsigned i = 0; i < n; i++) {
			if ((long)p[i]->sa_ctx <= last)
				r.out_of_order++;
			last = (long)p[i]->sa_ctx;
			for (int k = 0; k < VNET_HDR_LEN; k++)
				if (vh[i][k] != (uint8_t)(p[i]->sa_ctx & 0xff))
					r.bad_vh++;
			pkt_free(p[i]);
			r.got++;
		}
		if (!n && was_done)
			break;
	}
	pthread_join(th, NULL);
	CHECK(r.out_of_order == 0);
	CHECK(r.bad_vh == 0);
	CHECK(r.got + r.refused == PQ_FRAMES);
	CHECK(r.got > 0);
	CHECK(puntq_len(&r.q) == 0);
	puntq_free(&r.q);
	CHECK(pkt_in_use() == base);
}

TEST(puntq_full_takes_what_fits_free_releases_rest)
{
	size_t base = pkt_in_use();
	struct punt_queue q;
	CHECK(puntq_init(&q, 4) == 0);
	struct pkt *b[6];
	uint8_t vh[6][VNET_HDR_LEN] = { { 0 } };
	for (int i = 0; i < 6; i++)
		b[i] = pkt_alloc();
	CHECK(puntq_push(&q, b, (const uint8_t (*)[VNET_HDR_LEN])vh, 6) == 4);
	CHECK(puntq_len(&q) == 4);
	pkt_free(b[4]);
	pkt_free(b[5]);
	struct pkt *o[2];
	uint8_t ovh[2][VNET_HDR_LEN];
	CHECK(puntq_pop(&q, o, ovh, 2) == 2 && o[0] == b[0] && o[1] == b[1]);
	pkt_free(o[0]);
	pkt_free(o[1]);
	puntq_free(&q);		/* b[2], b[3] still queued: freed with it */
	CHECK(pkt_in_use() == base);
}
