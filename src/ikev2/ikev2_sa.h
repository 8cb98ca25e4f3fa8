/*
 * The IKEv2 exchange engine: IKE_SA_INIT and IKE_AUTH (RFC 7296 §1.2,
 * §2.15) with pre-shared keys, carrying the first Child SA.  The engine
 * knows nothing of the router: a host gives it datagrams, the peer's
 * configuration, SPIs, and takes the finished Child SAs (the router glue,
 * and the unit tests, are hosts).
 *
 * Shape, as in the IKEv1 code: one receive function per message, picked
 * by a table keyed by (exchange, response?, our role, state); one guarded
 * setter for the SA state; nothing in a message changes state before the
 * message has authenticated (IKE_SA_INIT is protected by what IKE_AUTH
 * proves later, so its receive functions only fill the half-open SA).
 */
#ifndef SPIGOT_IKEV2_SA_H
#define SPIGOT_IKEV2_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/dh.h"
#include "ikev2/ikev2_keys.h"
#include "ikev2/ikev2_msg.h"
#include "ikev2/ikev2_sk.h"

#define IKEV2_MAX_SUITES 8
#define IKEV2_NONCE_LEN 32		/* what we send: twice a 128-bit prf's key (§2.10) */
#define IKEV2_PSK_MAX 128
#define IKEV2_CHILD_KEY_MAX (36 + 64)	/* AES-256-GCM key+salt, or AES-256 + SHA-512 */

/* One IKE SA suite (IKEv2 transform IDs); integ 0 with an AEAD cipher. */
struct ikev2_suite {
	uint16_t encr, encr_bits, integ, prf, dh;
};

/* One Child SA suite (ESP). */
struct ikev2_child_suite {
	uint16_t encr, encr_bits, integ;
};

/* A traffic selector range, the unit narrowing works on. */
struct ikev2_range {
	uint8_t proto;
	uint16_t sport, eport;
	uint32_t saddr, eaddr;
};

/* What the host's configuration says for one peer. */
struct ikev2_peer_conf {
	struct ikev2_suite ike[IKEV2_MAX_SUITES];	/* preference order */
	size_t nike;
	struct ikev2_child_suite child[IKEV2_MAX_SUITES];
	size_t nchild;
	uint8_t psk_local[IKEV2_PSK_MAX], psk_remote[IKEV2_PSK_MAX];
	size_t psk_local_len, psk_remote_len;
	uint32_t id_local;		/* ID_IPV4_ADDR we send */
	uint32_t id_remote;		/* ID_IPV4_ADDR we require of the peer */
	struct ikev2_range local_ts, remote_ts;	/* what we protect, whom with */
	uint16_t pfs_group;		/* CREATE_CHILD_SA KE group (crypto map `set pfs`); 0 = none */
	/*
	 * Send N(INITIAL_CONTACT) in our IKE_AUTH request (§2.4): the host sets
	 * it when it has no other IKE SA with the peer (first contact, restart).
	 */
	bool initial_contact;
	/*
	 * NAT traversal (§2.23, ikev2_natt.c): NAT_DETECTION_* notifies in
	 * IKE_SA_INIT (IOS's `crypto ipsec nat-transparency udp-encapsulation`,
	 * on by default).  natt_fake: our SOURCE hash names another address, as
	 * strongSwan's `encap=yes` does, so the peer sees a NAT (test aid).
	 */
	bool natt, natt_fake;
	/*
	 * IOS's `crypto ikev2 fragmentation [mtu N]` (RFC 7383): 0 = off; else
	 * the IP MTU our encrypted messages must fit (IPv4 and UDP headers
	 * included).  Used only when both sides announced support.
	 */
	uint16_t frag_mtu;
	/*
	 * The packet that triggered the negotiation, as selectors (§2.9): when
	 * set, our IKE_AUTH request sends it first in TSi/TSr, before the
	 * ranges, so the responder can pick the policy that holds it.
	 */
	bool has_pkt;
	struct ikev2_range pkt_local, pkt_remote;
};

