/*
 * CREATE_CHILD_SA in the IKEv2 engine (RFC 7296 §1.3, §2.8, §2.18): new
 * Child SAs, Child SA and IKE SA rekeys with and without PFS, rekeys that
 * collide, and loss, retransmission and replay of every message.
 */
#include "t.h"

#include <string.h>

#include "ikev2_pair.h"

#define A (&P->s[0])
#define B (&P->s[1])

TEST(ikev2_child_new_child_sa_and_replays)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	struct ikev2_range l = { 6, 0, 65535, 0x0a000010, 0x0a00001f }, r = { 6, 0, 65535, 0x0a000200, 0x0a0002ff };
	CHECK(ikev2_create_child(A->sa, &l, &r) == 0);
	struct v2p_dgram req = P->q[0];
	v2p_deliver(P, 0);
	struct v2p_dgram rsp = P->q[0];
	v2p_deliver(P, 0);
	CHECK(A->nlive == 2 && B->nlive == 2 && v2p_crosswise(P));
	CHECK(A->eng.st.child_created == 1 && B->eng.st.child_created == 1);
	const struct ikev2_child *c = v2p_live_by_in(A, 0xa0000002);
	CHECK(c && c->replaces_spi_in == 0 && c->local_ts.saddr == 0x0a000010 && c->local_ts.proto == 6);
	/* The request again: the stored answer, no third Child SA; the answer again: dropped. */
	ikev2_input(&B->eng, V2P_B, V2P_A, req.d, req.len);
	CHECK(B->eng.st.retransmit_answered == 1 && B->nlive == 2 && P->nq == 1);
	v2p_pump(P);
	ikev2_input(&A->eng, V2P_A, V2P_B, rsp.d, rsp.len);
	CHECK(A->eng.st.dup_response == 2 && A->nlive == 2 && v2p_crosswise(P));
	v2p_free(P);
}

TEST(ikev2_child_lost_request_and_lost_answer)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	CHECK(ikev2_create_child(A->sa, NULL, NULL) == 0);
	v2p_drop(P, 0);				/* the request is lost */
	ikev2_retransmit(A->sa);
	v2p_deliver(P, 0);
	CHECK(B->nlive == 2);
	v2p_drop(P, 0);				/* the answer is lost */
	ikev2_retransmit(A->sa);
	v2p_pump(P);
	CHECK(B->eng.st.retransmit_answered == 1 && B->nlive == 2 && A->nlive == 2 && v2p_crosswise(P));
	CHECK(!A->sa->req_pending && B->eng.st.child_created == 1);
	v2p_free(P);
}

TEST(ikev2_child_rekey_replaces_old)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	struct ikev2_child old = A->live[0];
	CHECK(ikev2_rekey_child(A->sa, 0x1) == -1);
	CHECK(ikev2_rekey_child(A->sa, old.spi_in) == 0);
	v2p_deliver(P, 0);
	v2p_deliver(P, 0);
	/* The new one is up before the old one goes (§1.3.3). */
	CHECK(A->nlive == 2 && B->nlive == 2 && A->nup == 2);
	v2p_pump(P);
	CHECK(A->nlive == 1 && B->nlive == 1 && v2p_crosswise(P));
	CHECK(A->live[0].replaces_spi_in == old.spi_in && B->live[0].replaces_spi_in == old.spi_out);
	CHECK(A->live[0].spi_in != old.spi_in && memcmp(A->live[0].key_in, old.key_in, 16));
	CHECK(A->ndown == 1 && A->last_down_in == old.spi_in && B->last_down_in == old.spi_out);
	CHECK(A->eng.st.child_rekeyed == 1 && B->eng.st.child_rekeyed == 1);
	v2p_free(P);
}

