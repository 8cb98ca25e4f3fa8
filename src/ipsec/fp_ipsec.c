/*
 * The IPsec half of the data-plane fast path (net/fp_int.h): what the
 * control thread copies of the crypto maps and the SADB into a table, what
 * a worker does with an SA it finds there, and how the workers' counts come
 * back into the flows `show crypto ipsec sa` prints and into the byte
 * lifetimes.
 *
 * The fast path takes only ESP-only bundles (AH, and AH+ESP, stay on the
 * control thread) and only the crypto-map decision the control thread would
 * take with no IKE-narrowed flow in the way; anything else is punted.
 */
#include <stdlib.h>
#include <string.h>

#include "core/ipfmt.h"
#include "core/wbuf.h"
#include "ipsec/ipsec_int.h"
#include "net/acl.h"
#include "net/fp_int.h"
#include "net/inet.h"
#include "router.h"

/* ---- building (control thread) ---- */

static bool fp_bundle_ok(const struct ipsec_bundle *b)
{
	return b && !sadb_bundle_dead(b) && b->spec.has_esp && !b->spec.has_ah;
}

static const struct fp_out *add_out(struct fp_tab *t, const struct ipsec_bundle *b)
{
	for (size_t i = 0; i < t->nout; i++)
		if (t->out[i].sa == &b->esp_out)
			return &t->out[i];
	struct fp_out *o = &t->out[t->nout++];
	*o = (struct fp_out){
		.sa = (struct ipsec_sa *)&b->esp_out, .local = b->spec.local_addr,
		.peer = b->spec.peer_addr, .peer_port = b->spec.peer_port, .udp = b->spec.udp_encap,
		.overhead_fixed = b->overhead_fixed, .esp_block = b->esp_block,
	};
	return o;
}

/* An entry with a narrowed flow IKE installed and up: flow_for_ace would prefer it. */
static bool entry_has_narrowed(const struct ipsec_state *st, const struct cfg_cmap_entry *e)
{
	for (const struct ipsec_flowrec *fr = st->flows; fr; fr = fr->next)
		if (fr->ace < 0 && fr->seq == e->seq && !strcmp(fr->cmap, e->name) &&
		    ipsec_flow_out_bundle((struct ipsec_flowrec *)fr))
			return true;
	return false;
}

static struct ipsec_flowrec *flow_of_ace(const struct ipsec_state *st,
					 const struct cfg_cmap_entry *e, size_t ace)
{
	for (struct ipsec_flowrec *fr = st->flows; fr; fr = fr->next)
		if (fr->ace == (int)ace && fr->seq == e->seq && !strcmp(fr->cmap, e->name))
			return fr;
	return NULL;
}

/* Entry j of the config's crypto maps, when it applies to interface i and has an ACL: its ACL. */
static const struct cfg_acl *entry_acl(const struct router *r, int i, size_t j)
{
	const struct config *cfg = r->cfg;
	const struct cfg_cmap_entry *e = &cfg->cmaps[j];
	if (!r->ifaces[i].crypto_map[0] || !e->acl || strcmp(e->name, r->ifaces[i].crypto_map))
		return NULL;
	return config_acl(cfg, e->acl);
}

/* How much room the crypto-map part needs: entries and ACEs over every interface. */
static void count_maps(const struct router *r, size_t *ncm, size_t *nace)
{
	*ncm = *nace = 0;
	for (int i = 0; i < r->niface; i++)
		for (size_t j = 0; j < r->cfg->ncmap; j++) {
			const struct cfg_acl *acl = entry_acl(r, i, j);
			if (acl) {
				(*ncm)++;
				*nace += acl->nace;
			}
		}
}

static void build_maps(struct router *r, struct fp_tab *t)
{
	struct ipsec_state *st = r->ipsec;
	const struct config *cfg = r->cfg;
	size_t na = 0;
	for (int i = 0; i < r->niface; i++) {
		struct fp_if *fi = &t->ifs[i];
		fi->cm_first = t->ncm;
		for (size_t j = 0; j < cfg->ncmap; j++) {
			const struct cfg_cmap_entry *e = &cfg->cmaps[j];
			const struct cfg_acl *acl = entry_acl(r, i, j);
			if (!acl)
				continue;
			struct fp_cm *c = &t->cm[t->ncm++];
			c->acl = (struct cfg_acl){ .number = acl->number, .aces = t->aces + na,
						   .nace = acl->nace };
			c->ace_out = t->ace_out + na;
			c->punt = entry_has_narrowed(st, e);
			for (size_t k = 0; k < acl->nace; k++) {
				t->aces[na + k] = acl->aces[k];
				/* acl_eval only asks whether it is one; the text stays with the config. */
				t->aces[na + k].remark = acl->aces[k].remark ? (char *)"" : NULL;
				struct ipsec_flowrec *fr = flow_of_ace(st, e, k);
				struct ipsec_bundle *b = fr ? ipsec_flow_out_bundle(fr) : NULL;
				c->ace_out[k] = fp_bundle_ok(b) && b->esp_out.wk ? add_out(t, b) : NULL;
			}
			na += acl->nace;
			fi->cm_n++;
		}
	}
}

