/* SADB: SPIs, install/delete, key-manager hooks, lifetimes, invalid SPIs, crypto maps. */
#include <stdlib.h>
#include <string.h>

#include "core/wbuf.h"
#include "ipsec/ipsec.h"
#include "t.h"
#include "test_sadb_fixture.h"

static const uint32_t A_IN = IP4(10, 0, 0, 1), B_IN = IP4(10, 0, 2, 2);
static struct iface *wan(struct fx_router *fr) { return &fr->r->ifaces[0]; }

/* What the key-manager hooks saw. */
static struct {
	int acquires, soft, deleted;
	uint32_t last_peer, last_local;
	uint32_t del_ah_spi, del_esp_spi;
	enum sadb_del_reason why;
	int soft_id;
} km;

static void km_acquire(struct router *r, const struct cfg_cmap_entry *e, const struct ipsec_flow *f,
		       uint32_t local, uint32_t peer)
{
	(void)r;
	(void)e;
	(void)f;
	km.acquires++;
	km.last_local = local;
	km.last_peer = peer;
}
static void km_soft(struct router *r, int id)
{
	(void)r;
	km.soft++;
	km.soft_id = id;
}
static void km_deleted(struct router *r, uint32_t local, uint32_t peer, uint16_t port, bool has_ah,
		       uint32_t ah, bool has_esp, uint32_t esp, enum sadb_del_reason why)
{
	(void)r;
	(void)local;
	(void)port;
	(void)has_ah;
	(void)has_esp;
	km.deleted++;
	km.last_peer = peer;
	km.del_ah_spi = ah;
	km.del_esp_spi = esp;
	km.why = why;
}
static const struct sadb_km_ops km_ops = { km_acquire, km_soft, km_deleted, NULL };

static struct cfg_transform_set seed_xf(void)
{
	return fx_xf("auth2", XF_AH_SHA1, XF_ENC_DES, 0, XF_AUTH_SHA1);
}

TEST(sadb_spi_alloc_unique_and_never_reserved)
{
	struct cfg_transform_set xf = seed_xf();
	struct fx f;
	fx_seed(&f, &xf, false);
	static uint32_t seen[2000];
	int dup = 0;
	for (int i = 0; i < 2000; i++) {
		seen[i] = sadb_alloc_spi(f.a.r, 50);
		CHECK(seen[i] > 255);
		for (int j = 0; j < i; j++)
			dup += seen[j] == seen[i];
		sadb_release_spi(f.a.r, 50, seen[i]);
	}
	CHECK(dup == 0 || dup == 1);	/* released SPIs may come back; 2^32 makes it rare */
	/* A reserved SPI is not handed out twice. */
	uint32_t a = sadb_alloc_spi(f.a.r, 51);
	CHECK(a > 255 && f.a.r->ipsec->nresv == 1);
	sadb_release_spi(f.a.r, 51, a);
	CHECK(f.a.r->ipsec->nresv == 0);
	fx_free(&f);
}

