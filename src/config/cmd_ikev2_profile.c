/*
 * crypto ikev2 profile (IOS 15.x, IOS-XE), `set ikev2-profile` in a crypto
 * map entry, and `exit` from the crypto ikev2 sub-modes.
 */
#include <stdio.h>
#include <string.h>

#include "config/cfg_int.h"
#include "config/cmd_v2.h"

static int profile_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	if (!cfg_v2_name_ok(ctx, a, 3))
		return -1;
	struct config *c = ctx->cfg;
	if (!cfg_v2_profile_get(c, a->argv[3])) {
		struct cfg_ikev2_profile *p = cfg_v2_append((void **)&c->v2_profiles, &c->nv2_profile, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", a->argv[3]);
		p->lifetime = CFG_V2_LIFETIME;
		p->dpd_retry = CFG_V2_DPD_RETRY;
		p->lineno = ctx->lineno;
	}
	cfg_order_touch(c, ctx->loading, ORD_V2_PROFILE, a->argv[3]);
	cfg_v2_enter(ctx, MODE_CONFIG_V2_PROFILE, a->argv[3]);
	return 0;
}

static int no_profile_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	if (!cfg_v2_complete(ctx, a, 4))
		return -1;
	struct config *c = ctx->cfg;
	struct cfg_ikev2_profile *p = cfg_v2_profile_get(c, a->argv[3]);
	if (!p)
		return 0;
	for (size_t i = 0; i < c->ncmap; i++)
		if (strcmp(c->cmaps[i].ikev2_profile, p->name) == 0) {
			sb_printf(ctx->out, "%% IKEv2 profile %s is used by crypto map %s %d\n", p->name,
				  c->cmaps[i].name, c->cmaps[i].seq);
			return -1;
		}
	cfg_opaque_clear(&p->extra);
	cfg_order_remove(c, ORD_V2_PROFILE, a->argv[3]);
	cfg_v2_remove_at(c->v2_profiles, &c->nv2_profile, sizeof(*p), (size_t)(p - c->v2_profiles));
	return 0;
}

static struct cfg_ikev2_profile *cur(struct cli_ctx *ctx)
{
	struct cfg_ikev2_profile *p = cfg_v2_profile_get(ctx->cfg, ctx->mode_key);
	if (!p)
		sb_printf(ctx->out, "%% IKEv2 profile %s no longer exists\n", ctx->mode_key);
	return ctx->mode_obj = p;
}

static int desc_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ikev2_profile *p = cur(ctx);
	if (!p)
		return -1;
	return cfg_v2_description(ctx, a, p->description, sizeof(p->description));
}

/* match identity remote address A.B.C.D [MASK] */
static int match_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ikev2_profile *p = cur(ctx);
	if (!p)
		return -1;
	if (a->negated && a->argc < 5) {
		p->nmatch_remote = 0;
		return 0;
	}
	uint32_t ip, mask = 0xffffffff;
	if (!cmd_parse_ip(a->argv[4], &ip))
		return cmd_bad(ctx, a, 4);
	if (a->argc > 5 && (!cmd_parse_ip(a->argv[5], &mask) || !cfg_v2_mask_ok(mask)))
		return cmd_bad(ctx, a, 5);
	struct cfg_ikev2_match m = { ip & mask, mask };
	if (cfg_v2_set_edit(p->match_remote, &p->nmatch_remote, sizeof(m), CFG_V2_MAX_MATCH, &m, a->negated) < 0)
		return cmd_bad(ctx, a, 4);
	return 0;
}

static int id_local_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ikev2_profile *p = cur(ctx);
	if (!p)
		return -1;
	if (a->negated) {
		p->has_id_local = false;
		p->id_local = 0;
		return 0;
	}
	uint32_t ip;
	if (!cmd_parse_ip(a->argv[3], &ip))
		return cmd_bad(ctx, a, 3);
	p->has_id_local = true;
	p->id_local = ip;
	return 0;
}

/* authentication {local|remote} pre-share */
static int auth_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ikev2_profile *p = cur(ctx);
	if (!p)
		return -1;
	enum cfg_ikev2_auth v = a->negated ? CFG_V2_AUTH_NONE : CFG_V2_AUTH_PSK;
	if (a->argc < 2) {	/* `no authentication` */
		p->auth_local = p->auth_remote = v;
		return 0;
	}
	if (strcmp(a->argv[1], "local") == 0)
		p->auth_local = v;
	else
		p->auth_remote = v;
	return 0;
}

static int keyring_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ikev2_profile *p = cur(ctx);
	if (!p)
		return -1;
	if (a->negated) {
		p->keyring[0] = '\0';
		return 0;
	}
	if (!ctx->loading && !config_v2_keyring(ctx->cfg, a->argv[2])) {
		sb_printf(ctx->out, "%% IKEv2 keyring %s does not exist\n", a->argv[2]);
		return -1;
	}
	snprintf(p->keyring, sizeof(p->keyring), "%s", a->argv[2]);
	p->keyring_line = ctx->lineno;
	return 0;
}

/* dpd INTERVAL RETRY {on-demand|periodic} */
static int dpd_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ikev2_profile *p = cur(ctx);
	if (!p)
		return -1;
	if (a->negated) {
		p->dpd_interval = 0;
		p->dpd_retry = CFG_V2_DPD_RETRY;
		p->dpd_periodic = false;
		return 0;
	}
	uint32_t iv, retry;
	if (!cmd_parse_u32(a->argv[1], &iv))
		return cmd_bad(ctx, a, 1);
	if (!cmd_parse_u32(a->argv[2], &retry))
		return cmd_bad(ctx, a, 2);
	p->dpd_interval = iv;
	p->dpd_retry = retry;
	p->dpd_periodic = strcmp(a->argv[3], "periodic") == 0;
	return 0;
}

