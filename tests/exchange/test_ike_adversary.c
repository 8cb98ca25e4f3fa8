/*
 * IKE under an adversary on the link (issue 9, IKE side): duplicates that
 * must not start a ping-pong, message IDs replayed after the exchange was
 * forgotten, unauthenticated datagrams to UDP 4500 that must not move the
 * peer's port, floods of spoofed MM1s that must not lock the real peer out,
 * unthrottled NO-PROPOSAL-CHOSEN, and a full bundle-record table.
 */
#include "../unit/t.h"
#include "xlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/wbuf.h"

#define EXCH(d) ((d)[18])

/* The seed lab with a one-day IKE SA, so nothing is replaced while a test waits. */
static struct xl_opts long_life(void)
{
	struct xl_opts o;
	memset(&o, 0, sizeof(o));
	o.pol_a = o.pol_b = (struct cfg_isakmp_policy){ .priority = 1, .enc = IKE_ENC_DES, .hash = IKE_HASH_SHA1,
						       .auth = IKE_AUTH_PSK, .group = 1, .lifetime = 86400 };
	return o;
}

static struct xl_opts esp_opts(void)
{
	struct xl_opts o;
	memset(&o, 0, sizeof(o));
	o.pol_a = o.pol_b = (struct cfg_isakmp_policy){ .priority = 10, .enc = IKE_ENC_AES128, .hash = IKE_HASH_SHA1,
						       .auth = IKE_AUTH_PSK, .group = 14, .lifetime = 86400 };
	o.ts_a = o.ts_b = (struct cfg_transform_set){ .name = "esp", .ah = XF_AH_NONE, .esp_enc = XF_ENC_AES,
						     .esp_keybits = 128, .esp_auth = XF_AUTH_SHA1 };
	return o;
}

/* ---- finding 1: duplicates answer requests only ---- */

static int qm_sent[2], dup_which;
static enum xl_verdict dup_one_qm(struct xlab *x, int from, int n, const uint8_t *d, size_t len)
{
	(void)x; (void)n;
	if (len < ISAKMP_HDR_LEN || EXCH(d) != ISAKMP_EXCH_QUICK)
		return XL_PASS;
	int k = qm_sent[from]++;
	/* A sends QM1 then QM3; B sends QM2. */
	if (dup_which == 3 && from == 0 && k == 1)
		return XL_DUP;
	if (dup_which == 2 && from == 1 && k == 0)
		return XL_DUP;
	return XL_PASS;
}

static void dup_qm_case(int which, int max_qm)
{
	struct xl_opts o = long_life();
	qm_sent[0] = qm_sent[1] = 0;
	dup_which = which;
	struct xlab *x = xl_new(&o);
	x->filter = dup_one_qm;
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(xl_crosswise(x));
	int at3 = x->sent[0] + x->sent[1];
	xl_run(x, 30000);
	/* One duplicate costs at most one answer; then the link is quiet. */
	CHECK(qm_sent[0] + qm_sent[1] <= max_qm);
	CHECK(x->sent[0] + x->sent[1] == at3);
	CHECK(xl_ike(x, 0)->st.installs == 1 && xl_ike(x, 1)->st.installs == 1);
	/* The responder counted and dropped the extra QM3; A answered only a QM2. */
	CHECK(xl_ike(x, 1)->st.dup_dropped == 1);
	CHECK(xl_ike(x, 1)->st.duplicates == 0);
	CHECK(xl_ike(x, 0)->st.duplicates == (which == 2 ? 1u : 0u));
	xl_free(x);
}

TEST(ikeadv_duplicate_qm3_is_dropped_not_answered)
{
	dup_qm_case(3, 3);	/* QM1, QM2, QM3: the responder never answers QM3 */
}

TEST(ikeadv_duplicate_qm2_costs_one_qm3)
{
	dup_qm_case(2, 4);	/* a repeated QM2 asks for QM3 again, once */
}