static size_t spi_slot(uint32_t spi, size_t mask) { return (size_t)(spi * 2654435761u) & mask; }

static void build_in(struct ipsec_state *st, struct fp_tab *t)
{
	for (struct ipsec_bundle *b = st->bundles; b; b = b->next) {
		if (!fp_bundle_ok(b) || !b->esp_in.wk)
			continue;
		struct fp_in *in = &t->in[t->nin];
		*in = (struct fp_in){ .sa = &b->esp_in, .local = b->spec.local_addr,
				      .udp = b->spec.udp_encap, .flow = b->spec.flow, .bundle_id = b->id };
		size_t h = spi_slot(b->esp_in.spi, t->inh_mask);
		while (t->inh[h])
			h = (h + 1) & t->inh_mask;
		t->inh[h] = (uint32_t)++t->nin;
	}
}

int ipsec_fp_build(struct router *r, struct fp_tab *t)
{
	struct ipsec_state *st = r->ipsec;
	size_t ncm, nace, nb = 0, hsz = 16;
	count_maps(r, &ncm, &nace);
	for (struct ipsec_bundle *b = st->bundles; b; b = b->next)
		nb++;
	while (hsz < 2 * nb + 2)
		hsz *= 2;
	t->cm = calloc(ncm + 1, sizeof(*t->cm));
	t->aces = calloc(nace + 1, sizeof(*t->aces));
	t->ace_out = calloc(nace + 1, sizeof(*t->ace_out));
	t->out = calloc(nb + nace + 1, sizeof(*t->out));
	t->in = calloc(nb + 1, sizeof(*t->in));
	t->inh = calloc(hsz, sizeof(*t->inh));
	t->inh_mask = hsz - 1;
	if (!t->cm || !t->aces || !t->ace_out || !t->out || !t->in || !t->inh)
		return -1;
	build_maps(r, t);
	build_in(st, t);
	return 0;
}

void ipsec_fp_tab_free(struct fp_tab *t)
{
	free(t->cm);
	free(t->aces);
	free(t->ace_out);
	free(t->out);
	free(t->in);
	free(t->inh);
}

/* ---- the worker's side ---- */

/* This worker's own contexts for sa, built on first use from the kept keys. */
static struct ipsec_sa_wk *sa_wk(struct ipsec_sa *sa, int slot)
{
	if (!sa->wk || !sa->keys)
		return NULL;
	struct ipsec_sa_wk *w = atomic_load_explicit(&sa->wk[slot], memory_order_acquire);
	if (w)
		return w->ok ? w : NULL;
	if (!(w = calloc(1, sizeof(*w))))
		return NULL;
	w->ok = ipsec_sa_cx_init(sa, &w->cx, sa->keys) == 0;
	/* Only this worker writes its slot; the control thread reads it to fold and to free. */
	atomic_store_explicit(&sa->wk[slot], w, memory_order_release);
	return w->ok ? w : NULL;
}

static const struct fp_in *find_in(const struct fp_tab *t, uint32_t spi, uint32_t dst)
{
	for (size_t h = spi_slot(spi, t->inh_mask); t->inh[h]; h = (h + 1) & t->inh_mask) {
		const struct fp_in *in = &t->in[t->inh[h] - 1];
		if (in->sa->spi == spi && in->local == dst)
			return in;
	}
	return NULL;
}


