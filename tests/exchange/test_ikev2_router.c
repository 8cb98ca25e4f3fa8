/*
 * IKEv2 on the router (src/ike/ike2_glue.c): the seed's two routers with
 * their crypto map speaking IKEv2.  A ping starts IKE_SA_INIT + IKE_AUTH,
 * the first Child SA lands in the SADB and the held echo goes out on it;
 * the loss of each of the four messages is repaired by retransmission;
 * replaying each message afterwards changes nothing; a peer that never
 * answers is given up after IOS's five retransmissions.
 *
 * The peer configuration is filled by hand here (one IKE suite, one ESP
 * suite, a PSK, the selectors from the crypto-map ACL) through the glue's
 * conf hooks, the way the `crypto ikev2 profile` builder fills it.
 */
#include "../unit/t.h"
#include "seedlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cmdtree.h"
#include "core/strbuf.h"
#include "ike/ike2_glue.h"
#include "ike/ike.h"
#include "ikev2/ikev2_conf.h"
#include "ikev2/ikev2_sa.h"
#include "ipsec/ipsec_int.h"
#include "net/port_mem.h"

static const struct cfg_cmap_entry *t_entry(const struct config *cfg, uint32_t peer)
{
	for (size_t i = 0; i < cfg->ncmap; i++)
		for (size_t k = 0; k < cfg->cmaps[i].npeers; k++)
			if (cfg->cmaps[i].peers[k] == peer)
				return &cfg->cmaps[i];
	return NULL;
}

static bool t_build(const struct config *cfg, const struct cfg_cmap_entry *e, uint32_t local, uint32_t peer,
		    struct ikev2_peer_conf *out)
{
	const struct cfg_acl *acl = config_acl(cfg, e->acl);
	if (!acl || !acl->nace)
		return false;
	const struct cfg_ace *a = &acl->aces[0];
	memset(out, 0, sizeof(*out));
	out->ike[out->nike++] = (struct ikev2_suite){ IKEV2_ENCR_AES_CBC, 128, IKEV2_AUTH_HMAC_SHA2_256_128,
						      IKEV2_PRF_HMAC_SHA2_256, 19 };
	out->child[out->nchild++] = (struct ikev2_child_suite){ IKEV2_ENCR_AES_CBC, 128, IKEV2_AUTH_HMAC_SHA1_96 };
	memcpy(out->psk_local, "cisco123", 8);
	memcpy(out->psk_remote, "cisco123", 8);
	out->psk_local_len = out->psk_remote_len = 8;
	out->id_local = local;
	out->id_remote = peer;
	out->local_ts = (struct ikev2_range){ a->proto, 0, 65535, a->src & ~a->src_wild, a->src | a->src_wild };
	out->remote_ts = (struct ikev2_range){ a->proto, 0, 65535, a->dst & ~a->dst_wild, a->dst | a->dst_wild };
	return true;
}

/* What crosses the cable: IKEv2 datagrams seen by A's and B's outside port. */
#define CAP 16
struct wire {
	int n[2];			/* IKE datagrams sent by A (0) and B (1) */
	int drop[2];			/* drop this one (index), -1 none */
	int cut[2];			/* drop this one and every later one, -1 none */
	uint8_t frame[2][CAP][1600];
	size_t len[2][CAP];
	struct seedlab *b;
	/* Frames in flight, delivered from a timer (never inside the sender's call). */
	struct { int to; size_t len; uint8_t f[1600]; } q[64];
	size_t nq;
	struct ev_timer t;
};

static struct wire W;

static bool is_ike(const uint8_t *f, size_t len)
{
	/* IPv4, UDP, port 500 on either side, IKEv2 version byte. */
	if (len < 20 + 8 + 28 || (f[0] >> 4) != 4 || f[9] != 17)
		return false;
	size_t ihl = (size_t)(f[0] & 15) * 4;
	uint16_t sp = (uint16_t)(f[ihl] << 8 | f[ihl + 1]), dp = (uint16_t)(f[ihl + 2] << 8 | f[ihl + 3]);
	return (sp == 500 || dp == 500) && len > ihl + 8 + 17 && f[ihl + 8 + 17] == 0x20;
}

static const char *const OUT[2] = { "FastEthernet0/0", "Ethernet1/0" };

/* A sink per side: keeps IKE frames, maybe drops one, delivers the rest to the other side. */
static void sink(void *arg, struct iface *ifp, const uint8_t *frame, size_t len)
{
	int from = (int)(intptr_t)arg;
	(void)ifp;
	if (is_ike(frame, len)) {
		int k = W.n[from]++;
		if (k < CAP && len <= sizeof(W.frame[0][0])) {
			memcpy(W.frame[from][k], frame, len);
			W.len[from][k] = len;
		}
		if (k == W.drop[from] || (W.cut[from] >= 0 && k >= W.cut[from]))
			return;
	}
	if (W.nq == sizeof(W.q) / sizeof(W.q[0]) || len > sizeof(W.q[0].f))
		return;
	W.q[W.nq].to = 1 - from;
	W.q[W.nq].len = len;
	memcpy(W.q[W.nq].f, frame, len);
	W.nq++;
	ev_timer_arm(W.b->ev, &W.t, 0);
}

