/*
 * What every port kind shares: spec parsing, counting, Ethernet
 * demultiplexing, and output batching.  Frames sent while an input batch is
 * being processed are queued on their port and leave together (sendmmsg)
 * when the batch ends; frames sent from timers or the CLI leave at once.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/wbuf.h"
#include "net/gso.h"
#include "net/net_priv.h"

static const struct port_ops *const kinds[] = {
	&port_udp_ops, &port_packet_ops, &port_tun_ops, &port_mem_ops,
};

struct port *port_open(struct iface *ifp, const char *spec, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	size_t klen = colon ? (size_t)(colon - spec) : strlen(spec);
	const struct port_ops *ops = NULL;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i]->kind) == klen && strncmp(spec, kinds[i]->kind, klen) == 0)
			ops = kinds[i];
	if (!ops) {
		snprintf(err, errlen, "unknown port type (expected udp:, packet:, tun: or mem:)");
		return NULL;
	}
	struct port *pt = calloc(1, sizeof(*pt));
	if (!pt) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pt->ops = ops;
	pt->ifp = ifp;
	pt->fd = -1;
	if (ops->open(pt, colon ? colon + 1 : "", err, errlen) < 0) {
		free(pt);
		return NULL;
	}
	if (pt->fd >= 0) {
		int rc = ev_add_fd(ifp->r->ev, pt->fd, EPOLLIN, ops->read, pt);
		if (rc < 0) {
			snprintf(err, errlen, "event loop: %s", strerror(-rc));
			close(pt->fd);
			free(pt);
			return NULL;
		}
	}
	pt->up = true;
	return pt;
}

void port_close(struct port *pt)
{
	if (!pt)
		return;
	struct net_state *n = NET(pt->ifp->r);
	for (int i = 0; i < n->ndirty; i++)
		if (n->dirty[i] == pt)
			n->dirty[i] = n->dirty[--n->ndirty];
	for (int i = 0; i < pt->ntx; i++)
		pkt_free(pt->txq[i]);
	for (int i = 0; i < PORT_BATCH; i++)
		pkt_free(pt->rxb[i]);
	if (pt->ops->close)
		pt->ops->close(pt);
	if (pt->fd >= 0) {
		ev_del_fd(pt->ifp->r->ev, pt->fd);
		close(pt->fd);
	}
	free(pt);
}

void port_netdev_up(int sock, const char *ifname)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(sock, SIOCSIFFLAGS, &ifr);
	}
}

int port_refill(struct port *pt)
{
	int n = 0;
	for (int i = 0; i < PORT_BATCH; i++) {
		if (!pt->rxb[i])
			pt->rxb[i] = pkt_alloc();
		if (pt->rxb[i])
			n++;
		else
			break;
	}
	return n;
}

void port_recv_dgrams(struct port *pt, size_t lead, bool (*take)(const struct msghdr *mh))
{
	struct iface *ifp = pt->ifp;
	struct router *r = ifp->r;
	struct mmsghdr msgs[PORT_BATCH];
	struct iovec iov[PORT_BATCH][2];
	struct sockaddr_storage from[PORT_BATCH];
	uint8_t vh[PORT_BATCH][VNET_HDR_LEN];
	size_t nv = pt->vnet ? 1 : 0;
	net_batch_begin(r);
	/* Bounded: a flood on one port must not starve the others or the timers. */
	for (int round = 0; round < 8; round++) {
		int n = port_refill(pt);
		if (n == 0)
			break;
		memset(msgs, 0, sizeof(msgs[0]) * (size_t)n);
		for (int i = 0; i < n; i++) {
			/* The virtio-net header, when there is one, lands beside the frame. */
			iov[i][0].iov_base = vh[i];
			iov[i][0].iov_len = VNET_HDR_LEN;
			iov[i][nv].iov_base = pt->rxb[i]->buf + PKT_HEADROOM - lead;
			iov[i][nv].iov_len = PKT_MAX_IP + lead;
			msgs[i].msg_hdr.msg_iov = iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1 + nv;
			if (take) {
				msgs[i].msg_hdr.msg_name = &from[i];
				msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
			}
		}
		int got = recvmmsg(pt->fd, msgs, (unsigned)n, MSG_DONTWAIT, NULL);
		if (got <= 0) {
			/* A connected UDP port whose far end is not listening yet. */
			if (got < 0 && errno == ECONNREFUSED)
				continue;
			break;
		}
		for (int i = 0; i < got; i++) {
			struct pkt *p = pt->rxb[i];
			pt->rxb[i] = NULL;
			p->data = p->buf + PKT_HEADROOM - lead;
			p->len = msgs[i].msg_len;
			if (take && !take(&msgs[i].msg_hdr)) {
				pkt_free(p);
				continue;
			}
			if (p->len < nv * VNET_HDR_LEN) {
				/* Cannot happen with a kernel that set the option; count it if it does. */
				ifp->c.gso.bad++;
				pkt_free(p);
				continue;
			}
			p->len -= nv * VNET_HDR_LEN;
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				ifp->c.in_pkts++;
				ifp->c.in_errors++;	/* a giant */
				log_msg_rl(&r->log, &NET(r)->rl_port, ev_now(r->ev), 10000, "LINK",
					   SEV_WARNING, "GIANT", "Interface %s: frame over %zu bytes",
					   ifp->name, PKT_MAX_IP + lead);
				pkt_free(p);
				continue;
			}
			if (nv)
				port_input_vnet(pt, p, vh[i]);
			else
				port_input(pt, p);
		}
		if (got < n)
			break;
	}
	net_batch_end(r);
}

