/*
 * The seed's two routers in one process: their real configs from labs/seed,
 * mem ports joined by an in-memory cable, one virtual clock, so IKE rides
 * UDP over the same packet path as the data, exactly as in spigotd.  Shared
 * by the exchange tests that need a data plane (xlab carries IKE only).
 */
#include "seedlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cmdtree.h"
#include "config/load.h"
#include "core/evloop.h"
#include "ipsec/ipsec_int.h"
#include "net/port_mem.h"
#include "recovery/recovery_state.h"


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

void sl_dump(const struct seedlab *b)
{
	for (int i = 0; i < 2; i++) {
		fprintf(stderr, "    --- router %c, last log lines:\n", 'A' + i);
		unsigned from = b->log[i].n > TAIL ? b->log[i].n - TAIL : 0;
		for (unsigned k = from; k < b->log[i].n; k++)
			fprintf(stderr, "    %s\n", b->log[i].tail[k % TAIL]);
	}
}

static struct router *boot(struct seedlab *b, int i)
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

static bool cable(struct seedlab *b)
{
	b->cable = mem_link_new(router_iface(b->r[0], OUTSIDE[0]), router_iface(b->r[1], OUTSIDE[1]), NULL);
	return b->cable != NULL;
}

bool sl_new(struct seedlab *b) { return sl_new_lab(b, "seed"); }

bool sl_new_lab(struct seedlab *b, const char *lab)
{
	memset(b, 0, sizeof(*b));
	const char *top = getenv("TOP");
	snprintf(b->cfg[0], sizeof(b->cfg[0]), "%s/labs/%s/router-a.cfg", top ? top : ".", lab);
	snprintf(b->cfg[1], sizeof(b->cfg[1]), "%s/labs/%s/router-b.cfg", top ? top : ".", lab);
	b->ev = ev_new();
	ev_set_virtual(b->ev, 1000000);
	b->r[0] = boot(b, 0);
	b->r[1] = boot(b, 1);
	return b->r[0] && b->r[1] && cable(b);
}

void sl_free(struct seedlab *b)
{
	mem_link_free(b->cable);
	router_free(b->r[0]);
	router_free(b->r[1]);
	ev_free(b->ev);
}

/* B dies and comes back from its config: every SA, IKE SA and counter gone. */
bool sl_reboot_b(struct seedlab *b)
{
	mem_link_free(b->cable);
	b->cable = NULL;
	router_free(b->r[1]);
	b->r[1] = boot(b, 1);
	return b->r[1] && cable(b);
}

void sl_run(struct seedlab *b, uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += 10)
		ev_advance(b->ev, 10);
}

/* Config-mode lines on router r, then the change applied; a refused line is printed and fails it. */
bool sl_configure(struct router *r, const char *const *lines)
{
	struct strbuf out;
	sb_init(&out);
	struct cli_ctx ctx = { .r = r, .cfg = r->cfg, .out = &out, .mode = MODE_CONFIG };
	bool ok = true;
	for (; *lines; lines++)
		if (cmd_execute(&ctx, *lines) != 0) {
			fprintf(stderr, "    \"%s\": %s\n", *lines, sb_str(&out));
			ok = false;
		}
	sb_free(&out);
	router_config_changed(r);
	return ok;
}

/* One exec command on router i, run to completion on the virtual clock. */
int sl_cmd(struct seedlab *b, int i, const char *line, struct strbuf *out)
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
int sl_ping(struct seedlab *b, int count, struct strbuf *out)
{
	char line[128];
	snprintf(line, sizeof(line), "ping 10.0.2.2 source 10.0.0.1 repeat %d timeout 1", count);
	if (sl_cmd(b, 0, line, out) != 0)
		return -1;
	const char *s = strstr(sb_str(out), "Success rate is ");
	int pct, ok, n;
	if (!s || sscanf(s, "Success rate is %d percent (%d/%d)", &pct, &ok, &n) != 3 || n != count)
		return -1;
	return ok;
}

int sl_bundles(const struct router *r)
{
	int n = 0;
	for (const struct ipsec_bundle *bu = r->ipsec->bundles; bu; bu = bu->next)
		n++;
	return n;
}

int sl_ike_sas(const struct router *r, int *live)
{
	int n = 0;
	*live = 0;
	for (const struct ike_sa *sa = r->ike->sas; sa; sa = sa->next) {
		n++;
		*live += !ike_sa_deleted(sa);
	}
	return n;
}

int sl_ike_qms(const struct router *r)
{
	int n = 0;
	for (const struct ike_sa *sa = r->ike->sas; sa; sa = sa->next)
		for (const struct ike_qm *q = sa->qms; q; q = q->next)
			n++;
	return n;
}

int sl_ike_recs(const struct router *r)
{
	int n = 0;
	for (int k = 0; k < IKE_MAX_RECORDS; k++)
		n += r->ike->rec[k].used;
	return n;
}

int sl_isr_pending(const struct router *r)
{
	return (int)r->rec->npending;
}

