/*
 * The IKEv2 engine on the router (see ike2_glue.h).  The engine keeps no
 * clock, so the glue keeps one record per engine SA (struct ike2_track):
 * its Tunnel-id, when it started and became READY, its retransmission
 * schedule and, for an SA we started, the crypto-map flow that triggered
 * it.  Records follow the engine's SA list (track_sync after every call
 * into the engine); a dead SA's record goes before ikev2_reap frees it, so
 * a record never outlives its SA.
 */
#include "ike/ike2_glue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config/transform.h"
#include "ike/ike2_cookie.h"
#include "ike/ike2_int.h"
#include "ike/ike2_qcd.h"
#include "ike/ike2_version.h"
#include "ike/ike_int.h"
#include "ikev2/ikev2_conf.h"
#include "ikev2/ikev2_sa.h"
#include "router.h"

static struct router *R(const struct ike2_glue *g) { return g->ike->r; }
uint64_t ike2_now(const struct ike2_glue *g) { return ev_now(g->ike->r->ev); }
static uint64_t now_ms(const struct ike2_glue *g) { return ike2_now(g); }

void ike2_drop(struct ike2_glue *g, uint64_t *counter, uint32_t peer, const char *why)
{
	char ps[16];
	(*counter)++;
	ip_fmt(peer, ps);
	log_msg_rl(&R(g)->log, &g->rl, now_ms(g), 1000, "CRYPTO", SEV_WARNING, "IKEV2_BAD_MESSAGE",
		   "IKEv2 with %s: %s", ps, why);
}

/* ---- records of the engine's SAs ---- */

struct ike2_track *ike2_track_of(struct ike2_glue *g, const struct ikev2_sa *sa)
{
	for (struct ike2_track *t = g->tracks; t; t = t->next)
		if (t->sa == sa)
			return t;
	return NULL;
}

struct ike2_track *ike2_track_new(struct ike2_glue *g, struct ikev2_sa *sa)
{
	struct ike2_track *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->sa = sa;
	/* IOS numbers tunnels from 1 and wraps like the IKEv1 conn-ids. */
	t->id = g->next_id++;
	if (g->next_id > 32766)
		g->next_id = 1;
	t->created_ms = now_ms(g);
	t->next = g->tracks;
	g->tracks = t;
	return t;
}

/* The retransmission schedule follows the engine's outstanding request. */
static void track_rtx(struct ike2_glue *g, struct ike2_track *t)
{
	struct ikev2_sa *sa = t->sa;
	if (!sa->req_pending || sa->state == IKEV2_S_DEAD) {
		t->rtx_on = false;
		return;
	}
	if (t->rtx_on && t->rtx_buf == sa->req_buf && t->rtx_msgid == sa->req_out)
		return;
	t->rtx_on = true;
	t->rtx_buf = sa->req_buf;
	t->rtx_msgid = sa->req_out;
	t->tries = 0;
	t->rtx_ms = g->rtx_base_ms;
	if (t->dpd_probe && sa->cur.kind == IKEV2_OP_LIVENESS) {
		const struct cfg_ikev2_profile *pr = ike2_profile(g, t);
		if (pr && pr->dpd_retry)
			t->rtx_ms = pr->dpd_retry * 1000;
	} else {
		t->dpd_probe = false;
	}
	t->rtx_at = now_ms(g) + t->rtx_ms;
}

/* An inbound SPI the engine reserved for a Child SA that never came up. */
static void release_spi(struct ike2_glue *g, struct ike2_track *t)
{
	if (t->installed || !t->sa->child_spi_in)
		return;
	sadb_release_spi(R(g), 50, t->sa->child_spi_in);
	g->st.spi_released++;
}


const struct cfg_ikev2_profile *ike2_profile(const struct ike2_glue *g, const struct ike2_track *t)
{
	const struct config *cfg = g->ike->r->cfg;
	const struct cfg_cmap_entry *e = t->has_flow ? config_cmap_entry(cfg, t->cmap, t->seq)
				       : g->entry_for_peer ? g->entry_for_peer(cfg, t->sa->peer) : NULL;
	return e && e->ikev2_profile[0] ? config_v2_profile(cfg, e->ikev2_profile) : NULL;
}

