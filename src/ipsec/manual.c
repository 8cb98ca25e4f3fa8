/*
 * ipsec-manual crypto map entries: bundles built from `set session-key`.
 * IOS key semantics: the inbound keys are the ones the peer sends with.
 * A bundle is rebuilt only when what it was built from changed, so an
 * unrelated config edit does not reset sequence numbers and counters.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ipsec/ipsec_int.h"
#include "net/iface.h"
#include "router.h"

static void keys_from(const struct cfg_session_key *k, bool ah, struct sadb_sa_keys *out)
{
	out->spi = k->spi;
	if (ah) {
		/* An AH session key is one authenticator, wherever the parser put it. */
		const uint8_t *src = k->auth_len ? k->auth : k->cipher;
		size_t n = k->auth_len ? k->auth_len : k->cipher_len;
		memcpy(out->auth_key, src, n);
		out->auth_key_len = n;
		return;
	}
	memcpy(out->enc_key, k->cipher, k->cipher_len);
	out->enc_key_len = k->cipher_len;
	memcpy(out->auth_key, k->auth, k->auth_len);
	out->auth_key_len = k->auth_len;
}

static bool keys_eq(const struct sadb_sa_keys *a, const struct sadb_sa_keys *b)
{
	return a->spi == b->spi && a->enc_key_len == b->enc_key_len &&
	       a->auth_key_len == b->auth_key_len &&
	       !CRYPTO_memcmp(a->enc_key, b->enc_key, a->enc_key_len) &&
	       !CRYPTO_memcmp(a->auth_key, b->auth_key, a->auth_key_len);
}

static bool spec_eq(const struct sadb_bundle_spec *a, const struct sadb_bundle_spec *b)
{
	return ipsec_flow_eq(&a->flow, &b->flow) && a->local_addr == b->local_addr &&
	       a->peer_addr == b->peer_addr && a->has_ah == b->has_ah && a->has_esp == b->has_esp &&
	       a->xf.ah == b->xf.ah && a->xf.esp_enc == b->xf.esp_enc &&
	       a->xf.esp_keybits == b->xf.esp_keybits && a->xf.esp_auth == b->xf.esp_auth &&
	       !strcmp(a->xf.name, b->xf.name) &&
	       (!a->has_ah || (keys_eq(&a->ah_in, &b->ah_in) && keys_eq(&a->ah_out, &b->ah_out))) &&
	       (!a->has_esp || (keys_eq(&a->esp_in, &b->esp_in) && keys_eq(&a->esp_out, &b->esp_out)));
}

/* The bundle an entry's session keys describe; false when they are incomplete. */
static bool build_spec(struct router *r, const struct cfg_cmap_entry *e,
		       const struct ipsec_flowrec *fr, struct sadb_bundle_spec *s)
{
	const struct config *cfg = r->cfg;
	const struct cfg_transform_set *ts = e->ntsets ? config_tset(cfg, e->tsets[0]) : NULL;
	const struct iface *ifp = NULL;
	for (int i = 0; i < r->niface; i++)
		if (!strcmp(r->ifaces[i].crypto_map, e->name) && r->ifaces[i].has_addr) {
			ifp = &r->ifaces[i];
			break;
		}
	if (!ts || !ifp || !e->npeers)
		return false;
	memset(s, 0, sizeof(*s));
	s->cmap_name = e->name;
	s->cmap_seq = e->seq;
	s->flow = fr->flow;
	s->local_addr = ifp->addr;
	s->peer_addr = e->peers[0];
	s->peer_port = UDP_PORT_IKE;
	s->xf = *ts;
	s->has_ah = ts->ah != XF_AH_NONE;
	s->has_esp = ts->esp_enc != XF_ENC_NONE || ts->esp_auth != XF_AUTH_NONE;
	s->manual = true;
	if (s->has_ah) {
		if (!e->ah_key[0].set || !e->ah_key[1].set)
			return false;
		keys_from(&e->ah_key[0], true, &s->ah_in);
		keys_from(&e->ah_key[1], true, &s->ah_out);
	}
	if (s->has_esp) {
		if (!e->esp_key[0].set || !e->esp_key[1].set)
			return false;
		keys_from(&e->esp_key[0], false, &s->esp_in);
		keys_from(&e->esp_key[1], false, &s->esp_out);
	}
	return true;
}

void ipsec_manual_sync(struct ipsec_state *st)
{
	struct router *r = st->r;
	const struct config *cfg = r->cfg;
	struct sadb_bundle_spec s;

	/* Manual bundles whose entry went away or stopped being manual. */
	struct ipsec_bundle *b, *next;
	for (b = st->bundles; b; b = next) {
		next = b->next;
		if (!b->spec.manual)
			continue;
		bool keep = false;
		for (size_t i = 0; i < cfg->ncmap; i++)
			if (cfg->cmaps[i].manual && !strcmp(cfg->cmaps[i].name, b->cmap_name) &&
			    cfg->cmaps[i].seq == b->spec.cmap_seq)
				keep = true;
		if (!keep)
			sadb_bundle_delete(st, b, SADB_DEL_CONFIG);
	}

	for (size_t i = 0; i < cfg->ncmap; i++) {
		const struct cfg_cmap_entry *e = &cfg->cmaps[i];
		if (!e->manual)
			continue;
		/* IOS manual maps protect one flow: the ACL's first permit line. */
		struct ipsec_flowrec *fr;
		for (fr = st->flows; fr; fr = fr->next)
			if (fr->ace >= 0 && fr->seq == e->seq && !strcmp(fr->cmap, e->name))
				break;
		if (!fr)
			continue;
		bool ok = build_spec(r, e, fr, &s);
		struct ipsec_bundle *cur = NULL;
		for (b = st->bundles; b; b = b->next)
			if (b->spec.manual && b->spec.cmap_seq == e->seq && !strcmp(b->cmap_name, e->name))
				cur = b;
		if (cur && ok && cur->fr == fr && spec_eq(&cur->spec, &s)) {
			OPENSSL_cleanse(&s, sizeof(s));
			continue;
		}
		if (cur)
			sadb_bundle_delete(st, cur, SADB_DEL_CONFIG);
		if (ok)
			sadb_install(r, &s);
		OPENSSL_cleanse(&s, sizeof(s));
	}
}
