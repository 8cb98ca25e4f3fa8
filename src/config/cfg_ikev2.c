/*
 * The crypto ikev2 part of the config model: lookups by name and freeing
 * (the commands are in cmd_ikev2.c, the rendering in render_ikev2.c).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config/cfg_int.h"

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

void cfg_v2_keyring_clear(struct cfg_ikev2_keyring *k)
{
	if (k->peers)
		OPENSSL_cleanse(k->peers, sizeof(*k->peers) * k->npeer);
	free(k->peers);
	k->peers = NULL;
	k->npeer = 0;
}

void cfg_v2_free(struct config *cfg)
{
	free(cfg->v2_proposals);
	free(cfg->v2_policies);
	for (size_t i = 0; i < cfg->nv2_keyring; i++)
		cfg_v2_keyring_clear(&cfg->v2_keyrings[i]);
	free(cfg->v2_keyrings);
	for (size_t i = 0; i < cfg->nv2_profile; i++)
		cfg_opaque_clear(&cfg->v2_profiles[i].extra);
	free(cfg->v2_profiles);
}
