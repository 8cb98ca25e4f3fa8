/*
 * IKE_AUTH with pre-shared keys (RFC 7296 §1.2, §2.15) and the first Child
 * SA it carries (§1.3, §2.9 narrowing, §2.17 keying).  Each side proves it
 * holds the key over its own IKE_SA_INIT message, the other's nonce and
 * its identity; a message is believed only after its ICV and then its AUTH
 * check out.
 */
#include "ikev2/ikev2_int.h"

#include <string.h>

#include <openssl/crypto.h>

/* The IPv4 address identity: ID_IPV4_ADDR, three reserved bytes, the address. */
static void id_body(uint32_t addr, uint8_t out[8])
{
	memset(out, 0, 8);
	out[0] = IKEV2_ID_IPV4_ADDR;
	wbuf_st32(out + 4, addr);
}

/* AUTH for the side that sent `first` (§2.15), keyed with psk. */
static int auth_value(const struct ikev2_sa *sa, bool of_initiator, const uint8_t *psk, size_t psklen,
		      const uint8_t *idb, size_t idlen, uint8_t *out)
{
	int hash;
	struct ikev2_sk_alg a;
	size_t il, el;
	if (ikev2_suite_algs(&sa->suite, &a, &il, &el, &hash) < 0)
		return -1;
	return ikev2_psk_auth(hash, psk, psklen, of_initiator ? sa->init_i : sa->init_r,
			      of_initiator ? sa->init_i_len : sa->init_r_len, of_initiator ? sa->nr : sa->ni,
			      of_initiator ? sa->nrlen : sa->nilen, of_initiator ? sa->keys.sk_pi : sa->keys.sk_pr,
			      idb, idlen, out);
}

