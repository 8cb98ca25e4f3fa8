/*
 * The SADB: bundles (one per negotiation per flow), inbound SAs hashed by
 * (proto, SPI) for O(1) lookup with the destination compared in the chain,
 * SPI allocation, lifetimes.  Every bundle goes away through
 * sadb_bundle_delete, which tells the key manager.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/ipfmt.h"
#include "ipsec/ipsec_int.h"
#include "net/iface.h"
#include "net/fastpath.h"
#include "router.h"

static size_t hidx(const struct ipsec_state *st, uint8_t proto, uint32_t spi)
{
	uint32_t h = (spi ^ st->hash_seed) * 2654435761u;
	h ^= (uint32_t)proto * 0x9e3779b9u;
	h ^= h >> 15;
	return h & (SADB_HASH_SIZE - 1);
}

struct ipsec_sa *sadb_lookup_in(struct ipsec_state *st, uint32_t dst, uint8_t proto,
				uint32_t spi)
{
	for (struct ipsec_sa *sa = st->hash[hidx(st, proto, spi)]; sa; sa = sa->hnext)
		if (sa->spi == spi && sa->proto == proto && sa->b->spec.local_addr == dst &&
		    !sadb_bundle_dead(sa->b))
			return sa;
	return NULL;
}

struct ipsec_sa *sadb_lookup_spi(struct ipsec_state *st, uint8_t proto, uint32_t spi)
{
	for (struct ipsec_sa *sa = st->hash[hidx(st, proto, spi)]; sa; sa = sa->hnext)
		if (sa->spi == spi && sa->proto == proto && !sadb_bundle_dead(sa->b))
			return sa;
	return NULL;
}

static bool spi_taken(struct ipsec_state *st, uint8_t proto, uint32_t spi)
{
	for (struct ipsec_sa *sa = st->hash[hidx(st, proto, spi)]; sa; sa = sa->hnext)
		if (sa->spi == spi && sa->proto == proto)
			return true;
	for (size_t i = 0; i < st->nresv; i++)
		if (st->resv[i].proto == proto && st->resv[i].spi == spi)
			return true;
	return false;
}

uint32_t sadb_alloc_spi(struct router *r, uint8_t ipproto)
{
	struct ipsec_state *st = r->ipsec;
	uint32_t spi = 0;
	for (int tries = 0; tries < 64; tries++) {
		if (RAND_bytes((unsigned char *)&spi, sizeof(spi)) != 1)
			return 0;
		/* RFC 4303 §2.1: 1-255 are reserved by IANA, 0 is local use. */
		if (spi > 255 && !spi_taken(st, ipproto, spi))
			break;
		spi = 0;
	}
	if (!spi)
		return 0;
	if (st->nresv == SPI_RESERVED_MAX) {
		/* A key manager that never installs or releases: forget the oldest. */
		memmove(st->resv, st->resv + 1, sizeof(st->resv[0]) * (SPI_RESERVED_MAX - 1));
		st->nresv--;
	}
	st->resv[st->nresv].proto = ipproto;
	st->resv[st->nresv].spi = spi;
	st->nresv++;
	return spi;
}

void sadb_release_spi(struct router *r, uint8_t ipproto, uint32_t spi)
{
	struct ipsec_state *st = r->ipsec;
	for (size_t i = 0; i < st->nresv; i++) {
		if (st->resv[i].proto == ipproto && st->resv[i].spi == spi) {
			memmove(&st->resv[i], &st->resv[i + 1],
				sizeof(st->resv[0]) * (st->nresv - i - 1));
			st->nresv--;
			return;
		}
	}
}

void sadb_set_km(struct router *r, const struct sadb_km_ops *ops) { r->ipsec->km = ops; }

