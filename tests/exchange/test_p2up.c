/*
 * Phase-2 restore and hello on start (issue 12), on the seed's two routers
 * with a real data plane (seedlab.h): whoever restarted or lost its SAs, and
 * whichever side alone sends, traffic flows again without the other side
 * having to send; `contact-peers-on-start` brings SAs up with no traffic at
 * all; a map with many flows toward one peer is brought up a few at a time.
 *
 * A spigot peer renegotiates on INVALID-SPI by itself, so some of these
 * would pass without phase-2 restore; each also checks that the router
 * that lost its SAs brought them back itself (it initiated the Quick Mode),
 * which is what saves a peer that ignores INVALID-SPI (tests/netns for
 * strongSwan).
 */
#include "../unit/t.h"
#include "seedlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/cmdtree.h"
#include "core/pkt.h"
#include "ike/ike_int.h"
#include "ipsec/ipsec_int.h"
#include "net/port_mem.h"
#include "recovery/recovery_state.h"

static bool configure(struct router *r, const char *const *lines, size_t n)
{
	struct strbuf out;
	sb_init(&out);
	struct cli_ctx ctx = { .r = r, .cfg = r->cfg, .out = &out, .mode = MODE_CONFIG };
	bool ok = true;
	for (size_t i = 0; i < n; i++)
		if (cmd_execute(&ctx, lines[i]) != 0) {
			fprintf(stderr, "    \"%s\": %s\n", lines[i], sb_str(&out));
			ok = false;
		}
	sb_free(&out);
	router_config_changed(r);
	return ok;
}

static bool config1(struct router *r, const char *line)
{
	return configure(r, &line, 1);
}

/* Router i pings the other's inside address from its own: the replies, or -1. */
static int ping_from(struct seedlab *b, int i, int count, struct strbuf *out)
{
	char line[128];
	snprintf(line, sizeof(line), "ping %s source %s repeat %d timeout 1",
		 i ? "10.0.0.1" : "10.0.2.2", i ? "10.0.2.2" : "10.0.0.1", count);
	if (sl_cmd(b, i, line, out) != 0)
		return -1;
	const char *s = strstr(sb_str(out), "Success rate is ");
	int pct, ok, n;
	if (!s || sscanf(s, "Success rate is %d percent (%d/%d)", &pct, &ok, &n) != 3 || n != count)
		return -1;
	return ok;
}

/* Router i's newest record: did it initiate the Quick Mode? */
static int newest_initiator(const struct router *r)
{
	const struct ike_record *best = NULL;
	for (int k = 0; k < IKE_MAX_RECORDS; k++)
		if (r->ike->rec[k].used && (!best || r->ike->rec[k].id > best->id))
			best = &r->ike->rec[k];
	return best ? best->initiator : -1;
}

static uint64_t restores(const struct router *r)
{
	const struct p2up_counters *c = &r->rec->p2c;
	return c->jobs[P2UP_RECOVERY] + c->jobs[P2UP_CONTACT] + c->jobs[P2UP_NOTIFY] +
	       c->jobs[P2UP_HELLO];
}

static bool up_pair(struct seedlab *b, struct strbuf *out)
{
	if (!sl_new(b))
		return false;
	if (!b->cable)
		return false;
	bool ok = ping_from(b, 0, 5, out) >= 4;
	/* Past the restore hold-downs, as a real loss would be. */
	sl_run(b, 3000);
	return ok && sl_bundles(b->r[0]) == 1 && sl_bundles(b->r[1]) == 1;
}

/*
 * One case: `lose` (on router `who`) then only router `sender` sends.  The
 * second ping round must be clean, and the router that lost its SAs must
 * have brought them back itself when the other side was the only sender.
 */
static void one_way(int who, bool reboot, int sender)
{
	struct seedlab b;
	struct strbuf out;
	sb_init(&out);
	CHECK(up_pair(&b, &out));
	if (!b.r[0] || !b.r[1] || !b.cable) {
		sl_free(&b);
		sb_free(&out);
		return;
	}
	if (reboot) {
		CHECK(who == 1);
		CHECK(sl_reboot_b(&b));
	} else {
		sl_cmd(&b, who, "test crypto ipsec lose-sas", &out);
	}
	CHECK(sl_bundles(b.r[who]) == 0);
	int first = ping_from(&b, sender, 5, &out);
	int second = ping_from(&b, sender, 5, &out);
	bool ok = first >= 3 && second == 5 && sl_bundles(b.r[0]) >= 1 && sl_bundles(b.r[1]) >= 1;
	if (sender != who) {
		/* Only the peer sent: the one that lost its SAs restored them. */
		ok = ok && restores(b.r[who]) >= 1 && b.r[who]->rec->p2c.qm_started >= 1 &&
		     newest_initiator(b.r[who]) == 1;
	}
	if (!ok) {
		fprintf(stderr, "    lost on %c (%s), %c sends: ping %d/5 then %d/5, bundles A=%d B=%d, "
				"restores %llu, QMs %llu\n",
			'A' + who, reboot ? "reboot" : "lose-sas", 'A' + sender, first, second,
			sl_bundles(b.r[0]), sl_bundles(b.r[1]), (unsigned long long)restores(b.r[who]),
			(unsigned long long)b.r[who]->rec->p2c.qm_started);
		sl_dump(&b);
	}
	CHECK(ok);
	sl_free(&b);
	sb_free(&out);
}