static void deliver(void *arg)
{
	(void)arg;
	static uint8_t f[1600];
	while (W.nq) {
		int to = W.q[0].to;
		size_t len = W.q[0].len;
		memcpy(f, W.q[0].f, len);
		memmove(W.q, W.q + 1, (W.nq - 1) * sizeof(W.q[0]));
		W.nq--;
		mem_port_inject(router_iface(W.b->r[to], OUT[to]), f, len);
	}
}

static bool setup(struct seedlab *b, bool tap)
{
	memset(&W, 0, sizeof(W));
	W.drop[0] = W.drop[1] = W.cut[0] = W.cut[1] = -1;
	W.b = b;
	ev_timer_init(&W.t, deliver, NULL);
	if (!sl_new(b))
		return false;
	for (int i = 0; i < 2; i++) {
		ike2_set_conf(b->r[i], t_entry, t_build);
		ike2_set_all_entries(b->r[i], true);
	}
	if (tap) {
		/* Replace the cable by the two sinks (delivery at once, in order). */
		mem_link_free(b->cable);
		b->cable = NULL;
		for (int i = 0; i < 2; i++)
			mem_port_set_sink(router_iface(b->r[i], OUT[i]), sink, (void *)(intptr_t)i);
	}
	return true;
}


static const struct ikev2_sa *ready_sa(struct router *r)
{
	for (const struct ikev2_sa *sa = ike2_engine(r)->sas; sa; sa = sa->next)
		if (sa->state == IKEV2_S_READY)
			return sa;
	return NULL;
}

static int nsas(struct router *r)
{
	int n = 0;
	for (const struct ikev2_sa *sa = ike2_engine(r)->sas; sa; sa = sa->next)
		n++;
	return n;
}

/* The one Child SA an IKE SA has up (NULL unless exactly one). */
static const struct ikev2_child_rec *only_child(const struct ikev2_sa *sa)
{
	const struct ikev2_child_rec *c = NULL;
	for (size_t i = 0; sa && i < IKEV2_MAX_CHILDREN; i++) {
		if (sa->children[i].st != IKEV2_C_UP)
			continue;
		if (c)
			return NULL;
		c = &sa->children[i];
	}
	return c;
}

/* Both ends READY, one Child SA and one bundle each, each sending on the SPI the other receives on. */
static bool up_crosswise(struct seedlab *b)
{
	const struct ikev2_child_rec *a = only_child(ready_sa(b->r[0])), *s = only_child(ready_sa(b->r[1]));
	return a && s && sl_bundles(b->r[0]) == 1 && sl_bundles(b->r[1]) == 1 && a->spi_out == s->spi_in &&
	       a->spi_in == s->spi_out && sadb_has_outbound_spi(b->r[0], 0x0a020202, 50, a->spi_out) &&
	       sadb_has_outbound_spi(b->r[1], 0x0a010101, 50, s->spi_out);
}

static uint64_t field(const char *text, const char *label)
{
	const char *p = strstr(text, label);
	return p ? strtoull(p + strlen(label), NULL, 10) : (uint64_t)-1;
}

