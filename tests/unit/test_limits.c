/*
 * Tables that unauthenticated input can fill (issue 9 finding 9): each has a
 * per-source limit, a global limit, a short timeout and evicts the oldest,
 * so a spoofer can never lock the real peer out.  Table-driven on the
 * virtual clock.
 */
#include "t.h"

#include <stdlib.h>

#include "core/pkt.h"
#include "core/wbuf.h"
#include "ipsec/ipsec.h"
#include "ipsec/ipsec_int.h"
#include "net/net_priv.h"
#include "net/port_mem.h"
#include "test_ipv4_helpers.h"

/* ---- reassembly ---- */

static struct router *frag_router(struct evloop *ev, struct capture *cap)
{
	static const struct tr_if ifs[] = {
		{ "FastEthernet0/0", IP4(10, 0, 0, 1), 0xffff0000, "mem:", false, 0 },
	};
	struct router *r = tr_new(ev, "R", ifs, 1, NULL, 0);
	cap_attach(cap, &r->ifaces[0]);
	return r;
}

/* First half of a 16-byte UDP datagram (to port 9) from src with IP id id. */
static void first_half(struct router *r, uint32_t src, uint16_t id)
{
	uint8_t u[8] = { 0x30, 0x39, 0, 9, 0, 16, 0, 0 }, b[64];
	tr_inject(&r->ifaces[0], b, tr_ip(b, src, IP4(10, 0, 0, 1), 17, 64, id, 0x2000, u, 8));
}

static void second_half(struct router *r, uint32_t src, uint16_t id)
{
	uint8_t d[8] = "datagram", b[64];
	tr_inject(&r->ifaces[0], b, tr_ip(b, src, IP4(10, 0, 0, 1), 17, 64, id, 1, d, 8));
}

static int in_reasm(struct router *r, uint32_t src)
{
	int n = 0;
	for (int i = 0; i < FRAG_MAX_REASM; i++)
		n += NET(r)->frag.q[i].used && (!src || NET(r)->frag.q[i].src == src);
	return n;
}

TEST(limits_reassembly_per_source_global_timeout_evict_oldest)
{
	static const struct {
		const char *what;
		int spoof_sources;	/* distinct spoofed sources, ... */
		int per_source;		/* ... each starting this many datagrams */
		uint64_t wait_ms;	/* then the clock moves */
		int want_evicted;
		int want_in_reasm;	/* before the real datagram */
	} cases[] = {
		{ "one source, within its limit", 1, FRAG_PER_SRC_MAX, 0, 0, FRAG_PER_SRC_MAX },
		{ "one source over its limit", 1, FRAG_PER_SRC_MAX + 10, 0, 10, FRAG_PER_SRC_MAX },
		{ "many sources fill the table", 64, 1, 0, 0, FRAG_MAX_REASM },
		{ "more sources than slots", 100, 1, 0, 100 - FRAG_MAX_REASM, FRAG_MAX_REASM },
		{ "all time out", 8, 8, FRAG_TIMEOUT_MS + 1000, 0, 0 },
		{ "not yet timed out", 8, 8, FRAG_TIMEOUT_MS - 2000, 0, 64 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct evloop *ev = ev_new();
		ev_set_virtual(ev, 1000);
		struct capture cap;
		struct router *r = frag_router(ev, &cap);
		uint16_t id = 1;
		for (int s = 0; s < cases[c].spoof_sources; s++)
			for (int k = 0; k < cases[c].per_source; k++) {
				first_half(r, IP4(10, 0, 100, 1 + s), id++);
				ev_advance(ev, 1);
			}
		ev_advance(ev, cases[c].wait_ms);
		bool ok = NET(r)->st.frag_evicted == (uint64_t)cases[c].want_evicted &&
			  in_reasm(r, 0) == cases[c].want_in_reasm;
		/* The real peer's datagram still reassembles, whatever came before. */
		uint64_t done = NET(r)->st.reasm_ok;
		first_half(r, IP4(10, 0, 0, 2), 7);
		second_half(r, IP4(10, 0, 0, 2), 7);
		ok = ok && NET(r)->st.reasm_ok == done + 1;
		if (!ok)
			fprintf(stderr, "  case '%s': evicted %llu, in reassembly %d, reassembled %llu\n",
				cases[c].what, (unsigned long long)NET(r)->st.frag_evicted,
				in_reasm(r, 0), (unsigned long long)(NET(r)->st.reasm_ok - done));
		CHECK(ok);
		cap_reset(&cap);
		tr_free(r);
		ev_free(ev);
	}
}

/* The oldest goes, not the newest: the last datagrams of a flood complete. */
TEST(limits_reassembly_evicts_the_oldest)
{
	struct evloop *ev = ev_new();
	ev_set_virtual(ev, 1000);
	struct capture cap;
	struct router *r = frag_router(ev, &cap);
	for (int s = 0; s < FRAG_MAX_REASM + 1; s++) {
		first_half(r, IP4(10, 0, 100, 1 + s), 1);
		ev_advance(ev, 1);
	}
	second_half(r, IP4(10, 0, 100, 1), 1);			/* the first: evicted */
	CHECK(NET(r)->st.reasm_ok == 0);
	second_half(r, IP4(10, 0, 100, 1 + FRAG_MAX_REASM), 1);	/* the last: there */
	CHECK(NET(r)->st.reasm_ok == 1);
	cap_reset(&cap);
	tr_free(r);
	ev_free(ev);
}

/* ---- ARP ---- */

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
	return 60;
}