static bool auth_ok(const struct ikev2_sa *sa, const struct ikev2_msg *m)
{
	const struct ikev2_pl *idp = ikev2_find(m, sa->initiator ? IKEV2_PL_IDR : IKEV2_PL_IDI, 0);
	const struct ikev2_pl *ap = ikev2_find(m, IKEV2_PL_AUTH, 0);
	struct ikev2_id id;
	struct ikev2_auth au;
	uint8_t want[PRF_MAX_LEN];
	if (!idp || !ap || ikev2_parse_id(idp, &id) != 0 || ikev2_parse_auth(ap, &au) != 0)
		return false;
	uint32_t expect = sa->conf.id_remote ? sa->conf.id_remote : sa->peer;
	if (id.type != IKEV2_ID_IPV4_ADDR || wbuf_be32(id.data) != expect || au.method != IKEV2_AUTH_METHOD_PSK ||
	    au.len != sa->keys.prf_len)
		return false;
	bool ok = auth_value(sa, !sa->initiator, sa->conf.psk_remote, sa->conf.psk_remote_len, id.body,
			     id.body_len, want) == 0 &&
		  CRYPTO_memcmp(want, au.data, au.len) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

static void put_id_auth(struct ikev2_wr *w, const struct ikev2_sa *sa)
{
	uint8_t idb[8], auth[PRF_MAX_LEN];
	id_body(sa->conf.id_local, idb);
	ikev2_put_id(w, sa->initiator ? IKEV2_PL_IDI : IKEV2_PL_IDR, IKEV2_ID_IPV4_ADDR, idb + 4, 4);
	if (auth_value(sa, sa->initiator, sa->conf.psk_local, sa->conf.psk_local_len, idb, 8, auth) == 0)
		ikev2_put_auth(w, IKEV2_AUTH_METHOD_PSK, auth, sa->keys.prf_len);
	else
		w->w.err = true;
	OPENSSL_cleanse(auth, sizeof(auth));
}

void ikev2_put_range(struct ikev2_wr *w, uint8_t type, const struct ikev2_range *r)
{
	struct ikev2_tsp t = { .nts = 1 };
	t.ts[0] = (struct ikev2_ts){ IKEV2_TS_IPV4_ADDR_RANGE, r->proto, r->sport, r->eport, r->saddr, r->eaddr };
	ikev2_put_ts(w, type, &t);
}

/* The part of a traffic selector inside ours (§2.9); false when they do not meet. */
bool ikev2_narrow(const struct ikev2_ts *t, const struct ikev2_range *ours, struct ikev2_range *out)
{
	if (t->proto && ours->proto && t->proto != ours->proto)
		return false;
	out->proto = t->proto ? t->proto : ours->proto;
	out->sport = t->sport > ours->sport ? t->sport : ours->sport;
	out->eport = t->eport < ours->eport ? t->eport : ours->eport;
	out->saddr = t->saddr > ours->saddr ? t->saddr : ours->saddr;
	out->eaddr = t->eaddr < ours->eaddr ? t->eaddr : ours->eaddr;
	return out->sport <= out->eport && out->saddr <= out->eaddr;
}

bool ikev2_within(const struct ikev2_range *in, const struct ikev2_range *outer)
{
	struct ikev2_range x;
	struct ikev2_ts t = { IKEV2_TS_IPV4_ADDR_RANGE, in->proto, in->sport, in->eport, in->saddr, in->eaddr };
	return ikev2_narrow(&t, outer, &x) && x.proto == in->proto && x.sport == in->sport && x.eport == in->eport &&
	       x.saddr == in->saddr && x.eaddr == in->eaddr;
}

int ikev2_child_keys(const struct ikev2_sa *sa, struct ikev2_child *c, bool exch_initiator, const uint8_t *ni,
		     size_t nilen, const uint8_t *nr, size_t nrlen, const uint8_t *gir, size_t girlen)
{
	uint8_t km[2 * IKEV2_CHILD_KEY_MAX];
	struct ikev2_sk_alg a;
	size_t il, el;
	int hash;
	if (ikev2_child_keylens(&c->suite, &c->enc_key_len, &c->integ_key_len) < 0 ||
	    ikev2_suite_algs(&sa->suite, &a, &il, &el, &hash) < 0)
		return -1;
	size_t one = c->enc_key_len + c->integ_key_len;
	if (one > IKEV2_CHILD_KEY_MAX ||
	    ikev2_derive_child(hash, sa->keys.sk_d, gir, girlen, ni, nilen, nr, nrlen, km, 2 * one) < 0)
		return -1;
	memcpy(exch_initiator ? c->key_out : c->key_in, km, one);
	memcpy(exch_initiator ? c->key_in : c->key_out, km + one, one);
	OPENSSL_cleanse(km, sizeof(km));
	return 0;
}

static void child_done(struct ikev2_sa *sa)
{
	struct ikev2_child c;
	memset(&c, 0, sizeof(c));
	c.spi_in = sa->child_spi_in;
	c.spi_out = sa->child_spi_out;
	c.suite = sa->child_suite;
	c.local_ts = sa->child_local;
	c.remote_ts = sa->child_remote;
	/* KEYMAT = prf+(SK_d, Ni | Nr): initiator-to-responder keys first (§2.17). */
	if (ikev2_child_keys(sa, &c, sa->initiator, sa->ni, sa->nilen, sa->nr, sa->nrlen, NULL, 0) == 0)
		ikev2_child_add(sa, &c);
	OPENSSL_cleanse(&c, sizeof(c));
}

static size_t auth_begin(struct ikev2_sa *sa, struct ikev2_wr *w, uint8_t *buf, size_t cap, uint32_t msgid)
{
	return ikev2_prot_begin(sa, w, buf, cap, IKEV2_EXCH_IKE_AUTH, !sa->initiator, msgid);
}

int ikev2_send_auth_req(struct ikev2_sa *sa)
{
	uint8_t buf[4096];
	struct ikev2_wr w;
	struct ikev2_props offer;
	sa->child_spi_in = sa->eng->host->spi_alloc(sa->eng->host->arg);
	if (!sa->child_spi_in)
		return -1;
	size_t at = auth_begin(sa, &w, buf, sizeof(buf), sa->req_out);
	put_id_auth(&w, sa);
	ikev2_qcd_put(sa, &w);
	if (sa->conf.initial_contact) {
		ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
		sa->eng->st.initial_contact_tx++;
	}
	ikev2_offer_child(&sa->conf, sa->child_spi_in, &offer);
	ikev2_put_sa(&w, &offer);
	ikev2_put_ranges(&w, IKEV2_PL_TSI, sa->conf.has_pkt ? &sa->conf.pkt_local : NULL, &sa->conf.local_ts);
	ikev2_put_ranges(&w, IKEV2_PL_TSR, sa->conf.has_pkt ? &sa->conf.pkt_remote : NULL, &sa->conf.remote_ts);
	size_t n = ikev2_seal(sa, &w, at);
	return n ? ikev2_send_request(sa, buf, n) : -1;
}

/* Decrypts; only a message whose ICV holds goes on (§2.21.2: others are dropped silently). */
static bool open_sk(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len)
{
	/* An unknown critical payload in IKE_AUTH: counted, refused, not answered. */
	enum ikev2_sk_result r = ikev2_sa_open(sa, m, buf, len);
	if (r == IKEV2_SK_OK)
		ikev2_natt_authenticated(sa);
	return r == IKEV2_SK_OK;
}

/*
 * The peer's N(INITIAL_CONTACT), acted on only here: sa is READY, so the
 * message's ICV and AUTH have verified (a forged one never gets this far).
 */
static void initial_contact(struct ikev2_sa *sa, const struct ikev2_msg *m)
{
	struct ikev2_engine *e = sa->eng;
	if (!ikev2_find_notify(m, IKEV2_N_INITIAL_CONTACT) || sa->state != IKEV2_S_READY)
		return;
	e->st.initial_contact_rx++;
	ikev2_log(e, "IKEv2:(SA %s):Received INITIAL_CONTACT", ikev2_sa_name(sa).s);
	if (e->host->initial_contact)
		e->host->initial_contact(e->host->arg, sa);
}

/* The responder's answer when something after authentication fails: one notify. */
static void auth_error(struct ikev2_sa *sa, uint32_t msgid, uint16_t type, bool with_id)
{
	uint8_t buf[2048];
	struct ikev2_wr w;
	size_t at = auth_begin(sa, &w, buf, sizeof(buf), msgid);
	if (with_id)
		put_id_auth(&w, sa);
	ikev2_put_notify(&w, 0, NULL, 0, type, NULL, 0);
	size_t n = ikev2_seal(sa, &w, at);
	if (n)
		ikev2_send_response(sa, buf, n);
}

/* The Child SA the initiator asked for, narrowed to our policy; 0, or the notify to answer. */
static int choose_child(struct ikev2_sa *sa, const struct ikev2_msg *m, uint8_t *propnum)
{
	const struct ikev2_pl *sap = ikev2_find(m, IKEV2_PL_SA, 0), *tip = ikev2_find(m, IKEV2_PL_TSI, 0),
			      *trp = ikev2_find(m, IKEV2_PL_TSR, 0);
	static struct ikev2_props offer;
	struct ikev2_tsp tsi, tsr;
	if (!sap || !tip || !trp || ikev2_parse_sa(sap, &offer) != 0 || ikev2_parse_ts(tip, &tsi) != 0 ||
	    ikev2_parse_ts(trp, &tsr) != 0)
		return IKEV2_N_INVALID_SYNTAX;
	if (ikev2_choose_child(&sa->conf, &offer, &sa->child_suite, propnum, &sa->child_spi_out) < 0) {
		sa->eng->st.no_proposal++;
		return IKEV2_N_NO_PROPOSAL_CHOSEN;
	}
	/* TSi is the initiator's side: our remote; TSr ours, each list narrowed (§2.9). */
	struct ikev2_range pol_l, pol_r;
	ikev2_ts_policy(sa, &tsi, &tsr, &pol_l, &pol_r);
	if (!ikev2_ts_pick(&tsi, &pol_r, &sa->child_remote) || !ikev2_ts_pick(&tsr, &pol_l, &sa->child_local)) {
		sa->eng->st.ts_unacceptable++;
		return IKEV2_N_TS_UNACCEPTABLE;
	}
	return 0;
}

void ikev2_recv_auth_req(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len)
{
	struct ikev2_engine *e = sa->eng;
	uint8_t propnum;
	if (!open_sk(sa, m, buf, len))
		return;
	if (!auth_ok(sa, m)) {
		e->st.auth_failed++;
		ikev2_log(e, "IKEv2:(SA %s):Verification of peer's authentication data FAILED", ikev2_sa_name(sa).s);
		auth_error(sa, m->h.msgid, IKEV2_N_AUTHENTICATION_FAILED, false);
		ikev2_set_state(sa, IKEV2_S_DEAD);
		return;
	}
	sa->req_in++;
	ikev2_qcd_keep(sa, m);
	int err = choose_child(sa, m, &propnum);
	sa->child_spi_in = err ? 0 : e->host->spi_alloc(e->host->arg);
	if (err || !sa->child_spi_in) {
		/* The IKE SA stands even when its first Child SA can not (§1.2). */
		auth_error(sa, m->h.msgid, err ? (uint16_t)err : IKEV2_N_TEMPORARY_FAILURE, true);
		ikev2_set_state(sa, IKEV2_S_READY);
		initial_contact(sa, m);
		return;
	}
	uint8_t rsp[4096];
	struct ikev2_wr w;
	struct ikev2_props answer;
	size_t at = auth_begin(sa, &w, rsp, sizeof(rsp), m->h.msgid);
	put_id_auth(&w, sa);
	ikev2_qcd_put(sa, &w);
	ikev2_answer_child(&sa->child_suite, propnum, sa->child_spi_in, &answer);
	ikev2_put_sa(&w, &answer);
	ikev2_put_range(&w, IKEV2_PL_TSI, &sa->child_remote);
	ikev2_put_range(&w, IKEV2_PL_TSR, &sa->child_local);
	size_t n = ikev2_seal(sa, &w, at);
	if (!n || !ikev2_set_state(sa, IKEV2_S_READY)) {
		ikev2_set_state(sa, IKEV2_S_DEAD);
		return;
	}
	ikev2_send_response(sa, rsp, n);
	initial_contact(sa, m);
	child_done(sa);
}

/* The responder's Child SA must be one we offered, its selectors inside ours. */
static bool accept_child(struct ikev2_sa *sa, const struct ikev2_msg *m)
{
	const struct ikev2_pl *sap = ikev2_find(m, IKEV2_PL_SA, 0), *tip = ikev2_find(m, IKEV2_PL_TSI, 0),
			      *trp = ikev2_find(m, IKEV2_PL_TSR, 0);
	static struct ikev2_props answer;
	struct ikev2_tsp tsi, tsr;
	if (!sap || !tip || !trp || ikev2_parse_sa(sap, &answer) != 0 || ikev2_parse_ts(tip, &tsi) != 0 ||
	    ikev2_parse_ts(trp, &tsr) != 0 ||
	    ikev2_accept_child(&sa->conf, &answer, &sa->child_suite, &sa->child_spi_out) < 0)
		return false;
	struct ikev2_range l, r;
	if (!ikev2_ts_accept(&tsi, &sa->conf.local_ts, &l) || !ikev2_ts_accept(&tsr, &sa->conf.remote_ts, &r)) {
		sa->eng->st.ts_unacceptable++;
		return false;
	}
	sa->child_local = l;
	sa->child_remote = r;
	return true;
}

void ikev2_recv_auth_rsp(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len)
{
	struct ikev2_engine *e = sa->eng;
	if (!open_sk(sa, m, buf, len))
		return;
	sa->req_pending = false;
	sa->req_out++;
	/* Protected by the ICV, so from the responder: it refused us. */
	if (ikev2_find_notify(m, IKEV2_N_AUTHENTICATION_FAILED) || !auth_ok(sa, m)) {
		e->st.auth_failed++;
		ikev2_log(e, "IKEv2:(SA %s):Authentication with the peer FAILED", ikev2_sa_name(sa).s);
		ikev2_set_state(sa, IKEV2_S_DEAD);
		return;
	}
	if (!ikev2_set_state(sa, IKEV2_S_READY))
		return;
	ikev2_qcd_keep(sa, m);
	initial_contact(sa, m);
	if (accept_child(sa, m))
		child_done(sa);
	else
		e->st.no_proposal++;
}
