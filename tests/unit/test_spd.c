/*
 * Cleartext on a crypto-map interface (issue 9, finding 4): every packet that
 * matches a permit of the map's ACL (mirrored) is dropped and counted,
 * whether it is forwarded or addressed to the router; only IKE/NAT-T and
 * ESP/AH addressed to the map's own endpoint pass.  Non-initial fragments are
 * judged on layer 3 (RFC 4301 §7), datagrams to the router after reassembly.
 */
#include "t.h"

#include <stdlib.h>

#include "config/load.h"
#include "core/strbuf.h"
#include "core/wbuf.h"
#include "ipsec/ipsec.h"
#include "ipsec/ipsec_int.h"
#include "net/net_priv.h"
#include "test_ipv4_helpers.h"

/*
 * A: Fa0/0 10.1.1.1 (crypto map m, peer 10.1.1.2), Fa0/1 10.0.0.1 (inside).
 * The map protects 10.0.0.0/24 <-> 10.9.0.0/16 and, to make the exemption
 * matter, the endpoints themselves.
 */
static const char spd_cfg[] =
	"hostname A\n"
	"crypto isakmp policy 1\n authentication pre-share\n"
	"crypto isakmp key 0 k address 10.1.1.2\n"
	"crypto ipsec transform-set t esp-aes esp-sha-hmac\n"
	"crypto map m 10 ipsec-isakmp\n set peer 10.1.1.2\n set transform-set t\n"
	" match address 150\n"
	"interface FastEthernet0/0\n ip address 10.1.1.1 255.255.255.0\n crypto map m\n"
	"interface FastEthernet0/1\n ip address 10.0.0.1 255.255.255.0\n"
	"ip route 10.9.0.0 255.255.0.0 10.1.1.2\n"
	"access-list 150 permit ip 10.0.0.0 0.0.0.255 10.9.0.0 0.0.255.255\n"
	"access-list 150 permit ip host 10.1.1.1 host 10.1.1.2\n";

static struct router *spd_router(struct evloop *ev)
{
	struct strbuf err;
	sb_init(&err);
	struct config *c = config_load_string(spd_cfg, "spd.cfg", &err, NULL);
	if (!c)
		fprintf(stderr, "%s", sb_str(&err));
	sb_free(&err);
	if (!c)
		return NULL;
	struct router *r = router_new(ev, c);
	router_bind_port(r, "FastEthernet0/0", "mem:");
	router_bind_port(r, "FastEthernet0/1", "mem:");
	if (router_start(r) < 0) {
		router_free(r);
		return NULL;
	}
	return r;
}

#define PEER IP4(10, 1, 1, 2)
#define A_WAN IP4(10, 1, 1, 1)
#define A_IN IP4(10, 0, 0, 1)
#define HOST_IN IP4(10, 0, 0, 5)
#define FAR IP4(10, 9, 1, 1)
#define OTHER IP4(10, 8, 1, 1)

enum verdict { DROP, PASS };

struct spd_case {
	const char *what;
	uint32_t src, dst;
	uint8_t proto;
	uint16_t sport, dport;	/* TCP/UDP: the first 4 payload bytes */
	uint16_t off;		/* fragment offset field (MF | offset/8) */
	enum verdict want;
};

static size_t build(uint8_t *buf, const struct spd_case *c)
{
	uint8_t pl[64] = { 0 };
	wbuf_st16(pl, c->sport);
	wbuf_st16(pl + 2, c->dport);
	if (c->proto == 1)
		pl[0] = 8;	/* echo request; the checksum does not matter for the verdict */
	return tr_ip(buf, c->src, c->dst, c->proto, 64, 77, c->off, pl, sizeof(pl));
}

