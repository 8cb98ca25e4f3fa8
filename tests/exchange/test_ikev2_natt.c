/*
 * IKEv2 NAT traversal on the router (RFC 7296 §2.23): the seed's two
 * routers told `crypto ikev2 ...` at the CLI, with a port-translating NAT
 * in front of A on the cable between them (A keeps its address, its UDP
 * ports 500 and 4500 become 1500 and 14500 on B's side; a rebinding gives
 * 4500 another public port).  The NAT drops UDP for a port it has no
 * mapping for (A's own 500 and 4500, one it forgot), as a real one does.
 *
 * What is checked is what an engineer checks: show crypto ikev2 sa
 * [detailed] and show crypto ipsec sa, pings, and the frames on the cable
 * (IKE and ESP in UDP 4500, plain ESP without a NAT).  B, behind no NAT,
 * reaches A only through the mapping: its Delete and its IKE SA rekey.
 */
#include "../unit/t.h"
#include "seedlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cmdtree.h"
#include "core/strbuf.h"
#include "ike/ike.h"
#include "ike/ike2_glue.h"
#include "ikev2/ikev2_sa.h"
#include "ipsec/ipsec_int.h"
#include "net/port_mem.h"

#define NCAP 256
static struct {
	struct seedlab *b;
	bool nat;			/* the NAT is on the cable */
	uint16_t pub500, pub4500;	/* A's ports as B sees them */
	uint16_t stale4500;		/* a mapping the NAT dropped (rebinding): traffic to it is lost */
	/* Every frame sent (after the NAT), per side. */
	int n[2];
	uint8_t f[2][NCAP][1600];
	size_t len[2][NCAP];
	int nat_dropped;
	struct { int to; size_t len; uint8_t f[1600]; } q[64];
	size_t nq;
	struct ev_timer t;
} W;

static const char *const OUT[2] = { "FastEthernet0/0", "Ethernet1/0" };

