/* Exchange tests under loss, duplication, reordering and misconfiguration. */
#include "../unit/t.h"
#include "xlab.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

static const struct xl_opts seed;

/* Drops every distinct datagram the first time it is sent. */
static uint8_t seen[64][20];
static int nseen;
static enum xl_verdict drop_first(struct xlab *x, int from, int n, const uint8_t *d, size_t len)
{
	uint8_t h[20];
	(void)x; (void)from; (void)n;
	SHA1(d, len, h);
	for (int i = 0; i < nseen; i++)
		if (memcmp(seen[i], h, 20) == 0)
			return XL_PASS;
	if (nseen < 64)
		memcpy(seen[nseen++], h, 20);
	return XL_DROP;
}

TEST(ike_xchg_every_message_lost_once)
{
	nseen = 0;
	struct xlab *x = xl_new(&seed);
	x->filter = drop_first;
	xl_acquire(x, 0);
	xl_run(x, 90000);
	CHECK(xl_sa(x, 0) && xl_sa(x, 1));
	CHECK(xl_crosswise(x));
	CHECK(x->dropped >= 9);
	CHECK(xl_ike(x, 0)->st.retransmits > 0);
	/* Lost replies were resent from the stored copy, not recomputed. */
	CHECK(xl_ike(x, 1)->st.duplicates > 0);
	CHECK(xl_ike(x, 0)->st.installs == 1 && xl_ike(x, 1)->st.installs == 1);
	xl_free(x);
}

static enum xl_verdict dup_all(struct xlab *x, int from, int n, const uint8_t *d, size_t len)
{
	(void)x; (void)from; (void)n; (void)d; (void)len;
	return XL_DUP;
}

TEST(ike_xchg_duplicates_not_reprocessed)
{
	struct xlab *x = xl_new(&seed);
	x->filter = dup_all;
	xl_acquire(x, 0);
	xl_run(x, 5000);
	CHECK(xl_crosswise(x));
	CHECK(xl_ike(x, 0)->st.duplicates + xl_ike(x, 1)->st.duplicates >= 8);
	CHECK(xl_ike(x, 0)->st.p1_ok == 1 && xl_ike(x, 1)->st.p1_ok == 1);
	CHECK(xl_ike(x, 0)->st.installs == 1 && xl_ike(x, 1)->st.installs == 1);
	xl_free(x);
}

TEST(ike_xchg_duplicated_and_reordered)
{
	struct xlab *x = xl_new(&seed);
	x->filter = dup_all;
	x->reorder = true;
	xl_acquire(x, 0);
	xl_run(x, 5000);
	CHECK(xl_crosswise(x));
	CHECK(xl_ike(x, 1)->st.installs == 1);
	xl_free(x);
}

static uint32_t lcg;
static enum xl_verdict lossy(struct xlab *x, int from, int n, const uint8_t *d, size_t len)
{
	(void)x; (void)from; (void)n; (void)d; (void)len;
	lcg = lcg * 1103515245u + 12345u;
	return (lcg >> 16) % 100 < 30 ? XL_DROP : XL_PASS;
}

TEST(ike_xchg_thirty_percent_loss)
{
	lcg = 7;
	struct xlab *x = xl_new(&seed);
	x->filter = lossy;
	xl_acquire(x, 0);
	xl_run(x, 120000);
	CHECK(xl_crosswise(x));
	CHECK(x->dropped > 0);
	xl_free(x);
}

TEST(ike_xchg_psk_mismatch_fails_bounded)
{
	struct xl_opts o = seed;
	o.psk_b = "not-1234";
	struct xlab *x = xl_new(&o);
	xl_acquire(x, 0);
	xl_run(x, 200000);
	CHECK(!xl_sa(x, 0) && !xl_sa(x, 1));
	CHECK(xl_nrecords(x, 0) == 0 && xl_nrecords(x, 1) == 0);
	CHECK(xl_ike(x, 0)->st.installs == 0 && xl_ike(x, 1)->st.installs == 0);
	CHECK(xl_ike(x, 0)->st.p1_fail == 1);
	CHECK(xl_ike(x, 0)->st.rtx_exhausted == 1);
	/* MM1, MM3, MM5 and five retransmissions of MM5: then it stops. */
	CHECK(x->sent[0] == 8);
	CHECK(xl_log_has(x, 1, "failed its sanity check or is malformed"));
	CHECK(xl_log_has(x, 0, "Processing of Main mode failed with peer at 10.2.2.2"));
	xl_free(x);
}

