#include "t.h"

#include <stdlib.h>

#include "config/cmdtree.h"
#include "core/pkt.h"
#include "core/wbuf.h"
#include "net/inet.h"
#include "net/net.h"
#include "net/net_priv.h"
#include "net/port_mem.h"
#include "test_ipv4_helpers.h"

/* R: Fa0/0 10.1.1.1/24 (in), Fa0/1 10.2.2.1/24 (out), static 172.16.0.0/16 via 10.2.2.2. */
static struct router *two_port(struct evloop *ev, struct capture *in, struct capture *out)
{
	static const struct tr_if ifs[] = {
		{ "FastEthernet0/0", IP4(10, 1, 1, 1), 0xffffff00, "mem:", false, 0 },
		{ "FastEthernet0/1", IP4(10, 2, 2, 1), 0xffffff00, "mem:", false, 0 },
	};
	struct cfg_route rt = { IP4(172, 16, 0, 0), 0xffff0000, IP4(10, 2, 2, 2), "", 1 };
	struct router *r = tr_new(ev, "R", ifs, 2, &rt, 1);
	cap_attach(in, &r->ifaces[0]);
	cap_attach(out, &r->ifaces[1]);
	return r;
}

TEST(ipv4_malformed_headers_dropped_and_counted)
{
	struct evloop *ev = ev_new();
	ev_set_virtual(ev, 1000);
	struct capture in, out;
	struct router *r = two_port(ev, &in, &out);
	size_t base = pkt_in_use();
	uint8_t good[64];
	size_t glen = tr_ip(good, IP4(10, 1, 1, 9), IP4(172, 16, 1, 1), 17, 64, 1, 0, "12345678", 8);
	struct mcase {
		const char *what;
		uint8_t b[64];
		size_t len;
	} cases[10];
	int n = 0;
#define CASE(w) (cases[n].what = (w), memcpy(cases[n].b, good, glen), cases[n].len = glen, &cases[n++])
	CASE("short")->len = 12;
	CASE("empty")->len = 0;
	{
		struct mcase *c = CASE("version 6");
		c->b[0] = 0x65;
	}
	{
		struct mcase *c = CASE("ihl 4");
		c->b[0] = 0x44;
	}
	{
		struct mcase *c = CASE("ihl beyond packet");
		c->b[0] = 0x4f;	/* 60-byte header in a 28-byte packet */
	}
	{
		struct mcase *c = CASE("total < ihl");
		wbuf_st16(c->b + 2, 12);
	}
	{
		struct mcase *c = CASE("total > received");
		wbuf_st16(c->b + 2, (uint16_t)(glen + 1));
	}
	{
		struct mcase *c = CASE("bad checksum");
		c->b[10] ^= 0x55;
	}
	{
		struct mcase *c = CASE("reserved flag");
		wbuf_st16(c->b + 6, 0x8000);
	}
#undef CASE
	/* Fix checksums where the case did not break the checksum on purpose. */
	for (int i = 0; i < n; i++) {
		if (strcmp(cases[i].what, "bad checksum") && cases[i].len >= 20 &&
		    (cases[i].b[0] & 0xf) * 4 <= 20 && (cases[i].b[0] & 0xf) >= 5) {
			wbuf_st16(cases[i].b + 10, 0);
			wbuf_st16(cases[i].b + 10, inet_cksum(cases[i].b, 20));
		}
	}
	for (int i = 0; i < n; i++) {
		uint64_t before = r->ifaces[0].c.in_errors;
		tr_inject(&r->ifaces[0], cases[i].b, cases[i].len);
		if (r->ifaces[0].c.in_errors != before + 1)
			fprintf(stderr, "    case '%s' not counted\n", cases[i].what);
		CHECK(r->ifaces[0].c.in_errors == before + 1);
	}
	CHECK(out.n == 0 && in.n == 0);
	CHECK(pkt_in_use() == base);
	/* The good one does go through, with TTL 63 and a checksum that still verifies. */
	tr_inject(&r->ifaces[0], good, glen);
	CHECK(out.n == 1);
	CHECK(out.n == 1 && out.frame[0][8] == 63 && inet_cksum(out.frame[0], 20) == 0);
	CHECK(r->ifaces[0].c.in_pkts == (uint64_t)n + 1);
	CHECK(r->ifaces[1].c.out_pkts == 1);
	/* The error was logged (rate-limited, at least once). */
	CHECK(r->log.lines_total > 0);
	cap_reset(&in);
	cap_reset(&out);
	tr_free(r);
	ev_free(ev);
}

