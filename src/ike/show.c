/*
 * show crypto isakmp sa [detail] | policy | stats, show crypto session
 * [detail], clear crypto isakmp [conn-id] (`debug crypto isakmp` is src/cli's).
 * Layouts follow IOS 12.x (see the seed's show-formats.txt).
 */
#include "ike/ike_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cmdtree.h"
#include "core/json.h"
#include "core/wire.h"
#include "router.h"

static const char *enc_long(enum cfg_ike_enc e)
{
	switch (e) {
	case IKE_ENC_DES: return "DES - Data Encryption Standard (56 bit keys).";
	case IKE_ENC_3DES: return "Three key triple DES";
	case IKE_ENC_AES128: return "AES - Advanced Encryption Standard (128 bit keys).";
	case IKE_ENC_AES192: return "AES - Advanced Encryption Standard (192 bit keys).";
	case IKE_ENC_AES256: return "AES - Advanced Encryption Standard (256 bit keys).";
	}
	return "unknown";
}

static const char *enc_short(enum cfg_ike_enc e)
{
	switch (e) {
	case IKE_ENC_DES: return "des";
	case IKE_ENC_3DES: return "3des";
	case IKE_ENC_AES128: return "aes";
	case IKE_ENC_AES192: return "aes192";
	case IKE_ENC_AES256: return "aes256";
	}
	return "?";
}

static const char *hash_long(enum cfg_ike_hash h)
{
	switch (h) {
	case IKE_HASH_SHA1: return "Secure Hash Standard";
	case IKE_HASH_MD5: return "Message Digest 5";
	case IKE_HASH_SHA256: return "Secure Hash Standard 2 (256 bit)";
	case IKE_HASH_SHA384: return "Secure Hash Standard 2 (384 bit)";
	case IKE_HASH_SHA512: return "Secure Hash Standard 2 (512 bit)";
	}
	return "unknown";
}

static const char *auth_long(enum cfg_ike_auth a)
{
	switch (a) {
	case IKE_AUTH_PSK: return "Pre-Shared Key";
	case IKE_AUTH_RSA_SIG: return "Rivest-Shamir-Adleman Signature";
	case IKE_AUTH_RSA_ENCR: return "Rivest-Shamir-Adleman Encryption";
	}
	return "unknown";
}

static void show_suite(struct strbuf *out, const struct cfg_isakmp_policy *p)
{
	sb_printf(out, "\tencryption algorithm:   %s\n", enc_long(p->enc));
	sb_printf(out, "\thash algorithm:         %s\n", hash_long(p->hash));
	sb_printf(out, "\tauthentication method:  %s\n", auth_long(p->auth));
	sb_printf(out, "\tDiffie-Hellman group:   #%d (%s)\n", p->group, dh_group_desc(p->group));
	sb_printf(out, "\tlifetime:               %u seconds, no volume limit\n", p->lifetime);
}

void ike_show_policy(struct router *r, struct strbuf *out)
{
	const struct config *cfg = r->cfg;
	sb_puts(out, "Global IKE policy\n");
	for (size_t i = 0; i < cfg->npolicy; i++) {
		sb_printf(out, "Protection suite of priority %d\n", cfg->policies[i].priority);
		show_suite(out, &cfg->policies[i]);
	}
	static const struct cfg_isakmp_policy def = {
		.priority = 65535, .enc = IKE_ENC_DES, .hash = IKE_HASH_SHA1,
		.auth = IKE_AUTH_RSA_SIG, .group = 1, .lifetime = 86400,
	};
	sb_puts(out, "Default protection suite\n");
	show_suite(out, &def);
}

/*
 * One IKE SA as `show crypto isakmp sa` shows it, computed once for the
 * IOS text and the JSON (docs/JSON.md).  dst/src as the seed's routers
 * print them: each shows its peer as dst and itself as src, whoever
 * initiated (after recovery, Router A lists the SA that B initiated as
 * "10.2.2.2 10.1.1.1", like the one it initiated).
 */