TEST(sadb_install_lookup_delete)
{
	struct cfg_transform_set xf = seed_xf();
	struct fx f;
	fx_seed(&f, &xf, false);
	sadb_set_km(f.a.r, &km_ops);
	memset(&km, 0, sizeof(km));
	struct sadb_bundle_spec s;
	fx_spec(&s, 0, &xf, 0x5000);
	/* The SPIs IKE reserved are released on install. */
	uint32_t r1 = sadb_alloc_spi(f.a.r, 51);
	s.ah_in.spi = r1;
	CHECK(f.a.r->ipsec->nresv == 1);
	int id = sadb_install(f.a.r, &s);
	CHECK(id > 0);
	CHECK(f.a.r->ipsec->nresv == 0);
	struct ipsec_state *st = f.a.r->ipsec;
	CHECK(sadb_lookup_in(st, IP4(10, 1, 1, 1), 51, r1) != NULL);
	CHECK(sadb_lookup_in(st, IP4(10, 1, 1, 1), 50, 0x5003) != NULL);
	CHECK(sadb_lookup_in(st, IP4(10, 9, 9, 9), 50, 0x5003) == NULL);	/* other destination */
	CHECK(sadb_lookup_in(st, IP4(10, 1, 1, 1), 51, 0x5003) == NULL);	/* other protocol */
	CHECK(sadb_has_outbound_spi(f.a.r, IP4(10, 2, 2, 2), 50, 0x5001));
	CHECK(!sadb_has_outbound_spi(f.a.r, IP4(10, 2, 2, 9), 50, 0x5001));
	/* Same inbound SPI again: refused and logged, the first stays. */
	CHECK(sadb_install(f.a.r, &s) == -1);
	CHECK(fx_logged(&f.a, "%CRYPTO-3-SA_INSTALL"));
	CHECK(st->g.install_failed == 1);
	/* IOS numbering: in AH, out AH, in ESP, out ESP; flow ids in/out. */
	struct ipsec_bundle *b = st->bundles;
	CHECK(b->ah_in.conn_id == 5121 && b->ah_out.conn_id == 5122);
	CHECK(b->esp_in.conn_id == 5123 && b->esp_out.conn_id == 5124);
	CHECK(b->ah_in.flow_id == 1 && b->esp_in.flow_id == 1 && b->esp_out.flow_id == 2);
	/* Delete by outbound SPI: the whole bundle goes, IKE hears of the inbound SPIs. */
	CHECK(sadb_delete_outbound_spi(f.a.r, IP4(10, 2, 2, 2), 50, 0x5001, SADB_DEL_INVALID_SPI) == 1);
	CHECK(km.deleted == 1 && km.why == SADB_DEL_INVALID_SPI);
	CHECK(km.del_ah_spi == r1 && km.del_esp_spi == 0x5003);
	CHECK(sadb_lookup_in(st, IP4(10, 1, 1, 1), 51, r1) == NULL);
	CHECK(st->bundles == NULL);
	/* The next bundle numbers on. */
	CHECK(sadb_install(f.a.r, &s) > 0);
	CHECK(st->bundles->ah_in.conn_id == 5125 && st->bundles->esp_out.flow_id == 4);
	CHECK(sadb_delete_inbound_spi(f.a.r, 50, 0x5003, SADB_DEL_PEER_DELETE) == 1);
	CHECK(sadb_install(f.a.r, &s) > 0);
	CHECK(sadb_delete_peer(f.a.r, IP4(10, 2, 2, 2), SADB_DEL_DPD) == 1);
	CHECK(sadb_install(f.a.r, &s) > 0);
	CHECK(sadb_delete_all(f.a.r, SADB_DEL_CLEAR) == 1);
	CHECK(km.deleted == 4);
	fx_free(&f);
}

TEST(sadb_refuses_bad_specs)
{
	struct cfg_transform_set xf = seed_xf();
	struct fx f;
	fx_seed(&f, &xf, false);
	struct sadb_bundle_spec s;
	fx_spec(&s, 0, &xf, 0x6000);
	s.esp_in.enc_key_len = 7;			/* DES wants 8 */
	CHECK(sadb_install(f.a.r, &s) == -1);
	fx_spec(&s, 0, &xf, 0x6000);
	s.ah_in.spi = 200;				/* reserved range */
	CHECK(sadb_install(f.a.r, &s) == -1);
	struct cfg_transform_set gcm_auth = fx_xf("x", XF_AH_NONE, XF_ENC_GCM, 128, XF_AUTH_SHA1);
	fx_spec(&s, 0, &gcm_auth, 0x6000);
	CHECK(sadb_install(f.a.r, &s) == -1);		/* GCM has its own integrity */
	fx_spec(&s, 0, &xf, 0x6000);
	s.udp_encap = true;				/* AH cannot cross NAT */
	CHECK(sadb_install(f.a.r, &s) == -1);
	CHECK(f.a.r->ipsec->bundles == NULL && f.a.r->ipsec->g.install_failed == 4);
	fx_free(&f);
}

TEST(sadb_des_warns_once)
{
	struct cfg_transform_set xf = seed_xf();
	struct fx f;
	fx_seed(&f, &xf, false);
	struct sadb_bundle_spec s;
	fx_spec(&s, 0, &xf, 0x7000);
	CHECK(sadb_install(f.a.r, &s) > 0);
	fx_spec(&s, 0, &xf, 0x7100);
	CHECK(sadb_install(f.a.r, &s) > 0);
	int n = 0;
	for (int i = 0; i < f.a.nlog; i++)
		n += strstr(f.a.log[i], "%CRYPTO-4-DES_WEAK:") != NULL;
	CHECK(n == 1);
	fx_free(&f);
}

