/*
 * From the IOS configuration to the IKEv2 engine's view of one peer.
 *
 * IKE suites: the policy whose `match address local` names our address,
 * else the first policy with no match (any local address), else, with no
 * policy configured at all, IOS's default policy and proposal.  A proposal
 * lists several algorithms of each kind; the engine takes whole suites, so
 * they are expanded group by group (the engine puts the suites of the group
 * its KE carries first), an integrity algorithm paired with the PRF of the
 * same hash first (IOS takes the PRF from the integrity algorithm when no
 * prf is configured), up to IKEV2_MAX_SUITES.
 *
 * Child suites: the crypto map entry's transform sets, through the one
 * transform table.  IKEv2 Child SAs here are ESP only: a set with AH is
 * skipped (IOS would offer it; spigot's engine cannot), and at least one
 * ESP set must remain.
 */
#include "ikev2/ikev2_conf.h"

#include <string.h>

#include <openssl/crypto.h>

#include "config/transform.h"

static const struct cfg_ikev2_policy *find_policy(const struct config *cfg, uint32_t local)
{
	if (!cfg->nv2_policy)
		return config_v2_default_policy();
	for (size_t i = 0; i < cfg->nv2_policy; i++)
		for (size_t j = 0; j < cfg->v2_policies[i].nmatch_local; j++)
			if (cfg->v2_policies[i].match_local[j] == local)
				return &cfg->v2_policies[i];
	for (size_t i = 0; i < cfg->nv2_policy; i++)
		if (!cfg->v2_policies[i].nmatch_local)
			return &cfg->v2_policies[i];
	return NULL;
}

static const struct cfg_ikev2_proposal *find_proposal(const struct config *cfg, const char *name)
{
	const struct cfg_ikev2_proposal *p = config_v2_proposal(cfg, name);
	if (!p && strcmp(name, config_v2_default_proposal()->name) == 0)
		p = config_v2_default_proposal();
	return p;
}

static bool suite_eq(const struct ikev2_suite *a, const struct ikev2_suite *b)
{
	return a->encr == b->encr && a->encr_bits == b->encr_bits && a->integ == b->integ &&
	       a->prf == b->prf && a->dh == b->dh;
}

static void add_suite(struct ikev2_peer_conf *out, const struct ikev2_suite *s)
{
	if (out->nike == IKEV2_MAX_SUITES)
		return;
	for (size_t i = 0; i < out->nike; i++)
		if (suite_eq(&out->ike[i], s))
			return;
	out->ike[out->nike++] = *s;
}

/* The PRF of the same hash as an integrity algorithm (sha256 -> PRF_HMAC_SHA2_256). */
static uint16_t prf_of_integ(uint16_t integ)
{
	const struct xf2_alg *i = xf2_by_id(IKEV2_XF_INTEG, integ, 0);
	const struct xf2_alg *p = i ? xf2_by_kw(IKEV2_XF_PRF, i->kw) : NULL;
	return p ? p->id : 0;
}

static bool has_prf(const struct cfg_ikev2_proposal *p, uint16_t id)
{
	for (size_t i = 0; i < p->nprf; i++)
		if (p->prf[i].id == id)
			return true;
	return false;
}

static void expand(const struct cfg_ikev2_proposal *p, struct ikev2_peer_conf *out)
{
	for (size_t g = 0; g < p->ngroup; g++)
		for (size_t e = 0; e < p->nencr; e++) {
			struct ikev2_suite s = { .encr = p->encr[e].id, .encr_bits = p->encr[e].bits,
						 .dh = p->group[g].id };
			if (!p->ninteg) {	/* AES-GCM: prf configured, no integrity */
				for (size_t f = 0; f < p->nprf; f++) {
					s.prf = p->prf[f].id;
					add_suite(out, &s);
				}
				continue;
			}
			for (size_t i = 0; i < p->ninteg; i++) {
				s.integ = p->integ[i].id;
				uint16_t same = prf_of_integ(s.integ);
				s.prf = !p->nprf || has_prf(p, same) ? same : p->prf[0].id;
				add_suite(out, &s);
			}
		}
	/* then the other PRF pairings, if there is room */
	for (size_t g = 0; g < p->ngroup; g++)
		for (size_t e = 0; e < p->nencr; e++)
			for (size_t i = 0; i < p->ninteg; i++)
				for (size_t f = 0; f < p->nprf; f++) {
					struct ikev2_suite s = { .encr = p->encr[e].id, .encr_bits = p->encr[e].bits,
								 .integ = p->integ[i].id, .prf = p->prf[f].id,
								 .dh = p->group[g].id };
					add_suite(out, &s);
				}
}