static enum xl_verdict dup_all(struct xlab *x, int from, int n, const uint8_t *d, size_t len)
{
	(void)x; (void)from; (void)n; (void)d; (void)len;
	return XL_DUP;
}

TEST(ikeadv_everything_duplicated_then_quiet)
{
	struct xl_opts o = long_life();
	struct xlab *x = xl_new(&o);
	x->filter = dup_all;
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(xl_crosswise(x));
	int at3 = x->sent[0] + x->sent[1];
	CHECK(at3 <= 20);
	xl_run(x, 120000);
	CHECK(x->sent[0] + x->sent[1] == at3);
	xl_free(x);
}

/* ---- finding 2: a message ID is used once per IKE SA ---- */

static uint8_t cap_qm1[ISAKMP_MAX_MSG], cap_info[ISAKMP_MAX_MSG];
static size_t cap_qm1_len, cap_info_len;
static void capture_a(struct xlab *x, const struct xl_dgram *d)
{
	(void)x;
	if (d->from != 0 || d->len < ISAKMP_HDR_LEN)
		return;
	if (EXCH(d->data) == ISAKMP_EXCH_QUICK && !cap_qm1_len) {
		memcpy(cap_qm1, d->data, d->len);
		cap_qm1_len = d->len;
	}
	if (EXCH(d->data) == ISAKMP_EXCH_INFO && !cap_info_len) {
		memcpy(cap_info, d->data, d->len);
		cap_info_len = d->len;
	}
}

static void send_dpd(struct ike_sa *sa, uint32_t seq)
{
	uint8_t spi[16], data[4];
	memcpy(spi, sa->icookie, 8);
	memcpy(spi + 8, sa->rcookie, 8);
	wbuf_st32(data, seq);
	struct isakmp_notify n = { ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ISAKMP, 16, ISAKMP_N_DPD_R_U_THERE,
				   spi, data, 4 };
	CHECK(info_send(sa, &n, NULL, 0) == 0);
}

TEST(ikeadv_replay_after_exchange_forgotten)
{
	struct xl_opts o = long_life();
	cap_qm1_len = cap_info_len = 0;
	struct xlab *x = xl_new(&o);
	x->tap = capture_a;
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(xl_crosswise(x));
	struct ike_sa *a = xl_sa(x, 0);
	CHECK(a != NULL);
	if (!a) {
		xl_free(x);
		return;
	}
	/* More Informationals than any small window remembers. */
	for (uint32_t i = 0; i < 40; i++) {
		send_dpd(a, 100 + i);
		xl_pump(x);
	}
	struct ike_state *b = xl_ike(x, 1);
	CHECK(b->st.dpd_rx == 40);
	CHECK(cap_qm1_len > 0 && cap_info_len > 0);
	const struct ike_record before = *xl_record(x, 1, 0);
	uint64_t b_tx = b->st.tx;

	xl_run(x, 200000);	/* every exchange is long forgotten */
	ike_input_datagram(x->r[1], x->outside[0], 500, x->outside[1], 500, cap_qm1, cap_qm1_len);
	ike_input_datagram(x->r[1], x->outside[0], 500, x->outside[1], 500, cap_info, cap_info_len);
	xl_pump(x);
	/* No new bundle, the SADB as it was, nothing answered. */
	CHECK(b->st.installs == 1);
	CHECK(b->st.dpd_rx == 40);
	CHECK(b->st.tx == b_tx);
	CHECK(b->st.msgid_reuse == 2);
	CHECK(xl_log_has(x, 1, "reuses a message ID"));
	struct strbuf sb;
	sb_init(&sb);
	ike_show_stats(x->r[1], &sb);
	CHECK(strstr(sb_str(&sb), "message ID reused                  2\n") != NULL);
	sb_free(&sb);
	CHECK(xl_crosswise(x));
	const struct ike_record *after = xl_record(x, 1, 0);
	CHECK(after && after->id == before.id && after->esp_spi_out == before.esp_spi_out);
	xl_free(x);
}

