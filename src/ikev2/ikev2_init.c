/*
 * IKE_SA_INIT (RFC 7296 §1.2): the initiator's request, the responder's
 * answer, and the initiator's reading of it.  Nothing here is
 * authenticated yet: a responder SA is half-open, bounded per peer and in
 * all, and proves nothing until IKE_AUTH checks both messages.
 */
#include "ikev2/ikev2_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

bool ikev2_rand(uint8_t *p, size_t n)
{
	static const uint8_t zero[8];
	do {
		if (RAND_bytes(p, (int)n) != 1)
			return false;
	} while (n == 8 && !memcmp(p, zero, 8));
	return true;
}

static size_t build_init(struct ikev2_sa *sa, const struct ikev2_props *props, uint8_t *buf, size_t cap)
{
	struct ikev2_hdr h = { .exch = IKEV2_EXCH_IKE_SA_INIT,
			       .flags = sa->initiator ? IKEV2_FLAG_INITIATOR : IKEV2_FLAG_RESPONSE };
	struct ikev2_wr w;
	uint8_t pub[DH_MAX_PUB];
	int publen = dh_public(sa->dh, pub, sizeof(pub));
	if (publen < 0)
		return 0;
	memcpy(h.spi_i, sa->spi_i, 8);
	memcpy(h.spi_r, sa->spi_r, 8);
	ikev2_wr_init(&w, buf, cap, &h);
	if (sa->initiator && sa->cookie_len)	/* §2.6: first, the rest unchanged */
		ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_COOKIE, sa->cookie, sa->cookie_len);
	ikev2_put_sa(&w, props);
	ikev2_put_ke(&w, (uint16_t)dh_group(sa->dh), pub, (size_t)publen);
	ikev2_put_nonce(&w, sa->initiator ? sa->ni : sa->nr, IKEV2_NONCE_LEN);
	ikev2_natd_put(sa, &w);
	/* RFC 7383 §2.3: the initiator offers; the responder answers only an offer. */
	if (sa->conf.frag_mtu && (sa->initiator || sa->frag))
		ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	return ikev2_wr_finish(&w);
}

static int send_init_req(struct ikev2_sa *sa)
{
	uint8_t buf[4096];
	struct ikev2_props offer;
	ikev2_offer_ike(&sa->conf, (uint16_t)dh_group(sa->dh), &offer);
	size_t n = build_init(sa, &offer, buf, sizeof(buf));
	if (!n || !ikev2_keep_copy(&sa->init_i, &sa->init_i_len, buf, n))
		return -1;
	return ikev2_send_request(sa, buf, n);
}

struct ikev2_sa *ikev2_initiate(struct ikev2_engine *e, uint32_t local, uint32_t peer)
{
	struct ikev2_peer_conf conf;
	if (!e->host->conf(e->host->arg, local, peer, &conf) || !conf.nike || !conf.nchild) {
		e->st.no_conf++;
		return NULL;
	}
	struct ikev2_sa *sa = ikev2_sa_new(e, true, local, peer);
	if (!sa)
		return NULL;
	sa->conf = conf;
	OPENSSL_cleanse(&conf, sizeof(conf));
	sa->nilen = IKEV2_NONCE_LEN;
	sa->dh = dh_new(sa->conf.ike[0].dh);
	if (!sa->dh || !ikev2_rand(sa->spi_i, 8) || !ikev2_rand(sa->ni, sa->nilen) ||
	    send_init_req(sa) < 0 || !ikev2_set_state(sa, IKEV2_S_I_INIT_SENT)) {
		ikev2_set_state(sa, IKEV2_S_DEAD);
		return NULL;
	}
	ikev2_log(e, "IKEv2:(SA %s):Sending IKE_SA_INIT request", ikev2_sa_name(sa).s);
	return sa;
}

int ikev2_key_sa(struct ikev2_sa *sa, const uint8_t *peer_ke, size_t kelen)
{
	struct ikev2_sk_alg alg;
	uint8_t gir[DH_MAX_PUB];
	int prf_hash, rc = -1;
	int n = dh_derive(sa->dh, peer_ke, kelen, gir, sizeof(gir));
	if (n < 0 || ikev2_suite_algs(&sa->suite, &alg, &sa->keys.integ_len, &sa->keys.enc_len, &prf_hash) < 0)
		goto out;
	if (ikev2_derive_ike(prf_hash, NULL, sa->ni, sa->nilen, sa->nr, sa->nrlen, gir, (size_t)n, sa->spi_i,
			     sa->spi_r, &sa->keys) < 0 ||
	    ikev2_sk_init(&sa->sk, &alg, &sa->keys, sa->initiator) < 0)
		goto out;
	sa->sk_ready = true;
	rc = 0;
out:
	OPENSSL_cleanse(gir, sizeof(gir));
	return rc;
}