uint32_t ike2_life_sec(const struct ike2_glue *g, const struct ike2_track *t)
{
	const struct cfg_ikev2_profile *pr = ike2_profile(g, t);
	return pr && pr->lifetime ? pr->lifetime : 86400;
}

/*
 * DPD (`dpd INTERVAL RETRY on-demand|periodic` in the profile, off by
 * default as on IOS): a peer not heard from (no request of its, no answer to
 * ours) for INTERVAL seconds gets an empty INFORMATIONAL, retransmitted every
 * RETRY seconds, 5 times, then the IKE SA and its Child SAs go.  The glue can
 * not see data-plane counters, so on-demand is approximated as IKEv1's is
 * (docs/ARCHITECTURE.md, DPD): silence of IKE stands in for silence of ESP.
 */
static uint64_t dpd_at(const struct ike2_glue *g, const struct ike2_track *t)
{
	const struct cfg_ikev2_profile *pr = ike2_profile(g, t);
	if (!pr || !pr->dpd_interval || t->sa->req_pending)
		return UINT64_MAX;
	return t->heard_ms + (uint64_t)pr->dpd_interval * 1000;
}

/*
 * When the IKE SA is replaced (§2.8): the initiator at 90% of the profile's
 * lifetime, the responder at 95% (so they seldom collide; the engine sorts
 * out a collision, §2.8.1); at 100% one not yet replaced is deleted.
 */
static uint64_t life_ms(const struct ike2_glue *g, const struct ike2_track *t)
{
	if (g->ike->test_v2_life_ms)
		return g->ike->test_v2_life_ms;
	return (uint64_t)ike2_life_sec(g, t) * 1000;
}

static uint64_t rekey_at(const struct ike2_glue *g, const struct ike2_track *t)
{
	return t->ready_ms + life_ms(g, t) * (t->sa->initiator ? 90 : 95) / 100;
}

static uint64_t expire_at(const struct ike2_glue *g, const struct ike2_track *t)
{
	return t->ready_ms + life_ms(g, t);
}

static bool live(const struct ike2_track *t)
{
	return t->sa->state == IKEV2_S_READY && t->was_ready && !t->sa->deleting && !t->sa->rekeyed_to;
}

/* Records for new SAs, READY times, schedules; records of dead SAs go. */
static void track_sync(struct ike2_glue *g)
{
	ike2_sync(g);
}

void ike2_sync(struct ike2_glue *g)
{
	for (struct ikev2_sa *sa = g->eng.sas; sa; sa = sa->next) {
		struct ike2_track *t = ike2_track_of(g, sa);
		if (!t && sa->state != IKEV2_S_DEAD && !(t = ike2_track_new(g, sa)))
			continue;
		if (!t)
			continue;
		if (sa->state == IKEV2_S_READY && !t->was_ready) {
			char ps[16];
			t->was_ready = true;
			t->ready_ms = now_ms(g);
			/* Recovery and contact-on-start wait on this (ike_initiate_phase1). */
			ike_phase1_result(g->ike, sa->peer, true);
			ip_fmt(sa->peer, ps);
			if (R(g)->debug & DBG_IKEV2)
				log_debug(&R(g)->log, "IKEv2:(SESSION ID = %u,SA ID = %u):Session with %s is UP",
					  t->id, t->id, ps);
		}
		if (sa->req_in != t->seen_req_in || sa->req_out != t->seen_req_out || !t->heard_ms) {
			t->seen_req_in = sa->req_in;
			t->seen_req_out = sa->req_out;
			t->heard_ms = now_ms(g);
		}
		track_rtx(g, t);
	}
	ike2_schedule(g);
}

/*
 * Child SAs do not outlive their IKE SA (RFC 7296 §1.4.1).  The engine
 * reports each one down when its IKE SA ends; this is the safety net for a
 * bundle still recorded under a dead IKE SA's Tunnel-id.
 */
static void children_go(struct ike2_glue *g, struct ike2_track *t)
{
	for (int i = 0; i < IKE_MAX_RECORDS; i++) {
		struct ike_record *rec = &g->ike->rec[i];
		if (rec->used && rec->ike_conn_id == t->id && rec->peer == t->sa->peer && rec->has_esp &&
		    !rec->has_ah && ikev2_child_by_in(t->sa, rec->esp_spi_in) == NULL)
			sadb_delete_inbound_spi(R(g), 50, rec->esp_spi_in, SADB_DEL_CLEAR);
	}
}

