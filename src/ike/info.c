/*
 * Informational exchanges (RFC 2408 §4.8, RFC 2409 §5.7): Notify and Delete,
 * always protected by HASH(1) = prf(SKEYID_a, M-ID | payloads) and checked
 * before anything is acted on; and Dead Peer Detection (RFC 3706).
 * An Informational that is not encrypted under an established IKE SA, or
 * whose hash is wrong, is logged, counted and ignored.
 */
#include "ike/ike_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "recovery/recovery.h"
#include "router.h"

int info_send(struct ike_sa *sa, const struct isakmp_notify *n, const struct isakmp_delete *d,
	      size_t nd)
{
	struct ike_state *ike = sa->ike;
	if (ike_sa_deleted(sa) || sa->state != QM_IDLE)
		return -1;
	uint8_t msg[ISAKMP_MAX_MSG], iv[IKE_MAX_BLOCK];
	uint32_t msgid = new_msgid(sa);
	if (!msgid)
		return -1;
	struct isakmp_hdr h = { .version = ISAKMP_VERSION, .exch = ISAKMP_EXCH_INFO, .msgid = msgid };
	memcpy(h.icookie, sa->icookie, 8);
	memcpy(h.rcookie, sa->rcookie, 8);
	struct isakmp_wr w;
	isakmp_wr_init(&w, msg, sizeof(msg), &h);
	size_t hs = isakmp_wr_begin(&w, ISAKMP_NP_HASH);
	wbuf_put_zero(&w.w, sa->hlen);
	isakmp_wr_end(&w, hs);
	for (size_t i = 0; i < nd; i++)
		isakmp_put_delete(&w, &d[i]);
	if (n)
		isakmp_put_notify(&w, n);
	int len = isakmp_wr_finish(&w);
	size_t after = hs + ISAKMP_GEN_LEN + sa->hlen;
	ike_p2_iv(sa, msgid, iv);
	if (len < 0 || ike_hash_p2(sa, false, msgid, msg + after, (size_t)len - after, NULL, 0, NULL,
				   0, msg + hs + ISAKMP_GEN_LEN) < 0 ||
	    (len = ike_encrypt_msg(sa, iv, msg, (size_t)len, sizeof(msg))) < 0)
		return -1;
	if (n)
		ike->st.notifies_tx++;
	if (nd)
		ike->st.deletes_tx++;
	if (ike_dbg(ike))
		log_debug(&ike->r->log, "ISAKMP:(%u): sending Informational (M-ID %u): %s%s", sa->conn_id,
			  msgid, n ? "NOTIFY" : "", nd ? " DELETE" : "");
	return ike_send(sa, msg, (size_t)len);
}

void info_send_isakmp_delete(struct ike_sa *sa)
{
	uint8_t spi[16];
	memcpy(spi, sa->icookie, 8);
	memcpy(spi + 8, sa->rcookie, 8);
	struct isakmp_delete d = { ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ISAKMP, 16, 1, spi };
	info_send(sa, NULL, &d, 1);
}

/*
 * An unprotected INVALID-SPI notify is never acted on; recovery still counts
 * it ("ignored, unauthenticated"), so a forgery attempt shows in its show.
 */
void info_count_unprotected(struct ike_state *ike, uint32_t peer, const uint8_t *buf, size_t len)
{
	struct isakmp_msg *m = calloc(1, sizeof(*m));
	if (!m)
		return;
	if (isakmp_decode(buf, len, m) == ISAKMP_OK) {
		for (size_t i = 0; i < m->npl; i++) {
			struct isakmp_notify n;
			if (m->pl[i].type == ISAKMP_NP_N &&
			    isakmp_parse_notify(m->pl[i].body, m->pl[i].len, &n) == ISAKMP_OK &&
			    n.type == ISAKMP_N_INVALID_SPI) {
				recovery_notify_rejected(ike->r, peer, ISR_REJECT_UNAUTHENTICATED);
				break;
			}
		}
	}
	free(m);
}

