/*
 * The bounded queue a data-plane worker hands frames to the control
 * thread through (workers.c): one producer (the worker), one consumer
 * (the control thread), a mutex held only to copy pointers and virtio-net
 * headers in or out, never while a frame is processed.  A full queue takes
 * what fits and leaves the rest to the caller, who drops and counts it: a
 * worker never waits for the control thread.
 */
#ifndef SPIGOT_NET_PUNTQ_H
#define SPIGOT_NET_PUNTQ_H

#include <pthread.h>
#include <stdint.h>

#include "core/pkt.h"
#include "net/gso.h"

struct punt_queue {
	pthread_mutex_t mu;
	unsigned cap, head, n;		/* under mu */
	struct pkt **q;
	uint8_t (*vh)[VNET_HDR_LEN];	/* each frame's virtio-net header */
};

int puntq_init(struct punt_queue *q, unsigned cap);
/* Frees the queue and every frame still in it. */
void puntq_free(struct punt_queue *q);
/* Appends up to n frames in order; returns how many it took (the rest are the caller's). */
unsigned puntq_push(struct punt_queue *q, struct pkt *const *p, const uint8_t (*vh)[VNET_HDR_LEN],
		    unsigned n);
/* Takes up to max frames, oldest first; returns how many. */
unsigned puntq_pop(struct punt_queue *q, struct pkt **p, uint8_t (*vh)[VNET_HDR_LEN], unsigned max);
unsigned puntq_len(struct punt_queue *q);

#endif
