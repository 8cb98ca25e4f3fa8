/*
 * Invalid SPI Recovery, 200 times over, in one process: the seed's two
 * routers (their real configs from labs/seed) with mem ports joined by an
 * in-memory cable on one virtual clock, so IKE rides UDP over the same
 * packet path as the data, exactly as in spigotd.  Each round B loses its
 * SAs without telling A (the seed's clear crypto isakmp + clear crypto sa,
 * `test crypto ipsec lose-sas`, or a reboot: a fresh router from the same
 * config), A pings on the dead SAs, recovery runs, traffic flows again.
 * Afterwards: no packet buffer leaked, SA and IKE tables bounded (nothing
 * stuck negotiating, deleted entries reaped), no pending recoveries; the
 * unit runner's ASan checks the rest at exit.
 *
 * Unlike xlab (tests/exchange/xlab.h), which carries IKE datagrams by hand
 * and has no data plane, this bench needs real ESP/AH on the wire: the
 * unknown SPI is what starts everything.
 */
#include "../unit/t.h"
#include "xlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cmdtree.h"
#include "config/load.h"
#include "core/evloop.h"
#include "core/pkt.h"
#include "ipsec/ipsec_int.h"
#include "net/port_mem.h"
#include "recovery/recovery_state.h"

#define ROUNDS 200
#define TAIL 16

struct rt_log {
	char tail[TAIL][512];	/* the last lines, for a failure report */
	unsigned n;
	unsigned inv_spi, sa_deleted, initiate;
};

struct bench {
	struct evloop *ev;
	struct router *r[2];
	struct mem_link *cable;
	struct rt_log log[2];
	char cfg[2][512];
};

static const char *const OUTSIDE[2] = { "FastEthernet0/0", "Ethernet1/0" };
static const char *const INSIDE[2] = { "FastEthernet0/1", "Ethernet1/1" };

static void tap(void *arg, const char *line)
{
	struct rt_log *l = arg;
	snprintf(l->tail[l->n++ % TAIL], sizeof(l->tail[0]), "%s", line);
	l->inv_spi += strstr(line, "%CRYPTO-4-RECVD_PKT_INV_SPI:") != NULL;
	l->sa_deleted += strstr(line, "%CRYPTO-5-ISR_SA_DELETED:") != NULL;
	l->initiate += strstr(line, "%CRYPTO-5-ISR_INITIATE:") != NULL;
}

static void dump(const struct bench *b)
{
	for (int i = 0; i < 2; i++) {
		fprintf(stderr, "    --- router %c, last log lines:\n", 'A' + i);
		unsigned from = b->log[i].n > TAIL ? b->log[i].n - TAIL : 0;
		for (unsigned k = from; k < b->log[i].n; k++)
			fprintf(stderr, "    %s\n", b->log[i].tail[k % TAIL]);
	}
}

static struct router *boot(struct bench *b, int i)
{
	struct strbuf err, notes;
	sb_init(&err);
	sb_init(&notes);
	struct config *c = config_load_file(b->cfg[i], &err, &notes);
	if (!c)
		fprintf(stderr, "    %s: %s\n", b->cfg[i], sb_str(&err));
	sb_free(&err);
	sb_free(&notes);
	if (!c)
		return NULL;
	struct router *r = router_new(b->ev, c);
	if (!r)
		return NULL;
	r->log.tap = tap;
	r->log.tap_arg = &b->log[i];
	if (router_bind_port(r, OUTSIDE[i], "mem:") < 0 || router_bind_port(r, INSIDE[i], "mem:") < 0 ||
	    router_start(r) < 0) {
		router_free(r);
		return NULL;
	}
	return r;
}

static bool cable(struct bench *b)
{
	b->cable = mem_link_new(router_iface(b->r[0], OUTSIDE[0]), router_iface(b->r[1], OUTSIDE[1]), NULL);
	return b->cable != NULL;
}

static bool bench_new(struct bench *b)
{
	memset(b, 0, sizeof(*b));
	const char *top = getenv("TOP");
	snprintf(b->cfg[0], sizeof(b->cfg[0]), "%s/labs/seed/router-a.cfg", top ? top : ".");
	snprintf(b->cfg[1], sizeof(b->cfg[1]), "%s/labs/seed/router-b.cfg", top ? top : ".");
	b->ev = ev_new();
	ev_set_virtual(b->ev, 1000000);
	b->r[0] = boot(b, 0);
	b->r[1] = boot(b, 1);
	return b->r[0] && b->r[1] && cable(b);
}

