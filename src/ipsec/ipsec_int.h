/*
 * Private to src/ipsec: the SADB's records, the per-flow state that `show
 * crypto ipsec sa` prints, and the packet transforms.  Tests and tools
 * include it to drive the data path in-process.
 */
#ifndef SPIGOT_IPSEC_INT_H
#define SPIGOT_IPSEC_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/evloop.h"
#include "core/log.h"
#include "core/pkt.h"
#include "core/wire.h"
#include "crypto/cipher.h"
#include "crypto/integ.h"
#include "ipsec/replay.h"
#include "ipsec/seqno.h"
#include "ipsec/sadb.h"
#include "config/transform.h"
#include "net/inet.h"

struct iface;

#define ESP_HDR_LEN 8
#define AH_HDR_LEN 12		/* without the ICV */
/* wire.h's UDP_HLEN and IP_HLEN under their older names, for spd.c and sadb.c. */
#define UDP_HDR_LEN UDP_HLEN
#define IP_HDR_LEN IP_HLEN
#define OUTER_TTL 255
#define HOLD_QUEUE_MAX 8
#define ACQUIRE_INTERVAL_MS 1000
#define SADB_HASH_SIZE 1024	/* power of two */
#define SPI_RESERVED_MAX 256
#define CONN_ID_BASE 5120	/* IOS numbers the first SA 5121 */
#define SOFT_PERCENT 90		/* IOS rekeys at ~90% of a lifetime */
#define INV_SPI_RL_SLOTS 64

/* Why a packet was dropped; each maps onto a counter. */
enum ipsec_drop {
	DROP_NONE = 0,
	DROP_INVALID_LEN,	/* truncated or inconsistent lengths */
	DROP_REPLAY,
	DROP_AUTH,		/* ICV mismatch */
	DROP_BAD_PAD,
	DROP_INVALID_PROT,	/* next header not IPv4 / bundle mismatch */
	DROP_ROLLOVER,		/* sequence number would wrap */
	DROP_NO_ROOM,		/* no head/tailroom (internal) */
	DROP_INTERNAL,		/* crypto library failure */
};

/* One flow's counters, the `show crypto ipsec sa` block. */
struct ipsec_counters {
	uint64_t encaps, encrypt, digest;
	uint64_t decaps, decrypt, verify;
	uint64_t send_errors, recv_errors;
	/* detail */
	uint64_t no_sa_send, invalid_sa_rcv;
	uint64_t encaps_failed, decaps_failed;
	uint64_t invalid_prot, verify_failed;
	uint64_t invalid_identity, invalid_len;
	uint64_t rollover_send, rollover_rcv;
	uint64_t replay_failed;
	uint64_t internal_send, internal_recv;
	uint64_t bad_pad, held, hold_overflow;
	uint64_t too_big, prefrag, cleartext;
};

/* Drops with no flow to charge them to. */
struct ipsec_global_counters {
	uint64_t inv_spi_esp, inv_spi_ah;
	uint64_t malformed_esp, malformed_ah;
	uint64_t not_ipsec;		/* handed to ipsec_input with another protocol */
	uint64_t cleartext;
	uint64_t no_route;
	uint64_t install_failed;
	uint64_t wrong_dst;		/* ESP/AH to an address its SPI (or any SA) does not use */
	uint64_t state_refused;		/* illegal bundle state change refused (a bug caught) */
};

struct ipsec_bundle;

/* What one thread needs of its own to run an SA: EVP contexts are not shareable. */
struct ipsec_sa_cx {
	struct crypto_cipher cipher;
	struct crypto_integ integ;
	uint8_t ivpool[256];		/* CBC IVs drawn from the DRBG in bulk */
	size_t ivpool_off;
};

#define IPSEC_DROP_KINDS (DROP_INTERNAL + 1)

/*
 * One data-plane worker's own state for one SA (fastpath.c): its contexts,
 * built by the worker itself from sa->keys on first use, and its counts,
 * which only it writes and the control thread folds into the SA's flow
 * (ipsec_fp_fold) on its tick and before every command.
 */