TEST(ikev2_router_ping_brings_up_child_sa_and_traffic_flows)
{
	struct seedlab b;
	CHECK(setup(&b, false));
	struct strbuf out;
	sb_init(&out);
	int ok = sl_ping(&b, 5, &out);
	if (ok != 5) {
		fprintf(stderr, "    ping: %s\n", sb_str(&out));
		sl_dump(&b);
	}
	/* The first echo started IKE and was held, then sent: none is lost. */
	CHECK(ok == 5);
	CHECK(up_crosswise(&b));
	CHECK(ready_sa(b.r[0])->initiator && !ready_sa(b.r[1])->initiator);
	/* IKEv1 stayed out of it. */
	CHECK(b.r[0]->ike->st.tx == 0 && b.r[1]->ike->st.p1_ok == 0);
	CHECK(ike2_stats(b.r[0])->install_ok == 1 && ike2_stats(b.r[1])->install_ok == 1);

	CHECK(sl_cmd(&b, 0, "show crypto ikev2 sa", &out) == 0);
	CHECK(strstr(sb_str(&out), "IPv4 Crypto IKEv2  SA") && strstr(sb_str(&out), "READY") &&
	      strstr(sb_str(&out), "10.1.1.1/500") && strstr(sb_str(&out), "10.2.2.2/500"));
	CHECK(strstr(sb_str(&out), "Encr: AES-CBC, keysize: 128, PRF: SHA256, Hash: SHA256, DH Grp:19"));
	CHECK(sl_cmd(&b, 1, "show crypto ikev2 sa detailed", &out) == 0);
	CHECK(strstr(sb_str(&out), "Initiator of SA : No") && strstr(sb_str(&out), "Negotiation done"));
	CHECK(sl_cmd(&b, 0, "show crypto ipsec sa", &out) == 0);
	CHECK(field(sb_str(&out), "#pkts encaps: ") == 5 && field(sb_str(&out), "#pkts decaps: ") == 5);
	CHECK(sl_cmd(&b, 1, "show crypto ikev2 stats", &out) == 0);
	CHECK(strstr(sb_str(&out), "Crypto IKEv2 SA Count 1") != NULL);
	CHECK(sl_cmd(&b, 1, "debug crypto ikev2", &out) == 0 && strstr(sb_str(&out), "IKEv2 default debugging is on"));
	CHECK(sl_cmd(&b, 1, "show debugging", &out) == 0 && strstr(sb_str(&out), "Crypto IKEv2 debugging is on"));
	CHECK(sl_cmd(&b, 1, "undebug crypto ikev2", &out) == 0 && !(b.r[1]->debug & DBG_IKEV2));

	/* clear crypto ikev2 sa: the IKE SA goes, and its Child SAs with it (RFC 7296 §1.4.1);
	 * the peer is told with an INFORMATIONAL Delete and removes both too. */
	CHECK(sl_cmd(&b, 0, "clear crypto ikev2 sa peer 10.2.2.1", &out) == 0);
	CHECK(nsas(b.r[0]) == 1 && sl_bundles(b.r[0]) == 1);	/* another peer: nothing */
	CHECK(sl_cmd(&b, 0, "clear crypto ikev2 sa peer 10.2.2.2", &out) == 0);
	CHECK(sl_bundles(b.r[0]) == 0);
	sl_run(&b, 1000);
	CHECK(nsas(b.r[0]) == 0 && nsas(b.r[1]) == 0 && sl_bundles(b.r[1]) == 0);
	CHECK(ike2_engine(b.r[1])->st.delete_ike_rx == 1);
	CHECK(sl_cmd(&b, 0, "show crypto ikev2 sa", &out) == 0);
	CHECK(!strstr(sb_str(&out), "READY"));
	/* The next packets start a new IKE SA, on both sides alone. */
	int again = sl_ping(&b, 3, &out);
	if (again != 3) {
		fprintf(stderr, "    after clear: %s\n", sb_str(&out));
		sl_dump(&b);
		sl_cmd(&b, 1, "show crypto ikev2 sa", &out);
		fprintf(stderr, "%s\n", sb_str(&out));
		sl_cmd(&b, 1, "show crypto ikev2 stats", &out);
		fprintf(stderr, "%s\n", sb_str(&out));
	}
	CHECK(again == 3);
	CHECK(nsas(b.r[0]) == 1 && nsas(b.r[1]) == 1 && up_crosswise(&b));
	sb_free(&out);
	ev_timer_cancel(b.ev, &W.t);
	sl_free(&b);
}

/* The n-th IKE datagram of side `from` is lost: a retransmission repairs it. */
static void lose_one(int from, int n)
{
	struct seedlab b;
	CHECK(setup(&b, true));
	W.drop[from] = n;
	struct strbuf out;
	sb_init(&out);
	sl_ping(&b, 1, &out);
	sl_run(&b, 8000);
	if (!up_crosswise(&b)) {
		fprintf(stderr, "    lost %s's datagram %d: not up (A sent %d, B sent %d)\n", from ? "B" : "A", n,
			W.n[0], W.n[1]);
		sl_dump(&b);
	}
	CHECK(up_crosswise(&b));
	/* The requester retransmitted once; a lost response is answered from the store. */
	CHECK(ike2_stats(b.r[0])->rtx == 1);
	CHECK(ike2_engine(b.r[1])->st.retransmit_answered == (from == 1 ? 1u : 0u));
	CHECK(sl_ping(&b, 3, &out) == 3);
	sb_free(&out);
	ev_timer_cancel(b.ev, &W.t);
	sl_free(&b);
}

TEST(ikev2_router_lost_init_request) { lose_one(0, 0); }
TEST(ikev2_router_lost_init_response) { lose_one(1, 0); }
TEST(ikev2_router_lost_auth_request) { lose_one(0, 1); }
TEST(ikev2_router_lost_auth_response) { lose_one(1, 1); }