static bool ike_suites(const struct config *cfg, uint32_t local, struct ikev2_peer_conf *out,
		       const char **why)
{
	const struct cfg_ikev2_policy *pol = find_policy(cfg, local);
	if (!pol) {
		*why = "no IKEv2 policy matches the local address";
		return false;
	}
	for (size_t i = 0; i < pol->nproposal; i++) {
		const struct cfg_ikev2_proposal *p = find_proposal(cfg, pol->proposals[i]);
		if (p && config_v2_proposal_check(p, NULL) == 0)
			expand(p, out);
	}
	if (!out->nike) {
		*why = "the IKEv2 policy has no complete proposal";
		return false;
	}
	return true;
}

static bool child_suites(const struct config *cfg, const struct cfg_cmap_entry *e,
			 struct ikev2_peer_conf *out, const char **why)
{
	for (size_t i = 0; i < e->ntsets && out->nchild < IKEV2_MAX_SUITES; i++) {
		const struct cfg_transform_set *ts = config_tset(cfg, e->tsets[i]);
		if (!ts || ts->ah || !ts->esp_enc)
			continue;
		const struct xf_alg *enc = xf_esp_enc(ts->esp_enc, ts->esp_keybits);
		const struct xf_alg *auth = ts->esp_auth ? xf_esp_auth(ts->esp_auth) : NULL;
		if (!enc || (ts->esp_auth && !auth) || (!enc->aead && !auth))
			continue;
		struct ikev2_child_suite s = { .encr = enc->ikev2_id, .encr_bits = enc->keybits,
					       .integ = auth ? auth->ikev2_id : 0 };
		out->child[out->nchild++] = s;
	}
	if (!out->nchild) {
		*why = "no ESP transform set usable with IKEv2 (AH is not supported)";
		return false;
	}
	return true;
}

/* The keyring peer for addr: the most specific address/mask that holds it. */
static const struct cfg_ikev2_kr_peer *kr_peer_for(const struct cfg_ikev2_keyring *k, uint32_t addr)
{
	const struct cfg_ikev2_kr_peer *best = NULL;
	for (size_t i = 0; i < k->npeer; i++) {
		const struct cfg_ikev2_kr_peer *p = &k->peers[i];
		if (p->has_addr && (addr & p->mask) == p->addr && (!best || p->mask > best->mask))
			best = p;
	}
	return best;
}

static bool set_psk(uint8_t *dst, size_t *len, const struct cfg_ikev2_psk *k)
{
	size_t n = strlen(k->key);
	if (!n || k->enc_type == 6 || n > IKEV2_PSK_MAX)
		return false;
	memcpy(dst, k->key, n);
	*len = n;
	return true;
}

static bool psks(const struct config *cfg, const struct cfg_ikev2_profile *prof, uint32_t peer,
		 struct ikev2_peer_conf *out, const char **why)
{
	if (prof->auth_local != CFG_V2_AUTH_PSK || prof->auth_remote != CFG_V2_AUTH_PSK) {
		*why = "the IKEv2 profile needs authentication local and remote pre-share";
		return false;
	}
	const struct cfg_ikev2_keyring *k = prof->keyring[0] ? config_v2_keyring(cfg, prof->keyring) : NULL;
	if (!k) {
		*why = "the IKEv2 profile has no keyring";
		return false;
	}
	const struct cfg_ikev2_kr_peer *p = kr_peer_for(k, peer);
	if (!p) {
		*why = "no keyring peer address matches the peer";
		return false;
	}
	if (p->psk_local.enc_type == 6 || p->psk_remote.enc_type == 6) {
		*why = "type 6 pre-shared keys are not supported";
		return false;
	}
	if (!set_psk(out->psk_local, &out->psk_local_len, &p->psk_local) ||
	    !set_psk(out->psk_remote, &out->psk_remote_len, &p->psk_remote)) {
		*why = "the keyring peer lacks a local or remote pre-shared key";
		return false;
	}
	return true;
}

/* One side of an ACE as an address range; false for a non-contiguous wildcard. */
static bool addr_range(uint32_t a, uint32_t wild, uint32_t *s, uint32_t *e)
{
	if (wild & (wild + 1))
		return false;
	*s = a & ~wild;
	*e = a | wild;
	return true;
}

static bool port_range(enum cfg_port_op op, const uint16_t p[2], uint16_t *s, uint16_t *e)
{
	switch (op) {
	case PORT_ANY: *s = 0; *e = 65535; return true;
	case PORT_EQ: *s = *e = p[0]; return true;
	case PORT_RANGE: *s = p[0]; *e = p[1]; return p[0] <= p[1];
	case PORT_LT: *s = 0; *e = (uint16_t)(p[0] - 1); return p[0] > 0;
	case PORT_GT: *s = (uint16_t)(p[0] + 1); *e = 65535; return p[0] < 65535;
	default: return false;	/* neq: two ranges, not one selector */
	}
}

