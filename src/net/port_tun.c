/*
 * tun:IFNAME — a layer-3 port into the host's own stack (IFF_TUN, no
 * packet-information header): the host routes traffic into the router.
 * The device is created when absent (which needs CAP_NET_ADMIN) and brought up.
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
#include <unistd.h>

#include "net/net_priv.h"

static void tun_read(void *arg, uint32_t events)
{
	struct port *pt = arg;
	struct router *r = pt->ifp->r;
	(void)events;
	net_batch_begin(r);
	/* A TUN fd gives one packet per read; bound the batch like the others. */
	for (int i = 0; i < PORT_BATCH; i++) {
		/* One spare buffer is all a read needs: rxb[1..] stay empty. */
		if (!pt->rxb[0] && !(pt->rxb[0] = pkt_alloc()))
			break;
		struct pkt *p = pt->rxb[0];
		ssize_t n = read(pt->fd, p->buf + PKT_HEADROOM, PKT_MAX_IP);
		if (n <= 0)
			break;
		pt->rxb[0] = NULL;
		p->data = p->buf + PKT_HEADROOM;
		p->len = (size_t)n;
		port_input(pt, p);
	}
	net_batch_end(r);
}

static int tun_xmit(struct port *pt, struct pkt *p)
{
	ssize_t n = write(pt->fd, p->data, p->len);
	int rc = 0;
	if (n != (ssize_t)p->len) {
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
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
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
	pt->fd = fd;
	return 0;
}

const struct port_ops port_tun_ops = {
	.kind = "tun",
	.open = tun_open,
	.read = tun_read,
	.xmit = tun_xmit,
};