TEST(sadb_lifetime_seconds_soft_then_hard)
{
	struct cfg_transform_set xf = seed_xf();
	struct fx f;
	fx_seed(&f, &xf, false);
	sadb_set_km(f.a.r, &km_ops);
	memset(&km, 0, sizeof(km));
	struct sadb_bundle_spec s;
	fx_spec(&s, 0, &xf, 0x8000);
	s.life_sec = 100;
	int id = sadb_install(f.a.r, &s);
	ev_advance(f.ev, 89 * 1000);
	CHECK(km.soft == 0);
	ev_advance(f.ev, 1000);
	CHECK(km.soft == 1 && km.soft_id == id);	/* ~90%: IKE rekeys */
	CHECK(f.a.r->ipsec->bundles != NULL);
	ev_advance(f.ev, 9 * 1000);
	CHECK(f.a.r->ipsec->bundles != NULL);
	ev_advance(f.ev, 1000);
	CHECK(f.a.r->ipsec->bundles == NULL);
	CHECK(km.deleted == 1 && km.why == SADB_DEL_EXPIRED && km.soft == 1);
	fx_free(&f);
}

TEST(sadb_lifetime_kilobytes)
{
	struct cfg_transform_set xf = fx_xf("c", XF_AH_NONE, XF_ENC_AES, 128, XF_AUTH_SHA1);
	struct fx f;
	fx_seed(&f, &xf, false);
	sadb_set_km(f.a.r, &km_ops);
	memset(&km, 0, sizeof(km));
	struct sadb_bundle_spec s;
	fx_spec(&s, 0, &xf, 0x9000);
	s.life_kb = 10;				/* 10240 bytes */
	CHECK(sadb_install(f.a.r, &s) > 0);
	int sent = 0;
	for (int i = 0; i < 12; i++) {
		CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 1000, 1), 0) == IPSEC_CONSUMED);
		ev_run_timers(f.ev);
		sent = fx_count(&f.a.out);
		if (i == 8)
			CHECK(km.soft == 0);	/* 9000 bytes < 90% of 10240 */
		if (i == 9)
			CHECK(km.soft == 1);	/* 10000 bytes >= 90%: IKE rekeys */
	}
	/* 11 x 1000 bytes cross 10 KB: the bundle dies, later packets wait for IKE. */
	CHECK(sent == 11);
	CHECK(km.deleted == 1 && km.why == SADB_DEL_EXPIRED);
	CHECK(km.acquires == 1);
	CHECK(f.a.r->ipsec->flows->held.n == 1);
	fx_free(&f);
}

TEST(sadb_egress_holds_then_flushes_on_install)
{
	struct cfg_transform_set xf = seed_xf();
	struct fx f;
	fx_seed(&f, &xf, false);
	sadb_set_km(f.a.r, &km_ops);
	memset(&km, 0, sizeof(km));
	for (int i = 0; i < 12; i++)
		CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 100, (uint16_t)i), 0) ==
		      IPSEC_CONSUMED);
	const struct ipsec_flowrec *fr = f.a.r->ipsec->flows;
	/* Acquire is rate-limited: once, toward the map's peer, from Fa0/0's address. */
	CHECK(km.acquires == 1 && km.last_peer == IP4(10, 2, 2, 2) && km.last_local == IP4(10, 1, 1, 1));
	CHECK(fr->held.n == HOLD_QUEUE_MAX && fr->c.hold_overflow == 4 && fr->c.held == 8);
	ev_advance(f.ev, ACQUIRE_INTERVAL_MS);
	CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 100, 99), 0) == IPSEC_CONSUMED);
	CHECK(km.acquires == 2);
	/* Traffic the ACL does not permit passes in the clear. */
	struct pkt *p = fx_icmp(A_IN, IP4(10, 0, 3, 3), 100, 1);
	CHECK(ipsec_egress(f.a.r, wan(&f.a), p, 0) == IPSEC_PASS);
	pkt_free(p);
	/* SAs land: the held packets go out, in order, and B opens all of them. */
	struct sadb_bundle_spec s;
	fx_spec(&s, 0, &xf, 0xA000);
	CHECK(sadb_install(f.a.r, &s) > 0);
	fx_spec(&s, 1, &xf, 0xA000);
	CHECK(sadb_install(f.b.r, &s) > 0);
	CHECK(fx_count(&f.a.out) == HOLD_QUEUE_MAX && fr->held.n == 0);
	fx_carry(&f.a, &f.b);
	CHECK(fx_count(&f.b.in) == HOLD_QUEUE_MAX);
	struct pkt *q = pktq_pop(&f.b.in);
	CHECK(q && wbuf_be16(q->data + 24) == 0);	/* the first one held comes first */
	pkt_free(q);
	fx_free(&f);
}