TEST(ike_xchg_no_common_isakmp_policy)
{
	struct xl_opts o = seed;
	o.pol_a = (struct cfg_isakmp_policy){ 1, IKE_ENC_AES128, IKE_HASH_SHA1, IKE_AUTH_PSK, 2, 86400 };
	o.pol_b = (struct cfg_isakmp_policy){ 1, IKE_ENC_3DES, IKE_HASH_SHA1, IKE_AUTH_PSK, 2, 86400 };
	struct xlab *x = xl_new(&o);
	xl_acquire(x, 0);
	xl_run(x, 200000);
	CHECK(!xl_sa(x, 0) && !xl_sa(x, 1));
	CHECK(xl_nrecords(x, 0) == 0 && xl_nrecords(x, 1) == 0);
	CHECK(xl_ike(x, 1)->st.no_proposal >= 1);
	CHECK(xl_log_has(x, 1, "no offered ISAKMP policy is acceptable"));
	CHECK(xl_log_has(x, 0, "Processing of Main mode failed with peer at 10.2.2.2"));
	/* The responder's unprotected NO-PROPOSAL-CHOSEN changed nothing at A but a counter. */
	CHECK(xl_ike(x, 0)->st.unprotected_ignored >= 1);
	xl_free(x);
}

TEST(ike_xchg_responder_lifetime_longer_is_refused)
{
	struct xl_opts o = seed;
	o.pol_a = (struct cfg_isakmp_policy){ 1, IKE_ENC_DES, IKE_HASH_SHA1, IKE_AUTH_PSK, 1, 86400 };
	struct xlab *x = xl_new(&o);	/* B keeps the seed's 180 s: A's 86400 is too long */
	xl_acquire(x, 0);
	xl_run(x, 5000);
	CHECK(!xl_sa(x, 1));
	xl_free(x);
	/* The other way round the offer's shorter lifetime is taken by both. */
	o = seed;
	o.pol_b = (struct cfg_isakmp_policy){ 1, IKE_ENC_DES, IKE_HASH_SHA1, IKE_AUTH_PSK, 1, 86400 };
	x = xl_new(&o);
	xl_acquire(x, 0);
	xl_run(x, 5000);
	CHECK(xl_sa(x, 1) && xl_sa(x, 1)->pol.lifetime == 180);
	xl_free(x);
}

TEST(ike_xchg_no_common_transform_set)
{
	struct xl_opts o = seed;
	o.ts_a = (struct cfg_transform_set){ "aes", XF_AH_NONE, XF_ENC_AES, 128, XF_AUTH_SHA1, false };
	struct xlab *x = xl_new(&o);
	/* The subject is A's own Quick Mode; B's phase-2 restore would offer
	 * B's set once more and be refused by A too (p2up tests cover that). */
	x->r[0]->cfg->isr.restore_phase2 = false;
	x->r[1]->cfg->isr.restore_phase2 = false;
	xl_acquire(x, 0);
	xl_run(x, 140000);	/* QM gives up after 126 s; the IKE SA lives 180 s */
	CHECK(xl_sa(x, 0) && xl_sa(x, 1));	/* phase 1 is fine */
	CHECK(xl_nrecords(x, 0) == 0 && xl_nrecords(x, 1) == 0);
	CHECK(xl_log_has(x, 1, "Processing of Quick mode failed with peer at 10.1.1.1 (no offered proposal matches the transform sets)"));
	CHECK(xl_log_has(x, 0, "Processing of Quick mode failed with peer at 10.2.2.2"));
	CHECK(xl_ike(x, 0)->st.p2_fail == 1 && xl_ike(x, 1)->st.p2_fail >= 1);
	xl_free(x);
}

