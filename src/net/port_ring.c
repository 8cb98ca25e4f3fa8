/*
 * The receive side of packet: ports on an mmap'd TPACKET_V2 ring (why not
 * V3: below).
 *
 * Why a ring: with recvmmsg every batch of 32 frames is a system call and
 * the kernel copies each frame into our buffer.  With the ring the kernel
 * writes frames into memory we share with it; a wakeup hands us every slot
 * it filled and reading costs no system call at all.
 *
 * Frames are copied out of the ring into pool buffers (core/pkt.h): a
 * packet can outlive its slot (held for ARP, for an SA being negotiated,
 * in reassembly) and ESP needs headroom in front of it, so it cannot stay
 * in the ring.  That is the one copy recvmmsg made too, minus the calls.
 *
 * The virtio-net header (PACKET_VNET_HDR) works with the ring: the kernel
 * puts it just in front of the frame.  Transmit stays on sendmmsg batches
 * (port.c): one call per 32 frames, and a TX ring would add a copy.
 *
 * Setup failing (an old kernel, no memory for the ring) is not fatal: the
 * port reads with recvmmsg as before, says so once in the log, and
 * `show interfaces` prints which way the port reads and why.
 */
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "net/gso.h"
#include "net/net_priv.h"

/*
 * TPACKET_V2, not V3: a V3 block reaches us only when it is full or when
 * its retire timer fires, at least one kernel tick (4 ms at HZ=250) after
 * its first frame.  Measured here through two routers: ping RTT 0.7 ms with
 * recvmmsg, 5.4 ms with V3 blocks, and a TCP stream at half the rate (its
 * ACKs never fill a block).  A V2 slot is ours as soon as it is written and
 * the kernel wakes us per frame, so under load a wakeup still finds many.
 *
 * Slots are sized for a wire frame behind its headers; a larger one (a
 * 64 KB GSO super-frame from the host's TSO or GRO) does not fit: with
 * PACKET_COPY_THRESH the kernel marks its slot TP_STATUS_COPY and queues
 * the whole frame on the socket, where recvmsg reads it, in order.
 */
#define RING_FRAME_SIZE 2048u
#define RING_BLOCK_SIZE (64u << 10)
#define RING_BLOCKS 128u
#define RING_FRAMES (RING_BLOCK_SIZE / RING_FRAME_SIZE * RING_BLOCKS)

struct pkt_ring {
	uint8_t *map;
	size_t map_len;
	unsigned cur;			/* next slot to look at */
};

static struct pkt_ring *ring_of(struct port *pt) { return pt->priv; }

int packet_ring_setup(struct port *pt, char *why, size_t whylen)
{
	int v = TPACKET_V2, one = 1;
	if (setsockopt(pt->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0) {
		snprintf(why, whylen, "TPACKET_V2: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(pt->fd, SOL_PACKET, PACKET_COPY_THRESH, &one, sizeof(one)) < 0) {
		snprintf(why, whylen, "PACKET_COPY_THRESH: %s", strerror(errno));
		goto back;
	}
	struct tpacket_req req = {
		.tp_block_size = RING_BLOCK_SIZE,
		.tp_block_nr = RING_BLOCKS,
		.tp_frame_size = RING_FRAME_SIZE,
		.tp_frame_nr = RING_FRAMES,
	};
	if (setsockopt(pt->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
		snprintf(why, whylen, "PACKET_RX_RING: %s", strerror(errno));
		goto back;
	}
	size_t len = (size_t)RING_BLOCK_SIZE * RING_BLOCKS;
	void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, pt->fd, 0);
	if (map == MAP_FAILED) {
		snprintf(why, whylen, "mmap: %s", strerror(errno));
		goto unring;
	}
	struct pkt_ring *ring = calloc(1, sizeof(*ring));
	if (!ring) {
		snprintf(why, whylen, "out of memory");
		munmap(map, len);
		goto unring;
	}
	ring->map = map;
	ring->map_len = len;
	pt->priv = ring;
	return 0;
unring:
	/* A zero-sized request takes the ring down again. */
	memset(&req, 0, sizeof(req));
	setsockopt(pt->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req));
back:
	v = TPACKET_V1;
	setsockopt(pt->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v));
	return -1;
}

void packet_ring_close(struct port *pt)
{
	struct pkt_ring *ring = ring_of(pt);
	if (!ring)
		return;
	munmap(ring->map, ring->map_len);
	free(ring);
	pt->priv = NULL;
}

bool packet_ring_on(const struct port *pt) { return pt->priv != NULL; }

static void ring_giant(struct port *pt, size_t len)
{
	struct iface *ifp = pt->ifp;
	struct router *r = ifp->r;
	ifp->c.in_pkts++;
	ifp->c.in_errors++;
	log_msg_rl(&r->log, &NET(r)->rl_port, ev_now(r->ev), 10000, "LINK", SEV_WARNING, "GIANT",
		   "Interface %s: frame over %zu bytes", ifp->name, len);
}

/* The control thread's sink: counted on the interface, handed to port_input. */
static void ctl_event(void *arg, enum ring_event ev, size_t len)
{
	struct port *pt = arg;
	switch (ev) {
	case RING_EV_GIANT:
		ring_giant(pt, len);
		break;
	case RING_EV_NOBUF:
		pt->ifp->c.in_pkts++;
		pt->ifp->c.in_drops++;
		break;
	case RING_EV_BADHDR:
		pt->ifp->c.gso.bad++;
		break;
	}
}

