/*
 * Two IKEv2 engines in one process behind a fake host (no router): the
 * datagrams each sends wait in one queue that a test delivers, drops,
 * duplicates or replays; the host remembers the Child SAs it was told
 * about.  Used by the INFORMATIONAL/CREATE_CHILD_SA tests and the
 * exchange fuzz target; no test framework in here.
 */
#ifndef SPIGOT_TEST_IKEV2_PAIR_H
#define SPIGOT_TEST_IKEV2_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikev2/ikev2_int.h"

#define V2P_A 0x0a010101u
#define V2P_B 0x0a020202u
#define V2P_QMAX 64
#define V2P_MAXMSG 4096
#define V2P_LIVE 32

struct v2p_dgram {
	int to;
	size_t len;
	uint8_t d[V2P_MAXMSG];
};

struct v2p;

struct v2p_side {
	struct v2p *p;
	struct ikev2_host host;
	struct ikev2_engine eng;
	struct ikev2_peer_conf conf;
	uint32_t next_spi;
	struct ikev2_child live[V2P_LIVE];	/* Child SAs up and not down, as the host sees them */
	size_t nlive;
	size_t nup, ndown, nike_down, nrekeyed;
	uint32_t last_down_in, last_down_out;
	struct ikev2_sa *sa;			/* the IKE SA the host uses (follows ike_rekeyed) */
};

struct v2p {
	struct v2p_side s[2];
	struct v2p_dgram q[V2P_QMAX];
	size_t nq;
	int dup;		/* deliver each datagram this many extra times */
	uint64_t now;		/* the virtual clock both hosts read (ms) */
};

/* Both sides configured alike (AES-CBC-256/SHA-256/group 14, ESP AES-128/SHA-1, PSK). */
struct v2p *v2p_new(void);
void v2p_free(struct v2p *p);
/* Delivers q[i] (to its side, 1 + dup times) and removes it. */
void v2p_deliver(struct v2p *p, size_t i);
/* Delivers until quiet (bounded). */
void v2p_pump(struct v2p *p);
/* Removes q[i] unseen (loss). */
void v2p_drop(struct v2p *p, size_t i);
/* A initiates, everything is delivered: true when both IKE SAs are READY with one Child SA. */
bool v2p_up(struct v2p *p);
/* Every live Child SA on A has its mirror on B with the same keys crosswise, and the counts agree. */
bool v2p_crosswise(const struct v2p *p);
const struct ikev2_child *v2p_live_by_in(const struct v2p_side *s, uint32_t spi_in);
/* The side's IKE SAs not DEAD. */
size_t v2p_ike_count(const struct v2p_side *s);

#endif