static int lifetime_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ikev2_profile *p = cur(ctx);
	if (!p)
		return -1;
	uint32_t v = CFG_V2_LIFETIME;
	if (!a->negated && !cmd_parse_u32(a->argv[1], &v))
		return cmd_bad(ctx, a, 1);
	p->lifetime = v;
	return 0;
}

/* set ikev2-profile NAME, in a crypto map entry */
static int set_profile_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_cmap_entry *e = cfg_cur_cmap(ctx);
	if (!e) {
		sb_printf(ctx->out, "%% Crypto map %s no longer exists\n", ctx->mode_key);
		return -1;
	}
	if (a->negated) {
		e->ikev2_profile[0] = '\0';
		return 0;
	}
	if (e->manual) {
		sb_puts(ctx->out, "% set ikev2-profile needs an ipsec-isakmp crypto map entry\n");
		return -1;
	}
	if (!ctx->loading && !config_v2_profile(ctx->cfg, a->argv[2])) {
		sb_printf(ctx->out, "%% IKEv2 profile %s does not exist\n", a->argv[2]);
		return -1;
	}
	snprintf(e->ikev2_profile, sizeof(e->ikev2_profile), "%s", a->argv[2]);
	e->ikev2_profile_line = ctx->lineno;
	return 0;
}

/* exit: a keyring peer goes back to its keyring, the others to global config. */
static int exit_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	const struct cfg_ikev2_proposal *p = ctx->mode == MODE_CONFIG_V2_PROPOSAL
		? config_v2_proposal(ctx->cfg, ctx->mode_key) : NULL;
	const char *why;
	if (p && config_v2_proposal_check(p, &why) < 0)
		sb_printf(ctx->out, "%% IKEv2 proposal %s is incomplete (%s): it is not used\n", p->name, why);
	if (!cfg_mode_parent(ctx))
		cfg_v2_enter(ctx, MODE_CONFIG, "");
	return 0;
}

static const struct cmd_def profile_cmds[] = {
	{ MODE_CONFIG, "crypto ikev2 profile WORD",
	  "ikev2:Configure IKEv2 Options;profile:Define IKEv2 Profiles;WORD:Name of IKEv2 Profile",
	  profile_fn, no_profile_fn },
	{ MODE_CONFIG_V2_PROFILE, "description LINE", "description:Specify a description of this profile;LINE:description",
	  desc_fn, desc_fn },
	{ MODE_CONFIG_V2_PROFILE, "match identity remote address A.B.C.D [ A.B.C.D ]",
	  "match:Match values of peer;identity:peer identity;remote:Remote identity;address:IP Address(es);"
	  "A.B.C.D:IPv4 address;A.B.C.D:IPv4 mask",
	  match_fn, match_fn },
	{ MODE_CONFIG_V2_PROFILE, "identity local address A.B.C.D",
	  "identity:Specify the identity;local:Local identity;address:address;A.B.C.D:IPv4 address",
	  id_local_fn, id_local_fn },
	{ MODE_CONFIG_V2_PROFILE, "authentication { local | remote } pre-share",
	  "authentication:Set authentication method;local:Local authentication method;"
	  "remote:Remote authentication method(s);pre-share:Pre-Shared Key",
	  auth_fn, auth_fn },
	{ MODE_CONFIG_V2_PROFILE, "keyring local WORD",
	  "keyring:Keyring;local:Local keyring;WORD:Name of keyring",
	  keyring_fn, keyring_fn },
	{ MODE_CONFIG_V2_PROFILE, "dpd <10-3600> <2-60> { on-demand | periodic }",
	  "dpd:Enable IKE liveness check for peers;<10-3600>:DPD interval in seconds;"
	  "<2-60>:Retry interval in seconds when there is no reply from peer;"
	  "on-demand:Send DPD if no traffic is received from peer when sending packet;"
	  "periodic:Send DPD periodically",
	  dpd_fn, dpd_fn },
	{ MODE_CONFIG_V2_PROFILE, "lifetime <120-86400>", "lifetime:Set lifetime for ikev2 SAs;<120-86400>:Lifetime in seconds",
	  lifetime_fn, lifetime_fn },
	{ MODE_CONFIG_CMAP, "set ikev2-profile WORD",
	  "set:Set values for encryption/decryption;ikev2-profile:Specify ikev2 Profile;WORD:ikev2 profile name",
	  set_profile_fn, set_profile_fn },
	{ MODE_CONFIG_V2_PROPOSAL, "exit", "exit:Exit from IKEv2 proposal sub mode", exit_fn, NULL },
	{ MODE_CONFIG_V2_POLICY, "exit", "exit:Exit from IKEv2 policy sub mode", exit_fn, NULL },
	{ MODE_CONFIG_V2_KEYRING, "exit", "exit:Exit from crypto ikev2 keyring sub mode", exit_fn, NULL },
	{ MODE_CONFIG_V2_KR_PEER, "exit", "exit:Exit from crypto ikev2 keyring peer sub mode", exit_fn, NULL },
	{ MODE_CONFIG_V2_PROFILE, "exit", "exit:Exit from crypto ikev2 profile sub mode", exit_fn, NULL },
};
CMD_REGISTER(profile_cmds)
