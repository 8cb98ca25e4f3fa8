/*
 * Quick Crash Detection (RFC 6290) in the IKEv2 engine: tokens exchanged
 * in IKE_AUTH, a restarted peer answering with its token, and what a lost
 * secret, a forged token or an unsolicited answer do (nothing but a counter).
 */
#include "t.h"

#include <string.h>

#include "ikev2_pair.h"

#define A (&P->s[0])
#define B (&P->s[1])

static const uint8_t secret_a[32] = "spigot-qcd-secret-of-router-A...";
static const uint8_t secret_b[32] = "spigot-qcd-secret-of-router-B...";

static struct v2p *up_with_qcd(void)
{
	struct v2p *P = v2p_new();
	ikev2_qcd_set(&A->eng, secret_a, sizeof(secret_a));
	ikev2_qcd_set(&B->eng, secret_b, sizeof(secret_b));
	if (!v2p_up(P))
		return NULL;
	return P;
}

/* B restarts: every SA forgotten, the secret kept (or not). */
static void restart_b(struct v2p *P, const uint8_t *secret)
{
	ikev2_engine_free(&B->eng);
	ikev2_engine_init(&B->eng, &B->host);
	B->sa = NULL;
	B->nlive = 0;
	if (secret)
		ikev2_qcd_set(&B->eng, secret, 32);
}

TEST(ikev2_qcd_restarted_peer_detected_in_one_round_trip)
{
	struct v2p *P = up_with_qcd();
	CHECK(P != NULL);
	CHECK(ikev2_qcd_set(&A->eng, secret_a, 8) == -1);
	CHECK(A->sa->qcd_peer_len == IKEV2_QCD_TOKEN_LEN && B->sa->qcd_peer_len == IKEV2_QCD_TOKEN_LEN);
	CHECK(A->eng.st.qcd_token_rx == 1 && B->eng.st.qcd_token_rx == 1);
	restart_b(P, secret_b);
	struct ikev2_sa *a = A->sa;
	CHECK(ikev2_liveness(a) == 0);
	v2p_pump(P);
	CHECK(B->eng.st.no_sa == 1 && B->eng.st.qcd_sent == 1);
	CHECK(A->eng.st.qcd_accepted == 1 && a->state == IKEV2_S_DEAD && A->nlive == 0 && A->nike_down == 1);
	v2p_free(P);
}

TEST(ikev2_qcd_lost_secret_or_forged_token_changes_nothing)
{
	struct v2p *P = up_with_qcd();
	CHECK(P != NULL);
	restart_b(P, secret_a);		/* another secret: B's tokens no longer match */
	struct ikev2_sa *a = A->sa;
	CHECK(ikev2_liveness(a) == 0);
	v2p_pump(P);
	CHECK(B->eng.st.qcd_sent == 1 && A->eng.st.qcd_rejected == 1);
	CHECK(a->state == IKEV2_S_READY && A->nlive == 1 && a->req_pending);	/* DPD decides */
	v2p_free(P);
}

TEST(ikev2_qcd_token_only_answers_our_request)
{
	struct v2p *P = up_with_qcd();
	CHECK(P != NULL);
	struct ikev2_sa *a = A->sa;
	/* The right token (an attacker cannot know it; we test the other checks) with no request out. */
	uint8_t buf[160];
	struct ikev2_hdr h = { .exch = IKEV2_EXCH_INFORMATIONAL, .msgid = a->req_out, .flags = IKEV2_FLAG_RESPONSE };
	memcpy(h.spi_i, a->spi_i, 8);
	memcpy(h.spi_r, a->spi_r, 8);
	struct ikev2_wr w;
	ikev2_wr_init(&w, buf, sizeof(buf), &h);
	ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_INVALID_IKE_SPI, NULL, 0);
	ikev2_put_notify(&w, IKEV2_PROTO_IKE, NULL, 0, IKEV2_N_QUICK_CRASH_DETECTION, a->qcd_peer, a->qcd_peer_len);
	size_t n = ikev2_wr_finish(&w);
	ikev2_input(&A->eng, V2P_A, V2P_B, buf, n);
	CHECK(A->eng.st.qcd_rejected == 1 && a->state == IKEV2_S_READY);
	/* With a request out but a wrong token: rejected too. */
	CHECK(ikev2_liveness(a) == 0);
	P->nq = 0;
	buf[n - 1] ^= 1;
	ikev2_input(&A->eng, V2P_A, V2P_B, buf, n);
	CHECK(A->eng.st.qcd_rejected == 2 && a->state == IKEV2_S_READY && A->nlive == 1);
	v2p_free(P);
}

TEST(ikev2_qcd_replies_bounded)
{
	struct v2p *P = up_with_qcd();
	CHECK(P != NULL);
	restart_b(P, secret_b);
	B->eng.qcd_budget = 1;
	CHECK(ikev2_liveness(A->sa) == 0);
	struct v2p_dgram req = P->q[0];
	for (int i = 0; i < 5; i++)
		ikev2_input(&B->eng, V2P_B, V2P_A, req.d, req.len);
	CHECK(B->eng.st.qcd_sent == 1 && B->eng.st.qcd_limited == 4);
	/* Without QCD configured, no answer at all. */
	restart_b(P, NULL);
	ikev2_input(&B->eng, V2P_B, V2P_A, req.d, req.len);
	CHECK(B->eng.st.qcd_sent == 0 && B->eng.st.no_sa == 1);
	v2p_free(P);
}

/*
 * The token of an IKE SA that is alive must never leave unprotected: an
 * attacker who sends a copy of a live SA's request from another address
 * (it sees SPIs on the wire) would be answered with the token, and could
 * then end the peer's SA with a forged INVALID_IKE_SPI (RFC 6290 §5.1).
 */
TEST(ikev2_qcd_no_token_for_a_live_sa_from_another_address)
{
	struct v2p *P = up_with_qcd();
	CHECK(P != NULL);
	CHECK(ikev2_liveness(A->sa) == 0);
	struct v2p_dgram req = P->q[0];
	P->nq = 0;
	ikev2_input(&B->eng, V2P_B, 0x0a090909, req.d, req.len);
	CHECK(B->eng.st.qcd_sent == 0 && B->eng.st.qcd_live == 1 && P->nq == 0);
	/* The real one is still answered over the SA, and nothing changed. */
	ikev2_input(&B->eng, V2P_B, V2P_A, req.d, req.len);
	v2p_pump(P);
	CHECK(A->sa->state == IKEV2_S_READY && !A->sa->req_pending && A->nlive == 1);
	v2p_free(P);
}
