#include "t.h"

#include <stdlib.h>

#include "config/cmdtree.h"
#include "net/net_priv.h"
#include "test_ipv4_helpers.h"

static uint64_t rng_state;
static uint32_t rnd32(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 32);
}

static uint32_t mask_of(int len) { return len ? 0xffffffffu << (32 - len) : 0; }

/* The obvious answer: scan everything, keep the longest match. */
static const struct route *naive(const struct route *v, size_t n, uint32_t dst)
{
	const struct route *best = NULL;
	for (size_t i = 0; i < n; i++)
		if ((dst & v[i].mask) == v[i].prefix && (!best || v[i].plen > best->plen))
			best = &v[i];
	return best;
}

TEST(route_lookup_matches_linear_search_on_random_tables)
{
	rng_state = 20240601;
	for (int table = 0; table < 20; table++) {
		struct route_table t = { 0 };
		size_t n = 1 + rnd32() % 400;
		t.v = calloc(n, sizeof(*t.v));
		t.cap = n;
		for (size_t i = 0; i < n; i++) {
			/* Few distinct high octets, so prefixes nest and lengths compete. */
			int len = (int)(rnd32() % 33);
			uint32_t a = (rnd32() & 0x0f0fffffu) | 0x0a000000u;
			struct route rt = { .prefix = a & mask_of(len), .mask = mask_of(len),
					    .plen = (uint8_t)len, .distance = 1, .type = RT_STATIC };
			/* Keep (prefix, len) unique so the longest match is one route. */
			bool dup = false;
			for (size_t j = 0; j < t.n; j++)
				dup |= t.v[j].prefix == rt.prefix && t.v[j].plen == rt.plen;
			if (!dup)
				t.v[t.n++] = rt;
		}
		route_table_index(&t);
		struct route *copy = malloc(t.n * sizeof(*copy));
		memcpy(copy, t.v, t.n * sizeof(*copy));
		for (int k = 0; k < 2000; k++) {
			uint32_t dst;
			if (k % 2) {
				/* Somewhere inside an existing prefix. */
				const struct route *pick = &copy[rnd32() % t.n];
				dst = pick->prefix | (rnd32() & ~pick->mask);
			} else {
				dst = rnd32();
			}
			const struct route *want = naive(copy, t.n, dst);
			const struct route *got = route_table_lookup(&t, dst);
			CHECK((want == NULL) == (got == NULL));
			if (want && got)
				CHECK(want->prefix == got->prefix && want->plen == got->plen);
		}
		free(copy);
		route_table_free(&t);
	}
}

static struct router *routed(struct evloop *ev)
{
	static const struct tr_if ifs[] = {
		{ "FastEthernet0/0", IP4(10, 1, 1, 1), 0xffffff00, "mem:", false, 0 },
		{ "FastEthernet0/1", IP4(192, 168, 5, 1), 0xffffff00, "mem:", false, 0 },
		{ "Serial1/0", 0, 0, "mem:", true, 0 },
	};
	struct cfg_route rts[] = {
		{ IP4(172, 16, 0, 0), 0xffff0000, IP4(10, 1, 1, 2), "", 1 },
		{ 0, 0, IP4(10, 1, 1, 2), "", 1 },
		{ IP4(10, 9, 0, 0), 0xffff0000, IP4(10, 1, 1, 2), "", 1 },
		/* Recursive: its next hop is reached through the 172.16/16 static route. */
		{ IP4(10, 20, 0, 0), 0xffff0000, IP4(172, 16, 1, 1), "", 1 },
		/* Through a shut interface: not installed. */
		{ IP4(10, 40, 0, 0), 0xffff0000, 0, "Serial1/0", 1 },
		/* Loses to the connected route for the same prefix. */
		{ IP4(192, 168, 5, 0), 0xffffff00, IP4(10, 1, 1, 3), "", 1 },
	};
	return tr_new(ev, "R", ifs, 3, rts, (int)(sizeof(rts) / sizeof(rts[0])));
}

