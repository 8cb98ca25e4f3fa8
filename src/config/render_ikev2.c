/*
 * crypto ikev2 in running-config (IOS 15.x / IOS-XE), algorithm names from
 * the one table in config/transform.c.  `show crypto ikev2 proposal|
 * policy|profile` (text and JSON) are in show_ikev2.c.
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
