/*
 * Packet buffers.  One fixed-size buffer per packet, from a free list, so
 * the fast path never calls malloc.  `data` points into `buf` with headroom
 * in front for the headers that encapsulation prepends (outer IPv4, AH, ESP,
 * UDP for NAT-T) and tailroom behind for ESP padding and ICVs.
 */
#ifndef SPIGOT_PKT_H
#define SPIGOT_PKT_H

#include <stddef.h>
#include <stdint.h>

#define PKT_HEADROOM 192
#define PKT_TAILROOM 128
#define PKT_MAX_IP 65535
#define PKT_BUFSZ (PKT_HEADROOM + PKT_MAX_IP + PKT_TAILROOM)

struct iface;

struct pkt {
	struct pkt *next;	/* for queues and the free list */
	uint8_t *data;		/* start of the IPv4 header */
	size_t len;
	struct iface *in_if;	/* where it came in; NULL if locally originated */
	uint32_t flags;
	uint32_t sa_ctx;	/* set by ipsec input: which SA opened it (for policy check) */
	uint8_t buf[PKT_BUFSZ];
};

#define PKT_F_DECAPPED 0x1	/* came out of an IPsec tunnel */
#define PKT_F_LOCAL 0x2		/* originated by this router */
#define PKT_F_FP_DECAP 0x4	/* a worker decapsulated it and hands it over (net/fastpath_wk.c) */

struct pkt *pkt_alloc(void);		/* data at buf + PKT_HEADROOM, len 0 */
void pkt_free(struct pkt *p);
struct pkt *pkt_clone(const struct pkt *p);
size_t pkt_headroom(const struct pkt *p);
size_t pkt_tailroom(const struct pkt *p);
/* Grows the front by n bytes (returns the new data pointer) or NULL. */
uint8_t *pkt_push(struct pkt *p, size_t n);
/* Drops n bytes from the front. */
uint8_t *pkt_pull(struct pkt *p, size_t n);
/* Frees the calling thread's free list (a thread that ends calls it). */
void pkt_pool_drain(void);
/* Number of buffers in use (for leak checks and `show buffers`). */
size_t pkt_in_use(void);

/* A bounded FIFO of packets. */
struct pkt_queue {
	struct pkt *head, *tail;
	size_t n, max;
};
void pktq_init(struct pkt_queue *q, size_t max);
/* Takes ownership; when full, frees p and returns -1. */
int pktq_push(struct pkt_queue *q, struct pkt *p);
struct pkt *pktq_pop(struct pkt_queue *q);
void pktq_flush(struct pkt_queue *q);

#endif
