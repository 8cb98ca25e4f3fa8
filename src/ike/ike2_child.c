/*
 * Child SAs between the IKEv2 engine and the SADB: traffic selectors to
 * crypto-map flows, the install through ike_install_bundle (Quick Mode's
 * own), and the engine's callbacks for Child SAs going down and IKE SAs
 * rekeyed or gone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config/transform.h"
#include "ike/ike2_int.h"
#include "ike/ike_int.h"
#include "ipsec/ipsec_int.h"
#include "router.h"

static struct router *R(const struct ike2_glue *g) { return g->ike->r; }

/* ---- traffic selectors <-> crypto-map flows ---- */

struct ikev2_range ike2_range_of(uint32_t addr, uint32_t mask, uint8_t proto, uint16_t port)
{
	struct ikev2_range r = { proto, port, port ? port : 65535, addr & mask, addr | ~mask };
	return r;
}

/*
 * The first packet held for flow, the one that triggered the negotiation,
 * as selectors (RFC 7296 §2.9: sent first in TSi/TSr); false when none is
 * held or it is no IPv4 header.
 */
bool ike2_pkt_selectors(struct router *r, const struct ipsec_flow *flow, struct ikev2_range *local,
			struct ikev2_range *remote)
{
	const struct ipsec_flowrec *fr = r->ipsec ? r->ipsec->flows : NULL;
	while (fr && !ipsec_flow_eq(&fr->flow, flow))
		fr = fr->next;
	const struct pkt *p = fr ? fr->held.head : NULL;
	if (!p || p->len < 20 || (p->data[0] >> 4) != 4)
		return false;
	size_t ihl = (size_t)(p->data[0] & 15) * 4;
	uint8_t proto = p->data[9];
	uint16_t sp = 0, ep = 65535, dsp = 0, dep = 65535;
	bool first_frag = (wbuf_be16(p->data + 6) & 0x1fff) == 0;
	if ((proto == 6 || proto == 17) && first_frag && ihl >= 20 && p->len >= ihl + 4) {
		sp = ep = wbuf_be16(p->data + ihl);
		dsp = dep = wbuf_be16(p->data + ihl + 2);
	}
	uint32_t src = wbuf_be32(p->data + 12), dst = wbuf_be32(p->data + 16);
	*local = (struct ikev2_range){ proto, sp, ep, src, src };
	*remote = (struct ikev2_range){ proto, dsp, dep, dst, dst };
	return true;
}

/* A range as address/mask and port; false when it is no prefix (we install prefixes only). */
static bool range_net(const struct ikev2_range *r, uint32_t *addr, uint32_t *mask, uint16_t *port)
{
	uint32_t span = r->saddr ^ r->eaddr;
	if ((span & (span + 1)) || (r->saddr & span) || (r->eaddr & span) != span)
		return false;
	*addr = r->saddr;
	*mask = ~span;
	if (r->sport == 0 && r->eport == 65535)
		*port = 0;
	else if (r->sport == r->eport)
		*port = r->sport;
	else
		return false;
	return true;
}

bool ike2_flow_of(const struct ikev2_child *c, struct ipsec_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->proto = c->local_ts.proto;
	return c->local_ts.proto == c->remote_ts.proto &&
	       range_net(&c->local_ts, &f->local, &f->local_mask, &f->local_port) &&
	       range_net(&c->remote_ts, &f->remote, &f->remote_mask, &f->remote_port);
}

/* The transform set a Child SA suite amounts to (named after the entry's, when one matches). */
static bool child_xf(const struct config *cfg, const struct cfg_cmap_entry *e,
		     const struct ikev2_child_suite *s, struct cfg_transform_set *xf)
{
	const struct xf_alg *enc = xf_by_ikev2(IKEV2_XF_ENCR, s->encr, s->encr_bits);
	const struct xf_alg *auth = s->integ ? xf_by_ikev2(IKEV2_XF_INTEG, s->integ, 0) : NULL;
	if (!enc || enc->kind != XF_KIND_ESP_ENC || (s->integ && (!auth || auth->kind != XF_KIND_ESP_AUTH)))
		return false;
	memset(xf, 0, sizeof(*xf));
	xf->esp_enc = (enum cfg_xf_enc)enc->id;
	xf->esp_keybits = enc->keybits;
	xf->esp_auth = auth ? (enum cfg_xf_auth)auth->id : XF_AUTH_NONE;
	for (size_t i = 0; i < e->ntsets; i++) {
		const struct cfg_transform_set *ts = config_tset(cfg, e->tsets[i]);
		if (ts && ts->ah == XF_AH_NONE && ts->esp_enc == xf->esp_enc && ts->esp_auth == xf->esp_auth &&
		    (ts->esp_keybits ? ts->esp_keybits : 128) == (xf->esp_keybits ? xf->esp_keybits : 128)) {
			snprintf(xf->name, sizeof(xf->name), "%s", ts->name);
			xf->transport = ts->transport;
			break;
		}
	}
	return true;
}