enum fp_rc ipsec_fp_decap(const struct fp_tab *t, struct fp_wk *w, struct pkt *p, uint32_t dst,
			  bool udp)
{
	uint32_t spi;
	if (!esp_peek_spi(p, 0, &spi))
		return FP_PUNT;
	const struct fp_in *in = find_in(t, spi, dst);
	/* Unknown SPIs (recovery) and bundle mismatches are the control thread's to count and log. */
	if (!in || in->udp != udp)
		return FP_PUNT;
	struct ipsec_sa_wk *sw = sa_wk(in->sa, w->slot);
	if (!sw)
		return FP_PUNT;
	uint8_t nh = 0;
	enum ipsec_drop d = esp_decap_cx(in->sa, &sw->cx, p, &nh);
	if (d == DROP_NONE && nh != 4)
		d = DROP_INVALID_PROT;
	bool ident = false;
	if (d == DROP_NONE)
		d = ipsec_inner_check(&in->flow, p, &ident);
	if (d != DROP_NONE || ident) {
		fp_count(&sw->drops[d != DROP_NONE ? d : IPSEC_WK_DROP_IDENT], 1);
		return FP_DROPPED;
	}
	fp_count(&sw->pkts, 1);
	fp_count(&sw->bytes, p->len);
	p->flags = PKT_F_DECAPPED;
	p->sa_ctx = (uint32_t)in->bundle_id;
	return FP_DONE;
}

const struct fp_out *ipsec_fp_lookup_out(const struct fp_tab *t, int ifidx, const uint8_t *ip,
					 size_t len)
{
	const struct fp_if *fi = &t->ifs[ifidx];
	struct acl_key k;
	acl_key_from_ip(&k, ip, len);
	for (size_t i = fi->cm_first; i < fi->cm_first + fi->cm_n; i++) {
		const struct fp_cm *c = &t->cm[i];
		size_t idx = 0;
		/* A deny line means "not with this entry": IOS tries the next one (ipsec_egress). */
		if (acl_eval(&c->acl, &k, &idx) != ACL_PERMIT)
			continue;
		return c->punt ? NULL : c->ace_out[idx];
	}
	return NULL;
}

bool ipsec_fp_ready(const struct fp_out *o, struct fp_wk *w)
{
	return o->sa->has_txlock && sa_wk(o->sa, w->slot) != NULL;
}

void ipsec_fp_tx_lock(const struct fp_out *o) { pthread_mutex_lock(&o->sa->txlock); }
void ipsec_fp_tx_unlock(const struct fp_out *o) { pthread_mutex_unlock(&o->sa->txlock); }

size_t ipsec_fp_max_inner(const struct fp_out *o, uint32_t mtu)
{
	return ipsec_max_inner(o->overhead_fixed, o->esp_block, mtu);
}

enum fp_rc ipsec_fp_encap(const struct fp_out *o, struct fp_wk *w, struct pkt *p)
{
	struct ipsec_sa *sa = o->sa;
	struct ipsec_sa_wk *sw = sa_wk(sa, w->slot);
	if (!sw)
		return FP_PUNT;
	/* Forwarding: the inner TTL goes down by one, as ipv4.c's forward() does. */
	uint8_t *ip = p->data;
	uint16_t old = wbuf_be16(ip + 8);
	ip[8]--;
	wbuf_st16(ip + 10, inet_cksum_update16(wbuf_be16(ip + 10), old, wbuf_be16(ip + 8)));
	/* RFC 4301 §5.1.2.1: DSCP/ECN and DF come from the inner header. */
	uint8_t tos = ip[1];
	bool df = ip[6] & 0x40;
	size_t inner = p->len;
	enum ipsec_drop d = esp_encap_cx(sa, &sw->cx, p);
	if (d == DROP_NONE && o->udp) {
		uint8_t *u = pkt_push(p, UDP_HLEN);
		if (u) {
			wbuf_st16(u, UDP_PORT_IKE_NATT);
			wbuf_st16(u + 2, o->peer_port ? o->peer_port : UDP_PORT_IKE_NATT);
			wbuf_st16(u + 4, (uint16_t)p->len);
			wbuf_st16(u + 6, 0);	/* RFC 3948 §2.1: zero checksum */
		} else {
			d = DROP_NO_ROOM;
		}
	}
	uint8_t *oh = d == DROP_NONE && p->len + IP_HLEN <= PKT_MAX_IP ? pkt_push(p, IP_HLEN) : NULL;
	if (!oh) {
		fp_count(&sw->drops[d != DROP_NONE ? d : DROP_NO_ROOM], 1);
		return FP_DROPPED;
	}
	ipsec_ip_header(oh, p->len, tos, df, w->ip_id++, OUTER_TTL, o->udp ? 17 : IPPROTO_ESP_,
			o->local, o->peer);
	fp_count(&sw->pkts, 1);
	fp_count(&sw->bytes, inner);
	return FP_DONE;
}

