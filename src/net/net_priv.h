/*
 * Private to src/net: ports, the routing table, ARP, reassembly, ping
 * sessions, and the per-router state they hang off (r->net).
 */
#ifndef SPIGOT_NET_PRIV_H
#define SPIGOT_NET_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/evloop.h"
#include "core/ipfmt.h"
#include "core/log.h"
#include "core/pkt.h"
#include "net/net.h"
#include "router.h"

struct cli_ctx;
struct cmd_args;

/* ---- ports ---- */

#define PORT_BATCH 32		/* frames per recvmmsg/sendmmsg */
#define ETH_HLEN 14
#define ETH_ZLEN 60		/* minimum frame without FCS */
#define ETHERTYPE_IP 0x0800
#define ETHERTYPE_ARP 0x0806
/* Older libc headers lack it (Linux 4.20); packet: ports and their workers set it. */
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

struct port;
struct msghdr;

struct port_ops {
	const char *kind;
	/*
	 * arg is the spec after "kind:"; on failure writes a reason into err.
	 * A kind that sets pt->fd has it watched (read) and closed by port.c.
	 */
	int (*open)(struct port *pt, const char *arg, char *err, size_t errlen);
	/* The event-loop handler for pt->fd (arg is the port). */
	void (*read)(void *arg, uint32_t events);
	/* Queues or sends one frame (IPv4 packet, or Ethernet frame when pt->ether). Takes p. */
	int (*xmit)(struct port *pt, struct pkt *p);
	/* Sends frames queued during an input batch (NULL: xmit sends at once). */
	void (*flush)(struct port *pt);
	/* Frees per-kind state (NULL: none beyond pt->fd). */
	void (*close)(struct port *pt);
};

struct port {
	const struct port_ops *ops;
	struct iface *ifp;
	int fd;
	bool up;
	bool ether;			/* Ethernet framing and ARP */
	bool dirty;			/* frames queued for flush */
	/*
	 * VNET_HDR_LEN when every frame to and from the kernel carries a
	 * virtio-net header (packet: and tun: ports with offloads), else 0.
	 */
	size_t vnet;
	uint8_t mac[6];
	/* packet: ports reading with recvmmsg: why not from a ring (show interfaces). */
	char noring[96];
	/* Transmit batch (udp/packet). */
	struct pkt *txq[PORT_BATCH];
	int ntx;
	/* Receive buffers kept between batches so reading costs no allocation. */
	struct pkt *rxb[PORT_BATCH];
	void *priv;			/* per-kind state */
	struct port_workers *wk;	/* packet: ports with data-plane workers (workers.c) */
};

/* A frame came in on pt (counted here); dispatches to IPv4 or ARP. Takes p. */
void port_input(struct port *pt, struct pkt *p);
/*
 * Same, for a frame behind a virtio-net header (raw, VNET_HDR_LEN bytes):
 * finishes a partial checksum or segments a super-frame first. Takes p.
 */
void port_input_vnet(struct port *pt, struct pkt *p, const uint8_t *raw);
/* Hands a frame to the port (counted; batched inside an input batch). Takes p. */
int port_output(struct port *pt, struct pkt *p);
/* Opens the port named by spec for ifp; NULL and err filled on failure. */
struct port *port_open(struct iface *ifp, const char *spec, char *err, size_t errlen);
void port_close(struct port *pt);
/* Marks the start/end of an input batch: frames sent meanwhile go out together. */
void net_batch_begin(struct router *r);
void net_batch_end(struct router *r);
/* Fills rxb[] back up to PORT_BATCH buffers; returns how many are there. */
int port_refill(struct port *pt);

/* Shared by udp and packet ports: queue, then one sendmmsg for the batch. */
int port_batch_xmit(struct port *pt, struct pkt *p);
void port_sendmmsg_flush(struct port *pt);
/*
 * Shared by udp and packet ports: drains pt->fd with recvmmsg into rxb[].
 * Each datagram lands lead bytes (its link header) before the usual headroom.
 * take, if set, sees each message with its sender and says whether to keep it.
 */
void port_recv_dgrams(struct port *pt, size_t lead, bool (*take)(const struct msghdr *mh));
/* Brings a host netdev up (what plugging in a cable would do); sock is any socket. */
void port_netdev_up(int sock, const char *ifname);

extern const struct port_ops port_udp_ops, port_packet_ops, port_tun_ops, port_mem_ops;