TEST(ikev2_router_replayed_messages_change_nothing)
{
	struct seedlab b;
	CHECK(setup(&b, true));
	struct strbuf out;
	sb_init(&out);
	sl_ping(&b, 1, &out);
	sl_run(&b, 1000);
	CHECK(up_crosswise(&b) && W.n[0] == 2 && W.n[1] == 2);
	const struct ikev2_sa *a = ready_sa(b.r[0]), *s = ready_sa(b.r[1]);
	uint32_t a_in = a->child_spi_in, a_out = a->child_spi_out;
	uint64_t a_ready = ike2_engine(b.r[0])->st.ready, b_ready = ike2_engine(b.r[1])->st.ready;
	/* Each of the four messages again, to the router it was for. */
	for (int from = 0; from < 2; from++)
		for (int k = 0; k < 2; k++)
			mem_port_inject(router_iface(b.r[1 - from], OUT[1 - from]), W.frame[from][k], W.len[from][k]);
	sl_run(&b, 30000);
	CHECK(up_crosswise(&b));
	CHECK(ready_sa(b.r[0]) == a && ready_sa(b.r[1]) == s);
	CHECK(a->child_spi_in == a_in && a->child_spi_out == a_out);
	CHECK(nsas(b.r[0]) == 1 && nsas(b.r[1]) == 1);
	CHECK(ike2_engine(b.r[0])->st.ready == a_ready && ike2_engine(b.r[1])->st.ready == b_ready);
	CHECK(ike2_stats(b.r[0])->install_ok == 1 && ike2_stats(b.r[1])->install_ok == 1);
	/* The replayed IKE_AUTH request was answered from the store; IKE_SA_INIT, whose SA
	 * has moved on, and both responses were dropped and counted. */
	CHECK(ike2_engine(b.r[1])->st.retransmit_answered == 1 && ike2_engine(b.r[1])->st.dup_request == 1);
	CHECK(ike2_engine(b.r[0])->st.dup_response >= 2);
	CHECK(sl_ping(&b, 3, &out) == 3);
	sb_free(&out);
	ev_timer_cancel(b.ev, &W.t);
	sl_free(&b);
}

TEST(ikev2_router_silent_peer_given_up_after_five_retransmissions)
{
	struct seedlab b;
	CHECK(setup(&b, true));
	W.drop[0] = 0;		/* the first request is lost ... */
	ike2_set_conf(b.r[1], t_entry, NULL);	/* ... and B, without IKEv2 configuration, answers none */
	struct strbuf out;
	sb_init(&out);
	sl_ping(&b, 1, &out);
	/* 2 + 4 + 8 + 16 + 32 s of retransmissions, then 64 s for the last answer. */
	sl_run(&b, 60000);
	CHECK(nsas(b.r[0]) == 1 && W.n[0] == 5);
	sl_run(&b, 70000);
	CHECK(W.n[0] == 6 && ike2_stats(b.r[0])->rtx == 5 && ike2_stats(b.r[0])->rtx_exhausted == 1);
	CHECK(nsas(b.r[0]) == 0 && sl_bundles(b.r[0]) == 0);
	CHECK(ike2_engine(b.r[1])->st.no_conf == 5);
	sb_free(&out);
	ev_timer_cancel(b.ev, &W.t);
	sl_free(&b);
}

TEST(ikev2_router_half_open_responder_times_out)
{
	struct seedlab b;
	CHECK(setup(&b, true));
	W.cut[0] = 1;		/* IKE_SA_INIT gets through, no IKE_AUTH ever does */
	struct strbuf out;
	sb_init(&out);
	sl_ping(&b, 1, &out);
	sl_run(&b, 1000);
	CHECK(nsas(b.r[1]) == 1 && ike2_engine(b.r[1])->sas->state == IKEV2_S_R_INIT_SENT);
	CHECK(sl_cmd(&b, 1, "show crypto ikev2 sa", &out) == 0 && strstr(sb_str(&out), "IN-NEG"));
	sl_run(&b, IKE2_HALF_OPEN_MS);
	CHECK(nsas(b.r[1]) == 0 && ike2_stats(b.r[1])->half_open_expired == 1);
	/* A gives up after its retransmissions and frees the inbound SPI it reserved. */
	sl_run(&b, 130000);
	CHECK(nsas(b.r[0]) == 0 && ike2_stats(b.r[0])->rtx_exhausted == 1 && ike2_stats(b.r[0])->spi_released == 1);
	CHECK(sl_bundles(b.r[0]) == 0 && sl_bundles(b.r[1]) == 0);
	sb_free(&out);
	ev_timer_cancel(b.ev, &W.t);
	sl_free(&b);
}

/* The seed's routers told `crypto ikev2 ...` at the CLI: the profile builder, not a hook, fills the conf. */
static bool configure_v2(struct seedlab *b, bool with_keyring)
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
	static const char *const no_keyring[] = { "crypto ikev2 profile PR", "no keyring local", "end", NULL };
	return sl_configure(b->r[0], a) && sl_configure(b->r[1], bb) && (with_keyring || sl_configure(b->r[0], no_keyring));
}

