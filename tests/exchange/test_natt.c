/*
 * NAT traversal between two in-process routers: NAT-D detection (a NAT
 * faked by router A's natt_force: its NAT-D claims another address), the
 * float to UDP 4500 behind the non-ESP marker, UDP-Encapsulated-Tunnel in
 * Quick Mode, keepalives, AH refused across a NAT, the `no` form, and
 * INVALID-SPI for UDP-encapsulated ESP going out over 4500.
 */
#include "../unit/t.h"
#include "xlab.h"

#include <stdlib.h>
#include <string.h>

#include "core/pkt.h"
#include "core/strbuf.h"
#include "ipsec/ipsec.h"
#include "recovery/recovery_state.h"

/* What went over the wire, per router: ports, first bytes, lengths. */
struct wire {
	int n;
	struct { int from; uint16_t sport, dport; size_t len; uint8_t head[64]; } d[512];
};
static struct wire wire;

static void tap(struct xlab *x, const struct xl_dgram *d)
{
	(void)x;
	if (wire.n >= 512)
		return;
	wire.d[wire.n].from = d->from;
	wire.d[wire.n].sport = d->sport;
	wire.d[wire.n].dport = d->dport;
	wire.d[wire.n].len = d->len;
	memcpy(wire.d[wire.n].head, d->data, d->len < 64 ? d->len : 64);
	wire.n++;
}

static struct xl_opts esp_opts(void)
{
	struct xl_opts o;
	memset(&o, 0, sizeof(o));
	o.pol_a = o.pol_b = (struct cfg_isakmp_policy){ 10, IKE_ENC_AES128, IKE_HASH_SHA1, IKE_AUTH_PSK, 14, 86400 };
	o.ts_a = o.ts_b = (struct cfg_transform_set){ "esp", XF_AH_NONE, XF_ENC_AES, 128, XF_AUTH_SHA1, false };
	return o;
}

/* xl_crosswise for ESP-only bundles. */
static bool esp_crosswise(const struct xlab *x)
{
	if (xl_nrecords(x, 0) != 1 || xl_nrecords(x, 1) != 1)
		return false;
	const struct ike_record *a = xl_record(x, 0, 0), *b = xl_record(x, 1, 0);
	return sadb_has_outbound_spi(x->r[0], x->outside[1], 50, a->esp_spi_out) &&
	       sadb_has_outbound_spi(x->r[1], x->outside[0], 50, b->esp_spi_out) && !a->has_ah &&
	       a->has_esp && b->has_esp && a->esp_spi_in == b->esp_spi_out &&
	       a->esp_spi_out == b->esp_spi_in && a->key_fp[2] == b->key_fp[3] &&
	       a->key_fp[3] == b->key_fp[2];
}

static struct xlab *bench(const struct xl_opts *o, bool nat)
{
	memset(&wire, 0, sizeof(wire));
	struct xlab *x = xl_new(o);
	x->tap = tap;
	xl_ike(x, 0)->natt_force = nat;
	return x;
}

/* Does the datagram carry a vendor ID equal to vid anywhere (MM1/MM2 are cleartext)? */
static bool has_bytes(const uint8_t *d, size_t len, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(d + i, b, n) == 0)
			return true;
	return false;
}

TEST(natt_no_nat_stays_on_500)
{
	struct xl_opts o = esp_opts();
	struct xlab *x = bench(&o, false);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	struct ike_sa *a = xl_sa(x, 0), *b = xl_sa(x, 1);
	CHECK(a && b);
	if (a && b) {
		CHECK(a->peer_natt && b->peer_natt && !a->natt_draft);
		CHECK(a->natt_used && b->natt_used);	/* NAT-D exchanged */
		CHECK(!a->nat_local && !a->nat_peer && !b->nat_local && !b->nat_peer);
		CHECK(!a->floated && !b->floated && a->peer_port == 500 && b->peer_port == 500);
	}
	CHECK(esp_crosswise(x));
	const struct ike_record *ra = xl_record(x, 0, 0);
	CHECK(ra && !ra->udp_encap);
	for (int i = 0; i < wire.n; i++)
		CHECK(wire.d[i].sport == 500 && wire.d[i].dport == 500);
	CHECK(xl_ike(x, 0)->st.nat_detected == 0 && xl_ike(x, 1)->st.nat_detected == 0);
	xl_free(x);
}

