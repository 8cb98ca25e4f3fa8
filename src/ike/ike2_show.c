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
#include "core/json.h"
#include "ike/ike2_cookie.h"
#include "ike/ike2_int.h"
#include "ike/ike2_qcd.h"
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

/* One IKE SA's facts, computed once for the text and the JSON (docs/JSON.md). */
struct sa_view {
	const struct ikev2_sa *sa;
	uint32_t id, local_id;
	const char *status, *encr, *prf, *hash;	/* hash NULL: AEAD */
	uint64_t life, active;
	char spi_local[17], spi_remote[17];
	unsigned dpd_interval, dpd_retry;
	unsigned frag_mtu;			/* crypto ikev2 fragmentation; 0 = off */
	bool ready, rtx;
	int tries, of;
	uint64_t rtx_next_ms;
};

static void view_of(struct ike2_glue *g, const struct ike2_track *t, struct sa_view *v)
{
	const struct ikev2_sa *sa = t->sa;
	uint64_t now = ike2_now(g);
	memset(v, 0, sizeof(*v));
	v->sa = sa;
	v->id = t->id;
	v->ready = sa->state == IKEV2_S_READY;
	/* IOS: DELETE once our Delete is out, READY when up, IN-NEG before. */
	v->status = v->ready && (sa->deleting || sa->rekeyed_to) ? "DELETE" : v->ready ? "READY" : "IN-NEG";
	v->encr = encr_name(sa->suite.encr);
	v->prf = hash_name(sa->suite.prf);
	v->hash = sa->suite.integ ? v->prf : NULL;
	const struct cfg_ikev2_profile *pr = ike2_profile(g, t);
	v->life = ike2_life_sec(g, t);
	v->active = v->ready ? (now - t->ready_ms) / 1000 : 0;
	hex8(sa->initiator ? sa->spi_i : sa->spi_r, v->spi_local);
	hex8(sa->initiator ? sa->spi_r : sa->spi_i, v->spi_remote);
	v->local_id = pr && pr->has_id_local ? pr->id_local : sa->local;
	v->dpd_interval = pr ? pr->dpd_interval : 0;
	v->dpd_retry = pr ? pr->dpd_retry : 0;
	v->frag_mtu = g->ike->r->cfg->v2_frag_mtu;
	v->rtx = t->rtx_on;
	v->tries = t->tries;
	v->of = g->rtx_tries;
	v->rtx_next_ms = t->rtx_at > now ? t->rtx_at - now : 0;
}

static void text_one(const struct sa_view *v, struct strbuf *out, bool detail)
{
	const struct ikev2_sa *sa = v->sa;
	char ls[32], ps[32], p[16];
	snprintf(ls, sizeof(ls), "%s/%u", ip_str(sa->local).s, sa->lport);
	snprintf(ps, sizeof(ps), "%s/%u", ip_fmt(sa->peer, p), sa->pport);
	sb_printf(out, "%-10u%-22s%-22s%-21s%s\n", v->id, ls, ps, "none/none", v->status);
	sb_printf(out, "      Encr: %s, keysize: %u, PRF: %s, Hash: %s, DH Grp:%u, Auth sign: PSK, Auth verify: PSK\n",
		  v->encr, sa->suite.encr_bits, v->prf, v->hash ? v->hash : "None", sa->suite.dh);
	sb_printf(out, "      Life/Active Time: %llu/%llu sec\n", (unsigned long long)v->life,
		  (unsigned long long)v->active);
	if (!detail)
		return;
	sb_printf(out, "      CE id: %u, Session-id: %u\n", v->id, v->id);
	sb_printf(out, "      Status Description: %s\n", v->ready ? "Negotiation done" : "Negotiation in progress");
	sb_printf(out, "      Local spi: %s       Remote spi: %s\n", v->spi_local, v->spi_remote);
	sb_printf(out, "      Local id: %s\n", ip_str(v->local_id).s);
	sb_printf(out, "      Remote id: %s\n", p);
	sb_printf(out, "      Local req msg id:  %-14u Remote req msg id:  %u\n", sa->req_out,
		  sa->req_in ? sa->req_in - 1 : 0);
	sb_printf(out, "      Local next msg id: %-14u Remote next msg id: %u\n", sa->req_out, sa->req_in);
	sb_printf(out, "      Local req queued:  %-14u Remote req queued:  %u\n", sa->req_out, sa->req_in);
	sb_printf(out, "      Local window:      %-14u Remote window:      %u\n", 1, 1);
	sb_printf(out, "      DPD configured for %u seconds, retry %u\n", v->dpd_interval, v->dpd_retry);
	if (v->frag_mtu) {
		sb_printf(out, "      Fragmentation configured.\n");
		if (sa->frag)	/* both announced RFC 7383 support */
			sb_printf(out, "      IETF Std Fragmentation MTU in use: %u bytes.\n", v->frag_mtu);
	} else {
		sb_printf(out, "      Fragmentation not configured.\n");
	}
	sb_printf(out, "      Extended Authentication not configured.\n");
	/* IOS: "inside" when we are behind the NAT, "outside" when the peer is. */
	if (ikev2_nat_detected(sa)) {
		if (sa->nat_local)
			sb_printf(out, "      NAT-T is detected inside\n");
		if (sa->nat_peer)
			sb_printf(out, "      NAT-T is detected outside\n");
	} else {
		sb_printf(out, "      NAT-T is not detected\n");
	}
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
	if (v->rtx)
		sb_printf(out, "      Retransmitting: try %d of %d, next in %llu ms\n", v->tries, v->of,
			  (unsigned long long)v->rtx_next_ms);
}

