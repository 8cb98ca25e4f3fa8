/*
 * `show crypto ikev2 proposal|policy|profile [NAME]` in IOS's layouts
 * (IOS 15.x / IOS-XE) and, with `spigot --json`, as documents
 * (docs/JSON.md).  Each show fills one view of the configured object and
 * renders it either way from the same view and row table, so the text and
 * the JSON cannot disagree.  Algorithm names come from the one table in
 * config/transform.c.
 */
#include <stdio.h>
#include <string.h>

#include "config/cfg_int.h"
#include "config/transform.h"
#include "core/ipfmt.h"
#include "core/json.h"

/* A show renders to text (j NULL) or JSON. */
struct emit {
	struct strbuf *out;
	struct json *j;
};

static void text_ip(struct strbuf *out, uint32_t a)
{
	char b[IP_FMT_LEN];
	sb_puts(out, ip_fmt(a, b));
}

/* ---- proposal ---- */

/* The proposal's algorithm rows: text label, JSON member, transform type. */
static const struct {
	const char *label, *key;
	uint8_t type;
} PROP_ROWS[] = {
	{ "     Encryption :", "encryption", IKEV2_XF_ENCR },
	{ "     Integrity  :", "integrity", IKEV2_XF_INTEG },
	{ "     PRF        :", "prf", IKEV2_XF_PRF },
	{ "     DH Group   :", "dh_group", IKEV2_XF_DH },
};
#define NPROP_ROWS (sizeof(PROP_ROWS) / sizeof(PROP_ROWS[0]))

struct prop_view {
	const char *name;
	const char *alg[NPROP_ROWS][CFG_V2_MAX_ALG];	/* IOS's show names, in preference order */
	size_t n[NPROP_ROWS];
	const char *incomplete;		/* why it is not used, or NULL */
	bool is_default;
};

static void prop_view(const struct cfg_ikev2_proposal *p, struct prop_view *v)
{
	const struct cfg_ikev2_alg *lists[NPROP_ROWS] = { p->encr, p->integ, p->prf, p->group };
	const size_t counts[NPROP_ROWS] = { p->nencr, p->ninteg, p->nprf, p->ngroup };
	memset(v, 0, sizeof(*v));
	v->name = p->name;
	v->is_default = p == config_v2_default_proposal();
	for (size_t r = 0; r < NPROP_ROWS; r++)
		for (size_t i = 0; i < counts[r] && i < CFG_V2_MAX_ALG; i++) {
			const struct xf2_alg *x = xf2_by_id(PROP_ROWS[r].type, lists[r][i].id, lists[r][i].bits);
			if (x)
				v->alg[r][v->n[r]++] = x->show;
		}
	if (config_v2_proposal_check(p, &v->incomplete) == 0)
		v->incomplete = NULL;
}

static void show_proposal(struct emit *o, const struct cfg_ikev2_proposal *p)
{
	struct prop_view v;
	prop_view(p, &v);
	if (o->j) {
		json_obj_begin(o->j, NULL);
		json_str(o->j, "name", v.name);
		json_bool(o->j, "default", v.is_default);
		for (size_t r = 0; r < NPROP_ROWS; r++) {
			json_arr_begin(o->j, PROP_ROWS[r].key);
			for (size_t i = 0; i < v.n[r]; i++)
				json_str(o->j, NULL, v.alg[r][i]);
			json_arr_end(o->j);
		}
		json_str(o->j, "incomplete", v.incomplete);
		json_obj_end(o->j);
		return;
	}
	sb_printf(o->out, " IKEv2 proposal: %s\n", v.name);
	for (size_t r = 0; r < NPROP_ROWS; r++) {
		if (!v.n[r])
			continue;
		sb_puts(o->out, PROP_ROWS[r].label);
		for (size_t i = 0; i < v.n[r]; i++)
			sb_printf(o->out, " %s", v.alg[r][i]);
		sb_puts(o->out, "\n");
	}
	if (v.incomplete)
		sb_printf(o->out, "     (incomplete: %s; not used)\n", v.incomplete);
}

/* ---- policy ---- */

