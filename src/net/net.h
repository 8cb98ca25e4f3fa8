/*
 * The IPv4 router below IPsec: ports, ARP, routing, forwarding, ICMP,
 * fragments, and UDP for the router's own services.  The entry points
 * other modules call are here; the rest is private to src/net.
 */
#ifndef SPIGOT_NET_H
#define SPIGOT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct router;
struct iface;
struct pkt;

int net_init(struct router *r);
void net_free(struct router *r);
/* Opens the ports bound to interfaces (router_bind_port specs). */
int net_start(struct router *r);
/* Interfaces/routes/addresses changed in the config. */
void net_config_changed(struct router *r);

/* A packet from a port (or out of a tunnel: PKT_F_DECAPPED set). Takes ownership. */
void ipv4_input(struct router *r, struct pkt *p);
/*
 * Routes and sends a packet (forwarded, decapsulated, or our own).  Applies
 * the egress interface's crypto map (ipsec_egress) unless `no_crypto`, then
 * fragments to the MTU and hands it to the port.  Takes ownership.
 */
int ip_output(struct router *r, struct pkt *p, bool no_crypto);
/* Sends an already-encapsulated packet out of ifp toward nexthop (after crypto). */
int ip_output_iface(struct router *r, struct iface *ifp, struct pkt *p, uint32_t nexthop);

/* Route lookup: returns the egress interface and next hop, or NULL. */
struct iface *route_lookup(struct router *r, uint32_t dst, uint32_t *nexthop);

/* ICMP errors (rate-limited inside). `orig` is the offending packet's IP header. */
void icmp_send_error(struct router *r, const struct pkt *orig, uint8_t type, uint8_t code,
		     uint32_t info);

/* UDP services of the router itself (IKE on 500/4500). */
typedef void (*udp_rx_fn)(void *arg, uint32_t src, uint16_t sport, uint32_t dst,
			  uint16_t dport, const uint8_t *data, size_t len);
int udp_bind(struct router *r, uint16_t port, udp_rx_fn fn, void *arg);
/*
 * Like udp_bind, but the handler receives the packet itself and owns it:
 * p->data is the UDP payload and p->len its length (ESP in UDP 4500 is
 * decrypted in place, without a copy).
 */
typedef void (*udp_pkt_fn)(void *arg, struct pkt *p, uint32_t src, uint16_t sport, uint32_t dst,
			   uint16_t dport);
int udp_bind_pkt(struct router *r, uint16_t port, udp_pkt_fn fn, void *arg);
/* Sends a datagram from the router; src 0 = the egress interface's address. */
int udp_send(struct router *r, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
	     const uint8_t *data, size_t len);

#endif