struct sa_row {
	char dst[16], src[16];		/* peer, local */
	const char *state;
	unsigned conn_id;
	bool deleted;
	bool known;			/* the policy is agreed: enc/hash/auth meaningful */
	const char *enc, *hash, *auth;
	int group;
	bool has_life;
	uint64_t life_left;		/* seconds */
	char cap[8];			/* D, N */
};

static void sa_row(struct router *r, const struct ike_sa *sa, uint64_t now, struct sa_row *w)
{
	memset(w, 0, sizeof(*w));
	ip_fmt(sa->peer, w->dst);
	ip_fmt(sa->local, w->src);
	w->state = ike_state_name(sa->state);
	w->conn_id = sa->conn_id;
	w->deleted = ike_sa_deleted(sa);
	w->known = sa->pol.enc != 0;
	w->enc = w->known ? enc_short(sa->pol.enc) : "";
	w->hash = w->known ? prf_name(sa->pol.hash) : "";
	w->auth = w->known ? "psk" : "";
	w->group = sa->pol.group;
	if (ike_sa_established(sa) && !ike_sa_deleted(sa)) {
		uint64_t end = sa->established_ms + (uint64_t)sa->pol.lifetime * 1000;
		w->has_life = true;
		w->life_left = end > now ? (end - now) / 1000 : 0;
	}
	if (sa->peer_dpd && r->cfg->isakmp_keepalive)
		strcat(w->cap, "D");
	if (natt_nat_detected(sa))
		strcat(w->cap, "N");
}

void ike_show_sa(struct router *r, struct strbuf *out, bool detail)
{
	struct ike_state *ike = r->ike;
	uint64_t now = ev_now(r->ev);
	struct sa_row w;
	if (!detail) {
		sb_puts(out, "f_vrf/i_vrf   dst             src             state          conn-id slot status\n");
		for (struct ike_sa *sa = ike->sas; sa; sa = sa->next) {
			sa_row(r, sa, now, &w);
			sb_printf(out, "%-14s%-16s%-16s%-15s%7u%5d %s%s\n", "/", w.dst, w.src,
				  w.state, w.conn_id, 0, "ACTIVE", w.deleted ? " (deleted)" : "");
		}
		return;
	}
	sb_puts(out, "Codes: C - IKE configuration mode, D - Dead Peer Detection\n"
		     "       K - Keepalives, N - NAT-traversal\n"
		     "       X - IKE Extended Authentication\n"
		     "       psk - Preshared key, rsig - RSA signature\n"
		     "       renc - RSA encryption\n\n");
	sb_puts(out, "f_vrf/i_vrf Conn id slot  Local           Remote          Encr Hash   Auth DH Lifetime Cap.\n");
	for (struct ike_sa *sa = ike->sas; sa; sa = sa->next) {
		sa_row(r, sa, now, &w);
		char life[16] = "";
		if (w.has_life)
			snprintf(life, sizeof(life), "%02u:%02u:%02u", (unsigned)(w.life_left / 3600),
				 (unsigned)(w.life_left / 60 % 60), (unsigned)(w.life_left % 60));
		sb_printf(out, "%-12s%7u%5d  %-16s%-16s%-5s%-7s%-5s%-3d%-9s%s%s\n", "/", w.conn_id, 0,
			  w.src, w.dst, w.enc, w.hash, w.auth, w.group, life, w.cap,
			  w.deleted ? " (deleted)" : "");
		sb_printf(out, "       Engine-id:Conn-id =  SW:%u\n\n", w.conn_id);
	}
}