/* A finished Child SA, as the host installs it. */
struct ikev2_child {
	uint32_t spi_in, spi_out;
	struct ikev2_child_suite suite;
	size_t enc_key_len, integ_key_len;
	uint8_t key_in[IKEV2_CHILD_KEY_MAX], key_out[IKEV2_CHILD_KEY_MAX];	/* enc | integ */
	struct ikev2_range local_ts, remote_ts;	/* after narrowing */
	uint32_t replaces_spi_in;	/* a rekey: the old Child SA's inbound SPI (0 = a new one) */
};

struct ikev2_sa;

struct ikev2_host {
	void *arg;
	int (*send)(void *arg, uint32_t local, uint32_t peer, const uint8_t *msg, size_t len);
	/* The configuration for a peer, or NULL: we do not talk to it. */
	bool (*conf)(void *arg, uint32_t local, uint32_t peer, struct ikev2_peer_conf *out);
	/* A fresh inbound ESP SPI (0 on failure). */
	uint32_t (*spi_alloc)(void *arg);
	void (*child_up)(void *arg, struct ikev2_sa *sa, const struct ikev2_child *c);
	void (*log)(void *arg, const char *line);
	/*
	 * Added for INFORMATIONAL and CREATE_CHILD_SA; each may be NULL.
	 * child_down: remove the Child SA (deleted by either side, replaced by a
	 * rekey, or named by the peer's protected INVALID_SPI).
	 * ike_down: the IKE SA is gone (deleted, or given up by the host); its
	 * children were reported down first.  Not called for an IKE SA that a
	 * rekey replaced: ike_rekeyed(old, new) says the Child SAs now belong
	 * to new, and old dies after its Delete exchange.  Such an old SA stays
	 * in e->sas until then (or dies with new): a host retransmits for it by
	 * walking e->sas for req_pending, as it may for every SA.
	 */
	void (*child_down)(void *arg, struct ikev2_sa *sa, uint32_t spi_in, uint32_t spi_out);
	void (*ike_down)(void *arg, struct ikev2_sa *sa);
	void (*ike_rekeyed)(void *arg, struct ikev2_sa *old_sa, struct ikev2_sa *new_sa);
	/*
	 * May be NULL.  The peer's IKE_AUTH (request or response) carried
	 * N(INITIAL_CONTACT) and its AUTH verified; sa is READY.  The host
	 * ends every other IKE SA with that peer and their Child SAs, sending
	 * nothing over them (§2.4).  Called before sa's first Child SA comes up.
	 */
	void (*initial_contact)(void *arg, struct ikev2_sa *sa);
	/*
	 * May be NULL.  Quick Crash Detection (RFC 6290): qcd_allow says whether
	 * an unprotected INVALID_IKE_SPI may go to peer now (the host's
	 * per-source limit; it may refill e->qcd_budget, the global one);
	 * qcd_lost is told, before sa ends, that the peer's token matched.
	 */
	bool (*qcd_allow)(void *arg, uint32_t peer);
	void (*qcd_lost)(void *arg, struct ikev2_sa *sa);
	/*
	 * May be NULL (then send is used, ports ignored).  Sends from local
	 * port lport to pport; from 4500 the host puts the non-ESP marker first.
	 */
	int (*send_port)(void *arg, uint32_t local, uint16_t lport, uint32_t peer, uint16_t pport,
			 const uint8_t *msg, size_t len);
	/*
	 * May be NULL.  A message that authenticated came from another port of
	 * the peer (a NAT rebinding, §2.23) and sa->pport follows it: the host
	 * moves the UDP encapsulation of the SA's Child SAs there.
	 */
	void (*peer_moved)(void *arg, struct ikev2_sa *sa);
	/*
	 * May be NULL: a millisecond clock.  Without it a message in
	 * reassembly (RFC 7383) never times out (it is still bounded and evicted).
	 */
	uint64_t (*now_ms)(void *arg);
	/*
	 * May be NULL.  Responder, §2.9: the initiator's first selector a side
	 * (pkt_i its side, pkt_r ours) names the flow: the packet that
	 * triggered it when it sent several, else its one range.  The host may
	 * name the policy that holds it (another ACE of the ACL, another crypto
	 * map entry for the same peer): true and our local and remote ranges;
	 * false leaves the SA's conf in force.
	 */
	bool (*policy_for)(void *arg, const struct ikev2_sa *sa, const struct ikev2_ts *pkt_i,
			   const struct ikev2_ts *pkt_r, struct ikev2_range *local, struct ikev2_range *remote);
};

