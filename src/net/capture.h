/*
 * Embedded Packet Capture as IOS-XE does it (`monitor capture NAME ...`,
 * exec mode), plus a spigot extension: capture at a crypto map, before
 * encryption and after decryption, to see the traffic inside a tunnel.
 * Captured packets are IPv4 (no link header); export writes a pcap with
 * LINKTYPE_RAW (101).  Memory is bounded per capture (`buffer size N`,
 * MB, linear: a full buffer stops storing and counts the rest).
 *
 * Cost when nothing runs: one test of a per-interface byte (ifp->cap) on
 * input, output and crypto-map output, always false.
 */
#ifndef SPIGOT_CAPTURE_H
#define SPIGOT_CAPTURE_H

#include <stdint.h>

struct router;
struct iface;
struct pkt;

/* ifp->cap bits: which running captures want this interface's packets. */
#define CAP_IN 0x1		/* arriving on the interface (ESP/AH as received) */
#define CAP_OUT 0x2		/* leaving it (after encryption and fragmentation) */
#define CAP_CMAP_IN 0x4		/* out of the interface's crypto map, decrypted */
#define CAP_CMAP_OUT 0x8	/* into the interface's crypto map, before encryption */

int capture_init(struct router *r);
void capture_free(struct router *r);
/* The packet p (IPv4 at p->data) at point `where` (one CAP_ bit) of ifp. */
void capture_packet(struct router *r, struct iface *ifp, const struct pkt *p, uint8_t where);
/* Interfaces or crypto maps changed: recompute every ifp->cap. */
void capture_sync(struct router *r);

#endif
