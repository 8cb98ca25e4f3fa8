/*
 * IKEv1 internals shared by the files of src/ike (and the exchange tests).
 * One struct ike_state per router; IKE SAs in a list; each Quick Mode or
 * Informational exchange hangs off its IKE SA, keyed by message ID.
 *
 * Lifetime rule: nothing is freed while a message is being processed.  An
 * SA or exchange that goes away is marked (deleted / done) and freed later
 * by its reap timer, so a Delete that removes the IKE SA carrying it can
 * not leave a dangling pointer (cf. Libreswan CVE-2023-38712).
 */
#ifndef SPIGOT_IKE_INT_H
#define SPIGOT_IKE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/evloop.h"
#include "core/ipfmt.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/wire.h"
#include "crypto/dh.h"
#include "crypto/prf.h"
#include "ike/ike.h"
#include "ike/isakmp.h"
#include "ipsec/sadb.h"

struct router;

/*
 * IOS state names, as `show crypto isakmp sa` prints them, plus the end
 * state: a deleted SA (shown as MM_NO_STATE, "(deleted)") waits for its
 * reap timer.  QM_IDLE is "established"; before it, phase 1 is under way.
 * The only change of state is ike_set_state(), which refuses what
 * ike_sa_stateok() does not allow:
 *
 *   MM_NO_STATE -> MM_SA_SETUP -> MM_KEY_EXCH -> MM_KEY_AUTH -> QM_IDLE
 *   any state -> IKE_SA_DELETED (final)
 */
enum ike_sa_state { MM_NO_STATE = 0, MM_SA_SETUP, MM_KEY_EXCH, MM_KEY_AUTH, QM_IDLE, IKE_SA_DELETED };
const char *ike_state_name(enum ike_sa_state s);
bool ike_sa_stateok(enum ike_sa_state from, enum ike_sa_state to);

#define IKE_NONCE_LEN 20
#define IKE_MAX_NONCE 256
#define IKE_MAX_BLOCK 16
#define IKE_MAX_KEY 32
#define IKE_MAX_PENDING 64	/* flows waiting for phase 1 */
/*
 * Half-open responder SAs (MM1 answered, phase 1 not done) are made by
 * unauthenticated packets, so they are limited globally and per source
 * address, the oldest one still waiting for MM3 is evicted before a new MM1
 * is refused, and one that gets no valid MM3 goes after IKE_HALF_OPEN_MS.
 * The timeout covers the initiator's first two MM1 retransmissions (2 s and
 * 4 s at IOS's pace) yet frees a slot within seconds, so a flood of spoofed
 * MM1s can not starve a real peer or a recovery (issue 9, finding 5).  A
 * retransmitted MM1 arriving later simply opens a fresh half-open SA.
 */
#define IKE_MAX_HALF_OPEN 64		/* responder SAs still negotiating, in all */
#define IKE_MAX_HALF_OPEN_PER_SRC 4	/* ... from one source address */
#define IKE_HALF_OPEN_MS 8000		/* without a valid MM3 */
/* IOS's retransmission pace, IKEv1 and IKEv2 alike: 2 s, doubling, 5 tries. */
#define IKE_RTX_BASE_MS 2000
#define IKE_RTX_TRIES 5
#define NATT_AH_REPLACE_MS 60000	/* natt_ah_dead_end: an IKE SA's age before it is replaced */
/* Unprotected notifies (NO-PROPOSAL-CHOSEN) answer unauthenticated MM1s:
 * at most this many per window, the rest counted, so we are no reflector. */
#define IKE_UNAUTH_NOTIFY_BURST 10
#define IKE_UNAUTH_NOTIFY_WINDOW_MS 1000
/* Message IDs remembered per IKE SA (msgid.c): replaced at 7/8 of this. */
#define IKE_MAX_MSGIDS 16384
#define IKE_MSGID_GRACE_MS 30000	/* a retired IKE SA is deleted after this */
#define IKE_MAX_KNOWN_PEERS 256
#define IKE_MAX_RECORDS 256	/* bundles we installed */