TEST(ikev2_router_from_ios_config)
{
	struct seedlab b;
	CHECK(sl_new(&b));
	CHECK(configure_v2(&b, true));
	struct strbuf out;
	sb_init(&out);
	CHECK(sl_ping(&b, 5, &out) == 5);
	CHECK(up_crosswise(&b));
	CHECK(ready_sa(b.r[0])->suite.dh == 19 && ready_sa(b.r[0])->child_suite.encr == IKEV2_ENCR_AES_CBC);
	CHECK(b.r[0]->ike->st.tx == 0);	/* no IKEv1, neither from the ping nor from recovery */
	CHECK(sl_cmd(&b, 0, "show crypto ipsec sa", &out) == 0);
	CHECK(strstr(sb_str(&out), "transform: esp-aes esp-sha-hmac") != NULL);
	sb_free(&out);
	sl_free(&b);
}

TEST(ikev2_router_incomplete_profile_is_named_and_counted)
{
	struct seedlab b;
	CHECK(sl_new(&b));
	CHECK(configure_v2(&b, false));
	struct strbuf out;
	sb_init(&out);
	CHECK(sl_ping(&b, 2, &out) == 0);
	CHECK(ike2_stats(b.r[0])->no_conf >= 1 && ike2_stats(b.r[0])->initiate_fail >= 1);
	CHECK(nsas(b.r[0]) == 0 && sl_bundles(b.r[0]) == 0);
	CHECK(b.r[0]->ike->st.tx == 0);		/* and no fallback to IKEv1 */
	bool named = false;
	for (unsigned k = 0; k < b.log[0].n && k < TAIL; k++)
		named |= strstr(b.log[0].tail[k], "IKEv2 with 10.2.2.2: crypto map testtag1 10:") != NULL;
	CHECK(named);
	CHECK(sl_cmd(&b, 0, "show crypto ikev2 stats", &out) == 0);
	CHECK(strstr(sb_str(&out), "no crypto map entry / profile for peer") != NULL);
	sb_free(&out);
	sl_free(&b);
}

/* B loses its Child SA without a word: INVALID_SPI over the IKE SA, A drops its side, CREATE_CHILD_SA. */
TEST(ikev2_router_lost_child_sa_recovered_by_invalid_spi)
{
	struct seedlab b;
	CHECK(setup(&b, false));
	struct strbuf out;
	sb_init(&out);
	CHECK(sl_ping(&b, 3, &out) == 3);
	const struct ikev2_sa *a = ready_sa(b.r[0]);
	uint32_t old_out = a->child_spi_out;
	CHECK(sl_cmd(&b, 1, "test crypto ipsec lose-sas peer 10.1.1.1", &out) == 0);
	CHECK(sl_bundles(b.r[1]) == 0 && nsas(b.r[1]) == 1);
	sl_run(&b, 1000);
	int ok = sl_ping(&b, 10, &out);
	if (ok < 8) {
		fprintf(stderr, "    %s\n", sb_str(&out));
		sl_dump(&b);
	}
	/* The echo that met the lost SA is gone; the next ones ride a new Child SA. */
	CHECK(ok >= 8);
	CHECK(ike2_stats(b.r[1])->invalid_spi_tx >= 1 && ike2_engine(b.r[0])->st.invalid_spi_rx >= 1);
	CHECK(ike2_engine(b.r[0])->st.child_created == 1);
	/* The same IKE SA on both sides, one bundle each, the old SPI gone. */
	CHECK(nsas(b.r[0]) == 1 && nsas(b.r[1]) == 1 && ready_sa(b.r[0]) == a);
	CHECK(sl_bundles(b.r[0]) == 1 && sl_bundles(b.r[1]) == 1);
	CHECK(!sadb_has_outbound_spi(b.r[0], 0x0a020202, 50, old_out));
	CHECK(b.r[0]->ike->st.tx == 0 && b.r[1]->ike->st.tx == 0);	/* never IKEv1 */
	sb_free(&out);
	sl_free(&b);
}

/* clear crypto sa on A: the Child SA goes at both ends (Delete), the IKE SA stays, traffic brings a new one. */
TEST(ikev2_router_clear_crypto_sa_deletes_child_at_peer)
{
	struct seedlab b;
	CHECK(setup(&b, false));
	struct strbuf out;
	sb_init(&out);
	CHECK(sl_ping(&b, 3, &out) == 3);
	CHECK(sl_cmd(&b, 0, "clear crypto sa", &out) == 0);
	sl_run(&b, 1000);
	CHECK(sl_bundles(b.r[0]) == 0 && sl_bundles(b.r[1]) == 0);
	CHECK(ike2_engine(b.r[1])->st.delete_child_rx == 1);
	CHECK(nsas(b.r[0]) == 1 && nsas(b.r[1]) == 1);
	CHECK(sl_ping(&b, 5, &out) == 5);
	CHECK(up_crosswise(&b) && ike2_engine(b.r[0])->st.child_created == 1);
	sb_free(&out);
	sl_free(&b);
}