/* Child SA requests waiting on an IKE SA that is gone, or for too long, are forgotten. */
static void waits_expire(struct ike2_glue *g)
{
	uint64_t now = now_ms(g);
	for (size_t i = 0; i < IKE2_MAX_CHILD_WAIT; i++) {
		struct ike2_child_wait *w = &g->wait[i];
		if (w->used && (w->sa->state == IKEV2_S_DEAD || now - w->since > IKE2_CHILD_WAIT_MS))
			w->used = false;
	}
}

/* Before ikev2_reap frees the dead SAs: their records and reserved SPIs go. */
static void track_reap(struct ike2_glue *g)
{
	bool dead = false;
	waits_expire(g);
	for (struct ike2_track **pp = &g->tracks; *pp;) {
		struct ike2_track *t = *pp;
		if (t->sa->state == IKEV2_S_DEAD) {
			if (t->sa->initiator && !t->was_ready)
				ike_phase1_result(g->ike, t->sa->peer, false);
			release_spi(g, t);
			children_go(g, t);
			*pp = t->next;
			free(t);
			dead = true;
		} else {
			pp = &t->next;
		}
	}
	for (struct ikev2_sa *sa = g->eng.sas; sa && !dead; sa = sa->next)
		dead = sa->state == IKEV2_S_DEAD;
	if (dead)
		ikev2_reap(&g->eng);
}

static void kill_sa(struct ike2_glue *g, struct ike2_track *t, const char *why)
{
	char ps[16];
	ip_fmt(t->sa->peer, ps);
	log_msg(&R(g)->log, "CRYPTO", SEV_INFO, "IKEV2_SA_DELETED",
		"IKEv2 SA %u with %s deleted: %s (state %s)", t->id, ps, why,
		ikev2_state_name(t->sa->state));
	/* Its Child SAs are reported down (child_down), then the SA dies. */
	ikev2_ike_gone(t->sa);
	t->rtx_on = false;
}

/* Retransmissions due, half-open responders timed out, dead SAs reaped. */
static void tick(void *arg)
{
	struct ike2_glue *g = arg;
	uint64_t now = now_ms(g);
	for (struct ike2_track *t = g->tracks; t; t = t->next) {
		struct ikev2_sa *sa = t->sa;
		if (sa->state == IKEV2_S_R_INIT_SENT && now - t->created_ms >= g->half_open_ms) {
			/*
			 * A negotiation that never came up (often a replayed or forged
			 * IKE_SA_INIT): counted here only, and not logged, so a flood of
			 * them fills no log; ike2_h_ike_down knows it was never a session.
			 */
			g->st.half_open_expired++;
			ikev2_ike_gone(sa);
			t->rtx_on = false;
			continue;
		}
		if (live(t) && !t->expired && now >= expire_at(g, t)) {
			t->expired = true;
			if (ikev2_delete_ike(sa) < 0)
				kill_sa(g, t, "lifetime expired");
		} else if (live(t) && !t->rekey_started && now >= rekey_at(g, t)) {
			t->rekey_started = true;
			if (ikev2_rekey_ike(sa) == 0)
				g->st.ike_rekey++;
		}
		ike2_natka(g, t, now);
		if (live(t) && now >= dpd_at(g, t) && ikev2_liveness(sa) == 0) {
			t->dpd_probe = true;
			g->st.dpd_tx++;
		}
		if (!t->rtx_on || now < t->rtx_at)
			continue;
		if (t->tries >= g->rtx_tries) {
			g->st.rtx_exhausted++;
			if (t->dpd_probe)
				g->st.dpd_dead++;
			kill_sa(g, t, t->dpd_probe ? "peer dead (DPD)" : "retransmissions exhausted");
			continue;
		}
		t->tries++;
		g->st.rtx++;
		if (R(g)->debug & DBG_IKEV2)
			log_debug(&R(g)->log, "IKEv2:(SA ID = %u):Retransmitting packet (try %d of %d)", t->id,
				  t->tries, g->rtx_tries);
		ikev2_retransmit(sa);
		if (!t->dpd_probe)
			t->rtx_ms *= 2;
		t->rtx_at = now + t->rtx_ms;
	}
	track_reap(g);
	track_sync(g);
	ike2_cookie_after(g);
}