void info_send_unprotected_notify(struct ike_state *ike, uint32_t local, uint32_t peer,
				  uint16_t port, const struct isakmp_hdr *rh, uint16_t type)
{
	uint8_t msg[128];
	/*
	 * It answers a message nobody authenticated, possibly from a spoofed
	 * source: one global budget per window, so we can not be used to
	 * reflect a flood at a third party.
	 */
	if (!log_rl_allow(&ike->unauth_notify, ev_now(ike->r->ev), IKE_UNAUTH_NOTIFY_WINDOW_MS,
			  IKE_UNAUTH_NOTIFY_BURST, NULL)) {
		ike_drop(ike, &ike->st.unauth_notify_limited, peer,
			 "unprotected notify not sent (rate limit)");
		return;
	}
	struct isakmp_hdr h = { .version = ISAKMP_VERSION, .exch = ISAKMP_EXCH_INFO };
	memcpy(h.icookie, rh->icookie, 8);
	ike_random(&h.msgid, 4);
	struct isakmp_wr w;
	isakmp_wr_init(&w, msg, sizeof(msg), &h);
	struct isakmp_notify n = { ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ISAKMP, 0, type, NULL, NULL, 0 };
	isakmp_put_notify(&w, &n);
	int len = isakmp_wr_finish(&w);
	if (len > 0) {
		ike->st.tx++;
		ike->st.notifies_tx++;
		ike->xmit(ike->r, local, UDP_PORT_IKE, peer, port, msg, (size_t)len);
	}
}

static void dead_peer(struct ike_sa *sa)
{
	struct ike_state *ike = sa->ike;
	uint32_t peer = sa->peer;
	char ps[16];
	ip_fmt(peer, ps);
	ike->st.dpd_dead++;
	log_msg(&ike->r->log, "CRYPTO", SEV_NOTICE, "IKMP_PEER_DEAD",
		"Peer %s is not responding to DPD R-U-THERE: declared dead, clearing its SAs", ps);
	for (struct ike_sa *o = ike->sas; o; o = o->next)
		if (o->peer == peer && !ike_sa_deleted(o))
			ike_sa_delete(o, "peer declared dead by DPD");
	sadb_delete_peer(ike->r, peer, SADB_DEL_DPD);
	for (int i = 0; i < IKE_MAX_RECORDS; i++)
		if (ike->rec[i].used && ike->rec[i].peer == peer)
			ike->rec[i].used = false;
}

static void send_dpd(struct ike_sa *sa, uint16_t type, uint32_t seq)
{
	uint8_t spi[16], data[4];
	memcpy(spi, sa->icookie, 8);
	memcpy(spi + 8, sa->rcookie, 8);
	wbuf_st32(data, seq);
	struct isakmp_notify n = { ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ISAKMP, 16, type, spi, data, 4 };
	info_send(sa, &n, NULL, 0);
}

void dpd_arm(struct ike_sa *sa)
{
	struct ike_state *ike = sa->ike;
	const struct config *cfg = ike->r->cfg;
	ev_timer_cancel(ike->r->ev, &sa->dpd);
	sa->dpd_waiting = false;
	sa->dpd_tries = 0;
	if (!cfg->isakmp_keepalive || !sa->peer_dpd || ike_sa_deleted(sa))
		return;
	if (!sa->dpd_seq)
		ike_random(&sa->dpd_seq, sizeof(sa->dpd_seq));
	ev_timer_arm(ike->r->ev, &sa->dpd, (uint64_t)cfg->isakmp_keepalive * 1000);
}

void dpd_timer(void *arg)
{
	struct ike_sa *sa = arg;
	struct ike_state *ike = sa->ike;
	const struct config *cfg = ike->r->cfg;
	uint64_t now = ev_now(ike->r->ev);
	uint32_t retry = cfg->isakmp_keepalive_retry ? cfg->isakmp_keepalive_retry : 2;
	if (ike_sa_deleted(sa) || !cfg->isakmp_keepalive)
		return;
	/* Only the newest IKE SA with a peer probes it. */
	if (ike_sa_find_peer(ike, sa->peer) != sa)
		return;
	if (sa->dpd_waiting) {
		if ((uint32_t)sa->dpd_tries >= ike->dpd_max_tries) {
			dead_peer(sa);
			return;
		}
	} else if (!cfg->isakmp_keepalive_periodic) {
		/*
		 * On demand: probe only a peer that has been silent for a whole
		 * interval while IPsec SAs with it are in use.  The IKE module
		 * can not see data-plane counters, so IKE silence stands in
		 * for "we sent traffic and got none back".
		 */
		if (now - sa->last_rx_ms < (uint64_t)cfg->isakmp_keepalive * 1000 ||
		    !ike_peer_in_use(ike, sa->peer)) {
			ev_timer_arm(ike->r->ev, &sa->dpd, (uint64_t)cfg->isakmp_keepalive * 1000);
			return;
		}
	}
	sa->dpd_seq++;
	sa->dpd_waiting = true;
	sa->dpd_tries++;
	ike->st.dpd_tx++;
	if (ike_dbg(ike))
		log_debug(&ike->r->log, "ISAKMP:(%u):DPD/R_U_THERE sequence %u sent", sa->conn_id, sa->dpd_seq);
	send_dpd(sa, ISAKMP_N_DPD_R_U_THERE, sa->dpd_seq);
	ev_timer_arm(ike->r->ev, &sa->dpd, (uint64_t)retry * 1000);
}