struct ipsec_sa_wk {
	struct ipsec_sa_cx cx;
	bool ok;			/* contexts built (false: the worker punts this SA) */
	atomic_ullong pkts, bytes;	/* encapsulated, or decapsulated and let through */
	atomic_ullong drops[IPSEC_DROP_KINDS + 1];	/* + 1: IPSEC_WK_DROP_IDENT */
	uint64_t f_pkts, f_bytes, f_drops[IPSEC_DROP_KINDS + 1];	/* control: folded so far */
};

struct ipsec_sa {
	struct ipsec_sa *hnext;		/* inbound hash chain */
	struct ipsec_bundle *b;
	bool used;
	bool inbound;
	uint8_t proto;			/* 50 / 51 */
	uint32_t spi;
	uint32_t conn_id, flow_id;
	const struct xf_alg *enc;	/* ESP cipher (NULL: none) */
	const struct xf_alg *auth;	/* ESP authenticator or the AH algorithm */
	struct ipsec_sa_cx cx;		/* the control thread's */
	bool has_cipher;
	bool has_integ;
	uint8_t salt[4];		/* GCM (RFC 4106) */
	/*
	 * With data-plane workers only: the keys, for each worker to build its
	 * own contexts from, and one slot per worker (QSBR slot) for them.
	 */
	struct sadb_sa_keys *keys;
	_Atomic(struct ipsec_sa_wk *) *wk;
	/*
	 * Outbound, with workers: held by a worker from reserving sequence
	 * numbers to handing the packets to the kernel, so that they leave in
	 * sequence order and a peer's replay window (IOS: 64) never sees one
	 * SA's packets reordered by two cores.
	 */
	pthread_mutex_t txlock;
	bool has_txlock;
	ipsec_seq_t seq;		/* outbound: last sequence number sent (seqno.h) */
	struct replay_window rw;	/* inbound */
	bool no_replay;			/* manual keys: IOS turns replay detection off */
	uint64_t bytes, pkts;
};

struct ipsec_flowrec;

/*
 * A bundle's life (the SA states of PF_KEY, RFC 2367 §2.1):
 *   LARVAL -> MATURE           sadb_install has built it and put it in the tables
 *   MATURE -> DYING            soft lifetime (time, bytes or sequence numbers):
 *                              the key manager was asked for a rekey; still carries traffic
 *   MATURE | DYING -> DEAD     hard byte lifetime: carries nothing more and is
 *                              deleted from its timer, after the packet in hand
 * Hard time expiry, `clear`, DELETE and the like free a bundle in any state
 * (sadb_bundle_delete).  Changed only by sadb_bundle_set_state().
 */
enum sadb_bundle_state { BUNDLE_LARVAL = 0, BUNDLE_MATURE, BUNDLE_DYING, BUNDLE_DEAD };

struct ipsec_bundle {
	struct ipsec_bundle *next;	/* every bundle */
	struct ipsec_bundle *fnext;	/* the flow's bundles, newest first */
	struct ipsec_flowrec *fr;
	struct router *r;
	int id;
	char cmap_name[CFG_NAME_MAX];
	struct sadb_bundle_spec spec;	/* keys kept only for manual bundles */
	struct ipsec_sa ah_in, ah_out, esp_in, esp_out;
	uint64_t created_ms;
	uint32_t life_sec, life_kb;	/* 0: none (manual) */
	enum sadb_bundle_state state;	/* only through sadb_bundle_set_state() */
	struct ev_timer timer;
	size_t overhead_fixed;		/* outer bytes besides ESP padding */
	size_t esp_block;		/* ESP padding alignment (0: no ESP) */
};

/* A protected flow: one permit line of one crypto map entry (IOS per-ACE SAs). */
struct ipsec_flowrec {
	struct ipsec_flowrec *next;
	char cmap[CFG_NAME_MAX];
	int seq;
	int ace;			/* index in the ACL; -1 for a flow IKE installed */
	struct ipsec_flow flow;
	uint32_t peer;			/* the entry's first `set peer` */
	struct ipsec_counters c;
	struct pkt_queue held;
	uint64_t last_acquire_ms;
	struct ipsec_bundle *bundles;
	bool keep;			/* config rebuild mark */
	bool closing;			/* being freed: deleting its bundles must not free it again */
};

struct inv_spi_rl {
	uint32_t peer;
	struct log_rl rl;
};

/* How encapsulated packets leave and decapsulated ones come back in; tests replace them. */
typedef int (*ipsec_output_fn)(struct router *r, struct iface *out_if, struct pkt *p,
			       uint32_t peer);