TEST(sadb_manual_keys_end_to_end)
{
	struct cfg_transform_set xf = seed_xf();
	struct fx f;
	fx_seed(&f, &xf, true);
	/* Built at startup from `set session-key`, no IKE involved. */
	CHECK(f.a.r->ipsec->bundles != NULL && f.b.r->ipsec->bundles != NULL);
	for (int i = 0; i < 30; i++) {
		CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 100, (uint16_t)i), 0) ==
		      IPSEC_CONSUMED);
		fx_carry(&f.a, &f.b);
		struct pkt *q = pktq_pop(&f.b.in);
		CHECK(q != NULL);
		if (q) {
			/* B answers: swap addresses and send it back through B's map. */
			uint32_t s = wbuf_be32(q->data + 12), d = wbuf_be32(q->data + 16);
			wbuf_st32(q->data + 12, d);
			wbuf_st32(q->data + 16, s);
			q->flags = 0;
			CHECK(ipsec_egress(f.b.r, wan(&f.b), q, 0) == IPSEC_CONSUMED);
			fx_carry(&f.b, &f.a);
		}
	}
	CHECK(fx_count(&f.a.in) == 30);
	const struct ipsec_counters *ca = &f.a.r->ipsec->flows->c, *cb = &f.b.r->ipsec->flows->c;
	CHECK(ca->encaps == 30 && ca->decaps == 30 && cb->encaps == 30 && cb->decaps == 30);
	/* An unrelated config change keeps the bundle (and its counters). */
	struct ipsec_bundle *before = f.a.r->ipsec->bundles;
	ipsec_config_changed(f.a.r);
	CHECK(f.a.r->ipsec->bundles == before && ca->encaps == 30);
	/* New keys rebuild it. */
	f.a.r->cfg->cmaps[0].esp_key[1].spi = 0x4242;
	ipsec_config_changed(f.a.r);
	CHECK(f.a.r->ipsec->bundles && f.a.r->ipsec->bundles->esp_out.spi == 0x4242);
	/* Incomplete keys: no SA, packets dropped and counted. */
	f.a.r->cfg->cmaps[0].esp_key[0].set = false;
	ipsec_config_changed(f.a.r);
	CHECK(f.a.r->ipsec->bundles == NULL);
	CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 100, 1), 0) == IPSEC_CONSUMED);
	CHECK(f.a.r->ipsec->flows->c.no_sa_send == 1);
	fx_free(&f);
}

TEST(sadb_ingress_drops_cleartext_that_should_be_protected)
{
	struct cfg_transform_set xf = seed_xf();
	struct fx f;
	fx_seed(&f, &xf, true);
	struct pkt *p = fx_icmp(B_IN, A_IN, 100, 1);	/* B's protected traffic, in clear */
	CHECK(!ipsec_ingress_check(f.a.r, wan(&f.a), p));
	CHECK(f.a.r->ipsec->g.cleartext == 1 && f.a.r->ipsec->flows->c.cleartext == 1);
	CHECK(fx_logged(&f.a, "%CRYPTO-4-RECVD_PKT_NOT_IPSEC: Rec'd packet not an IPSEC packet. "
			      "(ip) vrf/dest_addr= /10.0.0.1, src_addr= 10.0.2.2, prot= 1"));
	p->flags |= PKT_F_DECAPPED;			/* came out of the tunnel: fine */
	CHECK(ipsec_ingress_check(f.a.r, wan(&f.a), p));
	pkt_free(p);
	p = fx_icmp(IP4(10, 0, 9, 9), A_IN, 100, 1);	/* not in the ACL */
	CHECK(ipsec_ingress_check(f.a.r, wan(&f.a), p));
	pkt_free(p);
	/* UDP 500 is exempt only to the map's endpoint, not to an inside address. */
	p = fx_icmp(B_IN, A_IN, 100, 1);
	p->data[9] = 17;
	wbuf_st16(p->data + 20, 500);
	wbuf_st16(p->data + 22, 500);
	CHECK(!ipsec_ingress_check(f.a.r, wan(&f.a), p));
	pkt_free(p);
	fx_free(&f);
}

