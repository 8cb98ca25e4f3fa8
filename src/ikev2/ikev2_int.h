/* Internals shared by the IKEv2 engine's files (ikev2_exch.c, _init.c, _auth.c). */
#ifndef SPIGOT_IKEV2_INT_H
#define SPIGOT_IKEV2_INT_H

#include "ikev2/ikev2_sa.h"

/* Half-open responder SAs (IKE_SA_INIT answered, no IKE_AUTH yet). */
#define IKEV2_HALF_OPEN_MAX 64
#define IKEV2_HALF_OPEN_PER_PEER 4

struct ikev2_sa *ikev2_sa_new(struct ikev2_engine *e, bool initiator, uint32_t local, uint32_t peer);
void ikev2_half_open_limit(struct ikev2_engine *e, uint32_t peer);
/* Replaces *dst (freed) with a copy of src[len]; false (nothing changed) without memory. */
bool ikev2_keep_copy(uint8_t **dst, size_t *dlen, const uint8_t *src, size_t len);
int ikev2_send_request(struct ikev2_sa *sa, const uint8_t *msg, size_t len);
/* Answers the request being processed, and keeps both for its retransmissions. */
int ikev2_send_response(struct ikev2_sa *sa, const uint8_t *msg, size_t len);

void ikev2_recv_init_req(struct ikev2_engine *e, uint32_t local, uint32_t peer, struct ikev2_msg *m,
			 uint8_t *buf, size_t len);
void ikev2_recv_init_rsp(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len);
void ikev2_recv_auth_req(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len);
void ikev2_recv_auth_rsp(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len);

/* Keys the SA from g^ir and the nonces once both IKE_SA_INIT messages are known. */
int ikev2_key_sa(struct ikev2_sa *sa, const uint8_t *peer_ke, size_t kelen);
/* Sends IKE_AUTH #1 (the initiator, after keying). */
int ikev2_send_auth_req(struct ikev2_sa *sa);
/* Random bytes; an 8-byte SPI is never zero. */
bool ikev2_rand(uint8_t *p, size_t n);

/* ---- protected exchanges (ikev2_info.c, ikev2_child.c) ---- */

/* Starts a message of this SA (header, then an open SK payload); returns where SK starts. */
size_t ikev2_prot_begin(struct ikev2_sa *sa, struct ikev2_wr *w, uint8_t *buf, size_t cap, uint8_t exch,
			bool response, uint32_t msgid);
/* Verifies and decrypts; a message with anything but SK outside is dropped and counted. */
/* ikev2_sk_open with sa's keys; each way it fails has its one counter. */
enum ikev2_sk_result ikev2_sa_open(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len);
bool ikev2_prot_open(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len);
/* The first inner payload's index (after SK), for looking at protected payloads only. */
#define IKEV2_INNER 1

void ikev2_put_range(struct ikev2_wr *w, uint8_t type, const struct ikev2_range *r);
bool ikev2_narrow(const struct ikev2_ts *t, const struct ikev2_range *ours, struct ikev2_range *out);
bool ikev2_within(const struct ikev2_range *in, const struct ikev2_range *outer);
/* ikev2_ts.c (§2.9): the responder's narrowing of a TS list to our range, one range out; false: TS_UNACCEPTABLE. */
bool ikev2_ts_pick(const struct ikev2_tsp *t, const struct ikev2_range *ours, struct ikev2_range *out);
/* The ranges a responder narrows to: the SA's conf, or the host's policy for the packet selectors. */
void ikev2_ts_policy(const struct ikev2_sa *sa, const struct ikev2_tsp *tsi, const struct ikev2_tsp *tsr,
		     struct ikev2_range *local, struct ikev2_range *remote);
/* The initiator's check of an answer: every selector within what we proposed; the widest taken. */
bool ikev2_ts_accept(const struct ikev2_tsp *t, const struct ikev2_range *proposed, struct ikev2_range *out);
/* A TS payload: first (the triggering packet's selector, or NULL), then r. */
void ikev2_put_ranges(struct ikev2_wr *w, uint8_t type, const struct ikev2_range *first, const struct ikev2_range *r);
/* Child keys (§2.17): KEYMAT = prf+(SK_d, [g^ir] | Ni | Nr), the exchange initiator's keys first. */
int ikev2_child_keys(const struct ikev2_sa *sa, struct ikev2_child *c, bool exch_initiator, const uint8_t *ni,
		     size_t nilen, const uint8_t *nr, size_t nrlen, const uint8_t *gir, size_t girlen);
/* Records a Child SA that is up and tells the host (child_up); NULL when the table is full. */
struct ikev2_child_rec *ikev2_child_add(struct ikev2_sa *sa, struct ikev2_child *c);
/* Forgets a Child SA and tells the host (child_down). */
void ikev2_child_drop(struct ikev2_sa *sa, struct ikev2_child_rec *r);
/* Queues a request, or sends it when the window is free. */
int ikev2_op_start(struct ikev2_sa *sa, const struct ikev2_op *op);
/* Our request was answered: the window is free for the next one. */
void ikev2_op_done(struct ikev2_sa *sa);
int ikev2_send_info_req(struct ikev2_sa *sa, const struct ikev2_op *op);
int ikev2_send_cc_req(struct ikev2_sa *sa, const struct ikev2_op *op);
/* An IKE SA made by a rekey, READY, its message IDs at 0 (§2.18). */
struct ikev2_sa *ikev2_sa_rekeyed(struct ikev2_sa *old, bool initiator, const uint8_t spi_i[8],
				  const uint8_t spi_r[8]);