TEST(natt_detect_and_float)
{
	struct xl_opts o = esp_opts();
	struct xlab *x = bench(&o, true);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	struct ike_sa *a = xl_sa(x, 0), *b = xl_sa(x, 1);
	CHECK(a && b);
	if (!a || !b) {
		xl_free(x);
		return;
	}
	/* A's NAT-D does not match the address B sees: both know a NAT is there. */
	CHECK(a->nat_local && !a->nat_peer);
	CHECK(b->nat_peer && !b->nat_local);
	CHECK(a->floated && b->floated && a->peer_port == 4500 && b->peer_port == 4500);
	/* MM1-MM4 on 500, then everything on 4500 behind the zero marker. */
	int n500 = 0, n4500 = 0;
	for (int i = 0; i < wire.n; i++) {
		if (wire.d[i].sport == 500) {
			CHECK(wire.d[i].dport == 500);
			n500++;
			CHECK(n4500 == 0);	/* nothing goes back to 500 after the float */
		} else {
			CHECK(wire.d[i].sport == 4500 && wire.d[i].dport == 4500);
			CHECK(wire.d[i].len > 4 + ISAKMP_HDR_LEN);
			CHECK(wbuf_be32(wire.d[i].head) == 0);
			/* The ISAKMP header follows the marker: our cookies. */
			CHECK_MEM(wire.d[i].head + 4, a->icookie, 8);
			n4500++;
		}
	}
	CHECK(n500 == 4);
	CHECK(n4500 == 5);	/* MM5, MM6, QM1, QM2, QM3 */
	CHECK(esp_crosswise(x));
	const struct ike_record *ra = xl_record(x, 0, 0), *rb = xl_record(x, 1, 0);
	CHECK(ra && rb && ra->udp_encap && rb->udp_encap);
	CHECK(ra && ra->peer_port == 4500);
	CHECK(xl_log_has(x, 0, "IKMP_NAT_DETECTED"));
	CHECK(xl_log_has(x, 0, "Switching to UDP port 4500"));
	/* IOS shows N (NAT-T) in the Cap. column. */
	struct strbuf sb;
	sb_init(&sb);
	ike_show_sa(x->r[1], &sb, true);
	CHECK(strstr(sb_str(&sb), "psk  14 ") && strstr(sb_str(&sb), "N\n"));
	sb_free(&sb);
	xl_free(x);
}

/* The encapsulation attribute QM1 offered: find it in B's debug of A's proposal. */
TEST(natt_qm_encap_mode_negotiated)
{
	struct xl_opts o = esp_opts();
	struct xlab *x = bench(&o, true);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	struct ike_sa *a = xl_sa(x, 0), *b = xl_sa(x, 1);
	CHECK(a && b);
	if (a && b) {
		CHECK(natt_encap_mode(a, false) == IPSEC_ENCAP_UDP_TUNNEL);
		CHECK(natt_encap_ok(b, false, IPSEC_ENCAP_UDP_TUNNEL));
		CHECK(natt_encap_ok(b, false, IPSEC_ENCAP_UDP_TUNNEL_DRAFT));
		/* Plain tunnel mode would not cross the NAT: refused. */
		CHECK(!natt_encap_ok(b, false, IPSEC_ENCAP_TUNNEL));
		/* A draft-only peer gets the draft's number. */
		a->natt_draft = true;
		CHECK(natt_encap_mode(a, false) == IPSEC_ENCAP_UDP_TUNNEL_DRAFT);
		CHECK(natt_encap_mode(a, true) == IPSEC_ENCAP_UDP_TRANSPORT_DRAFT);
		a->natt_draft = false;
	}
	CHECK(xl_log_has(x, 1, "protocol= ESP, transform= esp-aes esp-sha-hmac"));
	xl_free(x);
}

TEST(natt_no_nat_plain_tunnel_required)
{
	struct xl_opts o = esp_opts();
	struct xlab *x = bench(&o, false);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	struct ike_sa *b = xl_sa(x, 1);
	CHECK(b != NULL);
	if (b) {
		CHECK(natt_encap_ok(b, false, IPSEC_ENCAP_TUNNEL));
		CHECK(!natt_encap_ok(b, false, IPSEC_ENCAP_UDP_TUNNEL));
	}
	xl_free(x);
}

TEST(natt_ah_refused_across_nat)
{
	static const struct xl_opts seed;	/* the seed's auth2: AH + ESP */
	struct xlab *x = bench(&seed, true);
	xl_acquire(x, 0);
	xl_run(x, 5000);
	CHECK(xl_sa(x, 0) && xl_sa(x, 1));	/* phase 1 is fine */
	CHECK(xl_nrecords(x, 0) == 0 && xl_nrecords(x, 1) == 0);	/* no AH across the NAT */
	CHECK(xl_ike(x, 0)->st.natt_ah_refused >= 1);
	CHECK(xl_log_has(x, 0, "AH cannot traverse NAT"));
	struct strbuf sb;
	sb_init(&sb);
	ike_show_stats(x->r[0], &sb);
	CHECK(strstr(sb_str(&sb), "AH transform sets refused (AH cannot traverse NAT)") != NULL);
	sb_free(&sb);
	xl_free(x);
}

