/*
 * The key-manager hooks IKE registers with the SADB (PF_KEY's ACQUIRE,
 * soft EXPIRE, DELETE): flows wait here for phase 1, then get a Quick Mode.
 */
#include "ike/ike_int.h"

#include <stdio.h>
#include <string.h>

#include "recovery/recovery.h"
#include "ike/ike2_glue.h"
#include "router.h"


void ike_start_pending(struct ike_state *ike, struct ike_sa *sa)
{
	for (int i = 0; i < IKE_MAX_PENDING; i++) {
		struct ike_pending *p = &ike->pending[i];
		if (!p->used || p->peer != sa->peer)
			continue;
		p->used = false;
		const struct cfg_cmap_entry *e = config_cmap_entry(ike->r->cfg, p->cmap_name, p->cmap_seq);
		if (e)
			qm_start(sa, e, &p->flow, p->rekey_of);
	}
}

void ike_pending_next_peer(struct ike_state *ike, uint32_t failed_peer)
{
	for (int i = 0; i < IKE_MAX_PENDING; i++) {
		struct ike_pending *p = &ike->pending[i];
		if (!p->used || p->peer != failed_peer)
			continue;
		const struct cfg_cmap_entry *e = config_cmap_entry(ike->r->cfg, p->cmap_name, p->cmap_seq);
		/* IOS moves on to the entry's next `set peer` when one fails. */
		if (!e || p->peer_idx + 1 >= e->npeers) {
			p->used = false;
			continue;
		}
		p->peer_idx++;
		p->peer = e->peers[p->peer_idx];
		if (ike_dbg(ike)) {
			char ps[16];
			ip_fmt(p->peer, ps);
			log_debug(&ike->r->log, "ISAKMP: trying next peer %s for map %s %d", ps,
				  p->cmap_name, p->cmap_seq);
		}
		struct ike_sa *up = ike_sa_find_peer(ike, p->peer);
		if (up) {
			p->used = false;
			qm_start(up, e, &p->flow, p->rekey_of);
		} else if (!ike_sa_negotiating(ike, p->peer)) {
			mm_start(ike, p->local, p->peer);
		}
	}
}

/*
 * A flow already waiting for phase 1.  An entry whose negotiation is gone
 * (the IKE SA was cleared or evicted before QM_IDLE, by any path) waits for
 * nothing: it is released here, so the flow's next packet starts again
 * instead of being merged into a wait that never ends.
 */
static bool pending_has(struct ike_state *ike, const struct ipsec_flow *flow)
{
	for (int i = 0; i < IKE_MAX_PENDING; i++) {
		struct ike_pending *p = &ike->pending[i];
		if (!p->used || !ipsec_flow_eq(&p->flow, flow))
			continue;
		if (ike_sa_negotiating(ike, p->peer) || ike_sa_find_peer(ike, p->peer))
			return true;
		p->used = false;
		ike->st.pending_stale++;
	}
	return false;
}

static void acquire_flow(struct router *r, const struct cfg_cmap_entry *e,
			 const struct ipsec_flow *flow, uint32_t local, uint32_t peer, int rekey_of)
{
	struct ike_state *ike = r->ike;
	if (!ike || e->manual || e->npeers == 0)
		return;
	if (ike2_entry_wants(ike, e)) {
		ike2_acquire(ike, e, flow, local, peer, rekey_of);
		return;
	}
	if (pending_has(ike, flow) || qm_flow_busy(ike, 0, flow)) {
		ike->st.acquire_dup++;
		return;
	}
	size_t idx = 0;
	for (size_t i = 0; i < e->npeers; i++)
		if (e->peers[i] == peer)
			idx = i;
	struct ike_sa *sa = ike_sa_find_peer(ike, peer);
	if (sa) {
		qm_start(sa, e, flow, rekey_of);
		return;
	}
	struct ike_pending *p = NULL;
	for (int i = 0; i < IKE_MAX_PENDING && !p; i++)
		if (!ike->pending[i].used)
			p = &ike->pending[i];
	if (!p) {
		ike->st.pending_full++;
		return;
	}
	memset(p, 0, sizeof(*p));
	p->used = true;
	snprintf(p->cmap_name, sizeof(p->cmap_name), "%s", e->name);
	p->cmap_seq = e->seq;
	p->flow = *flow;
	p->local = local;
	p->peer = peer;
	p->peer_idx = idx;
	p->rekey_of = rekey_of;
	if (!ike_sa_negotiating(ike, peer) && mm_start(ike, local, peer) < 0)
		p->used = false;
}

static void km_acquire(struct router *r, const struct cfg_cmap_entry *e,
		       const struct ipsec_flow *flow, uint32_t local, uint32_t peer)
{
	acquire_flow(r, e, flow, local, peer, 0);
}

static void km_soft_expire(struct router *r, int bundle_id)
{
	struct ike_state *ike = r->ike;
	struct ike_record *rec = ike_record_by_id(ike, bundle_id);
	if (!rec || rec->rekeyed)
		return;
	const struct cfg_cmap_entry *e = config_cmap_entry(r->cfg, rec->cmap_name, rec->cmap_seq);
	if (!e)
		return;
	rec->rekeyed = true;
	ike->st.rekeys++;
	acquire_flow(r, e, &rec->flow, rec->local, rec->peer, bundle_id);
}

static void km_deleted(struct router *r, uint32_t local, uint32_t peer, uint16_t peer_port,
		       bool has_ah, uint32_t ah_spi_in, bool has_esp, uint32_t esp_spi_in,
		       enum sadb_del_reason why)
{
	struct ike_state *ike = r->ike;
	if (has_ah)
		ike_record_del_spi(ike, peer, IPPROTO_AH_, ah_spi_in, true);
	if (has_esp) {
		ike_record_del_spi(ike, peer, IPPROTO_ESP_, esp_spi_in, true);
		ike2_child_deleted(ike, peer, esp_spi_in, why);
	}
	/* The peer already knows about these, or deleted them itself. */
	if (why == SADB_DEL_PEER_DELETE || why == SADB_DEL_INVALID_SPI || why == SADB_DEL_DPD ||
	    why == SADB_DEL_INITIAL_CONTACT)
		return;
	struct ike_sa *sa = ike_sa_find_peer(ike, peer);
	if (!sa)
		return;
	uint8_t ahs[4], esps[4];
	struct isakmp_delete d[2];
	size_t nd = 0;
	wbuf_st32(ahs, ah_spi_in);
	wbuf_st32(esps, esp_spi_in);
	if (has_ah)
		d[nd++] = (struct isakmp_delete){ ISAKMP_DOI_IPSEC, ISAKMP_PROTO_AH, 4, 1, ahs };
	if (has_esp)
		d[nd++] = (struct isakmp_delete){ ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ESP, 4, 1, esps };
	if (nd)
		info_send(sa, NULL, d, nd);
	(void)local;
	(void)peer_port;
}

static bool km_peer_up(struct router *r, uint32_t peer)
{
	return ike_sa_up(r, peer);
}

static const struct sadb_km_ops km_ops = {
	.acquire = km_acquire,
	.soft_expire = km_soft_expire,
	.deleted = km_deleted,
	.peer_up = km_peer_up,
};

const struct sadb_km_ops *ike_km_ops(void) { return &km_ops; }
