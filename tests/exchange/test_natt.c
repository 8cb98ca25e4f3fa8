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

#include <openssl/evp.h>

/* What went over the wire, per router: ports, first bytes, lengths. */
#define WIRE_MAX 160
struct wire {
	int n;
	struct { int from; uint16_t sport, dport; size_t len; uint8_t head[ISAKMP_MAX_MSG]; } d[WIRE_MAX];
};
static struct wire wire;

static void tap(struct xlab *x, const struct xl_dgram *d)
{
	(void)x;
	if (wire.n >= WIRE_MAX)
		return;
	wire.d[wire.n].from = d->from;
	wire.d[wire.n].sport = d->sport;
	wire.d[wire.n].dport = d->dport;
	wire.d[wire.n].len = d->len;
	memcpy(wire.d[wire.n].head, d->data, d->len);
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

/* NAT-D = SHA1(CKY-I | CKY-R | IP | port), computed here with EVP directly. */
static void natd_expect(const uint8_t *ck, uint32_t ip, uint16_t port, uint8_t *out)
{
	uint8_t b[22];
	unsigned int n = 0;
	memcpy(b, ck, 16);
	wbuf_st32(b + 16, ip);
	wbuf_st16(b + 20, port);
	EVP_Digest(b, sizeof(b), out, &n, EVP_sha1(), NULL);
}

TEST(natt_natd_payloads_are_rfc3947_hashes)
{
	struct xl_opts o = esp_opts();
	struct xlab *x = bench(&o, false);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(esp_crosswise(x));
	/* MM3 is A's second datagram, MM4 B's second. */
	int seen[2] = { 0, 0 }, checked = 0;
	for (int i = 0; i < wire.n; i++) {
		int f = wire.d[i].from;
		if (++seen[f] != 2)
			continue;
		struct isakmp_msg m;
		CHECK(isakmp_decode(wire.d[i].head, wire.d[i].len, &m) == ISAKMP_OK);
		uint8_t want_dst[20], want_src[20], ck[16];
		memcpy(ck, m.hdr.icookie, 8);
		memcpy(ck + 8, m.hdr.rcookie, 8);
		natd_expect(ck, x->outside[1 - f], 500, want_dst);
		natd_expect(ck, x->outside[f], 500, want_src);
		CHECK(isakmp_count(&m, ISAKMP_NP_NATD) == 2);
		int k = 0;
		for (size_t j = 0; j < m.npl; j++) {
			if (m.pl[j].type != ISAKMP_NP_NATD)
				continue;
			CHECK(m.pl[j].len == 20);
			CHECK_MEM(m.pl[j].body, k == 0 ? want_dst : want_src, 20);
			k++;
		}
		checked++;
	}
	CHECK(checked == 2);
	xl_free(x);
}

TEST(natt_vendor_ids_in_mm1)
{
	struct xl_opts o = esp_opts();
	struct xlab *x = bench(&o, false);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(wire.n >= 2 && wire.d[0].from == 0);
	struct isakmp_msg m;
	CHECK(isakmp_decode(wire.d[0].head, wire.d[0].len, &m) == ISAKMP_OK);
	const uint8_t *want[4] = { isakmp_vid_rfc3947, isakmp_vid_natt_03, isakmp_vid_natt_02n, isakmp_vid_natt_02 };
	for (int v = 0; v < 4; v++) {
		bool found = false;
		for (size_t j = 0; j < m.npl; j++)
			found |= m.pl[j].type == ISAKMP_NP_VID && m.pl[j].len == 16 &&
				 memcmp(m.pl[j].body, want[v], 16) == 0;
		CHECK(found);
	}
	/* MD5("RFC 3947"), as the RFC gives it. */
	static const uint8_t rfc[16] = { 0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
					 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f };
	uint8_t md[16];
	unsigned int n = 0;
	EVP_Digest("RFC 3947", 8, md, &n, EVP_md5(), NULL);
	CHECK_MEM(md, rfc, 16);
	CHECK_MEM(isakmp_vid_rfc3947, md, 16);
	EVP_Digest("draft-ietf-ipsec-nat-t-ike-02\n", 30, md, &n, EVP_md5(), NULL);
	CHECK_MEM(isakmp_vid_natt_02n, md, 16);
	EVP_Digest("draft-ietf-ipsec-nat-t-ike-03", 29, md, &n, EVP_md5(), NULL);
	CHECK_MEM(isakmp_vid_natt_03, md, 16);
	/* B answered with the RFC flavour only (and DPD). */
	CHECK(wire.d[1].from == 1);
	CHECK(isakmp_decode(wire.d[1].head, wire.d[1].len, &m) == ISAKMP_OK);
	CHECK(isakmp_count(&m, ISAKMP_NP_VID) == 2);
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

/*
 * A real NAT in front of an entry whose only transform set has AH: the IKE
 * SA can carry nothing, so once it is a minute old the next acquire
 * replaces it (a Delete, then Main Mode), and not again within the minute.
 */
TEST(natt_ah_only_ike_sa_replaced_once_a_minute)
{
	static const struct xl_opts seed;
	struct xlab *x = bench(&seed, true);
	xl_acquire(x, 0);
	xl_run(x, 5000);
	uint32_t first = xl_sa(x, 0)->conn_id;
	xl_acquire(x, 0);
	xl_run(x, 1000);
	CHECK(xl_ike(x, 0)->st.natt_ah_replaced == 0 && xl_sa(x, 0)->conn_id == first);	/* too young */
	xl_run(x, 60000);
	xl_acquire(x, 0);
	xl_run(x, 100);
	CHECK(xl_ike(x, 0)->st.natt_ah_replaced == 1);
	CHECK(xl_ike(x, 1)->st.deletes_rx >= 1);	/* B was told */
	CHECK(xl_log_has(x, 0, "IKE SA with 10.2.2.2 replaced: NAT detected, and the crypto map needs AH"));
	xl_acquire(x, 0);	/* Main Mode again, the NAT again: no IPsec SA, one new IKE SA */
	xl_run(x, 5000);
	CHECK(xl_sa(x, 0) && xl_sa(x, 0)->conn_id != first && xl_nrecords(x, 0) == 0);
	xl_acquire(x, 0);
	xl_run(x, 1000);
	CHECK(xl_ike(x, 0)->st.natt_ah_replaced == 1);
	xl_free(x);
}

/* B's MM4 with its NAT-D hashes rewritten in flight (they are not under HASH_R). */
static bool natd_rewritten;
static void rewrite_natd(struct xlab *x, struct xl_dgram *d)
{
	(void)x;
	struct isakmp_msg m;
	if (natd_rewritten || d->from != 1 || d->dport != 500 ||
	    isakmp_decode(d->data, d->len, &m) != ISAKMP_OK || isakmp_count(&m, ISAKMP_NP_NATD) == 0)
		return;
	d->data[d->len - 1] ^= 0x5a;	/* the last NAT-D hash ends the message */
	natd_rewritten = true;
}

/*
 * An attacker's NAT: A sees a NAT that is not there, floats to 4500 and can
 * use no AH transform set. Once the attacker has gone and the IKE SA is a
 * minute old, A's next acquire replaces it and the tunnel comes up with AH.
 */
TEST(natt_rewritten_natd_heals_after_a_minute)
{
	static const struct xl_opts seed;
	struct xlab *x = bench(&seed, false);
	natd_rewritten = false;
	x->mutate = rewrite_natd;
	x->r[1]->cfg->isr.restore_phase2 = false;
	xl_acquire(x, 0);
	xl_run(x, 5000);
	CHECK(natd_rewritten);
	CHECK(xl_sa(x, 0) && natt_udp_encap(xl_sa(x, 0)));	/* A believes in the NAT */
	CHECK(xl_nrecords(x, 0) == 0 && xl_ike(x, 0)->st.natt_ah_refused >= 1);
	x->mutate = NULL;
	xl_run(x, 60000);
	xl_acquire(x, 0);	/* refused once more, and the IKE SA goes */
	xl_run(x, 100);
	CHECK(xl_ike(x, 0)->st.natt_ah_replaced == 1);
	xl_acquire(x, 0);
	xl_run(x, 5000);
	CHECK(xl_sa(x, 0) && !natt_udp_encap(xl_sa(x, 0)));
	CHECK(xl_crosswise(x));	/* AH and ESP, on 500 */
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
			CHECK(!has_bytes(wire.d[i].head, wire.d[i].len, isakmp_vid_rfc3947, 16) &&
			      !has_bytes(wire.d[i].head, wire.d[i].len, isakmp_vid_natt_02, 16));
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