TEST(sadb_mtu_prefragments_or_refuses_df)
{
	struct cfg_transform_set xf = seed_xf();
	struct fx f;
	fx_seed(&f, &xf, true);
	struct ipsec_bundle *b = f.a.r->ipsec->bundles;
	size_t max = ipsec_bundle_max_inner(b, 1500);
	/* IP 20 + AH 24 + ESP 8 + IV 8 + ICV 12 = 72 fixed; DES pads to 8. */
	CHECK(max == (1500 - 72) / 8 * 8 - 2);
	CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, max, 1), 0) == IPSEC_CONSUMED);
	struct pkt *o = pktq_pop(&f.a.out);
	CHECK(o && o->len <= 1500);
	pkt_free(o);
	/* One byte more: fragmented before encryption, both pieces fit. */
	CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 1500, 2), 0) == IPSEC_CONSUMED);
	CHECK(fx_count(&f.a.out) == 2);
	for (struct pkt *q = f.a.out.head; q; q = q->next)
		CHECK(q->len <= 1500);
	fx_carry(&f.a, &f.b);
	CHECK(fx_count(&f.b.in) == 2);
	struct pkt *f1 = pktq_pop(&f.b.in), *f2 = pktq_pop(&f.b.in);
	if (f1 && f2) {
		CHECK(wbuf_be16(f1->data + 6) == 0x2000);		/* MF, offset 0 */
		CHECK((wbuf_be16(f2->data + 6) & 0x1fff) * 8 == f1->len - 20);
		CHECK(f1->len - 20 + f2->len - 20 == 1480);
	}
	pkt_free(f1);
	pkt_free(f2);
	/* DF set: not sent; counted as too big (ICMP goes back via icmp_send_error). */
	struct pkt *p = fx_icmp(A_IN, B_IN, 1500, 3);
	p->data[6] = 0x40;
	CHECK(ipsec_egress(f.a.r, wan(&f.a), p, 0) == IPSEC_CONSUMED);
	CHECK(fx_count(&f.a.out) == 0 && f.a.r->ipsec->flows->c.too_big == 1);
	fx_free(&f);
}

TEST(sadb_invalid_spi_logged_exactly_and_rate_limited)
{
	struct cfg_transform_set xf = seed_xf();
	struct fx f;
	fx_seed(&f, &xf, false);
	struct sadb_bundle_spec s;
	fx_spec(&s, 0, &xf, 0x100);
	s.ah_out.spi = 0x1214F0D;		/* the seed's SPI */
	CHECK(sadb_install(f.a.r, &s) > 0);
	for (int i = 0; i < 5; i++)
		CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 100, 1), 0) == IPSEC_CONSUMED);
	fx_carry(&f.a, &f.b);		/* B has no SA at all */
	CHECK(fx_count(&f.b.in) == 0);
	CHECK(f.b.r->ipsec->g.inv_spi_ah == 5);
	int n = 0;
	for (int i = 0; i < f.b.nlog; i++) {
		const char *m = strstr(f.b.log[i], ": %CRYPTO");
		if (!m)
			continue;
		n++;
		CHECK_STR(m + 2, "%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid "
				 "spi for destaddr=10.2.2.2, prot=51, spi=0x1214F0D(18960141), "
				 "srcaddr=10.1.1.1");
		CHECK(f.b.log[i][0] == '*');	/* IOS timestamp */
	}
	CHECK(n == 1);
	/* A second later the next one is logged with the count suppressed. */
	ev_advance(f.ev, 1000);
	CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 100, 1), 0) == IPSEC_CONSUMED);
	fx_carry(&f.a, &f.b);
	CHECK(fx_logged(&f.b, "4 %CRYPTO-4-RECVD_PKT_INV_SPI messages suppressed"));
	fx_free(&f);
}