/* An unprotected error answer to an IKE_SA_INIT request (§2.21.1). */
static void init_error(struct ikev2_engine *e, uint32_t local, uint32_t peer, const struct ikev2_hdr *req,
		       uint16_t type, const uint8_t *data, size_t dlen)
{
	uint8_t buf[128];
	struct ikev2_hdr h = { .exch = IKEV2_EXCH_IKE_SA_INIT, .flags = IKEV2_FLAG_RESPONSE };
	struct ikev2_wr w;
	memcpy(h.spi_i, req->spi_i, 8);
	ikev2_wr_init(&w, buf, sizeof(buf), &h);
	ikev2_put_notify(&w, 0, NULL, 0, type, data, dlen);
	size_t n = ikev2_wr_finish(&w);
	if (n) {
		e->st.tx++;
		ikev2_xmit(e, NULL, local, peer, true, buf, n);
	}
}

struct init_payloads {
	struct ikev2_props sa;
	struct ikev2_ke ke;
	const uint8_t *nonce;
	size_t nlen;
};

static bool init_payloads(const struct ikev2_msg *m, struct init_payloads *p)
{
	const struct ikev2_pl *sa = ikev2_find(m, IKEV2_PL_SA, 0), *ke = ikev2_find(m, IKEV2_PL_KE, 0),
			      *no = ikev2_find(m, IKEV2_PL_NONCE, 0);
	return sa && ke && no && ikev2_parse_sa(sa, &p->sa) == 0 && ikev2_parse_ke(ke, &p->ke) == 0 &&
	       ikev2_parse_nonce(no, &p->nonce, &p->nlen) == 0;
}

/* An SA with this SPIi from this peer already answered: a retransmission, or a stray. */
static bool init_retransmitted(struct ikev2_engine *e, uint32_t peer, const struct ikev2_msg *m,
			       const uint8_t *buf, size_t len)
{
	for (struct ikev2_sa *s = e->sas; s; s = s->next) {
		if (s->initiator || s->peer != peer || memcmp(s->spi_i, m->h.spi_i, 8))
			continue;
		if (s->state == IKEV2_S_R_INIT_SENT && s->rsp_for_len == len && !memcmp(s->rsp_for, buf, len)) {
			e->st.retransmit_answered++;
			e->st.tx++;
			ikev2_xmit(e, s, s->local, s->peer, true, s->rsp_buf, s->rsp_len);
		} else {
			e->st.dup_request++;
		}
		return true;
	}
	return false;
}

