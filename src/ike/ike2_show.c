/*
 * The IKEv2 exec commands: show crypto ikev2 sa [detailed], show crypto
 * ikev2 stats, clear crypto ikev2 sa [peer A.B.C.D], debug crypto ikev2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cmdtree.h"
#include "core/strbuf.h"
#include "core/ipfmt.h"
#include "ike/ike2_int.h"
#include "ike/ike_int.h"
#include "router.h"

static const char *encr_name(uint16_t id)
{
	switch (id) {
	case IKEV2_ENCR_AES_CBC: return "AES-CBC";
	case IKEV2_ENCR_AES_GCM_16: return "AES-GCM";
	}
	return "unknown";
}

static const char *hash_name(uint16_t prf)
{
	switch (prf) {
	case IKEV2_PRF_HMAC_SHA1: return "SHA1";
	case IKEV2_PRF_HMAC_SHA2_256: return "SHA256";
	case IKEV2_PRF_HMAC_SHA2_384: return "SHA384";
	case IKEV2_PRF_HMAC_SHA2_512: return "SHA512";
	}
	return "unknown";
}

static void hex8(const uint8_t *s, char *out)
{
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02X", s[i]);
}

static void show_one(struct ike2_glue *g, const struct ike2_track *t, struct strbuf *out, bool detail)
{
	const struct ikev2_sa *sa = t->sa;
	char ls[32], ps[32], l[16], p[16];
	uint64_t now = ike2_now(g);
	ip_fmt(sa->local, l);
	ip_fmt(sa->peer, p);
	snprintf(ls, sizeof(ls), "%s/500", l);
	snprintf(ps, sizeof(ps), "%s/500", p);
	bool ready = sa->state == IKEV2_S_READY;
	/* IOS: DELETE once our Delete is out, READY when up, IN-NEG before. */
	const char *status = ready && (sa->deleting || sa->rekeyed_to) ? "DELETE" : ready ? "READY" : "IN-NEG";
	sb_printf(out, "%-10u%-22s%-22s%-21s%s\n", t->id, ls, ps, "none/none", status);
	const struct ikev2_suite *s = &sa->suite;
	if (s->integ)
		sb_printf(out, "      Encr: %s, keysize: %u, PRF: %s, Hash: %s, DH Grp:%u, Auth sign: PSK, Auth verify: PSK\n",
			  encr_name(s->encr), s->encr_bits, hash_name(s->prf), hash_name(s->prf), s->dh);
	else
		sb_printf(out, "      Encr: %s, keysize: %u, PRF: %s, Hash: None, DH Grp:%u, Auth sign: PSK, Auth verify: PSK\n",
			  encr_name(s->encr), s->encr_bits, hash_name(s->prf), s->dh);
	const struct config *cfg = g->ike->r->cfg;
	const struct cfg_cmap_entry *e = t->has_flow ? config_cmap_entry(cfg, t->cmap, t->seq)
				       : g->entry_for_peer ? g->entry_for_peer(cfg, sa->peer) : NULL;
	const struct cfg_ikev2_profile *pr = e && e->ikev2_profile[0] ? config_v2_profile(cfg, e->ikev2_profile) : NULL;
	uint64_t life = ike2_life_sec(g, t);
	uint64_t active = ready ? (now - t->ready_ms) / 1000 : 0;
	sb_printf(out, "      Life/Active Time: %llu/%llu sec\n", (unsigned long long)life,
		  (unsigned long long)active);
	if (!detail)
		return;
	char si[17], sr[17];
	hex8(sa->initiator ? sa->spi_i : sa->spi_r, si);
	hex8(sa->initiator ? sa->spi_r : sa->spi_i, sr);
	sb_printf(out, "      CE id: %u, Session-id: %u\n", t->id, t->id);
	sb_printf(out, "      Status Description: %s\n", ready ? "Negotiation done" : "Negotiation in progress");
	sb_printf(out, "      Local spi: %s       Remote spi: %s\n", si, sr);
	char lid[16];
	ip_fmt(pr && pr->has_id_local ? pr->id_local : sa->local, lid);
	sb_printf(out, "      Local id: %s\n", lid);
	sb_printf(out, "      Remote id: %s\n", p);
	sb_printf(out, "      Local req msg id:  %-14u Remote req msg id:  %u\n", sa->req_out,
		  sa->req_in ? sa->req_in - 1 : 0);
	sb_printf(out, "      Local next msg id: %-14u Remote next msg id: %u\n", sa->req_out, sa->req_in);
	sb_printf(out, "      Local req queued:  %-14u Remote req queued:  %u\n", sa->req_out, sa->req_in);
	sb_printf(out, "      Local window:      %-14u Remote window:      %u\n", 1, 1);
	sb_printf(out, "      DPD configured for %u seconds, retry %u\n", pr ? pr->dpd_interval : 0,
		  pr ? pr->dpd_retry : 0);
	if (cfg->v2_frag_mtu) {
		sb_printf(out, "      Fragmentation configured.\n");
		if (sa->frag)	/* both announced RFC 7383 support */
			sb_printf(out, "      IETF Std Fragmentation MTU in use: %u bytes.\n", cfg->v2_frag_mtu);
	} else {
		sb_printf(out, "      Fragmentation not configured.\n");
	}
	sb_printf(out, "      Extended Authentication not configured.\n");
	sb_printf(out, "      NAT-T is not detected\n");
	sb_printf(out, "      Initiator of SA : %s\n", sa->initiator ? "Yes" : "No");
	for (size_t i = 0; i < IKEV2_MAX_CHILDREN; i++) {
		const struct ikev2_child_rec *c = &sa->children[i];
		char a0[16], a1[16], b0[16], b1[16];
		if (c->st != IKEV2_C_UP)
			continue;
		ip_fmt(c->local.saddr, a0);
		ip_fmt(c->local.eaddr, a1);
		ip_fmt(c->remote.saddr, b0);
		ip_fmt(c->remote.eaddr, b1);
		sb_printf(out, "      Child sa: local selector  %s/%u - %s/%u\n", a0, c->local.sport, a1, c->local.eport);
		sb_printf(out, "                remote selector %s/%u - %s/%u\n", b0, c->remote.sport, b1,
			  c->remote.eport);
		sb_printf(out, "                ESP spi in/out: 0x%X/0x%X\n", c->spi_in, c->spi_out);
	}
	if (t->rtx_on)
		sb_printf(out, "      Retransmitting: try %d of %d, next in %llu ms\n", t->tries, g->rtx_tries,
			  (unsigned long long)(t->rtx_at > now ? t->rtx_at - now : 0));
}