static void bench_free(struct bench *b)
{
	mem_link_free(b->cable);
	router_free(b->r[0]);
	router_free(b->r[1]);
	ev_free(b->ev);
}

/* B dies and comes back from its config: every SA, IKE SA and counter gone. */
static bool reboot_b(struct bench *b)
{
	mem_link_free(b->cable);
	b->cable = NULL;
	router_free(b->r[1]);
	b->r[1] = boot(b, 1);
	return b->r[1] && cable(b);
}

static void run(struct bench *b, uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += 10)
		ev_advance(b->ev, 10);
}

/* One exec command on router i, run to completion on the virtual clock. */
static int cmd(struct bench *b, int i, const char *line, struct strbuf *out)
{
	sb_reset(out);
	struct cli_ctx ctx = { .r = b->r[i], .cfg = b->r[i]->cfg, .out = out, .mode = MODE_EXEC };
	int rc = cmd_execute(&ctx, line);
	if (rc == CMD_ASYNC) {
		for (int k = 0; k < 100000 && ctx.pending; k++)
			ev_advance(b->ev, 5);
		if (ctx.pending) {
			ctx.cancel(ctx.pending);
			return -2;
		}
		rc = 0;
	}
	return rc;
}

/* Replies of a ping ("Success rate is 80 percent (4/5)"), or -1. */
static int ping(struct bench *b, int count, struct strbuf *out)
{
	char line[128];
	snprintf(line, sizeof(line), "ping 10.0.2.2 source 10.0.0.1 repeat %d timeout 1", count);
	if (cmd(b, 0, line, out) != 0)
		return -1;
	const char *s = strstr(sb_str(out), "Success rate is ");
	int pct, ok, n;
	if (!s || sscanf(s, "Success rate is %d percent (%d/%d)", &pct, &ok, &n) != 3 || n != count)
		return -1;
	return ok;
}

static int bundles(const struct router *r)
{
	int n = 0;
	for (const struct ipsec_bundle *bu = r->ipsec->bundles; bu; bu = bu->next)
		n++;
	return n;
}

static int ike_sas(const struct router *r, int *live)
{
	int n = 0;
	*live = 0;
	for (const struct ike_sa *sa = r->ike->sas; sa; sa = sa->next) {
		n++;
		*live += !sa->deleted;
	}
	return n;
}

static int ike_qms(const struct router *r)
{
	int n = 0;
	for (const struct ike_sa *sa = r->ike->sas; sa; sa = sa->next)
		for (const struct ike_qm *q = sa->qms; q; q = q->next)
			n++;
	return n;
}

static int ike_recs(const struct router *r)
{
	int n = 0;
	for (int k = 0; k < IKE_MAX_RECORDS; k++)
		n += r->ike->rec[k].used;
	return n;
}

static int isr_pending(const struct router *r)
{
	int n = 0;
	for (size_t k = 0; k < ISR_PENDING_MAX; k++)
		n += r->rec->pending[k].used;
	return n;
}

static const char *const HOW[3] = { "clear crypto isakmp + clear crypto sa", "test crypto ipsec lose-sas",
				    "reboot" };