typedef void (*ipsec_deliver_fn)(struct router *r, struct pkt *p);

struct ipsec_state {
	struct router *r;
	struct ipsec_sa *hash[SADB_HASH_SIZE];
	uint32_t hash_seed;
	struct ipsec_bundle *bundles;
	struct ipsec_flowrec *flows;
	struct {
		uint8_t proto;
		uint32_t spi;
	} resv[SPI_RESERVED_MAX];
	size_t nresv;
	uint32_t next_conn_id, next_flow_id;
	int next_bundle_id;
	const struct sadb_km_ops *km;
	struct crypto_legacy legacy;
	bool des_warned;
	struct ipsec_global_counters g;
	struct inv_spi_rl inv_rl[INV_SPI_RL_SLOTS];
	struct log_rl inv_rl_all;	/* all sources together: random ones share it */
	struct log_rl rl_drop, rl_clear, rl_install, rl_policy, rl_state;
	/* The workers' drops, folded (fp_ipsec.c): a line a second per reason. */
	struct log_rl rl_wk[IPSEC_DROP_KINDS + 1];
	ipsec_output_fn output;
	ipsec_deliver_fn deliver;
	struct ipsec_bundle *pending_free;	/* deleted while a packet was in flight */
};

/* esp.c / ah.c: p->data is the inner packet on encap, the ESP header (or
 * outer IPv4 header for AH) on decap. */
enum ipsec_drop esp_encap(struct ipsec_sa *sa, struct pkt *p);
enum ipsec_drop esp_decap(struct ipsec_sa *sa, struct pkt *p, uint8_t *next_hdr);
/* The same with a thread's own contexts (a worker's, fastpath). */
enum ipsec_drop esp_encap_cx(struct ipsec_sa *sa, struct ipsec_sa_cx *cx, struct pkt *p);
enum ipsec_drop esp_decap_cx(struct ipsec_sa *sa, struct ipsec_sa_cx *cx, struct pkt *p,
			     uint8_t *next_hdr);
/* Builds cx for sa from k (inbound: decrypting); frees what it built on failure. */
int ipsec_sa_cx_init(const struct ipsec_sa *sa, struct ipsec_sa_cx *cx, const struct sadb_sa_keys *k);
void ipsec_sa_cx_free(const struct ipsec_sa *sa, struct ipsec_sa_cx *cx);
/* Pushes AH (next header nh) and the outer IPv4 header, then signs. */
enum ipsec_drop ah_encap(struct ipsec_sa *sa, struct pkt *p, uint8_t nh, uint32_t src,
			 uint32_t dst, uint8_t tos, bool df, uint16_t id);
/* p->data: outer IPv4 header (no options).  Strips IPv4 + AH on success. */
enum ipsec_drop ah_decap(struct ipsec_sa *sa, struct pkt *p, uint8_t *next_hdr);
/* Peeks the SPI of an ESP (at off) or AH packet; false when too short. */
bool esp_peek_spi(const struct pkt *p, size_t off, uint32_t *spi);
bool ah_peek_spi(const struct pkt *p, size_t off, uint32_t *spi);
void ipsec_ip_header(uint8_t *h, size_t total, uint8_t tos, bool df, uint16_t id, uint8_t ttl,
		     uint8_t proto, uint32_t src, uint32_t dst);
/* spd.c's name for inet_cksum (RFC 1071, net/inet.h), until its rework lands. */
static inline uint16_t ipsec_csum(const uint8_t *p, size_t n) { return inet_cksum(p, n); }

/* sa.c */
int ipsec_sa_setup(struct ipsec_state *st, struct ipsec_sa *sa, uint8_t proto, bool inbound,
		   const struct cfg_transform_set *xf, const struct sadb_sa_keys *k,
		   uint32_t replay_window);
void ipsec_sa_clear(struct ipsec_sa *sa);
/* Whole-bundle transforms: p->data inner packet -> outer IPv4 packet. */
enum ipsec_drop ipsec_encap_bundle(struct ipsec_bundle *b, struct pkt *p, uint16_t ip_id);
/* The largest inner packet whose encapsulation fits mtu. */
size_t ipsec_bundle_max_inner(const struct ipsec_bundle *b, uint32_t mtu);
/* The same from a bundle's fixed outer bytes and ESP padding block (0: no ESP). */
size_t ipsec_max_inner(size_t overhead_fixed, size_t esp_block, uint32_t mtu);