/*
 * packet: ports' TPACKET_V2 receive ring (port_ring.c).  setup maps it on
 * pt->fd (before bind) and hangs it on pt->priv; on failure the socket is
 * as it was and why says what failed.
 */
int packet_ring_setup(struct port *pt, char *why, size_t whylen);
void packet_ring_close(struct port *pt);
bool packet_ring_on(const struct port *pt);
/* Hands every slot the kernel has filled to port_input, as one batch. */
void packet_ring_read(struct port *pt);
/*
 * What a ring walk does with each frame: deliver takes a pool packet (the
 * Ethernet frame, its virtio-net header at vh, valid during the call);
 * event counts a frame that was not delivered.  The control thread's sink
 * is port_input; a worker's (workers.c) queues for the control thread.
 */
enum ring_event { RING_EV_GIANT, RING_EV_NOBUF, RING_EV_BADHDR };
struct ring_sink {
	void (*deliver)(void *arg, struct pkt *p, const uint8_t *vh);
	void (*event)(void *arg, enum ring_event ev, size_t len);
	void *arg;
};
/* One lap of the ring at most; returns the slots handed back to the kernel. */
unsigned packet_ring_walk(struct port *pt, const struct ring_sink *sk);
/* Adds the kernel's count of frames dropped for a full ring to ifp->c.ring_drops. */
void packet_ring_stats(struct port *pt);
void packet_ring_describe(const struct port *pt, char *buf, size_t len);
/*
 * Data-plane workers (workers.c) for a packet: port whose ring is on, when
 * the router runs more than one (spigotd --workers N): the port's socket
 * joins a PACKET_FANOUT group with N - 1 more, each read by a thread of
 * its own.  start returns 0 when they run, -1 (logged, the port reads
 * alone as before) when they cannot.
 */
int workers_port_start(struct port *pt, const char *ifname, unsigned ifindex);
void workers_port_stop(struct port *pt);
/* show interfaces' lines for them (nothing when the port has none). */
void workers_port_show(struct port *pt, struct strbuf *out);
/* Worker idx's own socket on this port, which any worker idx sends with (-1: none). */
int workers_port_txfd(const struct port *pt, int idx);

/* Frames that are input to this router (not our own output, not another host's). */
bool packet_from_wire(unsigned char pkttype);

/* ---- routes ---- */

enum route_type { RT_CONNECTED, RT_LOCAL, RT_STATIC };

struct route {
	uint32_t prefix, mask;
	uint8_t plen;
	uint8_t distance;
	enum route_type type;
	uint32_t gw;			/* static: the configured next hop (0: interface route) */
	struct iface *ifp;		/* resolved egress */
	uint32_t nexthop;		/* resolved next hop (0: the destination itself) */
};

struct route_table {
	struct route *v;		/* sorted by (plen desc, prefix asc) for lookup */
	size_t n, cap;
	/* For each prefix length, the slice [start, start+count) of v. */
	uint32_t start[33], count[33];
};

void route_table_free(struct route_table *t);
/* Rebuilds the table from the interfaces and cfg->routes. */
void route_rebuild(struct router *r);
/* Longest-prefix match over an arbitrary table (tests use it on random tables). */
const struct route *route_table_lookup(const struct route_table *t, uint32_t dst);
/* Sorts and indexes t->v after filling it. */
void route_table_index(struct route_table *t);
uint8_t route_mask_len(uint32_t mask);

/* ---- ARP ---- */

#define ARP_MAX_ENTRIES 1024
#define ARP_HOLD_MAX 4			/* packets waiting per unresolved address */
#define ARP_TIMEOUT_MS (4ULL * 3600 * 1000)	/* IOS: arp timeout 14400 */
#define ARP_RETRY_MS 1000
#define ARP_RETRIES 5

#define ARP_STALE_MS 60000		/* an entry nobody confirmed: learned from a request for us */
#define ARP_STALE_MAX 256		/* at most this many of those (the rest of the table is ours) */

/*
 * ARP_STALE (Linux's name): learned from a request for us that we did not
 * ask for; usable, but short-lived and the first to be evicted, and a reply
 * to our own request is what makes it complete.
 */
enum arp_state { ARP_FREE = 0, ARP_INCOMPLETE, ARP_COMPLETE, ARP_STALE };

