/*
 * Quick Crash Detection (RFC 6290), token maker and taker.  The maker's
 * token is HMAC-SHA-256(secret, SPIi | SPIr): only we can make it, it is
 * the same after a restart (the host keeps the secret), and it travels
 * only inside SK in IKE_AUTH, so an on-path attacker never sees it.  After
 * a restart, a protected request on an IKE SA we lost is answered,
 * unprotected, with INVALID_IKE_SPI and the token; the peer, holding the
 * token from IKE_AUTH, knows at once that the SA is gone.  A reply is
 * believed only as the answer to the request we have outstanding, and
 * only with the exact token: anything else is counted and changes nothing.
 */
#include "ikev2/ikev2_int.h"

#include <string.h>

#include <openssl/crypto.h>

#include "config/config.h"

int ikev2_qcd_set(struct ikev2_engine *e, const uint8_t *secret, size_t len)
{
	if (len < 16 || len > IKEV2_QCD_SECRET)
		return -1;
	memset(e->qcd_secret, 0, sizeof(e->qcd_secret));
	memcpy(e->qcd_secret, secret, len);
	e->qcd = true;
	e->qcd_budget = 10;
	return 0;
}

static int token(const struct ikev2_engine *e, const uint8_t spi_i[8], const uint8_t spi_r[8], uint8_t *out)
{
	uint8_t spis[16];
	memcpy(spis, spi_i, 8);
	memcpy(spis + 8, spi_r, 8);
	return prf(IKE_HASH_SHA256, e->qcd_secret, sizeof(e->qcd_secret), spis, sizeof(spis), out);
}

void ikev2_qcd_put(struct ikev2_sa *sa, struct ikev2_wr *w)
{
	uint8_t t[IKEV2_QCD_TOKEN_LEN];
	if (!sa->eng->qcd)
		return;
	if (token(sa->eng, sa->spi_i, sa->spi_r, t) < 0)
		w->w.err = true;
	else
		ikev2_put_notify(w, IKEV2_PROTO_IKE, NULL, 0, IKEV2_N_QUICK_CRASH_DETECTION, t, sizeof(t));
	OPENSSL_cleanse(t, sizeof(t));
}

void ikev2_qcd_send(struct ikev2_sa *sa)
{
	struct ikev2_op op = { .kind = IKEV2_OP_QCD_TOKEN };
	if (sa->eng->qcd)
		ikev2_op_start(sa, &op);
}

/* Only from the decrypted payloads, those after SK. */
void ikev2_qcd_keep(struct ikev2_sa *sa, const struct ikev2_msg *m)
{
	struct ikev2_notify n;
	for (size_t i = m->sk ? (size_t)(m->sk - m->pl) + 1 : m->npl; i < m->npl; i++) {
		if (m->pl[i].type != IKEV2_PL_N || ikev2_parse_notify(&m->pl[i], &n) != 0 ||
		    n.type != IKEV2_N_QUICK_CRASH_DETECTION)
			continue;
		if (n.len < IKEV2_QCD_TOKEN_MIN || n.len > IKEV2_QCD_TOKEN_MAX) {
			sa->eng->st.malformed++;
			return;
		}
		memcpy(sa->qcd_peer, n.data, n.len);
		sa->qcd_peer_len = n.len;
		if (m->h.exch == IKEV2_EXCH_IKE_AUTH)
			sa->eng->st.qcd_token_rx++;
		else
			sa->eng->st.qcd_rekey_rx++;
		return;
	}
}

void ikev2_qcd_make(struct ikev2_engine *e, uint32_t local, uint32_t peer, const struct ikev2_msg *m)
{
	uint8_t buf[160], t[IKEV2_QCD_TOKEN_LEN];
	if (!e->qcd || !m->sk || (m->h.flags & IKEV2_FLAG_RESPONSE) || m->h.exch == IKEV2_EXCH_IKE_SA_INIT)
		return;
	/*
	 * Never the token of an SA we have: a copy of its request from another
	 * address (SPIs are on the wire) would hand an attacker what ends it.
	 */
	for (const struct ikev2_sa *s = e->sas; s; s = s->next)
		if (s->state != IKEV2_S_DEAD && !memcmp(s->spi_i, m->h.spi_i, 8) && !memcmp(s->spi_r, m->h.spi_r, 8)) {
			e->st.qcd_live++;
			return;
		}
	/* Unauthenticated input makes this answer: bounded per source (the host) and in all, and
	 * never larger than the request. */
	if (e->host->qcd_allow && !e->host->qcd_allow(e->host->arg, peer)) {
		e->st.qcd_limited++;
		return;
	}
	if (!e->qcd_budget) {
		e->st.qcd_limited++;
		return;
	}
	e->qcd_budget--;
	struct ikev2_hdr h = { .exch = m->h.exch, .msgid = m->h.msgid };
	h.flags = (uint8_t)(IKEV2_FLAG_RESPONSE | (m->h.flags & IKEV2_FLAG_INITIATOR ? 0 : IKEV2_FLAG_INITIATOR));
	memcpy(h.spi_i, m->h.spi_i, 8);
	memcpy(h.spi_r, m->h.spi_r, 8);
	struct ikev2_wr w;
	ikev2_wr_init(&w, buf, sizeof(buf), &h);
	ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_INVALID_IKE_SPI, NULL, 0);
	if (token(e, m->h.spi_i, m->h.spi_r, t) == 0)
		ikev2_put_notify(&w, IKEV2_PROTO_IKE, NULL, 0, IKEV2_N_QUICK_CRASH_DETECTION, t, sizeof(t));
	else
		w.w.err = true;
	OPENSSL_cleanse(t, sizeof(t));
	size_t n = ikev2_wr_finish(&w);
	if (!n)
		return;
	e->st.qcd_sent++;
	e->st.tx++;
	ikev2_xmit(e, NULL, local, peer, true, buf, n);
}

void ikev2_qcd_take(struct ikev2_sa *sa, const struct ikev2_msg *m)
{
	struct ikev2_engine *e = sa->eng;
	const struct ikev2_pl *pl = ikev2_find_notify(m, IKEV2_N_QUICK_CRASH_DETECTION);
	struct ikev2_notify n;
	if (!(m->h.flags & IKEV2_FLAG_RESPONSE) || !ikev2_find_notify(m, IKEV2_N_INVALID_IKE_SPI))
		return;
	if (!pl || ikev2_parse_notify(pl, &n) != 0 || sa->state != IKEV2_S_READY || !sa->qcd_peer_len ||
	    !sa->req_pending || m->h.msgid != sa->req_out || n.len != sa->qcd_peer_len ||
	    CRYPTO_memcmp(n.data, sa->qcd_peer, n.len) != 0) {
		e->st.qcd_rejected++;
		return;
	}
	e->st.qcd_accepted++;
	if (e->host->qcd_lost)
		e->host->qcd_lost(e->host->arg, sa);
	ikev2_log(e, "IKEv2:(SA %s):Peer lost the IKE SA (QCD token matches, message ID %u): deleting it",
		  ikev2_sa_name(sa).s, (unsigned)m->h.msgid);
	ikev2_ike_end(sa);
}
