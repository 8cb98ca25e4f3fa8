#include "ikev2/ikev2_conf.h"

#include <string.h>

#include <openssl/crypto.h>

bool ikev2_conf_build_why(const struct config *cfg, const struct cfg_cmap_entry *e, uint32_t local,
			  uint32_t peer, struct ikev2_peer_conf *out, const char **why)
{
	(void)cfg; (void)e; (void)local; (void)peer;
	OPENSSL_cleanse(out, sizeof(*out));
	if (why)
		*why = "not implemented yet";
	return false;
}

bool ikev2_conf_build(const struct config *cfg, const struct cfg_cmap_entry *e, uint32_t local,
		      uint32_t peer, struct ikev2_peer_conf *out)
{
	return ikev2_conf_build_why(cfg, e, local, peer, out, NULL);
}

const struct cfg_cmap_entry *ikev2_conf_entry_for_peer(const struct config *cfg, uint32_t peer)
{
	for (size_t i = 0; i < cfg->ncmap; i++) {
		const struct cfg_cmap_entry *e = &cfg->cmaps[i];
		if (e->manual || !e->ikev2_profile[0])
			continue;
		for (size_t j = 0; j < e->npeers; j++)
			if (e->peers[j] == peer)
				return e;
	}
	return NULL;
}
