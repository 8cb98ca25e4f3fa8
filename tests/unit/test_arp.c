#include "t.h"

#include "config/cmdtree.h"
#include "core/pkt.h"
#include "core/wbuf.h"
#include "net/net_priv.h"
#include "net/port_mem.h"
#include "test_ipv4_helpers.h"

static const uint8_t HOST_MAC[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x05 };

static struct router *eth_router(struct evloop *ev, struct capture *eth, struct capture *p2p)
{
	static const struct tr_if ifs[] = {
		{ "FastEthernet0/0", IP4(10, 0, 0, 1), 0xffffff00, "mem:eth", false, 0 },
		{ "FastEthernet0/1", IP4(10, 1, 0, 1), 0xffffff00, "mem:", false, 0 },
	};
	struct router *r = tr_new(ev, "R", ifs, 2, NULL, 0);
	cap_attach(eth, &r->ifaces[0]);
	cap_attach(p2p, &r->ifaces[1]);
	return r;
}

static size_t arp_frame(uint8_t *f, const uint8_t *eth_dst, uint16_t op, const uint8_t *sha,
			uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
	memset(f, 0, 60);
	memcpy(f, eth_dst, 6);
	memcpy(f + 6, sha, 6);
	wbuf_st16(f + 12, 0x0806);
	wbuf_st16(f + 14, 1);
	wbuf_st16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	wbuf_st16(f + 20, op);
	memcpy(f + 22, sha, 6);
	wbuf_st32(f + 28, spa);
	memcpy(f + 32, tha, 6);
	wbuf_st32(f + 38, tpa);
	return 60;	/* padded like a real Ethernet frame */
}

static bool is_request_for(const uint8_t *f, size_t len, const uint8_t *mymac, uint32_t tpa)
{
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	return len >= 42 && !memcmp(f, bc, 6) && !memcmp(f + 6, mymac, 6) &&
	       wbuf_be16(f + 12) == 0x0806 && wbuf_be16(f + 20) == 1 && !memcmp(f + 22, mymac, 6) &&
	       wbuf_be32(f + 28) == IP4(10, 0, 0, 1) && wbuf_be32(f + 38) == tpa;
}

TEST(arp_resolves_holds_and_flushes)
{
	struct evloop *ev = ev_new();
	ev_set_virtual(ev, 1000);
	struct capture eth, p2p;
	struct router *r = eth_router(ev, &eth, &p2p);
	uint8_t mac[6];
	CHECK(mem_port_mac(&r->ifaces[0], mac) == 0);
	uint8_t b[128];
	size_t n = tr_ip(b, IP4(10, 1, 0, 9), IP4(10, 0, 0, 5), 17, 64, 1, 0, "payload!", 8);
	tr_inject(&r->ifaces[1], b, n);
	CHECK(eth.n == 1 && is_request_for(eth.frame[0], eth.len[0], mac, IP4(10, 0, 0, 5)));
	CHECK(eth.n == 1 && eth.len[0] == 60);
	/* The reply releases the held packet toward the host's MAC. */
	uint8_t f[60];
	arp_frame(f, mac, 2, HOST_MAC, IP4(10, 0, 0, 5), mac, IP4(10, 0, 0, 1));
	mem_port_inject(&r->ifaces[0], f, 60);
	CHECK(eth.n == 2);
	if (eth.n == 2) {
		CHECK(!memcmp(eth.frame[1], HOST_MAC, 6) && !memcmp(eth.frame[1] + 6, mac, 6));
		CHECK(wbuf_be16(eth.frame[1] + 12) == 0x0800);
		CHECK(!memcmp(eth.frame[1] + 14 + 20, "payload!", 8));
	}
	/* Now resolved: the next packet goes straight out. */
	tr_inject(&r->ifaces[1], b, n);
	CHECK(eth.n == 3 && !memcmp(eth.frame[2], HOST_MAC, 6));
	const struct arp_entry *e = arp_lookup(r, &r->ifaces[0], IP4(10, 0, 0, 5));
	CHECK(e && e->state == ARP_COMPLETE);
	/* show arp in IOS layout, our own entry included. */
	struct strbuf sb;
	sb_init(&sb);
	struct cli_ctx ctx = { .r = r, .out = &sb };
	struct cmd_args a = { .argc = 2, .argv = { "show", "arp" } };
	ev_advance(ev, 5 * 60000);
	CHECK(net_cmd_show_arp(&ctx, &a) == 0);
	char mymac[16], line[128];
	net_fmt_mac(mymac, sizeof(mymac), mac);
	CHECK(strstr(sb_str(&sb), "Protocol  Address          Age (min)  Hardware Addr   Type   Interface\n") == sb_str(&sb));
	snprintf(line, sizeof(line), "Internet  10.0.0.1                -   %s  ARPA   FastEthernet0/0\n", mymac);
	CHECK(strstr(sb_str(&sb), line) != NULL);
	CHECK(strstr(sb_str(&sb), "Internet  10.0.0.5                5   02aa.bbcc.dd05  ARPA   FastEthernet0/0\n") != NULL);
	/* clear arp-cache forgets the host. */
	struct cmd_args c = { .argc = 2, .argv = { "clear", "arp-cache" } };
	CHECK(net_cmd_clear_arp(&ctx, &c) == 0);
	CHECK(arp_lookup(r, &r->ifaces[0], IP4(10, 0, 0, 5)) == NULL);
	sb_free(&sb);
	cap_reset(&eth);
	cap_reset(&p2p);
	tr_free(r);
	ev_free(ev);
}

