/*
 * The IKEv2 SA table, the guarded state setter, message-ID windows and
 * the dispatch of a datagram to one receive function per message
 * (ikev2_init.c: IKE_SA_INIT; ikev2_auth.c: IKE_AUTH).
 */
#include "ikev2/ikev2_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

const char *ikev2_state_name(enum ikev2_state s)
{
	static const char *const names[IKEV2_S_COUNT] = {
		[IKEV2_S_NONE] = "NONE", [IKEV2_S_I_INIT_SENT] = "I_INIT_SENT",
		[IKEV2_S_R_INIT_SENT] = "R_INIT_SENT", [IKEV2_S_I_AUTH_SENT] = "I_AUTH_SENT",
		[IKEV2_S_READY] = "READY", [IKEV2_S_DEAD] = "DEAD",
	};
	return s < IKEV2_S_COUNT ? names[s] : "?";
}

void ikev2_log(struct ikev2_engine *e, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	if (!e->host->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	e->host->log(e->host->arg, line);
}

/* The transitions an IKE SA may make; every other one is refused. */
static bool transition_ok(enum ikev2_state from, enum ikev2_state to)
{
	if (to == IKEV2_S_DEAD)
		return from != IKEV2_S_DEAD;
	switch (from) {
	/* NONE -> READY only for an IKE SA a rekey made (ikev2_sa_rekeyed): keyed, authenticated by the old one. */
	case IKEV2_S_NONE: return to == IKEV2_S_I_INIT_SENT || to == IKEV2_S_R_INIT_SENT || to == IKEV2_S_READY;
	case IKEV2_S_I_INIT_SENT: return to == IKEV2_S_I_AUTH_SENT;
	case IKEV2_S_R_INIT_SENT:
	case IKEV2_S_I_AUTH_SENT: return to == IKEV2_S_READY;
	default: return false;
	}
}

bool ikev2_set_state(struct ikev2_sa *sa, enum ikev2_state to)
{
	struct ikev2_engine *e = sa->eng;
	if (!transition_ok(sa->state, to)) {
		e->st.bad_transition++;
		ikev2_log(e, "IKEv2:(SA %s):refused state change %s -> %s", ikev2_sa_name(sa).s,
			  ikev2_state_name(sa->state), ikev2_state_name(to));
		return false;
	}
	ikev2_log(e, "IKEv2:(SA %s):Old State = %s  New State = %s", ikev2_sa_name(sa).s,
		  ikev2_state_name(sa->state), ikev2_state_name(to));
	if (to == IKEV2_S_READY)
		e->st.ready++;
	else if (to == IKEV2_S_DEAD && sa->state != IKEV2_S_READY)
		e->st.failed++;
	sa->state = to;
	return true;
}

void ikev2_engine_init(struct ikev2_engine *e, const struct ikev2_host *h)
{
	memset(e, 0, sizeof(*e));
	e->host = h;
}

static void sa_free(struct ikev2_sa *sa)
{
	ikev2_frag_free(sa);
	dh_free(sa->dh);
	dh_free(sa->cc.dh);
	if (sa->sk_ready)
		ikev2_sk_free(&sa->sk);
	free(sa->init_i);
	free(sa->init_r);
	free(sa->req_buf);
	free(sa->rsp_buf);
	free(sa->rsp_for);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

void ikev2_engine_free(struct ikev2_engine *e)
{
	while (e->sas) {
		struct ikev2_sa *n = e->sas->next;
		sa_free(e->sas);
		e->sas = n;
	}
	OPENSSL_cleanse(e->qcd_secret, sizeof(e->qcd_secret));
	OPENSSL_cleanse(e->cookie_secret, sizeof(e->cookie_secret));
}

struct ikev2_sa *ikev2_sa_new(struct ikev2_engine *e, bool initiator, uint32_t local, uint32_t peer)
{
	struct ikev2_sa *sa = calloc(1, sizeof(*sa));
	if (!sa)
		return NULL;
	sa->eng = e;
	sa->initiator = initiator;
	sa->local = local;
	sa->peer = peer;
	sa->lport = sa->pport = IKEV2_PORT;
	sa->next = e->sas;
	e->sas = sa;
	return sa;
}

/* Half-open responder SAs are what a spoofer can create: bounded per peer and in all. */
void ikev2_half_open_limit(struct ikev2_engine *e, uint32_t peer)
{
	size_t all = 0, mine = 0;
	struct ikev2_sa *oldest_all = NULL, *oldest_mine = NULL;
	for (struct ikev2_sa *s = e->sas; s; s = s->next) {
		if (s->state != IKEV2_S_R_INIT_SENT)
			continue;
		all++;
		oldest_all = s;		/* the list is newest first */
		if (s->peer == peer) {
			mine++;
			oldest_mine = s;
		}
	}
	struct ikev2_sa *evict = mine >= IKEV2_HALF_OPEN_PER_PEER ? oldest_mine
		: all >= IKEV2_HALF_OPEN_MAX ? oldest_all : NULL;
	if (evict) {
		e->st.half_open_evicted++;
		ikev2_set_state(evict, IKEV2_S_DEAD);
	}
}

/*
 * No SA may point at one about to be freed: a collision's record of the
 * peer's new SA is dropped, and an SA a rekey replaced (its children are
 * the successor's) dies with its successor, quietly: the host never held it.
 */
static void unlink_dead(struct ikev2_engine *e)
{
	bool again = true;
	while (again) {
		again = false;
		for (struct ikev2_sa *s = e->sas; s; s = s->next) {
			if (s->cc.coll_sa && s->cc.coll_sa->state == IKEV2_S_DEAD)
				s->cc.coll_sa = NULL;
			if (s->rekeyed_to && s->rekeyed_to->state == IKEV2_S_DEAD) {
				s->rekeyed_to = NULL;
				if (s->state != IKEV2_S_DEAD) {
					ikev2_set_state(s, IKEV2_S_DEAD);
					again = true;
				}
			}
		}
	}
}

/* Reaps dead SAs; the host calls it outside message processing. */
void ikev2_reap(struct ikev2_engine *e)
{
	unlink_dead(e);
	ikev2_frag_expire(e);
	for (struct ikev2_sa **pp = &e->sas; *pp;) {
		struct ikev2_sa *s = *pp;
		if (s->state == IKEV2_S_DEAD) {
			*pp = s->next;
			sa_free(s);
		} else {
			pp = &s->next;
		}
	}
}

bool ikev2_keep_copy(uint8_t **dst, size_t *dlen, const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len);
	if (!p)
		return false;
	memcpy(p, src, len);
	free(*dst);
	*dst = p;
	*dlen = len;
	return true;
}

int ikev2_send_request(struct ikev2_sa *sa, const uint8_t *msg, size_t len)
{
	if (!len || !ikev2_keep_copy(&sa->req_buf, &sa->req_len, msg, len))
		return -1;
	sa->req_pending = true;
	sa->eng->st.tx++;
	return ikev2_send_train(sa->eng, sa, sa->local, sa->peer, false, msg, len);
}

int ikev2_send_response(struct ikev2_sa *sa, const uint8_t *msg, size_t len)
{
	struct ikev2_engine *e = sa->eng;
	if (!len || !e->rx_raw || !ikev2_keep_copy(&sa->rsp_buf, &sa->rsp_len, msg, len) ||
	    !ikev2_keep_copy(&sa->rsp_for, &sa->rsp_for_len, e->rx_raw, e->rx_raw_len))
		return -1;
	sa->eng->st.tx++;
	return ikev2_send_train(e, sa, sa->local, sa->peer, true, msg, len);
}

void ikev2_retransmit(struct ikev2_sa *sa)
{
	if (!sa->req_pending || sa->state == IKEV2_S_DEAD)
		return;
	sa->eng->st.tx++;
	ikev2_send_train(sa->eng, sa, sa->local, sa->peer, false, sa->req_buf, sa->req_len);
}

static struct ikev2_sa *find(struct ikev2_engine *e, uint32_t peer, const struct ikev2_hdr *h)
{
	static const uint8_t zero[8];
	for (struct ikev2_sa *s = e->sas; s; s = s->next) {
		if (s->peer != peer || s->state == IKEV2_S_DEAD || memcmp(s->spi_i, h->spi_i, 8))
			continue;
		/* Until the initiator learns SPIr, the response names it and we do not. */
		if (!memcmp(s->spi_r, h->spi_r, 8) ||
		    (s->state == IKEV2_S_I_INIT_SENT && !memcmp(s->spi_r, zero, 8)))
			return s;
	}
	return NULL;
}

/* Which message each state accepts: the only way a datagram reaches a receive function. */
static const struct {
	uint8_t exch;
	bool response;
	bool initiator;		/* our role in the IKE SA */
	enum ikev2_state state;
	ikev2_recv_fn fn;
} dispatch[] = {
	{ IKEV2_EXCH_IKE_SA_INIT, true, true, IKEV2_S_I_INIT_SENT, ikev2_recv_init_rsp },
	{ IKEV2_EXCH_IKE_AUTH, false, false, IKEV2_S_R_INIT_SENT, ikev2_recv_auth_req },
	{ IKEV2_EXCH_IKE_AUTH, true, true, IKEV2_S_I_AUTH_SENT, ikev2_recv_auth_rsp },
	/* Once READY either side may start INFORMATIONAL and CREATE_CHILD_SA (§1.3, §1.4). */
	{ IKEV2_EXCH_INFORMATIONAL, false, true, IKEV2_S_READY, ikev2_recv_info_req },
	{ IKEV2_EXCH_INFORMATIONAL, false, false, IKEV2_S_READY, ikev2_recv_info_req },
	{ IKEV2_EXCH_INFORMATIONAL, true, true, IKEV2_S_READY, ikev2_recv_info_rsp },
	{ IKEV2_EXCH_INFORMATIONAL, true, false, IKEV2_S_READY, ikev2_recv_info_rsp },
	{ IKEV2_EXCH_CREATE_CHILD_SA, false, true, IKEV2_S_READY, ikev2_recv_cc_req },
	{ IKEV2_EXCH_CREATE_CHILD_SA, false, false, IKEV2_S_READY, ikev2_recv_cc_req },
	{ IKEV2_EXCH_CREATE_CHILD_SA, true, true, IKEV2_S_READY, ikev2_recv_cc_rsp },
	{ IKEV2_EXCH_CREATE_CHILD_SA, true, false, IKEV2_S_READY, ikev2_recv_cc_rsp },
};

/*
 * INFORMATIONAL and CREATE_CHILD_SA are always protected (§1.4, §2.21.4):
 * one without an SK payload is anybody's, so it is counted and dropped
 * before an SA is even looked up (an unprotected INVALID_SPI apart).
 */
static bool unprotected(struct ikev2_engine *e, const struct ikev2_msg *m)
{
	if ((m->h.exch != IKEV2_EXCH_INFORMATIONAL && m->h.exch != IKEV2_EXCH_CREATE_CHILD_SA) || m->sk)
		return false;
	if (ikev2_find_notify(m, IKEV2_N_INVALID_SPI))
		e->st.invalid_spi_unprotected++;
	else
		e->st.unprotected++;
	return true;
}

/*
 * §2.3 with a window of one: a request must carry the next ID; an exact
 * copy of the last one is a retransmission and gets the stored response;
 * a response must answer our outstanding request.  Counters move only
 * when the message is processed (after it authenticated).
 */
static bool msgid_ok(struct ikev2_sa *sa, const struct ikev2_msg *m, const uint8_t *buf, size_t len)
{
	struct ikev2_stats *st = &sa->eng->st;
	if (m->h.flags & IKEV2_FLAG_RESPONSE) {
		if (sa->req_pending && m->h.msgid == sa->req_out)
			return true;
		st->dup_response++;
		return false;
	}
	if (m->h.msgid == sa->req_in)
		return true;
	if (sa->rsp_buf && m->h.msgid + 1 == sa->req_in && len == sa->rsp_for_len &&
	    !memcmp(buf, sa->rsp_for, len)) {
		st->retransmit_answered++;
		st->tx++;
		ikev2_send_train(sa->eng, sa, sa->local, sa->peer, true, sa->rsp_buf, sa->rsp_len);
		return false;
	}
	if (m->h.msgid < sa->req_in)
		st->dup_request++;
	else
		st->bad_msgid++;
	return false;
}

/*
 * A datagram for an SA from another port than the SA's that did not move
 * it (it did not authenticate, or no NAT was detected): counted, §2.23.
 * IKE_SA_INIT apart: the initiator floats to 4500 after reading it.
 */
static void natt_unmoved(const struct ikev2_sa *sa, const struct ikev2_msg *m)
{
	const struct ikev2_engine *e = sa->eng;
	if (m->h.exch != IKEV2_EXCH_IKE_SA_INIT && sa->state != IKEV2_S_DEAD && e->rx_lport &&
	    (e->rx_lport != sa->lport || e->rx_pport != sa->pport))
		sa->eng->st.natt_port_ignored++;
}

static void input(struct ikev2_engine *e, uint32_t local, uint32_t peer, const uint8_t *data, size_t len)
{
	static uint8_t buf[IKEV2_MAX_MSG];
	struct ikev2_msg m;
	e->st.rx++;
	if (len > sizeof(buf))
		return;
	memcpy(buf, data, len);		/* decrypted in place */
	e->rx_raw = data;
	e->rx_raw_len = len;
	int rc = ikev2_decode(buf, len, &m);
	if (rc) {
		/* One drop, one counter. */
		if (rc == IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD)
			e->st.unsupported_critical++;
		else
			e->st.malformed++;
		return;
	}
	bool response = m.h.flags & IKEV2_FLAG_RESPONSE;
	bool from_initiator = m.h.flags & IKEV2_FLAG_INITIATOR;
	if (m.h.exch == IKEV2_EXCH_IKE_SA_INIT && !response) {
		ikev2_recv_init_req(e, local, peer, &m, buf, len);
		return;
	}
	struct ikev2_sa *sa = find(e, peer, &m.h);
	if (unprotected(e, &m)) {
		/* The one unprotected answer that may end an SA: a QCD token we hold (RFC 6290). */
		if (sa && sa->local == local && from_initiator != sa->initiator)
			ikev2_qcd_take(sa, &m);
		return;
	}
	/* The I flag says who sent it: never our own role (§3.1). */
	if (!sa || sa->local != local || from_initiator == sa->initiator) {
		e->st.no_sa++;
		if (!sa)
			ikev2_qcd_make(e, local, peer, &m);
		return;
	}
	for (size_t i = 0; i < sizeof(dispatch) / sizeof(dispatch[0]); i++) {
		if (dispatch[i].exch != m.h.exch || dispatch[i].response != response ||
		    dispatch[i].initiator != sa->initiator || dispatch[i].state != sa->state)
			continue;
		/*
		 * RFC 7383: one fragment; the message once whole.  A verified
		 * fragment of a message still incomplete is no sign of a forged
		 * port: the whole message moves the port, or counts, when it is in.
		 */
		if (m.sk && m.sk->type == IKEV2_PL_SKF) {
			if (ikev2_frag_input(sa, &m, buf, len, dispatch[i].fn))
				return;
		} else if (msgid_ok(sa, &m, buf, len)) {
			dispatch[i].fn(sa, &m, buf, len);
		}
		natt_unmoved(sa, &m);
		return;
	}
	/* A retransmitted request in a state that has moved on still gets its answer. */
	if (m.sk && m.sk->type == IKEV2_PL_SKF)
		ikev2_frag_stray(sa, &m, buf, len);
	else if (msgid_ok(sa, &m, buf, len))
		e->st.bad_state++;
	natt_unmoved(sa, &m);
}

void ikev2_input_port(struct ikev2_engine *e, uint32_t local, uint16_t lport, uint32_t peer, uint16_t pport,
		      const uint8_t *data, size_t len)
{
	e->rx_lport = lport;
	e->rx_pport = pport;
	input(e, local, peer, data, len);
	e->rx_raw = NULL;
	e->rx_raw_len = 0;
	e->rx_lport = e->rx_pport = 0;
}

void ikev2_input(struct ikev2_engine *e, uint32_t local, uint32_t peer, const uint8_t *data, size_t len)
{
	ikev2_input_port(e, local, IKEV2_PORT, peer, IKEV2_PORT, data, len);
}