TEST(route_static_resolution_and_down_interfaces)
{
	struct evloop *ev = ev_new();
	struct router *r = routed(ev);
	uint32_t nh;
	struct iface *o = route_lookup(r, IP4(10, 20, 3, 4), &nh);
	CHECK(o == &r->ifaces[0] && nh == IP4(10, 1, 1, 2));
	o = route_lookup(r, IP4(192, 168, 5, 77), &nh);
	CHECK(o == &r->ifaces[1] && nh == IP4(192, 168, 5, 77));
	/* 10.40/16 is via the shut Serial1/0, so the default route takes it. */
	o = route_lookup(r, IP4(10, 40, 0, 1), &nh);
	CHECK(o == &r->ifaces[0] && nh == IP4(10, 1, 1, 2));
	/* no shutdown: installed, directly connected out of Serial1/0. */
	r->cfg->ifaces[2].shutdown = false;
	router_config_changed(r);
	o = route_lookup(r, IP4(10, 40, 0, 1), &nh);
	CHECK(o == &r->ifaces[2] && nh == IP4(10, 40, 0, 1));
	/* Shutting Fa0/0 takes its connected route and everything resolved through it. */
	r->cfg->ifaces[0].shutdown = true;
	router_config_changed(r);
	CHECK(route_lookup(r, IP4(10, 20, 3, 4), &nh) == NULL);
	CHECK(route_lookup(r, IP4(8, 8, 8, 8), &nh) == NULL);
	tr_free(r);
	ev_free(ev);
}

TEST(route_show_ip_route_ios_layout)
{
	struct evloop *ev = ev_new();
	struct router *r = routed(ev);
	struct strbuf sb;
	sb_init(&sb);
	struct cli_ctx ctx = { .r = r, .out = &sb };
	struct cmd_args a = { .argc = 3, .argv = { "show", "ip", "route" } };
	CHECK(net_cmd_show_ip_route(&ctx, &a) == 0);
	const char *want =
		"Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP\n"
		"       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area\n"
		"       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2\n"
		"       E1 - OSPF external type 1, E2 - OSPF external type 2\n"
		"       i - IS-IS, su - IS-IS summary, L1 - IS-IS level-1, L2 - IS-IS level-2\n"
		"       ia - IS-IS inter area, * - candidate default, U - per-user static route\n"
		"       o - ODR, P - periodic downloaded static route, H - NHRP, l - LISP\n"
		"       + - replicated route, % - next hop override\n"
		"\n"
		"Gateway of last resort is 10.1.1.2 to network 0.0.0.0\n"
		"\n"
		"S*    0.0.0.0/0 [1/0] via 10.1.1.2\n"
		"      10.0.0.0/8 is variably subnetted, 4 subnets, 3 masks\n"
		"C        10.1.1.0/24 is directly connected, FastEthernet0/0\n"
		"L        10.1.1.1/32 is directly connected, FastEthernet0/0\n"
		"S        10.9.0.0/16 [1/0] via 10.1.1.2\n"
		"S        10.20.0.0/16 [1/0] via 172.16.1.1\n"
		"S     172.16.0.0/16 [1/0] via 10.1.1.2\n"
		"      192.168.5.0/24 is variably subnetted, 2 subnets, 2 masks\n"
		"C        192.168.5.0/24 is directly connected, FastEthernet0/1\n"
		"L        192.168.5.1/32 is directly connected, FastEthernet0/1\n";
	CHECK_STR(sb_str(&sb), want);
	if (strcmp(sb_str(&sb), want))
		fprintf(stderr, "%s", sb_str(&sb));
	sb_free(&sb);
	tr_free(r);
	ev_free(ev);
}

TEST(route_show_subnetted_single_mask_and_no_gateway)
{
	struct evloop *ev = ev_new();
	static const struct tr_if ifs[] = {
		{ "FastEthernet0/0", IP4(10, 0, 0, 1), 0xff000000, "mem:", false, 0 },
	};
	struct cfg_route rts[] = {
		{ IP4(172, 16, 1, 0), 0xffffff00, IP4(10, 0, 0, 2), "", 1 },
		{ IP4(172, 16, 2, 0), 0xffffff00, IP4(10, 0, 0, 2), "", 1 },
	};
	struct router *r = tr_new(ev, "R", ifs, 1, rts, 2);
	struct strbuf sb;
	sb_init(&sb);
	struct cli_ctx ctx = { .r = r, .out = &sb };
	struct cmd_args a = { .argc = 3, .argv = { "show", "ip", "route" } };
	CHECK(net_cmd_show_ip_route(&ctx, &a) == 0);
	const char *s = strstr(sb_str(&sb), "Gateway");
	const char *want = "Gateway of last resort is not set\n"
			   "\n"
			   "      10.0.0.0/8 is variably subnetted, 2 subnets, 2 masks\n"
			   "C        10.0.0.0/8 is directly connected, FastEthernet0/0\n"
			   "L        10.0.0.1/32 is directly connected, FastEthernet0/0\n"
			   "      172.16.0.0/24 is subnetted, 2 subnets\n"
			   "S        172.16.1.0 [1/0] via 10.0.0.2\n"
			   "S        172.16.2.0 [1/0] via 10.0.0.2\n";
	CHECK(s && strcmp(s, want) == 0);
	if (s && strcmp(s, want))
		fprintf(stderr, "%s", s);
	sb_free(&sb);
	tr_free(r);
	ev_free(ev);
}