/* IOS's `show crypto ikev2 sa` says IN-NEG until READY. */
enum ikev2_state {
	IKEV2_S_NONE = 0,
	IKEV2_S_I_INIT_SENT,	/* initiator: IKE_SA_INIT request out */
	IKEV2_S_R_INIT_SENT,	/* responder: IKE_SA_INIT answered, IKE_AUTH awaited */
	IKEV2_S_I_AUTH_SENT,	/* initiator: IKE_AUTH request out */
	IKEV2_S_READY,		/* authenticated, first Child SA up */
	IKEV2_S_DEAD,		/* failed or deleted: nothing more is accepted */
	IKEV2_S_COUNT
};
const char *ikev2_state_name(enum ikev2_state s);
/* "PEER SPIi/SPIr" in hex, for log lines: ikev2_sa_name(sa).s lives until the end of the full expression. */
struct ikev2_sa;
struct ikev2_sa_name {
	char s[16 + 1 + 16 + 1 + 16 + 1];
};
struct ikev2_sa_name ikev2_sa_name(const struct ikev2_sa *sa);

struct ikev2_stats {
	uint64_t rx, tx, malformed, no_sa, bad_state, bad_msgid, dup_request, dup_response;
	uint64_t retransmit_answered, bad_icv, auth_failed, no_proposal, invalid_ke, ts_unacceptable;
	uint64_t bad_transition, ready, failed, unsupported_critical, no_conf, half_open_evicted;
	uint64_t unsupported_critical_answered;	/* protected requests refused with the notify (§2.5) */
	uint64_t peer_error;
	/* INFORMATIONAL and CREATE_CHILD_SA (ikev2_info.c, ikev2_child.c). */
	uint64_t unprotected;		/* an INFORMATIONAL or CREATE_CHILD_SA without SK: dropped */
	uint64_t invalid_spi_unprotected;	/* ...carrying INVALID_SPI (§2.21.4): changes nothing */
	uint64_t invalid_spi_tx, invalid_spi_rx, invalid_spi_unknown;
	uint64_t delete_child_tx, delete_child_rx, delete_ike_tx, delete_ike_rx;
	uint64_t liveness_tx, liveness_answered;
	uint64_t child_created, child_rekeyed, ike_rekeyed, rekey_collision, redundant_deleted;
	uint64_t child_not_found, temporary_failure, queue_full;
	/* Quick Crash Detection (ikev2_qcd.c). */
	uint64_t qcd_token_rx, qcd_sent, qcd_limited, qcd_accepted, qcd_rejected;
	uint64_t qcd_rekey_tx, qcd_rekey_rx;	/* tokens for an IKE SA a rekey made (RFC 6290 §2.4) */
	uint64_t qcd_live;		/* a request naming the SPIs of an SA we have, from elsewhere: no token */
	/* COOKIE (ikev2_cookie.c, §2.6). */
	uint64_t cookie_sent, cookie_bad, cookie_rx;
	/* IKE fragmentation (ikev2_frag.c, RFC 7383): fragments sent/taken, messages put together, drops. */
	uint64_t frag_tx, frag_rx, frag_reassembled;
	uint64_t frag_unexpected;	/* SKF on an SA that did not negotiate fragmentation */
	uint64_t frag_bad_icv;		/* forged or corrupted: never stored */
	uint64_t frag_dup;		/* a fragment number already held */
	uint64_t frag_old;		/* of a message already processed (only #1 gets the answer again) */
	uint64_t frag_bad_total;	/* Total Fragments smaller than the set's (§2.6.2) */
	uint64_t frag_restart;		/* larger: the set was started again (§2.6.2) */
	uint64_t frag_too_many, frag_too_big;	/* over IKEV2_FRAG_MAX_COUNT / _BYTES */
	uint64_t frag_timeout, frag_evicted;	/* set given up: too old; or room for another */
	uint64_t frag_replaced;		/* a set of another message of the same SA dropped */
	uint64_t cookie_ok, cookie_none;	/* challenged requests: a valid cookie, none at all */
	/* INITIAL_CONTACT (§2.4): sent in our IKE_AUTH, and the peer's acted on after AUTH. */
	uint64_t initial_contact_tx, initial_contact_rx;
	/* NAT traversal (ikev2_natt.c, §2.23). */
	uint64_t nat_detected, natt_float, natt_moved;
	uint64_t natd_bad;		/* a NAT_DETECTION notify of the wrong size: ignored */
	uint64_t natt_port_ignored;	/* another address/port, not authenticated: nothing moved */
};