TEST(spd_cleartext_matching_the_map_never_crosses_or_reaches_the_router)
{
	static const struct spd_case cases[] = {
		{ "icmp through", FAR, HOST_IN, 1, 0, 0, 0, DROP },
		{ "icmp to the router's inside address", FAR, A_IN, 1, 0, 0, 0, DROP },
		{ "tcp through", FAR, HOST_IN, 6, 1234, 80, 0, DROP },
		{ "tcp to the router", FAR, A_IN, 6, 1234, 23, 0, DROP },
		{ "udp through", FAR, HOST_IN, 17, 1000, 53, 0, DROP },
		{ "udp 500 in transit", FAR, HOST_IN, 17, 500, 500, 0, DROP },
		{ "udp 4500 in transit", FAR, HOST_IN, 17, 4500, 4500, 0, DROP },
		{ "udp src 500 in transit", FAR, HOST_IN, 17, 500, 9999, 0, DROP },
		{ "esp in transit", FAR, HOST_IN, 50, 0, 0, 0, DROP },
		{ "ah in transit", FAR, HOST_IN, 51, 0, 0, 0, DROP },
		{ "udp 500 to the inside address", FAR, A_IN, 17, 500, 500, 0, DROP },
		{ "esp to the inside address", FAR, A_IN, 50, 0, 0, 0, DROP },
		{ "first fragment through", FAR, HOST_IN, 17, 1000, 53, 0x2000, DROP },
		/* Bytes that are not ports: a later fragment whose data reads 500/500. */
		{ "non-first fragment reading 500/500", FAR, HOST_IN, 17, 500, 500, 0x2000 | 185, DROP },
		{ "non-first esp-looking fragment", FAR, HOST_IN, 17, 4500, 4500, 185, DROP },
		{ "ike to the endpoint", PEER, A_WAN, 17, 500, 500, 0, PASS },
		{ "nat-t to the endpoint", PEER, A_WAN, 17, 4500, 4500, 0, PASS },
		{ "esp to the endpoint", PEER, A_WAN, 50, 0, 0, 0, PASS },
		{ "ah to the endpoint", PEER, A_WAN, 51, 0, 0, 0, PASS },
		{ "icmp not in the acl", OTHER, HOST_IN, 1, 0, 0, 0, PASS },
		{ "non-first fragment not in the acl", OTHER, HOST_IN, 17, 500, 500, 185, PASS },
	};
	struct evloop *ev = ev_new();
	ev_set_virtual(ev, 1000000);
	struct router *r = spd_router(ev);
	CHECK(r != NULL);
	if (!r) {
		ev_free(ev);
		return;
	}
	struct iface *wan = router_iface(r, "FastEthernet0/0");
	struct ip_stats *s = &NET(r)->st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct spd_case *c = &cases[i];
		uint8_t buf[256];
		size_t n = build(buf, c);
		uint64_t drops = s->policy_drops, clear = r->ipsec->g.cleartext;
		tr_inject(wan, buf, n);
		bool dropped = s->policy_drops == drops + 1 && r->ipsec->g.cleartext == clear + 1;
		bool untouched = s->policy_drops == drops && r->ipsec->g.cleartext == clear;
		if (c->want == DROP ? !dropped : !untouched)
			fprintf(stderr, "  case '%s': want %s\n", c->what,
				c->want == DROP ? "drop" : "pass");
		CHECK(c->want == DROP ? dropped : untouched);
	}
	router_free(r);
	ev_free(ev);
}