static const char *proto_name(uint8_t p)
{
	return p == ISAKMP_PROTO_AH ? "AH" : p == ISAKMP_PROTO_ESP ? "ESP" : p == ISAKMP_PROTO_ISAKMP ? "ISAKMP" : "?";
}

void ike_notify_received(struct ike_sa *sa, const struct isakmp_notify *n)
{
	struct ike_state *ike = sa->ike;
	char ps[16];
	ip_fmt(sa->peer, ps);
	ike->st.notifies_rx++;
	switch (n->type) {
	case ISAKMP_N_INVALID_SPI: {
		uint32_t spi;
		if (n->proto != ISAKMP_PROTO_AH && n->proto != ISAKMP_PROTO_ESP)
			break;
		/* Some peers put the SPI in the notification data instead of the SPI field. */
		if (n->spi_size == 4)
			spi = wbuf_be32(n->spi);
		else if (n->spi_size == 0 && n->datalen == 4)
			spi = wbuf_be32(n->data);
		else
			break;
		ike->st.invalid_spi_rx++;
		ike->isn_peer = sa->peer;
		ike->isn_proto = n->proto;
		ike->isn_spi = spi;
		log_msg(&ike->r->log, "CRYPTO", SEV_NOTICE, "IKMP_INVAL_SPI_NOTIFY",
			"Authenticated INVALID-SPI notify from %s for %s SPI 0x%X(%u)", ps,
			proto_name(n->proto), spi, spi);
		recovery_notify_received(ike->r, sa->peer, n->proto, spi);
		return;
	}
	case ISAKMP_N_DPD_R_U_THERE:
		if (n->datalen != 4)
			break;
		ike->st.dpd_rx++;
		if (!ike_sa_deleted(sa))
			send_dpd(sa, ISAKMP_N_DPD_R_U_THERE_ACK, wbuf_be32(n->data));
		return;
	case ISAKMP_N_DPD_R_U_THERE_ACK:
		if (n->datalen != 4 || !sa->dpd_waiting || wbuf_be32(n->data) != sa->dpd_seq)
			break;
		ike->st.dpd_ack_rx++;
		dpd_arm(sa);
		return;
	case ISAKMP_N_INITIAL_CONTACT:
		ike_initial_contact(sa);
		return;
	}
	if (ike_dbg(ike))
		log_debug(&ike->r->log, "ISAKMP:(%u): notify type %u (protocol %u) from %s: no action",
			  sa->conn_id, n->type, n->proto, ps);
}

static void delete_received(struct ike_sa *sa, const struct isakmp_delete *d)
{
	struct ike_state *ike = sa->ike;
	char ps[16];
	ip_fmt(sa->peer, ps);
	ike->st.deletes_rx++;
	if (d->proto == ISAKMP_PROTO_ISAKMP) {
		for (uint16_t i = 0; i < d->nspi; i++) {
			const uint8_t *c = d->spis + 16 * i;
			for (struct ike_sa *o = ike->sas; o; o = o->next)
				if (o->peer == sa->peer && !ike_sa_deleted(o) && memcmp(o->icookie, c, 8) == 0 &&
				    memcmp(o->rcookie, c + 8, 8) == 0) {
					log_msg(&ike->r->log, "CRYPTO", SEV_INFO, "IKMP_DELETE_RCVD",
						"IKE SA %u with %s deleted by the peer", o->conn_id, ps);
					ike_sa_delete(o, "Delete from peer");	/* freed later, never here */
				}
		}
		return;
	}
	uint8_t ipproto = isakmp_proto_to_ip(d->proto);
	if (!ipproto)
		return;
	for (uint16_t i = 0; i < d->nspi; i++) {
		/* The sender lists its inbound SPIs: our outbound ones toward it. */
		uint32_t spi = wbuf_be32(d->spis + 4 * i);
		int n = sadb_delete_outbound_spi(ike->r, sa->peer, ipproto, spi, SADB_DEL_PEER_DELETE);
		ike_record_del_spi(ike, sa->peer, ipproto, spi, false);
		if (ike_dbg(ike))
			log_debug(&ike->r->log, "ISAKMP:(%u):peer %s deleted %s SPI 0x%X (%d bundle(s) removed)",
				  sa->conn_id, ps, proto_name(d->proto), spi, n);
	}
}