TEST(ike_xchg_responder_lowers_ipsec_lifetime)
{
	struct xl_opts o = seed;
	o.life_sec_b = 1200;
	struct xlab *x = xl_new(&o);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(xl_crosswise(x));
	const struct ike_record *a = xl_record(x, 0, 0), *b = xl_record(x, 1, 0);
	CHECK(a && b && a->life_sec == 1200 && b->life_sec == 1200);
	CHECK(a && a->life_kb == 4608000);
	xl_free(x);
}

TEST(ike_xchg_ike_lifetime_replaced_before_expiry)
{
	struct xlab *x = xl_new(&seed);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	struct ike_sa *old = xl_sa(x, 0);
	CHECK(old && old->conn_id == 1);
	xl_run(x, 200000);
	struct ike_sa *a = xl_sa(x, 0), *b = xl_sa(x, 1);
	CHECK(a && b && a->conn_id == 2 && b->conn_id == 2);
	CHECK(xl_ike(x, 0)->st.p1_ok == 2);
	/* The old IKE SA ended; the IPsec SAs it made live on. */
	CHECK(ike_sa_by_conn(xl_ike(x, 0), 1) == NULL);
	CHECK(xl_crosswise(x));
	xl_free(x);
}

TEST(ike_xchg_ipsec_rekey_on_soft_expiry)
{
	struct xlab *x = xl_new(&seed);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	const struct ike_record *r0 = xl_record(x, 0, 0);
	CHECK(r0 != NULL);
	if (!r0) {
		xl_free(x);
		return;
	}
	struct ike_record old = *r0;
	ike_km_ops()->soft_expire(x->r[0], old.id);
	ike_km_ops()->soft_expire(x->r[0], old.id);	/* once is enough */
	xl_run(x, 3000);
	CHECK(xl_nrecords(x, 0) == 2 && xl_nrecords(x, 1) == 2);
	CHECK(xl_ike(x, 0)->st.rekeys == 1);
	const struct ike_record *n = NULL;
	for (int i = 0; i < 2; i++)
		if (xl_record(x, 0, i)->id != old.id)
			n = xl_record(x, 0, i);
	CHECK(n && n->esp_spi_in != old.esp_spi_in && n->ah_spi_out != old.ah_spi_out);
	xl_free(x);
}

static uint8_t captured[ISAKMP_MAX_MSG];
static size_t captured_len;
static void capture_tap(struct xlab *x, const struct xl_dgram *d)
{
	(void)x;
	if (d->from == 0 && d->data[18] == ISAKMP_EXCH_INFO) {
		memcpy(captured, d->data, d->len);
		captured_len = d->len;
	}
}

