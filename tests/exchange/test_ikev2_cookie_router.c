/*
 * COOKIE under load on the router (RFC 7296 §2.6, IOS's `crypto ikev2
 * cookie-challenge N`), and what a half-open IKE SA that times out leaves
 * behind, between the seed's two routers configured for IKEv2 at the CLI.
 * The forger is a bare engine (tests/unit/ikev2_pair.c) whose IKE_SA_INIT
 * requests are injected on B's outside port with A's address as source:
 * B can not tell them from A's, only a cookie can.
 */
#include "../unit/t.h"
#include "../unit/ikev2_pair.h"
#include "seedlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cmdtree.h"
#include "core/strbuf.h"
#include "ike/ike.h"
#include "ike/ike2_glue.h"
#include "ikev2/ikev2_msg.h"
#include "ikev2/ikev2_sa.h"
#include "net/inet.h"
#include "net/port_mem.h"
#include "router.h"

static const char *const OUT[2] = { "FastEthernet0/0", "Ethernet1/0" };
#define ADDR_A 0x0a010101u
#define ADDR_B 0x0a020202u

/* The proposal the forging engine speaks (AES-CBC-256, SHA-256, group 14), so B keeps state for it. */
static bool configure_v2(struct router *r, int i)
{
	static const char *const a[] = {
		"crypto ikev2 proposal P", "encryption aes-cbc-256", "integrity sha256", "group 14", "exit",
		"crypto ikev2 policy P", "proposal P", "exit",
		"crypto ikev2 keyring K", "peer B", "address 10.2.2.2", "pre-shared-key s3cret", "exit", "exit",
		"crypto ikev2 profile PR", "match identity remote address 10.2.2.2 255.255.255.255",
		"authentication remote pre-share", "authentication local pre-share", "keyring local K", "exit",
		"crypto ipsec transform-set v2 esp-aes esp-sha-hmac", "exit",
		"crypto map testtag1 10 ipsec-isakmp", "set transform-set v2", "set ikev2-profile PR", "end", NULL,
	};
	static const char *const b[] = {
		"crypto ikev2 proposal P", "encryption aes-cbc-256", "integrity sha256", "group 14", "exit",
		"crypto ikev2 policy P", "proposal P", "exit",
		"crypto ikev2 keyring K", "peer A", "address 10.1.1.1", "pre-shared-key s3cret", "exit", "exit",
		"crypto ikev2 profile PR", "match identity remote address 10.1.1.1 255.255.255.255",
		"authentication remote pre-share", "authentication local pre-share", "keyring local K", "exit",
		"crypto ipsec transform-set v2 esp-aes esp-sha-hmac", "exit",
		"crypto map testtag1 10 ipsec-isakmp", "set transform-set v2", "set ikev2-profile PR", "end", NULL,
	};
	return sl_configure(r, i ? b : a);
}

static bool lab_new(struct seedlab *b)
{
	memset(b, 0, sizeof(*b));
	return sl_new(b) && configure_v2(b->r[0], 0) && configure_v2(b->r[1], 1);
}

static int count_state(struct router *r, enum ikev2_state st)
{
	int n = 0;
	for (const struct ikev2_sa *sa = ike2_engine(r)->sas; sa; sa = sa->next)
		n += sa->state == st;
	return n;
}

static uint64_t field(const char *text, const char *label)
{
	const char *p = strstr(text, label);
	return p ? strtoull(p + strlen(label), NULL, 10) : (uint64_t)-1;
}

/* An IKE datagram from src to dst as it arrives on router i's outside port (IPv4 + UDP 500). */
static void inject(struct router *r, int i, uint32_t src, uint32_t dst, const uint8_t *ike, size_t len)
{
	uint8_t f[1600];
	if (len + 28 > sizeof(f))
		return;
	memset(f, 0, 28);
	f[0] = 0x45;
	f[2] = (uint8_t)((len + 28) >> 8);
	f[3] = (uint8_t)(len + 28);
	f[8] = 64;
	f[9] = 17;
	for (int k = 0; k < 4; k++) {
		f[12 + k] = (uint8_t)(src >> (24 - 8 * k));
		f[16 + k] = (uint8_t)(dst >> (24 - 8 * k));
	}
	uint16_t ck = inet_cksum(f, 20);
	f[10] = (uint8_t)(ck >> 8);
	f[11] = (uint8_t)ck;
	f[20] = 500 >> 8;
	f[21] = 500 & 255;
	f[22] = 500 >> 8;
	f[23] = 500 & 255;
	f[24] = (uint8_t)((len + 8) >> 8);
	f[25] = (uint8_t)(len + 8);
	memcpy(f + 28, ike, len);
	mem_port_inject(router_iface(r, OUT[i]), f, len + 28);
}

