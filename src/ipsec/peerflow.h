/*
 * The flows (crypto-map ACL permit lines) the router protects toward one
 * peer, for code that brings SAs up without traffic (src/recovery).
 */
#ifndef SPIGOT_IPSEC_PEERFLOW_H
#define SPIGOT_IPSEC_PEERFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "ipsec/sadb.h"

struct router;

struct ipsec_peer_flow {
	char cmap[CFG_NAME_MAX];
	int seq;
	struct ipsec_flow flow;		/* the proxy identities IOS negotiates for the line */
	bool up;			/* an outbound SA bundle carries it */
};

/*
 * The idx-th flow (0, 1, ...) of the ipsec-isakmp entries that name peer in
 * `set peer`, of crypto maps applied to an interface with an address, in
 * map/sequence/ACL order.  False past the last one.
 */
bool ipsec_peer_flow(struct router *r, uint32_t peer, size_t idx, struct ipsec_peer_flow *out);

/*
 * The idx-th static peer of the crypto maps applied to interfaces: the
 * first `set peer` of each ipsec-isakmp entry (the one traffic would use),
 * each address once.  False past the last one.
 */
bool ipsec_static_peer(struct router *r, size_t idx, uint32_t *peer);

#endif
