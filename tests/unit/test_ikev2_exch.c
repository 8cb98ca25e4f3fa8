/*
 * The IKEv2 engine between two hosts in one process: IKE_SA_INIT and
 * IKE_AUTH with pre-shared keys and the first Child SA, under loss-free
 * delivery, duplication of every message, a wrong key, a group the
 * responder will not take, disjoint proposals, narrowing, a flood of
 * half-open SAs from one source, and the COOKIE challenge (§2.6).
 */
#include "t.h"

#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "ikev2/ikev2_int.h"

#define A_ADDR 0x0a010101u
#define B_ADDR 0x0a020202u
#define QMAX 64

struct dgram {
	int to;
	size_t len;
	uint8_t d[4096];
};

struct side {
	struct ikev2_host host;
	struct ikev2_engine eng;
	struct ikev2_peer_conf conf;
	bool have_conf;
	int nchild;
	struct ikev2_child child;
	uint32_t next_spi;
};

static struct pair {
	struct side s[2];
	struct dgram q[QMAX];
	size_t nq;
	int dup;		/* deliver each datagram this many extra times */
} *P;

static int send_cb(void *arg, uint32_t local, uint32_t peer, const uint8_t *msg, size_t len)
{
	struct side *s = arg;
	int from = s == &P->s[0] ? 0 : 1;
	if (P->nq == QMAX || len > sizeof(P->q[0].d))
		return -1;
	P->q[P->nq].to = 1 - from;
	P->q[P->nq].len = len;
	memcpy(P->q[P->nq].d, msg, len);
	P->nq++;
	return 0;
}

static bool conf_cb(void *arg, uint32_t local, uint32_t peer, struct ikev2_peer_conf *out)
{
	struct side *s = arg;
	*out = s->conf;
	return s->have_conf;
}

static uint32_t spi_cb(void *arg)
{
	struct side *s = arg;
	return s->next_spi++;
}

static void child_cb(void *arg, struct ikev2_sa *sa, const struct ikev2_child *c)
{
	struct side *s = arg;
	s->nchild++;
	s->child = *c;
}

/* Delivers until quiet; every datagram 1 + dup times. */
static void pump(void)
{
	for (int rounds = 0; rounds < 100 && P->nq; rounds++) {
		struct dgram d = P->q[0];
		memmove(P->q, P->q + 1, (P->nq - 1) * sizeof(P->q[0]));
		P->nq--;
		struct side *to = &P->s[d.to];
		for (int i = 0; i <= P->dup; i++)
			ikev2_input(&to->eng, d.to ? B_ADDR : A_ADDR, d.to ? A_ADDR : B_ADDR, d.d, d.len);
	}
}

static const struct ikev2_suite cbc14 = { IKEV2_ENCR_AES_CBC, 256, IKEV2_AUTH_HMAC_SHA2_256_128,
					  IKEV2_PRF_HMAC_SHA2_256, 14 };
static const struct ikev2_suite gcm19 = { IKEV2_ENCR_AES_GCM_16, 128, 0, IKEV2_PRF_HMAC_SHA2_256, 19 };
static const struct ikev2_child_suite esp_cbc = { IKEV2_ENCR_AES_CBC, 128, IKEV2_AUTH_HMAC_SHA1_96 };
static const struct ikev2_child_suite esp_gcm = { IKEV2_ENCR_AES_GCM_16, 256, 0 };

static void setup(void)
{
	P = calloc(1, sizeof(*P));
	for (int i = 0; i < 2; i++) {
		struct side *s = &P->s[i];
		s->host = (struct ikev2_host){ s, send_cb, conf_cb, spi_cb, child_cb, NULL };
		ikev2_engine_init(&s->eng, &s->host);
		s->have_conf = true;
		s->next_spi = i ? 0xb0000001 : 0xa0000001;
		struct ikev2_peer_conf *c = &s->conf;
		c->ike[c->nike++] = cbc14;
		c->child[c->nchild++] = esp_cbc;
		memcpy(c->psk_local, "cisco123", 8);
		memcpy(c->psk_remote, "cisco123", 8);
		c->psk_local_len = c->psk_remote_len = 8;
		c->id_local = i ? B_ADDR : A_ADDR;
		c->id_remote = i ? A_ADDR : B_ADDR;
		struct ikev2_range a_lan = { 0, 0, 65535, 0x0a000000, 0x0a0000ff };
		struct ikev2_range b_lan = { 0, 0, 65535, 0x0a000200, 0x0a0002ff };
		c->local_ts = i ? b_lan : a_lan;
		c->remote_ts = i ? a_lan : b_lan;
	}
}