#define IKEV2_QCD_SECRET 32
#define IKEV2_QCD_TOKEN_LEN 32		/* what we make: HMAC-SHA-256 */

struct ikev2_engine {
	const struct ikev2_host *host;
	struct ikev2_sa *sas;
	struct ikev2_stats st;
	/* The datagram being processed, as it arrived (it is decrypted in a copy). */
	const uint8_t *rx_raw;
	size_t rx_raw_len;
	uint16_t rx_lport, rx_pport;	/* its UDP ports: ours, the peer's */
	size_t frag_bytes;		/* held in reassembly by all SAs (IKEV2_FRAG_GLOBAL_BYTES) */
	/*
	 * Quick Crash Detection (RFC 6290), set by ikev2_qcd_set: the secret
	 * that survives our restarts, and how many unprotected replies we may
	 * still send (the host refills qcd_budget on its timer, e.g. 10 a second).
	 */
	bool qcd;
	uint8_t qcd_secret[IKEV2_QCD_SECRET];
	unsigned qcd_budget;
	/*
	 * COOKIE (§2.6), IOS's `crypto ikev2 cookie-challenge N`: with this many
	 * half-open responder SAs or more, an IKE_SA_INIT without a valid cookie
	 * gets one and no state.  0 = never.  The secret is drawn on first use
	 * and replaced by ikev2_cookie_rotate (the previous one stays valid).
	 */
	unsigned cookie_threshold;
	bool cookie_keyed;
	uint8_t cookie_version;
	uint8_t cookie_secret[2][IKEV2_QCD_SECRET];	/* [version & 1] */
};

#define IKEV2_MAX_CHILDREN 16		/* Child SAs under one IKE SA */
#define IKEV2_MAX_QUEUED 8		/* requests waiting for the window (§2.3: one at a time) */

/* A Child SA this IKE SA keyed, as the engine remembers it. */
enum ikev2_child_st { IKEV2_C_FREE = 0, IKEV2_C_UP, IKEV2_C_DELETING };
struct ikev2_child_rec {
	uint8_t st;			/* enum ikev2_child_st */
	uint32_t spi_in, spi_out;
	struct ikev2_child_suite suite;
	struct ikev2_range local, remote;
};

