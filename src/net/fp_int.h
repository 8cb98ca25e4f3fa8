/*
 * The fast-path table and a worker's fast-path state: private to
 * src/net/fastpath*.c and src/ipsec/fp_ipsec.c.
 *
 * A table (struct fp_tab) is built by the control thread from its own
 * structures, published with a release store, and never written again;
 * workers read it with no lock.  It copies every fact it needs (addresses,
 * MTUs, MACs, routes, ARP, crypto-map ACLs, SA endpoints and ports) and
 * points only at SAs (struct ipsec_sa), for what two threads may share of
 * them: immutable algorithm choices, the atomic sequence counter, the
 * spin-locked replay window, and one slot per worker for its own contexts
 * and counts.  An SA's memory outlives every table that points at it
 * (fastpath_retire, QSBR).
 */
#ifndef SPIGOT_FP_INT_H
#define SPIGOT_FP_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/pkt.h"
#include "core/qsbr.h"
#include "ipsec/sadb.h"
#include "net/gso.h"
#include "net/net_priv.h"

struct ipsec_sa;

#define FP_MAX_WK 64		/* worker index 1..63 (0 is the control thread) */
#define FP_ARP_SLOTS 2048	/* twice ARP_MAX_ENTRIES, open addressing */
#define FP_TX_BATCH 64

/* What the fast path may do with traffic toward or from an interface. */
struct fp_if {
	bool ok;			/* up, Ethernet packet: port, no capture running */
	bool has_addr;
	bool cmap;			/* a crypto map is applied */
	uint32_t addr, mask, mtu;
	uint8_t mac[6];
	size_t vnet;
	int txfd[FP_MAX_WK];		/* worker i's socket on this netdev (-1: none) */
	size_t cm_first, cm_n;		/* its crypto map's entries in fp_tab.cm */
};

/* An outbound SA bundle with ESP only, as the fast path applies it. */
struct fp_out {
	struct ipsec_sa *sa;
	uint32_t local, peer;
	uint16_t peer_port;		/* UDP-encapsulated: the peer's NAT-T port */
	bool udp;
	size_t overhead_fixed, esp_block;
};

/* An inbound ESP SA whose bundle has no AH. */
struct fp_in {
	struct ipsec_sa *sa;
	uint32_t local;
	bool udp;
	struct ipsec_flow flow;
	int bundle_id;			/* for the policy check of what it lets through */
};

/* One crypto map entry: its ACL (copied) and, per ACE, the bundle to use. */
struct fp_cm {
	struct cfg_acl acl;
	const struct fp_out **ace_out;	/* NULL entries: no SA yet, punt */
	bool punt;			/* narrowed flows IKE installed: the control thread decides */
};

struct fp_arp {
	uint32_t ip;
	int16_t ifidx;			/* -1: free */
	uint8_t mac[6];
};

struct fp_tab {
	bool off;			/* debug ip packet: punt everything (a capture turns off its interface) */
	int nif;
	struct fp_if ifs[ROUTER_MAX_IFACES];
	struct route_table rt;		/* a copy; route.ifp points into r->ifaces (index only) */
	struct iface *if0;		/* &r->ifaces[0]: route.ifp to an index; never read through */
	struct fp_arp arp[FP_ARP_SLOTS];
	struct fp_cm *cm;
	size_t ncm;
	struct cfg_ace *aces;		/* every copied ACE */
	const struct fp_out **ace_out;
	struct fp_out *out;
	size_t nout;
	struct fp_in *in;
	size_t nin;
	uint32_t *inh;			/* open-addressing index into in[] by SPI, +1 (0: free) */
	size_t inh_mask;
};

/* The router's fast-path state (r->net->fp). */
struct fastpath {
	_Atomic(struct fp_tab *) tab;
	struct qsbr q;
	bool dirty;
	uint64_t builds;
	struct fp_wk *wks[QSBR_SLOTS];	/* registered workers, for folding */
};

/* One worker thread's fast-path state.  Counters: the worker writes, the control thread folds. */
struct fp_wk {
	struct fastpath *fp;
	int slot;			/* its QSBR slot: also its index in ipsec_sa.wk[] */
	int idx;			/* worker index on its port (1..): the txfd it sends with */
	int ifidx;			/* its port's interface */
	size_t vnet;
	uint16_t ip_id;
	struct {
		int fd;
		size_t vnet;
		int ifidx;
		struct pkt *p;
		uint8_t vh[VNET_HDR_LEN];	/* zeros, or a coalesced TCP super-frame's */
	} tx[FP_TX_BATCH];
	unsigned ntx;
	/* Inner packets waiting to be encapsulated at the end of the batch (fp_enc_flush). */
	struct {
		struct pkt *p;
		const struct fp_out *fo;
		int o;
		const uint8_t *mac;	/* in the table of the batch */
	} enc[FP_TX_BATCH];
	unsigned nenc;
	/* A TCP super-frame being built for a host (fastpath_gro.c), p NULL: none. */
	struct fp_gro {
		struct pkt *p;		/* the inner IPv4 packet so far */
		int o;			/* its egress interface */
		uint8_t mac[6];
		uint32_t next_seq;
		size_t hl, mss;		/* IPv4 + TCP header bytes; the first segment's payload */
		unsigned segs;
	} gro;
	atomic_ullong in_pkts, in_bytes, encaps, decaps, punts, forwarded;
	atomic_ullong out_pkts[ROUTER_MAX_IFACES], out_bytes[ROUTER_MAX_IFACES];
	atomic_ullong out_errors[ROUTER_MAX_IFACES];
	atomic_ullong gso_csum, gso_frames, gso_segs;
	atomic_ullong gro_frames, gro_segs;	/* super-frames handed to hosts, segments they hold */
	struct {
		uint64_t in_pkts, in_bytes, forwarded, out_pkts[ROUTER_MAX_IFACES],
			out_bytes[ROUTER_MAX_IFACES], out_errors[ROUTER_MAX_IFACES], gso_csum,
			gso_frames, gso_segs;
	} f;				/* control thread: folded so far */
};

