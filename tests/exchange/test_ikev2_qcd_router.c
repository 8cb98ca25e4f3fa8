/*
 * Quick Crash Detection (RFC 6290) between two routers (src/ike/ike2_qcd.c
 * on the engine's src/ikev2/ikev2_qcd.c): the seed's routers configured
 * for IKEv2 at the CLI, each with its own state directory.  B restarts
 * with the same secret file: A's next request (its DPD check) is answered
 * with INVALID_IKE_SPI and the token, A drops the dead SA in that one round
 * trip and starts a new one.  With another secret, or a forged token, A's
 * SA stays until DPD decides.  And the answers are limited per source.
 */
#include "../unit/t.h"
#include "seedlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/cmdtree.h"
#include "core/strbuf.h"
#include "ike/ike.h"
#include "ike/ike2_glue.h"
#include "ikev2/ikev2_msg.h"
#include "ikev2/ikev2_sa.h"
#include "net/inet.h"
#include "net/port_mem.h"

static const char *const OUT[2] = { "FastEthernet0/0", "Ethernet1/0" };
#define ADDR_A 0x0a010101u
#define ADDR_B 0x0a020202u

/* Router i's IKEv2 configuration at the CLI; A checks liveness after 10 s of silence. */
static bool configure_v2(struct router *r, int i)
{
	static const char *const a[] = {
		"crypto ikev2 proposal P", "encryption aes-cbc-128", "integrity sha256", "group 19", "exit",
		"crypto ikev2 policy P", "proposal P", "exit",
		"crypto ikev2 keyring K", "peer B", "address 10.2.2.2", "pre-shared-key s3cret", "exit", "exit",
		"crypto ikev2 profile PR", "match identity remote address 10.2.2.2 255.255.255.255",
		"authentication remote pre-share", "authentication local pre-share", "keyring local K",
		"dpd 10 2 on-demand", "exit",
		"crypto ipsec transform-set v2 esp-aes esp-sha-hmac", "exit",
		"crypto map testtag1 10 ipsec-isakmp", "set transform-set v2", "set ikev2-profile PR", "end", NULL,
	};
	static const char *const b[] = {
		"crypto ikev2 proposal P", "encryption aes-cbc-128", "integrity sha256", "group 19", "exit",
		"crypto ikev2 policy P", "proposal P", "exit",
		"crypto ikev2 keyring K", "peer A", "address 10.1.1.1", "pre-shared-key s3cret", "exit", "exit",
		"crypto ikev2 profile PR", "match identity remote address 10.1.1.1 255.255.255.255",
		"authentication remote pre-share", "authentication local pre-share", "keyring local K", "exit",
		"crypto ipsec transform-set v2 esp-aes esp-sha-hmac", "exit",
		"crypto map testtag1 10 ipsec-isakmp", "set transform-set v2", "set ikev2-profile PR", "end", NULL,
	};
	return sl_configure(r, i ? b : a);
}

struct qlab {
	struct seedlab b;
	char dir[3][64];	/* A's, B's, and another state directory */
};

/* spigotd --state-dir: set before the router takes its config. */
static bool with_state_dir(struct router *r, const char *dir, int i)
{
	snprintf(r->state_dir, sizeof(r->state_dir), "%s", dir);
	return configure_v2(r, i);
}

static bool ql_new(struct qlab *q)
{
	memset(q, 0, sizeof(*q));
	for (int i = 0; i < 3; i++) {
		snprintf(q->dir[i], sizeof(q->dir[i]), "/tmp/spigot-qcdx-XXXXXX");
		if (!mkdtemp(q->dir[i]))
			return false;
	}
	return sl_new(&q->b) && with_state_dir(q->b.r[0], q->dir[0], 0) && with_state_dir(q->b.r[1], q->dir[1], 1);
}

static void ql_free(struct qlab *q)
{
	sl_free(&q->b);
	for (int i = 0; i < 3; i++) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", q->dir[i]);
		if (system(cmd) != 0)
			fprintf(stderr, "    could not remove %s\n", q->dir[i]);
	}
}