TEST(ipv4_link_padding_trimmed_before_forwarding)
{
	struct evloop *ev = ev_new();
	struct capture in, out;
	struct router *r = two_port(ev, &in, &out);
	uint8_t b[80];
	size_t len = tr_ip(b, IP4(10, 1, 1, 9), IP4(172, 16, 1, 1), 17, 64, 1, 0, "abcd", 4);
	memset(b + len, 0xee, 18);
	tr_inject(&r->ifaces[0], b, len + 18);
	CHECK(out.n == 1 && out.len[0] == len);
	CHECK(r->ifaces[0].c.in_errors == 0);
	cap_reset(&in);
	cap_reset(&out);
	tr_free(r);
	ev_free(ev);
}

TEST(ipv4_ttl_expired_gets_time_exceeded)
{
	struct evloop *ev = ev_new();
	struct capture in, out;
	struct router *r = two_port(ev, &in, &out);
	uint8_t b[64];
	size_t len = tr_ip(b, IP4(10, 1, 1, 9), IP4(172, 16, 1, 1), 17, 1, 77, 0, "abcdefgh", 8);
	tr_inject(&r->ifaces[0], b, len);
	CHECK(out.n == 0);
	CHECK(in.n == 1);
	if (in.n == 1) {
		const uint8_t *e = in.frame[0];
		CHECK(inet_cksum(e, 20) == 0);
		CHECK(e[9] == 1 && wbuf_be32(e + 12) == IP4(10, 1, 1, 1) && wbuf_be32(e + 16) == IP4(10, 1, 1, 9));
		CHECK(e[20] == 11 && e[21] == 0);
		CHECK(inet_cksum(e + 20, in.len[0] - 20) == 0);
		/* Quotes the header and the first 8 bytes. */
		CHECK(in.len[0] == 20 + 8 + 28 && wbuf_be16(e + 28 + 4) == 77);
	}
	CHECK(r->ifaces[0].c.in_drops == 1);
	cap_reset(&in);
	cap_reset(&out);
	tr_free(r);
	ev_free(ev);
}

TEST(ipv4_echo_to_router_is_answered)
{
	struct evloop *ev = ev_new();
	struct capture in, out;
	struct router *r = two_port(ev, &in, &out);
	uint8_t b[200];
	/* To the far interface's address: still ours, answered from that address. */
	size_t len = tr_echo(b, IP4(10, 1, 1, 9), IP4(10, 2, 2, 1), 0x55, 3, 72);
	tr_inject(&r->ifaces[0], b, len);
	CHECK(in.n == 1 && out.n == 0);
	if (in.n == 1) {
		const uint8_t *e = in.frame[0];
		CHECK(in.len[0] == len);
		CHECK(wbuf_be32(e + 12) == IP4(10, 2, 2, 1) && wbuf_be32(e + 16) == IP4(10, 1, 1, 9));
		CHECK(e[20] == 0 && inet_cksum(e + 20, len - 20) == 0);
		CHECK(wbuf_be16(e + 24) == 0x55 && wbuf_be16(e + 26) == 3);
		CHECK(memcmp(e + 28, b + 28, len - 28) == 0);
	}
	cap_reset(&in);
	cap_reset(&out);
	tr_free(r);
	ev_free(ev);
}

struct udp_seen {
	int n;
	uint32_t src;
	uint16_t sport, dport;
	char data[64];
	size_t len;
};

static void udp_cb(void *arg, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		   const uint8_t *data, size_t len)
{
	struct udp_seen *s = arg;
	(void)dst;
	s->n++;
	s->src = src;
	s->sport = sport;
	s->dport = dport;
	s->len = len < sizeof(s->data) ? len : sizeof(s->data);
	memcpy(s->data, data, s->len);
}

