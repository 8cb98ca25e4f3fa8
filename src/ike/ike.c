/*
 * The IKE SA table, the one state-change function, retransmission, the
 * datagram entry point and lifetimes.  The key-manager hooks the data plane
 * calls (acquire / soft expiry / deleted) are in acquire.c.
 */
#include "ike/ike_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ike/ike2_glue.h"
#include "ike/ike2_int.h"
#include "ike/ike2_qcd.h"
#include "net/net.h"
#include "recovery/recovery.h"
#include "router.h"

const char *ike_state_name(enum ike_sa_state s)
{
	switch (s) {
	case MM_NO_STATE: return "MM_NO_STATE";
	case MM_SA_SETUP: return "MM_SA_SETUP";
	case MM_KEY_EXCH: return "MM_KEY_EXCH";
	case MM_KEY_AUTH: return "MM_KEY_AUTH";
	case QM_IDLE: return "QM_IDLE";
	case IKE_SA_DELETED: return "MM_NO_STATE";	/* as IOS shows a deleted row */
	}
	return "?";
}

bool ike_dbg(const struct ike_state *ike) { return ike->r->debug & DBG_ISAKMP; }
bool ike_dbg_ipsec(const struct ike_state *ike) { return ike->r->debug & DBG_IPSEC; }

void ike_random(void *p, size_t n)
{
	if (RAND_bytes(p, (int)n) != 1)
		abort();	/* no randomness: nothing safe to do */
}

bool ike_sa_stateok(enum ike_sa_state from, enum ike_sa_state to)
{
	if (to == IKE_SA_DELETED)
		return from != IKE_SA_DELETED;
	/* Main Mode only moves forward, one step at a time. */
	return from < QM_IDLE && to == from + 1;
}

/* The only place an IKE SA changes state: it refuses, logs and counts. */
bool ike_set_state(struct ike_sa *sa, enum ike_sa_state s)
{
	struct ike_state *ike = sa->ike;
	if (sa->state == s)
		return true;
	if (!ike_sa_stateok(sa->state, s)) {
		char what[64];
		snprintf(what, sizeof(what), "IKE SA %u", sa->conn_id);
		ike_state_refused(ike, what, ike_state_name(sa->state), ike_state_name(s));
		return false;
	}
	if (ike_dbg(ike))
		log_debug(&ike->r->log, "ISAKMP:(%u):Old State = %s  New State = %s", sa->conn_id,
			  ike_state_name(sa->state), ike_state_name(s));
	sa->state = s;
	return true;
}

/* A state machine was asked for a change its table forbids: a bug, made visible. */
void ike_state_refused(struct ike_state *ike, const char *what, const char *from, const char *to)
{
	ike->st.state_refused++;
	log_msg_rl(&ike->r->log, &ike->rl_fail, ev_now(ike->r->ev), 1000, "CRYPTO", SEV_ERR,
		   "IKMP_STATE", "%s: illegal state change %s -> %s refused", what, from, to);
}

void ike_drop(struct ike_state *ike, uint64_t *counter, uint32_t peer, const char *why)
{
	(*counter)++;
	ike_drop_log(ike, peer, why);
}

void ike_drop_log(struct ike_state *ike, uint32_t peer, const char *why)
{
	char ps[16];
	ip_fmt(peer, ps);
	log_msg_rl(&ike->r->log, &ike->rl, ev_now(ike->r->ev), 1000, "CRYPTO", SEV_WARNING,
		   "IKMP_BAD_MESSAGE", "IKE message from %s dropped: %s", ps, why);
}

void ike_msgbuf_set(struct ike_msgbuf *b, const uint8_t *p, size_t len)
{
	uint8_t *n = malloc(len ? len : 1);
	if (!n)
		return;
	memcpy(n, p, len);
	free(b->p);
	b->p = n;
	b->len = len;
}

