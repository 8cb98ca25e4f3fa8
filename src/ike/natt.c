/*
 * NAT traversal for IKEv1 (RFC 3947) and UDP-encapsulated ESP (RFC 3948).
 *
 * Main Mode announces NAT-T with vendor IDs (RFC 3947 and the drafts IOS
 * and strongSwan still recognise); when both sides did, MM3 and MM4 carry
 * NAT-D payloads: HASH(CKY-I | CKY-R | IP | port) with the negotiated hash,
 * first the address the sender sends to, then its own.  A mismatch on
 * either side means a NAT sits between the two: the initiator moves IKE to
 * UDP 4500 for MM5 (behind the 4-byte zero non-ESP marker), Quick Mode
 * negotiates UDP-Encapsulated-Tunnel, and ESP travels in UDP 4500 to the
 * port the peer's IKE packets come from, so a NAT's port mapping works.
 *
 * UDP 4500 multiplexes three things: a zero marker then IKE, a single 0xFF
 * byte (a NAT keepalive, RFC 3948 §2.3), and ESP (its SPI is never zero).
 */
#include "ike/ike_int.h"

#include <string.h>

#include "core/pkt.h"
#include "core/wire.h"
#include "crypto/prf.h"
#include "ipsec/ipsec.h"
#include "net/net.h"
#include "router.h"

void natt_scan_vid(struct ike_sa *sa, const uint8_t *vid, size_t len)
{
	if (len != 16)
		return;
	if (memcmp(vid, isakmp_vid_rfc3947, 16) == 0) {
		sa->peer_natt = true;
		sa->natt_draft = false;	/* RFC wins over any draft the peer also sent */
	} else if (memcmp(vid, isakmp_vid_natt_02, 16) == 0 ||
		   memcmp(vid, isakmp_vid_natt_02n, 16) == 0 ||
		   memcmp(vid, isakmp_vid_natt_03, 16) == 0) {
		if (!sa->peer_natt)
			sa->natt_draft = true;
		sa->peer_natt = true;
	}
}

void natt_put_vids(struct ike_state *ike, struct isakmp_wr *w)
{
	if (!ike->r->cfg->natt_enabled)
		return;
	isakmp_put_raw(w, ISAKMP_NP_VID, isakmp_vid_rfc3947, 16);
	isakmp_put_raw(w, ISAKMP_NP_VID, isakmp_vid_natt_03, 16);
	isakmp_put_raw(w, ISAKMP_NP_VID, isakmp_vid_natt_02n, 16);
	isakmp_put_raw(w, ISAKMP_NP_VID, isakmp_vid_natt_02, 16);
}

static bool natt_on(const struct ike_sa *sa)
{
	return sa->peer_natt && sa->ike->r->cfg->natt_enabled;
}

static int natd_hash(const struct ike_sa *sa, uint32_t addr, uint16_t port, uint8_t *out)
{
	uint8_t b[22];
	memcpy(b, sa->icookie, 8);
	memcpy(b + 8, sa->rcookie, 8);
	wbuf_st32(b + 16, addr);
	wbuf_st16(b + 20, port);
	return prf_hash2(sa->pol.hash, b, sizeof(b), NULL, 0, out);
}

static uint8_t natd_type(const struct ike_sa *sa)
{
	return sa->natt_draft ? ISAKMP_NP_NATD_DRAFT : ISAKMP_NP_NATD;
}

void natt_put_natd(struct ike_sa *sa, struct isakmp_wr *w)
{
	uint8_t h[PRF_MAX_LEN];
	/* The responder answers NAT-D only when the initiator sent it. */
	if (!natt_on(sa) || (!sa->initiator && !sa->natt_used))
		return;
	uint32_t local = sa->local;
	if (sa->ike->natt_force)
		local ^= 0x00000101u;	/* what a NAT's rewrite would make of us */
	if (natd_hash(sa, sa->peer, sa->peer_port, h) == 0)
		isakmp_put_raw(w, natd_type(sa), h, prf_len(sa->pol.hash));
	if (natd_hash(sa, local, UDP_PORT_IKE, h) == 0)
		isakmp_put_raw(w, natd_type(sa), h, prf_len(sa->pol.hash));
	sa->natt_used = true;
}

bool natt_payload_ok(uint8_t type)
{
	return type == ISAKMP_NP_NATD || type == ISAKMP_NP_NATD_DRAFT;
}