/* A datagram we may have to send again. */
struct ike_msgbuf {
	uint8_t *p;
	size_t len;
};

/*
 * A Quick Mode exchange: QM_NEW until its first message is sent, then
 *   initiator  QM_NEW -> QM_I_WAIT2 (QM1 sent) -> QM_DONE | QM_FAILED
 *   responder  QM_NEW -> QM_R_WAIT3 (QM2 sent) -> QM_DONE | QM_FAILED
 *              QM_NEW -> QM_FAILED (QM1 refused)
 * QM_DONE and QM_FAILED are final (the exchange is kept to recognise
 * duplicates until its reap timer).  Changed only by qm_set_state().
 */
enum qm_state { QM_NEW = 0, QM_I_WAIT2, QM_R_WAIT3, QM_DONE, QM_FAILED };

/* One Quick Mode exchange. */
struct ike_qm {
	struct ike_qm *next;
	struct ike_sa *sa;
	uint32_t msgid;
	bool initiator;
	enum qm_state state;		/* only through qm_set_state() */
	uint8_t iv[IKE_MAX_BLOCK];
	char cmap_name[CFG_NAME_MAX];
	int cmap_seq;
	struct ipsec_flow flow;
	struct cfg_transform_set xf;	/* chosen */
	struct cfg_transform_set offered[6];
	size_t noffered;
	bool has_ah, has_esp;
	uint32_t ah_spi_in, esp_spi_in, ah_spi_out, esp_spi_out;
	bool spis_owned;		/* inbound SPIs reserved, not yet installed */
	uint8_t ni[IKE_MAX_NONCE], nr[IKE_MAX_NONCE];
	size_t nilen, nrlen;
	int pfs_group;
	struct dh *dh;
	uint8_t gxy[DH_MAX_PUB];
	size_t gxylen;
	uint32_t life_sec, life_kb;
	bool had_ids;
	int bundle_id;			/* installed bundle, 0 if none */
	int rekey_of;			/* bundle being replaced, 0 if none */
	struct ike_msgbuf last_sent, last_rcvd;
	struct ev_timer rtx;
	int tries;
	uint32_t rtx_ms;
	uint64_t first_sent_ms;	/* when the message now retransmitted first left */
	struct ev_timer reap;
};

struct ike_sa {
	struct ike_sa *next;
	struct ike_state *ike;
	uint32_t conn_id;
	bool initiator;
	enum ike_sa_state state;	/* only through ike_set_state() */
	const char *del_reason;
	uint32_t local, peer;
	uint16_t peer_port;
	uint8_t icookie[8], rcookie[8];
	uint64_t created_ms, established_ms;

	/* negotiated policy */
	struct cfg_isakmp_policy pol;
	size_t keylen, blocklen, hlen;

	uint8_t psk[CFG_KEY_MAX];
	size_t psklen;
	struct dh *dh;
	uint8_t gxi[DH_MAX_PUB], gxr[DH_MAX_PUB];
	size_t gxlen;
	uint8_t gxy[DH_MAX_PUB];
	size_t gxylen;
	uint8_t ni[IKE_MAX_NONCE], nr[IKE_MAX_NONCE];
	size_t nilen, nrlen;
	uint8_t *sai_b;			/* the initiator's SA body (HASH_I/R) */
	size_t sai_len;
	uint8_t skeyid[PRF_MAX_LEN], skeyid_d[PRF_MAX_LEN], skeyid_a[PRF_MAX_LEN],
		skeyid_e[PRF_MAX_LEN];
	uint8_t enckey[IKE_MAX_KEY];
	uint8_t iv[IKE_MAX_BLOCK];	/* phase-1 CBC chain; after MM6 its last block */

	struct ike_msgbuf last_sent, last_rcvd;
	struct ev_timer rtx;
	int tries;
	uint32_t rtx_ms;
	uint16_t rx_sport, rx_dport;	/* ports of the message being processed */
	struct ev_timer life;		/* hard expiry, or the negotiation deadline */
	struct ev_timer soft;		/* phase-1 replacement */
	struct ev_timer reap;