TEST(ipv4_udp_bound_unbound_and_bad_checksum)
{
	struct evloop *ev = ev_new();
	ev_set_virtual(ev, 1000);
	struct capture in, out;
	struct router *r = two_port(ev, &in, &out);
	struct udp_seen seen = { 0 };
	CHECK(udp_bind(r, 500, udp_cb, &seen) == 0);
	uint8_t b[200];
	size_t len = tr_udp(b, IP4(10, 1, 1, 9), IP4(10, 1, 1, 1), 1500, 500, "isakmp", 6);
	tr_inject(&r->ifaces[0], b, len);
	CHECK(seen.n == 1 && seen.sport == 1500 && seen.len == 6 && !memcmp(seen.data, "isakmp", 6));
	CHECK(in.n == 0);
	/* A bad UDP checksum is dropped before the service sees it. */
	b[len - 1] ^= 1;
	tr_inject(&r->ifaces[0], b, len);
	CHECK(seen.n == 1);
	CHECK(NET(r)->st.udp_bad == 1);
	/* A UDP length that disagrees with the IP length is malformed. */
	len = tr_udp(b, IP4(10, 1, 1, 9), IP4(10, 1, 1, 1), 1500, 500, "isakmp", 6);
	wbuf_st16(b + 24, 10);
	tr_inject(&r->ifaces[0], b, len);
	CHECK(seen.n == 1 && NET(r)->st.udp_bad == 2);
	/* Unbound port: ICMP port unreachable. */
	len = tr_udp(b, IP4(10, 1, 1, 9), IP4(10, 1, 1, 1), 1500, 501, "x", 1);
	tr_inject(&r->ifaces[0], b, len);
	CHECK(in.n == 1 && in.n && in.frame[0][20] == 3 && in.frame[0][21] == 3);
	/* ... rate-limited to one per 500 ms as IOS does. */
	tr_inject(&r->ifaces[0], b, len);
	CHECK(in.n == 1);
	ev_advance(ev, 501);
	tr_inject(&r->ifaces[0], b, len);
	CHECK(in.n == 2);
	/* Our own UDP goes out with a checksum the receiver accepts. */
	cap_reset(&out);
	CHECK(udp_send(r, 0, 500, IP4(172, 16, 9, 9), 500, (const uint8_t *)"hello", 5) == 0);
	CHECK(out.n == 1);
	if (out.n == 1) {
		const uint8_t *o = out.frame[0];
		CHECK(wbuf_be32(o + 12) == IP4(10, 2, 2, 1));
		CHECK(inet_fold(inet_sum(o + 20, 13, inet_pseudo_sum(IP4(10, 2, 2, 1),
								      IP4(172, 16, 9, 9), 17, 13))) == 0);
		CHECK(inet_cksum(o, 20) == 0);
	}
	CHECK(udp_send(r, 0, 500, IP4(192, 168, 9, 9), 500, (const uint8_t *)"x", 1) < 0);
	cap_reset(&in);
	cap_reset(&out);
	tr_free(r);
	ev_free(ev);
}

TEST(ipv4_unknown_protocol_and_no_route)
{
	struct evloop *ev = ev_new();
	ev_set_virtual(ev, 1000);
	struct capture in, out;
	struct router *r = two_port(ev, &in, &out);
	uint8_t b[64];
	size_t len = tr_ip(b, IP4(10, 1, 1, 9), IP4(10, 1, 1, 1), 47, 64, 1, 0, "gre!", 4);
	tr_inject(&r->ifaces[0], b, len);
	CHECK(in.n == 1 && in.frame[0][20] == 3 && in.frame[0][21] == 2);
	ev_advance(ev, 1000);
	len = tr_ip(b, IP4(10, 1, 1, 9), IP4(192, 168, 1, 1), 17, 64, 1, 0, "abcd", 4);
	tr_inject(&r->ifaces[0], b, len);
	CHECK(in.n == 2 && in.frame[1][20] == 3 && in.frame[1][21] == 1);
	CHECK(out.n == 0 && NET(r)->st.no_route == 1);
	/* Never an ICMP error about an ICMP error. */
	ev_advance(ev, 1000);
	uint8_t err[36] = { 3, 1, 0, 0 };
	wbuf_st16(err + 2, inet_cksum(err, sizeof(err)));
	len = tr_ip(b, IP4(10, 1, 1, 9), IP4(192, 168, 1, 1), 1, 64, 1, 0, err, sizeof(err));
	tr_inject(&r->ifaces[0], b, len);
	CHECK(in.n == 2);
	cap_reset(&in);
	cap_reset(&out);
	tr_free(r);
	ev_free(ev);
}