void info_input(struct ike_sa *sa, const uint8_t *buf, size_t len, const struct isakmp_hdr *h)
{
	struct ike_state *ike = sa->ike;
	if (!ike_sa_established(sa) || sa->state != QM_IDLE || !(h->flags & ISAKMP_FLAG_ENC) || h->msgid == 0) {
		ike_drop(ike, &ike->st.unprotected_ignored, sa->peer,
			 "unprotected Informational (Notify/Delete) ignored");
		if (!(h->flags & ISAKMP_FLAG_ENC))
			info_count_unprotected(ike, sa->peer, buf, len);
		return;
	}
	if (len > ISAKMP_MAX_MSG) {
		ike_drop(ike, &ike->st.malformed, sa->peer, "oversized Informational");
		return;
	}
	/* Any message ID this SA used before, in either direction (msgid.c). */
	if (ike_msgid_used(sa, h->msgid)) {
		ike_drop(ike, &ike->st.msgid_reuse, sa->peer, "Informational reuses a message ID");
		return;
	}
	uint8_t plain[ISAKMP_MAX_MSG], iv[IKE_MAX_BLOCK], want[PRF_MAX_LEN];
	struct isakmp_msg *m = calloc(1, sizeof(*m));
	if (!m)
		return;
	ike_p2_iv(sa, h->msgid, iv);
	const char *why = "?";
	if (ike_decrypt_msg(sa, iv, buf, len, plain, m, &why) < 0) {
		ike_drop_log(ike, sa->peer, why);	/* ike_decrypt_msg counted it */
		goto out;
	}
	const struct isakmp_pl *hp = m->npl ? &m->pl[0] : NULL;
	if (!hp || hp->type != ISAKMP_NP_HASH || hp->len != sa->hlen || m->npl < 2) {
		ike_drop(ike, &ike->st.unprotected_ignored, sa->peer, "Informational without HASH(1) ignored");
		goto out;
	}
	const uint8_t *rest = hp->raw + hp->rawlen;
	size_t restlen = (size_t)(m->pl[m->npl - 1].raw + m->pl[m->npl - 1].rawlen - rest);
	if (ike_hash_p2(sa, false, h->msgid, rest, restlen, NULL, 0, NULL, 0, want) < 0 ||
	    CRYPTO_memcmp(want, hp->body, sa->hlen) != 0) {
		ike_drop(ike, &ike->st.bad_hash, sa->peer, "Informational hash mismatch: ignored");
		goto out;
	}
	if (ike_msgid_remember(sa, h->msgid) < 0) {
		ike_drop_log(ike, sa->peer, "no message IDs left on this IKE SA");
		goto out;
	}
	natt_rx_authenticated(sa);
	sa->last_rx_ms = ev_now(ike->r->ev);
	/*
	 * Payloads one by one; each was validated when the chain was parsed.
	 * A Delete may mark this very SA deleted: it stays allocated until its
	 * reap timer, so the loop goes on safely (replies are then skipped).
	 */
	for (size_t i = 1; i < m->npl; i++) {
		const struct isakmp_pl *p = &m->pl[i];
		if (p->type == ISAKMP_NP_N) {
			struct isakmp_notify n;
			if (isakmp_parse_notify(p->body, p->len, &n) == ISAKMP_OK)
				ike_notify_received(sa, &n);
		} else if (p->type == ISAKMP_NP_D) {
			struct isakmp_delete d;
			if (isakmp_parse_delete(p->body, p->len, &d) == ISAKMP_OK)
				delete_received(sa, &d);
		}
	}
out:
	free(m);
	OPENSSL_cleanse(plain, sizeof(plain));
}
