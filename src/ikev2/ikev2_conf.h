/*
 * From the IOS configuration (crypto ikev2 proposal/policy/keyring/profile
 * and a crypto map entry with `set ikev2-profile`) to what the IKEv2 engine
 * takes for one peer (struct ikev2_peer_conf).  The router glue calls these
 * from its ikev2_host.conf hook; nothing here keeps state.
 */
#ifndef SPIGOT_IKEV2_CONF_H
#define SPIGOT_IKEV2_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "ikev2/ikev2_sa.h"

/*
 * Fills out for the crypto map entry e between local and peer (host byte
 * order): IKE suites from the policy matching local (else the default
 * policy), Child suites from e's transform sets, PSKs from the profile's
 * keyring peer matching peer, identities, traffic selectors from e's ACL
 * (its first permit ACE).  False when something is missing; *why (if why
 * is not NULL, ikev2_conf_build_why) says what.  out is wiped on failure.
 */
/*
 * The n-th permit ACE (0 first) of the entry's ACL as traffic selectors,
 * ours and the peer's: false when it is none (*more false past the last).
 * IOS negotiates a Child SA per ACE; a responder finds the one a proposal is for.
 */
bool ikev2_conf_ace_ts(const struct config *cfg, const struct cfg_cmap_entry *e, size_t n, bool *more,
		       struct ikev2_range *local, struct ikev2_range *remote);
bool ikev2_conf_build(const struct config *cfg, const struct cfg_cmap_entry *e, uint32_t local,
		      uint32_t peer, struct ikev2_peer_conf *out);
/* The same, saying why it failed (*why static text; NULL on success). */
bool ikev2_conf_build_why(const struct config *cfg, const struct cfg_cmap_entry *e, uint32_t local,
			  uint32_t peer, struct ikev2_peer_conf *out, const char **why);

/* The first crypto map entry (map order) with `set peer` == peer and an ikev2-profile. */
const struct cfg_cmap_entry *ikev2_conf_entry_for_peer(const struct config *cfg, uint32_t peer);

#endif