static struct ikev2_sa *ready_sa(struct router *r)
{
	for (struct ikev2_sa *sa = ike2_engine(r)->sas; sa; sa = sa->next)
		if (sa->state == IKEV2_S_READY)
			return sa;
	return NULL;
}

static int nready(struct router *r)
{
	int n = 0;
	for (const struct ikev2_sa *sa = ike2_engine(r)->sas; sa; sa = sa->next)
		n += sa->state == IKEV2_S_READY;
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
	uint16_t ck = inet_cksum(f, 20);	/* big-endian on the wire */
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

/* B restarts; the same (same_secret) or another state directory, the same config. */
static bool restart_b(struct qlab *q, bool same_secret)
{
	return sl_reboot_b(&q->b) && with_state_dir(q->b.r[1], q->dir[same_secret ? 1 : 2], 1);
}

TEST(ikev2_router_qcd_restart_detected_in_one_round_trip)
{
	struct qlab q;
	CHECK(ql_new(&q));
	struct seedlab *b = &q.b;
	struct strbuf out;
	sb_init(&out);
	/* Each router made its secret on its first start: 0600, 32 bytes. */
	char p[128];
	struct stat st;
	snprintf(p, sizeof(p), "%s/ikev2-qcd.key", q.dir[1]);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 32);
	CHECK(sl_cmd(b, 0, "show crypto ikev2 stats", &out) == 0);
	CHECK(strstr(sb_str(&out), "Quick Crash Detection (RFC 6290): on, secret in /tmp/spigot-qcdx-") != NULL);
	CHECK(sl_ping(b, 3, &out) == 3);
	CHECK(sl_cmd(b, 0, "show crypto ikev2 stats", &out) == 0);
	CHECK(field(sb_str(&out), "tokens received in IKE_AUTH") == 1);
	uint64_t ike_before = ike2_engine(b->r[0])->st.ready;
	/* debug crypto ikev2 names the SA by peer and SPIs (what a capture and `show ... detailed` show). */
	char name[80];
	const struct ikev2_sa *old = ready_sa(b->r[0]);
	CHECK(old != NULL);
	snprintf(name, sizeof(name), "IKEv2:(SA 10.2.2.2 ");
	for (int k = 0; k < 16; k++)
		snprintf(name + strlen(name), 4, "%02x%s", (k < 8 ? old->spi_i : old->spi_r)[k % 8], k == 7 ? "/" : "");
	CHECK(sl_cmd(b, 0, "debug crypto ikev2", &out) == 0);

	CHECK(restart_b(&q, true));
	CHECK(sl_cmd(b, 1, "show logging", &out) == 0);
	CHECK(strstr(sb_str(&out), "Quick Crash Detection on: secret read from") != NULL);
	/* A hears nothing for 10 s and checks (DPD): one round trip later its SA is gone ... */
	sl_run(b, 10000 + 200);
	CHECK(ike2_engine(b->r[1])->st.qcd_sent == 1);
	CHECK(ike2_engine(b->r[0])->st.qcd_accepted == 1);
	CHECK(ike2_stats(b->r[0])->rtx == 0 && ike2_stats(b->r[0])->dpd_dead == 0);
	/* ... and A, which started that SA for its traffic, has a new one already. */
	CHECK(ike2_engine(b->r[0])->st.ready == ike_before + 1 && nready(b->r[0]) == 1 && nready(b->r[1]) == 1);
	int again = sl_ping(b, 3, &out);
	if (again != 3)
		sl_dump(b);
	CHECK(again == 3);
	CHECK(sl_cmd(b, 0, "show crypto ikev2 stats", &out) == 0);
	CHECK(field(sb_str(&out), "tokens accepted (peer lost the SA)") == 1 &&
	      field(sb_str(&out), "reconnects after an accepted token") == 1);
	CHECK(sl_cmd(b, 1, "show crypto ikev2 stats", &out) == 0);
	CHECK(field(sb_str(&out), "tokens sent (INVALID_IKE_SPI)") == 1);
	CHECK(sl_cmd(b, 0, "show logging", &out) == 0);
	CHECK(strstr(sb_str(&out), "%CRYPTO-5-IKEV2_QCD_PEER_LOST") != NULL);
	const char *dbg = strstr(sb_str(&out), name);
	if (!dbg)
		fprintf(stderr, "    no \"%s\" in:\n%s\n", name, sb_str(&out));
	CHECK(dbg && !strncmp(dbg + strlen(name), "):Peer lost the IKE SA (QCD token matches, message ID ", 54));
	CHECK(!strstr(sb_str(&out), "SA ID = 0x"));
	sb_free(&out);
	ql_free(&q);
}