TEST(p2up_reboot_b_only_a_sends) { one_way(1, true, 0); }
TEST(p2up_reboot_b_only_b_sends) { one_way(1, true, 1); }
TEST(p2up_lose_sas_b_only_a_sends) { one_way(1, false, 0); }
TEST(p2up_lose_sas_b_only_b_sends) { one_way(1, false, 1); }
TEST(p2up_lose_sas_a_only_a_sends) { one_way(0, false, 0); }
TEST(p2up_lose_sas_a_only_b_sends) { one_way(0, false, 1); }

/* The restore is a switch: off, the rebooted router waits for the peer. */
TEST(p2up_off_leaves_it_to_the_peer)
{
	struct seedlab b;
	struct strbuf out;
	sb_init(&out);
	CHECK(up_pair(&b, &out));
	if (!b.cable) {
		sl_free(&b);
		sb_free(&out);
		return;
	}
	CHECK(sl_reboot_b(&b));
	CHECK(config1(b.r[1], "no crypto isakmp invalid-spi-recovery restore-phase2"));
	CHECK(!b.r[1]->cfg->isr.restore_phase2);
	ping_from(&b, 0, 5, &out);
	/* A (spigot) renegotiated on INITIAL-CONTACT / INVALID-SPI; B did not. */
	CHECK(restores(b.r[1]) == 0 && b.r[1]->rec->p2c.qm_started == 0);
	CHECK(newest_initiator(b.r[1]) == 0);
	CHECK(ping_from(&b, 0, 5, &out) == 5);
	sl_cmd(&b, 1, "show running-config", &out);
	CHECK(strstr(sb_str(&out), "no crypto isakmp invalid-spi-recovery restore-phase2\n") != NULL);
	sl_cmd(&b, 1, "show crypto isakmp invalid-spi-recovery", &out);
	CHECK(strstr(sb_str(&out), "IPsec SA restore: disabled") != NULL);
	sl_free(&b);
	sb_free(&out);
}

/* Writes the seed's router B config plus `extra` before `end`; returns its path. */
static bool cfg_with(const char *seed, const char *extra, char *path, size_t n)
{
	snprintf(path, n, "/tmp/spigot-p2up-%d.cfg", (int)getpid());
	FILE *in = fopen(seed, "r"), *o = fopen(path, "w");
	bool ok = in && o;
	char line[1024];
	while (ok && fgets(line, sizeof(line), in)) {
		if (!strcmp(line, "end\n"))
			fputs(extra, o);
		fputs(line, o);
	}
	if (in)
		fclose(in);
	if (o)
		fclose(o);
	return ok;
}

/* B comes back with contact-peers-on-start: SAs are up before anyone sends. */
TEST(p2up_contact_peers_on_start_no_traffic)
{
	struct seedlab b;
	struct strbuf out;
	sb_init(&out);
	CHECK(up_pair(&b, &out));
	if (!b.cable) {
		sl_free(&b);
		sb_free(&out);
		return;
	}
	char path[256];
	CHECK(cfg_with(b.cfg[1], "crypto isakmp invalid-spi-recovery contact-peers-on-start\n", path,
		       sizeof(path)));
	snprintf(b.cfg[1], sizeof(b.cfg[1]), "%s", path);
	int old_a = b.r[0]->ipsec->bundles ? b.r[0]->ipsec->bundles->id : 0;
	CHECK(sl_reboot_b(&b));
	unlink(path);
	CHECK(b.r[1]->cfg->isr.contact_on_start);
	sl_run(&b, 2000);
	/* A dropped the old SAs on INITIAL-CONTACT; B brought up new ones. */
	CHECK(sl_bundles(b.r[0]) == 1 && sl_bundles(b.r[1]) == 1);
	CHECK(b.r[0]->ipsec->bundles && b.r[0]->ipsec->bundles->id != old_a);
	CHECK(b.r[0]->ike->st.initial_contact_rx >= 1);
	CHECK(b.r[1]->rec->p2c.hello_contacted == 1 && newest_initiator(b.r[1]) == 1);
	CHECK(b.log[1].inv_spi == 0);
	/* The first echo of either side goes through. */
	CHECK(ping_from(&b, 0, 5, &out) == 5);
	CHECK(ping_from(&b, 1, 5, &out) == 5);
	sl_cmd(&b, 1, "show running-config", &out);
	CHECK(strstr(sb_str(&out), "crypto isakmp invalid-spi-recovery contact-peers-on-start\n") != NULL);
	sl_cmd(&b, 1, "show crypto isakmp invalid-spi-recovery", &out);
	CHECK(strstr(sb_str(&out), "contact peers on start: enabled") != NULL);
	CHECK(strstr(sb_str(&out), "1 peers contacted") != NULL);
	CHECK(config1(b.r[1], "no crypto isakmp invalid-spi-recovery contact-peers-on-start"));
	sl_cmd(&b, 1, "show running-config", &out);
	CHECK(strstr(sb_str(&out), "contact-peers-on-start") == NULL);
	sl_free(&b);
	sb_free(&out);
}

