/*
 * Helpers for bench/forward:
 *   forward_tool send LOCAL_PORT DST_PORT COUNT SIZE   blasts IPv4/UDP packets, one per datagram
 *   forward_tool recv LOCAL_PORT COUNT IDLE_MS         counts them, prints "pps N"
 *   forward_tool relay PORT_A PEER_A PORT_B PEER_B     the baseline: a plain two-socket relay
 * The relay uses the very socket calls of spigot's udp: port (connected
 * sockets, recvmmsg and sendmmsg in batches of 32), so the ratio isolates
 * what spigot adds per packet.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int sock(int lport, int rport)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int sz = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)lport),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("bind");
		exit(1);
	}
	if (rport) {
		a.sin_port = htons((uint16_t)rport);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			perror("connect");
			exit(1);
		}
	}
	return fd;
}

static uint16_t cksum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int do_send(int lport, int dport, long count, int size)
{
	int fd = sock(lport, dport);
	static uint8_t pkt[2048];
	memset(pkt, 0, sizeof(pkt));
	/* 10.0.0.2 -> 10.1.0.2, UDP 9 -> 9, no UDP checksum. */
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(size >> 8);
	pkt[3] = (uint8_t)size;
	pkt[8] = 64;
	pkt[9] = 17;
	memcpy(pkt + 12, (uint8_t[]){ 10, 0, 0, 2, 10, 1, 0, 2 }, 8);
	uint16_t c = cksum(pkt, 20);
	pkt[10] = (uint8_t)(c >> 8);
	pkt[11] = (uint8_t)c;
	pkt[21] = 9;
	pkt[23] = 9;
	pkt[24] = (uint8_t)((size - 20) >> 8);
	pkt[25] = (uint8_t)(size - 20);
	struct mmsghdr m[BATCH];
	struct iovec iov = { pkt, (size_t)size };
	memset(m, 0, sizeof(m));
	for (int i = 0; i < BATCH; i++) {
		m[i].msg_hdr.msg_iov = &iov;
		m[i].msg_hdr.msg_iovlen = 1;
	}
	long sent = 0;
	while (sent < count) {
		int n = (int)(count - sent < BATCH ? count - sent : BATCH);
		int s = sendmmsg(fd, m, (unsigned)n, 0);
		if (s > 0)
			sent += s;
		else if (errno != EINTR && errno != ECONNREFUSED && errno != ENOBUFS)
			break;
	}
	close(fd);
	return 0;
}

static int do_recv(int lport, long count, int idle_ms)
{
	int fd = sock(lport, 0);
	static uint8_t bufs[BATCH][2048];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	long got = 0;
	uint64_t first = 0, last = 0;
	printf("ready\n");
	fflush(stdout);
	while (got < count) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, got ? idle_ms : 20000) <= 0)
			break;
		memset(m, 0, sizeof(m));
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		if (!got)
			first = now_us();
		got += n;
		last = now_us();
	}
	double secs = last > first ? (double)(last - first) / 1e6 : 0;
	printf("received %ld pps %.0f\n", got, secs > 0 ? (double)got / secs : 0.0);
	return 0;
}

static int do_relay(int pa, int peer_a, int pb, int peer_b)
{
	int fa = sock(pa, peer_a), fb = sock(pb, peer_b);
	static uint8_t bufs[BATCH][65536];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	for (;;) {
		struct pollfd p = { fa, POLLIN, 0 };
		if (poll(&p, 1, 30000) <= 0)
			return 0;
		/* Bounded rounds per wakeup, as the udp: port does. */
		for (int round = 0; round < 8; round++) {
			memset(m, 0, sizeof(m));
			for (int i = 0; i < BATCH; i++) {
				iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
				m[i].msg_hdr.msg_iov = &iov[i];
				m[i].msg_hdr.msg_iovlen = 1;
			}
			int n = recvmmsg(fa, m, BATCH, MSG_DONTWAIT, NULL);
			if (n <= 0)
				break;
			for (int i = 0; i < n; i++)
				iov[i].iov_len = m[i].msg_len;
			sendmmsg(fb, m, (unsigned)n, MSG_DONTWAIT);
			if (n < BATCH)
				break;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "send"))
		return do_send(atoi(argv[2]), atoi(argv[3]), atol(argv[4]), atoi(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "recv"))
		return do_recv(atoi(argv[2]), atol(argv[3]), atoi(argv[4]));
	if (argc == 6 && !strcmp(argv[1], "relay"))
		return do_relay(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	fprintf(stderr, "usage: see the comment at the top of bench/forward_tool.c\n");
	return 2;
}
