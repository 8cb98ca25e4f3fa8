/*
 * packet:IFNAME — an Ethernet port on a Linux netdev through AF_PACKET.
 * The netdev's own MAC is ours; ARP is done here (arp.c), so the kernel
 * must not own an address on that netdev.  We see only frames for our MAC,
 * broadcast and multicast (no promiscuous mode), and never our own output.
 * With PACKET_VNET_HDR the netdev's checksum and segmentation offloads stay
 * on: partial checksums and super-frames are finished in gso.c.
 * Frames are read from a TPACKET_V2 ring (port_ring.c) or, when that
 * cannot be set up, with recvmmsg.
 */
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/gso.h"
#include "net/net_priv.h"


bool packet_from_wire(unsigned char pkttype)
{
	/*
	 * Our own output (kernels without PACKET_IGNORE_OUTGOING show it) and
	 * frames a promiscuous netdev passes up (a bridge, a capture) are not
	 * input to this router.
	 */
	return pkttype != PACKET_OUTGOING && pkttype != PACKET_OTHERHOST;
}

static bool from_wire(const struct msghdr *mh)
{
	const struct sockaddr_ll *from = mh->msg_name;
	return packet_from_wire(from->sll_pkttype);
}

static void packet_read(void *arg, uint32_t events)
{
	(void)events;
	struct port *pt = arg;
	if (packet_ring_on(pt)) {
		packet_ring_read(pt);
		return;
	}
	/* The frame lands so the IPv4 header behind it starts at the usual headroom. */
	port_recv_dgrams(pt, ETH_HLEN, from_wire);
}

/*
 * The ring, or recvmmsg when it cannot be had (said once, counted, shown by
 * show interfaces).  ":noring" after the netdev asks for recvmmsg outright:
 * how tests run the fallback path.
 */
static void packet_ring_or_not(struct port *pt, const char *ifname, bool want)
{
	struct iface *ifp = pt->ifp;
	struct router *r = ifp->r;
	char why[80];
	if (!want)
		snprintf(why, sizeof(why), "turned off by :noring");
	else if (packet_ring_setup(pt, why, sizeof(why)) == 0)
		return;
	snprintf(pt->noring, sizeof(pt->noring), "%s", why);
	ifp->c.ring_fallbacks++;
	log_msg(&r->log, "LINK", want ? SEV_WARNING : SEV_NOTICE, "NORING",
		"Interface %s: packet:%s reads with recvmmsg, no receive ring (%s)", ifp->name,
		ifname, why);
}

static int packet_open(struct port *pt, const char *arg, char *err, size_t errlen)
{
	/* A netdev name never holds ':', so IFNAME[:noring] is unambiguous. */
	char name[IFNAMSIZ];
	const char *opt = strchr(arg, ':');
	size_t nlen = opt ? (size_t)(opt - arg) : strlen(arg);
	if (!nlen || nlen >= IFNAMSIZ || (opt && strcmp(opt, ":noring") != 0)) {
		snprintf(err, errlen, "expected packet:IFNAME[:noring]");
		return -1;
	}
	memcpy(name, arg, nlen);
	name[nlen] = 0;
	arg = name;
	unsigned idx = if_nametoindex(arg);
	if (!idx) {
		snprintf(err, errlen, "no network device %s", arg);
		return -1;
	}
	/*
	 * Protocol 0: the socket hears nothing until bind names the netdev and
	 * ETH_P_ALL, so no other netdev's frame lands in it (or its ring) first.
	 */
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "AF_PACKET socket: %s%s", strerror(errno),
			 errno == EPERM ? " (needs root or CAP_NET_RAW)" : "");
		return -1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", arg);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 || ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */) {
		snprintf(err, errlen, "%s is not an Ethernet device", arg);
		close(fd);
		return -1;
	}
	memcpy(pt->mac, ifr.ifr_hwaddr.sa_data, 6);
	port_netdev_up(fd, arg);
	int one = 1;
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	int sz = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	/*
	 * Every frame comes with a virtio-net header: whether its checksum is
	 * finished and whether it is a GSO super-frame (a veth hands over what
	 * the host's stack built, offloads and all).  Kernels without the
	 * option give plain frames, which is what offloads off looks like.
	 */
	if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) == 0)
		pt->vnet = VNET_HDR_LEN;
	pt->fd = fd;	/* the ring is set up on it before bind: no frame meets a half-made port */
	packet_ring_or_not(pt, arg, !opt);
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)idx,
	};
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		snprintf(err, errlen, "bind to %s: %s", arg, strerror(errno));
		packet_ring_close(pt);
		pt->fd = -1;
		close(fd);
		return -1;
	}
	pt->fd = fd;
	pt->ether = true;
	workers_port_start(pt, arg, idx);
	return 0;
}

static void packet_close(struct port *pt)
{
	workers_port_stop(pt);	/* before the ring: a worker may be reading its own */
	packet_ring_close(pt);
}

const struct port_ops port_packet_ops = {
	.kind = "packet",
	.open = packet_open,
	.read = packet_read,
	.xmit = port_batch_xmit,
	.flush = port_sendmmsg_flush,
	.close = packet_close,
};