/* The seed's Router A block, with our engine type and this run's lifetimes. */
static const char seed_show[] =
	"\ninterface: FastEthernet0/0\n"
	"    Crypto map tag: testtag1, local addr. 10.1.1.1\n"
	"\n"
	"   protected vrf:\n"
	"   local  ident (addr/mask/prot/port): (10.0.0.1/255.255.255.255/0/0)\n"
	"   remote ident (addr/mask/prot/port): (10.0.2.2/255.255.255.255/0/0)\n"
	"   current_peer: 10.2.2.2:500\n"
	"     PERMIT, flags={origin_is_acl,}\n"
	"    #pkts encaps: 10, #pkts encrypt: 10, #pkts digest: 10\n"
	"    #pkts decaps: 10, #pkts decrypt: 10, #pkts verify: 10\n"
	"    #pkts compressed: 0, #pkts decompressed: 0\n"
	"    #pkts not compressed: 0, #pkts compr. failed: 0\n"
	"    #pkts not decompressed: 0, #pkts decompress failed: 0\n"
	"    #send errors 0, #recv errors 0\n"
	"\n"
	"     local crypto endpt.: 10.1.1.1, remote crypto endpt.: 10.2.2.2\n"
	"     path mtu 1500, media mtu 1500\n"
	"     current outbound spi: 7AA69CB7\n"
	"\n"
	"     inbound esp sas:\n"
	"      spi: 0x249C5062(614223970)\n"
	"        transform: esp-des esp-sha-hmac ,\n"
	"        in use settings ={Tunnel, }\n"
	"        slot: 0, conn id: 5123, flow_id: 1, crypto map: testtag1\n"
	"        crypto engine type: Software\n"
	"        sa timing: remaining key lifetime (k/sec): (4607999/3595)\n"
	"        IV size: 8 bytes\n"
	"        replay detection support: Y\n"
	"\n"
	"     inbound ah sas:\n"
	"      spi: 0xB16D1587(2976716167)\n"
	"        transform: ah-sha-hmac ,\n"
	"        in use settings ={Tunnel, }\n"
	"        slot: 0, conn id: 5121, flow_id: 1, crypto map: testtag1\n"
	"        crypto engine type: Software\n"
	"        sa timing: remaining key lifetime (k/sec): (4607999/3595)\n"
	"        replay detection support: Y\n"
	"\n"
	"     inbound pcp sas:\n"
	"\n"
	"     outbound esp sas:\n"
	"      spi: 0x7AA69CB7(2057739447)\n"
	"        transform: esp-des esp-sha-hmac ,\n"
	"        in use settings ={Tunnel, }\n"
	"        slot: 0, conn id: 5124, flow_id: 2, crypto map: testtag1\n"
	"        crypto engine type: Software\n"
	"        sa timing: remaining key lifetime (k/sec): (4607999/3595)\n"
	"        IV size: 8 bytes\n"
	"        replay detection support: Y\n"
	"\n"
	"     outbound ah sas:\n"
	"      spi: 0x1214F0D(18960141)\n"
	"        transform: ah-sha-hmac ,\n"
	"        in use settings ={Tunnel, }\n"
	"        slot: 0, conn id: 5122, flow_id: 2, crypto map: testtag1\n"
	"        crypto engine type: Software\n"
	"        sa timing: remaining key lifetime (k/sec): (4607999/3595)\n"
	"        replay detection support: Y\n"
	"\n"
	"     outbound pcp sas:\n";

static void seed_spis(struct sadb_bundle_spec *s, int side)
{
	/* A's outbound = B's inbound. */
	uint32_t a_ah = 0x1214F0D, a_esp = 0x7AA69CB7, b_ah = 0xB16D1587, b_esp = 0x249C5062;
	s->ah_out.spi = side == 0 ? a_ah : b_ah;
	s->esp_out.spi = side == 0 ? a_esp : b_esp;
	s->ah_in.spi = side == 0 ? b_ah : a_ah;
	s->esp_in.spi = side == 0 ? b_esp : a_esp;
}

