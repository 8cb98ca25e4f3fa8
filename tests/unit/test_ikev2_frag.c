/*
 * IKE fragmentation (RFC 7383) between two engines (tests/unit/ikev2_pair.c,
 * virtual clock): IKE_AUTH fragmented both ways, loss of a request or an
 * answer fragment and the retransmission that completes, duplicates and
 * reordering, forged fragments that must not poison a set, and the
 * receiver's bounds, table-driven.
 */
#include "t.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2_pair.h"

#define A (&P->s[0])
#define B (&P->s[1])
#define MTU 150				/* an IP MTU: IKE messages of 122 bytes */

static bool is_skf(const struct v2p_dgram *d) { return d->len > 28 && d->d[16] == IKEV2_PL_SKF; }
static uint16_t frag_no(const struct v2p_dgram *d) { return wbuf_be16(d->d + 32); }

static struct v2p *pair(uint16_t mtu_a, uint16_t mtu_b)
{
	struct v2p *P = v2p_new();
	A->conf.frag_mtu = mtu_a;
	B->conf.frag_mtu = mtu_b;
	return P;
}

/* Delivers until quiet; false if an encrypted datagram was bigger than the MTU allows. */
static bool pump_fits(struct v2p *P, size_t max)
{
	bool ok = true;
	for (int i = 0; i < 400 && P->nq; i++) {
		if (P->q[0].d[18] != IKEV2_EXCH_IKE_SA_INIT && P->q[0].len > max)
			ok = false;
		v2p_deliver(P, 0);
	}
	return ok;
}

/* Starts A's IKE SA and delivers IKE_SA_INIT both ways: A's IKE_AUTH request is queued. */
static struct ikev2_sa *to_auth(struct v2p *P)
{
	struct ikev2_sa *sa = ikev2_initiate(&A->eng, V2P_A, V2P_B);
	v2p_deliver(P, 0);
	v2p_deliver(P, 0);
	return sa;
}

TEST(ikev2_frag_auth_fragmented_both_ways)
{
	struct v2p *P = pair(MTU, MTU);
	struct ikev2_sa *sa = ikev2_initiate(&A->eng, V2P_A, V2P_B);
	CHECK(pump_fits(P, MTU - 28));
	CHECK(sa && sa->state == IKEV2_S_READY && B->sa && B->sa->state == IKEV2_S_READY);
	CHECK(sa->frag && B->sa->frag);
	CHECK(A->eng.st.frag_tx > 1 && B->eng.st.frag_tx > 1);
	CHECK(A->eng.st.frag_reassembled == 1 && B->eng.st.frag_reassembled == 1);
	CHECK(A->nlive == 1 && B->nlive == 1 && v2p_crosswise(P));
	/* Later exchanges too: a new Child SA (CREATE_CHILD_SA) goes fragmented. */
	CHECK(ikev2_create_child(sa, NULL, NULL) == 0);
	CHECK(pump_fits(P, MTU - 28));
	CHECK(A->nlive == 2 && B->nlive == 2 && v2p_crosswise(P));
	CHECK(A->eng.st.frag_reassembled == 2 && B->eng.st.frag_reassembled == 2);
	CHECK(A->eng.frag_bytes == 0 && B->eng.frag_bytes == 0 && !sa->frx && !B->sa->frx);
	v2p_free(P);
}

TEST(ikev2_frag_only_when_both_support_it)
{
	for (int off = 0; off < 2; off++) {
		struct v2p *P = pair(off ? MTU : 0, off ? 0 : MTU);
		CHECK(v2p_up(P));
		CHECK(!A->sa->frag && !B->sa->frag);
		CHECK(A->eng.st.frag_tx == 0 && B->eng.st.frag_tx == 0);
		v2p_free(P);
	}
}