/* ---- finding 3: the peer's port follows authenticated messages only ---- */

static struct { int from; uint16_t sport, dport; } last_tx;
static void port_tap(struct xlab *x, const struct xl_dgram *d)
{
	(void)x;
	last_tx.from = d->from;
	last_tx.sport = d->sport;
	last_tx.dport = d->dport;
}

/* A forged encrypted Informational with sa's live cookies, behind the non-ESP marker. */
static size_t forge_4500(const struct ike_sa *sa, uint8_t *buf, size_t cap)
{
	struct isakmp_hdr h = { .version = ISAKMP_VERSION, .exch = ISAKMP_EXCH_INFO, .msgid = 0x5a5a0001 };
	memcpy(h.icookie, sa->icookie, 8);
	memcpy(h.rcookie, sa->rcookie, 8);
	uint8_t junk[32];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	struct isakmp_wr w;
	memset(buf, 0, 4);
	isakmp_wr_init(&w, buf + 4, cap - 4, &h);
	isakmp_put_raw(&w, ISAKMP_NP_HASH, junk, sizeof(junk) - 4);
	int len = isakmp_wr_finish(&w);
	buf[4 + 19] |= ISAKMP_FLAG_ENC;
	return len < 0 ? 0 : (size_t)len + 4;
}

static void spoof_4500_case(bool nat)
{
	struct xl_opts o = esp_opts();
	struct xlab *x = xl_new(&o);
	xl_ike(x, 0)->natt_force = nat;
	xl_acquire(x, 0);
	xl_run(x, 3000);
	struct ike_sa *b = xl_sa(x, 1);
	CHECK(b != NULL);
	if (!b) {
		xl_free(x);
		return;
	}
	uint16_t port = nat ? 4500 : 500;
	CHECK(b->peer_port == port && b->floated == nat);
	uint8_t buf[256];
	size_t n = forge_4500(b, buf, sizeof(buf));
	CHECK(n > 0);
	/* From the peer's address but another port, and from another address. */
	ike_input_datagram(x->r[1], x->outside[0], 31337, x->outside[1], 4500, buf, n);
	ike_input_datagram(x->r[1], 0x0a090909, 4500, x->outside[1], 4500, buf, n);
	CHECK(b->peer_port == port && b->floated == nat);
	/* Recovery's notify still reaches the real port, and A acts on it. */
	x->tap = port_tap;
	CHECK(ike_send_invalid_spi(x->r[1], 0, x->outside[0], 50, 0x0badf00d));
	CHECK(last_tx.from == 1 && last_tx.dport == port && last_tx.sport == port);
	xl_run(x, 500);
	CHECK(xl_ike(x, 0)->st.invalid_spi_rx == 1);
	CHECK(xl_ike(x, 1)->st.bad_hash + xl_ike(x, 1)->st.decrypt_fail +
	      xl_ike(x, 1)->st.malformed + xl_ike(x, 1)->st.unprotected_ignored >= 1);
	xl_free(x);
}

TEST(ikeadv_spoofed_4500_keeps_port_behind_nat)
{
	spoof_4500_case(true);
}

TEST(ikeadv_spoofed_4500_does_not_float_without_nat)
{
	spoof_4500_case(false);
}

/* A NAT that rebinds: an authenticated message from a new port is followed. */
TEST(ikeadv_authenticated_rebind_is_followed)
{
	struct xl_opts o = esp_opts();
	struct xlab *x = xl_new(&o);
	xl_ike(x, 0)->natt_force = true;
	xl_acquire(x, 0);
	xl_run(x, 3000);
	struct ike_sa *a = xl_sa(x, 0), *b = xl_sa(x, 1);
	CHECK(a && b);
	if (!a || !b) {
		xl_free(x);
		return;
	}
	send_dpd(a, 7);
	CHECK(x->nq == 1);
	if (x->nq == 1)
		x->q[0].sport = 4600;	/* the NAT's new mapping */
	xl_pump(x);
	CHECK(b->peer_port == 4600);
	CHECK(xl_ike(x, 1)->st.dpd_rx == 1);
	xl_free(x);
}