/* Short Child SA lifetimes under a ping every second: CREATE_CHILD_SA rekeys, no echo lost. */
TEST(ikev2_router_child_rekey_under_traffic)
{
	static const char *const short_life[] = { "crypto ipsec security-association lifetime seconds 120", "end", NULL };
	struct seedlab b;
	CHECK(setup(&b, false));
	CHECK(sl_configure(b.r[0], short_life) && sl_configure(b.r[1], short_life));
	struct strbuf out;
	sb_init(&out);
	int sent = 0, replies = 0;
	for (int s = 0; s < 300; s++) {
		int ok = sl_ping(&b, 1, &out);
		sent++;
		replies += ok == 1;
		if (ok != 1 && sent - replies <= 2) {
			fprintf(stderr, "    echo %d lost:\n%s", sent, sb_str(&out));
			sl_dump(&b);
		}
		sl_run(&b, 1000);
	}
	uint64_t rk = ike2_engine(b.r[0])->st.child_rekeyed + ike2_engine(b.r[1])->st.child_rekeyed;
	fprintf(stderr, "    %d/%d echoes, Child SA rekeys %llu\n", replies, sent, (unsigned long long)rk);
	CHECK(replies == sent);
	CHECK(rk >= 2);
	CHECK(nsas(b.r[0]) == 1 && nsas(b.r[1]) == 1);
	CHECK(sl_bundles(b.r[0]) >= 1 && sl_bundles(b.r[0]) <= 2);
	sb_free(&out);
	sl_free(&b);
}

/* The profile's lifetime under a ping every second: the IKE SA is rekeyed (CREATE_CHILD_SA), no echo lost. */
TEST(ikev2_router_ike_rekey_under_traffic)
{
	static const char *const short_ike[] = { "crypto ikev2 profile PR", "lifetime 120", "end", NULL };
	struct seedlab b;
	CHECK(sl_new(&b));
	CHECK(configure_v2(&b, true));
	CHECK(sl_configure(b.r[0], short_ike) && sl_configure(b.r[1], short_ike));
	struct strbuf out;
	sb_init(&out);
	int sent = 0, replies = 0;
	for (int s = 0; s < 300; s++) {
		int ok = sl_ping(&b, 1, &out);
		sent++;
		replies += ok == 1;
		if (ok != 1 && sent - replies <= 2) {
			fprintf(stderr, "    echo %d lost:\n%s", sent, sb_str(&out));
			sl_dump(&b);
		}
		sl_run(&b, 1000);
	}
	fprintf(stderr, "    %d/%d echoes, IKE SA rekeys A %llu B %llu (started by A %llu, B %llu)\n", replies, sent,
		(unsigned long long)ike2_engine(b.r[0])->st.ike_rekeyed,
		(unsigned long long)ike2_engine(b.r[1])->st.ike_rekeyed,
		(unsigned long long)ike2_stats(b.r[0])->ike_rekey, (unsigned long long)ike2_stats(b.r[1])->ike_rekey);
	CHECK(replies == sent);
	/* 300 s of 120 s IKE SAs, replaced at 108 s: at least twice, and the old ones gone. */
	CHECK(ike2_engine(b.r[0])->st.ike_rekeyed >= 2);
	CHECK(nsas(b.r[0]) == 1 && nsas(b.r[1]) == 1);
	CHECK(sl_bundles(b.r[0]) == 1 && sl_bundles(b.r[1]) == 1);
	CHECK(sl_cmd(&b, 0, "show crypto ikev2 sa", &out) == 0 && strstr(sb_str(&out), "Life/Active Time: 120/"));
	sb_free(&out);
	sl_free(&b);
}

/* `dpd 10 2 periodic`: a liveness check every 10 s of silence; a peer that stops answering is dead after 5 retries. */
TEST(ikev2_router_dpd_declares_silent_peer_dead)
{
	static const char *const dpd[] = { "crypto ikev2 profile PR", "dpd 10 2 periodic", "end", NULL };
	struct seedlab b;
	CHECK(setup(&b, true));
	for (int i = 0; i < 2; i++) {
		ike2_set_conf(b.r[i], ikev2_conf_entry_for_peer, ikev2_conf_build);
		ike2_set_all_entries(b.r[i], false);
	}
	CHECK(configure_v2(&b, true) && sl_configure(b.r[0], dpd));
	struct strbuf out;
	sb_init(&out);
	CHECK(sl_ping(&b, 3, &out) == 3);
	sl_run(&b, 25000);
	/* Alive: two checks answered, nothing else changed. */
	CHECK(ike2_engine(b.r[0])->st.liveness_tx == 2 && ike2_engine(b.r[1])->st.liveness_answered == 2);
	CHECK(nsas(b.r[0]) == 1 && sl_bundles(b.r[0]) == 1);
	CHECK(sl_cmd(&b, 0, "show crypto ikev2 sa detailed", &out) == 0 &&
	      strstr(sb_str(&out), "DPD configured for 10 seconds, retry 2"));
	W.cut[1] = W.n[1];	/* B's IKE answers are lost from now on */
	sl_run(&b, 10000 + 5 * 2000 + 2000 + 500);
	CHECK(ike2_stats(b.r[0])->dpd_dead == 1 && ike2_stats(b.r[0])->rtx == 5);
	CHECK(nsas(b.r[0]) == 0 && sl_bundles(b.r[0]) == 0);
	CHECK(b.r[0]->ike->st.tx == 0);
	sb_free(&out);
	ev_timer_cancel(b.ev, &W.t);
	sl_free(&b);
}