void ike2_schedule(struct ike2_glue *g)
{
	uint64_t now = now_ms(g), next = UINT64_MAX;
	for (struct ike2_track *t = g->tracks; t; t = t->next) {
		if (t->sa->state == IKEV2_S_DEAD)
			next = now;
		if (t->sa->state == IKEV2_S_R_INIT_SENT && t->created_ms + g->half_open_ms < next)
			next = t->created_ms + g->half_open_ms;
		if (t->rtx_on && t->rtx_at < next)
			next = t->rtx_at;
		if (live(t) && !t->rekey_started && rekey_at(g, t) < next)
			next = rekey_at(g, t);
		if (live(t) && !t->expired && expire_at(g, t) < next)
			next = expire_at(g, t);
		if (live(t) && dpd_at(g, t) < next)
			next = dpd_at(g, t);
		if (ike2_natka_at(g, t) < next)
			next = ike2_natka_at(g, t);
	}
	for (struct ikev2_sa *sa = g->eng.sas; sa; sa = sa->next)
		if (sa->state == IKEV2_S_DEAD)
			next = now;
	if (next == UINT64_MAX) {
		ev_timer_cancel(R(g)->ev, &g->tick);
		return;
	}
	ev_timer_arm(R(g)->ev, &g->tick, next > now ? next - now : 0);
}

/* ---- host operations ---- */

static int h_send(void *arg, uint32_t local, uint32_t peer, const uint8_t *msg, size_t len)
{
	struct ike2_glue *g = arg;
	if (g->ike->xmit(R(g), local, 500, peer, 500, msg, len) < 0) {
		ike2_drop(g, &g->st.send_fail, peer, "send failed");
		return -1;
	}
	return 0;
}

const struct cfg_cmap_entry *ike2_entry_for_peer(struct ike2_glue *g, uint32_t peer)
{
	return g->entry_for_peer ? g->entry_for_peer(R(g)->cfg, peer) : NULL;
}

static bool h_conf(void *arg, uint32_t local, uint32_t peer, struct ikev2_peer_conf *out)
{
	struct ike2_glue *g = arg;
	const struct cfg_cmap_entry *e = g->init_entry ? g->init_entry : ike2_entry_for_peer(g, peer);
	memset(out, 0, sizeof(*out));
	if (!e) {
		ike2_drop(g, &g->st.no_conf, peer, "no crypto map entry with an IKEv2 profile for this peer");
		return false;
	}
	const char *why = NULL;
	bool ok = g->build == ikev2_conf_build ? ikev2_conf_build_why(R(g)->cfg, e, local, peer, out, &why)
		  : g->build && g->build(R(g)->cfg, e, local, peer, out);
	if (!ok) {
		char msg[160];
		snprintf(msg, sizeof(msg), "crypto map %s %d: %s", e->name, e->seq,
			 why ? why : "no IKEv2 configuration for this peer");
		ike2_drop(g, &g->st.no_conf, peer, msg);
		return false;
	}
	if (g->init_flow) {
		/* We propose exactly the flow whose packets wait (RFC 7296 §2.9). */
		const struct ipsec_flow *f = g->init_flow;
		out->local_ts = ike2_range_of(f->local, f->local_mask, f->proto, f->local_port);
		out->remote_ts = ike2_range_of(f->remote, f->remote_mask, f->proto, f->remote_port);
		/* ... and the packet that started it first, so the responder picks the policy holding it. */
		out->has_pkt = ike2_pkt_selectors(R(g), f, &out->pkt_local, &out->pkt_remote) &&
			       out->pkt_local.saddr >= out->local_ts.saddr && out->pkt_local.eaddr <= out->local_ts.eaddr &&
			       out->pkt_remote.saddr >= out->remote_ts.saddr && out->pkt_remote.eaddr <= out->remote_ts.eaddr;
	}
	/* RFC 7296 §2.4: INITIAL_CONTACT when no other IKE SA with the peer is up (only an initiator sends it). */
	out->initial_contact = !ike2_sa_up(g->ike, peer);
	/* NAT-T as IKEv1 has it: `crypto ipsec nat-transparency udp-encapsulation` (default on). */
	out->natt = R(g)->cfg->natt_enabled;
	out->natt_fake = g->ike->natt_force;
	out->frag_mtu = R(g)->cfg->v2_frag_mtu;		/* crypto ikev2 fragmentation (RFC 7383) */
	return true;
}

