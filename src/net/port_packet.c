/*
 * packet:IFNAME — an Ethernet port on a Linux netdev through AF_PACKET.
 * The netdev's own MAC is ours; ARP is done here (arp.c), so the kernel
 * must not own an address on that netdev.  We see only frames for our MAC,
 * broadcast and multicast (no promiscuous mode), and never our own output.
 */
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net_priv.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

static void packet_read(void *arg, uint32_t events)
{
	struct port *pt = arg;
	struct router *r = pt->ifp->r;
	struct mmsghdr msgs[PORT_BATCH];
	struct iovec iov[PORT_BATCH];
	struct sockaddr_ll from[PORT_BATCH];
	(void)events;
	net_batch_begin(r);
	for (int round = 0; round < 8; round++) {
		int n = port_refill(pt);
		if (n == 0)
			break;
		memset(msgs, 0, sizeof(msgs[0]) * (size_t)n);
		for (int i = 0; i < n; i++) {
			/* Frame lands so the IPv4 header behind it starts at the usual headroom. */
			iov[i].iov_base = pt->rxb[i]->buf + PKT_HEADROOM - ETH_HLEN;
			iov[i].iov_len = PKT_MAX_IP + ETH_HLEN;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		int got = recvmmsg(pt->fd, msgs, (unsigned)n, MSG_DONTWAIT, NULL);
		if (got <= 0)
			break;
		for (int i = 0; i < got; i++) {
			struct pkt *p = pt->rxb[i];
			pt->rxb[i] = NULL;
			p->data = p->buf + PKT_HEADROOM - ETH_HLEN;
			p->len = msgs[i].msg_len;
			if (from[i].sll_pkttype == PACKET_OUTGOING ||
			    from[i].sll_pkttype == PACKET_OTHERHOST) {
				pkt_free(p);
				continue;
			}
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				pt->ifp->c.in_pkts++;
				pt->ifp->c.in_errors++;
				pkt_free(p);
				continue;
			}
			port_input(pt, p);
		}
		if (got < n)
			break;
	}
	net_batch_end(r);
}

static int packet_open(struct port *pt, const char *arg, char *err, size_t errlen)
{
	if (!*arg || strlen(arg) >= IFNAMSIZ) {
		snprintf(err, errlen, "expected packet:IFNAME");
		return -1;
	}
	unsigned idx = if_nametoindex(arg);
	if (!idx) {
		snprintf(err, errlen, "no network device %s", arg);
		return -1;
	}
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
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
	/* The netdev must be up to carry frames; bringing it up is what a cable would do. */
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	int one = 1;
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	int sz = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)idx,
	};
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		snprintf(err, errlen, "bind to %s: %s", arg, strerror(errno));
		close(fd);
		return -1;
	}
	int rc = ev_add_fd(pt->ifp->r->ev, fd, EPOLLIN, packet_read, pt);
	if (rc < 0) {
		snprintf(err, errlen, "event loop: %s", strerror(-rc));
		close(fd);
		return -1;
	}
	pt->fd = fd;
	pt->ether = true;
	return 0;
}

static void packet_close(struct port *pt)
{
	if (pt->fd >= 0)
		ev_del_fd(pt->ifp->r->ev, pt->fd);
}

const struct port_ops port_packet_ops = {
	.kind = "packet",
	.open = packet_open,
	.xmit = port_batch_xmit,
	.flush = port_sendmmsg_flush,
	.close = packet_close,
};