bool natt_check_natd(struct ike_sa *sa, const struct isakmp_msg *m)
{
	struct ike_state *ike = sa->ike;
	uint8_t me[PRF_MAX_LEN], him[PRF_MAX_LEN];
	size_t n = 0;
	bool me_ok = false, him_ok = false;
	if (!natt_on(sa))
		return true;	/* NAT-D from a peer that did not announce NAT-T: ignored */
	if (natd_hash(sa, sa->local, UDP_PORT_IKE, me) < 0 || natd_hash(sa, sa->peer, sa->peer_port, him) < 0)
		return false;
	for (size_t i = 0; i < m->npl; i++) {
		const struct isakmp_pl *p = &m->pl[i];
		if (!natt_payload_ok(p->type))
			continue;
		if (p->type != natd_type(sa) || p->len != prf_len(sa->pol.hash))
			return false;
		/* The first is what the peer sent to (us); the others its own addresses. */
		if (n++ == 0)
			me_ok = memcmp(p->body, me, prf_len(sa->pol.hash)) == 0;
		else
			him_ok |= memcmp(p->body, him, prf_len(sa->pol.hash)) == 0;
	}
	if (n == 0) {
		if (sa->initiator && sa->natt_used)
			return false;	/* we sent NAT-D; RFC 3947 §3.2: the reply must carry it */
		return true;
	}
	if (n < 2)
		return false;
	if (ike->natt_force)
		me_ok = false;	/* the peer saw the NAT's address, not ours */
	sa->natt_used = true;
	sa->nat_local = !me_ok;
	sa->nat_peer = !him_ok;
	if (sa->nat_local || sa->nat_peer) {
		char ps[16];
		ip_fmt(sa->peer, ps);
		ike->st.nat_detected++;
		if (ike_dbg(ike))
			log_debug(&ike->r->log, "ISAKMP:(%u):NAT found, %s", sa->conn_id,
				  sa->nat_local && sa->nat_peer ? "both nodes inside NAT"
				  : sa->nat_local ? "we are behind a NAT" : "the peer is behind a NAT");
		log_msg_rl(&ike->r->log, &ike->rl, ev_now(ike->r->ev), 1000, "CRYPTO", SEV_INFO,
			   "IKMP_NAT_DETECTED", "NAT detected between us and %s (%s): using UDP 4500",
			   ps, sa->nat_local && sa->nat_peer ? "both sides"
			       : sa->nat_local ? "local side" : "remote side");
	}
	return true;
}

bool natt_nat_detected(const struct ike_sa *sa)
{
	return natt_on(sa) && sa->natt_used && (sa->nat_local || sa->nat_peer);
}

bool natt_udp_encap(const struct ike_sa *sa)
{
	return natt_nat_detected(sa);
}

void natt_float(struct ike_sa *sa)
{
	if (sa->floated || !natt_nat_detected(sa))
		return;
	sa->floated = true;
	sa->peer_port = UDP_PORT_IKE_NATT;
	sa->ike->st.floats++;
	if (ike_dbg(sa->ike))
		log_debug(&sa->ike->r->log, "ISAKMP:(%u):Switching to UDP port 4500 (NAT-T)", sa->conn_id);
}

void natt_rx_port(struct ike_sa *sa, uint16_t dport, uint16_t sport)
{
	if (dport != UDP_PORT_IKE_NATT || !natt_on(sa))
		return;
	if (!sa->floated) {
		/* The initiator floated (MM5): answer where it now speaks from. */
		sa->floated = true;
		sa->ike->st.floats++;
	}
	/* A NAT may have given the peer's 4500 another port: follow it. */
	sa->peer_port = sport;
}

void natt_rx_authenticated(struct ike_sa *sa)
{
	/*
	 * Only a peer we know is behind a NAT moves: without NAT-D showing a
	 * NAT, a message on 4500 is no reason to leave port 500.
	 */
	if (sa->rx_dport && natt_nat_detected(sa))
		natt_rx_port(sa, sa->rx_dport, sa->rx_sport);
}

uint32_t natt_encap_mode(const struct ike_sa *sa, bool transport)
{
	if (!natt_udp_encap(sa))
		return transport ? IPSEC_ENCAP_TRANSPORT : IPSEC_ENCAP_TUNNEL;
	if (sa->natt_draft)
		return transport ? IPSEC_ENCAP_UDP_TRANSPORT_DRAFT : IPSEC_ENCAP_UDP_TUNNEL_DRAFT;
	return transport ? IPSEC_ENCAP_UDP_TRANSPORT : IPSEC_ENCAP_UDP_TUNNEL;
}

bool natt_encap_ok(const struct ike_sa *sa, bool transport, uint32_t encap)
{
	if (!natt_udp_encap(sa))
		return encap == (transport ? IPSEC_ENCAP_TRANSPORT : IPSEC_ENCAP_TUNNEL);
	/* Either numbering: some peers announce the RFC but keep the draft's values. */
	if (transport)
		return encap == IPSEC_ENCAP_UDP_TRANSPORT || encap == IPSEC_ENCAP_UDP_TRANSPORT_DRAFT;
	return encap == IPSEC_ENCAP_UDP_TUNNEL || encap == IPSEC_ENCAP_UDP_TUNNEL_DRAFT;
}

bool natt_refuse_ah(struct ike_sa *sa, const struct cfg_transform_set *x)
{
	struct ike_state *ike = sa->ike;
	if (x->ah == XF_AH_NONE || !natt_udp_encap(sa))
		return false;
	char ps[16];
	ip_fmt(sa->peer, ps);
	ike->st.natt_ah_refused++;
	log_msg_rl(&ike->r->log, &ike->rl_cfg, ev_now(ike->r->ev), 1000, "CRYPTO", SEV_WARNING,
		   "IPSEC_AH_NAT",
		   "AH cannot traverse NAT: transform set %s not used with %s (NAT detected)",
		   x->name, ps);
	return true;
}