/* The phase-2 restore's entry point (src/recovery) over IKEv2: a Child SA without traffic, by CREATE_CHILD_SA. */
TEST(ikev2_router_phase2_start_creates_child_without_traffic)
{
	struct seedlab b;
	CHECK(setup(&b, false));
	struct strbuf out;
	sb_init(&out);
	CHECK(sl_ping(&b, 3, &out) == 3);
	CHECK(sl_cmd(&b, 0, "clear crypto sa", &out) == 0);
	sl_run(&b, 1000);
	CHECK(sl_bundles(b.r[0]) == 0 && sl_bundles(b.r[1]) == 0 && nsas(b.r[1]) == 1);
	/* B's flow: its inside host to A's. */
	struct ipsec_flow f = { 0x0a000202, 0xffffffffu, 0x0a000001, 0xffffffffu, 0, 0, 0 };
	CHECK(ike_phase2_start(b.r[1], 0x0a010101, "testtag1", 10, &f) == 1);
	CHECK(ike_phase2_busy(b.r[1], 0x0a010101, &f));
	CHECK(ike_phase2_start(b.r[1], 0x0a010101, "testtag1", 10, &f) == 0);
	sl_run(&b, 1000);
	CHECK(!ike_phase2_busy(b.r[1], 0x0a010101, &f));
	CHECK(up_crosswise(&b) && ike2_engine(b.r[1])->st.child_created == 1);
	uint64_t acq = ike2_stats(b.r[0])->acquires;
	CHECK(sl_ping(&b, 3, &out) == 3 && ike2_stats(b.r[0])->acquires == acq);
	/* No IKE SA with the peer: nothing to ask. */
	CHECK(ike_phase2_start(b.r[1], 0x0a030303, "testtag1", 10, &f) == -1);
	sb_free(&out);
	sl_free(&b);
}

/*
 * RFC 7296 §2.4: B restarts and comes back with INITIAL_CONTACT; A drops
 * its stale IKE SAs with B (and their Child SAs) without a word over them,
 * and ends with exactly one IKE SA with B, over which traffic flows.
 */
TEST(ikev2_router_peer_restart_initial_contact_replaces_stale_sa)
{
	struct seedlab b;
	CHECK(setup(&b, false));
	struct strbuf out;
	sb_init(&out);
	CHECK(sl_ping(&b, 3, &out) == 3 && up_crosswise(&b));
	/* First contact: A says so, B has nothing to drop. */
	CHECK(ike2_engine(b.r[0])->st.initial_contact_tx == 1 && ike2_engine(b.r[1])->st.initial_contact_rx == 1);
	CHECK(ike2_stats(b.r[1])->initial_contact_deleted == 0);
	/* A second IKE SA while one is up: no INITIAL_CONTACT, B keeps both. */
	CHECK(ikev2_initiate(ike2_engine(b.r[0]), 0x0a010101, 0x0a020202) != NULL);
	sl_run(&b, 1000);
	CHECK(ike2_engine(b.r[0])->st.initial_contact_tx == 1 && ike2_engine(b.r[1])->st.initial_contact_rx == 1);
	CHECK(nsas(b.r[0]) == 2 && nsas(b.r[1]) == 2);

	CHECK(sl_reboot_b(&b));
	ike2_set_conf(b.r[1], t_entry, t_build);
	ike2_set_all_entries(b.r[1], true);
	/* B's traffic brings it back (strongSwan's auto=start after a restart). */
	CHECK(sl_cmd(&b, 1, "ping 10.0.0.1 source 10.0.2.2 repeat 5 timeout 1", &out) == 0);
	CHECK(strstr(sb_str(&out), "Success rate is") != NULL);
	int again = sl_ping(&b, 5, &out);
	if (again != 5) {
		fprintf(stderr, "    after restart: %s\n", sb_str(&out));
		sl_dump(&b);
	}
	CHECK(again == 5);
	CHECK(ike2_engine(b.r[1])->st.initial_contact_tx == 1 && ike2_engine(b.r[0])->st.initial_contact_rx == 1);
	CHECK(ike2_stats(b.r[0])->initial_contact_deleted == 2);
	CHECK(nsas(b.r[0]) == 1 && nsas(b.r[1]) == 1 && up_crosswise(&b));
	CHECK(sl_cmd(&b, 0, "show crypto ikev2 stats", &out) == 0);
	CHECK(field(sb_str(&out), "IKE SAs replaced (peer's INITIAL_CONTACT)") == 2);
	sb_free(&out);
	ev_timer_cancel(b.ev, &W.t);
	sl_free(&b);
}