/* ---- finding 5: spoofed MM1s do not lock the real peer out ---- */

static uint8_t cap_mm1[ISAKMP_MAX_MSG];
static size_t cap_mm1_len;
static enum xl_verdict grab_mm1(struct xlab *x, int from, int n, const uint8_t *d, size_t len)
{
	(void)x;
	if (from == 0 && n == 0) {
		memcpy(cap_mm1, d, len);
		cap_mm1_len = len;
		return XL_DROP;
	}
	return XL_PASS;
}

/* A's first MM1 under options o, never delivered. */
static void capture_mm1(const struct xl_opts *o)
{
	cap_mm1_len = 0;
	struct xlab *c = xl_new(o);
	c->filter = grab_mm1;
	xl_acquire(c, 0);
	xl_pump(c);
	xl_free(c);
	CHECK(cap_mm1_len > ISAKMP_HDR_LEN);
}

static void spoof_mm1(struct xlab *x, uint32_t src, uint32_t cookie)
{
	uint8_t m[ISAKMP_MAX_MSG];
	memcpy(m, cap_mm1, cap_mm1_len);
	wbuf_st32(m, 0xdead0000u);
	wbuf_st32(m + 4, cookie);
	ike_input_datagram(x->r[1], src, 500, x->outside[1], 500, m, cap_mm1_len);
	xl_pump(x);
}

/* B has a wildcard key, as a hub with many spokes would. */
static void wildcard_key(struct xlab *x, int i)
{
	x->r[i]->cfg->keys[0].addr = 0;
	x->r[i]->cfg->keys[0].mask = 0;
}

TEST(ikeadv_mm1_flood_then_real_peer_gets_in)
{
	struct xl_opts o = long_life();
	capture_mm1(&o);
	struct xlab *x = xl_new(&o);
	wildcard_key(x, 1);
	for (uint32_t i = 0; i < 200; i++) {
		/* A quarter claim to be the real peer. */
		uint32_t src = i % 4 == 0 ? x->outside[0] : 0x0a090000u + i + 1;
		spoof_mm1(x, src, i + 1);
	}
	xl_acquire(x, 0);
	xl_run(x, 5000);
	CHECK(xl_crosswise(x));
	xl_free(x);
}

/*
 * The admission policy, table-driven (as WireGuard's ratelimiter selftest):
 * per-source limit 2, global limit 4, half-open timeout 8 s.  `gone` is the
 * MM1 whose half-open SA the row's decision evicted.
 */
static const struct {
	uint32_t t_ms;
	int src, cookie;
	enum ike_ho_verdict v;
	int gone;
} expected_results[] = {
	{ 0, 1, 1, HO_ADMIT, 0 },
	{ 0, 1, 2, HO_ADMIT, 0 },
	{ 0, 1, 3, HO_EVICT_SRC, 1 },		/* S1's third: its oldest goes */
	{ 1000, 2, 4, HO_ADMIT, 0 },
	{ 1000, 3, 5, HO_ADMIT, 0 },		/* 4 in all now */
	{ 2000, 4, 6, HO_EVICT_OLDEST, 2 },	/* full: the oldest anywhere goes */
	{ 2000, 2, 7, HO_EVICT_OLDEST, 3 },
	{ 9500, 5, 8, HO_ADMIT, 0 },		/* 4 and 5 timed out at 9 s */
	{ 10500, 1, 9, HO_ADMIT, 0 },		/* 6 and 7 timed out at 10 s */
	{ 10500, 1, 10, HO_ADMIT, 0 },
	{ 10500, 1, 11, HO_EVICT_SRC, 9 },
	{ 10500, 6, 12, HO_ADMIT, 0 },
	{ 10600, 7, 13, HO_EVICT_OLDEST, 8 },
};

