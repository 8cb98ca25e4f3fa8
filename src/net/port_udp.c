/*
 * udp:LOCAL_PORT:REMOTE_HOST:REMOTE_PORT — an emulated point-to-point link:
 * each datagram carries exactly one IPv4 packet (dynamips' UDP NIO).  The
 * socket is connected, so only the far end of the link can inject packets.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net_priv.h"

static bool parse_port(const char *s, uint16_t *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 1 || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

static void udp_read(void *arg, uint32_t events)
{
	struct port *pt = arg;
	struct router *r = pt->ifp->r;
	struct mmsghdr msgs[PORT_BATCH];
	struct iovec iov[PORT_BATCH];
	(void)events;
	net_batch_begin(r);
	/* Bounded: a flood on one port must not starve the others or the timers. */
	for (int round = 0; round < 8; round++) {
		int n = port_refill(pt);
		if (n == 0)
			break;
		memset(msgs, 0, sizeof(msgs[0]) * (size_t)n);
		for (int i = 0; i < n; i++) {
			iov[i].iov_base = pt->rxb[i]->buf + PKT_HEADROOM;
			iov[i].iov_len = PKT_MAX_IP;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		int got = recvmmsg(pt->fd, msgs, (unsigned)n, MSG_DONTWAIT, NULL);
		if (got <= 0) {
			/* ECONNREFUSED: the far end is not listening yet; nothing to read. */
			if (got < 0 && errno == ECONNREFUSED)
				continue;
			break;
		}
		for (int i = 0; i < got; i++) {
			struct pkt *p = pt->rxb[i];
			pt->rxb[i] = NULL;
			p->data = p->buf + PKT_HEADROOM;
			p->len = msgs[i].msg_len;
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				pt->ifp->c.in_pkts++;
				pt->ifp->c.in_errors++;	/* a giant */
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

static int udp_open(struct port *pt, const char *arg, char *err, size_t errlen)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", arg);
	char *lport = buf, *host = strchr(buf, ':'), *rport;
	if (!host || !(rport = strrchr(host + 1, ':'))) {
		snprintf(err, errlen, "expected udp:LOCAL_PORT:REMOTE_HOST:REMOTE_PORT");
		return -1;
	}
	*host++ = '\0';
	*rport++ = '\0';
	uint16_t lp, rp;
	if (!parse_port(lport, &lp) || !parse_port(rport, &rp) || !*host) {
		snprintf(err, errlen, "bad port number or host in udp:%s", arg);
		return -1;
	}
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *ai;
	int gai = getaddrinfo(host, NULL, &hints, &ai);
	if (gai != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(gai));
		return -1;
	}
	struct sockaddr_in remote = *(struct sockaddr_in *)ai->ai_addr;
	freeaddrinfo(ai);
	remote.sin_port = htons(rp);
	/* A link to loopback stays on loopback; a link to another host listens on all. */
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons(lp) };
	local.sin_addr.s_addr = (ntohl(remote.sin_addr.s_addr) >> 24) == 127
					? htonl(0x7f000001)
					: htonl(INADDR_ANY);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	int sz = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		snprintf(err, errlen, "bind UDP port %u: %s", lp, strerror(errno));
		close(fd);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&remote, sizeof(remote)) < 0) {
		snprintf(err, errlen, "connect %s:%u: %s", host, rp, strerror(errno));
		close(fd);
		return -1;
	}
	int rc = ev_add_fd(pt->ifp->r->ev, fd, EPOLLIN, udp_read, pt);
	if (rc < 0) {
		snprintf(err, errlen, "event loop: %s", strerror(-rc));
		close(fd);
		return -1;
	}
	pt->fd = fd;
	return 0;
}

int port_batch_xmit(struct port *pt, struct pkt *p)
{
	pt->txq[pt->ntx++] = p;
	return 0;
}

void port_sendmmsg_flush(struct port *pt)
{
	struct mmsghdr msgs[PORT_BATCH];
	struct iovec iov[PORT_BATCH];
	int n = pt->ntx, done = 0;
	memset(msgs, 0, sizeof(msgs[0]) * (size_t)n);
	for (int i = 0; i < n; i++) {
		iov[i].iov_base = pt->txq[i]->data;
		iov[i].iov_len = pt->txq[i]->len;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < n) {
		int s = sendmmsg(pt->fd, msgs + done, (unsigned)(n - done), MSG_DONTWAIT);
		if (s > 0) {
			done += s;
			continue;
		}
		if (s < 0 && errno == EINTR)
			continue;
		/*
		 * The first unsent frame failed (ECONNREFUSED from a dead far end,
		 * ENOBUFS, EAGAIN when the socket is full): count it and go on.
		 */
		struct iface *ifp = pt->ifp;
		ifp->c.out_errors++;
		log_msg_rl(&ifp->r->log, &NET(ifp->r)->rl_port, ev_now(ifp->r->ev), 10000, "LINK",
			   SEV_WARNING, "TXFAIL", "Interface %s: send failed: %s", ifp->name,
			   s < 0 ? strerror(errno) : "no progress");
		done++;
	}
	for (int i = 0; i < n; i++)
		pkt_free(pt->txq[i]);
	pt->ntx = 0;
}

static void udp_close(struct port *pt)
{
	if (pt->fd >= 0)
		ev_del_fd(pt->ifp->r->ev, pt->fd);
}

const struct port_ops port_udp_ops = {
	.kind = "udp",
	.open = udp_open,
	.xmit = port_batch_xmit,
	.flush = port_sendmmsg_flush,
	.close = udp_close,
};