/* One permit ACE as traffic selectors: its source is our side, its destination the peer's. */
static bool ace_ranges(const struct cfg_ace *ace, struct ikev2_range *l, struct ikev2_range *r, const char **why)
{
	uint32_t dst = ace->extended ? ace->dst : 0, dwild = ace->extended ? ace->dst_wild : 0xffffffff;
	if (!addr_range(ace->src, ace->src_wild, &l->saddr, &l->eaddr) ||
	    !addr_range(dst, dwild, &r->saddr, &r->eaddr)) {
		*why = "an ACL wildcard that is not contiguous is no traffic selector";
		return false;
	}
	l->proto = r->proto = ace->extended ? ace->proto : 0;
	bool ports = l->proto == 6 || l->proto == 17;
	if (!port_range(ports ? ace->sop : PORT_ANY, ace->sport, &l->sport, &l->eport) ||
	    !port_range(ports ? ace->dop : PORT_ANY, ace->dport, &r->sport, &r->eport)) {
		*why = "an ACL port condition that is not one range is no traffic selector";
		return false;
	}
	return true;
}

/* The entry's n-th permit ACE (0 first), or NULL past the last. */
static const struct cfg_ace *permit_ace(const struct config *cfg, const struct cfg_cmap_entry *e, size_t n)
{
	const struct cfg_acl *acl = e->acl ? config_acl(cfg, e->acl) : NULL;
	for (size_t i = 0; acl && i < acl->nace; i++)
		if (!acl->aces[i].remark && acl->aces[i].permit && n-- == 0)
			return &acl->aces[i];
	return NULL;
}

static bool selectors(const struct config *cfg, const struct cfg_cmap_entry *e, struct ikev2_peer_conf *out,
		      const char **why)
{
	const struct cfg_ace *ace = permit_ace(cfg, e, 0);
	if (!ace) {
		*why = "the crypto map's ACL has no permit entry";
		return false;
	}
	return ace_ranges(ace, &out->local_ts, &out->remote_ts, why);
}

bool ikev2_conf_ace_ts(const struct config *cfg, const struct cfg_cmap_entry *e, size_t n, bool *more,
		       struct ikev2_range *local, struct ikev2_range *remote)
{
	const char *why;
	const struct cfg_ace *ace = permit_ace(cfg, e, n);
	*more = ace != NULL;
	return ace && ace_ranges(ace, local, remote, &why);
}

/*
 * The ID_IPV4_ADDR the peer must prove: its address when a `match identity
 * remote address` covers it (the usual case, and IOS's default identity);
 * else the first host match, for a peer that sends `identity local address`
 * other than the address it talks from.
 */
static bool remote_id(const struct cfg_ikev2_profile *p, uint32_t peer, uint32_t *id)
{
	for (size_t i = 0; i < p->nmatch_remote; i++)
		if ((peer & p->match_remote[i].mask) == p->match_remote[i].addr) {
			*id = peer;
			return true;
		}
	for (size_t i = 0; i < p->nmatch_remote; i++)
		if (p->match_remote[i].mask == 0xffffffff) {
			*id = p->match_remote[i].addr;
			return true;
		}
	return false;
}

bool ikev2_conf_build_why(const struct config *cfg, const struct cfg_cmap_entry *e, uint32_t local,
			  uint32_t peer, struct ikev2_peer_conf *out, const char **why)
{
	const char *w = NULL;
	uint32_t id_remote = 0;
	memset(out, 0, sizeof(*out));
	const struct cfg_ikev2_profile *prof = e && !e->manual && e->ikev2_profile[0]
		? config_v2_profile(cfg, e->ikev2_profile) : NULL;
	if (!prof)
		w = "the crypto map entry has no ikev2-profile";
	else if (!remote_id(prof, peer, &id_remote))
		w = "the IKEv2 profile's match identity remote names neither the peer nor one host";
	if (!w && ike_suites(cfg, local, out, &w) && child_suites(cfg, e, out, &w) &&
	    psks(cfg, prof, peer, out, &w) && selectors(cfg, e, out, &w)) {
		out->id_local = prof->has_id_local ? prof->id_local : local;
		out->id_remote = id_remote;
	}
	if (why)
		*why = w;
	if (w)
		OPENSSL_cleanse(out, sizeof(*out));
	return !w;
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