static void show_policy(struct emit *o, const struct cfg_ikev2_policy *p)
{
	if (o->j) {
		json_obj_begin(o->j, NULL);
		json_str(o->j, "name", p->name);
		json_bool(o->j, "default", p == config_v2_default_policy());
		json_str(o->j, "match_fvrf", "global");
		json_arr_begin(o->j, "match_address_local");	/* empty: any */
		for (size_t i = 0; i < p->nmatch_local; i++)
			json_ip(o->j, NULL, p->match_local[i]);
		json_arr_end(o->j);
		json_arr_begin(o->j, "proposals");
		for (size_t i = 0; i < p->nproposal; i++)
			json_str(o->j, NULL, p->proposals[i]);
		json_arr_end(o->j);
		json_obj_end(o->j);
		return;
	}
	sb_printf(o->out, "\n IKEv2 policy : %s\n", p->name);
	sb_puts(o->out, "      Match fvrf : global\n");
	if (!p->nmatch_local)
		sb_puts(o->out, "      Match address local : any\n");
	for (size_t i = 0; i < p->nmatch_local; i++) {
		sb_puts(o->out, "      Match address local : ");
		text_ip(o->out, p->match_local[i]);
		sb_puts(o->out, "\n");
	}
	for (size_t i = 0; i < p->nproposal; i++)
		sb_printf(o->out, "      Proposal    : %s\n", p->proposals[i]);
}

/* ---- profile ---- */

struct prof_view {
	const struct cfg_ikev2_profile *p;
	size_t refs;			/* crypto map entries naming it */
	const char *auth_local, *auth_remote;
	const char *keyring;		/* NULL: none */
	const char *dpd_mode;		/* NULL: DPD off */
};

static void prof_view(const struct config *c, const struct cfg_ikev2_profile *p, struct prof_view *v)
{
	memset(v, 0, sizeof(*v));
	v->p = p;
	for (size_t i = 0; i < c->ncmap; i++)
		v->refs += strcmp(c->cmaps[i].ikev2_profile, p->name) == 0;
	v->auth_local = p->auth_local == CFG_V2_AUTH_PSK ? "pre-share" : "none";
	v->auth_remote = p->auth_remote == CFG_V2_AUTH_PSK ? "pre-share" : "none";
	v->keyring = p->keyring[0] ? p->keyring : NULL;
	v->dpd_mode = !p->dpd_interval ? NULL : p->dpd_periodic ? "periodic" : "on-demand";
}

static void profile_json(struct json *j, const struct prof_view *v)
{
	const struct cfg_ikev2_profile *p = v->p;
	json_obj_begin(j, NULL);
	json_str(j, "name", p->name);
	json_u64(j, "ref_count", v->refs);
	json_arr_begin(j, "match_identity_remote");
	for (size_t i = 0; i < p->nmatch_remote; i++) {
		json_obj_begin(j, NULL);
		json_ip(j, "address", p->match_remote[i].addr);
		json_ip(j, "mask", p->match_remote[i].mask);
		json_obj_end(j);
	}
	json_arr_end(j);
	if (p->has_id_local)
		json_ip(j, "local_identity", p->id_local);
	else
		json_null(j, "local_identity");
	json_str(j, "local_auth", v->auth_local);
	json_str(j, "remote_auth", v->auth_remote);
	json_str(j, "keyring", v->keyring);
	json_u64(j, "lifetime_sec", p->lifetime);
	if (v->dpd_mode) {
		json_obj_begin(j, "dpd");
		json_u64(j, "interval_sec", p->dpd_interval);
		json_u64(j, "retry_sec", p->dpd_retry);
		json_str(j, "mode", v->dpd_mode);
		json_obj_end(j);
	} else {
		json_null(j, "dpd");
	}
	json_obj_end(j);
}

static void profile_text(struct strbuf *out, const struct prof_view *v)
{
	const struct cfg_ikev2_profile *p = v->p;
	sb_printf(out, "IKEv2 profile: %s\n Ref Count: %zu\n Match criteria: \n", p->name, v->refs);
	sb_puts(out, "  Fvrf: global\n  Local address/interface: none\n  Identities:");
	if (!p->nmatch_remote)
		sb_puts(out, " none");
	sb_puts(out, "\n");
	for (size_t i = 0; i < p->nmatch_remote; i++) {
		sb_puts(out, "   address ");
		text_ip(out, p->match_remote[i].addr);
		sb_puts(out, " ");
		text_ip(out, p->match_remote[i].mask);
		sb_puts(out, "\n");
	}
	sb_puts(out, "  Certificate maps: none\n Local identity: ");
	if (p->has_id_local) {
		sb_puts(out, "address ");
		text_ip(out, p->id_local);
	} else {
		sb_puts(out, "none");
	}
	sb_puts(out, "\n Remote identity: none\n");
	sb_printf(out, " Local authentication method: %s\n", v->auth_local);
	sb_printf(out, " Remote authentication method(s): %s\n", v->auth_remote);
	sb_puts(out, " EAP options: none\n");
	sb_printf(out, " Keyring: %s\n", v->keyring ? v->keyring : "none");
	sb_puts(out, " Trustpoint(s): none\n");
	sb_printf(out, " Lifetime: %u seconds\n", p->lifetime);
	if (v->dpd_mode)
		sb_printf(out, " DPD: interval %u, retry %u, %s\n", p->dpd_interval, p->dpd_retry, v->dpd_mode);
	else
		sb_puts(out, " DPD: disabled\n");
	sb_puts(out, " NAT-keepalive: disabled\n Ivrf: none\n Virtual-template: none\n");
}