TEST(ikev2_child_rekey_with_pfs)
{
	struct v2p *P = v2p_new();
	A->conf.pfs_group = B->conf.pfs_group = 14;
	CHECK(v2p_up(P));
	struct ikev2_child old = A->live[0];
	CHECK(ikev2_rekey_child(A->sa, old.spi_in) == 0);
	/* The request carries a KE payload inside SK. */
	size_t before = P->q[0].len;
	v2p_pump(P);
	CHECK(before > 256 + 100);
	CHECK(A->nlive == 1 && B->nlive == 1 && v2p_crosswise(P) && A->live[0].replaces_spi_in == old.spi_in);
	v2p_free(P);
	/* PFS on one side only: refused, the old Child SA stays. */
	P = v2p_new();
	A->conf.pfs_group = 14;
	CHECK(v2p_up(P));
	old = A->live[0];
	CHECK(ikev2_rekey_child(A->sa, old.spi_in) == 0);
	v2p_pump(P);
	CHECK(B->eng.st.no_proposal == 1 && A->eng.st.peer_error == 1);
	CHECK(A->nlive == 1 && A->live[0].spi_in == old.spi_in && B->nlive == 1 && A->ndown == 0);
	CHECK(!A->sa->req_pending);
	v2p_free(P);
	/* A different group: INVALID_KE_PAYLOAD, nothing changes. */
	P = v2p_new();
	A->conf.pfs_group = 14;
	B->conf.pfs_group = 19;
	CHECK(v2p_up(P));
	CHECK(ikev2_create_child(A->sa, NULL, NULL) == 0);
	v2p_pump(P);
	CHECK(B->eng.st.no_proposal == 1 && A->nlive == 1 && B->nlive == 1);
	v2p_free(P);
}

TEST(ikev2_child_rekey_of_unknown_child_not_found)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	/* B deletes the Child SA while A's rekey of it is on the way. */
	CHECK(ikev2_rekey_child(A->sa, A->live[0].spi_in) == 0);
	struct v2p_dgram rekey = P->q[0];
	P->nq = 0;
	CHECK(ikev2_delete_child(B->sa, B->live[0].spi_in) == 0);
	v2p_deliver(P, 0);		/* B's Delete reaches A */
	CHECK(A->nlive == 0);
	ikev2_input(&B->eng, V2P_B, V2P_A, rekey.d, rekey.len);
	v2p_pump(P);
	CHECK(B->eng.st.temporary_failure + B->eng.st.child_not_found == 1 && A->eng.st.peer_error == 1);
	CHECK(A->nlive == 0 && B->nlive == 0 && !A->sa->req_pending && !B->sa->req_pending);
	v2p_free(P);
}

TEST(ikev2_child_rekey_collision_one_survives)
{
	for (int round = 0; round < 6; round++) {	/* the nonces decide: both outcomes occur */
		struct v2p *P = v2p_new();
		CHECK(v2p_up(P));
		uint32_t old_a = A->live[0].spi_in;
		CHECK(ikev2_rekey_child(A->sa, old_a) == 0);
		CHECK(ikev2_rekey_child(B->sa, B->live[0].spi_in) == 0);
		v2p_pump(P);
		CHECK(A->eng.st.rekey_collision == 1 && B->eng.st.rekey_collision == 1);
		CHECK(A->eng.st.redundant_deleted + B->eng.st.redundant_deleted == 1);
		CHECK(A->nlive == 1 && B->nlive == 1 && v2p_crosswise(P));
		CHECK(A->live[0].spi_in != old_a && !v2p_live_by_in(A, old_a));
		CHECK(!A->sa->req_pending && !B->sa->req_pending && A->sa->nqueue == 0 && B->sa->nqueue == 0);
		v2p_free(P);
	}
}

