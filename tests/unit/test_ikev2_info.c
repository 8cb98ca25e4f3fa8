/*
 * INFORMATIONAL in the IKEv2 engine (RFC 7296 §1.4, §1.5, §2.21.4): the
 * liveness check, Delete of Child SAs and of the IKE SA (both crossing
 * and answered), INVALID_SPI both ways, and what a replayed, forged or
 * unprotected message does (nothing but a counter).
 */
#include "t.h"

#include <string.h>

#include "ikev2_pair.h"

#define A (&P->s[0])
#define B (&P->s[1])

TEST(ikev2_info_liveness_answered_and_replays_counted)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	CHECK(ikev2_liveness(A->sa) == 0 && A->sa->req_pending && P->nq == 1);
	struct v2p_dgram req = P->q[0];
	v2p_deliver(P, 0);
	CHECK(B->eng.st.liveness_answered == 1 && P->nq == 1);
	struct v2p_dgram rsp = P->q[0];
	v2p_deliver(P, 0);
	CHECK(!A->sa->req_pending && A->eng.st.liveness_tx == 1);
	/* The last request again: the stored answer, nothing processed twice. */
	ikev2_input(&B->eng, V2P_B, V2P_A, req.d, req.len);
	CHECK(B->eng.st.retransmit_answered == 1 && B->eng.st.liveness_answered == 1 && P->nq == 1);
	CHECK(!memcmp(P->q[0].d, rsp.d, rsp.len));
	v2p_deliver(P, 0);
	CHECK(A->eng.st.dup_response == 1);
	/* A second check, then the first request again: older than the last, dropped, unanswered. */
	CHECK(ikev2_liveness(A->sa) == 0);
	v2p_pump(P);
	ikev2_input(&B->eng, V2P_B, V2P_A, req.d, req.len);
	CHECK(B->eng.st.dup_request == 1 && P->nq == 0 && B->eng.st.liveness_answered == 2);
	CHECK(A->nlive == 1 && B->nlive == 1 && A->ndown == 0 && B->ndown == 0);
	v2p_free(P);
}

TEST(ikev2_info_delete_child_both_sides)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	uint32_t in = A->live[0].spi_in, out = A->live[0].spi_out;
	CHECK(ikev2_delete_child(A->sa, 0x12345678) == -1);	/* no such Child SA */
	CHECK(ikev2_delete_child(A->sa, in) == 0);
	CHECK(A->nlive == 1);		/* down when B answers */
	struct v2p_dgram req = P->q[0];
	v2p_pump(P);
	CHECK(A->nlive == 0 && B->nlive == 0 && A->ndown == 1 && B->ndown == 1);
	CHECK(A->last_down_in == in && A->last_down_out == out && B->last_down_in == out);
	CHECK(B->eng.st.delete_child_rx == 1 && A->eng.st.delete_child_tx == 1);
	CHECK(A->sa->state == IKEV2_S_READY && B->sa->state == IKEV2_S_READY);
	/* A replay: B answers from its store and takes nothing else down. */
	ikev2_input(&B->eng, V2P_B, V2P_A, req.d, req.len);
	v2p_pump(P);
	CHECK(B->ndown == 1 && A->ndown == 1 && B->eng.st.retransmit_answered == 1);
	v2p_free(P);
}

TEST(ikev2_info_deletes_that_cross)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	CHECK(ikev2_delete_child(A->sa, A->live[0].spi_in) == 0);
	CHECK(ikev2_delete_child(B->sa, B->live[0].spi_in) == 0);
	v2p_pump(P);
	/* §1.4.1: each goes down once; neither answer names it again. */
	CHECK(A->nlive == 0 && B->nlive == 0 && A->ndown == 1 && B->ndown == 1);
	CHECK(A->eng.st.child_not_found == 0 && B->eng.st.child_not_found == 0);
	v2p_free(P);
}

TEST(ikev2_info_delete_ike_sa)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	CHECK(ikev2_create_child(A->sa, NULL, NULL) == 0);
	v2p_pump(P);
	CHECK(A->nlive == 2 && B->nlive == 2 && v2p_crosswise(P));
	struct ikev2_sa *b = B->sa, *a = A->sa;
	CHECK(ikev2_delete_ike(b) == 0);
	CHECK(B->nlive == 0 && B->ndown == 2);		/* B's go at once, as IOS's clear does */
	CHECK(ikev2_liveness(b) == -1 && ikev2_create_child(b, NULL, NULL) == -1);
	struct v2p_dgram req = P->q[0];
	v2p_pump(P);
	CHECK(A->nlive == 0 && A->ndown == 2 && A->nike_down == 1 && B->nike_down == 1);
	CHECK(a->state == IKEV2_S_DEAD && b->state == IKEV2_S_DEAD);
	CHECK(A->eng.st.delete_ike_rx == 1 && B->eng.st.delete_ike_tx == 1);
	/* The Delete replayed after both forgot the SA: no SA, nothing happens. */
	ikev2_reap(&A->eng);
	ikev2_reap(&B->eng);
	uint64_t nosa = A->eng.st.no_sa;
	ikev2_input(&A->eng, V2P_A, V2P_B, req.d, req.len);
	CHECK(A->eng.st.no_sa == nosa + 1 && P->nq == 0);
	v2p_free(P);
}