struct arp_entry {
	enum arp_state state;
	struct iface *ifp;
	uint32_t ip;
	uint8_t mac[6];
	uint64_t updated_ms;		/* learned / last confirmed */
	uint64_t next_try_ms;
	int tries;
	struct pkt_queue hold;
	int32_t next;			/* hash chain */
};

struct arp_table {
	struct arp_entry e[ARP_MAX_ENTRIES];
	int32_t bucket[256];
	size_t n;
	size_t nstale;			/* entries in ARP_STALE */
	bool resolving;			/* some entry is incomplete: scan every tick */
	uint64_t next_sweep;		/* otherwise only age complete entries now and then */
	uint64_t requests_in, replies_in, requests_out, replies_out;
	uint64_t drops_unresolved, drops_full, drops_bad;
	uint64_t evicted, unsolicited_refused;
	struct log_rl rl;
};

void arp_init(struct arp_table *t);
void arp_free(struct arp_table *t);
/* An ARP packet (Ethernet header already pulled). Takes p. */
void arp_input(struct router *r, struct iface *ifp, struct pkt *p);
/* Frames an IPv4 packet toward nexthop, resolving it first. Takes p. */
int arp_output(struct router *r, struct iface *ifp, struct pkt *p, uint32_t nexthop);
void arp_tick(struct router *r, uint64_t now);
void arp_flush_iface(struct router *r, struct iface *ifp);
void arp_clear(struct router *r);
const struct arp_entry *arp_lookup(const struct router *r, const struct iface *ifp, uint32_t ip);
void arp_show(struct router *r, struct strbuf *out);
/* Prepends an Ethernet header to p. */
int eth_push(struct port *pt, struct pkt *p, const uint8_t dst[6], uint16_t type);

/* ---- reassembly ---- */

#define FRAG_MAX_REASM 64		/* concurrent datagrams being reassembled */
#define FRAG_MAX_BYTES (1024 * 1024)	/* payload held across all of them */
#define FRAG_TIMEOUT_MS 15000		/* RFC 791's initial timer; fragments of a real datagram come within ms */
#define FRAG_PER_SRC_MAX 16		/* datagrams one source may have in reassembly */

struct reasm {
	bool used;
	uint32_t src, dst;
	uint16_t id;
	uint8_t proto;
	bool decapped;			/* fragments from a tunnel and cleartext ones never mix */
	uint64_t deadline;
	struct pkt *p;			/* header of the first fragment + payload at its offset */
	size_t hlen;			/* header length of the first fragment (0 until seen) */
	size_t total;			/* payload length once the last fragment is in; 0 before */
	size_t have;			/* payload bytes held */
	struct iface *in_if;
	uint8_t map[65536 / 8 / 8];	/* one bit per 8-byte block */
};

struct frag_state {
	struct reasm q[FRAG_MAX_REASM];
	size_t bytes;
};

/* A fragment addressed to us: returns the whole datagram when complete, else NULL. Takes p. */
struct pkt *frag_input(struct router *r, struct pkt *p);
void frag_tick(struct router *r, uint64_t now);
void frag_free(struct router *r);

/* ---- UDP / ICMP / ping ---- */

#define NET_UDP_MAX 16

struct udp_binding {
	uint16_t port;
	udp_rx_fn fn;
	void *arg;
	udp_pkt_fn pfn;		/* set by udp_bind_pkt: the handler takes the packet */
};

struct ping;

/* Counters for `show ip traffic`. */
struct ip_stats {
	uint64_t rcvd, delivered, forwarded, bad_hdr, bad_cksum, bad_ttl, bcast_rcvd, mcast_rcvd;
	uint64_t no_route, unknown_proto, sent, frag_created, fragmented, cant_fragment;
	uint64_t reasm_ok, reasm_timeout, reasm_fail, frag_rcvd, frag_overlap, frag_oversize,
		frag_dup, frag_nomem, frag_evicted, policy_drops, encap_failed, port_out_fail;
	uint64_t icmp_rcvd, icmp_bad, icmp_echo_rcvd, icmp_echo_reply_rcvd, icmp_unreach_rcvd,
		icmp_ttl_rcvd, icmp_other_rcvd;
	uint64_t icmp_sent, icmp_echo_sent, icmp_echo_reply_sent, icmp_unreach_sent,
		icmp_ttl_sent, icmp_ratelimited;
	uint64_t udp_rcvd, udp_bad, udp_no_port, udp_sent;
};