static void teardown(void)
{
	for (int i = 0; i < 2; i++)
		ikev2_engine_free(&P->s[i].eng);
	free(P);
}

static bool crosswise(void)
{
	struct ikev2_child *a = &P->s[0].child, *b = &P->s[1].child;
	size_t n = a->enc_key_len + a->integ_key_len;
	return P->s[0].nchild == 1 && P->s[1].nchild == 1 && a->spi_in == b->spi_out && a->spi_out == b->spi_in &&
	       n && !memcmp(a->key_out, b->key_in, n) && !memcmp(a->key_in, b->key_out, n) &&
	       memcmp(a->key_in, a->key_out, n);
}

TEST(ikev2_exch_psk_cbc_group14)
{
	setup();
	struct ikev2_sa *sa = ikev2_initiate(&P->s[0].eng, A_ADDR, B_ADDR);
	CHECK(sa && sa->state == IKEV2_S_I_INIT_SENT);
	pump();
	CHECK(sa->state == IKEV2_S_READY);
	CHECK(P->s[1].eng.sas && P->s[1].eng.sas->state == IKEV2_S_READY);
	CHECK(crosswise());
	CHECK(P->s[0].child.enc_key_len == 16 && P->s[0].child.integ_key_len == 20);
	CHECK(P->s[0].child.spi_in == 0xa0000001 && P->s[1].child.spi_in == 0xb0000001);
	CHECK(P->s[0].eng.st.ready == 1 && P->s[1].eng.st.ready == 1);
	CHECK(P->s[0].eng.st.bad_transition == 0 && P->s[1].eng.st.bad_transition == 0);
	teardown();
}

TEST(ikev2_exch_gcm_group19_and_invalid_ke_retry)
{
	setup();
	/* A offers group 14 first; B takes only GCM with group 19: INVALID_KE, then a retry. */
	P->s[0].conf.ike[P->s[0].conf.nike++] = gcm19;
	P->s[0].conf.child[0] = esp_gcm;
	P->s[1].conf.ike[0] = gcm19;
	P->s[1].conf.child[0] = esp_gcm;
	struct ikev2_sa *sa = ikev2_initiate(&P->s[0].eng, A_ADDR, B_ADDR);
	pump();
	CHECK(sa->state == IKEV2_S_READY);
	CHECK(sa->suite.dh == 19 && sa->suite.encr == IKEV2_ENCR_AES_GCM_16);
	CHECK(P->s[1].eng.st.invalid_ke == 1 && P->s[0].eng.st.invalid_ke == 1);
	CHECK(crosswise());
	CHECK(P->s[0].child.enc_key_len == 36 && P->s[0].child.integ_key_len == 0);
	teardown();
}

TEST(ikev2_exch_wrong_psk_fails_both_ways)
{
	setup();
	memcpy(P->s[1].conf.psk_remote, "cisco124", 8);
	struct ikev2_sa *sa = ikev2_initiate(&P->s[0].eng, A_ADDR, B_ADDR);
	pump();
	CHECK(P->s[1].eng.st.auth_failed == 1);
	CHECK(sa->state == IKEV2_S_DEAD && P->s[0].eng.st.auth_failed == 1);
	CHECK(P->s[0].nchild == 0 && P->s[1].nchild == 0);
	teardown();
}

TEST(ikev2_exch_identity_must_match)
{
	setup();
	P->s[1].conf.id_remote = 0x0a010102;	/* B expects another identity */
	struct ikev2_sa *sa = ikev2_initiate(&P->s[0].eng, A_ADDR, B_ADDR);
	pump();
	CHECK(sa->state == IKEV2_S_DEAD && P->s[1].eng.st.auth_failed == 1 && P->s[1].nchild == 0);
	teardown();
}

TEST(ikev2_exch_duplicates_change_nothing)
{
	setup();
	P->dup = 2;	/* every datagram arrives three times */
	struct ikev2_sa *sa = ikev2_initiate(&P->s[0].eng, A_ADDR, B_ADDR);
	pump();
	CHECK(sa->state == IKEV2_S_READY && crosswise());
	/* B answered each copy of each request from its store, A dropped each extra response. */
	CHECK(P->s[1].eng.st.retransmit_answered == 4);
	CHECK(P->s[0].eng.st.dup_response >= 4);
	int half = 0;
	for (struct ikev2_sa *s = P->s[1].eng.sas; s; s = s->next)
		half++;
	CHECK(half == 1);
	teardown();
}