/*
 * NAT-D is not covered by IKEv1's HASH (RFC 3947 §7): whoever rewrites it
 * in MM3 or MM4 makes us see a NAT that is not there, and when AH is in
 * every transform set of the entry this IKE SA can then carry no IPsec SA
 * at all, for its whole lifetime, long after the attacker has gone
 * (fuzz_exchange finding). So such an IKE SA is replaced: a Delete, and the
 * next acquire runs Main Mode afresh. Only once it is a minute old, so a
 * real NAT in front of an AH-only entry costs a Main Mode a minute, no more.
 */
void natt_ah_dead_end(struct ike_sa *sa)
{
	struct ike_state *ike = sa->ike;
	if (!natt_udp_encap(sa) || !ike_sa_established(sa) ||
	    ev_now(ike->r->ev) - sa->created_ms < NATT_AH_REPLACE_MS)
		return;
	char ps[16];
	ip_fmt(sa->peer, ps);
	ike->st.natt_ah_replaced++;
	/* Not rate-limited: once a minute per IKE SA at most. */
	log_msg(&ike->r->log, "CRYPTO", SEV_WARNING, "IPSEC_AH_NAT",
		"IKE SA with %s replaced: NAT detected, and the crypto map needs AH (NAT-D is not authenticated)",
		ps);
	info_send_isakmp_delete(sa);
	ike_sa_delete(sa, "NAT detected: no IPsec SA possible without AH");
}

/* ---- NAT keepalives (RFC 3948 §2.3) ---- */

static bool peer_has_udp_sa(struct ike_state *ike, uint32_t peer)
{
	for (int i = 0; i < IKE_MAX_RECORDS; i++)
		if (ike->rec[i].used && ike->rec[i].peer == peer && ike->rec[i].udp_encap)
			return true;
	return false;
}

void natt_keepalive_arm(struct ike_sa *sa)
{
	struct ike_state *ike = sa->ike;
	uint32_t n = ike->r->cfg->nat_keepalive;
	ev_timer_cancel(ike->r->ev, &sa->natka);
	if (!n || ike_sa_deleted(sa) || !ike_sa_established(sa) || !sa->floated)
		return;
	ev_timer_arm(ike->r->ev, &sa->natka, (uint64_t)n * 1000);
}

void natt_keepalive_timer(void *arg)
{
	struct ike_sa *sa = arg;
	struct ike_state *ike = sa->ike;
	uint32_t n = ike->r->cfg->nat_keepalive;
	uint64_t now = ev_now(ike->r->ev);
	if (!n || ike_sa_deleted(sa) || !sa->floated)
		return;
	/*
	 * Only the newest IKE SA with the peer keeps the mapping open, and only
	 * while UDP-encapsulated SAs need it and nothing else went out lately.
	 */
	if (ike_sa_find_peer(ike, sa->peer) == sa && peer_has_udp_sa(ike, sa->peer) &&
	    now - sa->last_tx_ms >= (uint64_t)n * 1000) {
		static const uint8_t ka = 0xff;
		ike->st.natka_tx++;
		sa->last_tx_ms = now;
		if (ike->xmit(ike->r, sa->local, UDP_PORT_IKE_NATT, sa->peer, sa->peer_port, &ka, 1) < 0)
			ike->st.send_fail++;
	}
	ev_timer_arm(ike->r->ev, &sa->natka, (uint64_t)n * 1000);
}

/* ---- UDP 4500 ---- */

bool natt_4500_ike(struct ike_state *ike, uint32_t src, const uint8_t **data, size_t *len)
{
	if (*len == 1 && (*data)[0] == 0xff) {
		ike->st.natka_rx++;
		return false;
	}
	if (*len < NON_ESP_MARKER_LEN || wbuf_be32(*data) != 0) {
		ike_drop(ike, &ike->st.bad_4500, src, "UDP 4500 datagram without the non-ESP marker");
		return false;
	}
	*data += NON_ESP_MARKER_LEN;
	*len -= NON_ESP_MARKER_LEN;
	return true;
}

static void udp4500_rx(void *arg, struct pkt *p, uint32_t src, uint16_t sport, uint32_t dst,
		       uint16_t dport)
{
	struct router *r = arg;
	/* ESP: a non-zero SPI and at least SPI and sequence number (RFC 3948 §2.2). */
	if (p->len >= 8 && wbuf_be32(p->data) != 0) {
		ipsec_input_udp(r, p, src, sport, dst);
		return;
	}
	ike_input_datagram(r, src, sport, dst, dport, p->data, p->len);
	pkt_free(p);
}

int natt_start(struct router *r)
{
	return udp_bind_pkt(r, UDP_PORT_IKE_NATT, udp4500_rx, r);
}