TEST(ikev2_router_qcd_other_secret_deletes_nothing_early)
{
	struct qlab q;
	CHECK(ql_new(&q));
	struct seedlab *b = &q.b;
	struct strbuf out;
	sb_init(&out);
	CHECK(sl_ping(b, 3, &out) == 3);
	CHECK(restart_b(&q, false));
	sl_run(b, 10000 + 200);
	/* B answered with a token of its new secret: A counts it and keeps its SA ... */
	CHECK(ike2_engine(b->r[1])->st.qcd_sent == 1);
	CHECK(ike2_engine(b->r[0])->st.qcd_rejected == 1 && ike2_engine(b->r[0])->st.qcd_accepted == 0);
	CHECK(nready(b->r[0]) == 1);
	/* ... until DPD gives up on it: 5 retransmissions 2 s apart, then 2 s for the last answer. */
	sl_run(b, 6 * 2000 + 500);
	CHECK(ike2_stats(b->r[0])->dpd_dead == 1 && ike2_engine(b->r[0])->st.qcd_accepted == 0);
	CHECK(sl_cmd(b, 0, "show crypto ikev2 stats", &out) == 0);
	CHECK(field(sb_str(&out), "tokens rejected") >= 1);
	sb_free(&out);
	ql_free(&q);
}

TEST(ikev2_router_qcd_forged_token_changes_nothing)
{
	struct qlab q;
	CHECK(ql_new(&q));
	struct seedlab *b = &q.b;
	struct strbuf out;
	sb_init(&out);
	CHECK(sl_ping(b, 3, &out) == 3);
	struct ikev2_sa *a = ready_sa(b->r[0]);
	CHECK(a != NULL && ikev2_liveness(a) == 0);
	/* The answer an attacker would forge: right SPIs and message ID, a token it had to guess. */
	uint8_t buf[200], tok[IKEV2_QCD_TOKEN_LEN];
	memset(tok, 0x5a, sizeof(tok));
	struct ikev2_hdr h = { .exch = IKEV2_EXCH_INFORMATIONAL, .msgid = a->req_out, .flags = IKEV2_FLAG_RESPONSE };
	memcpy(h.spi_i, a->spi_i, 8);
	memcpy(h.spi_r, a->spi_r, 8);
	struct ikev2_wr w;
	ikev2_wr_init(&w, buf, sizeof(buf), &h);
	ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_INVALID_IKE_SPI, NULL, 0);
	ikev2_put_notify(&w, IKEV2_PROTO_IKE, NULL, 0, IKEV2_N_QUICK_CRASH_DETECTION, tok, sizeof(tok));
	size_t n = ikev2_wr_finish(&w);
	CHECK(n > 0);
	inject(b->r[0], 0, ADDR_B, ADDR_A, buf, n);
	CHECK(ike2_engine(b->r[0])->st.qcd_rejected == 1 && a->state == IKEV2_S_READY);
	/* B's real answer still ends the check, and traffic flows on the same SA. */
	sl_run(b, 500);
	CHECK(ready_sa(b->r[0]) == a && !a->req_pending && ike2_engine(b->r[0])->st.qcd_accepted == 0);
	CHECK(sl_ping(b, 3, &out) == 3 && ike2_engine(b->r[0])->st.ready == 1);
	sb_free(&out);
	ql_free(&q);
}