static uint64_t h_now(void *arg) { return now_ms(arg); }

static bool ts_in(const struct ikev2_ts *t, const struct ikev2_range *r)
{
	return (!r->proto || t->proto == r->proto) && t->saddr >= r->saddr && t->eaddr <= r->eaddr &&
	       t->sport >= r->sport && t->eport <= r->eport;
}

/*
 * RFC 7296 §2.9 as responder: of the crypto map entries for this peer, in
 * order, and of each entry's permit ACEs, in order, the first whose ranges
 * hold the initiator's first selectors (pkt_i its side, pkt_r ours: the
 * triggering packet, or the one range proposed) gives the ranges to narrow
 * to.  IOS keys a Child SA to one ACE; narrowing everything to the first
 * ACE gave a second ACE's flow a duplicate of the first's Child SA.
 */
static bool h_policy_for(void *arg, const struct ikev2_sa *sa, const struct ikev2_ts *pkt_i,
			 const struct ikev2_ts *pkt_r, struct ikev2_range *local, struct ikev2_range *remote)
{
	struct ike2_glue *g = arg;
	const struct config *cfg = R(g)->cfg;
	for (size_t i = 0; i < cfg->ncmap; i++) {
		const struct cfg_cmap_entry *e = &cfg->cmaps[i];
		bool peer = false, more = true;
		for (size_t k = 0; k < e->npeers; k++)
			peer |= e->peers[k] == sa->peer;
		if (!peer || !ike2_entry_wants(g->ike, e))
			continue;
		for (size_t n = 0; more; n++) {
			struct ikev2_range l, r;
			if (ikev2_conf_ace_ts(cfg, e, n, &more, &l, &r) && ts_in(pkt_i, &r) && ts_in(pkt_r, &l)) {
				*local = l;
				*remote = r;
				return true;
			}
		}
	}
	return false;
}

static uint32_t h_spi_alloc(void *arg)
{
	struct ike2_glue *g = arg;
	return sadb_alloc_spi(R(g), 50);
}

static void h_log(void *arg, const char *line)
{
	struct ike2_glue *g = arg;
	if (R(g)->debug & DBG_IKEV2)
		log_debug(&R(g)->log, "%s", line);
}

/*
 * The peer's authenticated INITIAL_CONTACT (§2.4): it has no other IKE SA
 * with us, so ours are stale (it restarted).  They go with their Child SAs,
 * silently: nothing is sent over keys the peer no longer has.  Only READY
 * ones: an exchange still in flight may be the other half of a crossing
 * initiation, and times out on its own if the peer forgot it.
 */
static void h_initial_contact(void *arg, struct ikev2_sa *sa)
{
	struct ike2_glue *g = arg;
	for (struct ike2_track *t = g->tracks; t; t = t->next) {
		if (t->sa == sa || t->sa->peer != sa->peer || t->sa->state != IKEV2_S_READY ||
		    t->sa->rekeyed_to == sa)
			continue;
		g->st.initial_contact_deleted++;
		kill_sa(g, t, "peer sent INITIAL_CONTACT (it restarted)");
	}
}

/* ---- entry points ---- */

bool ike2_is_v2(const uint8_t *data, size_t len)
{
	/*
	 * The version byte follows two SPIs and Next Payload (§3.1): major 2,
	 * and any higher one, which IKEv2 answers (§2.5); 0 and 1 are IKEv1's.
	 */
	return len > 17 && (data[17] >> 4) >= (IKEV2_VERSION >> 4);
}

