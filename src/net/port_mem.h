/*
 * In-memory ports for tests: "mem:" (point-to-point, one IPv4 packet per
 * frame, like udp:) and "mem:eth" (Ethernet framing with ARP, like
 * packet:).  Frames a router sends go to a sink callback or across a link
 * to another router's mem port in the same event loop; a link can lose,
 * duplicate, reorder and delay frames (seeded, so runs repeat).
 */
#ifndef SPIGOT_PORT_MEM_H
#define SPIGOT_PORT_MEM_H

#include <stddef.h>
#include <stdint.h>

struct iface;
struct mem_link;

typedef void (*mem_sink_fn)(void *arg, struct iface *ifp, const uint8_t *frame, size_t len);

/* Frames leaving ifp (a mem port) are shown to fn; -1 if ifp has no mem port. */
int mem_port_set_sink(struct iface *ifp, mem_sink_fn fn, void *arg);
/* A frame arrives on ifp's mem port, processed at once. */
int mem_port_inject(struct iface *ifp, const uint8_t *frame, size_t len);
/* Sets or reads the MAC of a mem:eth port. */
int mem_port_mac(struct iface *ifp, uint8_t mac[6]);

struct mem_link_opts {
	unsigned loss_pct;	/* 0-100: frames dropped */
	unsigned dup_pct;	/* frames delivered twice */
	unsigned reorder_pct;	/* frames swapped with the one queued before them */
	uint32_t delay_ms;	/* one-way delay on the loop's clock */
	uint64_t seed;		/* 0: a fixed default */
};

struct mem_link_stats {
	uint64_t sent, delivered, lost, duplicated, reordered, overflow;
};

/* Connects two mem ports (both routers on the same event loop). */
struct mem_link *mem_link_new(struct iface *a, struct iface *b, const struct mem_link_opts *o);
void mem_link_set_opts(struct mem_link *l, const struct mem_link_opts *o);
const struct mem_link_stats *mem_link_stats(const struct mem_link *l);
/* Frames still in flight. */
size_t mem_link_pending(const struct mem_link *l);
void mem_link_free(struct mem_link *l);

#endif