/* The INVALID_IKE_SPI answer goes to unauthenticated input: one a second per source, 10 a second in all. */
TEST(ikev2_router_qcd_answers_limited_per_source_and_in_all)
{
	struct qlab q;
	CHECK(ql_new(&q));
	struct seedlab *b = &q.b;
	struct strbuf out;
	sb_init(&out);
	CHECK(sl_ping(b, 3, &out) == 3);
	struct ikev2_sa *a = ready_sa(b->r[0]);
	CHECK(a != NULL && ikev2_liveness(a) == 0);
	uint8_t req[1024];
	size_t len = a->req_len;
	CHECK(len <= sizeof(req));
	memcpy(req, a->req_buf, len);
	CHECK(restart_b(&q, true));
	const struct ikev2_stats *e = &ike2_engine(b->r[1])->st;
	for (int k = 0; k < 5; k++)
		inject(b->r[1], 1, ADDR_A, ADDR_B, req, len);
	CHECK(e->qcd_sent == 1 && e->qcd_limited == 4);
	sl_run(b, 1000);
	inject(b->r[1], 1, ADDR_A, ADDR_B, req, len);
	CHECK(e->qcd_sent == 2);
	/* Many sources at once: the global budget (10 a second) holds. */
	sl_run(b, 2000);
	uint64_t sent = e->qcd_sent;
	for (uint32_t k = 0; k < 30; k++)
		inject(b->r[1], 1, 0x0a630000u + k, ADDR_B, req, len);
	CHECK(e->qcd_sent - sent == 10);
	CHECK(sl_cmd(b, 1, "show crypto ikev2 stats", &out) == 0);
	CHECK(field(sb_str(&out), "  of which per source") == 4);
	CHECK(field(sb_str(&out), "answers over the limit") == 4 + 20);
	sb_free(&out);
	ql_free(&q);
}

/*
 * RFC 6290 §2.4: the token names the IKE SA's SPIs, so a rekey (new SPIs)
 * needs a new one.  The profile's lifetime makes A rekey the IKE SA; B then
 * restarts with the same secret and A must still learn in one round trip.
 */
TEST(ikev2_router_qcd_survives_ike_rekey)
{
	static const char *const short_ike[] = { "crypto ikev2 profile PR", "lifetime 120", "end", NULL };
	struct qlab q;
	CHECK(ql_new(&q));
	struct seedlab *b = &q.b;
	CHECK(sl_configure(b->r[0], short_ike) && sl_configure(b->r[1], short_ike));
	struct strbuf out;
	sb_init(&out);
	CHECK(sl_ping(b, 3, &out) == 3);
	const struct ikev2_sa *first = ready_sa(b->r[0]);
	CHECK(first != NULL);
	uint8_t spi_i[8];
	memcpy(spi_i, first->spi_i, 8);
	/* Replaced at 90% of 120 s. */
	sl_run(b, 112000);
	CHECK(ike2_engine(b->r[0])->st.ike_rekeyed == 1 && nready(b->r[0]) == 1 && nready(b->r[1]) == 1);
	const struct ikev2_sa *cur = ready_sa(b->r[0]);
	CHECK(cur != NULL && memcmp(cur->spi_i, spi_i, 8) != 0);
	CHECK(cur->qcd_peer_len == IKEV2_QCD_TOKEN_LEN && ready_sa(b->r[1])->qcd_peer_len == IKEV2_QCD_TOKEN_LEN);
	CHECK(sl_ping(b, 2, &out) == 2);
	uint64_t rtx = ike2_stats(b->r[0])->rtx, ike_before = ike2_engine(b->r[0])->st.ready;

	CHECK(restart_b(&q, true));
	sl_run(b, 10000 + 200);
	CHECK(ike2_engine(b->r[1])->st.qcd_sent == 1);
	CHECK(ike2_engine(b->r[0])->st.qcd_accepted == 1 && ike2_engine(b->r[0])->st.qcd_rejected == 0);
	CHECK(ike2_stats(b->r[0])->rtx == rtx && ike2_stats(b->r[0])->dpd_dead == 0);
	CHECK(ike2_engine(b->r[0])->st.ready == ike_before + 1 && nready(b->r[0]) == 1 && nready(b->r[1]) == 1);
	CHECK(sl_ping(b, 3, &out) == 3);
	CHECK(sl_cmd(b, 0, "show crypto ikev2 stats", &out) == 0);
	CHECK(field(sb_str(&out), "tokens accepted (peer lost the SA)") == 1);
	CHECK(field(sb_str(&out), "tokens received in IKE SA rekeys") == 1);
	sb_free(&out);
	ql_free(&q);
}