	bool peer_dpd, peer_natt;
	/* NAT traversal (natt.c, RFC 3947) */
	bool natt_draft;		/* the peer announced only a draft: NAT-D 130, encap 61443 */
	bool natt_used;			/* NAT-D payloads were exchanged */
	bool nat_local, nat_peer;	/* we / the peer sit behind a NAT (NAT-D mismatch) */
	bool floated;			/* IKE moved to UDP 4500 (non-ESP marker) */
	struct ev_timer natka;		/* NAT keepalives */
	uint64_t last_tx_ms;
	bool ic_sent, ic_rcvd;
	struct ev_timer dpd;
	uint32_t dpd_seq;
	bool dpd_waiting;
	int dpd_tries;
	uint64_t last_rx_ms;

	struct ike_qm *qms;
	/* Every message ID of this SA, sorted (msgid.c): a reused one is refused. */
	uint32_t *msgids;
	size_t nmsgids, msgids_alloc;
	bool msgid_retiring;		/* soft limit reached: being replaced */
};

static inline bool ike_sa_deleted(const struct ike_sa *sa) { return sa->state == IKE_SA_DELETED; }
static inline bool ike_sa_established(const struct ike_sa *sa) { return sa->state == QM_IDLE; }

/* A flow waiting for phase 1 with a peer. */
struct ike_pending {
	bool used;
	char cmap_name[CFG_NAME_MAX];
	int cmap_seq;
	struct ipsec_flow flow;
	uint32_t local, peer;
	size_t peer_idx;
	int rekey_of;
};

/* A bundle we installed (our own record; the SADB is the authority). */
struct ike_record {
	bool used;
	int id;
	char cmap_name[CFG_NAME_MAX];
	int cmap_seq;
	struct ipsec_flow flow;
	uint32_t local, peer;
	bool has_ah, has_esp;
	uint32_t ah_spi_in, ah_spi_out, esp_spi_in, esp_spi_out;
	struct cfg_transform_set xf;
	uint32_t life_sec, life_kb;
	uint32_t ike_conn_id;
	bool initiator;
	bool rekeyed;
	bool udp_encap;			/* ESP in UDP 4500 (NAT-T) */
	uint16_t peer_port;
	uint64_t installed_ms;
	/* Truncated SHA-1 of the keys (ah in, ah out, esp in, esp out), so tests
	 * can check both ends derived the same KEYMAT without keeping keys. */
	uint32_t key_fp[4];
};

/* Phase-1 waiters (ike_initiate_phase1). */
struct ike_waiter {
	struct ike_waiter *next;
	struct ike_state *ike;
	uint32_t peer;
	ike_ready_fn fn;
	void *arg;
	bool fire, ok;
	struct ev_timer t;
};

struct ike_stats {
	uint64_t rx, tx;
	uint64_t malformed, unknown_cookies, bad_hash, decrypt_fail, bad_peer;
	uint64_t retransmits, rtx_exhausted, duplicates;
	uint64_t p2_death;	/* IKE SAs deleted: silent through a whole Quick Mode */
	uint64_t no_proposal, no_psk, unprotected_ignored, unsupported;
	uint64_t half_open_drop, acquire_dup, pending_full, pending_stale, send_fail;
	uint64_t p1_ok, p1_fail, p2_ok, p2_fail;
	uint64_t deletes_rx, deletes_tx, notifies_rx, notifies_tx;
	uint64_t invalid_spi_rx, invalid_spi_tx, initial_contact_rx;
	uint64_t dpd_tx, dpd_ack_rx, dpd_rx, dpd_dead;
	uint64_t installs, install_fail, rekeys;
	uint64_t nat_detected, floats, natka_tx, natka_rx, natt_ah_refused, bad_4500;
	uint64_t natt_ah_replaced;	/* IKE SAs replaced: NAT left no transform set (natt_ah_dead_end) */
	uint64_t dup_dropped;		/* duplicates of non-requests: not answered */
	uint64_t msgid_reuse, msgid_full, msgid_rekeys;
	uint64_t half_open_evict, half_open_expired;
	uint64_t unauth_notify_limited;	/* NO-PROPOSAL-CHOSEN not sent (rate limit) */
	uint64_t record_full;		/* bundle refused: no room to track it */
	uint64_t state_refused;		/* illegal state changes refused (a bug if not 0) */
};