/* A datagram to the router is judged whole, after reassembly. */
TEST(spd_fragments_to_the_router_judged_after_reassembly)
{
	struct evloop *ev = ev_new();
	ev_set_virtual(ev, 1000000);
	struct router *r = spd_router(ev);
	CHECK(r != NULL);
	if (!r) {
		ev_free(ev);
		return;
	}
	struct iface *wan = router_iface(r, "FastEthernet0/0");
	struct ip_stats *s = &NET(r)->st;
	uint8_t pl[16] = { 8 }, buf[128];
	/* Cleartext ICMP to the inside address in two fragments: dropped once, whole. */
	tr_inject(wan, buf, tr_ip(buf, FAR, A_IN, 1, 64, 9, 0x2000, pl, 8));
	CHECK(s->policy_drops == 0);
	tr_inject(wan, buf, tr_ip(buf, FAR, A_IN, 1, 64, 9, 1, pl + 8, 8));
	CHECK(s->policy_drops == 1 && r->ipsec->g.cleartext == 1);
	CHECK(s->icmp_echo_rcvd == 0);
	/* NAT-T to the endpoint in two fragments: reassembled and delivered. */
	uint8_t u[16] = { 0x11, 0x94, 0x11, 0x94, 0, 16 };
	uint64_t udp = s->udp_rcvd;
	tr_inject(wan, buf, tr_ip(buf, PEER, A_WAN, 17, 64, 10, 0x2000, u, 8));
	tr_inject(wan, buf, tr_ip(buf, PEER, A_WAN, 17, 64, 10, 1, u + 8, 8));
	CHECK(s->policy_drops == 1 && s->udp_rcvd == udp + 1);
	router_free(r);
	ev_free(ev);
}

/*
 * Finding 6: a live SPI sent to another of the router's addresses is not
 * "invalid" (the peer would delete a working bundle on our word); nor is an
 * unknown SPI to an address no SA would use.  Both are dropped and counted
 * apart; only an unknown SPI to the crypto endpoint starts recovery.
 */
#include "test_sadb_fixture.h"

static void send_to(struct fx *f, uint32_t outer_dst, uint32_t spi_xor)
{
	CHECK(ipsec_egress(f->a.r, &f->a.r->ifaces[0],
			   fx_icmp(IP4(10, 0, 0, 1), IP4(10, 0, 2, 2), 100, 1), 0) == IPSEC_CONSUMED);
	struct pkt *p = pktq_pop(&f->a.out);
	CHECK(p != NULL);
	if (!p)
		return;
	wbuf_st32(p->data + 16, outer_dst);
	/* AH's SPI sits 4 bytes into the AH header, after the 20-byte outer header. */
	wbuf_st32(p->data + 24, wbuf_be32(p->data + 24) ^ spi_xor);
	ipsec_input(f->b.r, p);
}

TEST(spd_live_spi_to_another_address_is_not_invalid)
{
	struct cfg_transform_set xf = fx_xf("auth2", XF_AH_SHA1, XF_ENC_DES, 0, XF_AUTH_SHA1);
	struct fx f;
	fx_seed(&f, &xf, false);
	struct sadb_bundle_spec s;
	fx_spec(&s, 0, &xf, 0x100);
	CHECK(sadb_install(f.a.r, &s) > 0);
	fx_spec(&s, 1, &xf, 0x100);
	CHECK(sadb_install(f.b.r, &s) > 0);
	struct ipsec_global_counters *g = &f.b.r->ipsec->g;

	/* Live SPI, B's inside address: dropped, counted, no INVALID-SPI. */
	send_to(&f, IP4(10, 0, 2, 2), 0);
	CHECK(g->inv_spi_ah == 0 && g->inv_spi_esp == 0);
	CHECK(g->wrong_dst == 1);
	CHECK(fx_count(&f.b.in) == 0);
	/* Unknown SPI to an address no SA uses: the same, never a notify. */
	send_to(&f, IP4(10, 0, 2, 2), 0x5a5a0000);
	CHECK(g->inv_spi_ah == 0 && g->wrong_dst == 2);
	/* Unknown SPI to the endpoint: that is what recovery is for. */
	send_to(&f, IP4(10, 2, 2, 2), 0x5a5a0000);
	CHECK(g->inv_spi_ah == 1 && g->wrong_dst == 2);
	/* And the real thing still works. */
	send_to(&f, IP4(10, 2, 2, 2), 0);
	CHECK(fx_count(&f.b.in) == 1);
	/* The counter is where a user looks. */
	struct strbuf out;
	sb_init(&out);
	ipsec_show_sa(f.b.r, &out, SHOW_ALL, NULL, 0, true);
	CHECK(strstr(sb_str(&out), "#pkts to a non-endpoint address 2") != NULL);
	sb_free(&out);
	fx_free(&f);
}
