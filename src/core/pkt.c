#include "core/pkt.h"

#include <stdlib.h>
#include <string.h>

#include <stdatomic.h>

/* Bounded so that a flood cannot make the router eat all memory. */
#define POOL_KEEP 256

/*
 * One free list per thread (data-plane workers allocate too), so taking
 * and returning a buffer needs no lock; a buffer freed on another thread
 * than the one that took it joins that thread's list.  The count in use
 * is process-wide (leak checks), so it is atomic.
 */
static _Thread_local struct pkt *free_list;
static _Thread_local size_t nfree;
static atomic_size_t nused;

struct pkt *pkt_alloc(void)
{
	struct pkt *p = free_list;
	if (p) {
		free_list = p->next;
		nfree--;
	} else {
		p = malloc(sizeof(*p));
		if (!p)
			return NULL;
	}
	atomic_fetch_add_explicit(&nused, 1, memory_order_relaxed);
	p->next = NULL;
	p->data = p->buf + PKT_HEADROOM;
	p->len = 0;
	p->in_if = NULL;
	p->flags = 0;
	p->sa_ctx = 0;
	return p;
}

void pkt_free(struct pkt *p)
{
	if (!p)
		return;
	atomic_fetch_sub_explicit(&nused, 1, memory_order_relaxed);
	if (nfree >= POOL_KEEP) {
		free(p);
		return;
	}
	p->next = free_list;
	free_list = p;
	nfree++;
}

struct pkt *pkt_clone(const struct pkt *p)
{
	struct pkt *c = pkt_alloc();
	if (!c)
		return NULL;
	c->data = c->buf + (p->data - p->buf);
	memcpy(c->data, p->data, p->len);
	c->len = p->len;
	c->in_if = p->in_if;
	c->flags = p->flags;
	c->sa_ctx = p->sa_ctx;
	return c;
}

size_t pkt_headroom(const struct pkt *p) { return (size_t)(p->data - p->buf); }

size_t pkt_tailroom(const struct pkt *p) { return PKT_BUFSZ - pkt_headroom(p) - p->len; }

uint8_t *pkt_push(struct pkt *p, size_t n)
{
	if (n > pkt_headroom(p))
		return NULL;
	p->data -= n;
	p->len += n;
	return p->data;
}

uint8_t *pkt_pull(struct pkt *p, size_t n)
{
	if (n > p->len)
		return NULL;
	p->data += n;
	p->len -= n;
	return p->data;
}

void pkt_pool_drain(void)
{
	while (free_list) {
		struct pkt *p = free_list;
		free_list = p->next;
		free(p);
	}
	nfree = 0;
}

size_t pkt_in_use(void) { return atomic_load_explicit(&nused, memory_order_relaxed); }

void pktq_init(struct pkt_queue *q, size_t max) { *q = (struct pkt_queue){ .max = max }; }

int pktq_push(struct pkt_queue *q, struct pkt *p)
{
	if (q->n >= q->max) {
		pkt_free(p);
		return -1;
	}
	p->next = NULL;
	if (q->tail)
		q->tail->next = p;
	else
		q->head = p;
	q->tail = p;
	q->n++;
	return 0;
}

struct pkt *pktq_pop(struct pkt_queue *q)
{
	struct pkt *p = q->head;
	if (!p)
		return NULL;
	q->head = p->next;
	if (!q->head)
		q->tail = NULL;
	q->n--;
	p->next = NULL;
	return p;
}

void pktq_flush(struct pkt_queue *q)
{
	struct pkt *p;
	while ((p = pktq_pop(q)))
		pkt_free(p);
}