TEST(ikev2_info_invalid_spi_protected_deletes_child)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	uint32_t a_in = A->live[0].spi_in, a_out = A->live[0].spi_out;
	/* B gets ESP on an SPI it does not know (A's outbound one): it says so. */
	CHECK(ikev2_send_invalid_spi(B->sa, IKEV2_PROTO_ESP, a_out) == 0);
	CHECK(ikev2_send_invalid_spi(B->sa, 99, a_out) == -1);
	struct v2p_dgram req = P->q[0];
	v2p_deliver(P, 0);
	CHECK(A->eng.st.invalid_spi_rx == 1 && A->nlive == 0 && A->last_down_in == a_in && A->last_down_out == a_out);
	v2p_pump(P);
	/* ...and A's Delete took it down at B too. */
	CHECK(B->eng.st.invalid_spi_tx == 1 && A->eng.st.delete_child_tx == 1 && B->eng.st.delete_child_rx == 1);
	CHECK(B->nlive == 0 && A->ndown == 1 && B->ndown == 1);
	/* The replayed INVALID_SPI is answered from the store and deletes nothing more. */
	ikev2_input(&A->eng, V2P_A, V2P_B, req.d, req.len);
	CHECK(A->eng.st.invalid_spi_rx == 1 && A->eng.st.retransmit_answered == 1);
	/* One naming an SPI A never sent on: counted, nothing down. */
	v2p_pump(P);
	CHECK(ikev2_create_child(A->sa, NULL, NULL) == 0);
	v2p_pump(P);
	CHECK(A->nlive == 1 && ikev2_send_invalid_spi(B->sa, IKEV2_PROTO_ESP, 0xdeadbeef) == 0);
	v2p_pump(P);
	CHECK(A->eng.st.invalid_spi_unknown == 1 && A->nlive == 1 && B->nlive == 1 && v2p_crosswise(P));
	v2p_free(P);
}

/* A cleartext INFORMATIONAL with the live SPIs and the next message ID, as an attacker forges it. */
static size_t forge_invalid_spi(const struct ikev2_sa *b, uint32_t spi, uint8_t *buf, size_t cap)
{
	struct ikev2_hdr h = { .exch = IKEV2_EXCH_INFORMATIONAL, .msgid = b->req_out,
			       .flags = b->initiator ? IKEV2_FLAG_INITIATOR : 0 };
	struct ikev2_wr w;
	uint8_t d[4];
	memcpy(h.spi_i, b->spi_i, 8);
	memcpy(h.spi_r, b->spi_r, 8);
	wbuf_st32(d, spi);
	ikev2_wr_init(&w, buf, cap, &h);
	ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_INVALID_SPI, d, 4);
	return ikev2_wr_finish(&w);
}

TEST(ikev2_info_invalid_spi_unprotected_or_forged_changes_nothing)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	uint8_t buf[256];
	size_t n = forge_invalid_spi(B->sa, A->live[0].spi_out, buf, sizeof(buf));
	CHECK(n > 0);
	uint32_t req_in = A->sa->req_in;
	ikev2_input(&A->eng, V2P_A, V2P_B, buf, n);
	CHECK(A->eng.st.invalid_spi_unprotected == 1 && A->nlive == 1 && A->ndown == 0 && P->nq == 0);
	CHECK(A->sa->req_in == req_in);
	/* A genuine one with a flipped bit anywhere in it: the ICV fails, nothing happens. */
	CHECK(ikev2_send_invalid_spi(B->sa, IKEV2_PROTO_ESP, A->live[0].spi_out) == 0);
	struct v2p_dgram req = P->q[0];
	P->nq = 0;
	for (size_t i = IKEV2_HDR_LEN + 4; i < req.len; i += 5) {
		struct v2p_dgram t = req;
		t.d[i] ^= 0x01;
		ikev2_input(&A->eng, V2P_A, V2P_B, t.d, t.len);
	}
	CHECK(A->eng.st.bad_icv > 0 && A->nlive == 1 && A->ndown == 0 && P->nq == 0 && A->sa->req_in == req_in);
	CHECK(A->eng.st.invalid_spi_rx == 0);
	v2p_free(P);
}