/* `--json show crypto isakmp sa [detail]`: the same rows (docs/JSON.md). */
static void ike_show_sa_json(struct router *r, struct json *j)
{
	uint64_t now = ev_now(r->ev);
	struct sa_row w;
	json_arr_begin(j, "sas");
	for (struct ike_sa *sa = r->ike->sas; sa; sa = sa->next) {
		sa_row(r, sa, now, &w);
		json_obj_begin(j, NULL);
		json_str(j, "dst", w.dst);
		json_str(j, "src", w.src);
		json_str(j, "state", w.state);
		json_u64(j, "conn_id", w.conn_id);
		json_u64(j, "slot", 0);
		json_str(j, "status", "ACTIVE");
		json_bool(j, "deleted", w.deleted);
		json_str(j, "encryption", w.known ? w.enc : NULL);
		json_str(j, "hash", w.known ? w.hash : NULL);
		json_str(j, "auth", w.known ? w.auth : NULL);
		json_i64(j, "dh_group", w.group);
		if (w.has_life)
			json_u64(j, "lifetime_remaining_sec", w.life_left);
		else
			json_null(j, "lifetime_remaining_sec");
		json_str(j, "capabilities", w.cap);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static const char *iface_for(struct router *r, const struct ike_record *rec)
{
	const struct config *cfg = r->cfg;
	for (size_t i = 0; i < cfg->niface; i++)
		if (strcmp(cfg->ifaces[i].crypto_map, rec->cmap_name) == 0 &&
		    (!cfg->ifaces[i].has_addr || cfg->ifaces[i].addr == rec->local))
			return cfg->ifaces[i].name;
	return "unknown";
}

static void flow_side(struct strbuf *out, uint32_t a, uint32_t m)
{
	char as[16], ms[16];
	ip_fmt(a, as);
	if (m == 0xffffffffu) {
		sb_printf(out, "host %s", as);
	} else if (m == 0) {
		sb_puts(out, "any");
	} else {
		ip_fmt(~m, ms);	/* IOS shows ACL wildcards here */
		sb_printf(out, "%s %s", as, ms);
	}
}

static const char *proto_word(uint8_t p, char *buf)
{
	switch (p) {
	case 0: return "ip";
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	}
	snprintf(buf, 8, "%u", p);
	return buf;
}

void ike_show_session(struct router *r, struct strbuf *out, bool detail)
{
	struct ike_state *ike = r->ike;
	bool done[IKE_MAX_RECORDS] = { false };
	sb_puts(out, "Crypto session current status\n\n");
	for (int i = 0; i < IKE_MAX_RECORDS; i++) {
		const struct ike_record *rec = &ike->rec[i];
		if (!rec->used || done[i])
			continue;
		const char *ifn = iface_for(r, rec);
		struct ike_sa *sa = ike_sa_find_peer(ike, rec->peer);
		char ps[16], ls[16], pb[8];
		ip_fmt(rec->peer, ps);
		ip_fmt(rec->local, ls);
		sb_printf(out, "Interface: %s\n", ifn);
		sb_printf(out, "Session status: %s\n", sa ? "UP-ACTIVE" : "UP-NO-IKE");
		sb_printf(out, "Peer: %s port %u\n", ps,
			  sa ? sa->peer_port : rec->peer_port ? rec->peer_port : UDP_PORT_IKE);
		if (sa) {
			sb_printf(out, "  IKE SA: local %s/%u remote %s/%u Active\n", ls,
				  sa->floated ? UDP_PORT_IKE_NATT : UDP_PORT_IKE, ps, sa->peer_port);
			if (detail)
				sb_printf(out, "          Capabilities:%s%s connid:%u lifetime:%u\n",
					  sa->peer_dpd ? "D" : "", natt_nat_detected(sa) ? "N"
					  : sa->peer_dpd ? "" : "(none)", sa->conn_id, sa->pol.lifetime);
		}
		/* Every bundle of this peer and flow (an old one lingers after a rekey). */
		for (int j = i; j < IKE_MAX_RECORDS; j++) {
			const struct ike_record *o = &ike->rec[j];
			if (!o->used || done[j] || o->peer != rec->peer ||
			    !ipsec_flow_eq(&o->flow, &rec->flow))
				continue;
			done[j] = true;
			if (j != i && !detail)
				continue;
			sb_printf(out, "  IPSEC FLOW: permit %s ", proto_word(o->flow.proto, pb));
			flow_side(out, o->flow.local, o->flow.local_mask);
			sb_puts(out, " ");
			flow_side(out, o->flow.remote, o->flow.remote_mask);
			sb_puts(out, "\n");
			int nsa = 2 * ((int)o->has_ah + (int)o->has_esp);
			int total = 0;
			for (int k = 0; k < IKE_MAX_RECORDS; k++)
				if (ike->rec[k].used && ike->rec[k].peer == o->peer &&
				    memcmp(&ike->rec[k].flow, &o->flow, sizeof(o->flow)) == 0)
					total += 2 * ((int)ike->rec[k].has_ah + (int)ike->rec[k].has_esp);
			sb_printf(out, "        Active SAs: %d, origin: crypto map\n", detail ? nsa : total);
			if (j == i && !detail)
				break;
		}
		sb_puts(out, "\n");
	}
}

void ike_show_stats(struct router *r, struct strbuf *out)
{
	const struct ike_stats *s = &r->ike->st;
	int active = 0, deleted = 0;
	for (struct ike_sa *sa = r->ike->sas; sa; sa = sa->next)
		ike_sa_deleted(sa) ? deleted++ : active++;
	sb_printf(out, "ISAKMP statistics\n");
	sb_printf(out, "  IKE SAs: %d active, %d deleted\n", active, deleted);
	sb_printf(out, "  Messages: %llu received, %llu sent\n", (unsigned long long)s->rx,
		  (unsigned long long)s->tx);
	sb_printf(out, "  Phase 1: %llu completed, %llu failed;  Phase 2: %llu completed, %llu failed\n",
		  (unsigned long long)s->p1_ok, (unsigned long long)s->p1_fail,
		  (unsigned long long)s->p2_ok, (unsigned long long)s->p2_fail);
	sb_printf(out, "  Drops:\n");
#define ROW(label, f) sb_printf(out, "    %-34s %llu\n", label, (unsigned long long)s->f)
	ROW("malformed", malformed);
	ROW("unknown cookies", unknown_cookies);
	ROW("bad hash", bad_hash);
	ROW("decrypt failures", decrypt_fail);
	ROW("from wrong peer", bad_peer);
	ROW("unprotected notify/delete ignored", unprotected_ignored);
	ROW("unsupported exchange", unsupported);
	ROW("no acceptable proposal", no_proposal);
	ROW("no pre-shared key", no_psk);
	ROW("half-open limit", half_open_drop);
	ROW("half-open evicted", half_open_evict);
	ROW("half-open timed out (no MM3)", half_open_expired);
	ROW("duplicates (answered, not reprocessed)", duplicates);
	ROW("duplicates (not answered)", dup_dropped);
	ROW("message ID reused", msgid_reuse);
	ROW("message IDs exhausted", msgid_full);
	ROW("unprotected notify rate limit", unauth_notify_limited);
	ROW("bundle record table full", record_full);
	ROW("illegal state change refused", state_refused);
	ROW("send failures", send_fail);
	sb_printf(out, "  Retransmissions: %llu sent, %llu exchanges gave up, "
		       "%llu IKE SAs deleted (peer silent in Quick Mode)\n",
		  (unsigned long long)s->retransmits, (unsigned long long)s->rtx_exhausted,
		  (unsigned long long)s->p2_death);
	sb_printf(out, "  Notify: %llu received, %llu sent (INVALID-SPI %llu received, %llu sent)\n",
		  (unsigned long long)s->notifies_rx, (unsigned long long)s->notifies_tx,
		  (unsigned long long)s->invalid_spi_rx, (unsigned long long)s->invalid_spi_tx);
	sb_printf(out, "  Delete: %llu received, %llu sent;  INITIAL-CONTACT received %llu\n",
		  (unsigned long long)s->deletes_rx, (unsigned long long)s->deletes_tx,
		  (unsigned long long)s->initial_contact_rx);
	sb_printf(out, "  DPD: %llu R-U-THERE sent, %llu acks, %llu received, %llu peers dead\n",
		  (unsigned long long)s->dpd_tx, (unsigned long long)s->dpd_ack_rx,
		  (unsigned long long)s->dpd_rx, (unsigned long long)s->dpd_dead);
	sb_printf(out, "  IPsec SA bundles installed %llu (failed %llu), rekeys %llu, acquires merged %llu,\n"
		       "         waits released after their negotiation went away %llu\n",
		  (unsigned long long)s->installs, (unsigned long long)s->install_fail,
		  (unsigned long long)s->rekeys, (unsigned long long)s->acquire_dup,
		  (unsigned long long)s->pending_stale);
	sb_printf(out, "  IKE SAs replaced for message ID use: %llu, for a NAT that left no transform set: %llu\n",
		  (unsigned long long)s->msgid_rekeys, (unsigned long long)s->natt_ah_replaced);
	sb_printf(out, "  NAT-T: %llu NAT detected, %llu floated to 4500, keepalives %llu sent %llu received,\n"
		       "         %llu AH transform sets refused (AH cannot traverse NAT), %llu bad on 4500\n",
		  (unsigned long long)s->nat_detected, (unsigned long long)s->floats,
		  (unsigned long long)s->natka_tx, (unsigned long long)s->natka_rx,
		  (unsigned long long)s->natt_ah_refused, (unsigned long long)s->bad_4500);
#undef ROW
}

/* clear crypto isakmp [conn-id]: IKE SAs go (with a Delete); IPsec SAs stay, as on IOS. */
int ike_clear(struct router *r, uint32_t conn_id)
{
	int n = 0;
	for (struct ike_sa *sa = r->ike->sas; sa; sa = sa->next) {
		if (ike_sa_deleted(sa) || (conn_id && sa->conn_id != conn_id))
			continue;
		if (ike_sa_established(sa))
			info_send_isakmp_delete(sa);
		ike_sa_delete(sa, "clear crypto isakmp");
		n++;
	}
	return n;
}

static int cmd_show_isakmp_sa(struct cli_ctx *ctx, const struct cmd_args *a)
{
	if (ctx->json) {
		struct json j;
		json_doc_begin(&j, ctx->out, "show crypto isakmp sa");
		ike_show_sa_json(ctx->r, &j);
		json_doc_end(&j);
		ctx->json_done = true;
		return 0;
	}
	ike_show_sa(ctx->r, ctx->out, cmd_has(a, "detail"));
	return 0;
}

static int cmd_show_policy(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	ike_show_policy(ctx->r, ctx->out);
	return 0;
}

static int cmd_show_stats(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	ike_show_stats(ctx->r, ctx->out);
	return 0;
}

static int cmd_show_session(struct cli_ctx *ctx, const struct cmd_args *a)
{
	ike_show_session(ctx->r, ctx->out, cmd_has(a, "detail"));
	return 0;
}

static int cmd_clear_isakmp(struct cli_ctx *ctx, const struct cmd_args *a)
{
	uint32_t id = 0;
	if (a->argc > 3)
		id = (uint32_t)strtoul(a->argv[a->argc - 1], NULL, 10);
	if (ike_clear(ctx->r, id) == 0 && id)
		sb_printf(ctx->out, "%% No ISAKMP SA with conn-id %u\n", id);
	return 0;
}

static const struct cmd_def ike_cmds[] = {
	{ MODE_EXEC, "show crypto isakmp sa [ detail ]", "isakmp:Show ISAKMP;sa:Show ISAKMP Security Associations;detail:Show ISAKMP SA detail",
	  cmd_show_isakmp_sa, NULL },
	{ MODE_EXEC, "show crypto isakmp policy", "policy:Show ISAKMP protection suite policies",
	  cmd_show_policy, NULL },
	{ MODE_EXEC, "show crypto isakmp stats", "stats:Show ISAKMP counters and drops",
	  cmd_show_stats, NULL },
	{ MODE_EXEC, "show crypto session [ detail ]", "session:Show crypto sessions;detail:Show crypto session detail",
	  cmd_show_session, NULL },
	{ MODE_EXEC, "clear crypto isakmp [ <1-32766> ]", "isakmp:Flush ISAKMP SAs",
	  cmd_clear_isakmp, NULL },
};
CMD_REGISTER(ike_cmds)