static void ctl_deliver(void *arg, struct pkt *p, const uint8_t *vh)
{
	struct port *pt = arg;
	if (pt->vnet)
		port_input_vnet(pt, p, vh);
	else
		port_input(pt, p);
}

/* A frame too big for its slot: the whole of it waits on the socket. */
static void ring_copied(struct port *pt, const struct ring_sink *sk)
{
	uint8_t vh[VNET_HDR_LEN];
	struct sockaddr_ll from;
	struct pkt *p = pkt_alloc();
	if (!p) {
		/* Read it anyway, or every later big frame would be off by one. */
		recv(pt->fd, vh, sizeof(vh), MSG_DONTWAIT | MSG_TRUNC);
		sk->event(sk->arg, RING_EV_NOBUF, 0);
		return;
	}
	size_t nv = pt->vnet ? 1 : 0;
	p->data = p->buf + PKT_HEADROOM - ETH_HLEN;
	struct iovec iov[2] = { { vh, VNET_HDR_LEN }, { p->data, PKT_MAX_IP + ETH_HLEN } };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = iov + 1 - nv,
		.msg_iovlen = 1 + nv,
	};
	ssize_t n = recvmsg(pt->fd, &mh, MSG_DONTWAIT);
	if (n < (ssize_t)(nv * VNET_HDR_LEN) || !packet_from_wire(from.sll_pkttype)) {
		if (n >= 0 && n < (ssize_t)(nv * VNET_HDR_LEN))
			sk->event(sk->arg, RING_EV_BADHDR, 0);
		pkt_free(p);
		return;
	}
	p->len = (size_t)n - nv * VNET_HDR_LEN;
	if (mh.msg_flags & MSG_TRUNC) {
		sk->event(sk->arg, RING_EV_GIANT, p->len);
		pkt_free(p);
		return;
	}
	sk->deliver(sk->arg, p, vh);
}

/* One slot: filtered as recvmmsg's frames are, copied out, handed on. */
static void ring_frame(struct port *pt, const struct tpacket2_hdr *h, const struct ring_sink *sk)
{
	if (h->tp_status & TP_STATUS_COPY) {
		ring_copied(pt, sk);
		return;
	}
	const struct sockaddr_ll *sll =
		(const void *)((const uint8_t *)h + TPACKET_ALIGN(sizeof(struct tpacket2_hdr)));
	if (!packet_from_wire(sll->sll_pkttype))
		return;
	/* Offsets come from the kernel, but a bad one must not walk off the slot. */
	if (h->tp_mac < TPACKET_ALIGN(sizeof(struct tpacket2_hdr)) + pt->vnet ||
	    h->tp_mac > RING_FRAME_SIZE || h->tp_snaplen > RING_FRAME_SIZE - h->tp_mac) {
		sk->event(sk->arg, RING_EV_BADHDR, 0);
		return;
	}
	if (h->tp_snaplen < h->tp_len) {
		sk->event(sk->arg, RING_EV_GIANT, h->tp_len);	/* no room on the socket for the whole frame */
		return;
	}
	struct pkt *p = pkt_alloc();
	if (!p) {
		sk->event(sk->arg, RING_EV_NOBUF, 0);
		return;
	}
	const uint8_t *frame = (const uint8_t *)h + h->tp_mac;
	/* The IPv4 header behind the Ethernet header starts at the usual headroom. */
	p->data = p->buf + PKT_HEADROOM - ETH_HLEN;
	memcpy(p->data, frame, h->tp_snaplen);
	p->len = h->tp_snaplen;
	sk->deliver(sk->arg, p, frame - VNET_HDR_LEN);
}

unsigned packet_ring_walk(struct port *pt, const struct ring_sink *sk)
{
	struct pkt_ring *ring = ring_of(pt);
	unsigned n;
	/* Bounded: one lap of the ring per wakeup at most; the caller comes back. */
	for (n = 0; n < RING_FRAMES; n++) {
		struct tpacket2_hdr *h = (void *)(ring->map + (size_t)ring->cur * RING_FRAME_SIZE);
		if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			break;
		ring_frame(pt, h, sk);
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		ring->cur = (ring->cur + 1) % RING_FRAMES;
	}
	return n;
}

void packet_ring_read(struct port *pt)
{
	struct router *r = pt->ifp->r;
	const struct ring_sink sk = { .deliver = ctl_deliver, .event = ctl_event, .arg = pt };
	net_batch_begin(r);
	packet_ring_walk(pt, &sk);
	net_batch_end(r);
}

void packet_ring_stats(struct port *pt)
{
	/* The kernel zeroes its counts on each read, so they are summed here. */
	struct tpacket_stats st;
	socklen_t len = sizeof(st);
	if (packet_ring_on(pt) && getsockopt(pt->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		pt->ifp->c.ring_drops += st.tp_drops;
}

void packet_ring_describe(const struct port *pt, char *buf, size_t len)
{
	(void)pt;
	snprintf(buf, len, "TPACKET_V2, %u slots of %u bytes", RING_FRAMES, RING_FRAME_SIZE);
}
