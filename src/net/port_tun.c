/*
 * tun:IFNAME — a layer-3 port into the host's own stack (IFF_TUN, no
 * packet-information header): the host routes traffic into the router.
 * The device is created when absent (which needs CAP_NET_ADMIN) and brought up.
 * IFF_VNET_HDR puts a virtio-net header on every packet both ways, so the
 * host keeps checksum and TCP segmentation offloads on toward us.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net/gso.h"
#include "net/net_priv.h"

/* TUN_F_USO4/6 (Linux 6.2, only together); older headers lack them, older kernels refuse them. */
#define TUN_F_USO_ (0x20 | 0x40)

static void tun_read(void *arg, uint32_t events)
{
	struct port *pt = arg;
	struct router *r = pt->ifp->r;
	size_t nv = pt->vnet ? 1 : 0;
	uint8_t vh[VNET_HDR_LEN];
	(void)events;
	net_batch_begin(r);
	/* A TUN fd gives one packet per read; bound the batch like the others. */
	for (int i = 0; i < PORT_BATCH; i++) {
		/* One spare buffer is all a read needs: rxb[1..] stay empty. */
		if (!pt->rxb[0] && !(pt->rxb[0] = pkt_alloc()))
			break;
		struct pkt *p = pt->rxb[0];
		struct iovec iov[2] = {
			{ vh, VNET_HDR_LEN }, { p->buf + PKT_HEADROOM, PKT_MAX_IP },
		};
		ssize_t n = readv(pt->fd, iov + 1 - nv, 1 + (int)nv);
		if (n <= 0)
			break;
		if ((size_t)n < nv * VNET_HDR_LEN)
			continue;	/* the kernel never sends less than the header */
		pt->rxb[0] = NULL;
		p->data = p->buf + PKT_HEADROOM;
		p->len = (size_t)n - nv * VNET_HDR_LEN;
		if (nv)
			port_input_vnet(pt, p, vh);
		else
			port_input(pt, p);
	}
	net_batch_end(r);
}

static int tun_xmit(struct port *pt, struct pkt *p)
{
	/* Whole packets only: a zero header says no checksum to finish, no GSO. */
	static const uint8_t vnet_none[VNET_HDR_LEN];
	size_t nv = pt->vnet ? 1 : 0;
	struct iovec iov[2] = {
		{ (void *)vnet_none, VNET_HDR_LEN }, { p->data, p->len },
	};
	ssize_t n = writev(pt->fd, iov + 1 - nv, 1 + (int)nv);
	int rc = 0;
	if (n != (ssize_t)(p->len + nv * VNET_HDR_LEN)) {
		struct iface *ifp = pt->ifp;
		ifp->c.out_errors++;
		log_msg_rl(&ifp->r->log, &NET(ifp->r)->rl_port, ev_now(ifp->r->ev), 10000, "LINK",
			   SEV_WARNING, "TXFAIL", "Interface %s: write to tun failed: %s", ifp->name,
			   n < 0 ? strerror(errno) : "short write");
		rc = -1;
	}
	pkt_free(p);
	return rc;
}

/*
 * The host may hand us unfinished checksums and TCP (and, where the kernel
 * knows UDP_SEGMENT on TUN, UDP) super-frames: gso.c finishes them.
 */
static void tun_offloads(struct port *pt, int fd)
{
	int sz = VNET_HDR_LEN;
	if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0)
		return;
	unsigned base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN;
	if (ioctl(fd, TUNSETOFFLOAD, base | TUN_F_USO_) < 0 && ioctl(fd, TUNSETOFFLOAD, base) < 0)
		ioctl(fd, TUNSETOFFLOAD, 0);
	pt->vnet = VNET_HDR_LEN;
}

static int tun_open(struct port *pt, const char *arg, char *err, size_t errlen)
{
	if (!*arg || strlen(arg) >= IFNAMSIZ) {
		snprintf(err, errlen, "expected tun:IFNAME");
		return -1;
	}
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", arg);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "TUNSETIFF %s: %s%s", arg, strerror(errno),
			 errno == EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
		close(fd);
		return -1;
	}
	/* A TUN fd cannot take interface ioctls; any socket can. */
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		port_netdev_up(s, arg);
		close(s);
	}
	tun_offloads(pt, fd);
	pt->fd = fd;
	return 0;
}

const struct port_ops port_tun_ops = {
	.kind = "tun",
	.open = tun_open,
	.read = tun_read,
	.xmit = tun_xmit,
};