void ike2_input(struct ike_state *ike, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		const uint8_t *data, size_t len)
{
	struct ike2_glue *g = ike->v2;
	if (!g)
		return;
	g->st.rx++;
	if (dport == UDP_PORT_IKE_NATT)
		g->st.on_4500++;	/* NAT-T (ike2_natt.c); the marker is gone already */
	if (!ike2_version_ok(g, dst, dport, src, sport, data, len))
		return;
	ike2_cookie_before(g);
	uint64_t ignored = g->eng.st.natt_port_ignored;
	ikev2_input_port(&g->eng, dst, dport, src, sport, data, len);
	ike2_natt_rx_ignored(g, ignored, src, sport);
	ike2_cookie_after(g);
	ike2_qcd_after_input(g);
	track_sync(g);
}

bool ike2_entry_wants(const struct ike_state *ike, const struct cfg_cmap_entry *e)
{
	const struct ike2_glue *g = ike->v2;
	return g && !e->manual && (e->ikev2_profile[0] || g->all_entries);
}

/* An SA we started that is still negotiating for flow (or with peer when flow is NULL). */
static struct ike2_track *negotiating(struct ike2_glue *g, uint32_t peer, const struct ipsec_flow *flow)
{
	for (struct ike2_track *t = g->tracks; t; t = t->next)
		if (t->sa->initiator && t->sa->peer == peer && t->sa->state != IKEV2_S_DEAD &&
		    t->sa->state != IKEV2_S_READY && (!flow || (t->has_flow && ipsec_flow_eq(&t->flow, flow))))
			return t;
	return NULL;
}

/* The READY IKE SA with peer that may take new requests, newest first. */
static struct ike2_track *ready_with(struct ike2_glue *g, uint32_t peer)
{
	for (struct ike2_track *t = g->tracks; t; t = t->next)
		if (t->sa->peer == peer && t->sa->state == IKEV2_S_READY && !t->sa->deleting && !t->sa->rekeyed_to)
			return t;
	return NULL;
}

static struct ike2_child_wait *waiting(struct ike2_glue *g, const struct ipsec_flow *flow)
{
	for (size_t i = 0; i < IKE2_MAX_CHILD_WAIT; i++)
		if (g->wait[i].used && ipsec_flow_eq(&g->wait[i].flow, flow))
			return &g->wait[i];
	return NULL;
}

/* A rekey at soft expiry: the IKE SA that made the bundle rekeys its Child SA (§1.3.3). */
static bool rekey_child(struct ike2_glue *g, int rekey_of)
{
	struct ike_record *rec = rekey_of ? ike_record_by_id(g->ike, rekey_of) : NULL;
	if (!rec)
		return false;
	for (struct ike2_track *t = g->tracks; t; t = t->next)
		if (t->id == rec->ike_conn_id && t->sa->peer == rec->peer && t->sa->state == IKEV2_S_READY &&
		    ikev2_rekey_child(t->sa, rec->esp_spi_in) == 0) {
			g->st.child_rekey++;
			return true;
		}
	return false;
}

/* One more Child SA for flow over an IKE SA that is up (CREATE_CHILD_SA). */
static bool create_child(struct ike2_glue *g, struct ike2_track *t, const struct cfg_cmap_entry *e,
			 const struct ipsec_flow *flow)
{
	struct ike2_child_wait *w = NULL;
	for (size_t i = 0; i < IKE2_MAX_CHILD_WAIT && !w; i++)
		if (!g->wait[i].used)
			w = &g->wait[i];
	if (!w) {
		g->st.wait_full++;
		return false;
	}
	struct ikev2_range l = ike2_range_of(flow->local, flow->local_mask, flow->proto, flow->local_port);
	struct ikev2_range rr = ike2_range_of(flow->remote, flow->remote_mask, flow->proto, flow->remote_port);
	if (ikev2_create_child(t->sa, &l, &rr) < 0)
		return false;
	*w = (struct ike2_child_wait){ .used = true, .sa = t->sa, .seq = e->seq, .flow = *flow, .since = now_ms(g) };
	snprintf(w->cmap, sizeof(w->cmap), "%s", e->name);
	g->st.child_create++;
	return true;
}

