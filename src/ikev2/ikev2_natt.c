/*
 * NAT traversal for IKEv2 (RFC 7296 §2.23).
 *
 * IKE_SA_INIT carries N(NAT_DETECTION_SOURCE_IP) = SHA-1(SPIi | SPIr | IP |
 * port) of the sender's own address and port, and
 * N(NAT_DETECTION_DESTINATION_IP) of the address and port it sends to, with
 * the SPIs of the message that carries them (SPIr zero in the request).  A
 * SOURCE hash that does not match where the datagram came from means a NAT
 * in front of the peer (or a peer that pretends one, as strongSwan's
 * `encap=yes` does: honoured); a DESTINATION that does not match us means
 * one in front of us.  Either way the initiator sends IKE_AUTH, and every
 * later message, from and to UDP 4500 (the host puts the non-ESP marker
 * first), and the Child SAs are UDP-encapsulated.
 *
 * Responses go where their request came from (§2.23 ¶"MUST respond to the
 * IP address and port from which the request was received"): no state.
 * The SA's own idea of the peer's port, used for requests and for ESP in
 * UDP, moves only when a message has authenticated (its ICV held), and only
 * when a NAT was detected: a forged datagram from a new port, even with the
 * right SPIs, changes nothing.  Address changes are not followed (the host
 * knows peers by address).
 */
#include "ikev2/ikev2_int.h"

#include <string.h>

#include "config/config.h"
#include "core/wbuf.h"
#include "crypto/prf.h"

#define NATD_LEN 20	/* SHA-1 */

static int natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8], uint32_t addr, uint16_t port, uint8_t *out)
{
	uint8_t b[8 + 8 + 4 + 2];
	memcpy(b, spi_i, 8);
	memcpy(b + 8, spi_r, 8);
	wbuf_st32(b + 16, addr);
	wbuf_st16(b + 20, port);
	return prf_hash2(IKE_HASH_SHA1, b, sizeof(b), NULL, 0, out);
}

bool ikev2_nat_detected(const struct ikev2_sa *sa)
{
	return sa->natd && (sa->nat_local || sa->nat_peer);
}

void ikev2_natd_put(struct ikev2_sa *sa, struct ikev2_wr *w)
{
	uint8_t h[PRF_MAX_LEN];
	/* The responder answers with NAT-D only when the initiator sent it. */
	if (!sa->conf.natt || (!sa->initiator && !sa->natd))
		return;
	uint32_t me = sa->local;
	if (sa->conf.natt_fake)
		me ^= 0x00000101u;	/* what a NAT's rewrite would make of us */
	if (natd_hash(sa->spi_i, sa->spi_r, me, sa->lport, h) == 0)
		ikev2_put_notify(w, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, h, NATD_LEN);
	if (natd_hash(sa->spi_i, sa->spi_r, sa->peer, sa->pport, h) == 0)
		ikev2_put_notify(w, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, h, NATD_LEN);
}

void ikev2_natd_check(struct ikev2_sa *sa, const struct ikev2_msg *m)
{
	struct ikev2_engine *e = sa->eng;
	uint8_t src[PRF_MAX_LEN], dst[PRF_MAX_LEN];
	bool any_src = false, any_dst = false, src_ok = false, dst_ok = false;
	if (!sa->conf.natt)
		return;		/* `no crypto ipsec nat-transparency udp-encapsulation`: ignored */
	if (natd_hash(m->h.spi_i, m->h.spi_r, sa->peer, e->rx_pport, src) < 0 ||
	    natd_hash(m->h.spi_i, m->h.spi_r, sa->local, e->rx_lport, dst) < 0)
		return;
	for (size_t i = 0; i < m->npl; i++) {
		struct ikev2_notify n;
		if (m->pl[i].type != IKEV2_PL_N || ikev2_parse_notify(&m->pl[i], &n) != 0 ||
		    (n.type != IKEV2_N_NAT_DETECTION_SOURCE_IP && n.type != IKEV2_N_NAT_DETECTION_DESTINATION_IP))
			continue;
		if (n.len != NATD_LEN) {
			e->st.natd_bad++;
			continue;
		}
		/* Several SOURCE notifies: a multihomed sender names each of its addresses. */
		if (n.type == IKEV2_N_NAT_DETECTION_SOURCE_IP) {
			any_src = true;
			src_ok |= memcmp(n.data, src, NATD_LEN) == 0;
		} else {
			any_dst = true;
			dst_ok |= memcmp(n.data, dst, NATD_LEN) == 0;
		}
	}
	if (!any_src || !any_dst)
		return;		/* the peer does no NAT-T: IKE stays on 500, ESP plain */
	sa->natd = true;
	sa->nat_peer = !src_ok;
	/* A faked NAT is ours: we float and encapsulate as the peer will expect. */
	sa->nat_local = !dst_ok || sa->conf.natt_fake;
	if (ikev2_nat_detected(sa)) {
		e->st.nat_detected++;
		ikev2_log(e, "IKEv2:(SA %s):NAT detected: %s", ikev2_sa_name(sa).s,
			  sa->nat_local && sa->nat_peer ? "both sides behind NAT"
			  : sa->nat_local ? "we are behind a NAT" : "the peer is behind a NAT");
	}
}

void ikev2_natt_float(struct ikev2_sa *sa)
{
	if (!ikev2_nat_detected(sa) || sa->lport == IKEV2_PORT_NATT)
		return;
	sa->lport = IKEV2_PORT_NATT;
	sa->pport = IKEV2_PORT_NATT;
	sa->eng->st.natt_float++;
	ikev2_log(sa->eng, "IKEv2:(SA %s):Switching to UDP port 4500 (NAT-T)", ikev2_sa_name(sa).s);
}

void ikev2_natt_authenticated(struct ikev2_sa *sa)
{
	struct ikev2_engine *e = sa->eng;
	if (!e->rx_lport || (e->rx_lport == sa->lport && e->rx_pport == sa->pport) || !ikev2_nat_detected(sa))
		return;
	if (sa->lport != e->rx_lport)
		e->st.natt_float++;	/* the responder follows the initiator to 4500 */
	else
		e->st.natt_moved++;	/* the NAT gave the peer another port */
	ikev2_log(e, "IKEv2:(SA %s):Peer's port now %u (our port %u)", ikev2_sa_name(sa).s, e->rx_pport, e->rx_lport);
	sa->lport = e->rx_lport;
	sa->pport = e->rx_pport;
	if (e->host->peer_moved)
		e->host->peer_moved(e->host->arg, sa);
}

int ikev2_xmit(struct ikev2_engine *e, const struct ikev2_sa *sa, uint32_t local, uint32_t peer, bool reply,
	       const uint8_t *msg, size_t len)
{
	uint16_t lp = sa ? sa->lport : IKEV2_PORT, pp = sa ? sa->pport : IKEV2_PORT;
	if (reply && e->rx_lport) {
		lp = e->rx_lport;
		pp = e->rx_pport;
	}
	if (e->host->send_port)
		return e->host->send_port(e->host->arg, local, lp, peer, pp, msg, len);
	return e->host->send(e->host->arg, local, peer, msg, len);
}