/* n fresh IKE_SA_INIT requests (new SPIs and nonces each) from src, as a forger makes them. */
static void forge_init(struct seedlab *b, struct v2p *p, uint32_t src, int n)
{
	for (int k = 0; k < n; k++) {
		p->nq = 0;
		if (!ikev2_initiate(&p->s[0].eng, V2P_A, V2P_B) || p->nq != 1)
			return;
		inject(b->r[1], 1, src, ADDR_B, p->q[0].d, p->q[0].len);
	}
	p->nq = 0;
}

TEST(ikev2_router_cookie_challenge_under_forged_flood)
{
	struct seedlab b;
	CHECK(lab_new(&b));
	static const char *const cc[] = { "crypto ikev2 cookie-challenge 2", NULL };
	CHECK(sl_configure(b.r[1], cc));
	struct v2p *p = v2p_new();
	struct strbuf out;
	sb_init(&out);
	const struct ikev2_stats *e = &ike2_engine(b.r[1])->st;
	/* Up to the threshold B answers as usual and keeps the half-open SAs. */
	forge_init(&b, p, ADDR_A, 2);
	CHECK(count_state(b.r[1], IKEV2_S_R_INIT_SENT) == 2 && e->cookie_sent == 0);
	/* Above it, every request without a cookie gets a COOKIE answer and leaves nothing behind. */
	uint64_t tx = e->tx;
	forge_init(&b, p, ADDR_A, 20);
	CHECK(e->cookie_sent == 20 && e->tx == tx + 20);
	CHECK(count_state(b.r[1], IKEV2_S_R_INIT_SENT) == 2 && e->half_open_evicted == 0);
	/* The real peer's first request is challenged too; it returns the cookie and gets its tunnel. */
	int n = sl_ping(&b, 3, &out);
	if (n != 3)
		sl_dump(&b);
	CHECK(n == 3);
	CHECK(ike2_engine(b.r[0])->st.cookie_rx == 1 && e->cookie_ok == 1 && e->cookie_bad == 0);
	CHECK(count_state(b.r[0], IKEV2_S_READY) == 1 && count_state(b.r[1], IKEV2_S_READY) == 1);
	CHECK(sl_cmd(&b, 1, "show crypto ikev2 stats", &out) == 0);
	const char *s = sb_str(&out);
	CHECK(strstr(s, "Incoming IKEV2 Cookie Challenged Requests: 22\n") != NULL);
	CHECK(strstr(s, "accepted: 1        rejected: 0        rejected no cookie: 21\n") != NULL);
	CHECK(strstr(s, "Cookie challenge (RFC 7296 2.6): on above 2 half-open IKE SAs, challenging now (2 half-open)\n") != NULL);
	CHECK(field(s, "cookies sent") == 21);
	CHECK(field(s, "valid cookies received") == 1);
	CHECK(field(s, "invalid cookies received") == 0);
	/* The forged half-open SAs time out: the challenge stops, a request makes state again. */
	sl_run(&b, 10000 + 500);
	CHECK(count_state(b.r[1], IKEV2_S_R_INIT_SENT) == 0);
	CHECK(sl_cmd(&b, 1, "show crypto ikev2 stats", &out) == 0);
	CHECK(strstr(sb_str(&out), "on above 2 half-open IKE SAs, not challenging (0 half-open)\n") != NULL);
	CHECK(sl_cmd(&b, 1, "show logging", &out) == 0);
	CHECK(strstr(sb_str(&out), "%CRYPTO-5-IKEV2_COOKIE: IKEv2 cookie challenge on: 2 half-open IKE SAs "
				   "(cookie-challenge 2)") != NULL);
	CHECK(strstr(sb_str(&out), "%CRYPTO-5-IKEV2_COOKIE: IKEv2 cookie challenge off: 0 half-open") != NULL);
	forge_init(&b, p, ADDR_A, 1);
	CHECK(count_state(b.r[1], IKEV2_S_R_INIT_SENT) == 1 && e->cookie_sent == 21);
	sb_free(&out);
	v2p_free(p);
	sl_free(&b);
}