/* Entering the command on a running router contacts the peers it has no SAs with. */
TEST(p2up_contact_peers_command_entered)
{
	struct seedlab b;
	CHECK(sl_new(&b));
	if (!b.cable) {
		sl_free(&b);
		return;
	}
	sl_run(&b, 1000);
	CHECK(sl_bundles(b.r[0]) == 0);
	CHECK(config1(b.r[0], "crypto isakmp invalid-spi-recovery contact-peers-on-start"));
	sl_run(&b, 2000);
	CHECK(sl_bundles(b.r[0]) == 1 && sl_bundles(b.r[1]) == 1);
	CHECK(b.r[0]->rec->p2c.hello_rounds == 1 && b.r[0]->rec->p2c.hello_contacted == 1);
	CHECK(b.r[1]->ike->st.initial_contact_rx == 1);
	sl_free(&b);
}

/* Quick Modes router i initiated that are still waiting for QM2. */
static int inflight(const struct router *r)
{
	int n = 0;
	for (const struct ike_sa *sa = r->ike->sas; sa; sa = sa->next)
		for (const struct ike_qm *q = sa->qms; q; q = q->next)
			n += q->initiator && q->state == QM_I_WAIT2;
	return n;
}

#define MANY 30

/* Thirty ACL lines toward one peer: brought up a few at a time, all of them. */
TEST(p2up_many_flows_rate_limited)
{
	struct seedlab b;
	CHECK(sl_new(&b));
	if (!b.cable) {
		sl_free(&b);
		return;
	}
	/* The link delays each frame, so Quick Modes overlap as on a real WAN. */
	struct mem_link_opts lo = { .delay_ms = 15 };
	mem_link_set_opts(b.cable, &lo);
	char la[MANY][96], lb[MANY][96];
	const char *pa[MANY], *pb[MANY];
	for (int i = 0; i < MANY; i++) {
		snprintf(la[i], sizeof(la[i]), "access-list 150 permit ip host 10.0.0.1 host 10.0.3.%d", i + 1);
		snprintf(lb[i], sizeof(lb[i]), "access-list 150 permit ip host 10.0.3.%d host 10.0.0.1", i + 1);
		pa[i] = la[i];
		pb[i] = lb[i];
	}
	CHECK(configure(b.r[0], pa, MANY));
	CHECK(configure(b.r[1], pb, MANY));
	CHECK(config1(b.r[0], "crypto isakmp invalid-spi-recovery contact-peers-on-start"));
	int max_inflight = 0;
	uint64_t t0 = ev_now(b.ev), first_all = 0;
	/* Long enough for B's responder delay (P2UP_RESPONDER_DELAY_MS) to pass. */
	for (int t = 0; t < (int)(P2UP_RESPONDER_DELAY_MS / 10 + 300); t++) {
		sl_run(&b, 10);
		for (int i = 0; i < 2; i++) {
			int n = inflight(b.r[i]);
			max_inflight = n > max_inflight ? n : max_inflight;
		}
		if (!first_all && sl_bundles(b.r[0]) == MANY + 1)
			first_all = ev_now(b.ev) - t0;
	}
	const struct p2up_counters *c = &b.r[0]->rec->p2c, *cb = &b.r[1]->rec->p2c;
	fprintf(stderr, "    %d flows: all up after %llu ms, at most %d Quick Modes in flight, "
			"%llu + %llu started (A + B), A deferred %llu (per peer) %llu (rate)\n",
		MANY + 1, (unsigned long long)first_all, max_inflight,
		(unsigned long long)c->qm_started, (unsigned long long)cb->qm_started,
		(unsigned long long)c->deferred_inflight, (unsigned long long)c->deferred_rate);
	CHECK(sl_bundles(b.r[0]) == MANY + 1 && sl_bundles(b.r[1]) == MANY + 1);
	CHECK(max_inflight >= 1 && max_inflight <= P2UP_INFLIGHT);
	/*
	 * Every flow negotiated once: A (initiator, at once) brings them all up;
	 * B (it answered A's INITIAL-CONTACT with its own) restores after its
	 * responder delay and finds them up; nothing failed.
	 */
	CHECK(c->qm_started + cb->qm_started == MANY + 1);
	CHECK(c->qm_up + cb->qm_up == MANY + 1 && c->qm_failed + cb->qm_failed == 0);
	/* 31 Quick Modes at 20 a second: the last ones wait for the next second. */
	CHECK(c->qm_started >= P2UP_QM_PER_SEC && c->deferred_rate >= 1 && c->deferred_inflight >= 1);
	CHECK(first_all >= 1000 && first_all < 3000);
	CHECK(c->completed == 1 && cb->completed == 1);
	sl_free(&b);
}
