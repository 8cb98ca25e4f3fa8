/*
 * In-process routers for the net tests: a config filled by hand, mem ports,
 * frames captured from a sink, and crafted IPv4 packets.
 */
#ifndef TEST_IPV4_HELPERS_H
#define TEST_IPV4_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/evloop.h"
#include "router.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

struct tr_if {
	const char *name;
	uint32_t addr, mask;	/* 0: no address */
	const char *spec;	/* "mem:", "mem:eth", NULL for no port */
	bool shutdown;
	uint32_t mtu;
};

/* Builds and starts a router; routes may be NULL. */
struct router *tr_new(struct evloop *ev, const char *host, const struct tr_if *ifs, int n,
		      const struct cfg_route *routes, int nroute);
void tr_free(struct router *r);

/* Frames captured on an interface's mem port. */
#define CAP_MAX 512
struct capture {
	int n;
	size_t len[CAP_MAX];
	uint8_t *frame[CAP_MAX];
};
void cap_attach(struct capture *c, struct iface *ifp);
void cap_reset(struct capture *c);

/* Writes an IPv4 header + payload into buf; returns the length. */
size_t tr_ip(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl, uint16_t id,
	     uint16_t off, const void *payload, size_t plen);
/* An ICMP echo request (id, seq) with plen bytes of data. */
size_t tr_echo(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t id, uint16_t seq, size_t plen);
/* A UDP datagram with a correct checksum. */
size_t tr_udp(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
	      const void *data, size_t len);
/* Injects an IPv4 packet on ifp (through its mem port, so it is counted). */
void tr_inject(struct iface *ifp, const uint8_t *pkt, size_t len);

#endif
