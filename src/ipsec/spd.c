/*
 * Crypto maps applied to traffic as IOS does: on egress the first map entry
 * whose ACL permits the packet decides, and each permit line is a flow with
 * its own SAs; cleartext that should have arrived protected is dropped on
 * ingress.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/wbuf.h"
#include "ipsec/ipsec.h"
#include "core/ipfmt.h"
#include "ipsec/ipsec_int.h"
#include "net/acl.h"
#include "net/iface.h"
#include "net/net.h"
#include "net/fastpath.h"
#include "router.h"


void ipsec_count_drop(struct ipsec_counters *c, enum ipsec_drop d, bool inbound)
{
	if (inbound) {
		c->recv_errors++;
		switch (d) {
		case DROP_INVALID_LEN: c->invalid_len++; break;
		case DROP_REPLAY: c->replay_failed++; break;
		case DROP_AUTH: c->verify_failed++; break;
		case DROP_BAD_PAD: c->bad_pad++; c->decaps_failed++; break;
		case DROP_INVALID_PROT: c->invalid_prot++; break;
		case DROP_ROLLOVER: c->rollover_rcv++; break;
		default: c->internal_recv++; break;
		}
	} else {
		c->send_errors++;
		switch (d) {
		case DROP_ROLLOVER: c->rollover_send++; break;
		case DROP_INVALID_LEN: c->encaps_failed++; break;
		default: c->internal_send++; break;
		}
	}
}

static bool in_net(uint32_t a, uint32_t net, uint32_t mask) { return (a & mask) == (net & mask); }

bool ipsec_flow_contains(const struct ipsec_flow *f, uint32_t local, uint32_t remote,
			 uint8_t proto, uint16_t lport, uint16_t rport)
{
	return in_net(local, f->local, f->local_mask) && in_net(remote, f->remote, f->remote_mask) &&
	       (!f->proto || f->proto == proto) && (!f->local_port || f->local_port == lport) &&
	       (!f->remote_port || f->remote_port == rport);
}

static void ace_flow(const struct cfg_ace *a, struct ipsec_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->local_mask = ~a->src_wild;
	f->local = a->src & f->local_mask;
	if (a->extended) {
		f->remote_mask = ~a->dst_wild;
		f->remote = a->dst & f->remote_mask;
		f->proto = a->proto;
		if (a->sop == PORT_EQ)
			f->local_port = a->sport[0];
		if (a->dop == PORT_EQ)
			f->remote_port = a->dport[0];
	}
}

static void flowrec_free(struct ipsec_state *st, struct ipsec_flowrec *fr)
{
	fr->closing = true;
	while (fr->bundles)
		sadb_bundle_delete(st, fr->bundles, SADB_DEL_CONFIG);
	pktq_flush(&fr->held);
	free(fr);
}

void ipsec_flows_rebuild(struct ipsec_state *st)
{
	const struct config *cfg = st->r->cfg;
	struct ipsec_flowrec *old = st->flows, *list = NULL, **tail = &list;
	st->flows = NULL;

	for (size_t i = 0; i < cfg->ncmap; i++) {
		const struct cfg_cmap_entry *e = &cfg->cmaps[i];
		const struct cfg_acl *acl = e->acl ? config_acl(cfg, e->acl) : NULL;
		for (size_t j = 0; acl && j < acl->nace; j++) {
			const struct cfg_ace *a = &acl->aces[j];
			if (a->remark || !a->permit)
				continue;
			struct ipsec_flow f;
			ace_flow(a, &f);
			struct ipsec_flowrec *fr = NULL, **pp;
			for (pp = &old; *pp; pp = &(*pp)->next) {
				struct ipsec_flowrec *o = *pp;
				if (!strcmp(o->cmap, e->name) && o->seq == e->seq && o->ace >= 0 &&
				    ipsec_flow_eq(&o->flow, &f)) {
					fr = o;
					*pp = o->next;
					break;
				}
			}
			if (!fr) {
				if (!(fr = calloc(1, sizeof(*fr))))
					continue;
				snprintf(fr->cmap, sizeof(fr->cmap), "%s", e->name);
				fr->seq = e->seq;
				fr->flow = f;
				pktq_init(&fr->held, HOLD_QUEUE_MAX);
			}
			fr->ace = (int)j;
			fr->peer = e->npeers ? e->peers[0] : 0;
			fr->next = NULL;
			*tail = fr;
			tail = &fr->next;
		}
	}
	/* Flows IKE installed survive while their map entry does. */
	struct ipsec_flowrec *o, *next;
	for (o = old; o; o = next) {
		next = o->next;
		o->next = NULL;
		if (o->ace < 0 && config_cmap_entry(cfg, o->cmap, o->seq)) {
			*tail = o;
			tail = &o->next;
		} else {
			flowrec_free(st, o);
		}
	}
	st->flows = list;
	fastpath_dirty(st->r);
}

