/*
 * Quiescent-state-based reclamation (QSBR, as in liburcu's urcu-qsbr) for
 * what the control thread shares with data-plane workers read-only.
 *
 * The control thread is the only writer.  It publishes a new version of
 * something workers read (one pointer, a release store) and hands the old
 * version, and anything only the old version pointed to, to qsbr_defer().
 * Each worker calls qsbr_quiescent() between batches, when it holds no
 * pointer into shared state, and goes offline while it sleeps in poll.
 * An object deferred before a qsbr_stamp() is freed by qsbr_reclaim() once
 * every worker has either passed a quiescent point since the stamp or been
 * offline: by then none can still hold it.
 *
 * One struct qsbr per router; the control thread owns everything here but
 * the slots' two atomics, which their worker writes.
 */
#ifndef SPIGOT_QSBR_H
#define SPIGOT_QSBR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QSBR_SLOTS 64

struct qsbr_slot {
	_Alignas(64) atomic_ullong qs;	/* bumped by the worker at each quiescent point */
	atomic_bool online;		/* false while the worker holds no shared pointer */
	bool used;			/* control thread */
};

struct qsbr_node;

struct qsbr {
	struct qsbr_slot slot[QSBR_SLOTS];
	struct qsbr_node *pending;	/* deferred, not yet stamped */
	struct qsbr_node *waiting;	/* stamped: freed once their grace period is over */
	uint64_t deferred, freed;	/* for show */
};

void qsbr_init(struct qsbr *q);
/* Frees everything still deferred: call with every worker stopped. */
void qsbr_drain(struct qsbr *q);

/* Control thread: a slot for a worker about to start (offline); -1 when none is left. */
int qsbr_register(struct qsbr *q);
/* Control thread, after the worker has been joined. */
void qsbr_unregister(struct qsbr *q, int slot);

/* Worker: online before it loads a shared pointer, offline before it sleeps. */
void qsbr_online(struct qsbr *q, int slot);
void qsbr_offline(struct qsbr *q, int slot);
/* Worker: it holds nothing it loaded before this call. */
void qsbr_quiescent(struct qsbr *q, int slot);

/* Control thread: fn(obj) once no worker can hold obj (after the next stamp). */
int qsbr_defer(struct qsbr *q, void (*fn)(void *), void *obj);
/* Control thread: what was deferred so far is unreachable from now on. */
void qsbr_stamp(struct qsbr *q);
/* Control thread: frees what every worker is done with; returns how many. */
size_t qsbr_reclaim(struct qsbr *q);
/* Objects deferred and not yet freed. */
size_t qsbr_backlog(const struct qsbr *q);

#endif