const char *sadb_reason_text(enum sadb_del_reason why)
{
	switch (why) {
	case SADB_DEL_CLEAR: return "clear crypto sa";
	case SADB_DEL_EXPIRED: return "lifetime expired";
	case SADB_DEL_PEER_DELETE: return "peer deleted it";
	case SADB_DEL_INVALID_SPI: return "peer reported invalid SPI";
	case SADB_DEL_REPLACED: return "replaced by rekey";
	case SADB_DEL_CONFIG: return "crypto map changed";
	case SADB_DEL_DPD: return "peer dead";
	case SADB_DEL_INITIAL_CONTACT: return "initial contact";
	case SADB_DEL_LOST: return "lost (test)";
	}
	return "unknown";
}

struct ipsec_flowrec *ipsec_flow_for_spec(struct ipsec_state *st,
					  const struct sadb_bundle_spec *spec)
{
	const char *name = spec->cmap_name ? spec->cmap_name : "";
	for (struct ipsec_flowrec *fr = st->flows; fr; fr = fr->next)
		if (!strcmp(fr->cmap, name) && fr->seq == spec->cmap_seq &&
		    ipsec_flow_eq(&fr->flow, &spec->flow))
			return fr;
	/* Proxy identities IKE agreed that no ACL line spells exactly. */
	struct ipsec_flowrec *fr = calloc(1, sizeof(*fr));
	if (!fr)
		return NULL;
	snprintf(fr->cmap, sizeof(fr->cmap), "%s", name);
	fr->seq = spec->cmap_seq;
	fr->ace = -1;
	fr->flow = spec->flow;
	fr->peer = spec->peer_addr;
	pktq_init(&fr->held, HOLD_QUEUE_MAX);
	struct ipsec_flowrec **pp = &st->flows;
	while (*pp)
		pp = &(*pp)->next;
	*pp = fr;
	return fr;
}

struct ipsec_bundle *ipsec_flow_out_bundle(struct ipsec_flowrec *fr)
{
	for (struct ipsec_bundle *b = fr->bundles; b; b = b->fnext)
		if (!sadb_bundle_dead(b))
			return b;
	return NULL;
}

static void hash_add(struct ipsec_state *st, struct ipsec_sa *sa)
{
	size_t i = hidx(st, sa->proto, sa->spi);
	sa->hnext = st->hash[i];
	st->hash[i] = sa;
}

static void hash_del(struct ipsec_state *st, struct ipsec_sa *sa)
{
	for (struct ipsec_sa **pp = &st->hash[hidx(st, sa->proto, sa->spi)]; *pp;
	     pp = &(*pp)->hnext) {
		if (*pp == sa) {
			*pp = sa->hnext;
			return;
		}
	}
}

static void bundle_free_now(void *arg)
{
	struct ipsec_bundle *b = arg;
	ipsec_sa_clear(&b->ah_in);
	ipsec_sa_clear(&b->ah_out);
	ipsec_sa_clear(&b->esp_in);
	ipsec_sa_clear(&b->esp_out);
	OPENSSL_cleanse(&b->spec, sizeof(b->spec));
	free(b);
}

/*
 * A worker may hold the bundle through the published fast-path table until
 * it passes a quiescent point: with workers the memory (keys, replay
 * window, sequence counter, the workers' contexts) goes only after that.
 */
static void bundle_free(struct ipsec_bundle *b)
{
	fastpath_retire(b->r, bundle_free_now, b);
}