/* ---- the commands ---- */

/*
 * Opens the JSON document (its array under key) when --json asked for one.
 * The caller closes it with done(); a name that does not exist is the
 * IOS error line and a failure, never a document.
 */
static void begin(struct cli_ctx *ctx, struct emit *o, struct json *j, const char *cmd, const char *key)
{
	o->out = ctx->out;
	o->j = NULL;
	if (!ctx->json)
		return;
	o->j = j;
	json_doc_begin(j, ctx->out, cmd);
	json_arr_begin(j, key);
}

static int done(struct cli_ctx *ctx, struct emit *o, const char *what, const char *name, bool any)
{
	if (name && !any) {
		if (o->j)
			sb_reset(ctx->out);
		sb_printf(ctx->out, "%% IKEv2 %s %s does not exist\n", what, name);
		return o->j ? -1 : 0;
	}
	if (o->j) {
		json_arr_end(o->j);
		json_doc_end(o->j);
		ctx->json_done = true;
	}
	return 0;
}

static int show_proposal_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	const struct config *c = ctx->cfg;
	const char *name = a->argc > 4 ? a->argv[4] : NULL;
	struct emit o;
	struct json j;
	bool any = false;
	begin(ctx, &o, &j, "show crypto ikev2 proposal", "proposals");
	for (size_t i = 0; i < c->nv2_proposal; i++)
		if (!name || strcmp(name, c->v2_proposals[i].name) == 0) {
			show_proposal(&o, &c->v2_proposals[i]);
			any = true;
		}
	/* IOS's default proposal is there to see until a policy replaces it */
	const struct cfg_ikev2_proposal *d = config_v2_default_proposal();
	if ((!name && !c->nv2_policy) || (name && !any && strcmp(name, d->name) == 0)) {
		show_proposal(&o, d);
		any = true;
	}
	return done(ctx, &o, "proposal", name, any);
}

static int show_policy_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	const struct config *c = ctx->cfg;
	const char *name = a->argc > 4 ? a->argv[4] : NULL;
	struct emit o;
	struct json j;
	bool any = false;
	begin(ctx, &o, &j, "show crypto ikev2 policy", "policies");
	for (size_t i = 0; i < c->nv2_policy; i++)
		if (!name || strcmp(name, c->v2_policies[i].name) == 0) {
			show_policy(&o, &c->v2_policies[i]);
			any = true;
		}
	const struct cfg_ikev2_policy *d = config_v2_default_policy();
	if (!c->nv2_policy && (!name || strcmp(name, d->name) == 0)) {
		show_policy(&o, d);
		any = true;
	}
	return done(ctx, &o, "policy", name, any);
}

static int show_profile_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	const struct config *c = ctx->cfg;
	const char *name = a->argc > 4 ? a->argv[4] : NULL;
	struct emit o;
	struct json j;
	bool any = false;
	begin(ctx, &o, &j, "show crypto ikev2 profile", "profiles");
	for (size_t i = 0; i < c->nv2_profile; i++)
		if (!name || strcmp(name, c->v2_profiles[i].name) == 0) {
			struct prof_view v;
			prof_view(c, &c->v2_profiles[i], &v);
			if (o.j) {
				profile_json(o.j, &v);
			} else {
				if (any)
					sb_puts(ctx->out, "\n");
				profile_text(ctx->out, &v);
			}
			any = true;
		}
	return done(ctx, &o, "profile", name, any);
}

static const struct cmd_def v2_show_cmds[] = {
	{ MODE_EXEC, "show crypto ikev2 proposal [ WORD ]",
	  "ikev2:Shows ikev2 information;proposal:Show IKEv2 proposals;WORD:IKEv2 proposal name",
	  show_proposal_fn, NULL },
	{ MODE_EXEC, "show crypto ikev2 policy [ WORD ]",
	  "ikev2:Shows ikev2 information;policy:Show IKEv2 policies;WORD:IKEv2 policy name",
	  show_policy_fn, NULL },
	{ MODE_EXEC, "show crypto ikev2 profile [ WORD ]",
	  "ikev2:Shows ikev2 information;profile:Shows ikev2 profiles;WORD:IKEv2 profile name",
	  show_profile_fn, NULL },
};
CMD_REGISTER(v2_show_cmds)