static bool half_open_with(const struct ike_state *ike, int cookie)
{
	uint8_t c[8];
	wbuf_st32(c, 0xdead0000u);
	wbuf_st32(c + 4, (uint32_t)cookie);
	for (const struct ike_sa *sa = ike->sas; sa; sa = sa->next)
		if (!ike_sa_deleted(sa) && memcmp(sa->icookie, c, 8) == 0)
			return true;
	return false;
}

TEST(ikeadv_half_open_admission_table)
{
	struct xl_opts o = long_life();
	capture_mm1(&o);
	struct xlab *x = xl_new(&o);
	wildcard_key(x, 1);
	struct ike_state *b = xl_ike(x, 1);
	b->ho_max = 4;
	b->ho_per_src = 2;
	b->ho_ms = 8000;
	uint64_t t0 = ev_now(x->ev);
	for (size_t i = 0; i < sizeof(expected_results) / sizeof(expected_results[0]); i++) {
		uint64_t at = t0 + expected_results[i].t_ms;
		if (ev_now(x->ev) < at)
			ev_advance(x->ev, at - ev_now(x->ev));
		uint64_t ev0 = b->st.half_open_evict, dr0 = b->st.half_open_drop;
		spoof_mm1(x, 0x0a090000u + (uint32_t)expected_results[i].src, expected_results[i].cookie);
		bool admitted = half_open_with(b, expected_results[i].cookie);
		bool evicted = b->st.half_open_evict == ev0 + 1;
		switch (expected_results[i].v) {
		case HO_ADMIT:
			CHECK(admitted && b->st.half_open_evict == ev0);
			break;
		case HO_EVICT_SRC:
		case HO_EVICT_OLDEST:
			CHECK(admitted && evicted);
			CHECK(!half_open_with(b, expected_results[i].gone));
			break;
		case HO_REFUSE:
			CHECK(!admitted && b->st.half_open_drop == dr0 + 1);
			break;
		}
		if (!admitted || (expected_results[i].v != HO_ADMIT && !evicted))
			fprintf(stderr, "    row %zu: admitted %d evicted %d\n", i, admitted, evicted);
	}
	CHECK(b->st.half_open_expired == 4);
	CHECK(b->st.half_open_drop == 0);
	struct strbuf sb;
	sb_init(&sb);
	ike_show_stats(x->r[1], &sb);
	CHECK(strstr(sb_str(&sb), "half-open evicted                  5\n") != NULL);
	CHECK(strstr(sb_str(&sb), "half-open timed out (no MM3)       4\n") != NULL);
	sb_free(&sb);
	xl_free(x);
}

/* A slot that got a valid MM3 is never evicted; when all have, MM1 is refused. */
static enum xl_verdict drop_a_mm5(struct xlab *x, int from, int n, const uint8_t *d, size_t len)
{
	(void)x; (void)n;
	return from == 0 && len > ISAKMP_HDR_LEN && (d[19] & ISAKMP_FLAG_ENC) ? XL_DROP : XL_PASS;
}

TEST(ikeadv_half_open_past_mm3_not_evicted)
{
	struct xl_opts o = long_life();
	capture_mm1(&o);
	struct xlab *x = xl_new(&o);
	wildcard_key(x, 1);
	struct ike_state *b = xl_ike(x, 1);
	b->ho_max = 1;
	x->filter = drop_a_mm5;
	xl_acquire(x, 0);
	xl_run(x, 1000);	/* A's SA at B is past MM3, waiting for MM5 */
	spoof_mm1(x, 0x0a090001, 1);
	CHECK(!half_open_with(b, 1));
	CHECK(b->st.half_open_drop == 1 && b->st.half_open_evict == 0);
	x->filter = NULL;
	xl_run(x, 20000);	/* A retransmits MM5: the negotiation finishes */
	CHECK(xl_crosswise(x));
	xl_free(x);
}