int port_batch_xmit(struct port *pt, struct pkt *p)
{
	pt->txq[pt->ntx++] = p;
	return 0;
}

void port_sendmmsg_flush(struct port *pt)
{
	/*
	 * Our frames are whole: checksums finished, no larger than the MTU.
	 * A virtio-net header of zeros (no checksum to finish, no GSO) says so.
	 */
	static const uint8_t vnet_none[VNET_HDR_LEN];
	struct mmsghdr msgs[PORT_BATCH];
	struct iovec iov[PORT_BATCH][2];
	int n = pt->ntx, done = 0;
	size_t nv = pt->vnet ? 1 : 0;
	memset(msgs, 0, sizeof(msgs[0]) * (size_t)n);
	for (int i = 0; i < n; i++) {
		iov[i][0].iov_base = (void *)vnet_none;
		iov[i][0].iov_len = VNET_HDR_LEN;
		iov[i][nv].iov_base = pt->txq[i]->data;
		iov[i][nv].iov_len = pt->txq[i]->len;
		msgs[i].msg_hdr.msg_iov = iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1 + nv;
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

void net_batch_begin(struct router *r) { NET(r)->batch_depth++; }

void net_batch_end(struct router *r)
{
	struct net_state *n = NET(r);
	if (--n->batch_depth > 0)
		return;
	/* Flushing may queue nothing new: output of a flush is not an input. */
	while (n->ndirty) {
		struct port *pt = n->dirty[--n->ndirty];
		pt->dirty = false;
		pt->ops->flush(pt);
	}
}

int port_output(struct port *pt, struct pkt *p)
{
	struct iface *ifp = pt->ifp;
	struct net_state *n = NET(ifp->r);
	if (!pt->up) {
		ifp->c.out_drops++;
		pkt_free(p);
		return -1;
	}
	ifp->c.out_pkts++;
	ifp->c.out_bytes += p->len;
	ifp->last_output_ms = ev_now(ifp->r->ev);
	int rc = pt->ops->xmit(pt, p);
	if (pt->ops->flush && pt->ntx) {
		if (n->batch_depth == 0 || pt->ntx == PORT_BATCH) {
			pt->ops->flush(pt);
		} else if (!pt->dirty && n->ndirty < ROUTER_MAX_IFACES) {
			pt->dirty = true;
			n->dirty[n->ndirty++] = pt;
		}
	}
	return rc;
}

static void emit_segment(void *arg, struct pkt *seg) { port_input(arg, seg); }

void port_input_vnet(struct port *pt, struct pkt *p, const uint8_t *raw)
{
	struct iface *ifp = pt->ifp;
	struct router *r = ifp->r;
	struct vnet_hdr vh;
	const char *why;
	vnet_hdr_get(&vh, raw);
	switch (gso_input(p, pt->ether ? ETH_HLEN : 0, &vh, emit_segment, pt, &ifp->c.gso, &why)) {
	case GSO_DELIVER:
		port_input(pt, p);
		break;
	case GSO_SEGMENTED:
		break;
	case GSO_BAD:
		ifp->c.in_pkts++;
		ifp->c.in_errors++;
		log_msg_rl(&r->log, &NET(r)->rl_port, ev_now(r->ev), 10000, "LINK", SEV_WARNING,
			   "BADOFFLOAD", "Interface %s: dropped a %zu-byte frame: offload header: %s",
			   ifp->name, p->len, why);
		pkt_free(p);
		break;
	}
}

/* Our unicast address, broadcast, or any multicast group (we join none, but IPv4 sorts it). */
static bool mac_is_ours(const struct port *pt, const uint8_t *d)
{
	return memcmp(d, pt->mac, 6) == 0 || (d[0] & 1);
}

void port_input(struct port *pt, struct pkt *p)
{
	struct iface *ifp = pt->ifp;
	struct router *r = ifp->r;
	ifp->c.in_pkts++;
	ifp->c.in_bytes += p->len;
	ifp->last_input_ms = ev_now(r->ev);
	p->in_if = ifp;
	p->flags = 0;
	if (!ifp->admin_up) {
		/* A shut interface hears nothing. */
		ifp->c.in_drops++;
		pkt_free(p);
		return;
	}
	if (!pt->ether) {
		ipv4_input(r, p);
		return;
	}
	struct wbuf_rd rd;
	const uint8_t *dst;
	uint16_t type;
	wbuf_rd_init(&rd, p->data, p->len);
	wbuf_get_ptr(&rd, &dst, 6);
	wbuf_skip(&rd, 6);
	if (!wbuf_get_u16(&rd, &type)) {
		ifp->c.in_errors++;	/* a runt */
		log_msg_rl(&r->log, &NET(r)->rl_port, ev_now(r->ev), 10000, "LINK", SEV_WARNING,
			   "RUNT", "Interface %s: runt frame of %zu bytes", ifp->name, p->len);
		pkt_free(p);
		return;
	}
	if (!mac_is_ours(pt, dst)) {
		ifp->c.in_drops++;	/* someone else's unicast (a flooding switch) */
		pkt_free(p);
		return;
	}
	if (dst[0] & 1)
		NET(r)->rate[ifp->index].in_bcast++;
	pkt_pull(p, ETH_HLEN);
	switch (type) {
	case ETHERTYPE_IP:
		ipv4_input(r, p);
		break;
	case ETHERTYPE_ARP:
		arp_input(r, ifp, p);
		break;
	default:
		NET(r)->rate[ifp->index].unknown_proto++;	/* IPv6, LLDP ...: not an error */
		pkt_free(p);
		break;
	}
}