static void json_range(struct json *j, const char *key, const struct ikev2_range *r)
{
	json_obj_begin(j, key);
	json_ip(j, "start", r->saddr);
	json_ip(j, "end", r->eaddr);
	json_u64(j, "protocol", r->proto);
	json_u64(j, "start_port", r->sport);
	json_u64(j, "end_port", r->eport);
	json_obj_end(j);
}

static void json_one(const struct sa_view *v, struct json *j)
{
	const struct ikev2_sa *sa = v->sa;
	json_obj_begin(j, NULL);
	json_u64(j, "tunnel_id", v->id);
	json_ip(j, "local", sa->local);
	json_u64(j, "local_port", 500);
	json_ip(j, "remote", sa->peer);
	json_u64(j, "remote_port", 500);
	json_str(j, "status", v->status);
	json_str(j, "encryption", v->encr);
	json_u64(j, "keysize", sa->suite.encr_bits);
	json_str(j, "prf", v->prf);
	json_str(j, "hash", v->hash);
	json_u64(j, "dh_group", sa->suite.dh);
	json_str(j, "auth_sign", "PSK");
	json_str(j, "auth_verify", "PSK");
	json_u64(j, "lifetime_sec", v->life);
	json_u64(j, "active_sec", v->active);
	json_str(j, "local_spi", v->spi_local);
	json_str(j, "remote_spi", v->spi_remote);
	json_ip(j, "local_id", v->local_id);
	json_ip(j, "remote_id", sa->peer);
	json_u64(j, "local_next_msg_id", sa->req_out);
	json_u64(j, "remote_next_msg_id", sa->req_in);
	json_u64(j, "dpd_interval_sec", v->dpd_interval);
	json_u64(j, "dpd_retry_sec", v->dpd_retry);
	json_bool(j, "initiator", sa->initiator);
	json_bool(j, "qcd_token_held", sa->qcd_peer_len != 0);
	json_arr_begin(j, "child_sas");
	for (size_t i = 0; i < IKEV2_MAX_CHILDREN; i++) {
		const struct ikev2_child_rec *c = &sa->children[i];
		if (c->st != IKEV2_C_UP)
			continue;
		json_obj_begin(j, NULL);
		json_range(j, "local_selector", &c->local);
		json_range(j, "remote_selector", &c->remote);
		json_u64(j, "esp_spi_in", c->spi_in);
		json_u64(j, "esp_spi_out", c->spi_out);
		json_obj_end(j);
	}
	json_arr_end(j);
	if (v->rtx) {
		json_obj_begin(j, "retransmitting");
		json_u64(j, "try", (uint64_t)v->tries);
		json_u64(j, "of", (uint64_t)v->of);
		json_u64(j, "next_ms", v->rtx_next_ms);
		json_obj_end(j);
	} else {
		json_null(j, "retransmitting");
	}
	json_obj_end(j);
}

/* Text (j NULL) or JSON (`sas`), oldest first as IOS lists tunnels by id (the list is newest first). */
static void show_sa(struct router *r, struct strbuf *out, struct json *j, bool detail)
{
	struct ike2_glue *g = r->ike ? r->ike->v2 : NULL;
	if (j) {
		json_arr_begin(j, "sas");
	} else {
		sb_puts(out, " IPv4 Crypto IKEv2  SA \n\n");
		sb_printf(out, "%-10s%-22s%-22s%-21s%s\n", "Tunnel-id", "Local", "Remote", "fvrf/ivrf", "Status");
	}
	size_t n = 0;
	for (struct ike2_track *t = g ? g->tracks : NULL; t; t = t->next)
		n++;
	for (size_t k = n; k > 0; k--) {
		struct ike2_track *t = g->tracks;
		for (size_t i = 1; i < k; i++)
			t = t->next;
		if (t->sa->state == IKEV2_S_DEAD)
			continue;
		struct sa_view v;
		view_of(g, t, &v);
		if (j)
			json_one(&v, j);
		else
			text_one(&v, out, detail);
	}
	if (j)
		json_arr_end(j);
	else
		sb_puts(out, "\n IPv6 Crypto IKEv2  SA \n\n");
}