void sadb_bundle_delete(struct ipsec_state *st, struct ipsec_bundle *b, enum sadb_del_reason why)
{
	struct router *r = st->r;
	/* What workers counted on it so far stays in the flow's counters. */
	ipsec_fp_fold_bundle(st, b, false);
	fastpath_dirty(r);
	ev_timer_cancel(r->ev, &b->timer);
	if (b->ah_in.used)
		hash_del(st, &b->ah_in);
	if (b->esp_in.used)
		hash_del(st, &b->esp_in);
	for (struct ipsec_bundle **pp = &st->bundles; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	struct ipsec_flowrec *fr = b->fr;
	if (fr)
		for (struct ipsec_bundle **pp = &fr->bundles; *pp; pp = &(*pp)->fnext)
			if (*pp == b) {
				*pp = b->fnext;
				break;
			}
	if (r->debug & DBG_IPSEC)
		log_debug(&r->log, "IPSEC(delete_sa): deleting SA bundle %d, (sa) sa_dest= %s, "
			  "reason: %s", b->id, ip_str(b->spec.peer_addr).s, sadb_reason_text(why));
	if (!b->spec.manual && why != SADB_DEL_LOST && st->km && st->km->deleted)
		st->km->deleted(r, b->spec.local_addr, b->spec.peer_addr, b->spec.peer_port,
				b->spec.has_ah, b->ah_in.spi, b->spec.has_esp, b->esp_in.spi, why);
	bundle_free(b);
	/* A flow only IKE knew (narrowed proxy IDs) goes with its last bundle. */
	if (fr && fr->ace < 0 && !fr->bundles && !fr->closing) {
		for (struct ipsec_flowrec **pp = &st->flows; *pp; pp = &(*pp)->next)
			if (*pp == fr) {
				*pp = fr->next;
				break;
			}
		pktq_flush(&fr->held);
		free(fr);
	}
}

const char *sadb_bundle_state_name(enum sadb_bundle_state s)
{
	switch (s) {
	case BUNDLE_LARVAL: return "LARVAL";
	case BUNDLE_MATURE: return "MATURE";
	case BUNDLE_DYING: return "DYING";
	case BUNDLE_DEAD: return "DEAD";
	}
	return "?";
}

bool sadb_bundle_stateok(enum sadb_bundle_state from, enum sadb_bundle_state to)
{
	switch (from) {
	case BUNDLE_LARVAL: return to == BUNDLE_MATURE;
	case BUNDLE_MATURE: return to == BUNDLE_DYING || to == BUNDLE_DEAD;
	case BUNDLE_DYING: return to == BUNDLE_DEAD;
	case BUNDLE_DEAD: return false;
	}
	return false;
}

bool sadb_bundle_set_state(struct ipsec_state *st, struct ipsec_bundle *b, enum sadb_bundle_state to)
{
	struct router *r = st->r;
	if (!sadb_bundle_stateok(b->state, to)) {
		st->g.state_refused++;
		log_msg_rl(&r->log, &st->rl_state, ev_now(r->ev), 1000, "CRYPTO", SEV_ERR, "IPSEC_STATE",
			   "IPsec SA bundle %d: illegal state change %s -> %s refused", b->id,
			   sadb_bundle_state_name(b->state), sadb_bundle_state_name(to));
		return false;
	}
	if (r->debug & DBG_IPSEC)
		log_debug(&r->log, "IPSEC: SA bundle %d: %s -> %s", b->id, sadb_bundle_state_name(b->state),
			  sadb_bundle_state_name(to));
	b->state = to;
	fastpath_dirty(r);
	return true;
}

static void bundle_timer(void *arg)
{
	struct ipsec_bundle *b = arg;
	struct router *r = b->r;
	struct ipsec_state *st = r->ipsec;
	uint64_t now = ev_now(r->ev);
	if (sadb_bundle_dead(b) || !b->life_sec) {
		sadb_bundle_delete(st, b, SADB_DEL_EXPIRED);
		return;
	}
	uint64_t hard = b->created_ms + (uint64_t)b->life_sec * 1000;
	uint64_t soft = b->created_ms + (uint64_t)b->life_sec * 10 * SOFT_PERCENT;
	if (now >= hard) {
		sadb_bundle_delete(st, b, SADB_DEL_EXPIRED);
		return;
	}
	if (now >= soft && b->state == BUNDLE_MATURE && sadb_bundle_set_state(st, b, BUNDLE_DYING) &&
	    st->km && st->km->soft_expire)
		st->km->soft_expire(r, b->id);
	ev_timer_arm(r->ev, &b->timer, (b->state == BUNDLE_DYING ? hard : soft) - now);
}

void sadb_account(struct ipsec_state *st, struct ipsec_sa *sa, size_t bytes)
{
	sadb_account_n(st, sa, 1, bytes);
}

/* pkts packets of bytes in all; workers' counts come in this way, folded (fastpath.c). */
void sadb_account_n(struct ipsec_state *st, struct ipsec_sa *sa, uint64_t pkts, uint64_t bytes)
{
	struct ipsec_bundle *b = sa->b;
	sa->bytes += bytes;
	sa->pkts += pkts;
	if (!b->life_kb || sadb_bundle_dead(b))
		return;
	uint64_t hard = (uint64_t)b->life_kb * 1024;
	/* Sequence numbers near the end need a rekey as much as bytes do. */
	bool seq_low = !sa->inbound && ipsec_seq_last(&sa->seq) > IPSEC_SEQ_MAX - (1u << 20);
	if (b->state == BUNDLE_MATURE && (sa->bytes >= hard * SOFT_PERCENT / 100 || seq_low) &&
	    sadb_bundle_set_state(st, b, BUNDLE_DYING) && st->km && st->km->soft_expire)
		st->km->soft_expire(st->r, b->id);
	/* Deleted from the timer, after the packet in hand is done with it. */
	if (sa->bytes >= hard && sadb_bundle_set_state(st, b, BUNDLE_DEAD))
		ev_timer_arm(st->r->ev, &b->timer, 0);
}

static int spec_ok(struct ipsec_state *st, const struct sadb_bundle_spec *s, const char **why)
{
	const char *w = NULL;
	if (xf_validate(&s->xf, &w) < 0)
		;
	else if (s->has_ah != (s->xf.ah != XF_AH_NONE))
		w = "AH in the bundle does not match the transform set";
	else if (s->has_esp != (s->xf.esp_enc != XF_ENC_NONE || s->xf.esp_auth != XF_AUTH_NONE))
		w = "ESP in the bundle does not match the transform set";
	else if (s->udp_encap && s->has_ah)
		w = "AH cannot be UDP-encapsulated";
	else if (s->manual && xf_manual_check(&s->xf, NULL, 0) < 0)
		w = "manual keys restart the sequence number: a counter-nonce cipher would reuse its nonce";
	else if (!s->local_addr || !s->peer_addr)
		w = "no tunnel endpoints";
	else if ((s->has_ah && (s->ah_in.spi < 256 || s->ah_out.spi < 256)) ||
		 (s->has_esp && (s->esp_in.spi < 256 || s->esp_out.spi < 256)))
		w = "SPI in the reserved range 0-255";
	else if (s->has_ah && sadb_lookup_in(st, s->local_addr, IPPROTO_AH_, s->ah_in.spi))
		w = "inbound AH SPI already in use";
	else if (s->has_esp && sadb_lookup_in(st, s->local_addr, IPPROTO_ESP_, s->esp_in.spi))
		w = "inbound ESP SPI already in use";
	*why = w;
	return w ? -1 : 0;
}

/* IOS's `debug crypto ipsec` line for each SA of a new bundle. */
static void debug_created(struct router *r, const struct ipsec_bundle *b)
{
	const struct ipsec_sa *show[4] = { &b->ah_in, &b->ah_out, &b->esp_in, &b->esp_out };
	for (int i = 0; i < 4; i++) {
		if (!show[i]->used)
			continue;
		uint32_t d = show[i]->inbound ? b->spec.local_addr : b->spec.peer_addr;
		log_debug(&r->log, "IPSEC(create_sa): sa created,\n  (sa) sa_dest= %s, "
			  "sa_prot= %u, \n    sa_spi= 0x%X(%u), \n    sa_conn_id= %u",
			  ip_str(d).s, show[i]->proto, show[i]->spi, show[i]->spi, show[i]->conn_id);
	}
}

int sadb_install(struct router *r, const struct sadb_bundle_spec *spec)
{
	struct ipsec_state *st = r->ipsec;
	const char *why = NULL;
	struct ipsec_bundle *b = NULL;
	uint32_t win = r->cfg->replay_window ? r->cfg->replay_window : REPLAY_WINDOW_DEFAULT;

	if (spec_ok(st, spec, &why) < 0)
		goto fail;
	why = "out of memory";
	if (!(b = calloc(1, sizeof(*b))))
		goto fail;
	b->r = r;
	b->spec = *spec;
	snprintf(b->cmap_name, sizeof(b->cmap_name), "%s", spec->cmap_name ? spec->cmap_name : "");
	b->spec.cmap_name = b->cmap_name;
	why = "cannot set up the algorithms (see above)";
	if (spec->has_ah &&
	    (ipsec_sa_setup(st, &b->ah_in, IPPROTO_AH_, true, &spec->xf, &spec->ah_in, win) < 0 ||
	     ipsec_sa_setup(st, &b->ah_out, IPPROTO_AH_, false, &spec->xf, &spec->ah_out, win) < 0))
		goto fail;
	if (spec->has_esp &&
	    (ipsec_sa_setup(st, &b->esp_in, IPPROTO_ESP_, true, &spec->xf, &spec->esp_in, win) < 0 ||
	     ipsec_sa_setup(st, &b->esp_out, IPPROTO_ESP_, false, &spec->xf, &spec->esp_out, win) < 0))
		goto fail;
	why = "out of memory";
	if (!(b->fr = ipsec_flow_for_spec(st, spec)))
		goto fail;
	if (!spec->manual) {
		/* The keys live on in the contexts only. */
		OPENSSL_cleanse(&b->spec.ah_in, sizeof(b->spec.ah_in));
		OPENSSL_cleanse(&b->spec.ah_out, sizeof(b->spec.ah_out));
		OPENSSL_cleanse(&b->spec.esp_in, sizeof(b->spec.esp_in));
		OPENSSL_cleanse(&b->spec.esp_out, sizeof(b->spec.esp_out));
	}
	/* Keep the SPIs the contexts were built for. */
	b->spec.ah_in.spi = spec->ah_in.spi;
	b->spec.ah_out.spi = spec->ah_out.spi;
	b->spec.esp_in.spi = spec->esp_in.spi;
	b->spec.esp_out.spi = spec->esp_out.spi;

	b->id = ++st->next_bundle_id;
	uint32_t flow_in = ++st->next_flow_id, flow_out = ++st->next_flow_id;
	struct ipsec_sa *sas[4] = { &b->ah_in, &b->ah_out, &b->esp_in, &b->esp_out };
	for (int i = 0; i < 4; i++) {
		if (!sas[i]->used)
			continue;
		sas[i]->b = b;
		sas[i]->conn_id = ++st->next_conn_id;
		sas[i]->flow_id = sas[i]->inbound ? flow_in : flow_out;
		/* IOS: manual SAs restart at 1 whenever either side reloads. */
		sas[i]->no_replay = spec->manual;
		if (sas[i]->inbound)
			hash_add(st, sas[i]);
		sadb_release_spi(r, sas[i]->proto, sas[i]->spi);
	}
	b->overhead_fixed = IP_HDR_LEN + (spec->udp_encap ? UDP_HDR_LEN : 0);
	if (spec->has_ah)
		b->overhead_fixed += AH_HDR_LEN + b->ah_out.auth->icv_len;
	if (spec->has_esp) {
		const struct ipsec_sa *e = &b->esp_out;
		b->esp_block = e->enc ? e->enc->block : 4;
		b->overhead_fixed += ESP_HDR_LEN + (e->enc ? e->enc->iv_len : 0) +
				     (e->enc && e->enc->aead ? e->enc->icv_len
							     : e->auth ? e->auth->icv_len : 0);
	}
	b->created_ms = ev_now(r->ev);
	if (!spec->manual) {
		b->life_sec = spec->life_sec ? spec->life_sec : config_cmap_life_sec(r->cfg, NULL);
		b->life_kb = spec->life_kb ? spec->life_kb : config_cmap_life_kb(r->cfg, NULL);
	}
	ev_timer_init(&b->timer, bundle_timer, b);
	if (b->life_sec)
		ev_timer_arm(r->ev, &b->timer, (uint64_t)b->life_sec * 10 * SOFT_PERCENT);
	b->next = st->bundles;
	st->bundles = b;
	b->fnext = b->fr->bundles;
	b->fr->bundles = b;
	sadb_bundle_set_state(st, b, BUNDLE_MATURE);

	if (r->debug & DBG_IPSEC)
		debug_created(r, b);
	ipsec_flow_flush(st, b->fr);
	return b->id;
fail:
	if (b)
		bundle_free(b);
	st->g.install_failed++;
	log_msg_rl(&r->log, &st->rl_install, ev_now(r->ev), 1000, "CRYPTO", SEV_ERR, "SA_INSTALL",
		   "IPsec SA bundle for map %s %d, peer %s refused: %s",
		   spec->cmap_name ? spec->cmap_name : "-", spec->cmap_seq, ip_str(spec->peer_addr).s, why);
	return -1;
}

int sadb_delete_inbound_spi(struct router *r, uint8_t ipproto, uint32_t spi,
			    enum sadb_del_reason why)
{
	struct ipsec_state *st = r->ipsec;
	int n = 0;
	struct ipsec_sa *sa;
	while ((sa = st->hash[hidx(st, ipproto, spi)])) {
		while (sa && !(sa->spi == spi && sa->proto == ipproto))
			sa = sa->hnext;
		if (!sa)
			break;
		sadb_bundle_delete(st, sa->b, why);
		n++;
	}
	return n;
}

int sadb_delete_outbound_spi(struct router *r, uint32_t peer, uint8_t ipproto, uint32_t spi,
			     enum sadb_del_reason why)
{
	struct ipsec_state *st = r->ipsec;
	int n = 0;
	struct ipsec_bundle *b, *next;
	for (b = st->bundles; b; b = next) {
		next = b->next;
		const struct ipsec_sa *o = ipproto == IPPROTO_AH_ ? &b->ah_out : &b->esp_out;
		if (b->spec.peer_addr == peer && o->used && o->spi == spi) {
			sadb_bundle_delete(st, b, why);
			n++;
		}
	}
	return n;
}

int sadb_delete_peer(struct router *r, uint32_t peer, enum sadb_del_reason why)
{
	struct ipsec_state *st = r->ipsec;
	int n = 0;
	struct ipsec_bundle *b, *next;
	for (b = st->bundles; b; b = next) {
		next = b->next;
		if (b->spec.peer_addr == peer) {
			sadb_bundle_delete(st, b, why);
			n++;
		}
	}
	return n;
}

int sadb_delete_all(struct router *r, enum sadb_del_reason why)
{
	struct ipsec_state *st = r->ipsec;
	int n = 0;
	while (st->bundles) {
		sadb_bundle_delete(st, st->bundles, why);
		n++;
	}
	return n;
}

bool sadb_has_outbound_spi(struct router *r, uint32_t peer, uint8_t ipproto, uint32_t spi)
{
	for (struct ipsec_bundle *b = r->ipsec->bundles; b; b = b->next) {
		const struct ipsec_sa *o = ipproto == IPPROTO_AH_ ? &b->ah_out : &b->esp_out;
		if (b->spec.peer_addr == peer && o->used && o->spi == spi && !sadb_bundle_dead(b))
			return true;
	}
	return false;
}