TEST(ike_xchg_delete_acts_forged_does_not)
{
	struct xlab *x = xl_new(&seed);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(xl_crosswise(x));
	struct ike_sa *sb = xl_sa(x, 1);
	const struct ike_record *ra = xl_record(x, 0, 0);
	if (!sb || !ra) {
		xl_free(x);
		return;
	}
	/* An unprotected Delete with the right cookies and SPIs: ignored. */
	uint8_t msg[256], spi[4];
	struct isakmp_hdr h = { .version = ISAKMP_VERSION, .exch = ISAKMP_EXCH_INFO, .msgid = 77 };
	memcpy(h.icookie, sb->icookie, 8);
	memcpy(h.rcookie, sb->rcookie, 8);
	struct isakmp_wr w;
	isakmp_wr_init(&w, msg, sizeof(msg), &h);
	wbuf_st32(spi, ra->esp_spi_in);
	struct isakmp_delete d = { ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ESP, 4, 1, spi };
	isakmp_put_delete(&w, &d);
	int len = isakmp_wr_finish(&w);
	ike_input_datagram(x->r[1], x->outside[0], 500, x->outside[1], 500, msg, (size_t)len);
	CHECK(xl_nrecords(x, 1) == 1);
	CHECK(sadb_has_outbound_spi(x->r[1], x->outside[0], 50, ra->esp_spi_in));
	CHECK(xl_ike(x, 1)->st.unprotected_ignored == 1);
	CHECK(xl_ike(x, 1)->st.deletes_rx == 0);

	/* The genuine protected Delete, with one ciphertext byte flipped: ignored. */
	x->tap = capture_tap;
	x->filter = NULL;
	struct xl_dgram *q = x->q;
	ike_km_ops()->deleted(x->r[0], x->outside[0], x->outside[1], 500, true, ra->ah_spi_in, true,
			      ra->esp_spi_in, SADB_DEL_CLEAR);
	CHECK(captured_len > 0 && x->nq == 1);
	x->nq = 0;	/* hold the genuine one back */
	uint8_t bad[ISAKMP_MAX_MSG];
	memcpy(bad, captured, captured_len);
	bad[captured_len - 12] ^= 0x40;	/* inside the last payload, not the padding */
	ike_input_datagram(x->r[1], x->outside[0], 500, x->outside[1], 500, bad, captured_len);
	CHECK(xl_nrecords(x, 1) == 1);
	CHECK(sadb_has_outbound_spi(x->r[1], x->outside[0], 50, ra->esp_spi_in));
	CHECK(xl_ike(x, 1)->st.bad_hash + xl_ike(x, 1)->st.decrypt_fail == 1);
	/* Now the genuine one: B deletes the bundle (our inbound = its outbound SPIs). */
	ike_input_datagram(x->r[1], q[0].src, 500, q[0].dst, 500, captured, captured_len);
	CHECK(xl_nrecords(x, 1) == 0);
	CHECK(xl_nrecords(x, 0) == 0);
	CHECK(!sadb_has_outbound_spi(x->r[1], x->outside[0], 50, ra->esp_spi_in));
	CHECK(xl_ike(x, 1)->st.deletes_rx == 2);	/* AH and ESP payloads */
	/* Replayed: not processed twice. */
	ike_input_datagram(x->r[1], q[0].src, 500, q[0].dst, 500, captured, captured_len);
	CHECK(xl_ike(x, 1)->st.deletes_rx == 2);	/* AH and ESP payloads */
	xl_free(x);
}

TEST(ike_xchg_invalid_spi_notify)
{
	struct xlab *x = xl_new(&seed);
	CHECK(!ike_send_invalid_spi(x->r[1], 0, x->outside[0], 50, 0x1234));	/* no IKE SA yet */
	xl_acquire(x, 0);
	xl_run(x, 3000);
	const struct ike_record *ra = xl_record(x, 0, 0);
	CHECK(ra != NULL);
	if (!ra) {
		xl_free(x);
		return;
	}
	/* Unprotected INVALID-SPI: logged and ignored. */
	struct ike_sa *sa = xl_sa(x, 0);
	uint8_t msg[256], spi[4];
	struct isakmp_hdr h = { .version = ISAKMP_VERSION, .exch = ISAKMP_EXCH_INFO, .msgid = 99 };
	memcpy(h.icookie, sa->icookie, 8);
	memcpy(h.rcookie, sa->rcookie, 8);
	struct isakmp_wr w;
	isakmp_wr_init(&w, msg, sizeof(msg), &h);
	wbuf_st32(spi, ra->esp_spi_out);
	struct isakmp_notify n = { ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ESP, 4, ISAKMP_N_INVALID_SPI, spi, NULL, 0 };
	isakmp_put_notify(&w, &n);
	int len = isakmp_wr_finish(&w);
	ike_input_datagram(x->r[0], x->outside[1], 500, x->outside[0], 500, msg, (size_t)len);
	CHECK(xl_ike(x, 0)->st.invalid_spi_rx == 0 && xl_ike(x, 0)->isn_spi == 0);

	/* Authenticated, SPI in the SPI field: recovery hears of it. */
	CHECK(ike_send_invalid_spi(x->r[1], x->outside[1], x->outside[0], 50, ra->esp_spi_out));
	xl_run(x, 200);
	CHECK(xl_ike(x, 0)->st.invalid_spi_rx == 1);
	CHECK(xl_ike(x, 0)->isn_spi == ra->esp_spi_out && xl_ike(x, 0)->isn_proto == ISAKMP_PROTO_ESP);
	CHECK(xl_ike(x, 0)->isn_peer == x->outside[1]);
	CHECK(xl_ike(x, 1)->st.invalid_spi_tx == 1);
	CHECK(xl_log_has(x, 0, "Authenticated INVALID-SPI notify from 10.2.2.2 for ESP SPI"));

	/* A peer that puts the SPI in the notification data instead. */
	wbuf_st32(spi, ra->ah_spi_out);
	struct isakmp_notify n2 = { ISAKMP_DOI_IPSEC, ISAKMP_PROTO_AH, 0, ISAKMP_N_INVALID_SPI, NULL, spi, 4 };
	CHECK(info_send(xl_sa(x, 1), &n2, NULL, 0) == 0);
	xl_run(x, 200);
	CHECK(xl_ike(x, 0)->st.invalid_spi_rx == 2);
	CHECK(xl_ike(x, 0)->isn_spi == ra->ah_spi_out && xl_ike(x, 0)->isn_proto == ISAKMP_PROTO_AH);
	xl_free(x);
}