TEST(ipv4_df_too_big_gets_frag_needed_with_mtu)
{
	struct evloop *ev = ev_new();
	static const struct tr_if ifs[] = {
		{ "FastEthernet0/0", IP4(10, 1, 1, 1), 0xffffff00, "mem:", false, 0 },
		{ "FastEthernet0/1", IP4(10, 2, 2, 1), 0xffffff00, "mem:", false, 1400 },
	};
	struct router *r = tr_new(ev, "R", ifs, 2, NULL, 0);
	struct capture in, out;
	cap_attach(&in, &r->ifaces[0]);
	cap_attach(&out, &r->ifaces[1]);
	uint8_t payload[1480] = { 0 }, b[1600];
	size_t len = tr_ip(b, IP4(10, 1, 1, 9), IP4(10, 2, 2, 7), 17, 64, 9, 0x4000, payload, 1480);
	tr_inject(&r->ifaces[0], b, len);
	CHECK(out.n == 0 && in.n == 1);
	if (in.n == 1) {
		CHECK(in.frame[0][20] == 3 && in.frame[0][21] == 4);
		CHECK(wbuf_be16(in.frame[0] + 26) == 1400);
	}
	CHECK(NET(r)->st.cant_fragment == 1);
	cap_reset(&in);
	cap_reset(&out);
	tr_free(r);
	ev_free(ev);
}