typedef int (*ike_xmit_fn)(struct router *r, uint32_t src, uint16_t sport, uint32_t dst,
			   uint16_t dport, const uint8_t *data, size_t len);

struct ike_state {
	struct router *r;
	ike_xmit_fn xmit;
	struct ike_sa *sas;
	uint32_t next_conn_id;
	int next_record_id;

	/* Tunables (tests shorten them). */
	uint32_t rtx_base_ms;		/* first retransmit after this, doubling */
	int rtx_tries;			/* IOS: 5 */
	uint32_t deleted_keep_ms;	/* how long "(deleted)" rows stay */
	uint32_t qm_keep_ms;		/* finished exchanges kept to answer duplicates */
	uint32_t dpd_max_tries;
	size_t msgid_cap;		/* IKE_MAX_MSGIDS */
	int ho_max, ho_per_src;		/* IKE_MAX_HALF_OPEN, IKE_MAX_HALF_OPEN_PER_SRC */
	uint32_t ho_ms;			/* IKE_HALF_OPEN_MS */
	/* Tests: our NAT-D hashes claim another address, as a NAT in front of
	 * us would make them look (strongSwan's libipsec fakes it the same way). */
	bool natt_force;

	struct ike_stats st;
	/* Rate limits per kind of log line, so one flood can not hide another. */
	struct log_rl rl, rl_auth, rl_fail, rl_cfg;
	struct log_rl unauth_notify;	/* the NO-PROPOSAL-CHOSEN limiter itself */

	struct ike_pending pending[IKE_MAX_PENDING];
	struct ike_record rec[IKE_MAX_RECORDS];
	uint32_t known_peers[IKE_MAX_KNOWN_PEERS];
	size_t nknown;
	struct ike_waiter *waiters;

	void *legacy;			/* OSSL_PROVIDER for single DES */

	struct ike2_glue *v2;		/* the IKEv2 engine on this router (ike2_glue.c) */
	uint32_t test_v2_life_ms;	/* test aid (SPIGOT_TEST_IKEV2_LIFE_MS): IKE SA lifetime, 0: the profile's */

	/* The last authenticated INVALID-SPI notify (for tests and show). */
	uint32_t isn_peer;
	uint8_t isn_proto;
	uint32_t isn_spi;
};

/* ike.c */
bool ike_set_state(struct ike_sa *sa, enum ike_sa_state s);	/* false: refused */
struct ike_sa *ike_sa_new(struct ike_state *ike, bool initiator, uint32_t local, uint32_t peer,
			  uint16_t peer_port);
void ike_sa_delete(struct ike_sa *sa, const char *reason);
void ike_sa_arm_deadline(struct ike_sa *sa);	/* the whole negotiation's deadline */
struct ike_sa *ike_sa_find_peer(struct ike_state *ike, uint32_t peer);	/* newest QM_IDLE */
struct ike_sa *ike_sa_negotiating(struct ike_state *ike, uint32_t peer);	/* initiator under way */
/* An IKE SA with peer is up (ok) or failed: runs ike_initiate_phase1's waiters (IKEv2 glue). */
void ike_phase1_result(struct ike_state *ike, uint32_t peer, bool ok);
struct ike_sa *ike_sa_by_conn(struct ike_state *ike, uint32_t conn_id);
int ike_send(struct ike_sa *sa, const uint8_t *msg, size_t len);
void ike_msgbuf_set(struct ike_msgbuf *b, const uint8_t *p, size_t len);
void ike_msgbuf_free(struct ike_msgbuf *b);
bool ike_msgbuf_eq(const struct ike_msgbuf *b, const uint8_t *p, size_t len);
/* Stores msg as the SA's last message and (re)starts its retransmit timer. */
void ike_sa_send_rtx(struct ike_sa *sa, const uint8_t *msg, size_t len, bool retransmit);
void ike_sa_stop_rtx(struct ike_sa *sa);
void ike_established(struct ike_sa *sa);
void ike_p1_failed(struct ike_sa *sa, const char *why);
bool ike_first_contact(struct ike_state *ike, uint32_t peer);
void ike_mark_contact(struct ike_state *ike, uint32_t peer);
void ike_drop(struct ike_state *ike, uint64_t *counter, uint32_t peer, const char *why);
void ike_state_refused(struct ike_state *ike, const char *what, const char *from, const char *to);
void ike_drop_log(struct ike_state *ike, uint32_t peer, const char *why);
bool ike_dbg(const struct ike_state *ike);
bool ike_dbg_ipsec(const struct ike_state *ike);
void ike_start_pending(struct ike_state *ike, struct ike_sa *sa);	/* acquire.c */
/* Phase 1 with failed_peer failed: its waiting flows try the entry's next peer. */
void ike_pending_next_peer(struct ike_state *ike, uint32_t failed_peer);
void ike_random(void *p, size_t n);
uint32_t ike_local_for_peer(struct router *r, uint32_t peer);

