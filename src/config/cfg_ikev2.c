/*
 * The crypto ikev2 part of the config model: lookups by name and freeing
 * and IOS's defaults (the commands are in cmd_ikev2*.c, the rendering and
 * show commands in render_ikev2.c).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config/cfg_int.h"
#include "config/transform.h"

/*
 * IOS's smart defaults as IOS-XE 16.x/17.x shows them (`show crypto ikev2
 * proposal default`): AES-CBC-256; SHA512 SHA384 for integrity and PRF;
 * DH groups 19, 14, 21, 5.  The default policy matches any local address
 * and uses the default proposal; both apply only when no `crypto ikev2
 * policy` is configured.
 */
static const struct cfg_ikev2_proposal default_proposal = {
	.name = "default",
	.encr = { { IKEV2_ENCR_AES_CBC, 256 } },
	.nencr = 1,
	.integ = { { IKEV2_AUTH_HMAC_SHA2_512_256, 0 }, { IKEV2_AUTH_HMAC_SHA2_384_192, 0 } },
	.ninteg = 2,
	.prf = { { IKEV2_PRF_HMAC_SHA2_512, 0 }, { IKEV2_PRF_HMAC_SHA2_384, 0 } },
	.nprf = 2,
	.group = { { 19, 0 }, { 14, 0 }, { 21, 0 }, { 5, 0 } },
	.ngroup = 4,
};

static const struct cfg_ikev2_policy default_policy = {
	.name = "default",
	.proposals = { "default" },
	.nproposal = 1,
};

const struct cfg_ikev2_proposal *config_v2_default_proposal(void) { return &default_proposal; }
const struct cfg_ikev2_policy *config_v2_default_policy(void) { return &default_policy; }

int config_v2_proposal_check(const struct cfg_ikev2_proposal *p, const char **why)
{
	size_t aead = 0;
	for (size_t i = 0; i < p->nencr; i++) {
		const struct xf2_alg *a = xf2_by_id(IKEV2_XF_ENCR, p->encr[i].id, p->encr[i].bits);
		aead += a && a->aead;
	}
	const char *w = NULL;
	if (!p->nencr)
		w = "no encryption algorithm";
	else if (!p->ngroup)
		w = "no DH group";
	else if (aead && aead != p->nencr)
		w = "aes-gcm and aes-cbc cannot be in one proposal";
	else if (aead && p->ninteg)
		w = "aes-gcm carries its own integrity: remove integrity";
	else if (aead && !p->nprf)
		w = "aes-gcm needs a prf";
	else if (!aead && !p->ninteg)
		w = "no integrity algorithm";
	if (why)
		*why = w;
	return w ? -1 : 0;
}

const struct cfg_ikev2_proposal *config_v2_proposal(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nv2_proposal; i++)
		if (strcmp(cfg->v2_proposals[i].name, name) == 0)
			return &cfg->v2_proposals[i];
	return NULL;
}

const struct cfg_ikev2_policy *config_v2_policy(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nv2_policy; i++)
		if (strcmp(cfg->v2_policies[i].name, name) == 0)
			return &cfg->v2_policies[i];
	return NULL;
}

const struct cfg_ikev2_keyring *config_v2_keyring(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nv2_keyring; i++)
		if (strcmp(cfg->v2_keyrings[i].name, name) == 0)
			return &cfg->v2_keyrings[i];
	return NULL;
}

const struct cfg_ikev2_profile *config_v2_profile(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nv2_profile; i++)
		if (strcmp(cfg->v2_profiles[i].name, name) == 0)
			return &cfg->v2_profiles[i];
	return NULL;
}

struct cfg_ikev2_proposal *cfg_v2_proposal_get(struct config *cfg, const char *name)
{
	return (struct cfg_ikev2_proposal *)config_v2_proposal(cfg, name);
}

struct cfg_ikev2_policy *cfg_v2_policy_get(struct config *cfg, const char *name)
{
	return (struct cfg_ikev2_policy *)config_v2_policy(cfg, name);
}