TEST(ike_xchg_delete_of_carrying_sa_then_notify)
{
	/* Delete(ISAKMP of this very SA) followed by a Notify in one message: no use-after-free. */
	struct xlab *x = xl_new(&seed);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	struct ike_sa *sa = xl_sa(x, 0);
	CHECK(sa != NULL);
	if (!sa) {
		xl_free(x);
		return;
	}
	uint8_t c[16], seq[4] = { 0, 0, 0, 5 };
	memcpy(c, sa->icookie, 8);
	memcpy(c + 8, sa->rcookie, 8);
	struct isakmp_delete d = { ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ISAKMP, 16, 1, c };
	struct isakmp_notify n = { ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ISAKMP, 16, ISAKMP_N_DPD_R_U_THERE, c, seq, 4 };
	CHECK(info_send(sa, &n, &d, 1) == 0);
	size_t sent_b = (size_t)x->sent[1];
	xl_run(x, 200);
	CHECK(xl_sa(x, 1) == NULL);
	CHECK(xl_ike(x, 1)->st.dpd_rx == 1);
	CHECK((size_t)x->sent[1] == sent_b);	/* no ACK over a deleted SA */
	xl_run(x, 120000);	/* the reaper frees it */
	CHECK(xl_ike(x, 1)->sas == NULL || ike_sa_deleted(xl_ike(x, 1)->sas) == false);
	xl_free(x);
}

static bool b_silent;
static enum xl_verdict silence_b(struct xlab *x, int from, int n, const uint8_t *d, size_t len)
{
	(void)x; (void)n; (void)d; (void)len;
	return from == 1 && b_silent ? XL_DROP : XL_PASS;
}

TEST(ike_xchg_dpd_declares_silent_peer_dead)
{
	struct xl_opts o = seed;
	o.keepalive = 10;
	o.periodic = true;
	o.pol_a = o.pol_b = (struct cfg_isakmp_policy){ 1, IKE_ENC_AES128, IKE_HASH_SHA1, IKE_AUTH_PSK, 2, 86400 };
	b_silent = false;
	struct xlab *x = xl_new(&o);
	x->filter = silence_b;
	xl_acquire(x, 0);
	xl_run(x, 60000);
	CHECK(xl_ike(x, 0)->st.dpd_ack_rx >= 4);
	CHECK(xl_ike(x, 0)->st.dpd_dead == 0 && xl_sa(x, 0));
	b_silent = true;
	xl_run(x, 40000);
	CHECK(xl_ike(x, 0)->st.dpd_dead == 1);
	CHECK(xl_sa(x, 0) == NULL);
	CHECK(xl_nrecords(x, 0) == 0);
	CHECK(xl_log_has(x, 0, "Peer 10.2.2.2 is not responding to DPD R-U-THERE: declared dead"));
	xl_free(x);
}

TEST(ike_xchg_initial_contact_after_peer_reboot)
{
	struct xlab *x = xl_new(&seed);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(xl_crosswise(x));
	/* Both ends met for the first time: each sent INITIAL-CONTACT. */
	CHECK(xl_ike(x, 1)->st.initial_contact_rx == 1 && xl_ike(x, 0)->st.initial_contact_rx == 1);
	struct ike_record before = *xl_record(x, 0, 0);
	xl_reboot(x, 1, &seed);
	xl_acquire(x, 1);
	xl_run(x, 3000);
	CHECK(xl_ike(x, 0)->st.initial_contact_rx == 2);
	CHECK(ike_sa_by_conn(xl_ike(x, 0), 1) == NULL);	/* the old IKE SA went */
	CHECK(xl_crosswise(x));	/* only the new bundle remains at A */
	CHECK(xl_record(x, 0, 0)->esp_spi_in != before.esp_spi_in);
	CHECK(!xl_record(x, 0, 0)->initiator);
	xl_free(x);
}