static void keys_of(struct sadb_sa_keys *k, uint32_t spi, const uint8_t *km, const struct ikev2_child *c)
{
	k->spi = spi;
	memcpy(k->enc_key, km, c->enc_key_len);
	k->enc_key_len = c->enc_key_len;
	memcpy(k->auth_key, km + c->enc_key_len, c->integ_key_len);
	k->auth_key_len = c->integ_key_len;
}

static bool range_in(const struct ikev2_range *a, const struct ikev2_range *r)
{
	return (!r->proto || a->proto == r->proto) && a->saddr >= r->saddr && a->eaddr <= r->eaddr &&
	       a->sport >= r->sport && a->eport <= r->eport;
}

/* As responder: the first entry for the peer whose ACL range holds the Child SA (§2.9). */
static const struct cfg_cmap_entry *entry_holding(struct ike2_glue *g, const struct ikev2_sa *sa,
						  const struct ikev2_child *c)
{
	const struct config *cfg = R(g)->cfg;
	struct ikev2_peer_conf *pc = calloc(1, sizeof(*pc));
	const struct cfg_cmap_entry *found = NULL;
	for (size_t i = 0; pc && !found && i < cfg->ncmap; i++) {
		const struct cfg_cmap_entry *e = &cfg->cmaps[i];
		bool peer = false;
		for (size_t k = 0; k < e->npeers; k++)
			peer |= e->peers[k] == sa->peer;
		if (peer && ike2_entry_wants(g->ike, e) && g->build && g->build(cfg, e, sa->local, sa->peer, pc) &&
		    range_in(&c->local_ts, &pc->local_ts) && range_in(&c->remote_ts, &pc->remote_ts))
			found = e;
		OPENSSL_cleanse(pc, sizeof(*pc));
	}
	free(pc);
	return found;
}

/* The map entry a Child SA for flow belongs to: the one whose packets asked for it. */
static const struct cfg_cmap_entry *entry_of_child(struct ike2_glue *g, const struct ike2_track *t,
						   const struct ipsec_flow *flow, const struct ikev2_child *c)
{
	const struct config *cfg = R(g)->cfg;
	for (size_t i = 0; i < IKE2_MAX_CHILD_WAIT; i++) {
		struct ike2_child_wait *w = &g->wait[i];
		if (w->used && w->sa == t->sa && ipsec_flow_eq(&w->flow, flow)) {
			w->used = false;
			return config_cmap_entry(cfg, w->cmap, w->seq);
		}
	}
	if (t->has_flow)
		return config_cmap_entry(cfg, t->cmap, t->seq);
	const struct cfg_cmap_entry *e = entry_holding(g, t->sa, c);
	return e ? e : ike2_entry_for_peer(g, t->sa->peer);
}