TEST(ikev2_frag_lost_request_fragment_retransmitted)
{
	struct v2p *P = pair(MTU, MTU);
	struct ikev2_sa *sa = to_auth(P);
	size_t k = P->nq;
	CHECK(k > 2 && is_skf(&P->q[0]) && is_skf(&P->q[k - 1]));
	v2p_drop(P, 1);			/* fragment #2 */
	for (size_t i = 0; i + 1 < k; i++)
		v2p_deliver(P, 0);
	CHECK(P->nq == 0 && B->sa == NULL && B->eng.st.frag_rx == k - 1);
	ikev2_retransmit(sa);		/* every fragment again */
	CHECK(P->nq == k);
	v2p_pump(P);
	CHECK(sa->state == IKEV2_S_READY && B->sa && B->sa->state == IKEV2_S_READY);
	/* #1 is held already; #2 completes it; the rest belong to a message now processed. */
	CHECK(B->eng.st.frag_dup == 1 && B->eng.st.frag_old == k - 2);
	CHECK(B->eng.st.frag_reassembled == 1 && B->eng.st.retransmit_answered == 0);
	CHECK(v2p_crosswise(P));
	v2p_free(P);
}

TEST(ikev2_frag_lost_answer_fragment_answered_again_on_first_only)
{
	struct v2p *P = pair(MTU, MTU);
	struct ikev2_sa *sa = to_auth(P);
	size_t k = P->nq;
	for (size_t i = 0; i < k; i++)
		v2p_deliver(P, 0);
	size_t r = P->nq;
	CHECK(B->sa && B->sa->state == IKEV2_S_READY && r > 1 && is_skf(&P->q[0]) && frag_no(&P->q[0]) == 1);
	v2p_drop(P, 0);			/* the answer's fragment #1 */
	v2p_pump(P);
	CHECK(sa->state == IKEV2_S_I_AUTH_SENT);
	ikev2_retransmit(sa);
	for (size_t i = 0; i < k; i++)
		v2p_deliver(P, 0);
	/* §2.6.1: fragment #1 brings the whole answer back; the others nothing. */
	CHECK(B->eng.st.retransmit_answered == 1 && B->eng.st.frag_old == k - 1 && P->nq == r);
	v2p_pump(P);
	CHECK(sa->state == IKEV2_S_READY && A->nlive == 1 && v2p_crosswise(P));
	v2p_free(P);
}

TEST(ikev2_frag_duplicated_and_reordered)
{
	struct v2p *P = pair(MTU, MTU);
	struct ikev2_sa *sa = ikev2_initiate(&A->eng, V2P_A, V2P_B);
	P->dup = 1;
	for (int i = 0; i < 400 && P->nq; i++)
		v2p_deliver(P, P->nq - 1);	/* the newest first: each train backwards */
	CHECK(sa->state == IKEV2_S_READY && B->sa && B->sa->state == IKEV2_S_READY);
	CHECK(B->eng.st.frag_dup > 0 && A->eng.st.frag_dup > 0);
	CHECK(A->eng.st.frag_reassembled == 1 && B->eng.st.frag_reassembled == 1);
	CHECK(A->nlive == 1 && v2p_crosswise(P));
	v2p_free(P);
}

TEST(ikev2_frag_forged_fragment_does_not_poison)
{
	struct v2p *P = pair(MTU, MTU);
	struct ikev2_sa *sa = to_auth(P);
	size_t k = P->nq;
	CHECK(k > 2);
	/* A bad ICV on a fragment B lacks, and one claiming more fragments (§2.6.2's restart). */
	struct v2p_dgram bad = P->q[1], more = P->q[k - 1];
	bad.d[bad.len - 1] ^= 1;
	wbuf_st16(more.d + 34, (uint16_t)(k + 1));
	v2p_deliver(P, 0);			/* genuine #1 */
	ikev2_input(&B->eng, V2P_B, V2P_A, bad.d, bad.len);
	ikev2_input(&B->eng, V2P_B, V2P_A, more.d, more.len);
	CHECK(B->eng.st.frag_bad_icv == 2 && B->eng.st.frag_restart == 0 && B->eng.st.frag_rx == 1);
	v2p_pump(P);
	CHECK(sa->state == IKEV2_S_READY && B->sa && B->sa->state == IKEV2_S_READY && v2p_crosswise(P));
	v2p_free(P);
}