static struct router *arp_router(struct evloop *ev, struct capture *eth, struct capture *p2p)
{
	static const struct tr_if ifs[] = {
		{ "FastEthernet0/0", IP4(10, 0, 0, 1), 0xffff0000, "mem:eth", false, 0 },
		{ "FastEthernet0/1", IP4(10, 1, 0, 1), 0xffffff00, "mem:", false, 0 },
	};
	struct router *r = tr_new(ev, "R", ifs, 2, NULL, 0);
	cap_attach(eth, &r->ifaces[0]);
	cap_attach(p2p, &r->ifaces[1]);
	return r;
}

static void request_from(struct router *r, uint32_t spa, uint8_t tag)
{
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, z[6];
	uint8_t sha[6] = { 0x02, 0x66, 0, 0, (uint8_t)(spa >> 8), tag }, f[60];
	arp_frame(f, bc, 1, sha, spa, z, IP4(10, 0, 0, 1));
	mem_port_inject(&r->ifaces[0], f, 60);
}

/* Resolves addr for ourselves: a packet routed to it, then the host's reply. */
static void resolve(struct router *r, struct capture *eth, uint32_t addr)
{
	uint8_t b[64], mac[6], f[60];
	const uint8_t host[6] = { 0x02, 0xaa, 0, 0, 0, (uint8_t)addr };
	mem_port_mac(&r->ifaces[0], mac);
	tr_inject(&r->ifaces[1], b, tr_ip(b, IP4(10, 1, 0, 9), addr, 17, 64, 1, 0, "x", 1));
	arp_frame(f, mac, 2, host, addr, mac, IP4(10, 0, 0, 1));
	mem_port_inject(&r->ifaces[0], f, 60);
	cap_reset(eth);
}