struct if_rate {
	uint64_t last_in_bytes, last_in_pkts, last_out_bytes, last_out_pkts;
	double in_bps, in_pps, out_bps, out_pps;
	uint64_t cleared_ms;		/* 0: never */
	uint64_t in_bcast;
	uint64_t unknown_proto;
	bool was_up;
	uint32_t addr, mask;		/* snapshot to notice address changes */
	bool had_addr;
};

struct net_state {
	struct router *r;
	struct route_table rt;
	struct arp_table arp;
	struct frag_state frag;
	struct udp_binding udp[NET_UDP_MAX];
	struct ping *pings;
	uint16_t ping_next_id;
	struct ev_timer tick;
	bool started;
	/* Output batching during an input batch. */
	int batch_depth;
	struct port *dirty[ROUTER_MAX_IFACES];
	int ndirty;
	struct ip_stats st;
	struct if_rate rate[ROUTER_MAX_IFACES];
	/* ICMP error budget: IOS's default `ip icmp rate-limit unreachable 500`. */
	uint64_t icmp_unreach_last;
	uint64_t icmp_err_window;
	uint32_t icmp_err_in_window;
	struct log_rl rl_hdr, rl_frag, rl_route, rl_port, rl_icmp, rl_martian;
	uint64_t mac_seed;
	struct fastpath *fp;		/* data-plane workers' table (fastpath.c); NULL with one thread */
};

static inline struct net_state *NET(const struct router *r) { return r->net; }

/* A source no packet may come from: broadcast, multicast, loopback (ipv4_input drops it). */
static inline bool ip_martian_src(uint32_t a)
{
	return a == 0xffffffffu || (a >> 28) == 14 || (a >> 24) == 127;
}

/* An interface by its name or an IOS abbreviation of it ("fa0/0", "e1/0"). */
struct iface *net_iface_by_name(struct router *r, const char *name);
/* Local addresses: an up interface's address. */
struct iface *net_local_iface(struct router *r, uint32_t addr);
/* True for 255.255.255.255 and directed broadcasts of our subnets. */
bool net_is_broadcast(struct router *r, uint32_t addr);

/* Local delivery of a complete datagram addressed to us. Takes p. */
void ip_local_deliver(struct router *r, struct pkt *p);
/*
 * ip_output after its is-it-ours check: forwarding has made that check
 * already.  p holds a whole IPv4 header. Takes p.
 */
int ip_route_output(struct router *r, struct pkt *p, bool no_crypto);
void icmp_input(struct router *r, struct pkt *p);
void udp_input(struct router *r, struct pkt *p);
/* An ICMP echo reply or error about one of our echoes: the ping engine looks. */
void ping_icmp_input(struct router *r, uint32_t src, uint8_t type, uint8_t code,
		     uint16_t id, uint16_t seq);
void ping_free_all(struct router *r);
/*
 * Builds an IPv4 header in front of the payload already at p->data.
 * src 0: the egress interface's address, filled in by ip_output.
 */
int ip_push_header(struct router *r, struct pkt *p, uint32_t src, uint32_t dst, uint8_t proto,
		   uint8_t ttl, bool df);
/* The egress interface's address toward dst (0 when there is no route). */
uint32_t net_source_for(struct router *r, uint32_t dst);

/* ---- exec commands (registered with the command tree; tests call them) ---- */
int net_cmd_show_ip_int_brief(struct cli_ctx *ctx, const struct cmd_args *a);
int net_cmd_show_interfaces(struct cli_ctx *ctx, const struct cmd_args *a);
int net_cmd_show_ip_route(struct cli_ctx *ctx, const struct cmd_args *a);
int net_cmd_show_arp(struct cli_ctx *ctx, const struct cmd_args *a);
int net_cmd_clear_arp(struct cli_ctx *ctx, const struct cmd_args *a);
int net_cmd_clear_counters(struct cli_ctx *ctx, const struct cmd_args *a);
int net_cmd_show_ip_traffic(struct cli_ctx *ctx, const struct cmd_args *a);
int net_cmd_ping(struct cli_ctx *ctx, const struct cmd_args *a);

/* Formats "aabb.ccdd.eeff" as IOS prints MAC addresses. */
void net_fmt_mac(char *buf, size_t n, const uint8_t mac[6]);

#endif