TEST(ikev2_exch_tampered_and_replayed_auth)
{
	setup();
	struct ikev2_sa *sa = ikev2_initiate(&P->s[0].eng, A_ADDR, B_ADDR);
	/* Deliver IKE_SA_INIT both ways, keep IKE_AUTH #1 back. */
	struct dgram d;
	for (int i = 0; i < 2; i++) {
		d = P->q[0];
		P->nq = 0;
		ikev2_input(&P->s[d.to].eng, d.to ? B_ADDR : A_ADDR, d.to ? A_ADDR : B_ADDR, d.d, d.len);
	}
	CHECK(P->nq == 1 && P->q[0].to == 1);
	struct dgram auth = P->q[0];
	P->nq = 0;
	struct ikev2_sa *b = P->s[1].eng.sas;
	/* Every single-byte corruption of the encrypted part is dropped without a trace. */
	for (size_t i = 28; i < auth.len; i += 7) {
		struct dgram t = auth;
		t.d[i] ^= 0x80;
		ikev2_input(&P->s[1].eng, B_ADDR, A_ADDR, t.d, t.len);
	}
	CHECK(b->state == IKEV2_S_R_INIT_SENT && b->req_in == 1 && P->nq == 0);
	CHECK(P->s[1].eng.st.bad_icv > 0);
	/* The genuine one, then a replay of it after READY: answered from the store, nothing new. */
	ikev2_input(&P->s[1].eng, B_ADDR, A_ADDR, auth.d, auth.len);
	CHECK(b->state == IKEV2_S_READY && P->s[1].nchild == 1);
	pump();
	CHECK(sa->state == IKEV2_S_READY && crosswise());
	ikev2_input(&P->s[1].eng, B_ADDR, A_ADDR, auth.d, auth.len);
	CHECK(P->s[1].nchild == 1 && P->s[1].eng.st.retransmit_answered == 1 && P->nq == 1);
	pump();
	CHECK(P->s[0].nchild == 1 && P->s[0].eng.st.dup_response == 1);
	teardown();
}

TEST(ikev2_exch_no_proposal_and_forged_errors)
{
	setup();
	P->s[1].conf.ike[0] = gcm19;		/* A offers only CBC/14 */
	struct ikev2_sa *sa = ikev2_initiate(&P->s[0].eng, A_ADDR, B_ADDR);
	pump();
	CHECK(P->s[1].eng.st.no_proposal == 1 && P->s[1].eng.sas == NULL);
	/* NO_PROPOSAL_CHOSEN is unauthenticated: A counts it and waits for its timer. */
	CHECK(sa->state == IKEV2_S_I_INIT_SENT && P->s[0].eng.st.peer_error == 1);
	teardown();
}

TEST(ikev2_exch_narrowing)
{
	setup();
	/* B protects only 10.0.2.0/25 of A's requested 10.0.2.0/24, and only TCP. */
	P->s[1].conf.local_ts = (struct ikev2_range){ 6, 0, 65535, 0x0a000200, 0x0a00027f };
	struct ikev2_sa *sa = ikev2_initiate(&P->s[0].eng, A_ADDR, B_ADDR);
	pump();
	CHECK(sa->state == IKEV2_S_READY && crosswise());
	CHECK(P->s[0].child.remote_ts.eaddr == 0x0a00027f && P->s[0].child.remote_ts.proto == 6);
	CHECK(P->s[1].child.local_ts.eaddr == 0x0a00027f);
	/* Disjoint: TS_UNACCEPTABLE, the IKE SA stands, no Child SA. */
	teardown();
	setup();
	P->s[1].conf.local_ts = (struct ikev2_range){ 0, 0, 65535, 0x0b000000, 0x0b0000ff };
	sa = ikev2_initiate(&P->s[0].eng, A_ADDR, B_ADDR);
	pump();
	CHECK(P->s[1].eng.st.ts_unacceptable == 1 && sa->state == IKEV2_S_READY);
	CHECK(P->s[0].nchild == 0 && P->s[1].nchild == 0);
	teardown();
}