/* ---- the receiver's bounds, with fragments made on A's keys ---- */

struct frag_step {
	uint16_t no, total;
	size_t len;		/* plaintext bytes */
	bool forge;		/* a wrong ICV */
};

/* One SKF message (request, or response with rsp) from A's SA with plaintext pt[len]. */
static size_t make_frag_as(struct ikev2_sa *sa, uint32_t msgid, bool rsp, const struct frag_step *s,
			   const uint8_t *pt, uint8_t *out, size_t cap)
{
	struct ikev2_hdr h = { .exch = IKEV2_EXCH_INFORMATIONAL, .msgid = msgid,
			       .flags = IKEV2_FLAG_INITIATOR | (rsp ? IKEV2_FLAG_RESPONSE : 0) };
	struct ikev2_wr w;
	memcpy(h.spi_i, sa->spi_i, 8);
	memcpy(h.spi_r, sa->spi_r, 8);
	ikev2_wr_init(&w, out, cap, &h);
	size_t at = ikev2_skf_begin(&w, &sa->sk, s->no, s->total);
	wbuf_put_bytes(&w.w, pt, s->len);
	w.w.p[at] = s->no == 1 ? IKEV2_PL_N : IKEV2_PL_NONE;
	size_t n = ikev2_skf_seal(&w, &sa->sk, at);
	if (n && s->forge)
		out[n - 1] ^= 1;
	return n;
}

static size_t make_frag(struct ikev2_sa *sa, uint32_t msgid, const struct frag_step *s, const uint8_t *pt,
			uint8_t *out, size_t cap)
{
	return make_frag_as(sa, msgid, false, s, pt, out, cap);
}

/* A Notify payload chain of exactly len bytes (a private status type B ignores). */
static void make_chain(uint8_t *pt, size_t len)
{
	memset(pt, 0, len);
	wbuf_st16(pt + 2, (uint16_t)len);
	wbuf_st16(pt + 6, 40000);
}

struct limit_row {
	const char *name;
	struct frag_step f[5];
	size_t nf;
	size_t counter;		/* offsetof(struct ikev2_stats, ...) */
	uint64_t want;
	bool whole;		/* B processed the message */
};

#define OFF(x) offsetof(struct ikev2_stats, x)

static const struct limit_row rows[] = {
	{ "complete in order", { { 1, 2, 400, 0 }, { 2, 2, 300, 0 } }, 2, OFF(frag_reassembled), 1, true },
	{ "duplicate ignored", { { 2, 2, 300, 0 }, { 2, 2, 300, 0 }, { 1, 2, 400, 0 } }, 3, OFF(frag_dup), 1, true },
	{ "forged never stored", { { 1, 2, 400, 0 }, { 2, 2, 300, 1 }, { 2, 2, 300, 0 } }, 3, OFF(frag_bad_icv), 1, true },
	{ "more fragments restart the set", { { 1, 2, 400, 0 }, { 1, 3, 300, 0 }, { 2, 3, 300, 0 }, { 3, 3, 100, 0 } },
	  4, OFF(frag_restart), 1, true },
	{ "fewer fragments dropped", { { 1, 3, 300, 0 }, { 2, 2, 300, 0 } }, 2, OFF(frag_bad_total), 1, false },
	{ "too many fragments", { { 1, IKEV2_FRAG_MAX_COUNT + 1, 100, 0 } }, 1, OFF(frag_too_many), 1, false },
	{ "too many bytes", { { 1, 3, 20000, 0 }, { 2, 3, 20000, 0 } }, 2, OFF(frag_too_big), 1, false },
};

