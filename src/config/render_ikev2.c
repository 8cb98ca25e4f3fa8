/*
 * crypto ikev2 in running-config, and `show crypto ikev2 proposal|policy|
 * profile [NAME]` in IOS's layouts (IOS 15.x / IOS-XE).  Both read the
 * algorithm names from the one table in config/transform.c.
 */
#include <stdio.h>
#include <string.h>

#include "config/cfg_int.h"
#include "config/transform.h"
#include "core/ipfmt.h"

static void ip(struct strbuf *out, uint32_t a)
{
	char b[IP_FMT_LEN];
	sb_puts(out, ip_fmt(a, b));
}

static void extras(struct strbuf *out, const struct cfg_opaque *x, const char *indent)
{
	for (size_t i = 0; i < x->nsub; i++)
		sb_printf(out, "%s%s\n", indent, x->sub[i]);
}

static void algs(struct strbuf *out, const char *kw, uint8_t type, const struct cfg_ikev2_alg *v, size_t n,
		 bool show)
{
	if (!n)
		return;
	sb_puts(out, kw);
	for (size_t i = 0; i < n; i++) {
		const struct xf2_alg *x = xf2_by_id(type, v[i].id, v[i].bits);
		if (x)
			sb_printf(out, " %s", show ? x->show : x->kw);
	}
	sb_puts(out, "\n");
}

static void r_proposal(struct strbuf *out, const struct cfg_ikev2_proposal *p)
{
	sb_printf(out, "crypto ikev2 proposal %s\n", p->name);
	algs(out, " encryption", IKEV2_XF_ENCR, p->encr, p->nencr, false);
	algs(out, " integrity", IKEV2_XF_INTEG, p->integ, p->ninteg, false);
	algs(out, " prf", IKEV2_XF_PRF, p->prf, p->nprf, false);
	algs(out, " group", IKEV2_XF_DH, p->group, p->ngroup, false);
	extras(out, &p->extra, " ");
}

static void r_policy(struct strbuf *out, const struct cfg_ikev2_policy *p)
{
	sb_printf(out, "crypto ikev2 policy %s\n", p->name);
	for (size_t i = 0; i < p->nmatch_local; i++) {
		sb_puts(out, " match address local ");
		ip(out, p->match_local[i]);
		sb_puts(out, "\n");
	}
	for (size_t i = 0; i < p->nproposal; i++)
		sb_printf(out, " proposal %s\n", p->proposals[i]);
	extras(out, &p->extra, " ");
}

static void r_psk(struct strbuf *out, const char *dir, const struct cfg_ikev2_psk *k)
{
	if (!k->key[0])
		return;
	sb_printf(out, "  pre-shared-key %s", dir);
	if (k->enc_type >= 0)
		sb_printf(out, "%d ", k->enc_type);
	sb_printf(out, "%s\n", k->key);
}

static void r_keyring(struct strbuf *out, const struct cfg_ikev2_keyring *k)
{
	sb_printf(out, "crypto ikev2 keyring %s\n", k->name);
	/* before the peers: after them a reload would give them to the last peer */
	extras(out, &k->extra, " ");
	for (size_t i = 0; i < k->npeer; i++) {
		const struct cfg_ikev2_kr_peer *p = &k->peers[i];
		sb_printf(out, " peer %s\n", p->name);
		if (p->description[0])
			sb_printf(out, "  description %s\n", p->description);
		if (p->has_addr) {
			sb_puts(out, "  address ");
			ip(out, p->addr);
			if (p->mask != 0xffffffff) {
				sb_puts(out, " ");
				ip(out, p->mask);
			}
			sb_puts(out, "\n");
		}
		if (p->psk_both) {
			r_psk(out, "", &p->psk_local);
		} else {
			r_psk(out, "local ", &p->psk_local);
			r_psk(out, "remote ", &p->psk_remote);
		}
		extras(out, &p->extra, " ");
		sb_puts(out, " !\n");
	}
}