TEST(natt_keepalives)
{
	struct xl_opts o = esp_opts();
	struct xlab *x = bench(&o, true);
	x->r[0]->cfg->nat_keepalive = 10;
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(esp_crosswise(x));
	int before = wire.n;
	xl_run(x, 35000);
	int ka = 0;
	for (int i = before; i < wire.n; i++) {
		CHECK(wire.d[i].from == 0);	/* B has keepalives off (the IOS default) */
		if (wire.d[i].len == 1) {
			CHECK(wire.d[i].head[0] == 0xff && wire.d[i].sport == 4500 &&
			      wire.d[i].dport == 4500);
			ka++;
		}
	}
	CHECK(ka == 3);	/* at 10, 20 and 30 s after phase 1 */
	CHECK(xl_ike(x, 0)->st.natka_tx == 3 && xl_ike(x, 1)->st.natka_rx == 3);
	CHECK(xl_ike(x, 1)->st.bad_4500 == 0);
	/* Only while a UDP-encapsulated SA exists. */
	x->r[0]->cfg->nat_keepalive = 10;
	for (int i = 0; i < IKE_MAX_RECORDS; i++)
		xl_ike(x, 0)->rec[i].used = false;
	uint64_t sent = xl_ike(x, 0)->st.natka_tx;
	xl_run(x, 25000);
	CHECK(xl_ike(x, 0)->st.natka_tx == sent);
	xl_free(x);
}

TEST(natt_keepalives_off_by_default)
{
	struct xl_opts o = esp_opts();
	struct xlab *x = bench(&o, true);
	xl_acquire(x, 0);
	xl_run(x, 40000);
	CHECK(xl_ike(x, 0)->st.natka_tx == 0 && xl_ike(x, 1)->st.natka_tx == 0);
	xl_free(x);
}

TEST(natt_no_form_disables_everything)
{
	struct xl_opts o = esp_opts();
	struct xlab *x = bench(&o, true);
	x->r[0]->cfg->natt_enabled = false;	/* no crypto ipsec nat-transparency udp-encapsulation */
	xl_acquire(x, 0);
	xl_run(x, 3000);
	struct ike_sa *a = xl_sa(x, 0), *b = xl_sa(x, 1);
	CHECK(a && b);
	if (a && b) {
		CHECK(!b->peer_natt);	/* A sent no NAT-T vendor ID */
		CHECK(!a->natt_used && !b->natt_used);
		CHECK(!a->floated && !b->floated);
	}
	for (int i = 0; i < wire.n; i++) {
		CHECK(wire.d[i].sport == 500);
		if (wire.d[i].from == 0)
			CHECK(!has_bytes(wire.d[i].head, wire.d[i].len < 64 ? wire.d[i].len : 64,
					 isakmp_vid_rfc3947, 4));
	}
	const struct ike_record *ra = xl_record(x, 0, 0);
	CHECK(ra && !ra->udp_encap);
	CHECK(xl_ike(x, 0)->st.nat_detected == 0 && xl_ike(x, 1)->st.nat_detected == 0);
	xl_free(x);
}

TEST(natt_marker_and_junk_on_4500)
{
	struct xl_opts o = esp_opts();
	struct xlab *x = bench(&o, false);
	static const uint8_t junk[6] = { 1, 2, 3, 4, 5, 6 }, ka = 0xff;
	ike_input_datagram(x->r[1], x->outside[0], 4500, x->outside[1], 4500, junk, sizeof(junk));
	ike_input_datagram(x->r[1], x->outside[0], 4500, x->outside[1], 4500, junk, 2);
	ike_input_datagram(x->r[1], x->outside[0], 4500, x->outside[1], 4500, &ka, 1);
	CHECK(xl_ike(x, 1)->st.bad_4500 == 2);
	CHECK(xl_ike(x, 1)->st.natka_rx == 1);
	CHECK(xl_ike(x, 1)->st.malformed == 0);
	xl_free(x);
}

/* ESP in UDP with an unknown SPI: logged, recovery sees udp_encap, the notify goes over 4500. */
TEST(natt_invalid_spi_udp_notify_on_4500)
{
	struct xl_opts o = esp_opts();
	struct xlab *x = bench(&o, true);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(esp_crosswise(x));
	int before = wire.n;
	struct pkt *p = pkt_alloc();
	uint8_t *d = p->data;
	memset(d, 0, 64);
	wbuf_st32(d, 0x12345678);
	wbuf_st32(d + 4, 1);
	p->len = 64;
	ipsec_input_udp(x->r[1], p, x->outside[0], 4500, x->outside[1]);
	CHECK(xl_log_has(x, 1, "RECVD_PKT_INV_SPI"));
	CHECK(xl_log_has(x, 1, "spi=0x12345678"));
	CHECK(x->r[1]->rec->c.invalid_udp == 1);
	CHECK(xl_ike(x, 1)->st.invalid_spi_tx == 1);
	CHECK(wire.n == before + 1);
	if (wire.n == before + 1) {
		CHECK(wire.d[before].from == 1 && wire.d[before].sport == 4500 &&
		      wire.d[before].dport == 4500);
		CHECK(wbuf_be32(wire.d[before].head) == 0);
	}
	xl_run(x, 500);
	CHECK(xl_ike(x, 0)->st.invalid_spi_rx == 1);
	CHECK(xl_ike(x, 0)->isn_spi == 0x12345678);
	xl_free(x);
}