/*
 * `crypto ikev2 fragmentation mtu 200` on both routers (RFC 7383): IKE_AUTH
 * leaves in SKF fragments no bigger than the MTU, the first fragment of
 * A's request is lost and the retransmission of every fragment repairs it;
 * show commands say so.
 */
TEST(ikev2_router_fragmentation_mtu_and_lost_fragment)
{
	static const char *const frag[] = { "crypto ikev2 fragmentation mtu 200", NULL };
	struct seedlab b;
	CHECK(setup(&b, true));
	CHECK(sl_configure(b.r[0], frag) && sl_configure(b.r[1], frag));
	W.drop[0] = 1;			/* A's datagram 1: IKE_AUTH fragment #1 */
	struct strbuf out;
	sb_init(&out);
	sl_ping(&b, 1, &out);
	sl_run(&b, 8000);
	CHECK(up_crosswise(&b));
	CHECK(ike2_stats(b.r[0])->rtx == 1);
	/* RFC 7296 §2.9: A proposed the held echo's selectors first (ICMP, host to host). */
	const struct ikev2_peer_conf *pc = &ready_sa(b.r[0])->conf;
	CHECK(pc->has_pkt && pc->pkt_local.proto == 1 && pc->pkt_local.saddr == 0x0a000001 &&
	      pc->pkt_remote.saddr == 0x0a000202 && pc->pkt_remote.eaddr == 0x0a000202);
	const struct ikev2_engine *ea = ike2_engine(b.r[0]), *eb = ike2_engine(b.r[1]);
	CHECK(ea->st.frag_tx > 1 && eb->st.frag_tx > 1 && ea->st.frag_reassembled == 1 && eb->st.frag_reassembled == 1);
	/* Every IKE datagram after IKE_SA_INIT fits the MTU (the captures are IP packets). */
	for (int s = 0; s < 2; s++)
		for (int k = 1; k < W.n[s] && k < CAP; k++)
			CHECK(W.len[s][k] <= 200);
	CHECK(sl_cmd(&b, 0, "show crypto ikev2 sa detailed", &out) == 0);
	CHECK(strstr(sb_str(&out), "Fragmentation configured.") &&
	      strstr(sb_str(&out), "IETF Std Fragmentation MTU in use: 200 bytes."));
	CHECK(sl_cmd(&b, 1, "show crypto ikev2 stats", &out) == 0);
	CHECK(field(sb_str(&out), "messages reassembled") == 1 && field(sb_str(&out), "fragments sent") > 1);
	CHECK(sl_cmd(&b, 1, "show running-config", &out) == 0);
	CHECK(strstr(sb_str(&out), "\ncrypto ikev2 fragmentation mtu 200\n") != NULL);
	CHECK(sl_ping(&b, 3, &out) == 3);
	sb_free(&out);
	ev_timer_cancel(b.ev, &W.t);
	sl_free(&b);
}

/*
 * RFC 7296 §2.9 as responder: B has two crypto map entries for A, the first
 * (seq 5) for another host.  A's ping matches its seq 10 and A proposes the
 * echo's selectors first; B narrows within the entry that holds them (seq
 * 10), not within the first entry for the peer (which would be
 * TS_UNACCEPTABLE), and the Child SA carries the ping.
 */
TEST(ikev2_router_responder_picks_entry_by_packet_selector)
{
	static const char *const a5[] = {
		"access-list 160 permit ip host 10.0.0.1 host 10.0.2.99",
		"crypto map testtag1 5 ipsec-isakmp", "set peer 10.2.2.2", "set transform-set v2",
		"set ikev2-profile PR", "match address 160", "end", NULL,
	};
	static const char *const b5[] = {
		"access-list 160 permit ip host 10.0.2.99 host 10.0.0.1",
		"crypto map testtag1 5 ipsec-isakmp", "set peer 10.1.1.1", "set transform-set v2",
		"set ikev2-profile PR", "match address 160", "end", NULL,
	};
	struct seedlab b;
	CHECK(sl_new(&b));
	CHECK(configure_v2(&b, true));
	CHECK(sl_configure(b.r[0], a5) && sl_configure(b.r[1], b5));
	struct strbuf out;
	sb_init(&out);
	int ok = sl_ping(&b, 5, &out);
	if (ok != 5) {
		fprintf(stderr, "    ping: %s\n", sb_str(&out));
		sl_cmd(&b, 1, "show crypto ikev2 stats", &out);
		fprintf(stderr, "%s\n", sb_str(&out));
	}
	CHECK(ok == 5);
	CHECK(up_crosswise(&b));
	const struct ikev2_child_rec *c = only_child(ready_sa(b.r[1]));
	CHECK(c && c->local.saddr == 0x0a000202 && c->local.eaddr == 0x0a000202 && c->remote.saddr == 0x0a000001);
	CHECK(ike2_engine(b.r[1])->st.ts_unacceptable == 0);
	sb_free(&out);
	sl_free(&b);
}