TEST(ikev2_frag_receiver_limits_table)
{
	static uint8_t pt[40000], out[IKEV2_MAX_MSG];
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		const struct limit_row *row = &rows[r];
		struct v2p *P = pair(MTU, MTU);
		CHECK(v2p_up(P));
		uint32_t msgid = B->sa->req_in;
		uint64_t before = *(const uint64_t *)((const uint8_t *)&B->eng.st + row->counter);
		/* The plaintext of the last set sent is one Notify chain across its fragments. */
		size_t total = 0;
		uint16_t last_total = row->f[row->nf - 1].total;
		for (size_t i = 0; i < row->nf; i++)
			if (row->f[i].total == last_total && !row->f[i].forge && row->f[i].no != 0)
				total += row->f[i].len;
		for (size_t i = 0; i < row->nf; i++)
			for (size_t j = 0; j < i; j++)
				if (row->f[j].total == last_total && row->f[j].no == row->f[i].no && !row->f[j].forge &&
				    !row->f[i].forge && row->f[i].total == last_total)
					total -= row->f[i].len;	/* a duplicate counts once */
		make_chain(pt, total < sizeof(pt) ? total : sizeof(pt));
		for (size_t i = 0; i < row->nf; i++) {
			const struct frag_step *s = &row->f[i];
			size_t from = 0;
			for (size_t j = 1; j < s->no; j++)
				for (size_t k = 0; k < row->nf; k++)
					if (row->f[k].no == j && row->f[k].total == s->total) {
						from += row->f[k].len;
						break;
					}
			size_t n = make_frag(A->sa, msgid, s, pt + (from < sizeof(pt) - 20000 ? from : 0), out, sizeof(out));
			CHECK(n > 0);
			ikev2_input(&B->eng, V2P_B, V2P_A, out, n);
		}
		uint64_t got = *(const uint64_t *)((const uint8_t *)&B->eng.st + row->counter) - before;
		if (got != row->want)
			printf("  row '%s': counter %llu, want %llu\n", row->name, (unsigned long long)got,
			       (unsigned long long)row->want);
		CHECK(got == row->want);
		CHECK((B->sa->req_in == msgid + 1) == row->whole);
		CHECK(row->whole ? (P->nq == 1 && !B->sa->frx) : P->nq == 0);
		CHECK(B->sa->state == IKEV2_S_READY);
		v2p_free(P);
	}
}

TEST(ikev2_frag_set_times_out)
{
	static uint8_t pt[400], out[1024];
	struct v2p *P = pair(MTU, MTU);
	CHECK(v2p_up(P));
	struct frag_step s = { 1, 2, 200, false };
	make_chain(pt, 400);
	size_t n = make_frag(A->sa, B->sa->req_in, &s, pt, out, sizeof(out));
	ikev2_input(&B->eng, V2P_B, V2P_A, out, n);
	CHECK(B->sa->frx && B->eng.frag_bytes > 0);
	P->now += IKEV2_FRAG_TIMEOUT_MS - 1;
	ikev2_reap(&B->eng);
	CHECK(B->sa->frx && B->eng.st.frag_timeout == 0);
	P->now += 1;
	ikev2_reap(&B->eng);
	CHECK(!B->sa->frx && B->eng.st.frag_timeout == 1 && B->eng.frag_bytes == 0);
	v2p_free(P);
}