TEST(limits_arp_unsolicited_entries_bounded_short_lived_never_evict_ours)
{
	static const struct {
		const char *what;
		int senders;		/* distinct on-link senders asking for us */
		uint64_t wait_ms;
		size_t want_stale;
		uint64_t want_evicted;
	} cases[] = {
		{ "a few", 10, 0, 10, 0 },
		{ "up to the stale limit", ARP_STALE_MAX, 0, ARP_STALE_MAX, 0 },
		{ "beyond it: oldest stale evicted", ARP_STALE_MAX + 40, 0, ARP_STALE_MAX, 40 },
		{ "a flood", 3000, 0, ARP_STALE_MAX, 3000 - ARP_STALE_MAX },
		{ "stale entries expire", 50, ARP_STALE_MS + 2000, 0, 0 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct evloop *ev = ev_new();
		ev_set_virtual(ev, 1000);
		struct capture eth, p2p;
		struct router *r = arp_router(ev, &eth, &p2p);
		resolve(r, &eth, IP4(10, 0, 0, 2));	/* the real next hop */
		struct arp_table *t = &NET(r)->arp;
		for (int s = 0; s < cases[c].senders; s++) {
			request_from(r, IP4(10, 0, 10 + s / 250, 1 + s % 250), (uint8_t)s);
			if (eth.n > 400)
				cap_reset(&eth);
		}
		ev_advance(ev, cases[c].wait_ms);
		const struct arp_entry *e = arp_lookup(r, &r->ifaces[0], IP4(10, 0, 0, 2));
		bool ok = t->nstale == cases[c].want_stale && t->evicted == cases[c].want_evicted &&
			  e && e->state == ARP_COMPLETE;
		if (!ok)
			fprintf(stderr, "  case '%s': stale %zu, evicted %llu, next hop %s\n",
				cases[c].what, t->nstale, (unsigned long long)t->evicted,
				e && e->state == ARP_COMPLETE ? "complete" : "LOST");
		CHECK(ok);
		cap_reset(&eth);
		cap_reset(&p2p);
		tr_free(r);
		ev_free(ev);
	}
}

TEST(limits_arp_stale_entry_confirmed_by_our_request)
{
	struct evloop *ev = ev_new();
	ev_set_virtual(ev, 1000);
	struct capture eth, p2p;
	struct router *r = arp_router(ev, &eth, &p2p);
	request_from(r, IP4(10, 0, 0, 7), 7);
	const struct arp_entry *e = arp_lookup(r, &r->ifaces[0], IP4(10, 0, 0, 7));
	CHECK(e && e->state == ARP_STALE);
	CHECK(eth.n == 1);	/* our reply */
	/* Used for our traffic at once, and we ask for ourselves. */
	uint8_t b[64];
	tr_inject(&r->ifaces[1], b, tr_ip(b, IP4(10, 1, 0, 9), IP4(10, 0, 0, 7), 17, 64, 1, 0, "x", 1));
	CHECK(eth.n == 3);	/* the request and the packet */
	resolve(r, &eth, IP4(10, 0, 0, 7));
	e = arp_lookup(r, &r->ifaces[0], IP4(10, 0, 0, 7));
	CHECK(e && e->state == ARP_COMPLETE && NET(r)->arp.nstale == 0);
	/* Complete entries live their 4 hours. */
	ev_advance(ev, ARP_STALE_MS + 2000);
	e = arp_lookup(r, &r->ifaces[0], IP4(10, 0, 0, 7));
	CHECK(e && e->state == ARP_COMPLETE);
	cap_reset(&eth);
	cap_reset(&p2p);
	tr_free(r);
	ev_free(ev);
}

/* ---- flow records of narrowed proxy identities ---- */

#include "test_sadb_fixture.h"

static int nflows(struct router *r)
{
	int n = 0;
	for (struct ipsec_flowrec *fr = r->ipsec->flows; fr; fr = fr->next)
		n++;
	return n;
}

TEST(limits_narrowed_flow_records_freed_with_their_bundle)
{
	struct cfg_transform_set xf = fx_xf("auth2", XF_AH_SHA1, XF_ENC_DES, 0, XF_AUTH_SHA1);
	struct fx f;
	fx_seed(&f, &xf, false);
	int base = nflows(f.a.r);
	for (int i = 0; i < 50; i++) {
		struct sadb_bundle_spec s;
		fx_spec(&s, 0, &xf, 0x1000 + 8 * (uint32_t)i);
		s.flow.proto = 17;	/* narrower than the ACL line: IKE's own flow */
		s.flow.remote_port = (uint16_t)(1000 + i);
		int id = sadb_install(f.a.r, &s);
		CHECK(id > 0);
		CHECK(nflows(f.a.r) == base + 1);
		CHECK(sadb_delete_all(f.a.r, SADB_DEL_CLEAR) == 1);
		CHECK(nflows(f.a.r) == base);
	}
	fx_free(&f);
}