TEST(sadb_show_crypto_ipsec_sa_matches_seed)
{
	struct cfg_transform_set xf = seed_xf();
	struct fx f;
	fx_seed(&f, &xf, false);
	struct sadb_bundle_spec s;
	fx_spec(&s, 0, &xf, 0);
	seed_spis(&s, 0);
	CHECK(sadb_install(f.a.r, &s) > 0);
	fx_spec(&s, 1, &xf, 0);
	seed_spis(&s, 1);
	CHECK(sadb_install(f.b.r, &s) > 0);
	/* 10 pings of 100 bytes each way, like the seed's step 1. */
	for (int i = 0; i < 10; i++) {
		CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 100, (uint16_t)i), 0) ==
		      IPSEC_CONSUMED);
		fx_carry(&f.a, &f.b);
		CHECK(ipsec_egress(f.b.r, wan(&f.b), fx_icmp(B_IN, A_IN, 100, (uint16_t)i), 0) ==
		      IPSEC_CONSUMED);
		fx_carry(&f.b, &f.a);
	}
	ev_advance(f.ev, 5000);
	struct strbuf sb;
	sb_init(&sb);
	ipsec_show_sa(f.a.r, &sb, SHOW_IFACE, "FastEthernet0/0", 0, false);
	CHECK_STR(sb_str(&sb), seed_show);
	if (strcmp(sb_str(&sb), seed_show))
		fprintf(stderr, "%s", sb_str(&sb));
	/* The other filters select the same block; an unknown peer selects none. */
	sb_reset(&sb);
	ipsec_show_sa(f.a.r, &sb, SHOW_PEER, NULL, IP4(10, 2, 2, 2), false);
	CHECK_STR(sb_str(&sb), seed_show);
	sb_reset(&sb);
	ipsec_show_sa(f.a.r, &sb, SHOW_MAP, "testtag1", 0, false);
	CHECK_STR(sb_str(&sb), seed_show);
	sb_reset(&sb);
	ipsec_show_sa(f.a.r, &sb, SHOW_PEER, NULL, IP4(10, 9, 9, 9), false);
	CHECK_STR(sb_str(&sb), "");
	/* detail adds IOS's error counters. */
	sb_reset(&sb);
	ipsec_show_sa(f.a.r, &sb, SHOW_ALL, NULL, 0, true);
	CHECK(strstr(sb_str(&sb), "    #pkts no sa (send) 0, #pkts invalid sa (rcv) 0\n"));
	CHECK(strstr(sb_str(&sb), "    ##pkts replay failed (rcv): 0\n"));
	CHECK(strstr(sb_str(&sb), "#pkts invalid spi (esp) 0, #pkts invalid spi (ah) 0"));

	/* clear crypto sa: counters 0, no outbound SPI, empty sections (seed step 2). */
	ipsec_clear_sa(f.a.r, SHOW_ALL, NULL, 0, 0, 0, false);
	sb_reset(&sb);
	ipsec_show_sa(f.a.r, &sb, SHOW_ALL, NULL, 0, false);
	CHECK(strstr(sb_str(&sb), "    #pkts encaps: 0, #pkts encrypt: 0, #pkts digest: 0\n"));
	CHECK(strstr(sb_str(&sb), "     current outbound spi: 0\n\n"
				  "     inbound esp sas:\n\n     inbound ah sas:\n\n"
				  "     inbound pcp sas:\n\n     outbound esp sas:\n\n"
				  "     outbound ah sas:\n\n     outbound pcp sas:\n"));
	CHECK(strstr(sb_str(&sb), "   current_peer: 10.2.2.2:500\n"));
	/* A's next packet on the dead SPI is B's invalid-SPI event. */
	CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 100, 1), 0) == IPSEC_CONSUMED);
	sb_free(&sb);
	fx_free(&f);
}

TEST(sadb_clear_by_spi_and_counters)
{
	struct cfg_transform_set xf = seed_xf();
	struct fx f;
	fx_seed(&f, &xf, false);
	sadb_set_km(f.a.r, &km_ops);
	memset(&km, 0, sizeof(km));
	struct sadb_bundle_spec s;
	fx_spec(&s, 0, &xf, 0x300);
	CHECK(sadb_install(f.a.r, &s) > 0);
	CHECK(ipsec_egress(f.a.r, wan(&f.a), fx_icmp(A_IN, B_IN, 100, 1), 0) == IPSEC_CONSUMED);
	ipsec_clear_sa(f.a.r, SHOW_ALL, NULL, 0, 0, 0, true);	/* counters only */
	CHECK(f.a.r->ipsec->bundles != NULL && f.a.r->ipsec->flows->c.encaps == 0);
	/* clear crypto sa spi 10.2.2.2 esp 769: the outbound SA toward the peer. */
	CHECK(ipsec_clear_sa(f.a.r, SHOW_IFACE, NULL, IP4(10, 2, 2, 9), 50, 0x301, false) == 0);
	CHECK(ipsec_clear_sa(f.a.r, SHOW_IFACE, NULL, IP4(10, 2, 2, 2), 50, 0x301, false) == 1);
	CHECK(km.deleted == 1 && km.why == SADB_DEL_CLEAR);
	CHECK(sadb_install(f.a.r, &s) > 0);
	CHECK(ipsec_clear_sa(f.a.r, SHOW_MAP, "nomap", 0, 0, 0, false) == 0);
	CHECK(ipsec_clear_sa(f.a.r, SHOW_MAP, "testtag1", 0, 0, 0, false) == 1);
	fx_free(&f);
}