static int cb_calls;
static bool cb_ok;
static void ready(struct router *r, uint32_t peer, bool ok, void *arg)
{
	(void)r; (void)peer; (void)arg;
	cb_calls++;
	cb_ok = ok;
}

TEST(ike_xchg_initiate_phase1_for_recovery)
{
	struct xlab *x = xl_new(&seed);
	cb_calls = 0;
	/* Phase 1 alone: its INITIAL-CONTACT would otherwise restore phase 2 (test_p2up.c). */
	x->r[1]->cfg->isr.restore_phase2 = false;
	x->r[0]->cfg->isr.restore_phase2 = false;
	CHECK(ike_initiate_phase1(x->r[1], x->outside[0], ready, NULL) == 0);
	xl_run(x, 3000);
	CHECK(cb_calls == 1 && cb_ok);
	CHECK(ike_sa_up(x->r[1], x->outside[0]) && ike_sa_up(x->r[0], x->outside[1]));
	CHECK(xl_nrecords(x, 0) == 0);	/* phase 1 only */
	/* Already up: the callback still comes, from the loop. */
	CHECK(ike_initiate_phase1(x->r[1], x->outside[0], ready, NULL) == 0);
	CHECK(cb_calls == 1);
	xl_run(x, 100);
	CHECK(cb_calls == 2 && cb_ok);
	/* A peer without a key: fails, and says so. */
	CHECK(ike_initiate_phase1(x->r[1], 0x0a090909, ready, NULL) < 0);
	xl_run(x, 100);
	CHECK(cb_calls == 3 && !cb_ok);
	xl_free(x);
}

/*
 * The peer forgot the IKE SA without a Delete (a crossing Main Mode's
 * INITIAL-CONTACT, a lost Delete): our Quick Mode on it dies of
 * retransmission, and so must the IKE SA, or every later acquire goes out
 * on it again (fuzz_exchange's stale-ike-sa finding).
 */
TEST(ike_xchg_quick_mode_death_deletes_ike_sa)
{
	struct xlab *x = xl_new(&seed);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(xl_crosswise(x));
	struct ike_sa *stale = xl_sa(x, 0);
	uint32_t stale_conn = stale->conn_id;
	ike_sa_delete(xl_sa(x, 1), "test: forgotten without a Delete");
	xl_acquire(x, 0);
	xl_run(x, 200000);	/* 2 s doubling, 5 retransmissions */
	CHECK(xl_ike(x, 0)->st.rtx_exhausted == 1 && xl_ike(x, 0)->st.p2_death == 1);
	CHECK(xl_sa(x, 0) == NULL);
	CHECK(ike_sa_by_conn(xl_ike(x, 0), stale_conn) == NULL || ike_sa_deleted(ike_sa_by_conn(xl_ike(x, 0), stale_conn)));
	CHECK(xl_ike(x, 0)->st.deletes_tx >= 1);	/* the Delete went out, best effort */
	/* The next need starts Main Mode, and the tunnel comes back. */
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(xl_sa(x, 0) != NULL && xl_sa(x, 0)->conn_id != stale_conn);
	CHECK(xl_sa(x, 1) != NULL);
	/* The old IPsec SAs stay to their lifetime (as IOS); the new pair agrees,
	 * and A sends on it. */
	CHECK(xl_nrecords(x, 0) == 2 && xl_nrecords(x, 1) == 2);
	const struct ike_record *a = xl_record(x, 0, 1), *b = xl_record(x, 1, 1);
	CHECK(a && b && a->esp_spi_out == b->esp_spi_in && a->esp_spi_in == b->esp_spi_out &&
	      a->key_fp[2] == b->key_fp[3] && a->key_fp[3] == b->key_fp[2]);
	CHECK(a && sadb_has_outbound_spi(x->r[0], x->outside[1], 50, a->esp_spi_out));
	xl_free(x);
}