/* ---- folding (control thread) ---- */


static void fold_drops(struct ipsec_state *st, struct ipsec_bundle *b, struct ipsec_sa *sa,
		       struct ipsec_sa_wk *w)
{
	struct router *r = st->r;
	struct ipsec_counters *c = &b->fr->c;
	for (int d = DROP_INVALID_LEN; d <= IPSEC_WK_DROP_IDENT; d++) {
		uint64_t n = fp_take(&w->drops[d], &w->f_drops[d]);
		if (!n)
			continue;
		if (d == IPSEC_WK_DROP_IDENT) {
			c->recv_errors += n;
			c->invalid_identity += n;
		} else {
			for (uint64_t i = 0; i < n; i++)
				ipsec_count_drop(c, (enum ipsec_drop)d, sa->inbound);
		}
		const char *what = !sa->inbound ? "ENCAPS_FAILED" : d == DROP_REPLAY ? "PKT_REPLAY_ERR" :
				   d == DROP_AUTH ? "RECVD_PKT_MAC_ERR" :
				   d == IPSEC_WK_DROP_IDENT ? "RECVD_PKT_INV_IDENTITY_ACL" : "RECVD_PKT_INV_PROT";
		log_msg_rl(&r->log, &st->rl_wk[d], ev_now(r->ev), 1000, "CRYPTO", SEV_WARNING, what,
			   "%s: %llu packets dropped by data-plane workers for connection id=%u, "
			   "spi=0x%X(%u), peer %s: %s", sa->inbound ? "decaps" : "encaps",
			   (unsigned long long)n, sa->conn_id, sa->spi, sa->spi,
			   ip_str(b->spec.peer_addr).s,
			   d == DROP_REPLAY ? "replay check failed" : d == DROP_AUTH ? "mac verify failed" :
			   d == DROP_BAD_PAD ? "bad padding" : d == DROP_INVALID_LEN ? "bad length" :
			   d == DROP_ROLLOVER ? "sequence number exhausted, rekey needed" :
			   d == IPSEC_WK_DROP_IDENT ? "identity not allowed by the SA's selectors" :
			   d == DROP_INVALID_PROT ? "not an IPv4 tunnel packet" : "internal error");
	}
}

/* One SA's worker counts; lifetimes only when the bundle stays (not while it is deleted). */
static void fold_sa(struct ipsec_state *st, struct ipsec_bundle *b, struct ipsec_sa *sa,
		    bool lifetimes)
{
	if (!sa->wk || !b->fr)
		return;
	struct ipsec_counters *c = &b->fr->c;
	bool verify = sa->has_integ || (sa->enc && sa->enc->aead);
	for (int i = 0; i < QSBR_SLOTS; i++) {
		struct ipsec_sa_wk *w = atomic_load_explicit(&sa->wk[i], memory_order_acquire);
		if (!w)
			continue;
		uint64_t n = fp_take(&w->pkts, &w->f_pkts), bytes = fp_take(&w->bytes, &w->f_bytes);
		if (sa->inbound) {
			c->decaps += n;
			c->decrypt += sa->has_cipher ? n : 0;
			c->verify += verify ? n : 0;
		} else {
			c->encaps += n;
			c->encrypt += sa->has_cipher ? n : 0;
			c->digest += verify ? n : 0;
		}
		if (n && lifetimes) {
			sadb_account_n(st, sa, n, bytes);
		} else {
			sa->pkts += n;
			sa->bytes += bytes;
		}
		fold_drops(st, b, sa, w);
	}
}

void ipsec_fp_fold_bundle(struct ipsec_state *st, struct ipsec_bundle *b, bool lifetimes)
{
	fold_sa(st, b, &b->esp_in, lifetimes);
	fold_sa(st, b, &b->esp_out, lifetimes);
}

void ipsec_fp_fold(struct router *r)
{
	struct ipsec_state *st = r->ipsec;
	struct ipsec_bundle *b, *next;
	/* sadb_account_n may kill a bundle: it is then deleted from its timer, never here. */
	for (b = st->bundles; b; b = next) {
		next = b->next;
		ipsec_fp_fold_bundle(st, b, true);
	}
}

void ipsec_fp_deliver(struct router *r, struct pkt *p)
{
	r->ipsec->deliver(r, p);
}