static void r_profile(struct strbuf *out, const struct cfg_ikev2_profile *p)
{
	sb_printf(out, "crypto ikev2 profile %s\n", p->name);
	if (p->description[0])
		sb_printf(out, " description %s\n", p->description);
	for (size_t i = 0; i < p->nmatch_remote; i++) {
		sb_puts(out, " match identity remote address ");
		ip(out, p->match_remote[i].addr);
		sb_puts(out, " ");
		ip(out, p->match_remote[i].mask);
		sb_puts(out, "\n");
	}
	if (p->has_id_local) {
		sb_puts(out, " identity local address ");
		ip(out, p->id_local);
		sb_puts(out, "\n");
	}
	if (p->auth_remote == CFG_V2_AUTH_PSK)
		sb_puts(out, " authentication remote pre-share\n");
	if (p->auth_local == CFG_V2_AUTH_PSK)
		sb_puts(out, " authentication local pre-share\n");
	if (p->keyring[0])
		sb_printf(out, " keyring local %s\n", p->keyring);
	if (p->lifetime != CFG_V2_LIFETIME)
		sb_printf(out, " lifetime %u\n", p->lifetime);
	if (p->dpd_interval)
		sb_printf(out, " dpd %u %u %s\n", p->dpd_interval, p->dpd_retry,
			  p->dpd_periodic ? "periodic" : "on-demand");
	extras(out, &p->extra, " ");
}

void cfg_render_v2(struct strbuf *out, const struct config *c, enum ord_kind kind, const char *key)
{
	switch (kind) {
	case ORD_V2_PROPOSAL: {
		const struct cfg_ikev2_proposal *p = config_v2_proposal(c, key);
		if (p)
			r_proposal(out, p);
		break;
	}
	case ORD_V2_POLICY: {
		const struct cfg_ikev2_policy *p = config_v2_policy(c, key);
		if (p)
			r_policy(out, p);
		break;
	}
	case ORD_V2_KEYRING: {
		const struct cfg_ikev2_keyring *k = config_v2_keyring(c, key);
		if (k)
			r_keyring(out, k);
		break;
	}
	case ORD_V2_FRAG:
		/* IOS leaves the default mtu out. */
		if (c->v2_frag_mtu == CFG_V2_FRAG_MTU)
			sb_puts(out, "crypto ikev2 fragmentation\n");
		else if (c->v2_frag_mtu)
			sb_printf(out, "crypto ikev2 fragmentation mtu %u\n", c->v2_frag_mtu);
		break;
	case ORD_V2_PROFILE: {
		const struct cfg_ikev2_profile *p = config_v2_profile(c, key);
		if (p)
			r_profile(out, p);
		break;
	}
	case ORD_V2_QCD:
		if (c->v2_qcd_off)
			sb_puts(out, "no crypto ikev2 quick-crash-detection\n");
		else if (c->v2_qcd_file[0])
			sb_printf(out, "crypto ikev2 quick-crash-detection secret-file %s\n", c->v2_qcd_file);
		break;
	case ORD_V2_COOKIE:
		if (c->v2_cookie_challenge)
			sb_printf(out, "crypto ikev2 cookie-challenge %u\n", c->v2_cookie_challenge);
		break;
	default:
		break;
	}
}

/* ---- show crypto ikev2 proposal | policy | profile ---- */

static void show_proposal(struct strbuf *out, const struct cfg_ikev2_proposal *p)
{
	sb_printf(out, " IKEv2 proposal: %s\n", p->name);
	algs(out, "     Encryption :", IKEV2_XF_ENCR, p->encr, p->nencr, true);
	algs(out, "     Integrity  :", IKEV2_XF_INTEG, p->integ, p->ninteg, true);
	algs(out, "     PRF        :", IKEV2_XF_PRF, p->prf, p->nprf, true);
	algs(out, "     DH Group   :", IKEV2_XF_DH, p->group, p->ngroup, true);
	const char *why;
	if (config_v2_proposal_check(p, &why) < 0)
		sb_printf(out, "     (incomplete: %s; not used)\n", why);
}

static void show_policy(struct strbuf *out, const struct cfg_ikev2_policy *p)
{
	sb_printf(out, "\n IKEv2 policy : %s\n", p->name);
	sb_puts(out, "      Match fvrf : global\n");
	if (!p->nmatch_local)
		sb_puts(out, "      Match address local : any\n");
	for (size_t i = 0; i < p->nmatch_local; i++) {
		sb_puts(out, "      Match address local : ");
		ip(out, p->match_local[i]);
		sb_puts(out, "\n");
	}
	for (size_t i = 0; i < p->nproposal; i++)
		sb_printf(out, "      Proposal    : %s\n", p->proposals[i]);
}