void ike_msgbuf_free(struct ike_msgbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

bool ike_msgbuf_eq(const struct ike_msgbuf *b, const uint8_t *p, size_t len)
{
	return b->p && b->len == len && memcmp(b->p, p, len) == 0;
}

static int default_xmit(struct router *r, uint32_t src, uint16_t sport, uint32_t dst,
			uint16_t dport, const uint8_t *data, size_t len)
{
	return udp_send(r, src, sport, dst, dport, data, len);
}

int ike_send(struct ike_sa *sa, const uint8_t *msg, size_t len)
{
	struct ike_state *ike = sa->ike;
	ike->st.tx++;
	sa->last_tx_ms = ev_now(ike->r->ev);
	if (sa->floated) {
		/* UDP 4500: the non-ESP marker tells IKE from ESP (RFC 3948 §2.2). */
		uint8_t buf[4 + ISAKMP_MAX_MSG];
		if (len > ISAKMP_MAX_MSG) {
			ike->st.send_fail++;
			return -1;
		}
		memset(buf, 0, 4);
		memcpy(buf + 4, msg, len);
		if (ike->xmit(ike->r, sa->local, UDP_PORT_IKE_NATT, sa->peer, sa->peer_port, buf, len + 4) < 0) {
			ike->st.send_fail++;
			return -1;
		}
		return 0;
	}
	if (ike->xmit(ike->r, sa->local, UDP_PORT_IKE, sa->peer, sa->peer_port, msg, len) < 0) {
		ike->st.send_fail++;
		return -1;
	}
	return 0;
}

static void sa_rtx_timer(void *arg)
{
	struct ike_sa *sa = arg;
	struct ike_state *ike = sa->ike;
	if (ike_sa_deleted(sa) || !sa->last_sent.p)
		return;
	if (sa->tries >= ike->rtx_tries) {
		ike->st.rtx_exhausted++;
		if (ike_dbg(ike))
			log_debug(&ike->r->log, "ISAKMP:(%u):retransmission count exceeded, "
				  "deleting SA reason \"Death by retransmission P1\" state (%s) %s",
				  sa->conn_id, sa->initiator ? "I" : "R", ike_state_name(sa->state));
		ike_p1_failed(sa, "retransmissions exhausted");
		return;
	}
	sa->tries++;
	ike->st.retransmits++;
	if (ike_dbg(ike))
		log_debug(&ike->r->log, "ISAKMP:(%u): retransmitting phase 1 %s...",
			  sa->conn_id, ike_state_name(sa->state));
	ike_send(sa, sa->last_sent.p, sa->last_sent.len);
	sa->rtx_ms *= 2;
	ev_timer_arm(ike->r->ev, &sa->rtx, sa->rtx_ms);
}

void ike_sa_send_rtx(struct ike_sa *sa, const uint8_t *msg, size_t len, bool retransmit)
{
	ike_msgbuf_set(&sa->last_sent, msg, len);
	ike_send(sa, msg, len);
	ev_timer_cancel(sa->ike->r->ev, &sa->rtx);
	if (retransmit) {
		sa->tries = 0;
		sa->rtx_ms = sa->ike->rtx_base_ms;
		ev_timer_arm(sa->ike->r->ev, &sa->rtx, sa->rtx_ms);
	}
}

void ike_sa_stop_rtx(struct ike_sa *sa)
{
	ev_timer_cancel(sa->ike->r->ev, &sa->rtx);
}

static void sa_free(struct ike_sa *sa)
{
	struct evloop *ev = sa->ike->r->ev;
	while (sa->qms) {
		struct ike_qm *q = sa->qms;
		sa->qms = q->next;
		qm_free(q);
	}
	ev_timer_cancel(ev, &sa->rtx);
	ev_timer_cancel(ev, &sa->life);
	ev_timer_cancel(ev, &sa->soft);
	ev_timer_cancel(ev, &sa->reap);
	ev_timer_cancel(ev, &sa->dpd);
	ev_timer_cancel(ev, &sa->natka);
	ike_msgbuf_free(&sa->last_sent);
	ike_msgbuf_free(&sa->last_rcvd);
	ike_msgid_free(sa);
	ike_sa_wipe(sa);
	free(sa->sai_b);
	dh_free(sa->dh);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

static void sa_reap_timer(void *arg)
{
	struct ike_sa *sa = arg;
	struct ike_state *ike = sa->ike;
	for (struct ike_sa **pp = &ike->sas; *pp; pp = &(*pp)->next) {
		if (*pp == sa) {
			*pp = sa->next;
			sa_free(sa);
			return;
		}
	}
}

static void notify_waiters(struct ike_state *ike, uint32_t peer, bool ok);

void ike_sa_delete(struct ike_sa *sa, const char *reason)
{
	struct ike_state *ike = sa->ike;
	if (ike_sa_deleted(sa))
		return;
	if (ike_dbg(ike))
		log_debug(&ike->r->log, "ISAKMP:(%u):deleting SA reason \"%s\" state (%s) %s (peer %s)",
			  sa->conn_id, reason, sa->initiator ? "I" : "R", ike_state_name(sa->state),
			  ip_str(sa->peer).s);
	bool was_negotiating = !ike_sa_established(sa);
	ike_set_state(sa, IKE_SA_DELETED);
	sa->del_reason = reason;
	ike_sa_stop_rtx(sa);
	ev_timer_cancel(ike->r->ev, &sa->life);
	ev_timer_cancel(ike->r->ev, &sa->soft);
	ev_timer_cancel(ike->r->ev, &sa->dpd);
	ev_timer_cancel(ike->r->ev, &sa->natka);
	for (struct ike_qm *q = sa->qms; q; q = q->next)
		ev_timer_cancel(ike->r->ev, &q->rtx);
	/* Keys are of no further use; the row stays for `show` a little while. */
	ike_sa_wipe(sa);
	ev_timer_arm(ike->r->ev, &sa->reap, ike->deleted_keep_ms);
	if (was_negotiating && sa->initiator)
		notify_waiters(ike, sa->peer, false);
}

static void sa_life_timer(void *arg)
{
	struct ike_sa *sa = arg;
	struct ike_state *ike = sa->ike;
	if (!ike_sa_established(sa) && !sa->initiator && sa->state == MM_SA_SETUP) {
		/* Half-open: no valid MM3 came (a spoofed MM1, or a lost one). */
		ike_drop(ike, &ike->st.half_open_expired, sa->peer,
			 "half-open IKE SA expired without MM3");
		ike_sa_delete(sa, "half-open timeout");
		ev_timer_arm(ike->r->ev, &sa->reap, 0);
		return;
	}
	if (!ike_sa_established(sa)) {
		ike_p1_failed(sa, "negotiation timed out");
		return;
	}
	/* Lifetime over: tell the peer and go; IPsec SAs it made live on. */
	info_send_isakmp_delete(sa);
	ike_sa_delete(sa, "IKE SA lifetime expired");
}

/* Does any bundle with peer still need an IKE SA? */
bool ike_peer_in_use(struct ike_state *ike, uint32_t peer)
{
	for (int i = 0; i < IKE_MAX_RECORDS; i++)
		if (ike->rec[i].used && ike->rec[i].peer == peer)
			return true;
	return false;
}

static void sa_soft_timer(void *arg)
{
	struct ike_sa *sa = arg;
	struct ike_state *ike = sa->ike;
	if (ike_sa_deleted(sa) || ike_sa_negotiating(ike, sa->peer))
		return;
	/*
	 * Replace phase 1 before it ends when IPsec SAs with the peer are in
	 * use, so a rekey or a notify never waits for a fresh Main Mode.
	 */
	if (ike_peer_in_use(ike, sa->peer) || ike->r->cfg->isakmp_keepalive) {
		if (ike_dbg(ike))
			log_debug(&ike->r->log, "ISAKMP:(%u):IKE SA nearing expiry, re-negotiating phase 1",
				  sa->conn_id);
		mm_start(ike, sa->local, sa->peer);
	}
}

void ike_sa_arm_deadline(struct ike_sa *sa)
{
	struct ike_state *ike = sa->ike;
	/* A negotiation that stalls is abandoned after all retransmits could have run. */
	uint64_t deadline = 0, step = ike->rtx_base_ms;
	for (int i = 0; i <= ike->rtx_tries + 1; i++, step *= 2)
		deadline += step;
	ev_timer_arm(ike->r->ev, &sa->life, deadline);
}

struct ike_sa *ike_sa_new(struct ike_state *ike, bool initiator, uint32_t local, uint32_t peer,
			  uint16_t peer_port)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));
	if (!sa)
		return NULL;
	sa->ike = ike;
	sa->initiator = initiator;
	sa->local = local;
	sa->peer = peer;
	sa->peer_port = peer_port;
	sa->state = MM_NO_STATE;
	/* IOS numbers IKE SAs 1, 2, ... up to 32766 (`clear crypto isakmp <1-32766>`). */
	sa->conn_id = ike->next_conn_id++;
	if (ike->next_conn_id > 32766)
		ike->next_conn_id = 1;
	sa->created_ms = ev_now(ike->r->ev);
	sa->last_rx_ms = sa->created_ms;
	ev_timer_init(&sa->rtx, sa_rtx_timer, sa);
	ev_timer_init(&sa->life, sa_life_timer, sa);
	ev_timer_init(&sa->soft, sa_soft_timer, sa);
	ev_timer_init(&sa->reap, sa_reap_timer, sa);
	ev_timer_init(&sa->dpd, dpd_timer, sa);
	ev_timer_init(&sa->natka, natt_keepalive_timer, sa);
	ike_sa_arm_deadline(sa);
	sa->next = ike->sas;
	ike->sas = sa;
	return sa;
}

