/*
 * IKEv2 NAT traversal on the router (RFC 7296 §2.23; the engine's side is
 * src/ikev2/ikev2_natt.c): IKE from UDP 4500 behind the non-ESP marker,
 * UDP-encapsulated ESP following the peer's port when an authenticated
 * message moved it, and NAT keepalives (RFC 3948 §2.3) on the timer and
 * configuration IKEv1 NAT-T uses (`crypto isakmp nat keepalive N`).
 * UDP 4500 itself (demultiplexing ESP, keepalives and IKE) is natt.c's.
 */
#include <stdio.h>
#include <string.h>

#include "core/wire.h"
#include "ike/ike2_int.h"
#include "ike/ike_int.h"
#include "ipsec/sadb.h"
#include "router.h"

static struct router *R(const struct ike2_glue *g) { return g->ike->r; }

static void sent_to(struct ike2_glue *g, uint32_t peer)
{
	for (struct ike2_track *t = g->tracks; t; t = t->next)
		if (t->sa->peer == peer)
			t->last_tx_ms = ike2_now(g);
}

int ike2_h_send_port(void *arg, uint32_t local, uint16_t lport, uint32_t peer, uint16_t pport,
		     const uint8_t *msg, size_t len)
{
	struct ike2_glue *g = arg;
	static uint8_t buf[NON_ESP_MARKER_LEN + IKEV2_MAX_MSG];
	int rc;
	if (lport == UDP_PORT_IKE_NATT) {
		/* RFC 3948 §2.2: four zero bytes tell IKE from ESP on 4500. */
		if (len > IKEV2_MAX_MSG) {
			ike2_drop(g, &g->st.send_fail, peer, "message too long for UDP 4500");
			return -1;
		}
		memset(buf, 0, NON_ESP_MARKER_LEN);
		memcpy(buf + NON_ESP_MARKER_LEN, msg, len);
		rc = g->ike->xmit(R(g), local, lport, peer, pport, buf, len + NON_ESP_MARKER_LEN);
	} else {
		rc = g->ike->xmit(R(g), local, lport, peer, pport, msg, len);
	}
	if (rc < 0) {
		ike2_drop(g, &g->st.send_fail, peer, "send failed");
		return -1;
	}
	sent_to(g, peer);
	return 0;
}

/* An authenticated message moved the peer's port (§2.23): ESP in UDP and the records follow. */
void ike2_h_peer_moved(void *arg, struct ikev2_sa *sa)
{
	struct ike2_glue *g = arg;
	char ps[16];
	int n = sadb_set_peer_port(R(g), sa->peer, sa->pport);
	for (int i = 0; i < IKE_MAX_RECORDS; i++)
		if (g->ike->rec[i].used && g->ike->rec[i].peer == sa->peer && g->ike->rec[i].udp_encap)
			g->ike->rec[i].peer_port = sa->pport;
	ip_fmt(sa->peer, ps);
	log_msg_rl(&R(g)->log, &g->rl_moved, ike2_now(g), 1000, "CRYPTO", SEV_INFO, "IKEV2_NAT_PORT",
		   "IKEv2 peer %s now at UDP port %u (NAT-T, %d Child SA bundles moved)", ps, sa->pport, n);
}

void ike2_natt_rx_ignored(struct ike2_glue *g, uint64_t before, uint32_t src, uint16_t sport)
{
	char ps[16];
	if (g->eng.st.natt_port_ignored == before)
		return;
	ip_fmt(src, ps);
	log_msg_rl(&R(g)->log, &g->rl_ignored, ike2_now(g), 1000, "CRYPTO", SEV_WARNING, "IKEV2_BAD_MESSAGE",
		   "IKEv2 with %s: datagram from port %u did not authenticate there: peer port not changed", ps,
		   sport);
}

/* Only an IKE SA up, on 4500 because of a NAT, with keepalives configured keeps the mapping open. */
static bool natka_on(const struct ike2_glue *g, const struct ike2_track *t)
{
	const struct ikev2_sa *sa = t->sa;
	return R(g)->cfg->nat_keepalive && sa->state == IKEV2_S_READY && !sa->deleting && !sa->rekeyed_to &&
	       sa->lport == UDP_PORT_IKE_NATT && ikev2_nat_detected(sa);
}

uint64_t ike2_natka_at(const struct ike2_glue *g, const struct ike2_track *t)
{
	if (!natka_on(g, t))
		return UINT64_MAX;
	return t->last_tx_ms + (uint64_t)R(g)->cfg->nat_keepalive * 1000;
}

void ike2_natka(struct ike2_glue *g, struct ike2_track *t, uint64_t now)
{
	static const uint8_t ka = 0xff;	/* RFC 3948 §2.3 */
	if (!natka_on(g, t) || now < ike2_natka_at(g, t))
		return;
	g->st.natka_tx++;
	t->last_tx_ms = now;
	if (g->ike->xmit(R(g), t->sa->local, UDP_PORT_IKE_NATT, t->sa->peer, t->sa->pport, &ka, 1) < 0)
		ike2_drop(g, &g->st.send_fail, t->sa->peer, "NAT keepalive: send failed");
}