static void show_profile(struct strbuf *out, const struct config *c, const struct cfg_ikev2_profile *p)
{
	size_t refs = 0;
	for (size_t i = 0; i < c->ncmap; i++)
		refs += strcmp(c->cmaps[i].ikev2_profile, p->name) == 0;
	sb_printf(out, "IKEv2 profile: %s\n Ref Count: %zu\n Match criteria: \n", p->name, refs);
	sb_puts(out, "  Fvrf: global\n  Local address/interface: none\n  Identities:");
	if (!p->nmatch_remote)
		sb_puts(out, " none");
	sb_puts(out, "\n");
	for (size_t i = 0; i < p->nmatch_remote; i++) {
		sb_puts(out, "   address ");
		ip(out, p->match_remote[i].addr);
		sb_puts(out, " ");
		ip(out, p->match_remote[i].mask);
		sb_puts(out, "\n");
	}
	sb_puts(out, "  Certificate maps: none\n Local identity: ");
	if (p->has_id_local) {
		sb_puts(out, "address ");
		ip(out, p->id_local);
	} else {
		sb_puts(out, "none");
	}
	sb_puts(out, "\n Remote identity: none\n");
	sb_printf(out, " Local authentication method: %s\n",
		  p->auth_local == CFG_V2_AUTH_PSK ? "pre-share" : "none");
	sb_printf(out, " Remote authentication method(s): %s\n",
		  p->auth_remote == CFG_V2_AUTH_PSK ? "pre-share" : "none");
	sb_puts(out, " EAP options: none\n");
	sb_printf(out, " Keyring: %s\n", p->keyring[0] ? p->keyring : "none");
	sb_puts(out, " Trustpoint(s): none\n");
	sb_printf(out, " Lifetime: %u seconds\n", p->lifetime);
	if (p->dpd_interval)
		sb_printf(out, " DPD: interval %u, retry %u, %s\n", p->dpd_interval, p->dpd_retry,
			  p->dpd_periodic ? "periodic" : "on-demand");
	else
		sb_puts(out, " DPD: disabled\n");
	sb_puts(out, " NAT-keepalive: disabled\n Ivrf: none\n Virtual-template: none\n");
}

static int show_proposal_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	const struct config *c = ctx->cfg;
	const char *name = a->argc > 4 ? a->argv[4] : NULL;
	bool any = false;
	for (size_t i = 0; i < c->nv2_proposal; i++)
		if (!name || strcmp(name, c->v2_proposals[i].name) == 0) {
			show_proposal(ctx->out, &c->v2_proposals[i]);
			any = true;
		}
	/* IOS's default proposal is there to see until a policy replaces it */
	const struct cfg_ikev2_proposal *d = config_v2_default_proposal();
	if ((!name && !c->nv2_policy) || (name && !any && strcmp(name, d->name) == 0)) {
		show_proposal(ctx->out, d);
		any = true;
	}
	if (name && !any)
		sb_printf(ctx->out, "%% IKEv2 proposal %s does not exist\n", name);
	return 0;
}

static int show_policy_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	const struct config *c = ctx->cfg;
	const char *name = a->argc > 4 ? a->argv[4] : NULL;
	bool any = false;
	for (size_t i = 0; i < c->nv2_policy; i++)
		if (!name || strcmp(name, c->v2_policies[i].name) == 0) {
			show_policy(ctx->out, &c->v2_policies[i]);
			any = true;
		}
	const struct cfg_ikev2_policy *d = config_v2_default_policy();
	if (!c->nv2_policy && (!name || strcmp(name, d->name) == 0)) {
		show_policy(ctx->out, d);
		any = true;
	}
	if (name && !any)
		sb_printf(ctx->out, "%% IKEv2 policy %s does not exist\n", name);
	return 0;
}

static int show_profile_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	const struct config *c = ctx->cfg;
	const char *name = a->argc > 4 ? a->argv[4] : NULL;
	bool any = false;
	for (size_t i = 0; i < c->nv2_profile; i++)
		if (!name || strcmp(name, c->v2_profiles[i].name) == 0) {
			if (any)
				sb_puts(ctx->out, "\n");
			show_profile(ctx->out, c, &c->v2_profiles[i]);
			any = true;
		}
	if (name && !any)
		sb_printf(ctx->out, "%% IKEv2 profile %s does not exist\n", name);
	return 0;
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