struct ike_sa *ike_sa_find_peer(struct ike_state *ike, uint32_t peer)
{
	struct ike_sa *best = NULL;
	for (struct ike_sa *sa = ike->sas; sa; sa = sa->next)
		if (!ike_sa_deleted(sa) && sa->state == QM_IDLE && sa->peer == peer &&
		    (!best || sa->established_ms > best->established_ms ||
		     (sa->established_ms == best->established_ms && sa->conn_id > best->conn_id)))
			best = sa;
	return best;
}

struct ike_sa *ike_sa_negotiating(struct ike_state *ike, uint32_t peer)
{
	for (struct ike_sa *sa = ike->sas; sa; sa = sa->next)
		if (!ike_sa_deleted(sa) && !ike_sa_established(sa) && sa->initiator && sa->peer == peer)
			return sa;
	return NULL;
}

struct ike_sa *ike_sa_by_conn(struct ike_state *ike, uint32_t conn_id)
{
	for (struct ike_sa *sa = ike->sas; sa; sa = sa->next)
		if (!ike_sa_deleted(sa) && sa->conn_id == conn_id)
			return sa;
	return NULL;
}

bool ike_first_contact(struct ike_state *ike, uint32_t peer)
{
	for (size_t i = 0; i < ike->nknown; i++)
		if (ike->known_peers[i] == peer)
			return false;
	return true;
}