static struct ipsec_flowrec *flow_for_ace(struct ipsec_state *st, const struct cfg_cmap_entry *e,
					  size_t ace, const struct acl_key *k)
{
	struct ipsec_flowrec *exact = NULL;
	for (struct ipsec_flowrec *fr = st->flows; fr; fr = fr->next) {
		if (fr->seq != e->seq || strcmp(fr->cmap, e->name))
			continue;
		if (fr->ace == (int)ace)
			exact = fr;
		/* A narrower flow IKE negotiated inside this line, with SAs up. */
		else if (fr->ace < 0 && ipsec_flow_out_bundle(fr) &&
			 ipsec_flow_contains(&fr->flow, k->src, k->dst, k->proto, k->sport, k->dport))
			return fr;
	}
	return exact;
}

static struct iface *iface_for_map(struct router *r, const char *name)
{
	for (int i = 0; i < r->niface; i++)
		if (!strcmp(r->ifaces[i].crypto_map, name) && r->ifaces[i].has_addr)
			return &r->ifaces[i];
	return NULL;
}

static void encap_one(struct ipsec_state *st, struct ipsec_bundle *b, struct pkt *p,
		      struct iface *out_if)
{
	struct router *r = st->r;
	struct ipsec_counters *c = &b->fr->c;
	size_t inner = p->len;
	uint16_t id = out_if ? out_if->ip_id++ : 0;
	enum ipsec_drop d = ipsec_encap_bundle(b, p, id);
	if (d != DROP_NONE) {
		ipsec_count_drop(c, d, false);
		log_msg_rl(&r->log, &st->rl_drop, ev_now(r->ev), 1000, "CRYPTO", SEV_WARNING,
			   "ENCAPS_FAILED", "encaps: cannot protect packet for %s, "
			   "conn id %u: %s", ip_str(b->spec.peer_addr).s, b->spec.has_esp ?
			   b->esp_out.conn_id : b->ah_out.conn_id,
			   d == DROP_ROLLOVER ? "sequence number exhausted, rekey needed" :
			   "internal error");
		pkt_free(p);
		return;
	}
	c->encaps++;
	if (b->spec.has_esp && b->esp_out.has_cipher)
		c->encrypt++;
	if (b->spec.has_ah || b->esp_out.has_integ || (b->esp_out.enc && b->esp_out.enc->aead))
		c->digest++;
	if (b->spec.has_ah)
		sadb_account(st, &b->ah_out, inner);
	if (b->spec.has_esp)
		sadb_account(st, &b->esp_out, inner);
	if (st->output(r, out_if, p, b->spec.peer_addr) < 0)
		c->send_errors++;
}

/* Splits an inner packet into fragments of at most max bytes (RFC 791). */
static int fragment(struct pkt *p, size_t max, struct pkt **out, int nout)
{
	size_t hl = (size_t)(p->data[0] & 0x0f) * 4;
	if (hl < IP_HDR_LEN || hl > p->len || max < hl + 8)
		return -1;
	size_t chunk = (max - hl) & ~(size_t)7;
	uint16_t fo = wbuf_be16(p->data + 6);
	size_t base = (size_t)(fo & 0x1fff) * 8;
	bool mf = fo & 0x2000;
	size_t plen = p->len - hl;
	int n = 0;
	for (size_t off = 0; off < plen; off += chunk) {
		size_t len = plen - off < chunk ? plen - off : chunk;
		struct pkt *f = n < nout ? pkt_alloc() : NULL;
		if (!f) {
			while (n)
				pkt_free(out[--n]);
			return -1;
		}
		memcpy(f->data, p->data, hl);
		memcpy(f->data + hl, p->data + hl + off, len);
		f->len = hl + len;
		f->flags = p->flags;
		f->in_if = p->in_if;
		wbuf_st16(f->data + 2, (uint16_t)f->len);
		wbuf_st16(f->data + 6, (uint16_t)(((base + off) / 8) |
						  ((off + len < plen || mf) ? 0x2000 : 0)));
		wbuf_st16(f->data + 10, 0);
		wbuf_st16(f->data + 10, ipsec_csum(f->data, hl));
		out[n++] = f;
	}
	return n;
}