void ike2_show_sa(struct router *r, struct strbuf *out, bool detail)
{
	struct ike2_glue *g = r->ike ? r->ike->v2 : NULL;
	sb_puts(out, " IPv4 Crypto IKEv2  SA \n\n");
	sb_printf(out, "%-10s%-22s%-22s%-21s%s\n", "Tunnel-id", "Local", "Remote", "fvrf/ivrf", "Status");
	/* Oldest first, as IOS lists tunnels by id (the list is newest first). */
	size_t n = 0;
	for (struct ike2_track *t = g ? g->tracks : NULL; t; t = t->next)
		n++;
	for (size_t k = n; k > 0; k--) {
		struct ike2_track *t = g->tracks;
		for (size_t i = 1; i < k; i++)
			t = t->next;
		if (t->sa->state != IKEV2_S_DEAD)
			show_one(g, t, out, detail);
	}
	sb_puts(out, "\n IPv6 Crypto IKEv2  SA \n\n");
}

void ike2_show_stats(struct router *r, struct strbuf *out)
{
	struct ike2_glue *g = r->ike ? r->ike->v2 : NULL;
	if (!g)
		return;
	size_t in_neg = 0, ready = 0, half_open = 0;
	for (const struct ikev2_sa *sa = g->eng.sas; sa; sa = sa->next) {
		if (sa->state == IKEV2_S_READY)
			ready++;
		else if (sa->state != IKEV2_S_DEAD)
			in_neg++;
		half_open += sa->state == IKEV2_S_R_INIT_SENT;
	}
	const struct ikev2_stats *e = &g->eng.st;
	const struct ike2_stats *s = &g->st;
	sb_puts(out, "--------------------------------------------------------------------------------\n");
	sb_printf(out, "                     Crypto IKEv2 SA Count %zu\n", ready + in_neg);
	sb_puts(out, "--------------------------------------------------------------------------------\n");
	sb_printf(out, "%-33s%-11s%-11s%-11s%s\n", "", "Total", "Ready", "In-Neg", "Half-Open");
	sb_printf(out, "%-33s%-11zu%-11zu%-11zu%zu\n", "SAs", ready + in_neg, ready, in_neg, half_open);
	sb_puts(out, "\nEngine\n");
#define ROW(label, v) sb_printf(out, "    %-40s %llu\n", label, (unsigned long long)(v))
	ROW("messages received", e->rx);
	ROW("messages sent", e->tx);
	ROW("IKE SAs ready", e->ready);
	ROW("IKE SAs failed", e->failed);
	ROW("requests answered again (retransmits)", e->retransmit_answered);
	sb_puts(out, "  Drops:\n");
	ROW("malformed", e->malformed);
	ROW("unsupported critical payload", e->unsupported_critical);
	ROW("no IKE SA (unknown SPIs)", e->no_sa);
	ROW("not expected in this state", e->bad_state);
	ROW("bad message ID", e->bad_msgid);
	ROW("old request (not answered)", e->dup_request);
	ROW("duplicate or unexpected response", e->dup_response);
	ROW("integrity check failed", e->bad_icv);
	ROW("authentication failed", e->auth_failed);
	ROW("no proposal chosen", e->no_proposal);
	ROW("invalid KE (group retry)", e->invalid_ke);
	ROW("traffic selectors unacceptable", e->ts_unacceptable);
	ROW("peer sent an error notify", e->peer_error);
	ROW("no configuration for the peer", e->no_conf);
	ROW("half-open SAs evicted", e->half_open_evicted);
	ROW("illegal state change refused", e->bad_transition);
	ROW("unprotected INFORMATIONAL/CREATE_CHILD_SA", e->unprotected);
	ROW("unprotected INVALID_SPI (ignored)", e->invalid_spi_unprotected);
	ROW("INVALID_SPI for an unknown SPI", e->invalid_spi_unknown);
	ROW("Child SA not found", e->child_not_found);
	ROW("TEMPORARY_FAILURE", e->temporary_failure);
	ROW("request queue full", e->queue_full);
	sb_puts(out, "  Fragmentation (RFC 7383):\n");
	ROW("fragments sent", e->frag_tx);
	ROW("fragments received (ICV good)", e->frag_rx);
	ROW("messages reassembled", e->frag_reassembled);
	ROW("dropped: not negotiated", e->frag_unexpected);
	ROW("dropped: integrity check failed", e->frag_bad_icv);
	ROW("dropped: duplicate", e->frag_dup);
	ROW("dropped: of a message done", e->frag_old);
	ROW("dropped: fewer Total Fragments", e->frag_bad_total);
	ROW("reassembly restarted (more fragments)", e->frag_restart);
	ROW("dropped: too many fragments", e->frag_too_many);
	ROW("dropped: message too big", e->frag_too_big);
	ROW("reassembly timed out", e->frag_timeout);
	ROW("reassembly evicted (global cap)", e->frag_evicted);
	ROW("reassembly replaced (other message)", e->frag_replaced);
	sb_puts(out, "  INFORMATIONAL / CREATE_CHILD_SA:\n");
	ROW("INVALID_SPI sent", e->invalid_spi_tx);
	ROW("INVALID_SPI received", e->invalid_spi_rx);
	ROW("Child SA Deletes sent", e->delete_child_tx);
	ROW("Child SA Deletes received", e->delete_child_rx);
	ROW("IKE SA Deletes sent", e->delete_ike_tx);
	ROW("IKE SA Deletes received", e->delete_ike_rx);
	ROW("liveness checks sent", e->liveness_tx);
	ROW("liveness checks answered", e->liveness_answered);
	ROW("Child SAs created", e->child_created);
	ROW("Child SAs rekeyed", e->child_rekeyed);
	ROW("IKE SAs rekeyed", e->ike_rekeyed);
	ROW("rekey collisions", e->rekey_collision);
	ROW("redundant SAs deleted", e->redundant_deleted);
	ROW("INITIAL_CONTACT sent", e->initial_contact_tx);
	ROW("INITIAL_CONTACT received (authenticated)", e->initial_contact_rx);
	sb_puts(out, "\nRouter\n");
	ROW("datagrams in", s->rx);
	ROW("acquires (traffic without an SA)", s->acquires);
	ROW("acquires merged (negotiation under way)", s->acquire_dup);
	ROW("retransmissions sent", s->rtx);
	ROW("Child SAs installed", s->install_ok);
	ROW("Child SAs removed (engine said down)", s->child_down);
	ROW("CREATE_CHILD_SA started (new flow)", s->child_create);
	ROW("Child SA rekeys started (soft lifetime)", s->child_rekey);
	ROW("IKE SA rekeys started (profile lifetime)", s->ike_rekey);
	ROW("Deletes started (clear, expiry)", s->delete_tx);
	ROW("INVALID_SPI sent", s->invalid_spi_tx);
	ROW("IKE SAs down", s->ike_down);
	ROW("IKE SAs replaced (peer's INITIAL_CONTACT)", s->initial_contact_deleted);
	ROW("DPD liveness checks started", s->dpd_tx);
	ROW("peers declared dead (DPD)", s->dpd_dead);
	ROW("inbound SPIs released (no Child SA)", s->spi_released);
	sb_puts(out, "  Drops:\n");
	ROW("on UDP 4500 (no IKEv2 NAT-T)", s->on_4500);
	ROW("no crypto map entry / profile for peer", s->no_conf);
	ROW("could not initiate", s->initiate_fail);
	ROW("retransmissions exhausted (SA died)", s->rtx_exhausted);
	ROW("half-open timed out (no IKE_AUTH)", s->half_open_expired);
	ROW("Child SA install failed", s->install_fail);
	ROW("Child SA selectors not address/mask", s->bad_ts);
	ROW("send failures", s->send_fail);
	ROW("Child SA requests: wait table full", s->wait_full);
	ROW("IKEv1 Main Mode refused for IKEv2 peer", s->v1_refused);
#undef ROW
}