TEST(ikev2_ike_rekey_moves_children)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	CHECK(ikev2_create_child(A->sa, NULL, NULL) == 0);
	v2p_pump(P);
	struct ikev2_sa *olda = A->sa, *oldb = B->sa;
	uint8_t old_sk_d[PRF_MAX_LEN];
	memcpy(old_sk_d, olda->keys.sk_d, sizeof(old_sk_d));
	CHECK(ikev2_rekey_ike(B->sa) == 0);
	struct v2p_dgram req = P->q[0];
	v2p_pump(P);
	struct ikev2_sa *na = A->sa, *nb = B->sa;
	CHECK(na != olda && nb != oldb && na->state == IKEV2_S_READY && nb->state == IKEV2_S_READY);
	CHECK(olda->state == IKEV2_S_DEAD && oldb->state == IKEV2_S_DEAD);
	CHECK(A->nrekeyed == 1 && B->nrekeyed == 1 && A->nike_down == 0 && B->nike_down == 0);
	/* B started it: B is the new SA's initiator (§2.18), the SPIs are new, the keys agree. */
	CHECK(nb->initiator && !na->initiator && !memcmp(na->spi_i, nb->spi_i, 8) && !memcmp(na->spi_r, nb->spi_r, 8));
	CHECK(memcmp(na->spi_i, olda->spi_i, 8) && !memcmp(na->keys.sk_d, nb->keys.sk_d, na->keys.prf_len));
	CHECK(memcmp(na->keys.sk_d, old_sk_d, na->keys.prf_len));
	CHECK(na->req_in == 0 && na->req_out == 0 && A->ndown == 0 && B->ndown == 0);
	CHECK(ikev2_child_by_in(na, A->live[0].spi_in) && ikev2_child_by_in(na, A->live[1].spi_in));
	/* The new IKE SA works: a liveness check, then a rekey of a Child SA on it. */
	CHECK(ikev2_liveness(na) == 0 && ikev2_rekey_child(nb, B->live[0].spi_in) == 0);
	v2p_pump(P);
	CHECK(A->nlive == 2 && B->nlive == 2 && v2p_crosswise(P) && A->eng.st.liveness_answered == 0);
	CHECK(B->eng.st.liveness_answered == 1);
	/* The rekey request replayed to the dead old SA: no SA. */
	ikev2_reap(&A->eng);
	uint64_t nosa = A->eng.st.no_sa;
	ikev2_input(&A->eng, V2P_A, V2P_B, req.d, req.len);
	CHECK(A->eng.st.no_sa == nosa + 1 && v2p_ike_count(A) == 1);
	v2p_free(P);
}

TEST(ikev2_ike_rekey_collision_one_survives)
{
	for (int round = 0; round < 6; round++) {
		struct v2p *P = v2p_new();
		CHECK(v2p_up(P));
		CHECK(ikev2_rekey_ike(A->sa) == 0 && ikev2_rekey_ike(B->sa) == 0);
		v2p_pump(P);
		ikev2_reap(&A->eng);
		ikev2_reap(&B->eng);
		CHECK(v2p_ike_count(A) == 1 && v2p_ike_count(B) == 1);
		struct ikev2_sa *a = A->eng.sas, *b = B->eng.sas;
		CHECK(a && b && a == A->sa && b == B->sa && !memcmp(a->spi_i, b->spi_i, 8) && !memcmp(a->spi_r, b->spi_r, 8));
		CHECK(A->eng.st.rekey_collision == 1 && A->eng.st.redundant_deleted + B->eng.st.redundant_deleted == 1);
		CHECK(A->nlive == 1 && B->nlive == 1 && ikev2_child_by_in(a, A->live[0].spi_in) && A->nike_down == 0);
		CHECK(ikev2_liveness(a) == 0);
		v2p_pump(P);
		CHECK(B->eng.st.liveness_answered == 1 && !a->req_pending);
		v2p_free(P);
	}
}

TEST(ikev2_child_forged_and_replayed_create_child)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	CHECK(ikev2_create_child(A->sa, NULL, NULL) == 0);
	struct v2p_dgram req = P->q[0];
	P->nq = 0;
	for (size_t i = IKEV2_HDR_LEN + 4; i < req.len; i += 9) {
		struct v2p_dgram t = req;
		t.d[i] ^= 0x40;
		ikev2_input(&B->eng, V2P_B, V2P_A, t.d, t.len);
	}
	CHECK(B->eng.st.bad_icv > 0 && B->nlive == 1 && P->nq == 0 && B->sa->req_in == 2);
	/* The same bytes with another message ID: refused before anything is decrypted. */
	struct v2p_dgram t = req;
	t.d[20] ^= 0x01;
	ikev2_input(&B->eng, V2P_B, V2P_A, t.d, t.len);
	CHECK(B->nlive == 1 && P->nq == 0);
	v2p_free(P);
}

