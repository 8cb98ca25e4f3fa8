/*
 * Exchange-test bench: two routers in one process on one virtual-clock
 * event loop, IKE datagrams carried between them by a test transport that
 * can lose, duplicate and reorder them.
 */
#ifndef SPIGOT_XLAB_H
#define SPIGOT_XLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ike_int.h"
#include "router.h"

#define XL_MAXQ 256

struct xl_dgram {
	int from;		/* 0 = A, 1 = B */
	uint32_t src, dst;
	uint16_t sport, dport;
	size_t len;
	uint8_t data[ISAKMP_MAX_MSG];
};

enum xl_verdict { XL_PASS = 0, XL_DROP, XL_DUP };

struct xlab {
	struct evloop *ev;
	struct router *r[2];
	uint32_t outside[2];	/* IKE addresses: A 10.1.1.1, B 10.2.2.2 */
	uint32_t inside[2];	/* protected hosts: A 10.0.0.1, B 10.0.2.2 */
	struct xl_dgram *q;	/* XL_MAXQ */
	size_t nq;
	bool reorder;		/* deliver each batch newest first */
	/* Per-datagram decision; n is the index of the datagram sent by `from`. */
	enum xl_verdict (*filter)(struct xlab *x, int from, int n, const uint8_t *d, size_t len);
	int sent[2];
	int dropped, duplicated, delivered;
	/* Every datagram that left a router, for pcap dumps (optional). */
	void (*tap)(struct xlab *x, const struct xl_dgram *d);
	void *tap_arg;
	/* Rewrites a datagram on the wire after the tap saw it (optional). */
	void (*mutate)(struct xlab *x, struct xl_dgram *d);
	char logs[2][65536];	/* the routers' log lines, for assertions */
	size_t loglen[2];
};

/* Options for the seed-like configs. */
struct xl_opts {
	const char *psk_a, *psk_b;
	struct cfg_isakmp_policy pol_a, pol_b;	/* enc == 0: the seed's policy 1 */
	struct cfg_transform_set ts_a, ts_b;	/* name "" : the seed's auth2 */
	int pfs_a, pfs_b;
	uint32_t life_sec_a, life_sec_b;	/* crypto map lifetimes; 0 = global */
	uint32_t keepalive;			/* both sides; 0 = off */
	bool periodic;
};

struct xlab *xl_new(const struct xl_opts *o);
void xl_free(struct xlab *x);
/* Replaces router i (a reboot): fresh state, same config. */
void xl_reboot(struct xlab *x, int i, const struct xl_opts *o);
struct config *xl_config(int side, const struct xl_opts *o);
/* Delivers queued datagrams until the queue is empty (bounded). */
void xl_pump(struct xlab *x);
/* Runs ms of virtual time in 100 ms steps, delivering as it goes. */
void xl_run(struct xlab *x, uint64_t ms);
/* Traffic from router i's inside host to the other's: the data plane's acquire. */
void xl_acquire(struct xlab *x, int i);
/* The flow of router i (local = its inside host). */
struct ipsec_flow xl_flow(const struct xlab *x, int i);
struct ike_state *xl_ike(const struct xlab *x, int i);
int xl_nrecords(const struct xlab *x, int i);
const struct ike_record *xl_record(const struct xlab *x, int i, int nth);
struct ike_sa *xl_sa(const struct xlab *x, int i);	/* newest established */
bool xl_log_has(const struct xlab *x, int i, const char *needle);
/* True when A's and B's records hold exactly one bundle each, SPIs and keys crosswise. */
bool xl_crosswise(const struct xlab *x);

#endif
