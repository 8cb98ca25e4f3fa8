/*
 * The IPsec data plane's entry points for the packet path.
 */
#ifndef SPIGOT_IPSEC_H
#define SPIGOT_IPSEC_H

#include <stdbool.h>
#include <stdint.h>

struct router;
struct iface;
struct pkt;

int ipsec_init(struct router *r);
void ipsec_free(struct router *r);
void ipsec_config_changed(struct router *r);

/* An ESP (50) or AH (51) packet addressed to us.  Takes ownership. */
void ipsec_input(struct router *r, struct pkt *p);
/* ESP in UDP (RFC 3948) from UDP 4500: `p->data` is the ESP header. */
void ipsec_input_udp(struct router *r, struct pkt *p, uint32_t src, uint16_t sport,
		     uint32_t dst);

enum ipsec_verdict {
	IPSEC_PASS = 0,		/* no crypto map entry wants it: send in clear */
	IPSEC_CONSUMED,		/* encapsulated and sent, queued for IKE, or dropped */
};
/* Applies the crypto map on out_if to a packet about to leave it. */
enum ipsec_verdict ipsec_egress(struct router *r, struct iface *out_if, struct pkt *p,
				uint32_t nexthop);
/*
 * Inbound policy for cleartext: a packet that matches a crypto map's ACL
 * (as the peer's outbound traffic) but arrived unprotected is dropped,
 * forwarded or addressed to us alike (call it after reassembly for the
 * latter); only IKE/NAT-T and ESP/AH to the map's own endpoint are exempt.
 * Returns true when p may be processed.
 */
bool ipsec_ingress_check(struct router *r, struct iface *in_if, struct pkt *p);

#endif