TEST(arp_answers_requests_for_our_address_only)
{
	struct evloop *ev = ev_new();
	struct capture eth, p2p;
	struct router *r = eth_router(ev, &eth, &p2p);
	uint8_t mac[6], f[60];
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, zero[6] = { 0 };
	mem_port_mac(&r->ifaces[0], mac);
	arp_frame(f, bc, 1, HOST_MAC, IP4(10, 0, 0, 5), zero, IP4(10, 0, 0, 1));
	mem_port_inject(&r->ifaces[0], f, 60);
	CHECK(eth.n == 1);
	if (eth.n == 1) {
		const uint8_t *o = eth.frame[0];
		CHECK(!memcmp(o, HOST_MAC, 6) && wbuf_be16(o + 20) == 2);
		CHECK(!memcmp(o + 22, mac, 6) && wbuf_be32(o + 28) == IP4(10, 0, 0, 1));
		CHECK(!memcmp(o + 32, HOST_MAC, 6) && wbuf_be32(o + 38) == IP4(10, 0, 0, 5));
	}
	/* The asker was learned (it will talk to us next). */
	CHECK(arp_lookup(r, &r->ifaces[0], IP4(10, 0, 0, 5)) != NULL);
	/* Someone else's address: no answer, nothing learned. */
	arp_frame(f, bc, 1, HOST_MAC, IP4(10, 0, 0, 6), zero, IP4(10, 0, 0, 77));
	mem_port_inject(&r->ifaces[0], f, 60);
	CHECK(eth.n == 1 && arp_lookup(r, &r->ifaces[0], IP4(10, 0, 0, 6)) == NULL);
	/* Garbage (wrong hardware length) is counted, not answered. */
	arp_frame(f, bc, 1, HOST_MAC, IP4(10, 0, 0, 7), zero, IP4(10, 0, 0, 1));
	f[18] = 8;
	mem_port_inject(&r->ifaces[0], f, 60);
	CHECK(eth.n == 1 && NET(r)->arp.drops_bad == 1);
	/* Truncated ARP. */
	arp_frame(f, bc, 1, HOST_MAC, IP4(10, 0, 0, 7), zero, IP4(10, 0, 0, 1));
	mem_port_inject(&r->ifaces[0], f, 30);
	CHECK(eth.n == 1 && NET(r)->arp.drops_bad == 2);
	cap_reset(&eth);
	cap_reset(&p2p);
	tr_free(r);
	ev_free(ev);
}