void ipsec_send_bundle(struct ipsec_state *st, struct ipsec_bundle *b, struct pkt *p,
		       struct iface *out_if)
{
	struct router *r = st->r;
	uint32_t mtu = out_if && out_if->mtu ? out_if->mtu : 1500;
	size_t max = ipsec_bundle_max_inner(b, mtu);
	if (p->len <= max) {
		encap_one(st, b, p, out_if);
		return;
	}
	if (p->len >= IP_HDR_LEN && (p->data[6] & 0x40)) {
		/* DF: tell the sender the MTU that fits once the tunnel is added. */
		b->fr->c.too_big++;
		icmp_send_error(r, p, 3, 4, (uint32_t)max);
		pkt_free(p);
		return;
	}
	/* IOS pre-fragmentation: fragment the inner packet, then encrypt each. */
	struct pkt *frags[64];
	int n = fragment(p, max, frags, 64);
	pkt_free(p);
	if (n < 0) {
		b->fr->c.send_errors++;
		b->fr->c.internal_send++;
		return;
	}
	b->fr->c.prefrag += (uint64_t)n;
	for (int i = 0; i < n; i++) {
		/* A fragment may have used the last byte of a lifetime. */
		if (sadb_bundle_dead(b)) {
			b->fr->c.send_errors++;
			b->fr->c.no_sa_send++;
			pkt_free(frags[i]);
			continue;
		}
		encap_one(st, b, frags[i], out_if);
	}
}

void ipsec_flow_flush(struct ipsec_state *st, struct ipsec_flowrec *fr)
{
	struct pkt *p;
	struct ipsec_bundle *b;
	while ((b = ipsec_flow_out_bundle(fr)) && (p = pktq_pop(&fr->held))) {
		uint32_t nh;
		struct iface *ifp = route_lookup(st->r, b->spec.peer_addr, &nh);
		if (!ifp || strcmp(ifp->crypto_map, fr->cmap))
			ifp = iface_for_map(st->r, fr->cmap);
		ipsec_send_bundle(st, b, p, ifp);
	}
}

static void hold_and_acquire(struct ipsec_state *st, const struct cfg_cmap_entry *e,
			     struct ipsec_flowrec *fr, struct iface *out_if, struct pkt *p)
{
	struct router *r = st->r;
	if (pktq_push(&fr->held, p) < 0) {
		fr->c.hold_overflow++;
		fr->c.send_errors++;
	} else {
		fr->c.held++;
	}
	uint64_t now = ev_now(r->ev);
	if (fr->last_acquire_ms && now - fr->last_acquire_ms < ACQUIRE_INTERVAL_MS)
		return;
	fr->last_acquire_ms = now ? now : 1;
	if (st->km && st->km->acquire)
		st->km->acquire(r, e, &fr->flow, out_if->addr, e->peers[0]);
}