/* A Child SA is up (IKE_AUTH's, CREATE_CHILD_SA's, a rekey's): into the SADB, as Quick Mode's bundles go. */
void ike2_h_child_up(void *arg, struct ikev2_sa *sa, const struct ikev2_child *c)
{
	struct ike2_glue *g = arg;
	const struct config *cfg = R(g)->cfg;
	struct ike2_track *t = ike2_track_of(g, sa);
	if (!t && !(t = ike2_track_new(g, sa)))
		return;
	struct sadb_bundle_spec spec;
	struct ike_record rec;
	memset(&spec, 0, sizeof(spec));
	memset(&rec, 0, sizeof(rec));
	if (!ike2_flow_of(c, &spec.flow)) {
		ike2_drop(g, &g->st.bad_ts, sa->peer, "Child SA: traffic selectors are no address/mask pair");
		return;
	}
	const struct cfg_cmap_entry *e = entry_of_child(g, t, &spec.flow, c);
	if (!e) {
		ike2_drop(g, &g->st.install_fail, sa->peer, "Child SA: the crypto map entry is gone");
		return;
	}
	if (c->enc_key_len > SADB_KEY_MAX || c->integ_key_len > SADB_KEY_MAX ||
	    !child_xf(cfg, e, &c->suite, &spec.xf)) {
		ike2_drop(g, &g->st.install_fail, sa->peer, "Child SA: transform unknown to the data plane");
		return;
	}
	spec.cmap_name = e->name;
	spec.cmap_seq = e->seq;
	spec.local_addr = sa->local;
	spec.peer_addr = sa->peer;
	/* A NAT between us (§2.23): ESP in UDP to the peer's NAT-T port, as IKEv1 NAT-T installs it. */
	spec.udp_encap = ikev2_nat_detected(sa);
	spec.peer_port = spec.udp_encap ? sa->pport : UDP_PORT_IKE;
	spec.has_esp = true;
	keys_of(&spec.esp_in, c->spi_in, c->key_in, c);
	keys_of(&spec.esp_out, c->spi_out, c->key_out, c);
	spec.life_sec = config_cmap_life_sec(cfg, e);
	spec.life_kb = config_cmap_life_kb(cfg, e);
	spec.ike_conn_id = t->id;
	rec.initiator = sa->initiator;
	ike_key_fingerprint(c->key_in, c->enc_key_len + c->integ_key_len, &rec.key_fp[2]);
	ike_key_fingerprint(c->key_out, c->enc_key_len + c->integ_key_len, &rec.key_fp[3]);
	int id = ike_install_bundle(g->ike, &spec, &rec);
	OPENSSL_cleanse(&spec, sizeof(spec));
	if (id < 0) {
		g->st.install_fail++;
		return;
	}
	t->installed = true;
	g->st.install_ok++;
	if (R(g)->debug & DBG_IPSEC) {
		char ps[16];
		ip_fmt(sa->peer, ps);
		log_debug(&R(g)->log, "IPSEC(create_sa): IKEv2 Child SA with %s, in spi 0x%X, out spi 0x%X",
			  ps, c->spi_in, c->spi_out);
	}
}

/* The engine took a Child SA down (Delete either way, rekey, protected INVALID_SPI). */
void ike2_h_child_down(void *arg, struct ikev2_sa *sa, uint32_t spi_in, uint32_t spi_out)
{
	struct ike2_glue *g = arg;
	(void)spi_out;
	g->st.child_down++;
	/* The peer knows (or told us): the deleted hook must not send a Delete again. */
	sadb_delete_inbound_spi(R(g), 50, spi_in, SADB_DEL_PEER_DELETE);
	(void)sa;
}

void ike2_h_ike_down(void *arg, struct ikev2_sa *sa)
{
	struct ike2_glue *g = arg;
	struct ike2_track *t = ike2_track_of(g, sa);
	char ps[16];
	/* Only a session that was up goes DOWN; a failed negotiation has its own counter. */
	if (t && !t->was_ready) {
		ike2_schedule(g);
		return;
	}
	g->st.ike_down++;
	ip_fmt(sa->peer, ps);
	if (R(g)->debug & DBG_IKEV2)
		log_debug(&R(g)->log, "IKEv2:(SESSION ID = %u):Session with %s is DOWN", t ? t->id : 0, ps);
	ike2_schedule(g);
}

/* An IKE SA rekey: the Child SAs, their bundles and the flow now belong to the new SA. */
void ike2_h_ike_rekeyed(void *arg, struct ikev2_sa *old_sa, struct ikev2_sa *new_sa)
{
	struct ike2_glue *g = arg;
	struct ike2_track *o = ike2_track_of(g, old_sa), *n = ike2_track_of(g, new_sa);
	if (!n && !(n = ike2_track_new(g, new_sa)))
		return;
	if (!o)
		return;
	n->has_flow = o->has_flow;
	snprintf(n->cmap, sizeof(n->cmap), "%s", o->cmap);
	n->seq = o->seq;
	n->flow = o->flow;
	n->installed = true;
	for (int i = 0; i < IKE_MAX_RECORDS; i++)
		if (g->ike->rec[i].used && g->ike->rec[i].ike_conn_id == o->id && g->ike->rec[i].peer == old_sa->peer)
			g->ike->rec[i].ike_conn_id = n->id;
	for (size_t i = 0; i < IKE2_MAX_CHILD_WAIT; i++)
		if (g->wait[i].used && g->wait[i].sa == old_sa)
			g->wait[i].sa = new_sa;
}