TEST(ikev2_child_rekey_crossing_ike_rekey)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	uint32_t old_in = A->live[0].spi_in;
	/* A rekeys the Child SA while B rekeys the IKE SA: A's answer comes back on the old IKE SA. */
	CHECK(ikev2_rekey_child(A->sa, old_in) == 0 && ikev2_rekey_ike(B->sa) == 0);
	v2p_pump(P);
	ikev2_reap(&A->eng);
	ikev2_reap(&B->eng);
	CHECK(v2p_ike_count(A) == 1 && v2p_ike_count(B) == 1 && A->sa == A->eng.sas && B->sa == B->eng.sas);
	CHECK(A->nlive == 1 && B->nlive == 1 && v2p_crosswise(P) && A->live[0].replaces_spi_in == old_in);
	CHECK(ikev2_child_by_in(A->sa, A->live[0].spi_in) && ikev2_child_by_in(B->sa, B->live[0].spi_in));
	CHECK(!ikev2_child_by_in(A->sa, old_in));
	v2p_free(P);
}

TEST(ikev2_ike_rekey_collision_reordered)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	CHECK(ikev2_rekey_ike(A->sa) == 0 && ikev2_rekey_ike(B->sa) == 0);
	CHECK(P->nq == 2 && P->q[0].to == 1 && P->q[1].to == 0);
	v2p_deliver(P, 0);		/* A's request reaches B, B answers it (its own is out) */
	CHECK(P->nq == 2 && P->q[0].to == 0 && P->q[1].to == 0);
	v2p_deliver(P, 1);		/* B's answer overtakes B's request: A's rekey is done */
	v2p_pump(P);			/* B's request now meets A's replaced SA: TEMPORARY_FAILURE */
	ikev2_reap(&A->eng);
	ikev2_reap(&B->eng);
	CHECK(v2p_ike_count(A) == 1 && v2p_ike_count(B) == 1 && A->sa == A->eng.sas && B->sa == B->eng.sas);
	CHECK(!memcmp(A->sa->spi_i, B->sa->spi_i, 8) && !memcmp(A->sa->spi_r, B->sa->spi_r, 8));
	CHECK(A->nlive == 1 && B->nlive == 1 && A->ndown == 0 && B->ndown == 0 && B->nike_down == 0);
	CHECK(ikev2_child_by_in(B->sa, B->live[0].spi_in) != NULL);
	v2p_free(P);
}

TEST(ikev2_ike_rekey_successor_gone_before_old)
{
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	struct ikev2_sa *old = A->sa;
	CHECK(ikev2_rekey_ike(old) == 0);
	v2p_deliver(P, 0);
	v2p_deliver(P, 0);		/* A has the new SA; its Delete of the old one is out */
	CHECK(A->sa != old && old->rekeyed_to == A->sa && old->req_pending);
	P->nq = 0;			/* ...and lost */
	ikev2_ike_gone(A->sa);		/* the new one is given up before the old one is answered */
	ikev2_reap(&A->eng);		/* the old one goes with it: nothing points at freed memory */
	CHECK(v2p_ike_count(A) == 0 && A->eng.sas == NULL && A->nike_down == 1);
	v2p_free(P);
}