TEST(ikev2_info_requests_queue_behind_the_window)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	/* Three at once: one on the wire (§2.3, window 1), two waiting. */
	CHECK(ikev2_liveness(A->sa) == 0 && ikev2_create_child(A->sa, NULL, NULL) == 0 && ikev2_liveness(A->sa) == 0);
	CHECK(P->nq == 1 && A->sa->nqueue == 2);
	v2p_pump(P);
	CHECK(A->sa->nqueue == 0 && !A->sa->req_pending && B->eng.st.liveness_answered == 2 && A->nlive == 2);
	CHECK(A->sa->req_out == 5 && B->sa->req_in == 5);	/* IKE_SA_INIT 0, IKE_AUTH 1, then 2..4 */
	for (int i = 0; i < IKEV2_MAX_QUEUED + 1; i++)
		ikev2_liveness(A->sa);
	CHECK(A->eng.st.queue_full == 0 && A->sa->nqueue == IKEV2_MAX_QUEUED);
	CHECK(ikev2_liveness(A->sa) == -1 && A->eng.st.queue_full == 1);
	v2p_pump(P);
	CHECK(B->eng.st.liveness_answered == 2 + IKEV2_MAX_QUEUED + 1);
	v2p_free(P);
}

TEST(ikev2_info_peer_gone)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	CHECK(ikev2_liveness(A->sa) == 0);
	P->nq = 0;			/* B is gone */
	ikev2_retransmit(A->sa);
	CHECK(P->nq == 1);
	P->nq = 0;
	struct ikev2_sa *a = A->sa;
	ikev2_ike_gone(a);
	CHECK(a->state == IKEV2_S_DEAD && A->nlive == 0 && A->ndown == 1 && A->nike_down == 1 && P->nq == 0);
	v2p_free(P);
}

/*
 * §2.5: a protected request with an unknown payload marked critical is
 * refused whole and answered, protected, with N(UNSUPPORTED_CRITICAL_PAYLOAD)
 * naming the type; its message ID is used up, a retransmission gets the
 * same answer, and the IKE SA goes on. Not critical, the payload is skipped.
 */
static size_t request_with(struct ikev2_sa *sa, uint8_t type, bool critical, uint8_t *buf, size_t cap)
{
	struct ikev2_wr w;
	size_t at = ikev2_prot_begin(sa, &w, buf, cap, IKEV2_EXCH_INFORMATIONAL, false, sa->req_out);
	size_t pl = ikev2_pl_begin(&w, type);
	static const uint8_t body[4] = { 1, 2, 3, 4 };
	wbuf_put_bytes(&w.w, body, sizeof(body));
	ikev2_pl_end(&w, pl);
	if (critical)
		buf[pl + 1] |= IKEV2_PL_CRITICAL;
	sa->req_out++;	/* the ID is spent, as if A's engine had sent it */
	return ikev2_seal(sa, &w, at);
}

TEST(ikev2_info_unsupported_critical_payload_answered)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	uint8_t req[512];
	size_t n = request_with(A->sa, 200, true, req, sizeof(req));
	CHECK(n > 0);
	uint32_t req_in = B->sa->req_in;
	ikev2_input(&B->eng, V2P_B, V2P_A, req, n);
	CHECK(B->eng.st.unsupported_critical == 1 && B->eng.st.unsupported_critical_answered == 1);
	CHECK(B->eng.st.malformed == 0 && B->eng.st.liveness_answered == 0);
	CHECK(B->sa->req_in == req_in + 1 && P->nq == 1 && P->q[0].to == 0);
	/* The answer, opened with A's keys: a response to that ID carrying the notify and the type. */
	struct v2p_dgram rsp = P->q[0];
	struct ikev2_msg m;
	CHECK(ikev2_decode(rsp.d, rsp.len, &m) == 0);
	CHECK((m.h.flags & IKEV2_FLAG_RESPONSE) && m.h.msgid == req_in && m.h.exch == IKEV2_EXCH_INFORMATIONAL);
	uint8_t open[V2P_MAXMSG];
	memcpy(open, rsp.d, rsp.len);
	CHECK(ikev2_decode(open, rsp.len, &m) == 0 && ikev2_sk_open(&A->sa->sk, open, rsp.len, &m) == IKEV2_SK_OK);
	const struct ikev2_pl *np = ikev2_find_notify(&m, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	CHECK(np && np->len == 5 && np->body[4] == 200);
	/* The same request again: the same answer, nothing counted twice. */
	ikev2_input(&B->eng, V2P_B, V2P_A, req, n);
	CHECK(B->eng.st.retransmit_answered == 1 && B->eng.st.unsupported_critical_answered == 1);
	CHECK(P->nq == 2 && !memcmp(P->q[1].d, rsp.d, rsp.len));
	P->nq = 0;
	/* Not critical: skipped (§2.5), the request is an ordinary liveness check. */
	n = request_with(A->sa, 200, false, req, sizeof(req));
	ikev2_input(&B->eng, V2P_B, V2P_A, req, n);
	CHECK(B->eng.st.liveness_answered == 1 && B->eng.st.unsupported_critical == 1);
	P->nq = 0;
	/* A's own next request goes through: the IKE SA is fine. */
	CHECK(ikev2_liveness(A->sa) == 0);
	v2p_pump(P);
	CHECK(!A->sa->req_pending && B->eng.st.liveness_answered == 2);
	CHECK(A->nlive == 1 && B->nlive == 1 && A->ndown == 0 && B->ndown == 0);
	v2p_free(P);
}
