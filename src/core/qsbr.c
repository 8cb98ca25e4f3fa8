/*
 * QSBR (see qsbr.h).  The orderings that make it safe:
 *   worker: online = true (seq_cst), then loads the shared pointer;
 *   control: stores the new pointer, then (seq_cst) reads each slot.
 * If the control thread sees a worker offline, the worker's going online
 * comes later in the single total order of seq_cst operations, so the
 * pointer it then loads is the new one.  If it sees it online, it waits
 * for its counter to move, which the worker does only holding nothing.
 */
#include <stdlib.h>

#include "core/qsbr.h"

struct qsbr_node {
	struct qsbr_node *next;
	void (*fn)(void *);
	void *obj;
	uint64_t stamp[QSBR_SLOTS];	/* each online slot's counter at the stamp */
	bool online[QSBR_SLOTS];
};

void qsbr_init(struct qsbr *q)
{
	for (int i = 0; i < QSBR_SLOTS; i++) {
		atomic_init(&q->slot[i].qs, 0);
		atomic_init(&q->slot[i].online, false);
		q->slot[i].used = false;
	}
	q->pending = q->waiting = NULL;
	q->deferred = q->freed = 0;
}

static void free_list(struct qsbr *q, struct qsbr_node *n)
{
	while (n) {
		struct qsbr_node *next = n->next;
		n->fn(n->obj);
		free(n);
		q->freed++;
		n = next;
	}
}

void qsbr_drain(struct qsbr *q)
{
	free_list(q, q->waiting);
	free_list(q, q->pending);
	q->waiting = q->pending = NULL;
}

int qsbr_register(struct qsbr *q)
{
	for (int i = 0; i < QSBR_SLOTS; i++)
		if (!q->slot[i].used) {
			q->slot[i].used = true;
			atomic_store(&q->slot[i].online, false);
			return i;
		}
	return -1;
}

void qsbr_unregister(struct qsbr *q, int slot)
{
	if (slot < 0 || slot >= QSBR_SLOTS)
		return;
	atomic_store(&q->slot[slot].online, false);
	q->slot[slot].used = false;
}

void qsbr_online(struct qsbr *q, int slot) { atomic_store(&q->slot[slot].online, true); }

void qsbr_offline(struct qsbr *q, int slot)
{
	atomic_fetch_add(&q->slot[slot].qs, 1);
	atomic_store(&q->slot[slot].online, false);
}

void qsbr_quiescent(struct qsbr *q, int slot) { atomic_fetch_add(&q->slot[slot].qs, 1); }

int qsbr_defer(struct qsbr *q, void (*fn)(void *), void *obj)
{
	struct qsbr_node *n = calloc(1, sizeof(*n));
	if (!n)
		return -1;
	n->fn = fn;
	n->obj = obj;
	n->next = q->pending;
	q->pending = n;
	q->deferred++;
	return 0;
}

void qsbr_stamp(struct qsbr *q)
{
	while (q->pending) {
		struct qsbr_node *n = q->pending;
		q->pending = n->next;
		for (int i = 0; i < QSBR_SLOTS; i++) {
			n->online[i] = q->slot[i].used && atomic_load(&q->slot[i].online);
			n->stamp[i] = n->online[i] ? atomic_load(&q->slot[i].qs) : 0;
		}
		n->next = q->waiting;
		q->waiting = n;
	}
}

static bool grace_over(struct qsbr *q, const struct qsbr_node *n)
{
	for (int i = 0; i < QSBR_SLOTS; i++)
		if (n->online[i] && q->slot[i].used && atomic_load(&q->slot[i].online) &&
		    atomic_load(&q->slot[i].qs) == n->stamp[i])
			return false;
	return true;
}

size_t qsbr_reclaim(struct qsbr *q)
{
	size_t n = 0;
	for (struct qsbr_node **pp = &q->waiting; *pp;) {
		struct qsbr_node *x = *pp;
		if (!grace_over(q, x)) {
			pp = &x->next;
			continue;
		}
		*pp = x->next;
		x->fn(x->obj);
		free(x);
		q->freed++;
		n++;
	}
	return n;
}

size_t qsbr_backlog(const struct qsbr *q) { return (size_t)(q->deferred - q->freed); }