static size_t ihl(const uint8_t *f) { return (size_t)(f[0] & 15) * 4; }
static bool is_udp(const uint8_t *f, size_t len) { return len >= 28 && (f[0] >> 4) == 4 && f[9] == 17; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static uint16_t sport(const uint8_t *f) { return rd16(f + ihl(f)); }
static uint16_t dport(const uint8_t *f) { return rd16(f + ihl(f) + 2); }

/* The NAT: A's source ports out, B's destination ports back in; the UDP checksum is dropped (0). */
static bool nat(int from, uint8_t *f, size_t len)
{
	if (!W.nat || !is_udp(f, len))
		return true;
	uint8_t *u = f + ihl(f);
	if (from == 0) {
		uint16_t s = rd16(u);
		wr16(u, s == 500 ? W.pub500 : s == 4500 ? W.pub4500 : s);
	} else {
		uint16_t d = rd16(u + 2);
		/* No mapping: A's private ports, or one the NAT forgot. */
		if (d == 500 || d == 4500 || (d == W.stale4500 && d != W.pub4500)) {
			W.nat_dropped++;
			return false;
		}
		wr16(u + 2, d == W.pub500 ? 500 : d == W.pub4500 ? 4500 : d);
	}
	wr16(u + 6, 0);
	return true;
}

static void sink(void *arg, struct iface *ifp, const uint8_t *frame, size_t len)
{
	int from = (int)(intptr_t)arg;
	(void)ifp;
	if (W.nq == sizeof(W.q) / sizeof(W.q[0]) || len > sizeof(W.q[0].f))
		return;
	memcpy(W.q[W.nq].f, frame, len);
	if (!nat(from, W.q[W.nq].f, len))
		return;
	int k = W.n[from]++;
	if (k < NCAP) {
		W.len[from][k] = len < sizeof(W.f[0][0]) ? len : sizeof(W.f[0][0]);
		memcpy(W.f[from][k], W.q[W.nq].f, W.len[from][k]);
	}
	W.q[W.nq].to = 1 - from;
	W.q[W.nq].len = len;
	W.nq++;
	ev_timer_arm(W.b->ev, &W.t, 0);
}

static void deliver(void *arg)
{
	static uint8_t f[1600];
	(void)arg;
	while (W.nq) {
		int to = W.q[0].to;
		size_t len = W.q[0].len;
		memcpy(f, W.q[0].f, len);
		memmove(W.q, W.q + 1, (W.nq - 1) * sizeof(W.q[0]));
		W.nq--;
		mem_port_inject(router_iface(W.b->r[to], OUT[to]), f, len);
	}
}

static bool setup(struct seedlab *b, bool with_nat)
{
	static const char *const a[] = {
		"crypto ikev2 proposal P", "encryption aes-cbc-128", "integrity sha256", "group 19", "exit",
		"crypto ikev2 policy P", "proposal P", "exit",
		"crypto ikev2 keyring K", "peer B", "address 10.2.2.2", "pre-shared-key s3cret", "exit", "exit",
		"crypto ikev2 profile PR", "match identity remote address 10.2.2.2 255.255.255.255",
		"authentication remote pre-share", "authentication local pre-share", "keyring local K", "exit",
		"crypto ipsec transform-set v2 esp-aes esp-sha-hmac", "exit",
		"crypto map testtag1 10 ipsec-isakmp", "set transform-set v2", "set ikev2-profile PR", "end", NULL,
	};
	static const char *const bb[] = {
		"crypto ikev2 proposal P", "encryption aes-cbc-128", "integrity sha256", "group 19", "exit",
		"crypto ikev2 policy P", "proposal P", "exit",
		"crypto ikev2 keyring K", "peer A", "address 10.1.1.1", "pre-shared-key s3cret", "exit", "exit",
		"crypto ikev2 profile PR", "match identity remote address 10.1.1.1 255.255.255.255",
		"authentication remote pre-share", "authentication local pre-share", "keyring local K", "exit",
		"crypto ipsec transform-set v2 esp-aes esp-sha-hmac", "exit",
		"crypto map testtag1 10 ipsec-isakmp", "set transform-set v2", "set ikev2-profile PR", "end", NULL,
	};
	memset(&W, 0, sizeof(W));
	W.b = b;
	W.nat = with_nat;
	W.pub500 = 1500;
	W.pub4500 = 14500;
	ev_timer_init(&W.t, deliver, NULL);
	if (!sl_new(b))
		return false;
	mem_link_free(b->cable);
	b->cable = NULL;
	for (int i = 0; i < 2; i++)
		mem_port_set_sink(router_iface(b->r[i], OUT[i]), sink, (void *)(intptr_t)i);
	return sl_configure(b->r[0], a) && sl_configure(b->r[1], bb);
}

static void done(struct seedlab *b, struct strbuf *out)
{
	sb_free(out);
	ev_timer_cancel(b->ev, &W.t);
	sl_free(b);
}

static bool show_has(struct seedlab *b, int i, const char *cmd, const char *needle)
{
	struct strbuf out;
	sb_init(&out);
	bool ok = sl_cmd(b, i, cmd, &out) == 0 && strstr(sb_str(&out), needle) != NULL;
	if (!ok)
		fprintf(stderr, "    %s: \"%s\" not in:\n%s\n", i ? "B" : "A", needle, sb_str(&out));
	sb_free(&out);
	return ok;
}

static uint64_t field(struct seedlab *b, int i, const char *cmd, const char *label)
{
	struct strbuf out;
	sb_init(&out);
	sl_cmd(b, i, cmd, &out);
	const char *p = strstr(sb_str(&out), label);
	uint64_t v = p ? strtoull(p + strlen(label), NULL, 10) : (uint64_t)-1;
	sb_free(&out);
	return v;
}

/* Frames of side `from`: ESP (IP 50), ESP in UDP 4500 (non-zero SPI), IKE on 4500 (marker), keepalives. */
struct census { int esp, esp_udp, ike500, ike4500, natka; };
static struct census census(int from, int start)
{
	struct census c = { 0 };
	for (int k = start; k < W.n[from] && k < NCAP; k++) {
		const uint8_t *f = W.f[from][k];
		size_t len = W.len[from][k];
		if (len >= 20 && f[9] == 50) {
			c.esp++;
			continue;
		}
		if (!is_udp(f, len))
			continue;
		const uint8_t *d = f + ihl(f) + 8;
		size_t dl = len - ihl(f) - 8;
		bool at4500 = (from == 0 ? sport(f) == W.pub4500 || sport(f) == 4500 : dport(f) == W.pub4500 ||
			       dport(f) == 4500);
		if (sport(f) == 500 || dport(f) == 500 || sport(f) == W.pub500 || dport(f) == W.pub500)
			c.ike500++;
		else if (at4500 && dl == 1 && d[0] == 0xff)
			c.natka++;
		else if (at4500 && dl >= 4 && !d[0] && !d[1] && !d[2] && !d[3])
			c.ike4500++;
		else if (at4500)
			c.esp_udp++;
	}
	return c;
}

TEST(ikev2_natt_behind_nat_floats_to_4500_and_esp_in_udp_carries_pings)
{
	struct seedlab b;
	struct strbuf out;
	sb_init(&out);
	CHECK(setup(&b, true));
	int ok = sl_ping(&b, 5, &out);
	if (ok != 5)
		sl_dump(&b);
	CHECK(ok == 5);
	/* The SA line names the ports in use: both on 4500, A's as the NAT made it on B. */
	CHECK(show_has(&b, 0, "show crypto ikev2 sa", "10.1.1.1/4500"));
	CHECK(show_has(&b, 0, "show crypto ikev2 sa", "10.2.2.2/4500"));
	CHECK(show_has(&b, 1, "show crypto ikev2 sa", "10.1.1.1/14500"));
	CHECK(show_has(&b, 1, "show crypto ikev2 sa", "10.2.2.2/4500"));
	/* IOS: inside = we are behind the NAT, outside = the peer is. */
	CHECK(show_has(&b, 0, "show crypto ikev2 sa detailed", "NAT-T is detected inside"));
	CHECK(show_has(&b, 1, "show crypto ikev2 sa detailed", "NAT-T is detected outside"));
	/* The Child SAs are UDP-encapsulated, as IKEv1 NAT-T's are shown. */
	CHECK(show_has(&b, 0, "show crypto ipsec sa", "in use settings ={Tunnel UDP-Encaps, }"));
	CHECK(show_has(&b, 0, "show crypto ipsec sa", "current_peer: 10.2.2.2:4500"));
	CHECK(show_has(&b, 1, "show crypto ipsec sa", "current_peer: 10.1.1.1:14500"));
	CHECK(field(&b, 0, "show crypto ipsec sa", "#pkts encaps: ") == 5);
	CHECK(field(&b, 1, "show crypto ipsec sa", "#pkts decaps: ") == 5);
	/* On the cable: IKE_SA_INIT on 500, the rest of IKE on 4500 behind the marker, no plain ESP. */
	struct census a = census(0, 0), s = census(1, 0);
	CHECK(a.ike500 == 1 && s.ike500 == 1);
	CHECK(a.ike4500 >= 1 && s.ike4500 >= 1);
	CHECK(a.esp == 0 && s.esp == 0);
	CHECK(a.esp_udp == 5 && s.esp_udp == 5);
	CHECK(show_has(&b, 1, "show crypto ikev2 stats", "NAT detected (IKE_SA_INIT)"));
	CHECK(field(&b, 1, "show crypto ikev2 stats", "NAT detected (IKE_SA_INIT)") == 1);
	CHECK(field(&b, 0, "show crypto ikev2 stats", "moved to UDP 4500") == 1);
	CHECK(field(&b, 1, "show crypto ikev2 stats", "moved to UDP 4500") == 1);
	/* B's own requests reach A through the NAT (to 14500): its Delete after clear crypto sa... */
	CHECK(sl_cmd(&b, 1, "clear crypto sa", &out) == 0);
	sl_run(&b, 2000);
	CHECK(sl_bundles(b.r[0]) == 0 && W.nat_dropped == 0);
	CHECK(sl_ping(&b, 3, &out) == 3);
	CHECK(show_has(&b, 1, "show crypto ipsec sa", "current_peer: 10.1.1.1:14500"));
	/* ...and an IKE SA rekey B starts: the new IKE SA keeps the ports and the NAT. */
	struct ikev2_sa *sb = NULL;
	for (struct ikev2_sa *sa = ike2_engine(b.r[1])->sas; sa; sa = sa->next)
		if (sa->state == IKEV2_S_READY)
			sb = sa;
	CHECK(sb && ikev2_rekey_ike(sb) == 0);
	sl_run(&b, 3000);
	CHECK(field(&b, 1, "show crypto ikev2 stats", "IKE SAs rekeyed") == 1);
	CHECK(show_has(&b, 1, "show crypto ikev2 sa detailed", "NAT-T is detected outside"));
	CHECK(show_has(&b, 1, "show crypto ikev2 sa", "10.1.1.1/14500"));
	CHECK(sl_ping(&b, 3, &out) == 3);
	CHECK(W.nat_dropped == 0);
	done(&b, &out);
}

TEST(ikev2_natt_no_nat_stays_on_500_with_plain_esp)
{
	struct seedlab b;
	struct strbuf out;
	sb_init(&out);
	CHECK(setup(&b, false));
	CHECK(sl_ping(&b, 5, &out) == 5);
	CHECK(show_has(&b, 0, "show crypto ikev2 sa", "10.1.1.1/500"));
	CHECK(show_has(&b, 1, "show crypto ikev2 sa", "10.1.1.1/500"));
	CHECK(show_has(&b, 0, "show crypto ikev2 sa detailed", "NAT-T is not detected"));
	CHECK(show_has(&b, 1, "show crypto ikev2 sa detailed", "NAT-T is not detected"));
	CHECK(show_has(&b, 0, "show crypto ipsec sa", "in use settings ={Tunnel, }"));
	struct census a = census(0, 0), s = census(1, 0);
	CHECK(a.ike4500 == 0 && s.ike4500 == 0 && a.esp_udp == 0 && s.esp_udp == 0);
	CHECK(a.esp == 5 && s.esp == 5);
	CHECK(a.ike500 == 2 && s.ike500 == 2);
	done(&b, &out);
}

static const struct ikev2_sa *ready_sa(struct router *r)
{
	for (const struct ikev2_sa *sa = ike2_engine(r)->sas; sa; sa = sa->next)
		if (sa->state == IKEV2_S_READY)
			return sa;
	return NULL;
}

TEST(ikev2_natt_rebinding_followed_only_after_an_authenticated_message)
{
	struct seedlab b;
	struct strbuf out;
	sb_init(&out);
	CHECK(setup(&b, true));
	CHECK(sl_ping(&b, 2, &out) == 2);
	/* The NAT forgets A's mapping and makes a new one: 4500 is now 24500. */
	W.stale4500 = W.pub4500;
	W.pub4500 = 24500;
	/* ESP from the new port alone moves nothing: B still answers the old port, the NAT drops it. */
	CHECK(sl_ping(&b, 1, &out) == 0);
	CHECK(W.nat_dropped >= 1);
	CHECK(show_has(&b, 1, "show crypto ipsec sa", "current_peer: 10.1.1.1:14500"));
	/* A's next IKE request (a liveness check, as DPD sends) authenticates from 24500: B follows. */
	struct ikev2_sa *sa = (struct ikev2_sa *)ready_sa(b.r[0]);
	CHECK(sa && ikev2_liveness(sa) == 0);
	sl_run(&b, 1000);
	CHECK(sa && !sa->req_pending);		/* answered: the answer went to where it came from */
	CHECK(show_has(&b, 1, "show crypto ikev2 sa", "10.1.1.1/24500"));
	CHECK(show_has(&b, 1, "show crypto ipsec sa", "current_peer: 10.1.1.1:24500"));
	CHECK(field(&b, 1, "show crypto ikev2 stats", "peer port changes (authenticated)") == 1);
	CHECK(sl_ping(&b, 3, &out) == 3);
	done(&b, &out);
}

TEST(ikev2_natt_forged_or_replayed_datagram_from_new_port_changes_nothing)
{
	struct seedlab b;
	struct strbuf out;
	sb_init(&out);
	CHECK(setup(&b, true));
	CHECK(sl_ping(&b, 2, &out) == 2);
	/* A's IKE_AUTH request as B got it (IKE on 4500, after the NAT). */
	int k = -1;
	for (int i = 0; i < W.n[0] && k < 0; i++) {
		const uint8_t *f = W.f[0][i];
		if (is_udp(f, W.len[0][i]) && sport(f) == W.pub4500 && W.len[0][i] > ihl(f) + 8 + 4 + 28 &&
		    f[ihl(f) + 8 + 4 + 18] == 35)
			k = i;
	}
	CHECK(k >= 0);
	if (k < 0) {
		done(&b, &out);
		return;
	}
	uint64_t icv0 = field(&b, 1, "show crypto ikev2 stats", "integrity check failed");
	/*
	 * A forgery with the right SPIs, B's next request ID and garbage in SK, from a
	 * new port: it fails the ICV and moves nothing.
	 */
	static uint8_t f[600];
	size_t h = ihl(W.f[0][k]);
	size_t ike = h + 8 + 4;
	size_t len = ike + 28 + 4 + 80;
	memset(f, 0, sizeof(f));
	memcpy(f, W.f[0][k], ike + 28);
	wr16(f + 2, (uint16_t)len);		/* IP total length */
	f[10] = f[11] = 0;
	uint32_t sum = 0;
	for (size_t i = 0; i < h; i += 2)
		sum += rd16(f + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	wr16(f + 10, (uint16_t)~sum);
	wr16(f + h, 33333);			/* a new source port */
	wr16(f + h + 4, (uint16_t)(len - h));
	wr16(f + h + 6, 0);
	f[ike + 16] = 46;			/* first payload: SK */
	f[ike + 18] = 37;			/* INFORMATIONAL */
	f[ike + 19] = 0x08;			/* from the initiator, a request */
	f[ike + 20] = f[ike + 21] = f[ike + 22] = 0;
	f[ike + 23] = 2;			/* the request ID B expects next */
	f[ike + 24] = f[ike + 25] = f[ike + 26] = 0;
	f[ike + 27] = (uint8_t)(len - ike);	/* IKE length */
	f[ike + 28] = 0;			/* SK: next 0, length */
	wr16(f + ike + 30, 84);
	for (size_t i = ike + 32; i < len; i++)
		f[i] = (uint8_t)(i * 7);
	mem_port_inject(router_iface(b.r[1], OUT[1]), f, len);
	sl_run(&b, 500);
	CHECK(field(&b, 1, "show crypto ikev2 stats", "integrity check failed") == icv0 + 1);
	/* Counted and logged (rate-limited). */
	bool logged = false;
	for (int i = 0; i < TAIL; i++)
		logged |= strstr(b.log[1].tail[i], "port 33333 did not authenticate there") != NULL;
	CHECK(logged);
	/* The real IKE_AUTH request again, from another new port: answered there from the store, nothing moves. */
	uint64_t again0 = field(&b, 1, "show crypto ikev2 stats", "requests answered again (retransmits)");
	memcpy(f, W.f[0][k], W.len[0][k]);
	wr16(f + h, 33334);
	wr16(f + h + 6, 0);
	int sent = W.n[1];
	mem_port_inject(router_iface(b.r[1], OUT[1]), f, W.len[0][k]);
	sl_run(&b, 500);
	CHECK(field(&b, 1, "show crypto ikev2 stats", "requests answered again (retransmits)") == again0 + 1);
	CHECK(W.n[1] == sent + 1 && dport(W.f[1][sent]) == 33334);
	CHECK(show_has(&b, 1, "show crypto ikev2 sa", "10.1.1.1/14500"));
	CHECK(show_has(&b, 1, "show crypto ipsec sa", "current_peer: 10.1.1.1:14500"));
	CHECK(field(&b, 1, "show crypto ikev2 stats", "new peer port, unauthenticated (ignored)") == 2);
	CHECK(field(&b, 1, "show crypto ikev2 stats", "peer port changes (authenticated)") == 0);
	CHECK(sl_ping(&b, 3, &out) == 3);
	done(&b, &out);
}

TEST(ikev2_natt_keepalives_from_nat_t_config)
{
	static const char *const ka[] = { "crypto isakmp nat keepalive 20", "end", NULL };
	struct seedlab b;
	struct strbuf out;
	sb_init(&out);
	CHECK(setup(&b, true));
	CHECK(sl_configure(b.r[0], ka));
	CHECK(sl_ping(&b, 1, &out) == 1);
	int from = W.n[0];
	sl_run(&b, 65000);
	struct census a = census(0, from), s = census(1, 0);
	/* Every 20 s of silence, one 0xFF byte to B's 4500; B has no keepalive configured. */
	CHECK(a.natka >= 2 && a.natka <= 4);
	CHECK(s.natka == 0);
	CHECK(field(&b, 0, "show crypto ikev2 stats", "NAT keepalives sent") == (uint64_t)a.natka);
	CHECK(sl_ping(&b, 2, &out) == 2);
	done(&b, &out);
}

TEST(ikev2_natt_no_form_keeps_ike_on_500_across_the_nat)
{
	static const char *const no[] = { "no crypto ipsec nat-transparency udp-encapsulation", "end", NULL };
	struct seedlab b;
	struct strbuf out;
	sb_init(&out);
	CHECK(setup(&b, true));
	CHECK(sl_configure(b.r[0], no) && sl_configure(b.r[1], no));
	CHECK(sl_ping(&b, 3, &out) == 3);
	struct census a = census(0, 0), s = census(1, 0);
	CHECK(a.ike4500 == 0 && s.ike4500 == 0 && a.esp_udp == 0 && a.esp == 3);
	CHECK(show_has(&b, 1, "show crypto ikev2 sa detailed", "NAT-T is not detected"));
	/* Answers still go where the requests came from: A's public 500. */
	CHECK(show_has(&b, 1, "show crypto ikev2 sa", "10.1.1.1/1500"));
	done(&b, &out);
}

TEST(ikev2_natt_peer_faking_a_nat_is_honoured)
{
	struct seedlab b;
	struct strbuf out;
	sb_init(&out);
	CHECK(setup(&b, false));
	/* A claims a NAT (as strongSwan's encap=yes does) although none is there. */
	b.r[0]->ike->natt_force = true;
	CHECK(sl_ping(&b, 3, &out) == 3);
	CHECK(show_has(&b, 1, "show crypto ikev2 sa detailed", "NAT-T is detected outside"));
	CHECK(show_has(&b, 1, "show crypto ipsec sa", "current_peer: 10.1.1.1:4500"));
	CHECK(show_has(&b, 1, "show crypto ipsec sa", "UDP-Encaps"));
	struct census a = census(0, 0), s = census(1, 0);
	CHECK(a.esp == 0 && s.esp == 0 && a.esp_udp == 3 && s.esp_udp == 3);
	done(&b, &out);
}