void ike2_acquire(struct ike_state *ike, const struct cfg_cmap_entry *e, const struct ipsec_flow *flow,
		  uint32_t local, uint32_t peer, int rekey_of)
{
	struct ike2_glue *g = ike->v2;
	if (!g)
		return;
	g->st.acquires++;
	waits_expire(g);
	struct ike2_track *up = ready_with(g, peer);
	if (negotiating(g, peer, flow) || (!rekey_of && waiting(g, flow))) {
		g->st.acquire_dup++;
		return;
	}
	if (rekey_child(g, rekey_of) || (up && create_child(g, up, e, flow))) {
		track_sync(g);
		return;
	}
	g->init_entry = e;
	g->init_flow = flow;
	struct ikev2_sa *sa = ikev2_initiate(&g->eng, local, peer);
	g->init_entry = NULL;
	g->init_flow = NULL;
	struct ike2_track *t = sa ? ike2_track_new(g, sa) : NULL;
	if (!t) {
		g->st.initiate_fail++;
		track_sync(g);
		return;
	}
	t->has_flow = true;
	snprintf(t->cmap, sizeof(t->cmap), "%s", e->name);
	t->seq = e->seq;
	t->flow = *flow;
	if (R(g)->debug & DBG_IKEV2) {
		char ps[16];
		ip_fmt(peer, ps);
		log_debug(&R(g)->log, "IKEv2:(SA ID = %u):Initiating IKE_SA_INIT with %s for map %s %d", t->id,
			  ps, e->name, e->seq);
	}
	track_sync(g);
}

int ike2_phase2_start(struct ike_state *ike, const struct cfg_cmap_entry *e, const struct ipsec_flow *flow,
		      uint32_t peer)
{
	struct ike2_glue *g = ike->v2;
	if (!g)
		return -1;
	waits_expire(g);
	if (waiting(g, flow))
		return 0;
	struct ike2_track *up = ready_with(g, peer);
	if (!up || !create_child(g, up, e, flow))
		return -1;
	track_sync(g);
	return 1;
}

bool ike2_child_busy(struct ike_state *ike, uint32_t peer, const struct ipsec_flow *flow)
{
	struct ike2_glue *g = ike->v2;
	struct ike2_child_wait *w = g ? waiting(g, flow) : NULL;
	return w && w->sa->peer == peer && w->sa->state != IKEV2_S_DEAD;
}

void ike2_child_deleted(struct ike_state *ike, uint32_t peer, uint32_t esp_spi_in, enum sadb_del_reason why)
{
	struct ike2_glue *g = ike->v2;
	/* The peer knows already, or it was lost without a word (test aid: never reaches here). */
	if (!g || why == SADB_DEL_PEER_DELETE || why == SADB_DEL_INVALID_SPI || why == SADB_DEL_DPD ||
	    why == SADB_DEL_INITIAL_CONTACT)
		return;
	for (struct ike2_track *t = g->tracks; t; t = t->next) {
		struct ikev2_child_rec *c = t->sa->peer == peer ? ikev2_child_by_in(t->sa, esp_spi_in) : NULL;
		if (!c || c->st != IKEV2_C_UP)
			continue;
		/* An INFORMATIONAL Delete (§1.4.1); child_down follows the answer. */
		if (ikev2_delete_child(t->sa, esp_spi_in) == 0)
			g->st.delete_tx++;
		break;
	}
	track_sync(g);
}

bool ike2_send_invalid_spi(struct ike_state *ike, uint32_t peer, uint8_t ipproto, uint32_t spi)
{
	struct ike2_glue *g = ike->v2;
	struct ike2_track *t = g ? ready_with(g, peer) : NULL;
	if (!t || (ipproto != 50 && ipproto != 51) ||
	    ikev2_send_invalid_spi(t->sa, ipproto == 50 ? IKEV2_PROTO_ESP : IKEV2_PROTO_AH, spi) < 0)
		return false;
	g->st.invalid_spi_tx++;
	track_sync(g);
	return true;
}

bool ike2_peer_is_v2(const struct ike_state *ike, uint32_t peer)
{
	struct ike2_glue *g = ike->v2;
	if (!g)
		return false;
	return ike2_entry_for_peer(g, peer) || (g->all_entries && config_is_static_peer(R(g)->cfg, peer));
}

void ike2_refused_v1(struct ike_state *ike, uint32_t peer)
{
	struct ike2_glue *g = ike->v2;
	if (g)
		ike2_drop(g, &g->st.v1_refused, peer, "IKEv2 peer: no IKEv1 Main Mode started for it");
}