TEST(sadb_show_transform_set_and_map)
{
	struct cfg_transform_set xf = seed_xf();
	struct fx f;
	fx_seed(&f, &xf, false);
	struct strbuf sb;
	sb_init(&sb);
	ipsec_show_tsets(f.a.r, &sb, NULL);
	CHECK_STR(sb_str(&sb), "Transform set auth2: { ah-sha-hmac  }\n"
			       "   will negotiate = { Tunnel,  },\n"
			       "   { esp-des esp-sha-hmac  }\n"
			       "   will negotiate = { Tunnel,  },\n\n");
	sb_reset(&sb);
	ipsec_show_map(f.a.r, &sb, "testtag1");
	CHECK_STR(sb_str(&sb), "Crypto Map \"testtag1\" 10 ipsec-isakmp\n"
			       "        Peer = 10.2.2.2\n"
			       "        Extended IP access list 150\n"
			       "            access-list 150 permit ip host 10.0.0.1 host 10.0.2.2\n"
			       "        Current peer: 10.2.2.2\n"
			       "        Security association lifetime: 4608000 kilobytes/3600 seconds\n"
			       "        PFS (Y/N): N\n"
			       "        Transform sets={ auth2, }\n"
			       "        Interfaces using crypto map testtag1:\n"
			       "                FastEthernet0/0\n\n");
	sb_reset(&sb);
	ipsec_show_map(f.a.r, &sb, "other");
	CHECK_STR(sb_str(&sb), "");
	sb_free(&sb);
	fx_free(&f);
}

/* Issue 13 item 3: a bundle's state changes only along the legal transitions. */
TEST(sadb_bundle_state_transition_table)
{
	enum { L = BUNDLE_LARVAL, M = BUNDLE_MATURE, Y = BUNDLE_DYING, D = BUNDLE_DEAD };
	static const struct { int from, to; bool ok; } rows[] = {
		{ L, L, false }, { L, M, true }, { L, Y, false }, { L, D, false },
		{ M, L, false }, { M, M, false }, { M, Y, true }, { M, D, true },
		{ Y, L, false }, { Y, M, false }, { Y, Y, false }, { Y, D, true },
		{ D, L, false }, { D, M, false }, { D, Y, false }, { D, D, false },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		bool ok = sadb_bundle_stateok((enum sadb_bundle_state)rows[i].from,
					      (enum sadb_bundle_state)rows[i].to);
		CHECK(ok == rows[i].ok);
		if (ok != rows[i].ok)
			fprintf(stderr, "row %zu: %s -> %s\n", i,
				sadb_bundle_state_name((enum sadb_bundle_state)rows[i].from),
				sadb_bundle_state_name((enum sadb_bundle_state)rows[i].to));
	}
}

TEST(sadb_bundle_illegal_state_change_refused_logged_counted)
{
	struct cfg_transform_set xf = seed_xf();
	struct fx f;
	fx_seed(&f, &xf, false);
	sadb_set_km(f.a.r, &km_ops);
	memset(&km, 0, sizeof(km));
	struct ipsec_state *st = f.a.r->ipsec;
	struct sadb_bundle_spec s;
	fx_spec(&s, 0, &xf, 0x8000);
	s.life_sec = 100;
	CHECK(sadb_install(f.a.r, &s) > 0);
	struct ipsec_bundle *b = st->bundles;
	CHECK(b && b->state == BUNDLE_MATURE);
	/* The soft lifetime makes it DYING, once. */
	ev_advance(f.ev, 90 * 1000);
	CHECK(b->state == BUNDLE_DYING && km.soft == 1);
	CHECK(st->g.state_refused == 0);
	/* Back to MATURE is refused: the state stays, the refusal is counted and logged. */
	CHECK(!sadb_bundle_set_state(st, b, BUNDLE_MATURE));
	CHECK(b->state == BUNDLE_DYING);
	CHECK(st->g.state_refused == 1);
	struct strbuf sb;
	sb_init(&sb);
	log_show(&f.a.r->log, &sb);
	CHECK(strstr(sb_str(&sb), "%CRYPTO-3-IPSEC_STATE: IPsec SA bundle") != NULL);
	CHECK(strstr(sb_str(&sb), "illegal state change DYING -> MATURE refused") != NULL);
	sb_free(&sb);
	sb_init(&sb);
	ipsec_show_sa(f.a.r, &sb, SHOW_IFACE, "FastEthernet0/0", 0, true);
	CHECK(strstr(sb_str(&sb), "#SA bundle state changes refused 1\n") != NULL);
	sb_free(&sb);
	/* DYING -> DEAD is legal; nothing leaves DEAD. */
	CHECK(sadb_bundle_set_state(st, b, BUNDLE_DEAD));
	CHECK(!sadb_bundle_set_state(st, b, BUNDLE_DYING));
	CHECK(st->g.state_refused == 2 && b->state == BUNDLE_DEAD);
	fx_free(&f);
}