void ikev2_recv_init_req(struct ikev2_engine *e, uint32_t local, uint32_t peer, struct ikev2_msg *m,
			 uint8_t *buf, size_t len)
{
	static const uint8_t zero[8];
	static struct init_payloads p;
	struct ikev2_peer_conf conf;
	struct ikev2_suite chosen;
	uint8_t propnum;
	if (m->h.msgid != 0 || memcmp(m->h.spi_r, zero, 8) || !(m->h.flags & IKEV2_FLAG_INITIATOR) ||
	    !init_payloads(m, &p)) {
		e->st.malformed++;
		return;
	}
	if (init_retransmitted(e, peer, m, buf, len))
		return;
	if (!e->host->conf(e->host->arg, local, peer, &conf)) {
		e->st.no_conf++;
		return;
	}
	if (!ikev2_cookie_check(e, local, peer, m, p.nonce, p.nlen))
		goto out;
	if (ikev2_choose_ike(&conf, &p.sa, &chosen, &propnum) < 0) {
		e->st.no_proposal++;
		init_error(e, local, peer, &m->h, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		goto out;
	}
	if (p.ke.group != chosen.dh) {
		uint8_t g[2];
		wbuf_st16(g, chosen.dh);
		e->st.invalid_ke++;
		init_error(e, local, peer, &m->h, IKEV2_N_INVALID_KE_PAYLOAD, g, 2);
		goto out;
	}
	ikev2_half_open_limit(e, peer);
	struct ikev2_sa *sa = ikev2_sa_new(e, false, local, peer);
	if (!sa)
		goto out;
	sa->conf = conf;
	sa->suite = chosen;
	/* Answers, and our later requests, go where the request came from (§2.23). */
	sa->lport = e->rx_lport ? e->rx_lport : IKEV2_PORT;
	sa->pport = e->rx_pport ? e->rx_pport : IKEV2_PORT;
	sa->frag = conf.frag_mtu && ikev2_find_notify(m, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED);
	memcpy(sa->spi_i, m->h.spi_i, 8);
	ikev2_natd_check(sa, m);
	memcpy(sa->ni, p.nonce, p.nlen);
	sa->nilen = p.nlen;
	sa->nrlen = IKEV2_NONCE_LEN;
	sa->dh = dh_new(chosen.dh);
	struct ikev2_props answer;
	ikev2_answer_ike(&chosen, propnum, &answer);
	uint8_t rsp[4096];
	size_t n;
	if (!sa->dh || !ikev2_rand(sa->spi_r, 8) || !ikev2_rand(sa->nr, sa->nrlen) ||
	    ikev2_key_sa(sa, p.ke.data, p.ke.len) < 0 || !(n = build_init(sa, &answer, rsp, sizeof(rsp))) ||
	    !ikev2_keep_copy(&sa->init_i, &sa->init_i_len, buf, len) || !ikev2_keep_copy(&sa->init_r, &sa->init_r_len, rsp, n) ||
	    !ikev2_set_state(sa, IKEV2_S_R_INIT_SENT)) {
		ikev2_set_state(sa, IKEV2_S_DEAD);
		goto out;
	}
	sa->req_in = 1;
	ikev2_send_response(sa, rsp, n);
out:
	OPENSSL_cleanse(&conf, sizeof(conf));
}

/* INVALID_KE_PAYLOAD names the group the responder wants; we retry with it if we allow it (§1.2). */
static bool retry_group(struct ikev2_sa *sa, const struct ikev2_msg *m)
{
	const struct ikev2_pl *pl = ikev2_find_notify(m, IKEV2_N_INVALID_KE_PAYLOAD);
	struct ikev2_notify n;
	if (!pl || ikev2_parse_notify(pl, &n) != 0 || n.len != 2)
		return false;
	uint16_t g = wbuf_be16(n.data);
	sa->eng->st.invalid_ke++;
	for (size_t i = 0; i < sa->conf.nike; i++) {
		if (sa->conf.ike[i].dh != g || g == dh_group(sa->dh))
			continue;
		struct dh *d = dh_new(g);
		if (!d)
			return true;
		dh_free(sa->dh);
		sa->dh = d;
		ikev2_log(sa->eng, "IKEv2:(SA %s):Peer asked for DH group %u: retrying", ikev2_sa_name(sa).s, g);
		send_init_req(sa);
		return true;
	}
	return true;
}

void ikev2_recv_init_rsp(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len)
{
	static const uint8_t zero[8];
	static struct init_payloads p;
	struct ikev2_engine *e = sa->eng;
	bool resend;
	if (ikev2_cookie_take(sa, m, &resend)) {
		if (resend)
			send_init_req(sa);
		return;
	}
	if (retry_group(sa, m))
		return;
	if (!init_payloads(m, &p)) {
		/*
		 * An error notify here is unauthenticated: anyone may forge one, so
		 * it only gets counted; the retransmission timer decides (§2.21.1).
		 */
		if (ikev2_find(m, IKEV2_PL_N, 0))
			e->st.peer_error++;
		else
			e->st.malformed++;
		return;
	}
	struct ikev2_suite chosen;
	if (ikev2_accept_ike(&sa->conf, &p.sa, &chosen) < 0 || chosen.dh != dh_group(sa->dh) ||
	    p.ke.group != chosen.dh || !memcmp(m->h.spi_r, zero, 8)) {
		e->st.no_proposal++;
		return;
	}
	sa->suite = chosen;
	sa->frag = sa->conf.frag_mtu && ikev2_find_notify(m, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED);
	memcpy(sa->spi_r, m->h.spi_r, 8);
	memcpy(sa->nr, p.nonce, p.nlen);
	sa->nrlen = p.nlen;
	if (!ikev2_keep_copy(&sa->init_r, &sa->init_r_len, buf, len) || ikev2_key_sa(sa, p.ke.data, p.ke.len) < 0) {
		ikev2_set_state(sa, IKEV2_S_DEAD);
		return;
	}
	sa->req_pending = false;
	sa->req_out++;
	ikev2_natd_check(sa, m);
	ikev2_natt_float(sa);
	if (!ikev2_set_state(sa, IKEV2_S_I_AUTH_SENT) || ikev2_send_auth_req(sa) < 0)
		ikev2_set_state(sa, IKEV2_S_DEAD);
}