void ike2_show_sa(struct router *r, struct strbuf *out, bool detail)
{
	show_sa(r, out, NULL, detail);
}

/*
 * show crypto ikev2 stats: each counter is one row with its IOS-style label
 * (text) and its JSON member (the counter's own name), so the two cannot
 * disagree.  Groups are text headings; in JSON the members of one source
 * (engine, router, qcd) form one object.
 */
struct emit {
	struct strbuf *out;
	struct json *j;
};

static void heading(struct emit *o, const char *text)
{
	if (!o->j)
		sb_puts(o->out, text);
}

static void group(struct emit *o, const char *text, const char *key)
{
	if (o->j) {
		if (o->j->depth > 1)
			json_obj_end(o->j);
		json_obj_begin(o->j, key);
	} else {
		sb_puts(o->out, text);
	}
}

static void row(struct emit *o, const char *label, const char *key, uint64_t v)
{
	if (o->j)
		json_u64(o->j, key, v);
	else
		sb_printf(o->out, "    %-40s %llu\n", label, (unsigned long long)v);
}

#define ROW(label, s, m) row(o, label, #m, (s)->m)

static void stats_engine(struct emit *o, const struct ikev2_stats *e)
{
	group(o, "\nEngine\n", "engine");
	ROW("messages received", e, rx);
	ROW("messages sent", e, tx);
	ROW("IKE SAs ready", e, ready);
	ROW("IKE SAs failed", e, failed);
	ROW("requests answered again (retransmits)", e, retransmit_answered);
	ROW("requests refused: unsupported critical payload", e, unsupported_critical_answered);
	heading(o, "  Drops:\n");
	ROW("malformed", e, malformed);
	ROW("unsupported critical payload", e, unsupported_critical);
	ROW("no IKE SA (unknown SPIs)", e, no_sa);
	ROW("not expected in this state", e, bad_state);
	ROW("bad message ID", e, bad_msgid);
	ROW("old request (not answered)", e, dup_request);
	ROW("duplicate or unexpected response", e, dup_response);
	ROW("integrity check failed", e, bad_icv);
	ROW("authentication failed", e, auth_failed);
	ROW("no proposal chosen", e, no_proposal);
	ROW("invalid KE (group retry)", e, invalid_ke);
	ROW("traffic selectors unacceptable", e, ts_unacceptable);
	ROW("peer sent an error notify", e, peer_error);
	ROW("no configuration for the peer", e, no_conf);
	ROW("half-open SAs evicted", e, half_open_evicted);
	ROW("illegal state change refused", e, bad_transition);
	ROW("unprotected INFORMATIONAL/CREATE_CHILD_SA", e, unprotected);
	ROW("unprotected INVALID_SPI (ignored)", e, invalid_spi_unprotected);
	ROW("INVALID_SPI for an unknown SPI", e, invalid_spi_unknown);
	ROW("Child SA not found", e, child_not_found);
	ROW("TEMPORARY_FAILURE", e, temporary_failure);
	ROW("request queue full", e, queue_full);
	ROW("NAT-D of the wrong size (ignored)", e, natd_bad);
	ROW("new peer port, unauthenticated (ignored)", e, natt_port_ignored);
	heading(o, "  Fragmentation (RFC 7383):\n");
	ROW("fragments sent", e, frag_tx);
	ROW("fragments received (ICV good)", e, frag_rx);
	ROW("messages reassembled", e, frag_reassembled);
	ROW("dropped: not negotiated", e, frag_unexpected);
	ROW("dropped: integrity check failed", e, frag_bad_icv);
	ROW("dropped: duplicate", e, frag_dup);
	ROW("dropped: of a message done", e, frag_old);
	ROW("dropped: fewer Total Fragments", e, frag_bad_total);
	ROW("reassembly restarted (more fragments)", e, frag_restart);
	ROW("dropped: too many fragments", e, frag_too_many);
	ROW("dropped: message too big", e, frag_too_big);
	ROW("reassembly timed out", e, frag_timeout);
	ROW("reassembly evicted (global cap)", e, frag_evicted);
	ROW("reassembly replaced (other message)", e, frag_replaced);
	heading(o, "  INFORMATIONAL / CREATE_CHILD_SA:\n");
	ROW("INVALID_SPI sent", e, invalid_spi_tx);
	ROW("INVALID_SPI received", e, invalid_spi_rx);
	ROW("Child SA Deletes sent", e, delete_child_tx);
	ROW("Child SA Deletes received", e, delete_child_rx);
	ROW("IKE SA Deletes sent", e, delete_ike_tx);
	ROW("IKE SA Deletes received", e, delete_ike_rx);
	ROW("liveness checks sent", e, liveness_tx);
	ROW("liveness checks answered", e, liveness_answered);
	ROW("Child SAs created", e, child_created);
	ROW("Child SAs rekeyed", e, child_rekeyed);
	ROW("IKE SAs rekeyed", e, ike_rekeyed);
	ROW("rekey collisions", e, rekey_collision);
	ROW("redundant SAs deleted", e, redundant_deleted);
	ROW("INITIAL_CONTACT sent", e, initial_contact_tx);
	ROW("INITIAL_CONTACT received (authenticated)", e, initial_contact_rx);
	heading(o, "  NAT traversal:\n");
	ROW("NAT detected (IKE_SA_INIT)", e, nat_detected);
	ROW("moved to UDP 4500", e, natt_float);
	ROW("peer port changes (authenticated)", e, natt_moved);
}