TEST(arp_retries_then_gives_up_and_bounds_the_hold_queue)
{
	struct evloop *ev = ev_new();
	ev_set_virtual(ev, 1000);
	struct capture eth, p2p;
	struct router *r = eth_router(ev, &eth, &p2p);
	uint8_t mac[6];
	mem_port_mac(&r->ifaces[0], mac);
	uint8_t b[128];
	size_t n = tr_ip(b, IP4(10, 1, 0, 9), IP4(10, 0, 0, 7), 17, 64, 1, 0, "x", 1);
	for (int i = 0; i < 10; i++)
		tr_inject(&r->ifaces[1], b, n);
	CHECK(eth.n == 1);	/* one request, not one per packet */
	CHECK(NET(r)->arp.drops_unresolved == 10 - ARP_HOLD_MAX);
	CHECK(pkt_in_use() == ARP_HOLD_MAX);
	ev_advance(ev, 10000);
	int reqs = 0;
	for (int i = 0; i < eth.n; i++)
		reqs += is_request_for(eth.frame[i], eth.len[i], mac, IP4(10, 0, 0, 7));
	CHECK(reqs == ARP_RETRIES);
	CHECK(arp_lookup(r, &r->ifaces[0], IP4(10, 0, 0, 7)) == NULL);
	CHECK(NET(r)->arp.drops_unresolved == 10);
	CHECK(pkt_in_use() == 0);
	CHECK(r->ifaces[0].c.out_drops == 10);
	cap_reset(&eth);
	cap_reset(&p2p);
	tr_free(r);
	ev_free(ev);
}

TEST(arp_entries_expire_after_four_hours)
{
	struct evloop *ev = ev_new();
	ev_set_virtual(ev, 1000);
	struct capture eth, p2p;
	struct router *r = eth_router(ev, &eth, &p2p);
	uint8_t mac[6], f[60], b[64];
	mem_port_mac(&r->ifaces[0], mac);
	/* Resolved for our own traffic (what a host merely asking teaches is short-lived). */
	tr_inject(&r->ifaces[1], b, tr_ip(b, IP4(10, 1, 0, 9), IP4(10, 0, 0, 5), 17, 64, 1, 0, "x", 1));
	arp_frame(f, mac, 2, HOST_MAC, IP4(10, 0, 0, 5), mac, IP4(10, 0, 0, 1));
	mem_port_inject(&r->ifaces[0], f, 60);
	CHECK(arp_lookup(r, &r->ifaces[0], IP4(10, 0, 0, 5)) != NULL);
	ev_advance(ev, 4 * 3600 * 1000 - 2000);
	CHECK(arp_lookup(r, &r->ifaces[0], IP4(10, 0, 0, 5)) != NULL);
	/* Aged entries are swept within a minute (and never used once aged: see arp_output). */
	ev_advance(ev, 62000);
	CHECK(arp_lookup(r, &r->ifaces[0], IP4(10, 0, 0, 5)) == NULL);
	cap_reset(&eth);
	cap_reset(&p2p);
	tr_free(r);
	ev_free(ev);
}

TEST(arp_two_routers_ping_over_ethernet_link)
{
	struct evloop *ev = ev_new();
	ev_set_virtual(ev, 1000);
	static const struct tr_if a_ifs[] = {
		{ "FastEthernet0/0", IP4(10, 0, 0, 1), 0xffffff00, "mem:eth", false, 0 },
	};
	static const struct tr_if b_ifs[] = {
		{ "FastEthernet0/0", IP4(10, 0, 0, 2), 0xffffff00, "mem:eth", false, 0 },
	};
	struct router *a = tr_new(ev, "A", a_ifs, 1, NULL, 0);
	struct router *b = tr_new(ev, "B", b_ifs, 1, NULL, 0);
	struct mem_link *l = mem_link_new(&a->ifaces[0], &b->ifaces[0], NULL);
	CHECK(l != NULL);
	struct strbuf sb;
	sb_init(&sb);
	struct cli_ctx ctx = { .r = a, .out = &sb };
	struct cmd_args p = { .argc = 2, .argv = { "ping", "10.0.0.2" } };
	CHECK(net_cmd_ping(&ctx, &p) == CMD_ASYNC);
	for (int i = 0; i < 1000 && ctx.pending; i++)
		ev_advance(ev, 10);
	CHECK(strstr(sb_str(&sb), "!!!!!\nSuccess rate is 100 percent (5/5)") != NULL);
	CHECK(arp_lookup(a, &a->ifaces[0], IP4(10, 0, 0, 2)) != NULL);
	CHECK(arp_lookup(b, &b->ifaces[0], IP4(10, 0, 0, 1)) != NULL);
	sb_free(&sb);
	mem_link_free(l);
	tr_free(a);
	tr_free(b);
	ev_free(ev);
}
