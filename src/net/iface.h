/*
 * Runtime interfaces: one per `interface` in the config, bound (or not) to
 * a port.  The config says what the interface should be; this is what it is.
 */
#ifndef SPIGOT_IFACE_H
#define SPIGOT_IFACE_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "net/gso.h"

struct port;
struct pkt;
struct router;

struct iface_counters {
	uint64_t in_pkts, in_bytes;
	uint64_t out_pkts, out_bytes;
	uint64_t in_errors;	/* malformed: bad version, IHL, length, checksum */
	uint64_t in_drops;	/* no route, TTL, queue full, policy */
	uint64_t out_errors;	/* port send failures */
	uint64_t out_drops;
	uint64_t in_frag_drops;
	uint64_t arp_in, arp_out;
	struct gso_stats gso;	/* offloads the kernel side of the port asked of us */
	uint64_t ring_drops;	/* packet: frames the kernel dropped, our ring full */
	uint64_t ring_fallbacks;	/* packet: port opened without its ring */
};

struct iface {
	char name[CFG_NAME_MAX];
	int index;
	struct router *r;
	struct port *port;		/* NULL: no port bound (line protocol down) */
	char port_spec[256];		/* as given on the command line */
	bool admin_up;			/* !shutdown */
	bool has_addr;
	uint32_t addr, mask;		/* host byte order */
	uint32_t mtu;			/* media mtu, 1500 */
	char crypto_map[CFG_NAME_MAX];
	uint64_t last_input_ms, last_output_ms;
	struct iface_counters c;
	uint16_t ip_id;			/* next IPv4 Identification for packets we originate */
	uint8_t cap;			/* CAP_ bits of running monitor captures (net/capture.h) */
};

/* "up"/"down"/"administratively down" as IOS prints Status. */
const char *iface_status(const struct iface *ifp);
/* Line protocol: up only with a port bound and the port up. */
const char *iface_protocol(const struct iface *ifp);
bool iface_is_up(const struct iface *ifp);

#endif
