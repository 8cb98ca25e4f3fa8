/* show / clear crypto isakmp invalid-spi-recovery */
#include <stdio.h>
#include <string.h>

#include "config/cmdtree.h"
#include "core/ipfmt.h"
#include "core/json.h"
#include "ike/ike2_glue.h"
#include "ike/ike_int.h"
#include "ikev2/ikev2_sa.h"
#include "ipsec/sadb.h"
#include "recovery/recovery_state.h"
#include "router.h"

/*
 * The IKEv2 share (docs/RECOVERY.md): what recovery decided is counted here
 * for both versions; what crossed an IKEv2 SA is the IKEv2 module's count,
 * read, not copied.
 */
struct isr_v2 {
	uint64_t sent, received, acted, unprotected, unknown;
};

static struct isr_v2 isr_v2(struct router *r)
{
	struct isr_v2 v = { 0 };
	if (!r->ike || !r->ike->v2)
		return v;
	const struct ikev2_engine *e = ike2_engine(r);
	v.sent = ike2_stats(r)->invalid_spi_tx;
	v.acted = e->st.invalid_spi_rx;
	v.unknown = e->st.invalid_spi_unknown;
	v.unprotected = e->st.invalid_spi_unprotected;
	v.received = v.acted + v.unknown + v.unprotected;
	return v;
}