bool ike2_sa_up(const struct ike_state *ike, uint32_t peer)
{
	const struct ike2_glue *g = ike->v2;
	for (const struct ikev2_sa *sa = g ? g->eng.sas : NULL; sa; sa = sa->next)
		if (sa->peer == peer && sa->state == IKEV2_S_READY)
			return true;
	return false;
}

int ike2_init(struct ike_state *ike)
{
	struct ike2_glue *g = calloc(1, sizeof(*g));
	if (!g)
		return -1;
	g->ike = ike;
	g->host = (struct ikev2_host){ .arg = g, .send = h_send, .conf = h_conf, .spi_alloc = h_spi_alloc,
				       .child_up = ike2_h_child_up, .log = h_log, .child_down = ike2_h_child_down,
				       .ike_down = ike2_h_ike_down, .ike_rekeyed = ike2_h_ike_rekeyed,
				       .initial_contact = h_initial_contact, .qcd_allow = ike2_qcd_allow,
				       .qcd_lost = ike2_qcd_lost, .send_port = ike2_h_send_port,
				       .peer_moved = ike2_h_peer_moved, .now_ms = h_now,
				       .policy_for = h_policy_for };
	ikev2_engine_init(&g->eng, &g->host);
	g->next_id = 1;
	g->rtx_base_ms = IKE_RTX_BASE_MS;
	g->rtx_tries = IKE_RTX_TRIES;
	g->half_open_ms = IKE2_HALF_OPEN_MS;
	g->entry_for_peer = ikev2_conf_entry_for_peer;
	g->build = ikev2_conf_build;
	ev_timer_init(&g->tick, tick, g);
	ike->v2 = g;
	return 0;
}

void ike2_free(struct ike_state *ike)
{
	struct ike2_glue *g = ike->v2;
	if (!g)
		return;
	ev_timer_cancel(ike->r->ev, &g->tick);
	while (g->tracks) {
		struct ike2_track *t = g->tracks;
		g->tracks = t->next;
		free(t);
	}
	ikev2_engine_free(&g->eng);
	ike2_qcd_free(g);
	free(g);
	ike->v2 = NULL;
}

/* ---- show and clear ---- */

int ike2_clear(struct router *r, uint32_t peer)
{
	struct ike2_glue *g = r->ike ? r->ike->v2 : NULL;
	int n = 0;
	if (!g)
		return 0;
	for (struct ike2_track *t = g->tracks; t; t = t->next) {
		if (t->sa->state == IKEV2_S_DEAD || (peer && t->sa->peer != peer))
			continue;
		char ps[16];
		ip_fmt(t->sa->peer, ps);
		if (t->sa->state == IKEV2_S_READY && !t->sa->deleting && !t->sa->rekeyed_to &&
		    ikev2_delete_ike(t->sa) == 0) {
			/* The peer is told (INFORMATIONAL Delete); the Child SAs go now. */
			g->st.delete_tx++;
			log_msg(&r->log, "CRYPTO", SEV_INFO, "IKEV2_SA_DELETED",
				"IKEv2 SA %u with %s deleted: clear crypto ikev2 sa", t->id, ps);
		} else if (t->sa->state != IKEV2_S_READY || !t->sa->deleting) {
			kill_sa(g, t, "clear crypto ikev2 sa");
		}
		n++;
	}
	track_reap(g);
	track_sync(g);
	return n;
}

/* ---- test hooks ---- */

static struct ike2_glue *glue(struct router *r) { return r->ike ? r->ike->v2 : NULL; }

void ike2_set_conf(struct router *r, ike2_entry_fn entry, ike2_build_fn build)
{
	glue(r)->entry_for_peer = entry;
	glue(r)->build = build;
}

void ike2_set_all_entries(struct router *r, bool on) { glue(r)->all_entries = on; }

void ike2_set_timers(struct router *r, uint32_t rtx_base_ms, int rtx_tries, uint32_t half_open_ms)
{
	glue(r)->rtx_base_ms = rtx_base_ms;
	glue(r)->rtx_tries = rtx_tries;
	glue(r)->half_open_ms = half_open_ms;
}

struct ikev2_engine *ike2_engine(struct router *r) { return &glue(r)->eng; }
const struct ike2_stats *ike2_stats(struct router *r) { return &glue(r)->st; }
