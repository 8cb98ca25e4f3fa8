/*
 * QSBR (core/qsbr.h), what the data-plane workers' table and retired SAs
 * rely on: nothing deferred is freed while a worker that was online at the
 * stamp has not passed a quiescent point or gone offline since, and
 * everything is freed once they have.  A table of single-thread scenarios,
 * then a reader thread against a writer that swaps and retires objects
 * (under ASan a use after free fails it; under make tsan, a race).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/qsbr.h"
#include "t.h"

static int freed;
static void count_free(void *obj) { (void)obj; freed++; }

/* Steps of a scenario, applied in order to slots 0 and 1. */
enum step { END = 0, REG0, REG1, ON0, ON1, OFF0, OFF1, QS0, QS1, DEFER, STAMP, RECLAIM };

static const struct {
	const char *name;
	enum step s[12];
	int want_freed;
} cases[] = {
	{ "no worker: freed at once", { DEFER, STAMP, RECLAIM }, 1 },
	{ "online worker holds it", { REG0, ON0, DEFER, STAMP, RECLAIM }, 0 },
	{ "quiescent after the stamp frees", { REG0, ON0, DEFER, STAMP, QS0, RECLAIM }, 1 },
	{ "quiescent before the stamp does not", { REG0, ON0, DEFER, QS0, STAMP, RECLAIM }, 0 },
	{ "offline at the stamp frees", { REG0, DEFER, STAMP, RECLAIM }, 1 },
	{ "going offline after the stamp frees", { REG0, ON0, DEFER, STAMP, OFF0, RECLAIM }, 1 },
	{ "not stamped: never", { REG0, ON0, DEFER, QS0, RECLAIM }, 0 },
	{ "two workers, one moved", { REG0, REG1, ON0, ON1, DEFER, STAMP, QS0, RECLAIM }, 0 },
	{ "two workers, both moved", { REG0, REG1, ON0, ON1, DEFER, STAMP, QS0, QS1, RECLAIM }, 1 },
	{ "second online after the stamp", { REG0, REG1, ON0, DEFER, STAMP, ON1, QS0, RECLAIM }, 1 },
};

TEST(qsbr_grace_period_table)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct qsbr *q = malloc(sizeof(*q));
		CHECK(q);
		if (!q)
			return;
		qsbr_init(q);
		freed = 0;
		int slot[2] = { -1, -1 };
		for (const enum step *s = cases[c].s; *s != END; s++) {
			switch (*s) {
			case REG0: slot[0] = qsbr_register(q); break;
			case REG1: slot[1] = qsbr_register(q); break;
			case ON0: qsbr_online(q, slot[0]); break;
			case ON1: qsbr_online(q, slot[1]); break;
			case OFF0: qsbr_offline(q, slot[0]); break;
			case OFF1: qsbr_offline(q, slot[1]); break;
			case QS0: qsbr_quiescent(q, slot[0]); break;
			case QS1: qsbr_quiescent(q, slot[1]); break;
			case DEFER: CHECK(qsbr_defer(q, count_free, q) == 0); break;
			case STAMP: qsbr_stamp(q); break;
			case RECLAIM: qsbr_reclaim(q); break;
			default: break;
			}
		}
		if (freed != cases[c].want_freed)
			t_fail(__FILE__, __LINE__, cases[c].name);
		CHECK(qsbr_backlog(q) == (size_t)(1 - cases[c].want_freed));
		qsbr_drain(q);
		CHECK(freed == 1);
		CHECK(qsbr_backlog(q) == 0);
		free(q);
	}
}

TEST(qsbr_slots_run_out_and_come_back)
{
	struct qsbr *q = malloc(sizeof(*q));
	CHECK(q);
	if (!q)
		return;
	qsbr_init(q);
	for (int i = 0; i < QSBR_SLOTS; i++)
		CHECK(qsbr_register(q) == i);
	CHECK(qsbr_register(q) == -1);
	qsbr_unregister(q, 5);
	CHECK(qsbr_register(q) == 5);
	free(q);
}

#define SWAPS 20000
#define CANARY 0x5a17c0deu

struct obj {
	atomic_uint canary;
	unsigned gen;
};

struct shared {
	struct qsbr q;
	_Atomic(struct obj *) cur;
	atomic_bool stop;
	int slot;
	unsigned bad, reads;
};

static void obj_free(void *arg)
{
	struct obj *o = arg;
	atomic_store(&o->canary, 0);	/* a reader that still held it would see this */
	free(o);
}

static void *reader(void *arg)
{
	struct shared *s = arg;
	qsbr_online(&s->q, s->slot);
	for (unsigned i = 0; !atomic_load(&s->stop); i++) {
		struct obj *o = atomic_load_explicit(&s->cur, memory_order_acquire);
		if (atomic_load(&o->canary) != CANARY)
			s->bad++;
		s->reads++;
		qsbr_quiescent(&s->q, s->slot);
		if (i % 64 == 0) {
			/* As a worker does around poll. */
			qsbr_offline(&s->q, s->slot);
			qsbr_online(&s->q, s->slot);
		}
	}
	qsbr_offline(&s->q, s->slot);
	return NULL;
}

static struct obj *obj_new(unsigned gen)
{
	struct obj *o = malloc(sizeof(*o));
	if (o) {
		atomic_init(&o->canary, CANARY);
		o->gen = gen;
	}
	return o;
}

TEST(qsbr_reader_never_sees_a_freed_object)
{
	struct shared *s = calloc(1, sizeof(*s));
	CHECK(s);
	if (!s)
		return;
	qsbr_init(&s->q);
	atomic_init(&s->cur, obj_new(0));
	s->slot = qsbr_register(&s->q);
	pthread_t th;
	CHECK(pthread_create(&th, NULL, reader, s) == 0);
	for (unsigned g = 1; g <= SWAPS; g++) {
		struct obj *n = obj_new(g);
		CHECK(n);
		if (!n)
			break;
		struct obj *old = atomic_exchange_explicit(&s->cur, n, memory_order_acq_rel);
		CHECK(qsbr_defer(&s->q, obj_free, old) == 0);
		qsbr_stamp(&s->q);
		qsbr_reclaim(&s->q);
	}
	atomic_store(&s->stop, true);
	pthread_join(th, NULL);
	qsbr_unregister(&s->q, s->slot);
	qsbr_reclaim(&s->q);
	CHECK(s->bad == 0);
	CHECK(s->reads > 0);
	/* With the reader gone, nothing stays behind. */
	CHECK(qsbr_backlog(&s->q) == 0);
	obj_free(atomic_load(&s->cur));
	free(s);
}