/* crypt.c: keys, IVs, encryption */
int ike_derive_p1(struct ike_sa *sa);
int ike_encrypt_msg(struct ike_sa *sa, uint8_t *iv, uint8_t *msg, size_t len, size_t cap);
int ike_decrypt_msg(struct ike_sa *sa, uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out,
		    struct isakmp_msg *m, const char **why);
void ike_p2_iv(struct ike_sa *sa, uint32_t msgid, uint8_t *iv);
int ike_keymat(struct ike_sa *sa, const uint8_t *gxy, size_t gxylen, uint8_t proto,
	       uint32_t spi, const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
	       uint8_t *out, size_t outlen);
int ike_hash_p2(struct ike_sa *sa, bool zero, uint32_t msgid, const uint8_t *a, size_t alen,
		const uint8_t *b, size_t blen, const uint8_t *c, size_t clen, uint8_t *out);
size_t ike_cipher_keylen(const struct cfg_isakmp_policy *pol);
size_t ike_cipher_block(enum cfg_ike_enc enc);
void ike_sa_wipe(struct ike_sa *sa);
void ike_crypt_free(struct ike_state *ike);

/* show.c */
void ike_show_sa(struct router *r, struct strbuf *out, bool detail);
void ike_show_policy(struct router *r, struct strbuf *out);
void ike_show_session(struct router *r, struct strbuf *out, bool detail);
void ike_show_stats(struct router *r, struct strbuf *out);
int ike_clear(struct router *r, uint32_t conn_id);
/* The key-manager hooks IKE registers with the SADB (tests call them directly). */
const struct sadb_km_ops *ike_km_ops(void);

/* mainmode.c */
int mm_start(struct ike_state *ike, uint32_t local, uint32_t peer);
void mm_input(struct ike_sa *sa, const uint8_t *buf, size_t len, const struct isakmp_hdr *h);
enum ike_ho_verdict { HO_ADMIT, HO_EVICT_SRC, HO_EVICT_OLDEST, HO_REFUSE };
/* Makes room for a new half-open responder SA from src (evicting if need be). */
enum ike_ho_verdict mm_half_open_admit(struct ike_state *ike, uint32_t src);
struct ike_sa *mm_respond(struct ike_state *ike, uint32_t local, uint32_t peer, uint16_t port,
			  const uint8_t *buf, size_t len, const struct isakmp_hdr *h);

/* quickmode.c */
int qm_start(struct ike_sa *sa, const struct cfg_cmap_entry *e, const struct ipsec_flow *flow,
	     int rekey_of);
void qm_input(struct ike_sa *sa, const uint8_t *buf, size_t len, const struct isakmp_hdr *h);
void qm_free(struct ike_qm *q);
bool qm_set_state(struct ike_qm *q, enum qm_state s);	/* false: refused */
bool qm_stateok(enum qm_state from, enum qm_state to);
const char *qm_state_name(enum qm_state s);
bool qm_flow_busy(struct ike_state *ike, uint32_t peer, const struct ipsec_flow *flow);
int ike_record_add(struct ike_state *ike, const struct ike_record *rec);
struct ike_record *ike_record_by_id(struct ike_state *ike, int id);
void ike_record_del_spi(struct ike_state *ike, uint32_t peer, uint8_t ipproto, uint32_t spi,
			bool inbound);