void ike_mark_contact(struct ike_state *ike, uint32_t peer)
{
	if (!ike_first_contact(ike, peer))
		return;
	if (ike->nknown < IKE_MAX_KNOWN_PEERS)
		ike->known_peers[ike->nknown++] = peer;
}

/* ---- phase-1 waiters (ike_initiate_phase1) ---- */

static void waiter_timer(void *arg)
{
	struct ike_waiter *w = arg;
	struct ike_state *ike = w->ike;
	for (struct ike_waiter **pp = &ike->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	ike_ready_fn fn = w->fn;
	void *a = w->arg;
	uint32_t peer = w->peer;
	bool ok = w->ok;
	free(w);
	fn(ike->r, peer, ok, a);
}

/* Callbacks run from a timer, never from inside the code that finished phase 1. */
static void notify_waiters(struct ike_state *ike, uint32_t peer, bool ok)
{
	for (struct ike_waiter *w = ike->waiters; w; w = w->next) {
		if (w->peer != peer || w->fire)
			continue;
		w->fire = true;
		w->ok = ok;
		ev_timer_arm(ike->r->ev, &w->t, 0);
	}
}

void ike_phase1_result(struct ike_state *ike, uint32_t peer, bool ok)
{
	notify_waiters(ike, peer, ok);
}

/* ---- phase 1 done / failed ---- */

void ike_established(struct ike_sa *sa)
{
	struct ike_state *ike = sa->ike;
	char ps[16];
	ip_fmt(sa->peer, ps);
	ike_sa_stop_rtx(sa);
	sa->established_ms = ev_now(ike->r->ev);
	ike_set_state(sa, QM_IDLE);
	ike->st.p1_ok++;
	ike_mark_contact(ike, sa->peer);
	if (ike_dbg(ike))
		log_debug(&ike->r->log, "ISAKMP:(%u):SA has been authenticated with %s", sa->conn_id, ps);
	uint64_t life = (uint64_t)sa->pol.lifetime * 1000;
	ev_timer_arm(ike->r->ev, &sa->life, life);
	if (sa->initiator)
		ev_timer_arm(ike->r->ev, &sa->soft, life * 9 / 10);
	dpd_arm(sa);
	natt_keepalive_arm(sa);
	notify_waiters(ike, sa->peer, true);
	ike_start_pending(ike, sa);
	/* The peer drops every SA with us on our INITIAL-CONTACT: bring them back. */
	if (sa->ic_sent)
		recovery_contact_made(ike->r, sa->peer, sa->initiator);
}

void ike_p1_failed(struct ike_sa *sa, const char *why)
{
	struct ike_state *ike = sa->ike;
	char ps[16];
	ip_fmt(sa->peer, ps);
	if (ike_sa_deleted(sa))
		return;
	ike->st.p1_fail++;
	log_msg(&ike->r->log, "CRYPTO", SEV_INFO, "IKMP_MODE_FAILURE",
		"Processing of Main mode failed with peer at %s (%s)", ps, why);
	uint32_t peer = sa->peer;
	bool init = sa->initiator;
	ike_sa_delete(sa, why);
	if (init)
		ike_pending_next_peer(ike, peer);
}

/* ---- datagram entry ---- */

static struct ike_sa *find_by_cookies(struct ike_state *ike, const struct isakmp_hdr *h)
{
	static const uint8_t zero[8];
	for (struct ike_sa *sa = ike->sas; sa; sa = sa->next) {
		if (memcmp(sa->icookie, h->icookie, 8) != 0)
			continue;
		if (memcmp(sa->rcookie, h->rcookie, 8) == 0)
			return sa;
		/* Our MM1 went out with a zero responder cookie; MM2 brings it. */
		if (sa->initiator && memcmp(sa->rcookie, zero, 8) == 0 && !ike_sa_deleted(sa))
			return sa;
	}
	return NULL;
}

void ike_input_datagram(struct router *r, uint32_t src, uint16_t sport, uint32_t dst,
			uint16_t dport, const uint8_t *data, size_t len)
{
	struct ike_state *ike = r->ike;
	struct isakmp_hdr h;
	static const uint8_t zero[8];
	if (!ike)
		return;
	ike->st.rx++;
	/* UDP 4500: IKE behind the non-ESP marker, or a NAT keepalive. */
	if (dport == UDP_PORT_IKE_NATT && !natt_4500_ike(ike, src, &data, &len))
		return;
	if (ike2_is_v2(data, len)) {
		ike2_input(ike, src, sport, dst, dport, data, len);
		return;
	}
	enum isakmp_err e = isakmp_parse_hdr(data, len, &h);
	if (e != ISAKMP_OK) {
		ike_drop(ike, &ike->st.malformed, src, isakmp_strerror(e));
		return;
	}
	struct ike_sa *sa = find_by_cookies(ike, &h);
	if (!sa) {
		if (h.exch == ISAKMP_EXCH_IDPROT && memcmp(h.rcookie, zero, 8) == 0 &&
		    !(h.flags & ISAKMP_FLAG_ENC)) {
			mm_respond(ike, dst, src, sport, data, len, &h);
			return;
		}
		if (h.exch == ISAKMP_EXCH_INFO && !(h.flags & ISAKMP_FLAG_ENC)) {
			ike_drop(ike, &ike->st.unprotected_ignored, src,
				 "unprotected Informational (no IKE SA) ignored");
			info_count_unprotected(ike, src, data, len);
			return;
		}
		ike_drop(ike, &ike->st.unknown_cookies, src, "unknown cookies");
		return;
	}
	if (sa->peer != src) {
		ike_drop(ike, &ike->st.bad_peer, src, "cookies of another peer's SA");
		return;
	}
	if (ike_sa_deleted(sa)) {
		ike_drop(ike, &ike->st.unknown_cookies, src, "SA deleted");
		return;
	}
	/*
	 * The cookies are in clear in every header: the peer's port may follow
	 * this datagram only once it authenticated (RFC 3947 §5), so the
	 * handlers call natt_rx_authenticated() after the HASH checked out.
	 */
	sa->rx_sport = sport;
	sa->rx_dport = dport;
	switch (h.exch) {
	case ISAKMP_EXCH_IDPROT:
		mm_input(sa, data, len, &h);
		break;
	case ISAKMP_EXCH_QUICK:
		qm_input(sa, data, len, &h);
		break;
	case ISAKMP_EXCH_INFO:
		info_input(sa, data, len, &h);
		break;
	default:
		ike_drop(ike, &ike->st.unsupported, src, "unsupported exchange type");
	}
}

static void udp_rx(void *arg, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		   const uint8_t *data, size_t len)
{
	struct router *r = arg;
	ike_input_datagram(r, src, sport, dst, dport, data, len);
}

/* ---- public API ---- */

int ike_init(struct router *r)
{
	struct ike_state *ike = calloc(1, sizeof(*ike));
	if (!ike)
		return -1;
	ike->r = r;
	ike->xmit = default_xmit;
	ike->next_conn_id = 1;
	ike->next_record_id = 1;
	ike->rtx_base_ms = IKE_RTX_BASE_MS;
	ike->rtx_tries = IKE_RTX_TRIES;
	ike->deleted_keep_ms = 60000;
	ike->qm_keep_ms = 60000;
	ike->dpd_max_tries = 5;
	ike->msgid_cap = IKE_MAX_MSGIDS;
	ike->ho_max = IKE_MAX_HALF_OPEN;
	ike->ho_per_src = IKE_MAX_HALF_OPEN_PER_SRC;
	ike->ho_ms = IKE_HALF_OPEN_MS;
	r->ike = ike;
	if (ike2_init(ike) < 0) {
		free(ike);
		r->ike = NULL;
		return -1;
	}
	sadb_set_km(r, ike_km_ops());
	return 0;
}

void ike_free(struct router *r)
{
	struct ike_state *ike = r->ike;
	if (!ike)
		return;
	while (ike->sas) {
		struct ike_sa *sa = ike->sas;
		ike->sas = sa->next;
		sa_free(sa);
	}
	while (ike->waiters) {
		struct ike_waiter *w = ike->waiters;
		ike->waiters = w->next;
		ev_timer_cancel(r->ev, &w->t);
		free(w);
	}
	ike2_free(ike);
	ike_crypt_free(ike);
	free(ike);
	r->ike = NULL;
}

int ike_start(struct router *r)
{
	if (udp_bind(r, UDP_PORT_IKE, udp_rx, r) < 0)
		return -1;
	/* UDP 4500 carries ESP too: natt.c takes the packets and sorts them. */
	if (natt_start(r) < 0)
		return -1;
	ike2_qcd_apply(r->ike);
	return 0;
}

void ike_config_changed(struct router *r)
{
	struct ike_state *ike = r->ike;
	if (!ike)
		return;
	ike2_qcd_apply(ike);
	/* Keepalive settings may have changed: re-arm DPD on established SAs. */
	for (struct ike_sa *sa = ike->sas; sa; sa = sa->next)
		if (!ike_sa_deleted(sa) && sa->state == QM_IDLE) {
			dpd_arm(sa);
			natt_keepalive_arm(sa);
		}
	/* IKEv2: a profile's dpd or lifetime may have changed; its one timer follows. */
	if (ike->v2)
		ike2_schedule(ike->v2);
}

void ike_set_xmit(struct router *r,
		  int (*xmit)(struct router *r, uint32_t src, uint16_t sport, uint32_t dst,
			      uint16_t dport, const uint8_t *data, size_t len))
{
	r->ike->xmit = xmit ? xmit : default_xmit;
}

void ike_set_test_v2_life(struct router *r, uint32_t ms) { r->ike->test_v2_life_ms = ms; }

void ike_set_retransmit(struct router *r, uint32_t base_ms, int tries)
{
	r->ike->rtx_base_ms = base_ms;
	r->ike->rtx_tries = tries;
}

bool ike_sa_up(struct router *r, uint32_t peer)
{
	return r->ike && (ike_sa_find_peer(r->ike, peer) != NULL || ike2_sa_up(r->ike, peer));
}

uint32_t ike_local_for_peer(struct router *r, uint32_t peer)
{
	/* The address of the interface whose crypto map names the peer, as IOS uses. */
	const struct config *cfg = r->cfg;
	for (size_t i = 0; i < cfg->niface; i++) {
		const struct cfg_iface *ci = &cfg->ifaces[i];
		if (!ci->has_addr || !ci->crypto_map[0])
			continue;
		for (size_t j = 0; j < cfg->ncmap; j++) {
			const struct cfg_cmap_entry *e = &cfg->cmaps[j];
			if (strcmp(e->name, ci->crypto_map) != 0)
				continue;
			for (size_t k = 0; k < e->npeers; k++)
				if (e->peers[k] == peer)
					return ci->addr;
		}
	}
	uint32_t nh = 0;
	struct iface *ifp = route_lookup(r, peer, &nh);
	return ifp && ifp->has_addr ? ifp->addr : 0;
}

int ike_initiate_phase1(struct router *r, uint32_t peer, ike_ready_fn fn, void *arg)
{
	struct ike_state *ike = r->ike;
	if (!ike || !fn)
		return -1;
	struct ike_waiter *w = calloc(1, sizeof(*w));
	if (!w)
		return -1;
	w->ike = ike;
	w->peer = peer;
	w->fn = fn;
	w->arg = arg;
	ev_timer_init(&w->t, waiter_timer, w);
	w->next = ike->waiters;
	ike->waiters = w;
	if (ike_sa_find_peer(ike, peer) || ike2_sa_up(ike, peer)) {
		w->fire = true;
		w->ok = true;
		ev_timer_arm(r->ev, &w->t, 0);
		return 0;
	}
	if (ike_sa_negotiating(ike, peer))
		return 0;
	/*
	 * A peer whose map entry has `set ikev2-profile` gets an IKEv2 SA
	 * (IKE_SA_INIT + IKE_AUTH with the entry's Child SA), never Main Mode;
	 * its waiters run when the SA is READY or fails (ike2_recover.c).
	 */
	int rc = ike2_peer_is_v2(ike, peer) ? ike2_initiate_peer(ike, peer)
					      : mm_start(ike, ike_local_for_peer(r, peer), peer);
	if (rc < 0) {
		w->fire = true;
		w->ok = false;
		ev_timer_arm(r->ev, &w->t, 0);
		return -1;
	}
	return 0;
}

bool ike_peer_is_v2(struct router *r, uint32_t peer)
{
	return r->ike && ike2_peer_is_v2(r->ike, peer);
}

bool ike_send_invalid_spi(struct router *r, uint32_t local, uint32_t peer, uint8_t ipproto,
			  uint32_t spi)
{
	struct ike_state *ike = r->ike;
	struct ike_sa *sa = ike ? ike_sa_find_peer(ike, peer) : NULL;
	(void)local;
	if (!sa && ike)
		return ike2_send_invalid_spi(ike, peer, ipproto, spi);
	if (!sa || !isakmp_proto_from_ip(ipproto))
		return false;
	uint8_t s[4];
	wbuf_st32(s, spi);
	struct isakmp_notify n = {
		.doi = ISAKMP_DOI_IPSEC,
		.proto = isakmp_proto_from_ip(ipproto),
		.spi_size = 4,
		.type = ISAKMP_N_INVALID_SPI,
		.spi = s,
	};
	if (info_send(sa, &n, NULL, 0) < 0)
		return false;
	ike->st.invalid_spi_tx++;
	return true;
}
