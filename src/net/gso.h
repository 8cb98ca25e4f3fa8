/*
 * Offloads from the kernel's side of a port: the virtio-net header that
 * AF_PACKET (PACKET_VNET_HDR) and TUN (IFF_VNET_HDR) put in front of every
 * frame, finishing partial checksums, and segmenting GSO super-frames in
 * software the way the kernel's own GSO does (net/ipv4/tcp_offload.c,
 * udp_offload.c, af_inet.c), so nothing larger than a segment meets the
 * crypto map or an MTU.
 */
#ifndef SPIGOT_GSO_H
#define SPIGOT_GSO_H

#include <stddef.h>
#include <stdint.h>

#include "core/pkt.h"

/* struct virtio_net_hdr (linux/virtio_net.h): 10 bytes, host byte order. */
#define VNET_HDR_LEN 10
#define VNET_F_NEEDS_CSUM 0x01	/* finish the checksum at csum_start+csum_offset */
#define VNET_F_DATA_VALID 0x02	/* checksum already verified (we ignore it) */
#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_UDP 3		/* UFO: one datagram, to be IP-fragmented */
#define VNET_GSO_TCPV6 4
#define VNET_GSO_UDP_L4 5	/* UDP segmentation (UDP_SEGMENT) */
#define VNET_GSO_ECN 0x80

struct vnet_hdr {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
};

void vnet_hdr_get(struct vnet_hdr *vh, const uint8_t b[VNET_HDR_LEN]);
void vnet_hdr_put(uint8_t b[VNET_HDR_LEN], const struct vnet_hdr *vh);

/* What a port did with offloaded frames (`show interfaces`). */
struct gso_stats {
	uint64_t csum;		/* partial checksums finished */
	uint64_t frames;	/* super-frames segmented */
	uint64_t segs;		/* segments they became */
	uint64_t bad;		/* frames whose vnet header did not fit them: dropped */
	uint64_t nomem;		/* segments lost for want of a buffer */
};

/* Each segment (a whole frame, link header included).  Takes seg. */
typedef void (*gso_emit_fn)(void *arg, struct pkt *seg);

enum gso_rc {
	GSO_DELIVER = 0,	/* p is ready as it is (its checksum finished if it was partial) */
	GSO_SEGMENTED = 1,	/* p went out as segments through emit and was freed */
	GSO_BAD = -1,		/* the header does not fit the frame: *why says why; p untouched */
};

/*
 * Applies vh to p, a frame whose IPv4 header (if it is IPv4) starts l2len
 * bytes into p->data (14 behind an Ethernet header, 0 on a TUN).  Nothing
 * in vh is trusted: every offset is checked against the packet's own headers.
 */
enum gso_rc gso_input(struct pkt *p, size_t l2len, const struct vnet_hdr *vh, gso_emit_fn emit,
		      void *arg, struct gso_stats *st, const char **why);

#endif