/* ---- finding 2: the message ID store is bounded; full, the IKE SA is replaced ---- */

TEST(ikeadv_msgid_store_full_replaces_ike_sa)
{
	struct xl_opts o = long_life();
	struct xlab *x = xl_new(&o);
	xl_ike(x, 0)->msgid_cap = xl_ike(x, 1)->msgid_cap = 32;
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(xl_crosswise(x));
	struct ike_sa *a = xl_sa(x, 0);
	if (!a) {
		xl_free(x);
		return;
	}
	uint32_t old = a->conn_id;
	uint8_t spi[16], data[4];
	memcpy(spi, a->icookie, 8);
	memcpy(spi + 8, a->rcookie, 8);
	int sent = 0;
	/* R-U-THERE and its ACK: two IDs each; past 28 of 32 the SA retires. */
	for (uint32_t i = 0; i < 20; i++) {
		wbuf_st32(data, i);
		struct isakmp_notify n = { ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ISAKMP, 16,
					   ISAKMP_N_DPD_R_U_THERE, spi, data, 4 };
		sent += info_send(a, &n, NULL, 0) == 0;
		xl_pump(x);
	}
	CHECK(sent < 20);	/* no ID is ever reused: the full store says no */
	CHECK(xl_ike(x, 0)->st.msgid_full >= 1);
	CHECK(xl_ike(x, 0)->st.msgid_rekeys == 1 && xl_ike(x, 1)->st.msgid_rekeys == 1);
	CHECK(xl_log_has(x, 0, "IKMP_MSGID_LIMIT"));
	xl_run(x, 5000);
	struct ike_sa *now = xl_sa(x, 0);
	CHECK(now && now->conn_id != old);	/* a new phase 1 is up */
	xl_run(x, IKE_MSGID_GRACE_MS + 5000);
	CHECK(ike_sa_by_conn(xl_ike(x, 0), old) == NULL);	/* the old one is gone */
	CHECK(xl_crosswise(x));		/* the IPsec SAs were never touched */
	xl_free(x);
}

/* ---- finding 9: NO-PROPOSAL-CHOSEN to spoofed MM1s is rate-limited ---- */

TEST(ikeadv_no_proposal_notify_rate_limited)
{
	struct xl_opts o = long_life();
	o.pol_a = (struct cfg_isakmp_policy){ .priority = 1, .enc = IKE_ENC_AES128, .hash = IKE_HASH_SHA1,
					      .auth = IKE_AUTH_PSK, .group = 2, .lifetime = 86400 };
	capture_mm1(&o);
	struct xlab *x = xl_new(&o);
	wildcard_key(x, 1);
	int before = x->sent[1];
	for (uint32_t i = 0; i < 100; i++)
		spoof_mm1(x, 0x0a090000u + i + 1, i + 1);
	struct ike_state *b = xl_ike(x, 1);
	CHECK(b->st.no_proposal == 100);
	int sent = x->sent[1] - before;
	CHECK(sent == IKE_UNAUTH_NOTIFY_BURST);
	CHECK(b->st.unauth_notify_limited == (uint64_t)(100 - sent));
	/* A new window: the next one is answered again. */
	ev_advance(x->ev, IKE_UNAUTH_NOTIFY_WINDOW_MS);
	spoof_mm1(x, 0x0a0a0a0a, 1000);
	CHECK(x->sent[1] - before == sent + 1);
	xl_free(x);
}

/* ---- finding 9: a bundle we can not record is not installed ---- */