/* sadb.c */
struct ipsec_sa *sadb_lookup_in(struct ipsec_state *st, uint32_t dst, uint8_t proto,
				uint32_t spi);
struct ipsec_flowrec *ipsec_flow_for_spec(struct ipsec_state *st,
					  const struct sadb_bundle_spec *spec);
void sadb_bundle_delete(struct ipsec_state *st, struct ipsec_bundle *b,
			enum sadb_del_reason why);
/* Per-packet lifetime accounting: bytes through sa; may soft-expire or kill b. */
void sadb_account(struct ipsec_state *st, struct ipsec_sa *sa, size_t bytes);
void sadb_account_n(struct ipsec_state *st, struct ipsec_sa *sa, uint64_t pkts, uint64_t bytes);
void sadb_reap(struct ipsec_state *st);
struct ipsec_bundle *ipsec_flow_out_bundle(struct ipsec_flowrec *fr);
const char *sadb_reason_text(enum sadb_del_reason why);
const char *sadb_bundle_state_name(enum sadb_bundle_state s);
bool sadb_bundle_stateok(enum sadb_bundle_state from, enum sadb_bundle_state to);
/* The only place a bundle changes state: an illegal change is refused, logged, counted. */
bool sadb_bundle_set_state(struct ipsec_state *st, struct ipsec_bundle *b,
			   enum sadb_bundle_state to);
static inline bool sadb_bundle_dead(const struct ipsec_bundle *b) { return b->state == BUNDLE_DEAD; }

/* input.c: the decapsulated packet p must be what flow f allows, remote -> local. */
enum ipsec_drop ipsec_inner_check(const struct ipsec_flow *f, const struct pkt *p, bool *ident);
/* The worker's drop index for an inner packet its flow does not allow. */
#define IPSEC_WK_DROP_IDENT IPSEC_DROP_KINDS

/* fp_ipsec.c: a bundle's data-plane workers' counts into its flow (and lifetimes). */
void ipsec_fp_fold_bundle(struct ipsec_state *st, struct ipsec_bundle *b, bool lifetimes);

/* spd.c */
void ipsec_flows_rebuild(struct ipsec_state *st);
void ipsec_flow_flush(struct ipsec_state *st, struct ipsec_flowrec *fr);
void ipsec_send_bundle(struct ipsec_state *st, struct ipsec_bundle *b, struct pkt *p,
		       struct iface *out_if);
void ipsec_count_drop(struct ipsec_counters *c, enum ipsec_drop d, bool inbound);
bool ipsec_flow_contains(const struct ipsec_flow *f, uint32_t local, uint32_t remote,
			 uint8_t proto, uint16_t lport, uint16_t rport);

/* manual.c */
void ipsec_manual_sync(struct ipsec_state *st);

/* Is addr the local crypto endpoint of a map (an interface carrying one)? */
bool ipsec_is_endpoint(const struct router *r, const char *map, uint32_t addr);
/* A live inbound SA with this SPI, whatever its destination. */
struct ipsec_sa *sadb_lookup_spi(struct ipsec_state *st, uint8_t proto, uint32_t spi);

/* show.c: the show/clear bodies, callable without the command tree. */
enum ipsec_show_filter { SHOW_ALL = 0, SHOW_IFACE, SHOW_PEER, SHOW_MAP };
void ipsec_show_sa(struct router *r, struct strbuf *out, enum ipsec_show_filter f,
		   const char *name, uint32_t peer, bool detail);
void ipsec_show_tsets(struct router *r, struct strbuf *out, const char *tag);
void ipsec_show_map(struct router *r, struct strbuf *out, const char *tag);
/* clear crypto sa: returns bundles deleted. */
int ipsec_clear_sa(struct router *r, enum ipsec_show_filter f, const char *map, uint32_t addr,
		   uint8_t proto, uint32_t spi, bool counters);

/* Test hooks. */
void ipsec_set_output(struct router *r, ipsec_output_fn fn);
void ipsec_set_deliver(struct router *r, ipsec_deliver_fn fn);

#endif