/* `--json show crypto isakmp invalid-spi-recovery` (docs/JSON.md): the same counters. */
static void show_isr_json(struct router *r, struct json *j)
{
	const struct recovery_state *s = r->rec;
	const struct cfg_isr *isr = &r->cfg->isr;
	const struct isr_counters *c = &s->c;
	json_bool(j, "enabled", isr->enabled);
	json_u64(j, "holddown_sec", isr->holddown_sec);
	json_u64(j, "notify_holddown_sec", isr->notify_holddown_sec);
	json_u64(j, "budget_per_sec", isr->budget_per_sec);
	json_u64(j, "pending", s->npending);
	json_u64(j, "max_pending", isr->max_pending);
	json_obj_begin(j, "counters");
#define C(x) json_u64(j, #x, c->x)
	C(invalid_esp); C(invalid_ah); C(invalid_udp); C(notifies_sent); C(notify_send_failed);
	C(initiations); C(initiations_failed); C(joined_pending); C(suppressed_holddown);
	C(suppressed_notify_holddown); C(suppressed_notify_rate); C(suppressed_budget);
	C(suppressed_pending_full); C(ignored_not_static); C(ignored_disabled);
	C(notifies_received); C(notifies_acted); C(ignored_unauthenticated);
	C(ignored_unknown_spi); C(ignored_wrong_peer); C(ignored_bad_proto); C(initiations_v2);
#undef C
	struct isr_v2 v = isr_v2(r);
	json_u64(j, "v2_notifies_sent", v.sent);
	json_u64(j, "v2_notifies_received", v.received);
	json_u64(j, "v2_notifies_acted", v.acted);
	json_u64(j, "v2_ignored_unauthenticated", v.unprotected);
	json_u64(j, "v2_ignored_unknown_spi", v.unknown);
	json_obj_end(j);
	json_arr_begin(j, "pending_recoveries");
	uint64_t now = ev_now(r->ev);
	for (size_t i = 0; i < s->npending; i++) {
		const struct isr_pending *pd = &s->pending[i];
		json_obj_begin(j, NULL);
		json_ip(j, "peer", pd->peer);
		json_u64(j, "age_ms", now - pd->since);
		json_arr_begin(j, "spis");
		for (size_t k = 0; k < pd->nspi; k++) {
			json_obj_begin(j, NULL);
			json_u64(j, "spi", pd->spi[k]);
			json_u64(j, "proto", pd->proto[k]);
			json_obj_end(j);
		}
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static int show_isr(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	if (ctx->json) {
		struct json j;
		json_doc_begin(&j, ctx->out, "show crypto isakmp invalid-spi-recovery");
		show_isr_json(ctx->r, &j);
		json_doc_end(&j);
		ctx->json_done = true;
		return 0;
	}
	struct router *r = ctx->r;
	const struct recovery_state *s = r->rec;
	const struct cfg_isr *isr = &r->cfg->isr;
	const struct isr_counters *c = &s->c;
	struct strbuf *o = ctx->out;
	size_t pending = s->npending;

	sb_printf(o, "Invalid SPI recovery: %s\n", isr->enabled ? "enabled" : "disabled");
	sb_printf(o, "  Recovery IKE SA hold-down per peer: %u seconds\n", isr->holddown_sec);
	sb_printf(o, "  Notify hold-down per peer and SPI: %u seconds\n", isr->notify_holddown_sec);
	sb_printf(o, "  Recovery initiation budget: %u per second\n", isr->budget_per_sec);
	sb_printf(o, "  Pending recoveries: %zu (maximum %u)\n\n", pending, isr->max_pending);
	sb_printf(o, "Packets received with an invalid SPI:\n");
	sb_printf(o, "  ESP: %llu, AH: %llu (UDP-encapsulated: %llu)\n",
		  (unsigned long long)c->invalid_esp, (unsigned long long)c->invalid_ah,
		  (unsigned long long)c->invalid_udp);
	sb_printf(o, "  INVALID_SPI notifies sent: %llu (send failures: %llu)\n",
		  (unsigned long long)c->notifies_sent, (unsigned long long)c->notify_send_failed);
	sb_printf(o, "  IKE SAs initiated for recovery: %llu (failed: %llu, joined a pending one: %llu)\n",
		  (unsigned long long)c->initiations, (unsigned long long)c->initiations_failed,
		  (unsigned long long)c->joined_pending);
	struct isr_v2 v = isr_v2(r);
	sb_printf(o, "  IKEv2 peers: IKE SAs initiated %llu, INVALID_SPI notifies sent %llu\n",
		  (unsigned long long)c->initiations_v2, (unsigned long long)v.sent);
	sb_printf(o, "  Suppressed by peer hold-down: %llu, by notify hold-down: %llu, "
		     "by per-peer notify rate: %llu\n",
		  (unsigned long long)c->suppressed_holddown,
		  (unsigned long long)c->suppressed_notify_holddown,
		  (unsigned long long)c->suppressed_notify_rate);
	sb_printf(o, "  Suppressed by budget: %llu, pending table full: %llu\n",
		  (unsigned long long)c->suppressed_budget,
		  (unsigned long long)c->suppressed_pending_full);
	sb_printf(o, "  Ignored, source not a static peer: %llu\n",
		  (unsigned long long)c->ignored_not_static);
	sb_printf(o, "  Dropped, no IKE SA and recovery disabled: %llu\n\n",
		  (unsigned long long)c->ignored_disabled);
	sb_printf(o, "INVALID_SPI notifies received: %llu\n", (unsigned long long)c->notifies_received);
	sb_printf(o, "  Acted on (SAs deleted): %llu\n", (unsigned long long)c->notifies_acted);
	sb_printf(o, "  Ignored, unauthenticated: %llu, unknown SPI: %llu, wrong peer: %llu, "
		     "bad protocol: %llu\n",
		  (unsigned long long)c->ignored_unauthenticated,
		  (unsigned long long)c->ignored_unknown_spi,
		  (unsigned long long)c->ignored_wrong_peer,
		  (unsigned long long)c->ignored_bad_proto);
	sb_printf(o, "  Over IKEv2: %llu (acted on: %llu, ignored, unprotected: %llu, unknown SPI: %llu)\n",
		  (unsigned long long)v.received, (unsigned long long)v.acted,
		  (unsigned long long)v.unprotected, (unsigned long long)v.unknown);
	if (pending) {
		sb_printf(o, "\nPending recoveries:\n  Peer             Age (ms)  SPIs\n");
		uint64_t now = ev_now(r->ev);
		for (size_t i = 0; i < s->npending; i++) {
			const struct isr_pending *pd = &s->pending[i];
			char ps[IP_FMT_LEN];
			sb_printf(o, "  %-16s %9llu ", ip_fmt(pd->peer, ps),
				  (unsigned long long)(now - pd->since));
			for (size_t j = 0; j < pd->nspi; j++)
				sb_printf(o, " 0x%X/%u", pd->spi[j], pd->proto[j]);
			sb_puts(o, "\n");
		}
	}
	p2up_show(r, o);
	return 0;
}

static int clear_isr(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	memset(&ctx->r->rec->c, 0, sizeof(ctx->r->rec->c));
	memset(&ctx->r->rec->p2c, 0, sizeof(ctx->r->rec->p2c));
	return 0;
}

/*
 * A spigot test aid: the router forgets its IPsec SAs without telling the
 * peer, as if it had rebooted but kept its IKE SA.  That is the one case the
 * IOS commands cannot reproduce (`clear crypto sa` sends Deletes), and the
 * one where IOS sends INVALID-SPI even without invalid-spi-recovery.
 */
static int test_lose_sas(struct cli_ctx *ctx, const struct cmd_args *a)
{
	uint32_t peer;
	int n;
	if (cmd_after_ip(a, "peer", &peer))
		n = sadb_delete_peer(ctx->r, peer, SADB_DEL_LOST);
	else
		n = sadb_delete_all(ctx->r, SADB_DEL_LOST);
	sb_printf(ctx->out, "%d IPsec SA bundle%s forgotten; the peer was not told.\n", n,
		  n == 1 ? "" : "s");
	log_msg(&ctx->r->log, "CRYPTO", SEV_WARNING, "TEST_SA_LOST",
		"test: %d IPsec SA bundle%s forgotten without notifying the peer", n, n == 1 ? "" : "s");
	return 0;
}

static const struct cmd_def isr_cmds[] = {
	{ MODE_EXEC, "test crypto ipsec lose-sas [ peer A.B.C.D ]",
	  "test:Test aids (spigot);lose-sas:Forget IPsec SAs without telling the peer (simulates a lost SA)",
	  test_lose_sas, NULL },
	{ MODE_EXEC, "show crypto isakmp invalid-spi-recovery",
	  "invalid-spi-recovery:Invalid SPI recovery counters and limits", show_isr, NULL },
	{ MODE_EXEC, "clear crypto isakmp invalid-spi-recovery",
	  "invalid-spi-recovery:Reset the invalid SPI recovery counters", clear_isr, NULL },
};
CMD_REGISTER(isr_cmds)