const char *ike_xf_name(const struct cfg_transform_set *xf, bool ah, char *buf, size_t n);
/* Installs a negotiated bundle and records it (Quick Mode and IKEv2 Child SAs). */
int ike_install_bundle(struct ike_state *ike, const struct sadb_bundle_spec *spec,
		       struct ike_record *rec);
/* Truncated SHA-1 of key material, for ike_record.key_fp. */
void ike_key_fingerprint(const uint8_t *k, size_t n, uint32_t *fp);

/* natt.c: NAT traversal (RFC 3947 / RFC 3948) */
void natt_scan_vid(struct ike_sa *sa, const uint8_t *vid, size_t len);
void natt_put_vids(struct ike_state *ike, struct isakmp_wr *w);
/* Adds NAT-D payloads to MM3/MM4 when both sides announced NAT-T. */
void natt_put_natd(struct ike_sa *sa, struct isakmp_wr *w);
/* Checks the peer's NAT-D payloads (MM3/MM4); false when malformed. */
bool natt_check_natd(struct ike_sa *sa, const struct isakmp_msg *m);
bool natt_payload_ok(uint8_t type);	/* NAT-D of either flavour */
bool natt_nat_detected(const struct ike_sa *sa);
void natt_float(struct ike_sa *sa);	/* initiator, after MM4 */
/* A message for sa arrived on (dport, sport): follow the peer's port. */
void natt_rx_port(struct ike_sa *sa, uint16_t dport, uint16_t sport);
/* The message being processed authenticated: its ports may now be followed. */
void natt_rx_authenticated(struct ike_sa *sa);
/* Quick Mode encapsulation mode to offer / accept. */
uint32_t natt_encap_mode(const struct ike_sa *sa, bool transport);
bool natt_encap_ok(const struct ike_sa *sa, bool transport, uint32_t encap);
bool natt_udp_encap(const struct ike_sa *sa);
/* AH can not cross a NAT: logs and counts when it refuses a transform set. */
bool natt_refuse_ah(struct ike_sa *sa, const struct cfg_transform_set *x);
void natt_ah_dead_end(struct ike_sa *sa);
void natt_keepalive_arm(struct ike_sa *sa);
void natt_keepalive_timer(void *arg);
/* Datagrams to UDP 4500 without a pkt (tests, and the IKE entry point). */
bool natt_4500_ike(struct ike_state *ike, uint32_t src, const uint8_t **data, size_t *len);
int natt_start(struct router *r);	/* binds UDP 4500 */

/* info.c */
void info_input(struct ike_sa *sa, const uint8_t *buf, size_t len, const struct isakmp_hdr *h);
int info_send(struct ike_sa *sa, const struct isakmp_notify *n, const struct isakmp_delete *d,
	      size_t nd);
void info_send_isakmp_delete(struct ike_sa *sa);
void info_count_unprotected(struct ike_state *ike, uint32_t peer, const uint8_t *buf, size_t len);
void info_send_unprotected_notify(struct ike_state *ike, uint32_t local, uint32_t peer,
				  uint16_t port, const struct isakmp_hdr *h, uint16_t type);
void dpd_arm(struct ike_sa *sa);
void dpd_timer(void *arg);
void ike_notify_received(struct ike_sa *sa, const struct isakmp_notify *n);
void ike_initial_contact(struct ike_sa *sa);
uint32_t new_msgid(struct ike_sa *sa);	/* 0 when the SA has no IDs left */

/* msgid.c */
bool ike_msgid_used(const struct ike_sa *sa, uint32_t id);
int ike_msgid_remember(struct ike_sa *sa, uint32_t id);	/* -1: store full (counted) */
void ike_msgid_free(struct ike_sa *sa);
bool ike_peer_in_use(struct ike_state *ike, uint32_t peer);


#endif