TEST(ikeadv_record_table_full_refuses_bundle)
{
	struct xl_opts o = long_life();
	struct xlab *x = xl_new(&o);
	struct ike_state *a = xl_ike(x, 0);
	for (int i = 0; i < IKE_MAX_RECORDS; i++) {
		a->rec[i].used = true;
		a->rec[i].id = 100000 + i;
		a->rec[i].peer = 0x0a090909;
	}
	xl_acquire(x, 0);
	xl_run(x, 3000);
	const struct ike_record *rb = xl_record(x, 1, 0);
	/* Whatever B did, A sends on nothing it does not track. */
	if (rb) {
		CHECK(!sadb_has_outbound_spi(x->r[0], x->outside[1], 50, rb->esp_spi_in));
		CHECK(!sadb_has_outbound_spi(x->r[0], x->outside[1], 51, rb->ah_spi_in));
	}
	CHECK(a->st.installs == 0);
	CHECK(a->st.record_full >= 1);
	CHECK(xl_log_has(x, 0, "no room to track another bundle"));
	/* Room again: the next acquire brings the tunnel up. */
	for (int i = 0; i < IKE_MAX_RECORDS; i++)
		a->rec[i].used = false;
	xl_run(x, 130000);	/* B gave up waiting for QM3 and removed its SAs */
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(xl_crosswise(x));
	xl_free(x);
}

/* ---- issue 13: every state change goes through one guarded setter ---- */

TEST(ikeadv_state_guards)
{
	/* Main Mode only forward, one step; deletion from anywhere but itself. */
	CHECK(ike_sa_stateok(MM_NO_STATE, MM_SA_SETUP) && ike_sa_stateok(MM_KEY_AUTH, QM_IDLE));
	CHECK(!ike_sa_stateok(MM_NO_STATE, MM_KEY_EXCH) && !ike_sa_stateok(QM_IDLE, MM_SA_SETUP));
	CHECK(ike_sa_stateok(MM_SA_SETUP, IKE_SA_DELETED) && ike_sa_stateok(QM_IDLE, IKE_SA_DELETED));
	CHECK(!ike_sa_stateok(IKE_SA_DELETED, MM_NO_STATE) && !ike_sa_stateok(IKE_SA_DELETED, QM_IDLE));
	CHECK(qm_stateok(QM_NEW, QM_I_WAIT2) && qm_stateok(QM_NEW, QM_R_WAIT3) && qm_stateok(QM_NEW, QM_FAILED));
	CHECK(qm_stateok(QM_I_WAIT2, QM_DONE) && qm_stateok(QM_R_WAIT3, QM_FAILED));
	CHECK(!qm_stateok(QM_NEW, QM_DONE) && !qm_stateok(QM_DONE, QM_FAILED) && !qm_stateok(QM_FAILED, QM_DONE));
	CHECK(!qm_stateok(QM_I_WAIT2, QM_R_WAIT3));

	struct xl_opts o = long_life();
	struct xlab *x = xl_new(&o);
	x->filter = dup_all;
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(xl_crosswise(x));
	/* A whole tunnel's life, duplicates and all, made only legal changes. */
	CHECK(xl_ike(x, 0)->st.state_refused == 0 && xl_ike(x, 1)->st.state_refused == 0);
	struct ike_sa *a = xl_sa(x, 0);
	CHECK(a != NULL);
	if (a) {
		CHECK(!ike_set_state(a, MM_KEY_EXCH));
		CHECK(a->state == QM_IDLE && ike_sa_established(a));
		CHECK(xl_ike(x, 0)->st.state_refused == 1);
		CHECK(xl_log_has(x, 0, "illegal state change QM_IDLE -> MM_KEY_EXCH refused"));
		struct ike_qm *q = a->qms;
		CHECK(q && q->state == QM_DONE);
		if (q) {
			CHECK(!qm_set_state(q, QM_I_WAIT2));
			CHECK(q->state == QM_DONE && xl_ike(x, 0)->st.state_refused == 2);
		}
		ike_sa_delete(a, "test");
		CHECK(ike_sa_deleted(a) && !ike_sa_established(a));
		CHECK(!ike_set_state(a, QM_IDLE) && ike_sa_deleted(a));
	}
	xl_free(x);
}