enum ipsec_verdict ipsec_egress(struct router *r, struct iface *out_if, struct pkt *p,
				uint32_t nexthop)
{
	struct ipsec_state *st = r->ipsec;
	(void)nexthop;
	if (!out_if || !out_if->crypto_map[0] || p->len < IP_HDR_LEN)
		return IPSEC_PASS;
	struct acl_key k;
	acl_key_from_ip(&k, p->data, p->len);
	const struct config *cfg = r->cfg;
	for (size_t i = 0; i < cfg->ncmap; i++) {
		const struct cfg_cmap_entry *e = &cfg->cmaps[i];
		if (strcmp(e->name, out_if->crypto_map))
			continue;
		const struct cfg_acl *acl = e->acl ? config_acl(cfg, e->acl) : NULL;
		size_t idx = 0;
		/* A deny line means "not with this entry": IOS tries the next one. */
		if (!acl || acl_eval(acl, &k, &idx) != ACL_PERMIT)
			continue;
		struct ipsec_flowrec *fr = flow_for_ace(st, e, idx, &k);
		if (!fr) {
			/* The config changed under us; the rebuild will follow. */
			pkt_free(p);
			return IPSEC_CONSUMED;
		}
		struct ipsec_bundle *b = ipsec_flow_out_bundle(fr);
		if (b) {
			ipsec_send_bundle(st, b, p, out_if);
		} else if (e->manual || !e->npeers) {
			fr->c.no_sa_send++;
			fr->c.send_errors++;
			log_msg_rl(&r->log, &st->rl_drop, ev_now(r->ev), 1000, "CRYPTO", SEV_WARNING,
				   "NO_SA", "encaps: no SA for %s -> %s "
				   "(crypto map %s %d %s)", ip_str(k.src).s, ip_str(k.dst).s, e->name, e->seq,
				   e->manual ? "has incomplete session keys" : "has no peer");
			pkt_free(p);
		} else {
			hold_and_acquire(st, e, fr, out_if, p);
		}
		return IPSEC_CONSUMED;
	}
	return IPSEC_PASS;
}

/* A map's own crypto endpoint: the address of an interface it is applied to (map NULL: any). */
bool ipsec_is_endpoint(const struct router *r, const char *map, uint32_t addr)
{
	for (int i = 0; i < r->niface; i++)
		if (r->ifaces[i].has_addr && r->ifaces[i].addr == addr &&
		    r->ifaces[i].crypto_map[0] && (!map || !strcmp(r->ifaces[i].crypto_map, map)))
			return true;
	return false;
}

/*
 * How protection itself arrives: IKE/NAT-T and ESP/AH addressed to the map's
 * endpoint.  Nothing else is exempt, in transit least of all (IOS).  Ports
 * count only when the key really holds them (a first fragment or a whole
 * datagram), never bytes of a later fragment.
 */
static bool keying_or_protected(const struct router *r, const char *map, const struct acl_key *k)
{
	if (!ipsec_is_endpoint(r, map, k->dst))
		return false;
	if (k->proto == IPPROTO_ESP_ || k->proto == IPPROTO_AH_)
		return true;
	return k->proto == 17 && k->has_ports && (k->dport == 500 || k->dport == 4500);
}

bool ipsec_ingress_check(struct router *r, struct iface *in_if, struct pkt *p)
{
	struct ipsec_state *st = r->ipsec;
	if (!in_if || !in_if->crypto_map[0] || (p->flags & PKT_F_DECAPPED) || p->len < IP_HDR_LEN)
		return true;
	struct acl_key k;
	acl_key_from_ip(&k, p->data, p->len);
	if (keying_or_protected(r, in_if->crypto_map, &k))
		return true;
	/*
	 * The peer's outbound traffic is our ACL mirrored.  A later fragment has
	 * no ports: acl_eval matches it on layer 3 alone against a permit with
	 * ports (IOS; RFC 4301 §7's conservative choice), so it is dropped too.
	 */
	struct acl_key m = k;
	m.src = k.dst;
	m.dst = k.src;
	m.sport = k.dport;
	m.dport = k.sport;
	const struct config *cfg = r->cfg;
	for (size_t i = 0; i < cfg->ncmap; i++) {
		const struct cfg_cmap_entry *e = &cfg->cmaps[i];
		if (strcmp(e->name, in_if->crypto_map))
			continue;
		const struct cfg_acl *acl = e->acl ? config_acl(cfg, e->acl) : NULL;
		size_t idx = 0;
		if (!acl || acl_eval(acl, &m, &idx) != ACL_PERMIT)
			continue;
		struct ipsec_flowrec *fr = flow_for_ace(st, e, idx, &m);
		if (fr)
			fr->c.cleartext++;
		st->g.cleartext++;
		log_msg_rl(&r->log, &st->rl_clear, ev_now(r->ev), 1000, "CRYPTO", SEV_WARNING,
			   "RECVD_PKT_NOT_IPSEC", "Rec'd packet not an IPSEC packet. "
			   "(ip) vrf/dest_addr= /%s, src_addr= %s, prot= %u",
			   ip_str(k.dst).s, ip_str(k.src).s, k.proto);
		return false;
	}
	return true;
}