TEST(ikev2_frag_global_cap_evicts_oldest)
{
	static uint8_t pt[30000], out[IKEV2_MAX_MSG];
	struct v2p *P = pair(MTU, MTU);
	enum { NSA = 5 };
	struct ikev2_sa *sas[NSA];
	for (int i = 0; i < NSA; i++) {
		sas[i] = ikev2_initiate(&A->eng, V2P_A, V2P_B);
		v2p_pump(P);
		CHECK(sas[i] && sas[i]->state == IKEV2_S_READY);
	}
	struct ikev2_sa *bs[NSA];
	for (int i = 0; i < NSA; i++) {
		bs[i] = NULL;
		for (struct ikev2_sa *s = B->eng.sas; s; s = s->next)
			if (!memcmp(s->spi_i, sas[i]->spi_i, 8))
				bs[i] = s;
		CHECK(bs[i] != NULL);
	}
	for (int i = 0; i < NSA; i++) {
		struct frag_step s = { 1, 2, 30000, false };
		P->now += 10;
		size_t n = make_frag(sas[i], bs[i]->req_in, &s, pt, out, sizeof(out));
		ikev2_input(&B->eng, V2P_B, V2P_A, out, n);
		CHECK(bs[i]->frx != NULL);
		CHECK(B->eng.frag_bytes <= IKEV2_FRAG_GLOBAL_BYTES);
	}
	/*
	 * Each set costs its bytes and fragment #1's copy: not all fit, and the
	 * oldest went first (a real peer's next retransmission starts it again).
	 */
	CHECK(B->eng.st.frag_evicted >= 1 && bs[0]->frx == NULL && bs[NSA - 1]->frx != NULL);
	v2p_free(P);
}

TEST(ikev2_frag_unnegotiated_dropped)
{
	static uint8_t pt[400], out[1024];
	struct v2p *P = pair(0, 0);
	CHECK(v2p_up(P));
	struct frag_step s = { 1, 1, 100, false };
	make_chain(pt, 100);
	size_t n = make_frag(A->sa, B->sa->req_in, &s, pt, out, sizeof(out));
	ikev2_input(&B->eng, V2P_B, V2P_A, out, n);
	CHECK(B->eng.st.frag_unexpected == 1 && !B->sa->frx && P->nq == 0);
	v2p_free(P);
}

/* One message in reassembly per SA: only a verified fragment of another message replaces the set. */
TEST(ikev2_frag_other_message_replaces_only_when_verified)
{
	static uint8_t pt[400], out[2048];
	struct v2p *P = pair(MTU, MTU);
	CHECK(v2p_up(P));
	uint64_t rx0 = B->eng.st.frag_rx;
	CHECK(ikev2_liveness(B->sa) == 0 && B->sa->req_pending);	/* B waits for an answer */
	v2p_drop(P, 0);
	make_chain(pt, 300);
	struct frag_step r1 = { 1, 2, 200, false }, r2 = { 2, 2, 100, false };
	struct frag_step forged = { 1, 2, 100, true }, real = { 1, 2, 100, false };
	size_t n = make_frag(A->sa, B->sa->req_in, &r1, pt, out, sizeof(out));
	ikev2_input(&B->eng, V2P_B, V2P_A, out, n);
	CHECK(B->sa->frx && B->eng.st.frag_rx == rx0 + 1);
	/* A forged fragment of the answer B waits for: counted, the request's set kept. */
	n = make_frag_as(A->sa, B->sa->req_out, true, &forged, pt, out, sizeof(out));
	ikev2_input(&B->eng, V2P_B, V2P_A, out, n);
	CHECK(B->eng.st.frag_bad_icv == 1 && B->eng.st.frag_replaced == 0 && B->sa->frx);
	n = make_frag(A->sa, B->sa->req_in, &r2, pt + 200, out, sizeof(out));
	uint32_t req_in = B->sa->req_in;
	ikev2_input(&B->eng, V2P_B, V2P_A, out, n);
	CHECK(B->sa->req_in == req_in + 1 && !B->sa->frx);
	/* A new request's fragment, then a genuine one of the answer: that replaces it. */
	n = make_frag(A->sa, B->sa->req_in, &r1, pt, out, sizeof(out));
	ikev2_input(&B->eng, V2P_B, V2P_A, out, n);
	n = make_frag_as(A->sa, B->sa->req_out, true, &real, pt, out, sizeof(out));
	ikev2_input(&B->eng, V2P_B, V2P_A, out, n);
	CHECK(B->eng.st.frag_replaced == 1 && B->sa->frx && B->eng.st.frag_rx == rx0 + 4);
	v2p_free(P);
}