TEST(ikev2_ike_rekey_invalid_ke_retried_with_peer_group)
{
	static const struct ikev2_suite cbc19 = { IKEV2_ENCR_AES_CBC, 256, IKEV2_AUTH_HMAC_SHA2_256_128,
						  IKEV2_PRF_HMAC_SHA2_256, 19 };
	struct v2p *P = v2p_new();
	A->conf.ike[A->conf.nike++] = cbc19;
	CHECK(v2p_up(P));
	CHECK(A->sa->suite.dh == 14);
	/* B's policy now takes group 19 only (as after a reconfiguration). */
	B->sa->conf.ike[0] = cbc19;
	CHECK(ikev2_rekey_ike(A->sa) == 0);
	v2p_pump(P);
	CHECK(B->eng.st.invalid_ke == 1 && A->eng.st.invalid_ke == 1);
	ikev2_reap(&A->eng);
	ikev2_reap(&B->eng);
	CHECK(v2p_ike_count(A) == 1 && v2p_ike_count(B) == 1 && A->sa->suite.dh == 19 && B->sa->suite.dh == 19);
	CHECK(A->nrekeyed == 1 && A->nlive == 1 && B->nlive == 1 && v2p_crosswise(P));
	/* A group A does not allow: counted, no loop, the old SA stays. */
	B->sa->conf.ike[0].dh = 20;
	B->sa->conf.nike = 1;
	CHECK(ikev2_rekey_ike(A->sa) == 0);
	v2p_pump(P);
	CHECK(A->eng.st.peer_error == 1 && A->nrekeyed == 1 && v2p_ike_count(A) == 1 && !A->sa->req_pending);
	v2p_free(P);
}

TEST(ikev2_ike_rekey_collision_children_merge)
{
	/*
	 * Found by fuzz_ikev2_exch: A's rekey is lost, A answers B's (a collision
	 * for A), B finishes and makes a Child SA on the new IKE SA, and that
	 * request overtakes B's Delete of the old SA.  The Child SAs A moves to
	 * the new SA must join the one already there, not overwrite it.
	 */
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	CHECK(ikev2_rekey_ike(A->sa) == 0 && ikev2_rekey_ike(B->sa) == 0);
	CHECK(P->q[0].to == 1);
	v2p_drop(P, 0);			/* A's request is lost */
	v2p_deliver(P, 0);		/* B's request: A answers it, its own is out */
	v2p_deliver(P, 0);		/* A's answer: B's rekey is done, B's Delete of the old SA is out */
	CHECK(B->nrekeyed == 1 && P->nq == 1);
	CHECK(ikev2_create_child(B->sa, NULL, NULL) == 0 && P->nq == 2);
	v2p_deliver(P, 1);		/* the new Child SA's request overtakes the Delete */
	v2p_pump(P);
	ikev2_reap(&A->eng);
	ikev2_reap(&B->eng);
	CHECK(v2p_ike_count(A) == 1 && v2p_ike_count(B) == 1 && A->sa == A->eng.sas && B->sa == B->eng.sas);
	CHECK(A->nlive == 2 && B->nlive == 2 && v2p_crosswise(P));
	for (size_t i = 0; i < A->nlive; i++)
		CHECK(ikev2_child_by_in(A->sa, A->live[i].spi_in) != NULL);
	v2p_free(P);
}

TEST(ikev2_child_answer_after_successor_died)
{
	/* Found by fuzz_ikev2_exch: a CREATE_CHILD_SA answered on an IKE SA whose successor is gone. */
	struct v2p *P = v2p_new();
	CHECK(v2p_up(P));
	CHECK(ikev2_create_child(A->sa, NULL, NULL) == 0 && ikev2_rekey_ike(B->sa) == 0);
	CHECK(P->nq == 2 && P->q[1].to == 0);
	v2p_deliver(P, 1);		/* B's rekey: A answers, its Child SAs move */
	CHECK(A->nrekeyed == 1);
	ikev2_ike_gone(A->sa);		/* and A gives the new IKE SA up */
	CHECK(A->sa == NULL && A->nlive == 0 && A->nike_down == 1);
	v2p_pump(P);			/* the answer to A's CREATE_CHILD_SA comes back on the old SA */
	CHECK(A->sa == NULL && A->nlive == 0);
	ikev2_reap(&A->eng);
	CHECK(A->eng.sas == NULL);
	v2p_free(P);
}
