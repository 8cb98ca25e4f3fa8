/*
 * Enumerating what the crypto maps protect toward a peer without a packet:
 * the flow records spd.c keeps, one per ACL permit line, are exactly the
 * proxy identities acquire negotiates, so phase-2 restore offers the same.
 */
#include "ipsec/peerflow.h"

#include <stdio.h>
#include <string.h>

#include "ipsec/ipsec_int.h"
#include "router.h"

static bool map_applied(struct router *r, const char *name)
{
	for (int i = 0; i < r->niface; i++)
		if (r->ifaces[i].has_addr && r->ifaces[i].admin_up &&
		    !strcmp(r->ifaces[i].crypto_map, name))
			return true;
	return false;
}

static const struct cfg_cmap_entry *entry_of(const struct config *cfg, const char *name, int seq)
{
	for (size_t i = 0; i < cfg->ncmap; i++)
		if (cfg->cmaps[i].seq == seq && !strcmp(cfg->cmaps[i].name, name))
			return &cfg->cmaps[i];
	return NULL;
}

static bool names_peer(const struct cfg_cmap_entry *e, uint32_t peer)
{
	for (size_t k = 0; k < e->npeers; k++)
		if (e->peers[k] == peer)
			return true;
	return false;
}

bool ipsec_peer_flow(struct router *r, uint32_t peer, size_t idx, struct ipsec_peer_flow *out)
{
	struct ipsec_state *st = r->ipsec;
	size_t n = 0;
	for (struct ipsec_flowrec *fr = st ? st->flows : NULL; fr; fr = fr->next) {
		if (fr->ace < 0)
			continue;	/* a narrower flow a peer proposed, not an ACL line */
		const struct cfg_cmap_entry *e = entry_of(r->cfg, fr->cmap, fr->seq);
		if (!e || e->manual || !names_peer(e, peer) || !map_applied(r, e->name))
			continue;
		if (n++ != idx)
			continue;
		memset(out, 0, sizeof(*out));
		snprintf(out->cmap, sizeof(out->cmap), "%s", fr->cmap);
		out->seq = fr->seq;
		out->flow = fr->flow;
		out->up = ipsec_flow_out_bundle(fr) != NULL;
		return true;
	}
	return false;
}

bool ipsec_static_peer(struct router *r, size_t idx, uint32_t *peer)
{
	const struct config *cfg = r->cfg;
	size_t n = 0;
	for (size_t i = 0; i < cfg->ncmap; i++) {
		const struct cfg_cmap_entry *e = &cfg->cmaps[i];
		if (e->manual || !e->npeers || !map_applied(r, e->name))
			continue;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++) {
			const struct cfg_cmap_entry *o = &cfg->cmaps[j];
			seen = !o->manual && o->npeers && o->peers[0] == e->peers[0] &&
			       map_applied(r, o->name);
		}
		if (seen)
			continue;
		if (n++ == idx) {
			*peer = e->peers[0];
			return true;
		}
	}
	return false;
}