/* A request the host asked for (ikev2_liveness ... ikev2_rekey_ike). */
enum ikev2_op_kind {
	IKEV2_OP_NONE = 0, IKEV2_OP_LIVENESS, IKEV2_OP_DEL_CHILD, IKEV2_OP_DEL_IKE, IKEV2_OP_INVALID_SPI,
	IKEV2_OP_QCD_TOKEN,		/* INFORMATIONAL with our token, after our IKE rekey (RFC 6290 §2.4) */
	IKEV2_OP_NEW_CHILD, IKEV2_OP_REKEY_CHILD, IKEV2_OP_REKEY_IKE,
};
struct ikev2_op {
	uint8_t kind;			/* enum ikev2_op_kind */
	uint8_t proto;			/* INVALID_SPI: ESP or AH */
	uint32_t spi;			/* DEL_CHILD/REKEY_CHILD: our inbound SPI; INVALID_SPI: the SPI */
	bool ranges;			/* NEW_CHILD: local/remote given (else the conf's) */
	struct ikev2_range local, remote;
	uint16_t group;			/* REKEY_IKE: the KE group the peer asked for (0: the SA's) */
};

/* Our outstanding CREATE_CHILD_SA request, and a crossing one from the peer (§2.8.1). */
struct ikev2_cc {
	uint8_t n[IKEV2_NONCE_LEN];	/* our Ni */
	struct dh *dh;			/* PFS / IKE rekey */
	uint32_t new_spi_in;		/* the Child SA it creates */
	uint8_t new_spi[8];		/* IKE rekey: our SPIi of the new IKE SA */
	/* The peer's rekey of the same SA, answered while ours was out. */
	bool coll;
	uint8_t coll_low[IKEV2_NONCE_MAX];	/* the lower nonce of that exchange */
	size_t coll_low_len;
	uint32_t coll_spi_in;		/* the Child SA that exchange made */
	struct ikev2_sa *coll_sa;	/* the IKE SA that exchange made */
};

struct ikev2_sa {
	struct ikev2_sa *next;
	struct ikev2_engine *eng;
	enum ikev2_state state;
	bool initiator;
	uint32_t local, peer;
	uint8_t spi_i[8], spi_r[8];
	struct ikev2_peer_conf conf;
	struct ikev2_suite suite;	/* chosen (the initiator: what it offered first) */
	struct dh *dh;
	uint8_t ni[IKEV2_NONCE_MAX], nr[IKEV2_NONCE_MAX];
	size_t nilen, nrlen;
	uint8_t *init_i, *init_r;	/* the IKE_SA_INIT messages, signed by AUTH */
	size_t init_i_len, init_r_len;
	struct ikev2_ike_keys keys;
	struct ikev2_sk sk;
	bool sk_ready;
	/* Message IDs (§2.3, window 1): our requests, and the peer's. */
	uint32_t req_out;		/* our outstanding (or next) request's ID */
	bool req_pending;
	uint8_t *req_buf;		/* our outstanding request, for retransmission */
	size_t req_len;
	uint32_t req_in;		/* the next request ID we accept */
	uint8_t *rsp_buf;		/* our answer to the peer's last request */
	size_t rsp_len;
	uint8_t *rsp_for;		/* that request's bytes: only an exact copy is answered */
	size_t rsp_for_len;
	/* The first Child SA. */
	struct ikev2_child_suite child_suite;
	uint32_t child_spi_in, child_spi_out;
	struct ikev2_range child_local, child_remote;
	/* Every Child SA this IKE SA keyed (the first one included). */
	struct ikev2_child_rec children[IKEV2_MAX_CHILDREN];
	/* What our outstanding request does, and what waits for the window. */
	struct ikev2_op cur;
	struct ikev2_op queue[IKEV2_MAX_QUEUED];
	size_t nqueue;
	struct ikev2_cc cc;
	bool deleting;			/* our Delete of this IKE SA is out */
	uint8_t cookie[IKEV2_COOKIE_MAX];	/* the responder's cookie, sent back first (§2.6) */
	size_t cookie_len;
	uint8_t cookie_tries;
	uint8_t qcd_peer[IKEV2_QCD_TOKEN_MAX];	/* the peer's QCD token from IKE_AUTH (RFC 6290) */
	size_t qcd_peer_len;
	struct ikev2_sa *rekeyed_to;	/* replaced by a rekey: no new requests */
	/*
	 * NAT traversal (§2.23): our UDP port and the peer's for requests (a
	 * response goes where its request came from); NAT-D exchanged; a NAT in
	 * front of us / the peer (either means UDP 4500 and ESP in UDP).
	 */
	uint16_t lport, pport;
	bool natd, nat_local, nat_peer;
	bool frag;			/* both sides announced RFC 7383 support (and conf.frag_mtu) */
	struct ikev2_frag_rx *frx;	/* the one message in reassembly, or NULL */
};