/*
 * Where this SA's Child SAs live now: itself, or the IKE SA a rekey moved
 * them to (an exchange on the old SA that finishes late acts there, §2.18).
 */
static inline struct ikev2_sa *ikev2_home(struct ikev2_sa *sa)
{
	for (int i = 0; i < 4 && sa->rekeyed_to; i++)
		sa = sa->rekeyed_to;
	return sa;
}
/* The old IKE SA's children (and queued requests) now belong to the new one. */
void ikev2_move_children(struct ikev2_sa *old, struct ikev2_sa *nsa);
/* Ends the IKE SA: children down, ike_down, DEAD. */
void ikev2_ike_end(struct ikev2_sa *sa);

/* ikev2_cookie.c: true when the request may go on; false when it was answered with a cookie. */
bool ikev2_cookie_check(struct ikev2_engine *e, uint32_t local, uint32_t peer, const struct ikev2_msg *m,
			const uint8_t *ni, size_t nilen);
/* The initiator's side: true when m is a COOKIE answer; *resend when its cookie was kept for a retry. */
bool ikev2_cookie_take(struct ikev2_sa *sa, const struct ikev2_msg *m, bool *resend);
#define IKEV2_COOKIE_TRIES 4		/* cookie answers we follow per IKE SA: forged ones cost one send each */

/* ---- IKE fragmentation (ikev2_frag.c, RFC 7383) ---- */

#define IKEV2_FRAG_MAX_COUNT 64		/* fragments of one message we hold */
#define IKEV2_FRAG_MAX_BYTES 32768	/* one message's plaintext in reassembly */
#define IKEV2_FRAG_GLOBAL_BYTES 131072	/* all SAs together (each fragment costs 64 more) */
#define IKEV2_FRAG_TIMEOUT_MS 10000	/* a set not complete by then is dropped; retransmission resends all */
#define IKEV2_FRAG_MIN_CHUNK 15		/* plaintext per fragment at least (an AES block), whatever the MTU */
#define IKEV2_IPV4_UDP_HDR 28		/* what the MTU holds besides the IKE message */

typedef void (*ikev2_recv_fn)(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len);
/*
 * Closes a protected message opened with ikev2_prot_begin (or
 * ikev2_sk_begin on the SA's keys): one SK message, or, when the SA
 * fragments and it would not fit conf.frag_mtu, a train of SKF messages
 * back to back in the same buffer.  Returns the bytes, 0 on failure.
 */
size_t ikev2_seal(struct ikev2_sa *sa, struct ikev2_wr *w, size_t at);
/* Sends each IKE message of a train (one, or fragments back to back). */
int ikev2_send_train(struct ikev2_engine *e, const struct ikev2_sa *sa, uint32_t local, uint32_t peer, bool reply,
		     const uint8_t *msg, size_t len);
/* An SKF message that the dispatch table gives to fn once it is whole. */
/* True when the fragment's ICV held and it was kept (or completed the message). */
bool ikev2_frag_input(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len, ikev2_recv_fn fn);
/* An SKF message no receive function takes: a retransmitted request's fragment #1 gets the answer again. */
void ikev2_frag_stray(struct ikev2_sa *sa, const struct ikev2_msg *m, const uint8_t *buf, size_t len);
/* Drops the SA's set in reassembly. */
void ikev2_frag_free(struct ikev2_sa *sa);
/* Drops the sets older than IKEV2_FRAG_TIMEOUT_MS (with a host clock). */
void ikev2_frag_expire(struct ikev2_engine *e);

/* ikev2_qcd.c: the token in our IKE_AUTH, the peer's kept, answers for unknown SAs, and the peer's taken. */
void ikev2_qcd_put(struct ikev2_sa *sa, struct ikev2_wr *w);
void ikev2_qcd_keep(struct ikev2_sa *sa, const struct ikev2_msg *m);
void ikev2_qcd_make(struct ikev2_engine *e, uint32_t local, uint32_t peer, const struct ikev2_msg *m);
void ikev2_qcd_take(struct ikev2_sa *sa, const struct ikev2_msg *m);
/* After our IKE rekey: an INFORMATIONAL carrying our token for the new SA (RFC 6290 §2.4). */
void ikev2_qcd_send(struct ikev2_sa *sa);

/* ikev2_natt.c: NAT_DETECTION_* (§2.23), the float to 4500, the peer's port after authentication. */
#define IKEV2_PORT 500
#define IKEV2_PORT_NATT 4500
void ikev2_natd_put(struct ikev2_sa *sa, struct ikev2_wr *w);
/* Reads the peer's NAT-D from an IKE_SA_INIT message (the datagram's ports are e->rx_*). */
void ikev2_natd_check(struct ikev2_sa *sa, const struct ikev2_msg *m);
/* The initiator, after IKE_SA_INIT showed a NAT: IKE moves to UDP 4500 (§2.23). */
void ikev2_natt_float(struct ikev2_sa *sa);
/* The message in hand authenticated (its ICV held): the peer's port may move. */
void ikev2_natt_authenticated(struct ikev2_sa *sa);
/* Sends for sa (NULL: no SA); reply: to where the datagram in hand came from. */
int ikev2_xmit(struct ikev2_engine *e, const struct ikev2_sa *sa, uint32_t local, uint32_t peer, bool reply,
	       const uint8_t *msg, size_t len);

void ikev2_recv_info_req(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len);
void ikev2_recv_info_rsp(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len);
void ikev2_recv_cc_req(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len);
void ikev2_recv_cc_rsp(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len);

#endif