static int cmd_show_sa(struct cli_ctx *ctx, const struct cmd_args *a)
{
	ike2_show_sa(ctx->r, ctx->out, cmd_has(a, "detailed"));
	return 0;
}

static int cmd_show_stats(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	ike2_show_stats(ctx->r, ctx->out);
	return 0;
}

static int cmd_clear_sa(struct cli_ctx *ctx, const struct cmd_args *a)
{
	uint32_t peer = 0;
	if (cmd_has(a, "peer") && !cmd_parse_ip(a->argv[a->argc - 1], &peer)) {
		sb_printf(ctx->out, "%% Invalid IP address\n");
		return -1;
	}
	ike2_clear(ctx->r, peer);
	return 0;
}

static int cmd_debug(struct cli_ctx *ctx, const struct cmd_args *a)
{
	bool on = !a->negated && strcmp(a->argv[0], "undebug") != 0;
	if (on)
		ctx->r->debug |= DBG_IKEV2;
	else
		ctx->r->debug &= ~(uint32_t)DBG_IKEV2;
	sb_printf(ctx->out, "IKEv2 default debugging is %s\n", on ? "on" : "off");
	return 0;
}

static const struct cmd_def ike2_cmds[] = {
	{ MODE_EXEC, "show crypto ikev2 sa [ detailed ]",
	  "ikev2:Shows ikev2 information;sa:Shows ikev2 SAs;detailed:detailed output", cmd_show_sa, NULL },
	{ MODE_EXEC, "show crypto ikev2 stats", "stats:Shows ikev2 SA statistics and drop counters",
	  cmd_show_stats, NULL },
	{ MODE_EXEC, "clear crypto ikev2 sa", "ikev2:Clear ikev2 information;sa:Clear ikev2 SAs",
	  cmd_clear_sa, NULL },
	{ MODE_EXEC, "clear crypto ikev2 sa peer A.B.C.D", "peer:Clear ikev2 SAs with a peer",
	  cmd_clear_sa, NULL },
	{ MODE_EXEC, "debug crypto ikev2", "ikev2:Crypto IKEv2 debugging", cmd_debug, cmd_debug },
	{ MODE_EXEC, "undebug crypto ikev2", "ikev2:Crypto IKEv2 debugging", cmd_debug, NULL },
};
CMD_REGISTER(ike2_cmds)