/* Without the command (IOS's default) nothing is challenged; the secret turns over and goes with it. */
TEST(ikev2_router_cookie_challenge_config_and_secret)
{
	struct seedlab b;
	CHECK(lab_new(&b));
	struct strbuf out;
	sb_init(&out);
	struct v2p *p = v2p_new();
	struct ikev2_engine *eng = ike2_engine(b.r[1]);
	forge_init(&b, p, ADDR_A, 3);
	CHECK(eng->st.cookie_sent == 0 && count_state(b.r[1], IKEV2_S_R_INIT_SENT) == 3);
	CHECK(sl_cmd(&b, 1, "show crypto ikev2 stats", &out) == 0);
	CHECK(strstr(sb_str(&out), "Cookie challenge (RFC 7296 2.6): off\n") != NULL);
	/* The command, its range, and the running-config round trip. */
	static const char *const bad[] = { "crypto ikev2 cookie-challenge 1001", NULL };
	static const char *const bad0[] = { "crypto ikev2 cookie-challenge 0", NULL };
	static const char *const cc[] = { "crypto ikev2 cookie-challenge 1", NULL };
	static const char *const nocc[] = { "no crypto ikev2 cookie-challenge", NULL };
	static const char *const bare[] = { "crypto ikev2 cookie-challenge", NULL };
	CHECK(!sl_configure(b.r[1], bad) && !sl_configure(b.r[1], bad0) && !sl_configure(b.r[1], bare));
	CHECK(sl_configure(b.r[1], cc));
	CHECK(sl_cmd(&b, 1, "show running-config", &out) == 0);
	CHECK(strstr(sb_str(&out), "\ncrypto ikev2 cookie-challenge 1\n") != NULL);
	/* The secret is drawn on first use and replaced every IKE2_COOKIE_ROTATE_MS. */
	forge_init(&b, p, ADDR_A, 1);
	CHECK(eng->st.cookie_sent == 1 && eng->cookie_keyed);
	uint8_t v = eng->cookie_version;
	sl_run(&b, IKE2_COOKIE_ROTATE_MS + 100);
	forge_init(&b, p, ADDR_A, 1);
	CHECK(eng->cookie_version == (uint8_t)(v + 1));
	CHECK(sl_configure(b.r[1], nocc));
	CHECK(sl_cmd(&b, 1, "show running-config", &out) == 0);
	CHECK(strstr(sb_str(&out), "cookie-challenge") == NULL);
	forge_init(&b, p, ADDR_A, 1);
	/* Off again: no cookie, and no secret kept. */
	static const uint8_t zero[sizeof(eng->cookie_secret)];
	CHECK(!eng->cookie_keyed && memcmp(eng->cookie_secret, zero, sizeof(zero)) == 0);
	CHECK(eng->cookie_threshold == 0);
	sb_free(&out);
	v2p_free(p);
	sl_free(&b);
}

/*
 * A half-open IKE SA that never came up and times out (a replayed or forged
 * IKE_SA_INIT) is a half-open timeout, not a session that went down: no
 * "IKE SAs down", no "Session ... is DOWN", no log line per SA a flood made.
 */
TEST(ikev2_router_half_open_timeout_is_not_a_session_down)
{
	struct seedlab b;
	CHECK(lab_new(&b));
	struct strbuf out;
	sb_init(&out);
	struct v2p *p = v2p_new();
	CHECK(sl_cmd(&b, 1, "debug crypto ikev2", &out) == 0);
	forge_init(&b, p, ADDR_A, 3);
	CHECK(count_state(b.r[1], IKEV2_S_R_INIT_SENT) == 3);
	sl_run(&b, 10000 + 500);
	CHECK(count_state(b.r[1], IKEV2_S_R_INIT_SENT) == 0);
	CHECK(sl_cmd(&b, 1, "show crypto ikev2 stats", &out) == 0);
	CHECK(field(sb_str(&out), "half-open timed out (no IKE_AUTH)") == 3);
	CHECK(field(sb_str(&out), "IKE SAs down") == 0);
	CHECK(sl_cmd(&b, 1, "show logging", &out) == 0);
	CHECK(strstr(sb_str(&out), "is DOWN") == NULL);
	CHECK(strstr(sb_str(&out), "half-open timeout") == NULL);
	/* A session that was up and goes is still one. */
	CHECK(sl_ping(&b, 3, &out) == 3);
	CHECK(sl_cmd(&b, 1, "clear crypto ikev2 sa", &out) == 0);
	sl_run(&b, 1000);
	CHECK(sl_cmd(&b, 1, "show crypto ikev2 stats", &out) == 0);
	CHECK(field(sb_str(&out), "IKE SAs down") == 1);
	CHECK(sl_cmd(&b, 1, "show logging", &out) == 0);
	CHECK(strstr(sb_str(&out), "Session with 10.1.1.1 is DOWN") != NULL);
	sb_free(&out);
	v2p_free(p);
	sl_free(&b);
}

