/*
 * INITIAL_CONTACT in the IKEv2 engine (RFC 7296 §2.4): the initiator sends
 * it when its host says so (no other IKE SA with the peer), the receiver's
 * host hears of it only once the IKE_AUTH carrying it has authenticated,
 * and a forged or unauthenticated one changes nothing.
 */
#include "t.h"

#include <string.h>

#include "ikev2_pair.h"

#define A (&P->s[0])
#define B (&P->s[1])

/* What the host saw of the initial_contact op, and what it does: end the other SAs with the peer. */
static struct {
	int calls;
	bool sa_ready;			/* the SA named was READY when the host heard */
	size_t others_ready;		/* other READY SAs with the peer at that time */
} IC;

static void ic_cb(void *arg, struct ikev2_sa *sa)
{
	struct v2p_side *s = arg;
	IC.calls++;
	IC.sa_ready = sa->state == IKEV2_S_READY;
	IC.others_ready = 0;
	for (struct ikev2_sa *o = s->eng.sas; o; o = o->next)
		if (o != sa && o->peer == sa->peer && o->state == IKEV2_S_READY) {
			IC.others_ready++;
			ikev2_ike_gone(o);
		}
}

static struct v2p *pair_ic(void)
{
	memset(&IC, 0, sizeof(IC));
	struct v2p *P = v2p_new();
	A->host.initial_contact = ic_cb;
	B->host.initial_contact = ic_cb;
	return P;
}

TEST(ikev2_ic_sent_on_first_contact_acted_on_after_auth)
{
	struct v2p *P = pair_ic();
	A->conf.initial_contact = true;
	CHECK(v2p_up(P));
	CHECK(A->eng.st.initial_contact_tx == 1 && B->eng.st.initial_contact_rx == 1);
	CHECK(IC.calls == 1 && IC.sa_ready && IC.others_ready == 0);
	/* The new SA's Child SA came up after the call, and nothing else went. */
	CHECK(B->nlive == 1 && B->ndown == 0 && B->nike_down == 0 && v2p_crosswise(P));
	v2p_free(P);
}

TEST(ikev2_ic_not_sent_when_host_says_another_sa_is_up)
{
	struct v2p *P = pair_ic();
	CHECK(v2p_up(P));
	/* A second IKE SA beside the first: no INITIAL_CONTACT, B keeps both. */
	CHECK(ikev2_initiate(&A->eng, V2P_A, V2P_B) != NULL);
	v2p_pump(P);
	CHECK(A->eng.st.initial_contact_tx == 0 && B->eng.st.initial_contact_rx == 0 && IC.calls == 0);
	CHECK(v2p_ike_count(B) == 2 && v2p_ike_count(A) == 2 && B->nlive == 2);
	v2p_free(P);
}

/* B restarts (a fresh engine, no state) and comes back as initiator with INITIAL_CONTACT. */
TEST(ikev2_ic_peer_restart_replaces_stale_sa)
{
	struct v2p *P = pair_ic();
	CHECK(v2p_up(P));
	struct ikev2_sa *stale = A->sa;
	uint32_t stale_in = A->live[0].spi_in;
	ikev2_engine_free(&B->eng);
	ikev2_engine_init(&B->eng, &B->host);
	B->sa = NULL;
	B->nlive = 0;
	B->conf.initial_contact = true;
	struct ikev2_sa *fresh = ikev2_initiate(&B->eng, V2P_B, V2P_A);
	CHECK(fresh != NULL);
	v2p_pump(P);
	CHECK(fresh->state == IKEV2_S_READY && A->eng.st.initial_contact_rx == 1);
	CHECK(IC.calls == 1 && IC.sa_ready && IC.others_ready == 1);
	/* A: the stale SA and its Child SA went, nothing was sent over them; the new pair is crosswise. */
	CHECK(stale->state == IKEV2_S_DEAD && A->nike_down == 1 && A->ndown == 1 && A->last_down_in == stale_in);
	CHECK(v2p_ike_count(A) == 1 && A->nlive == 1 && B->nlive == 1 && v2p_crosswise(P));
	CHECK(P->nq == 0 && A->eng.st.delete_ike_tx == 0);
	ikev2_reap(&A->eng);
	v2p_free(P);
}

/* An IKE_AUTH whose AUTH fails carries INITIAL_CONTACT: the host never hears, the old SA stays. */
TEST(ikev2_ic_unauthenticated_changes_nothing)
{
	struct v2p *P = pair_ic();
	CHECK(v2p_up(P));
	/* A stranger with B's address but the wrong key, claiming a restart. */
	memcpy(B->conf.psk_local, "wrongkey", 8);
	B->conf.initial_contact = true;
	CHECK(ikev2_initiate(&B->eng, V2P_B, V2P_A) != NULL);
	v2p_pump(P);
	CHECK(A->eng.st.auth_failed == 1 && A->eng.st.initial_contact_rx == 0 && IC.calls == 0);
	CHECK(A->sa && A->sa->state == IKEV2_S_READY && A->nlive == 1 && A->ndown == 0 && A->nike_down == 0);
	v2p_free(P);
}

/* The IKE_AUTH request altered on the wire (its ICV fails): dropped, nothing happens. */
TEST(ikev2_ic_forged_auth_request_dropped)
{
	struct v2p *P = pair_ic();
	CHECK(v2p_up(P));
	B->conf.initial_contact = true;
	CHECK(ikev2_initiate(&B->eng, V2P_B, V2P_A) != NULL);
	v2p_deliver(P, 0);		/* IKE_SA_INIT request to A */
	v2p_deliver(P, 0);		/* its response to B, which sends IKE_AUTH */
	CHECK(P->nq == 1 && P->q[0].to == 0);
	P->q[0].d[P->q[0].len - 1] ^= 1;
	v2p_deliver(P, 0);
	CHECK(A->eng.st.bad_icv == 1 && A->eng.st.initial_contact_rx == 0 && IC.calls == 0);
	CHECK(A->sa->state == IKEV2_S_READY && A->nlive == 1 && A->ndown == 0 && A->nike_down == 0);
	v2p_free(P);
}