struct cfg_ikev2_keyring *cfg_v2_keyring_get(struct config *cfg, const char *name)
{
	return (struct cfg_ikev2_keyring *)config_v2_keyring(cfg, name);
}

struct cfg_ikev2_profile *cfg_v2_profile_get(struct config *cfg, const char *name)
{
	return (struct cfg_ikev2_profile *)config_v2_profile(cfg, name);
}

static int missing(struct strbuf *err, const char *file, int line, const char *what, const char *name)
{
	if (err)
		sb_printf(err, "%s:%d: %% IKEv2 %s %s does not exist\n", file, line, what, name);
	return -1;
}

int cfg_v2_check_refs(const struct config *cfg, const char *name, struct strbuf *err)
{
	for (size_t i = 0; i < cfg->nv2_policy; i++) {
		const struct cfg_ikev2_policy *p = &cfg->v2_policies[i];
		for (size_t j = 0; j < p->nproposal; j++)
			if (!config_v2_proposal(cfg, p->proposals[j]))
				return missing(err, name, p->proposal_line[j], "proposal", p->proposals[j]);
	}
	for (size_t i = 0; i < cfg->nv2_profile; i++) {
		const struct cfg_ikev2_profile *p = &cfg->v2_profiles[i];
		if (p->keyring[0] && !config_v2_keyring(cfg, p->keyring))
			return missing(err, name, p->keyring_line, "keyring", p->keyring);
	}
	for (size_t i = 0; i < cfg->ncmap; i++) {
		const struct cfg_cmap_entry *e = &cfg->cmaps[i];
		if (e->ikev2_profile[0] && !config_v2_profile(cfg, e->ikev2_profile))
			return missing(err, name, e->ikev2_profile_line, "profile", e->ikev2_profile);
	}
	return 0;
}

void cfg_v2_notes(const struct config *cfg, const char *name, struct strbuf *notes)
{
	if (!notes)
		return;
	for (size_t i = 0; i < cfg->nv2_proposal; i++) {
		const struct cfg_ikev2_proposal *p = &cfg->v2_proposals[i];
		const char *why;
		if (config_v2_proposal_check(p, &why) < 0)
			sb_printf(notes, "%s:%d: %% IKEv2 proposal %s is incomplete (%s): it is not used\n",
				  name, p->lineno, p->name, why);
	}
	for (size_t i = 0; i < cfg->nv2_policy; i++) {
		const struct cfg_ikev2_policy *p = &cfg->v2_policies[i];
		if (!p->nproposal)
			sb_printf(notes, "%s:%d: %% IKEv2 policy %s has no proposal: it matches nothing\n",
				  name, p->lineno, p->name);
	}
}

void cfg_v2_keyring_clear(struct cfg_ikev2_keyring *k)
{
	for (size_t i = 0; i < k->npeer; i++)
		cfg_opaque_clear(&k->peers[i].extra);
	cfg_opaque_clear(&k->extra);
	if (k->peers)
		OPENSSL_cleanse(k->peers, sizeof(*k->peers) * k->npeer);
	free(k->peers);
	k->peers = NULL;
	k->npeer = 0;
}

void cfg_v2_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->nv2_proposal; i++)
		cfg_opaque_clear(&cfg->v2_proposals[i].extra);
	free(cfg->v2_proposals);
	for (size_t i = 0; i < cfg->nv2_policy; i++)
		cfg_opaque_clear(&cfg->v2_policies[i].extra);
	free(cfg->v2_policies);
	for (size_t i = 0; i < cfg->nv2_keyring; i++)
		cfg_v2_keyring_clear(&cfg->v2_keyrings[i]);
	free(cfg->v2_keyrings);
	for (size_t i = 0; i < cfg->nv2_profile; i++)
		cfg_opaque_clear(&cfg->v2_profiles[i].extra);
	free(cfg->v2_profiles);
}