/* A worker's count: only it writes the counter, the control thread reads it. */
static inline void fp_count(atomic_ullong *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* The control thread's fold: what c grew by since *folded, which it then records. */
static inline uint64_t fp_take(atomic_ullong *c, uint64_t *folded)
{
	uint64_t now = atomic_load_explicit(c, memory_order_relaxed), d = now - *folded;
	*folded = now;
	return d;
}

static inline size_t fp_arp_slot(uint32_t ip) { return (size_t)(ip * 2654435761u >> 7) & (FP_ARP_SLOTS - 1); }

/* fastpath.c: a worker thread joins (before it starts) and leaves (after it is joined). */
int fastpath_attach(struct router *r, struct fp_wk *w, int idx, int ifidx, size_t vnet);
void fastpath_detach(struct router *r, struct fp_wk *w);

/* fp_ipsec.c: the crypto-map and SA parts of a table (control thread). */
int ipsec_fp_build(struct router *r, struct fp_tab *t);
void ipsec_fp_tab_free(struct fp_tab *t);
/* Worker: p->data is the ESP header; true when it is decapsulated (p->data the inner packet). */
enum fp_rc { FP_DONE, FP_PUNT, FP_DROPPED };
enum fp_rc ipsec_fp_decap(const struct fp_tab *t, struct fp_wk *w, struct pkt *p, uint32_t dst,
			  bool udp);
/* Worker: p->data is the inner packet; on FP_DONE it is the outer IPv4 packet. */
enum fp_rc ipsec_fp_encap(const struct fp_out *o, struct fp_wk *w, struct pkt *p);
/* Worker: whether it can encapsulate on o (its contexts are built, on first use). */
bool ipsec_fp_ready(const struct fp_out *o, struct fp_wk *w);
/* Worker: o's SA, from its first sequence number to the kernel (ipsec_sa.txlock). */
void ipsec_fp_tx_lock(const struct fp_out *o);
void ipsec_fp_tx_unlock(const struct fp_out *o);
/* The largest inner packet o carries within mtu (ipsec_bundle_max_inner). */
size_t ipsec_fp_max_inner(const struct fp_out *o, uint32_t mtu);
/* Worker: the bundle for an inner packet leaving through ifs[ifidx], or NULL (punt). */
const struct fp_out *ipsec_fp_lookup_out(const struct fp_tab *t, int ifidx, const uint8_t *ip,
					 size_t len);
/* Control thread: the workers' per-SA counts into flows and lifetimes. */
void ipsec_fp_fold(struct router *r);
/* Control thread: a packet a worker decapsulated but could not forward (p->sa_ctx, p->in_if set). */
void ipsec_fp_deliver(struct router *r, struct pkt *p);

/* fastpath_wk.c: what a worker thread calls (workers.c). */
void fp_wk_init(struct fp_wk *w, struct fastpath *fp, int slot, int idx, int ifidx, size_t vnet);
/*
 * A frame off the worker's ring: the fast path takes it, or hands it to
 * punt (as it came, or decapsulated with vh NULL and PKT_F_FP_DECAP set).
 */
void fp_wk_frame(struct fp_wk *w, const struct fp_tab *t, struct pkt *p, const uint8_t *vh,
		 void (*punt)(void *arg, struct pkt *p, const uint8_t *vh), void *arg);
void fp_wk_flush(struct fp_wk *w);
/* Encapsulates and sends what waits, one SA at a time under its txlock; first at a batch's end. */
void fp_enc_flush(struct fp_wk *w, const struct fp_tab *t);
/* Queues a frame (p->data its IPv4 header) for ifs[o] toward mac, behind vh (NULL: zeros). */
void fp_tx_queue(struct fp_wk *w, const struct fp_tab *t, int o, const uint8_t *mac, struct pkt *p,
		 const uint8_t *vh, unsigned segs);
/* fastpath_gro.c: a forwarded TCP segment for a host, merged into a super-frame when it can be. */
void fp_gro_add(struct fp_wk *w, const struct fp_tab *t, int o, const uint8_t *mac, struct pkt *p);
/* Sends the super-frame being built, if any. */
void fp_gro_flush(struct fp_wk *w, const struct fp_tab *t);

#endif
