/*
 * The peer's UDP port of UDP-encapsulated bundles (RFC 3948): a NAT gave
 * the peer another port and the key manager, after a message that
 * authenticated, says so (RFC 7296 §2.23); ESP in UDP follows it.
 */
#include "ipsec/ipsec_int.h"
#include "net/fastpath.h"
#include "router.h"

int sadb_set_peer_port(struct router *r, uint32_t peer, uint16_t port)
{
	int n = 0;
	for (struct ipsec_bundle *b = r->ipsec ? r->ipsec->bundles : NULL; b; b = b->next) {
		if (b->spec.peer_addr != peer || !b->spec.udp_encap || b->spec.peer_port == port)
			continue;
		b->spec.peer_port = port;
		n++;
	}
	if (n)
		fastpath_dirty(r);
	return n;
}
