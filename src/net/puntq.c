#include "net/puntq.h"

#include <stdlib.h>
#include <string.h>

int puntq_init(struct punt_queue *q, unsigned cap)
{
	memset(q, 0, sizeof(*q));
	q->q = calloc(cap, sizeof(*q->q));
	q->vh = calloc(cap, sizeof(*q->vh));
	if (!q->q || !q->vh || pthread_mutex_init(&q->mu, NULL)) {
		free(q->q);
		free(q->vh);
		q->q = NULL;
		q->vh = NULL;
		return -1;
	}
	q->cap = cap;
	return 0;
}

void puntq_free(struct punt_queue *q)
{
	if (!q->q)
		return;
	for (unsigned k = 0; k < q->n; k++)
		pkt_free(q->q[(q->head + k) % q->cap]);
	pthread_mutex_destroy(&q->mu);
	free(q->q);
	free(q->vh);
	memset(q, 0, sizeof(*q));
}

unsigned puntq_push(struct punt_queue *q, struct pkt *const *p, const uint8_t (*vh)[VNET_HDR_LEN],
		    unsigned n)
{
	unsigned took = 0;
	pthread_mutex_lock(&q->mu);
	for (; took < n && q->n < q->cap; took++) {
		unsigned slot = (q->head + q->n) % q->cap;
		q->q[slot] = p[took];
		memcpy(q->vh[slot], vh[took], VNET_HDR_LEN);
		q->n++;
	}
	pthread_mutex_unlock(&q->mu);
	return took;
}

unsigned puntq_pop(struct punt_queue *q, struct pkt **p, uint8_t (*vh)[VNET_HDR_LEN], unsigned max)
{
	unsigned n = 0;
	pthread_mutex_lock(&q->mu);
	for (; n < max && q->n; n++) {
		p[n] = q->q[q->head];
		memcpy(vh[n], q->vh[q->head], VNET_HDR_LEN);
		q->head = (q->head + 1) % q->cap;
		q->n--;
	}
	pthread_mutex_unlock(&q->mu);
	return n;
}

unsigned puntq_len(struct punt_queue *q)
{
	pthread_mutex_lock(&q->mu);
	unsigned n = q->n;
	pthread_mutex_unlock(&q->mu);
	return n;
}