static void stats_router(struct emit *o, const struct ike2_stats *s)
{
	group(o, "\nRouter\n", "router");
	ROW("datagrams in", s, rx);
	ROW("acquires (traffic without an SA)", s, acquires);
	ROW("acquires merged (negotiation under way)", s, acquire_dup);
	ROW("IKE SAs opened without traffic (recovery, contact on start)", s, unsolicited);
	ROW("retransmissions sent", s, rtx);
	ROW("Child SAs installed", s, install_ok);
	ROW("Child SAs removed (engine said down)", s, child_down);
	ROW("CREATE_CHILD_SA started (new flow)", s, child_create);
	ROW("Child SA rekeys started (soft lifetime)", s, child_rekey);
	ROW("IKE SA rekeys started (profile lifetime)", s, ike_rekey);
	ROW("Deletes started (clear, expiry)", s, delete_tx);
	ROW("INVALID_SPI sent", s, invalid_spi_tx);
	ROW("IKE SAs down", s, ike_down);
	ROW("IKE SAs replaced (peer's INITIAL_CONTACT)", s, initial_contact_deleted);
	ROW("DPD liveness checks started", s, dpd_tx);
	ROW("peers declared dead (DPD)", s, dpd_dead);
	ROW("inbound SPIs released (no Child SA)", s, spi_released);
	ROW("datagrams in on UDP 4500 (NAT-T)", s, on_4500);
	ROW("NAT keepalives sent", s, natka_tx);
	heading(o, "  Drops:\n");
	ROW("no crypto map entry / profile for peer", s, no_conf);
	ROW("could not initiate", s, initiate_fail);
	ROW("retransmissions exhausted (SA died)", s, rtx_exhausted);
	ROW("half-open timed out (no IKE_AUTH)", s, half_open_expired);
	ROW("Child SA install failed", s, install_fail);
	ROW("Child SA selectors not address/mask", s, bad_ts);
	ROW("send failures", s, send_fail);
	ROW("Child SA requests: wait table full", s, wait_full);
	ROW("IKEv1 Main Mode refused for IKEv2 peer", s, v1_refused);
	ROW("unsupported major version", s, bad_major);
	ROW("  INVALID_MAJOR_VERSION sent", s, bad_major_answered);
	ROW("  not answered (over the limit)", s, bad_major_limited);
}