TEST(ipv4_checksum_incremental_update_matches_recompute)
{
	srand(7);
	for (int i = 0; i < 5000; i++) {
		uint8_t h[20];
		for (int j = 0; j < 20; j++)
			h[j] = (uint8_t)rand();
		h[0] = 0x45;
		ip_set_cksum(h);
		uint16_t old = wbuf_be16(h + 8);
		if (h[8] == 0)
			h[8] = 1;
		h[8]--;	/* TTL decrement, as forwarding does */
		uint16_t inc = inet_cksum_update16(wbuf_be16(h + 10), old, wbuf_be16(h + 8));
		wbuf_st16(h + 10, inc);
		CHECK(inet_cksum(h, 20) == 0);
		/* And an arbitrary word change anywhere in the header. */
		int w = 2 * (rand() % 10);
		if (w == 10)
			continue;
		uint16_t o = wbuf_be16(h + w), nw = (uint16_t)rand();
		wbuf_st16(h + w, nw);
		wbuf_st16(h + 10, inet_cksum_update16(wbuf_be16(h + 10), o, nw));
		CHECK(inet_cksum(h, 20) == 0);
	}
	/* RFC 1071's example: 0001 f203 f4f5 f6f7 sums to ddf2, checksum 220d. */
	const uint8_t v[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	CHECK(inet_cksum(v, sizeof(v)) == 0x220d);
}

TEST(ipv4_interface_status_and_show_brief)
{
	struct evloop *ev = ev_new();
	static const struct tr_if ifs[] = {
		{ "FastEthernet0/0", IP4(10, 1, 1, 1), 0xff000000, "mem:", false, 0 },
		{ "FastEthernet0/1", IP4(10, 0, 0, 1), 0xff000000, NULL, false, 0 },
		{ "Serial1/0", 0, 0, NULL, true, 0 },
	};
	struct router *r = tr_new(ev, "R", ifs, 3, NULL, 0);
	CHECK_STR(iface_status(&r->ifaces[0]), "up");
	CHECK_STR(iface_protocol(&r->ifaces[0]), "up");
	CHECK_STR(iface_status(&r->ifaces[1]), "up");
	CHECK_STR(iface_protocol(&r->ifaces[1]), "down");
	CHECK_STR(iface_status(&r->ifaces[2]), "administratively down");
	struct strbuf sb;
	sb_init(&sb);
	struct cli_ctx ctx = { .r = r, .out = &sb };
	struct cmd_args a = { .argc = 4, .argv = { "show", "ip", "interface", "brief" } };
	CHECK(net_cmd_show_ip_int_brief(&ctx, &a) == 0);
	CHECK_STR(sb_str(&sb),
		  "Interface                  IP-Address      OK? Method Status                Protocol\n"
		  "FastEthernet0/0            10.1.1.1        YES NVRAM  up                    up\n"
		  "FastEthernet0/1            10.0.0.1        YES NVRAM  up                    down\n"
		  "Serial1/0                  unassigned      YES NVRAM  administratively down down\n");
	sb_reset(&sb);
	struct cmd_args a2 = { .argc = 3, .argv = { "show", "interfaces", "fa0/0" } };
	CHECK(net_cmd_show_interfaces(&ctx, &a2) == 0);
	const char *s = sb_str(&sb);
	CHECK(strstr(s, "FastEthernet0/0 is up, line protocol is up\n") == s);
	CHECK(strstr(s, "  Internet address is 10.1.1.1/8\n"));
	CHECK(strstr(s, "  MTU 1500 bytes"));
	CHECK(strstr(s, "     0 packets input, 0 bytes"));
	CHECK(strstr(s, "     0 input errors, 0 CRC"));
	/* All interfaces, or one; a name that is not there is IOS's caret error. */
	sb_reset(&sb);
	struct cmd_args all = { .argc = 2, .argv = { "show", "interfaces" } };
	CHECK(net_cmd_show_interfaces(&ctx, &all) == 0);
	CHECK(strstr(sb_str(&sb), "Serial1/0 is administratively down, line protocol is down\n"));
	for (int clear = 0; clear < 2; clear++) {
		sb_reset(&sb);
		struct cmd_args bad = { .argc = 3, .argv = { clear ? "clear" : "show",
							    clear ? "counters" : "interfaces", "fa9/9" } };
		CHECK((clear ? net_cmd_clear_counters : net_cmd_show_interfaces)(&ctx, &bad) == -1);
		CHECK_STR(sb_str(&sb), "% Invalid input detected at '^' marker.\n");
	}
	sb_free(&sb);
	tr_free(r);
	ev_free(ev);
}

TEST(ipv4_bad_port_spec_fails_start_naming_interface)
{
	struct evloop *ev = ev_new();
	static const struct tr_if ifs[] = {
		{ "FastEthernet0/0", IP4(10, 1, 1, 1), 0xff000000, "udp:notaport:127.0.0.1:1", false, 0 },
	};
	struct router *r = tr_new(ev, "R", ifs, 1, NULL, 0);
	CHECK(r == NULL);
	static const struct tr_if ifs2[] = {
		{ "FastEthernet0/0", IP4(10, 1, 1, 1), 0xff000000, "carrier-pigeon:1", false, 0 },
	};
	r = tr_new(ev, "R", ifs2, 1, NULL, 0);
	CHECK(r == NULL);
	ev_free(ev);
}

TEST(ipv4_martian_source_dropped_counted_and_logged)
{
	struct evloop *ev = ev_new();
	ev_set_virtual(ev, 1000);
	struct capture in, out;
	struct router *r = two_port(ev, &in, &out);
	uint8_t b[64];
	size_t len = tr_ip(b, IP4(127, 0, 0, 1), IP4(172, 16, 1, 1), 17, 64, 1, 0, "abcd", 4);
	uint64_t lines = r->log.lines_total;
	tr_inject(&r->ifaces[0], b, len);
	CHECK(out.n == 0);
	CHECK(r->ifaces[0].c.in_drops == 1);
	CHECK(r->log.lines_total == lines + 1);
	struct strbuf sb;
	sb_init(&sb);
	log_show(&r->log, &sb);
	CHECK(strstr(sb_str(&sb), "%IP-4-MARTIAN: Dropped packet on FastEthernet0/0 from "
				  "impossible source 127.0.0.1") != NULL);
	sb_free(&sb);
	cap_reset(&in);
	cap_reset(&out);
	tr_free(r);
	ev_free(ev);
}