void ikev2_engine_init(struct ikev2_engine *e, const struct ikev2_host *h);
void ikev2_engine_free(struct ikev2_engine *e);

/* Starts IKE_SA_INIT toward peer; NULL when the host has no conf for it. */
struct ikev2_sa *ikev2_initiate(struct ikev2_engine *e, uint32_t local, uint32_t peer);
/* One datagram from peer to local (UDP 500). */
void ikev2_input(struct ikev2_engine *e, uint32_t local, uint32_t peer, const uint8_t *buf, size_t len);
/* The same with its UDP ports (4500: the non-ESP marker already removed). */
void ikev2_input_port(struct ikev2_engine *e, uint32_t local, uint16_t lport, uint32_t peer, uint16_t pport,
		      const uint8_t *buf, size_t len);
/* A NAT between us and the peer was found in IKE_SA_INIT: IKE on 4500, ESP in UDP. */
bool ikev2_nat_detected(const struct ikev2_sa *sa);
/* Sends our outstanding request again (the host's retransmission timer). */
void ikev2_retransmit(struct ikev2_sa *sa);
/* Frees the SAs that died; call it outside message processing. */
void ikev2_reap(struct ikev2_engine *e);

/*
 * Requests the host starts on a READY IKE SA (ikev2_info.c, ikev2_child.c).
 * Each waits its turn for the window of one (§2.3); the host retransmits
 * with ikev2_retransmit while sa->req_pending holds, and gives up with
 * ikev2_ike_gone.  0, or -1 (SA not READY, being deleted or rekeyed away,
 * no such Child SA, the queue full).
 */
/* An empty INFORMATIONAL: the liveness check (DPD); answered when req_pending clears. */
int ikev2_liveness(struct ikev2_sa *sa);
/* Deletes the Child SA with our inbound SPI spi_in (child_down when the peer answers). */
int ikev2_delete_child(struct ikev2_sa *sa, uint32_t spi_in);
/* Deletes the IKE SA: its Child SAs go down now, the SA dies when the peer answers. */
int ikev2_delete_ike(struct ikev2_sa *sa);
/* Tells the peer we got ESP/AH (proto) for spi, unknown here (§1.5, protected). */
int ikev2_send_invalid_spi(struct ikev2_sa *sa, uint8_t proto, uint32_t spi);
/* A new Child SA (CREATE_CHILD_SA); local/remote NULL: the conf's selectors. */
int ikev2_create_child(struct ikev2_sa *sa, const struct ikev2_range *local, const struct ikev2_range *remote);
/* Rekeys the Child SA with inbound SPI spi_in (§1.3.3): the old one is deleted once the new is up. */
int ikev2_rekey_child(struct ikev2_sa *sa, uint32_t spi_in);
/* Rekeys the IKE SA (§1.3.2, §2.18): its Child SAs move to the new one (ike_rekeyed). */
int ikev2_rekey_ike(struct ikev2_sa *sa);
/* The host gave up on the peer (DPD, retransmission): children down, SA dead, nothing sent. */
void ikev2_ike_gone(struct ikev2_sa *sa);
/*
 * Quick Crash Detection (RFC 6290) as token maker and taker: from now on
 * our IKE_AUTH messages carry a token derived from secret (16..32 bytes,
 * kept by the host across restarts), a protected request for an IKE SA we
 * do not have is answered with INVALID_IKE_SPI and that token (at most
 * qcd_budget times), and the peer's token, when it comes back unprotected
 * in answer to our request, ends the IKE SA at once.  -1 on a bad secret.
 */
