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
	(void)events;
	port_recv_dgrams(arg, 0, NULL);
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
	pt->fd = fd;
	return 0;
}

const struct port_ops port_udp_ops = {
	.kind = "udp",
	.open = udp_open,
	.read = udp_read,
	.xmit = port_batch_xmit,
	.flush = port_sendmmsg_flush,
};