TEST(ikev2_exch_half_open_bounded_per_peer)
{
	setup();
	/* 20 IKE_SA_INIT requests from one address with 20 SPIs: a spoofer's flood. */
	for (int i = 0; i < 20; i++) {
		struct ikev2_sa *sa = ikev2_initiate(&P->s[0].eng, A_ADDR, B_ADDR);
		CHECK(sa != NULL);
		struct dgram d = P->q[P->nq - 1];
		P->nq = 0;
		ikev2_input(&P->s[1].eng, B_ADDR, A_ADDR, d.d, d.len);
		P->nq = 0;
	}
	int half = 0;
	for (struct ikev2_sa *s = P->s[1].eng.sas; s; s = s->next)
		half += s->state == IKEV2_S_R_INIT_SENT;
	CHECK(half == IKEV2_HALF_OPEN_PER_PEER);
	CHECK(P->s[1].eng.st.half_open_evicted == 20 - IKEV2_HALF_OPEN_PER_PEER);
	ikev2_reap(&P->s[1].eng);
	int left = 0;
	for (struct ikev2_sa *s = P->s[1].eng.sas; s; s = s->next)
		left++;
	CHECK(left == IKEV2_HALF_OPEN_PER_PEER);
	teardown();
}

TEST(ikev2_exch_cookie_challenge_under_load)
{
	setup();
	P->s[1].eng.cookie_threshold = 1;	/* `crypto ikev2 cookie-challenge 1` */
	/* One half-open SA (a request whose answer was lost): the next request needs a cookie. */
	ikev2_initiate(&P->s[0].eng, A_ADDR, B_ADDR);
	struct dgram d = P->q[0];
	P->nq = 0;
	ikev2_input(&P->s[1].eng, B_ADDR, A_ADDR, d.d, d.len);
	P->nq = 0;
	CHECK(P->s[1].eng.st.cookie_sent == 0);
	struct ikev2_sa *sa = ikev2_initiate(&P->s[0].eng, A_ADDR, B_ADDR);
	pump();
	CHECK(P->s[1].eng.st.cookie_sent == 1 && P->s[0].eng.st.cookie_rx == 1);
	CHECK(sa->state == IKEV2_S_READY && P->s[1].nchild == 1 && crosswise());
	/* The cookie answer kept no state: B holds the half-open SA and the finished one, nothing else. */
	int n = 0;
	for (struct ikev2_sa *s = P->s[1].eng.sas; s; s = s->next)
		n++;
	CHECK(n == 2);
	/* A forged COOKIE answer makes A send a made-up cookie: B counts it and answers a fresh one. */
	struct ikev2_sa *x = ikev2_initiate(&P->s[0].eng, A_ADDR, B_ADDR);
	P->nq = 0;		/* its first request is lost */
	uint8_t fake[33];
	memset(fake, 0x5a, sizeof(fake));
	struct ikev2_hdr h = { .exch = IKEV2_EXCH_IKE_SA_INIT, .flags = IKEV2_FLAG_RESPONSE };
	uint8_t buf[128];
	struct ikev2_wr w;
	memcpy(h.spi_i, x->spi_i, 8);
	ikev2_wr_init(&w, buf, sizeof(buf), &h);
	ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_COOKIE, fake, sizeof(fake));
	size_t len = ikev2_wr_finish(&w);
	ikev2_input(&P->s[0].eng, A_ADDR, B_ADDR, buf, len);	/* A resends with the forged cookie */
	CHECK(P->nq == 1);
	uint64_t bad = P->s[1].eng.st.cookie_bad;
	pump();
	CHECK(P->s[1].eng.st.cookie_bad == bad + 1 && P->s[1].eng.st.cookie_sent == 2);
	/* ...and A, given a real cookie, got in. */
	CHECK(x->state == IKEV2_S_READY);
	/* Forged cookie answers are followed a few times only, each with one datagram. */
	P->nq = 0;
	struct ikev2_sa *y = ikev2_initiate(&P->s[0].eng, A_ADDR, B_ADDR);
	memcpy(buf + 0, y->spi_i, 8);
	for (int i = 0; i < 10; i++)
		ikev2_input(&P->s[0].eng, A_ADDR, B_ADDR, buf, len);
	CHECK(P->nq == 1 + IKEV2_COOKIE_TRIES && y->state == IKEV2_S_I_INIT_SENT);
	CHECK(P->s[0].eng.st.cookie_rx == 3 + IKEV2_COOKIE_TRIES);	/* 3 for sa and x above */
	teardown();
}