static void stats_qcd(struct emit *o, const struct ike2_glue *g)
{
	const struct ikev2_stats *e = &g->eng.st;
	struct ike2_qcd_info q;
	char h[CFG_PATH_MAX + 700];
	ike2_qcd_info(g, &q);
	snprintf(h, sizeof(h), "\nQuick Crash Detection (RFC 6290): %s\n", q.status);
	group(o, h, "qcd");
	if (o->j) {
		json_bool(o->j, "enabled", q.on);
		json_str(o->j, "secret_file", q.path);
		json_str(o->j, "status", q.status);
	}
	ROW("tokens received in IKE_AUTH", e, qcd_token_rx);
	ROW("tokens received in IKE SA rekeys", e, qcd_rekey_rx);
	ROW("tokens sent in IKE SA rekeys", e, qcd_rekey_tx);
	ROW("tokens sent (INVALID_IKE_SPI)", e, qcd_sent);
	ROW("tokens accepted (peer lost the SA)", e, qcd_accepted);
	ROW("tokens rejected", e, qcd_rejected);
	ROW("reconnects after an accepted token", &q, reconnects);
	heading(o, "  Drops:\n");
	ROW("answers over the limit", e, qcd_limited);
	ROW("  of which per source", &q, src_limited);
	ROW("asked for the token of a live SA", e, qcd_live);
	ROW("secret file refused", &q, file_refused);
}
/* IOS's summary of challenged requests, then the rows (engine: responder and initiator). */
static void stats_cookie(struct emit *o, const struct ike2_glue *g)
{
	const struct ikev2_stats *e = &g->eng.st;
	struct ike2_cookie_info c;
	char h[160];
	uint64_t challenged = e->cookie_ok + e->cookie_bad + e->cookie_none;
	ike2_cookie_info(g, &c);
	if (!o->j) {
		sb_printf(o->out, "\nIncoming IKEV2 Cookie Challenged Requests: %llu\n", (unsigned long long)challenged);
		sb_printf(o->out, "                    accepted: %llu        rejected: %llu        rejected no cookie: %llu\n",
			  (unsigned long long)e->cookie_ok, (unsigned long long)e->cookie_bad,
			  (unsigned long long)e->cookie_none);
	}
	if (c.threshold)
		snprintf(h, sizeof(h), "\nCookie challenge (RFC 7296 2.6): on above %u half-open IKE SAs, %s (%zu half-open)\n",
			 c.threshold, c.challenging ? "challenging now" : "not challenging", c.half_open);
	else
		snprintf(h, sizeof(h), "\nCookie challenge (RFC 7296 2.6): off\n");
	group(o, h, "cookie");
	if (o->j) {
		json_u64(o->j, "threshold", c.threshold);
		json_bool(o->j, "challenging", c.challenging);
		json_u64(o->j, "challenged_requests", challenged);
	}
	ROW("cookies sent", e, cookie_sent);
	ROW("valid cookies received", e, cookie_ok);
	ROW("invalid cookies received", e, cookie_bad);
	ROW("requests without a cookie (challenged)", e, cookie_none);
	ROW("times the challenge came on", g, cookie_onsets);
	ROW("secret rotations", g, cookie_rotations);
	ROW("COOKIE answers followed (as initiator)", e, cookie_rx);
}
#undef ROW

static void show_stats(struct router *r, struct strbuf *out, struct json *j)
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
	struct emit o = { out, j };
	if (j) {
		json_obj_begin(j, "sa_count");
		json_u64(j, "total", ready + in_neg);
		json_u64(j, "ready", ready);
		json_u64(j, "in_neg", in_neg);
		json_u64(j, "half_open", half_open);
	} else {
		sb_puts(out, "--------------------------------------------------------------------------------\n");
		sb_printf(out, "                     Crypto IKEv2 SA Count %zu\n", ready + in_neg);
		sb_puts(out, "--------------------------------------------------------------------------------\n");
		sb_printf(out, "%-33s%-11s%-11s%-11s%s\n", "", "Total", "Ready", "In-Neg", "Half-Open");
		sb_printf(out, "%-33s%-11zu%-11zu%-11zu%zu\n", "SAs", ready + in_neg, ready, in_neg, half_open);
	}
	stats_engine(&o, &g->eng.st);
	stats_router(&o, &g->st);
	stats_qcd(&o, g);
	stats_cookie(&o, g);
	if (j)
		json_obj_end(j);
}

void ike2_show_stats(struct router *r, struct strbuf *out)
{
	show_stats(r, out, NULL);
}

static int cmd_show_sa(struct cli_ctx *ctx, const struct cmd_args *a)
{
	bool detail = cmd_has(a, "detailed");
	if (ctx->json) {
		struct json j;
		json_doc_begin(&j, ctx->out, detail ? "show crypto ikev2 sa detailed" : "show crypto ikev2 sa");
		show_sa(ctx->r, ctx->out, &j, detail);
		json_doc_end(&j);
		ctx->json_done = true;
		return 0;
	}
	ike2_show_sa(ctx->r, ctx->out, detail);
	return 0;
}

static int cmd_show_stats(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	if (ctx->json) {
		struct json j;
		json_doc_begin(&j, ctx->out, "show crypto ikev2 stats");
		show_stats(ctx->r, ctx->out, &j);
		json_doc_end(&j);
		ctx->json_done = true;
		return 0;
	}
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