TEST(isr_loop_200_rounds)
{
	size_t pkt_base = pkt_in_use();
	struct bench b;
	CHECK(bench_new(&b));
	if (!b.cable) {
		bench_free(&b);
		return;
	}
	struct strbuf out;
	sb_init(&out);
	CHECK(b.r[0]->cfg->isr.enabled && b.r[1]->cfg->isr.enabled);
	CHECK(ping(&b, 10, &out) >= 9);
	CHECK(bundles(b.r[0]) == 1 && bundles(b.r[1]) == 1);

	int failures = 0, max_sas = 0, max_qms = 0;
	uint64_t acted0 = 0;
	for (int i = 0; i < ROUNDS && failures < 3; i++) {
		int how = i % 3;
		uint64_t acted = b.r[0]->rec->c.notifies_acted;
		unsigned inv = how == 2 ? 0 : b.log[1].inv_spi;
		if (how == 0) {
			cmd(&b, 1, "clear crypto isakmp", &out);
			cmd(&b, 1, "clear crypto sa", &out);
		} else if (how == 1) {
			cmd(&b, 1, "test crypto ipsec lose-sas", &out);
		} else if (!reboot_b(&b)) {
			CHECK(!"B did not come back from its reboot");
			break;
		}
		if (how == 2)
			b.log[1].inv_spi = 0;
		bool lost = bundles(b.r[1]) == 0 && bundles(b.r[0]) == 1;
		/* The dead SA: the first echo dies in B, recovery brings up new SAs. */
		int ok = ping(&b, 5, &out);
		int ok2 = ping(&b, 5, &out);
		bool recovered = lost && ok >= 3 && ok2 == 5 && b.log[1].inv_spi > inv &&
				 bundles(b.r[0]) == 1 && bundles(b.r[1]) == 1;
		/* Without a reboot B's IKE SA (or the recovery one) carried the notify
		 * and A acted on it; after one, INITIAL-CONTACT may have done it first. */
		if (how != 2)
			recovered = recovered && b.r[0]->rec->c.notifies_acted == acted + 1;
		int live0, live1;
		int n0 = ike_sas(b.r[0], &live0), n1 = ike_sas(b.r[1], &live1);
		int q = ike_qms(b.r[0]) + ike_qms(b.r[1]);
		max_sas = n0 > max_sas ? n0 : max_sas;
		max_sas = n1 > max_sas ? n1 : max_sas;
		max_qms = q > max_qms ? q : max_qms;
		bool bounded = n0 <= 24 && n1 <= 24 && live0 <= 2 && live1 <= 2 && q <= 48 &&
			       ike_recs(b.r[0]) <= 2 && ike_recs(b.r[1]) <= 2 &&
			       pkt_in_use() <= pkt_base + 4;
		if (!recovered || !bounded) {
			failures++;
			fprintf(stderr,
				"    round %d (%s): lost=%d ping %d/5 then %d/5, bundles A=%d B=%d, "
				"IKE SAs A=%d(%d live) B=%d(%d live), QMs %d, records A=%d B=%d, "
				"pkts in use %zu (base %zu), acted %llu->%llu\n",
				i, HOW[how], lost, ok, ok2, bundles(b.r[0]), bundles(b.r[1]), n0, live0, n1,
				live1, q, ike_recs(b.r[0]), ike_recs(b.r[1]), pkt_in_use(), pkt_base,
				(unsigned long long)acted, (unsigned long long)b.r[0]->rec->c.notifies_acted);
			fprintf(stderr, "%s", sb_str(&out));
			dump(&b);
			CHECK(recovered);
			CHECK(bounded);
		}
		/* Past B's recovery hold-down (10 s), as a real loss would be. */
		run(&b, 11000);
	}
	acted0 = b.r[0]->rec->c.notifies_acted;
	CHECK(failures == 0);
	/* Two of every three rounds went through A's notify handling. */
	CHECK(acted0 >= (uint64_t)(ROUNDS * 2 / 3));

	/* Settle past the "(deleted)" display time: only the live SAs remain. */
	run(&b, (uint64_t)b.r[0]->ike->deleted_keep_ms + 10000);
	int live0, live1;
	int n0 = ike_sas(b.r[0], &live0), n1 = ike_sas(b.r[1], &live1);
	fprintf(stderr, "    after %d rounds: IKE SAs A=%d (%d live) B=%d (%d live), at most %d during; "
			"QMs at most %d; notifies acted on by A: %llu\n",
		ROUNDS, n0, live0, n1, live1, max_sas, max_qms, (unsigned long long)acted0);
	CHECK(live0 >= 1 && live0 <= 2 && live1 >= 1 && live1 <= 2);
	CHECK(n0 <= 3 && n1 <= 3);
	CHECK(isr_pending(b.r[0]) == 0 && isr_pending(b.r[1]) == 0);
	CHECK(bundles(b.r[0]) == 1 && bundles(b.r[1]) == 1);
	CHECK(ping(&b, 5, &out) == 5);
	sb_free(&out);
	bench_free(&b);
	CHECK(pkt_in_use() == pkt_base);
}