/*
 * RFC 7296 §1.5/§2.5: a message of an unknown major version is dropped and
 * counted by IKEv2 (not by IKEv1's `show crypto isakmp stats`); a request
 * gets an unprotected INVALID_MAJOR_VERSION naming 2.0, a response nothing,
 * and the answers are limited (the source is unauthenticated).  An unknown
 * critical payload is one drop on one counter.
 */
TEST(ikev2_router_unknown_major_version_and_critical_payload_counted_once)
{
	struct seedlab b;
	CHECK(lab_new(&b));
	struct strbuf out;
	sb_init(&out);
	struct v2p *p = v2p_new();
	p->nq = 0;
	CHECK(ikev2_initiate(&p->s[0].eng, V2P_A, V2P_B) != NULL && p->nq == 1);
	uint8_t req[V2P_MAXMSG];
	size_t len = p->q[0].len;
	memcpy(req, p->q[0].d, len);
	req[17] = 0x30;		/* major 3 */
	CHECK(sl_cmd(&b, 1, "show crypto isakmp stats", &out) == 0);
	uint64_t v1_malformed = field(sb_str(&out), "    malformed");
	uint64_t a_rx = ike2_engine(b.r[0])->st.rx;
	inject(b.r[1], 1, ADDR_A, ADDR_B, req, len);
	sl_run(&b, 100);
	CHECK(sl_cmd(&b, 1, "show crypto isakmp stats", &out) == 0);
	CHECK(field(sb_str(&out), "    malformed") == v1_malformed);
	CHECK(sl_cmd(&b, 1, "show crypto ikev2 stats", &out) == 0);
	CHECK(field(sb_str(&out), "unsupported major version") == 1);
	CHECK(field(sb_str(&out), "INVALID_MAJOR_VERSION sent") == 1);
	CHECK(field(sb_str(&out), "    malformed") == 0);
	/* A got the answer: an IKEv2 message on its SPIs it counts as for no SA of its own. */
	CHECK(ike2_engine(b.r[0])->st.rx == a_rx + 1);
	/* A response of major 3 is counted and not answered. */
	req[19] |= IKEV2_FLAG_RESPONSE;
	inject(b.r[1], 1, ADDR_A, ADDR_B, req, len);
	req[19] &= (uint8_t)~IKEV2_FLAG_RESPONSE;
	/* A flood of requests a second later: at most IKE2_BAD_MAJOR_PER_SEC answers a second. */
	sl_run(&b, 1000);
	for (int k = 0; k < 20; k++)
		inject(b.r[1], 1, ADDR_A, ADDR_B, req, len);
	CHECK(sl_cmd(&b, 1, "show crypto ikev2 stats", &out) == 0);
	CHECK(field(sb_str(&out), "unsupported major version") == 22);
	CHECK(field(sb_str(&out), "INVALID_MAJOR_VERSION sent") == 1 + IKE2_BAD_MAJOR_PER_SEC);
	CHECK(field(sb_str(&out), "not answered (over the limit)") == 20 - IKE2_BAD_MAJOR_PER_SEC);
	/* An unknown payload type marked critical, first in an IKE_SA_INIT. */
	memcpy(req, p->q[0].d, len);
	req[16] = 200;
	req[28 + 1] |= 0x80;
	inject(b.r[1], 1, ADDR_A, ADDR_B, req, len);
	CHECK(ike2_engine(b.r[1])->st.unsupported_critical == 1 && ike2_engine(b.r[1])->st.malformed == 0);
	CHECK(sl_cmd(&b, 1, "show crypto isakmp stats", &out) == 0);
	CHECK(field(sb_str(&out), "    malformed") == v1_malformed);
	sb_free(&out);
	v2p_free(p);
	sl_free(&b);
}