int ikev2_qcd_set(struct ikev2_engine *e, const uint8_t *secret, size_t len);
/* A new COOKIE secret; cookies made with the one before stay valid until the next rotation. */
void ikev2_cookie_rotate(struct ikev2_engine *e);
/* The Child SA record with our inbound / outbound SPI, or NULL. */
struct ikev2_child_rec *ikev2_child_by_in(struct ikev2_sa *sa, uint32_t spi_in);
struct ikev2_child_rec *ikev2_child_by_out(struct ikev2_sa *sa, uint32_t spi_out);

/* ---- internals shared by the engine's files ---- */

bool ikev2_set_state(struct ikev2_sa *sa, enum ikev2_state to);
void ikev2_log(struct ikev2_engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ikev2_alg.c: proposals from suites, choice, and the algorithms behind IDs. */
void ikev2_offer_ike(const struct ikev2_peer_conf *c, uint16_t dh_first, struct ikev2_props *out);
void ikev2_offer_child(const struct ikev2_peer_conf *c, uint32_t spi, struct ikev2_props *out);
/* The first of the peer's proposals one of our suites satisfies; -1 if none. */
int ikev2_choose_ike(const struct ikev2_peer_conf *c, const struct ikev2_props *offer,
		     struct ikev2_suite *chosen, uint8_t *propnum);
int ikev2_choose_child(const struct ikev2_peer_conf *c, const struct ikev2_props *offer,
		       struct ikev2_child_suite *chosen, uint8_t *propnum, uint32_t *spi);
/* A responder's answer: exactly one proposal, naming exactly one of our suites. */
int ikev2_accept_ike(const struct ikev2_peer_conf *c, const struct ikev2_props *answer,
		     struct ikev2_suite *chosen);
int ikev2_accept_child(const struct ikev2_peer_conf *c, const struct ikev2_props *answer,
		       struct ikev2_child_suite *chosen, uint32_t *spi);
void ikev2_answer_ike(const struct ikev2_suite *s, uint8_t propnum, struct ikev2_props *out);
void ikev2_answer_child(const struct ikev2_child_suite *s, uint8_t propnum, uint32_t spi,
			struct ikev2_props *out);
/* The same for CREATE_CHILD_SA, where a Child SA may carry a DH group (PFS; 0 = none). */
void ikev2_offer_child_dh(const struct ikev2_peer_conf *c, uint32_t spi, uint16_t dh, struct ikev2_props *out);
int ikev2_choose_child_dh(const struct ikev2_peer_conf *c, const struct ikev2_props *offer, uint16_t dh,
			  struct ikev2_child_suite *chosen, uint8_t *propnum, uint32_t *spi);
int ikev2_accept_child_dh(const struct ikev2_peer_conf *c, const struct ikev2_props *answer, uint16_t dh,
			  struct ikev2_child_suite *chosen, uint32_t *spi);
void ikev2_answer_child_dh(const struct ikev2_child_suite *s, uint8_t propnum, uint32_t spi, uint16_t dh,
			   struct ikev2_props *out);
/* The SK algorithms, key lengths and prf behind an IKE suite; -1 if unknown. */
int ikev2_suite_algs(const struct ikev2_suite *s, struct ikev2_sk_alg *a, size_t *integ_key_len,
		     size_t *enc_key_len, int *prf_hash);
int ikev2_child_keylens(const struct ikev2_child_suite *s, size_t *enc, size_t *integ);

#endif
