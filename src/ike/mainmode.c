/*
 * Main Mode with pre-shared keys (RFC 2409 §5.4), initiator and responder,
 * with IOS policy matching: the initiator offers every `crypto isakmp
 * policy` as a transform of one proposal, by priority; the responder walks
 * its own policies by priority and takes the first that matches an offered
 * transform (encryption, hash, authentication, group equal; the offered
 * lifetime no longer than its own, and then the offer's is used).
 *
 *   MM1 I->R  SA, VID(DPD)              MM2 R->I  SA, VID(DPD)
 *   MM3 I->R  KE, Ni                    MM4 R->I  KE, Nr
 *   MM5 I->R  *ID, HASH_I [, N(IC)]     MM6 R->I  *ID, HASH_R [, N(IC)]
 */
#include "ike/mm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "router.h"
void mm_debug_send(struct ike_sa *sa)
{
	if (ike_dbg(sa->ike)) {
		char ps[16];
		ip_fmt(sa->peer, ps);
		log_debug(&sa->ike->r->log, "ISAKMP:(%u): sending packet to %s my_port %u peer_port %u (%s) %s",
			  sa->conn_id, ps, sa->floated ? UDP_PORT_IKE_NATT : UDP_PORT_IKE, sa->peer_port, sa->initiator ? "I" : "R",
			  ike_state_name(sa->state));
	}
}

bool mm_load_psk(struct ike_sa *sa)
{
	const struct cfg_isakmp_key *k = config_key_for(sa->ike->r->cfg, sa->peer);
	if (!k || !k->key[0]) {
		char ps[16];
		ip_fmt(sa->peer, ps);
		sa->ike->st.no_psk++;
		log_msg_rl(&sa->ike->r->log, &sa->ike->rl_cfg, ev_now(sa->ike->r->ev), 1000, "CRYPTO",
			   SEV_WARNING, "IKMP_NO_PRESHARED_KEY", "No pre-shared key with %s", ps);
		return false;
	}
	sa->psklen = strlen(k->key);
	memcpy(sa->psk, k->key, sa->psklen);
	return true;
}

void mm_scan_vids(struct ike_sa *sa, const struct isakmp_msg *m)
{
	for (size_t i = 0; i < m->npl; i++) {
		const struct isakmp_pl *p = &m->pl[i];
		if (p->type != ISAKMP_NP_VID || p->len != 16)
			continue;
		if (memcmp(p->body, isakmp_vid_dpd, 16) == 0)
			sa->peer_dpd = true;
		else
			natt_scan_vid(sa, p->body, p->len);
	}
}

bool mm_only_types(const struct isakmp_msg *m, uint32_t allowed_mask)
{
	for (size_t i = 0; i < m->npl; i++) {
		uint8_t t = m->pl[i].type;
		/* NAT-D's draft number (130) rides on the RFC one's bit. */
		if ((allowed_mask & BIT(ISAKMP_NP_NATD)) && natt_payload_ok(t))
			continue;
		if (t >= 32 || !(allowed_mask & (1u << t)))
			return false;
	}
	return true;
}

void mm_hdr_for(const struct ike_sa *sa, struct isakmp_hdr *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->icookie, sa->icookie, 8);
	memcpy(h->rcookie, sa->rcookie, 8);
	h->version = ISAKMP_VERSION;
	h->exch = ISAKMP_EXCH_IDPROT;
}

int mm_start(struct ike_state *ike, uint32_t local, uint32_t peer)
{
	const struct config *cfg = ike->r->cfg;
	struct isakmp_sa *offer = calloc(1, sizeof(*offer));
	if (!offer)
		return -1;
	offer->doi = ISAKMP_DOI_IPSEC;
	offer->situation = ISAKMP_SIT_IDENTITY_ONLY;
	offer->nprop = 1;
	struct isakmp_proposal *p = &offer->p[0];
	p->num = 1;
	p->proto = ISAKMP_PROTO_ISAKMP;
	for (size_t i = 0; i < cfg->npolicy && p->ntrans < ISAKMP_MAX_TRANSFORMS; i++) {
		const struct cfg_isakmp_policy *pol = &cfg->policies[i];
		if (pol->auth != IKE_AUTH_PSK || !dh_supported(pol->group))
			continue;	/* certificates are not supported: do not offer them */
		struct isakmp_transform *t = &p->t[p->ntrans];
		t->num = (uint8_t)(p->ntrans + 1);
		t->id = ISAKMP_KEY_IKE;
		mm_policy_attrs(pol, t);
		p->ntrans++;
	}
	char ps[16];
	ip_fmt(peer, ps);
	if (p->ntrans == 0) {
		free(offer);
		log_msg_rl(&ike->r->log, &ike->rl_cfg, ev_now(ike->r->ev), 1000, "CRYPTO", SEV_WARNING,
			   "IKMP_NO_POLICY", "No pre-share ISAKMP policy to offer to %s", ps);
		ike->st.no_proposal++;
		return -1;
	}
	struct ike_sa *sa = ike_sa_new(ike, true, local, peer, UDP_PORT_IKE);
	if (!sa) {
		free(offer);
		return -1;
	}
	if (!mm_load_psk(sa)) {
		free(offer);
		ike_p1_failed(sa, "no pre-shared key");
		return -1;
	}
	ike_random(sa->icookie, 8);
	uint8_t body[4096];
	int bl = isakmp_encode_sa_body(offer, body, sizeof(body));
	uint8_t msg[ISAKMP_MAX_MSG];
	struct isakmp_hdr h;
	mm_hdr_for(sa, &h);
	struct isakmp_wr w;
	isakmp_wr_init(&w, msg, sizeof(msg), &h);
	isakmp_put_sa(&w, offer);
	isakmp_put_raw(&w, ISAKMP_NP_VID, isakmp_vid_dpd, 16);
	natt_put_vids(ike, &w);
	int len = isakmp_wr_finish(&w);
	free(offer);
	if (bl < 0 || len < 0 || !(sa->sai_b = malloc((size_t)bl))) {
		ike_p1_failed(sa, "internal error");
		return -1;
	}
	memcpy(sa->sai_b, body, (size_t)bl);
	sa->sai_len = (size_t)bl;
	if (ike_dbg(ike))
		log_debug(&ike->r->log, "ISAKMP:(0): beginning Main Mode exchange with %s", ps);
	mm_debug_send(sa);
	ike_sa_send_rtx(sa, msg, (size_t)len, true);
	return 0;
}

/* Frees a half-open SA's slot now: its row is of no use to `show`. */
static int put_ke_nonce(struct ike_sa *sa, uint8_t *msg, size_t cap, const uint8_t *pub,
			size_t publen, const uint8_t *nonce, size_t nlen)
{
	struct isakmp_hdr h;
	mm_hdr_for(sa, &h);
	struct isakmp_wr w;
	isakmp_wr_init(&w, msg, cap, &h);
	isakmp_put_raw(&w, ISAKMP_NP_KE, pub, publen);
	isakmp_put_raw(&w, ISAKMP_NP_NONCE, nonce, nlen);
	natt_put_natd(sa, &w);
	return isakmp_wr_finish(&w);
}

/* Takes KE and nonce from m; false when they are missing or malformed. */
static bool take_ke_nonce(struct ike_sa *sa, const struct isakmp_msg *m, uint8_t *peer_pub,
			  uint8_t *peer_nonce, size_t *nlen)
{
	const struct isakmp_pl *ke = isakmp_find(m, ISAKMP_NP_KE);
	const struct isakmp_pl *no = isakmp_find(m, ISAKMP_NP_NONCE);
	if (!ke || !no || isakmp_count(m, ISAKMP_NP_KE) != 1 || isakmp_count(m, ISAKMP_NP_NONCE) != 1 ||
	    !mm_only_types(m, BIT(ISAKMP_NP_KE) | BIT(ISAKMP_NP_NONCE) | BIT(ISAKMP_NP_VID) |
				   BIT(ISAKMP_NP_NATD)))
		return false;
	if (ke->len != dh_pub_len(sa->pol.group))
		return false;
	memcpy(peer_pub, ke->body, ke->len);
	memcpy(peer_nonce, no->body, no->len);
	*nlen = no->len;
	return true;
}

static int compute_hash(struct ike_sa *sa, bool of_initiator, const uint8_t *idb, size_t idlen,
			uint8_t *out)
{
	struct prf_ctx c;
	if (prf_init(&c, sa->pol.hash, sa->skeyid, sa->hlen) < 0)
		return -1;
	if (of_initiator) {
		prf_update(&c, sa->gxi, sa->gxlen);
		prf_update(&c, sa->gxr, sa->gxlen);
		prf_update(&c, sa->icookie, 8);
		prf_update(&c, sa->rcookie, 8);
	} else {
		prf_update(&c, sa->gxr, sa->gxlen);
		prf_update(&c, sa->gxi, sa->gxlen);
		prf_update(&c, sa->rcookie, 8);
		prf_update(&c, sa->icookie, 8);
	}
	prf_update(&c, sa->sai_b, sa->sai_len);
	prf_update(&c, idb, idlen);
	return prf_final(&c, out);
}

/* MM5 or MM6: ID, HASH, maybe INITIAL-CONTACT; encrypted. */
static int build_auth(struct ike_sa *sa, uint8_t *msg, size_t cap)
{
	uint8_t addr[4], idb[8], hash[PRF_MAX_LEN], spi[16];
	wbuf_st32(addr, sa->local);
	struct isakmp_id id = { ID_IPV4_ADDR, IPPROTO_UDP_, UDP_PORT_IKE, addr, 4 };
	idb[0] = id.type;
	idb[1] = id.proto;
	wbuf_st16(idb + 2, id.port);
	memcpy(idb + 4, addr, 4);
	if (compute_hash(sa, sa->initiator, idb, sizeof(idb), hash) < 0)
		return -1;
	struct isakmp_hdr h;
	mm_hdr_for(sa, &h);
	struct isakmp_wr w;
	isakmp_wr_init(&w, msg, cap, &h);
	isakmp_put_id(&w, &id);
	isakmp_put_raw(&w, ISAKMP_NP_HASH, hash, sa->hlen);
	if (ike_first_contact(sa->ike, sa->peer)) {
		/* RFC 2407 §4.6.3.3: protocol ISAKMP, SPI = the two cookies. */
		memcpy(spi, sa->icookie, 8);
		memcpy(spi + 8, sa->rcookie, 8);
		struct isakmp_notify n = { ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ISAKMP, 16,
					   ISAKMP_N_INITIAL_CONTACT, spi, NULL, 0 };
		isakmp_put_notify(&w, &n);
		sa->ic_sent = true;
	}
	int len = isakmp_wr_finish(&w);
	if (len < 0)
		return -1;
	return ike_encrypt_msg(sa, sa->iv, msg, (size_t)len, cap);
}

/* INITIAL-CONTACT, authenticated: everything we had with this peer is stale. */
void ike_initial_contact(struct ike_sa *sa)
{
	struct ike_state *ike = sa->ike;
	char ps[16];
	ip_fmt(sa->peer, ps);
	ike->st.initial_contact_rx++;
	log_msg(&ike->r->log, "CRYPTO", SEV_NOTICE, "IKMP_INITIAL_CONTACT",
		"INITIAL-CONTACT from %s: deleting old SAs with the peer", ps);
	/*
	 * "Old" means established before this exchange began.  When both ends
	 * start at once, each sends INITIAL-CONTACT and each has a fresh IKE SA
	 * (and IPsec SAs) from the other exchange; deleting those too would
	 * leave the two routers holding different IKE SAs, a black hole that not
	 * even INVALID-SPI can close.
	 */
	for (struct ike_sa *o = ike->sas; o; o = o->next)
		if (o != sa && o->peer == sa->peer && !ike_sa_deleted(o) && ike_sa_established(o) &&
		    o->established_ms < sa->created_ms)
			ike_sa_delete(o, "INITIAL-CONTACT from peer");
	for (int i = 0; i < IKE_MAX_RECORDS; i++) {
		struct ike_record *rec = &ike->rec[i];
		if (!rec->used || rec->peer != sa->peer || rec->installed_ms >= sa->created_ms)
			continue;
		if (rec->has_ah)
			sadb_delete_inbound_spi(ike->r, IPPROTO_AH_, rec->ah_spi_in, SADB_DEL_INITIAL_CONTACT);
		if (rec->has_esp)
			sadb_delete_inbound_spi(ike->r, IPPROTO_ESP_, rec->esp_spi_in, SADB_DEL_INITIAL_CONTACT);
		rec->used = false;
	}
}

/* The authenticated part of MM5/MM6: ID and HASH checked, notifies seen. */
static bool check_auth(struct ike_sa *sa, const struct isakmp_msg *m, const char **why)
{
	const struct isakmp_pl *id = isakmp_find(m, ISAKMP_NP_ID);
	const struct isakmp_pl *hp = isakmp_find(m, ISAKMP_NP_HASH);
	uint8_t want[PRF_MAX_LEN];
	if (!id || !hp || isakmp_count(m, ISAKMP_NP_ID) != 1 || isakmp_count(m, ISAKMP_NP_HASH) != 1 ||
	    !mm_only_types(m, BIT(ISAKMP_NP_ID) | BIT(ISAKMP_NP_HASH) | BIT(ISAKMP_NP_N) | BIT(ISAKMP_NP_VID))) {
		sa->ike->st.malformed++;
		*why = "bad payloads";
		return false;
	}
	if (hp->len != sa->hlen || compute_hash(sa, !sa->initiator, id->body, id->len, want) < 0 ||
	    CRYPTO_memcmp(want, hp->body, sa->hlen) != 0) {
		sa->ike->st.bad_hash++;
		*why = "hash mismatch";
		return false;
	}
	struct isakmp_id idv;
	isakmp_parse_id(id->body, id->len, &idv);
	if (ike_dbg(sa->ike) && (idv.type != ID_IPV4_ADDR || wbuf_be32(idv.data) != sa->peer))
		log_debug(&sa->ike->r->log, "ISAKMP:(%u): peer identity is not its address (type %u)",
			  sa->conn_id, idv.type);
	for (size_t i = 0; i < m->npl; i++) {
		struct isakmp_notify n;
		if (m->pl[i].type != ISAKMP_NP_N ||
		    isakmp_parse_notify(m->pl[i].body, m->pl[i].len, &n) != ISAKMP_OK)
			continue;
		if (n.type == ISAKMP_N_INITIAL_CONTACT)
			sa->ic_rcvd = true;
	}
	return true;
}

static void sanity_fail(struct ike_sa *sa, const char *why)
{
	char ps[16];
	ip_fmt(sa->peer, ps);
	log_msg_rl(&sa->ike->r->log, &sa->ike->rl_auth, ev_now(sa->ike->r->ev), 1000, "CRYPTO",
		   SEV_WARNING, "IKMP_BAD_MESSAGE",
		   "IKE message from %s failed its sanity check or is malformed (%s: pre-shared key mismatch?)",
		   ps, why);
}

/*
 * The receive functions of Main Mode's messages after MM1.  Each gets the
 * message decoded (plaintext ones) or still raw (encrypted ones), checks
 * it, and only then changes the SA, once, through ike_set_state().  msg is
 * scratch space for the reply.
 */
struct mm_rx {
	const uint8_t *buf;
	size_t len;
	const struct isakmp_hdr *h;
	struct isakmp_msg *m;
	uint8_t *msg;	/* ISAKMP_MAX_MSG bytes */
};

/* MM2 at the initiator: the responder's choice must be one of our policies. */
static void mm_recv_mm2(struct ike_sa *sa, const struct mm_rx *rx)
{
	struct ike_state *ike = sa->ike;
	static const uint8_t zero[8];
	struct isakmp_sa *resp = calloc(1, sizeof(*resp));
	struct cfg_isakmp_policy pol;
	const struct isakmp_pl *sp;
	bool ok = resp && isakmp_decode(rx->buf, rx->len, rx->m) == ISAKMP_OK &&
		  isakmp_count(rx->m, ISAKMP_NP_SA) == 1 &&
		  mm_only_types(rx->m, BIT(ISAKMP_NP_SA) | BIT(ISAKMP_NP_VID)) &&
		  (sp = isakmp_find(rx->m, ISAKMP_NP_SA)) &&
		  isakmp_parse_sa(sp->body, sp->len, resp) == ISAKMP_OK && resp->nprop == 1 &&
		  resp->p[0].ntrans == 1 && resp->p[0].proto == ISAKMP_PROTO_ISAKMP &&
		  mm_transform_policy(&resp->p[0].t[0], &pol) && memcmp(rx->h->rcookie, zero, 8) != 0;
	free(resp);
	if (!ok) {
		ike_drop(ike, &ike->st.malformed, sa->peer, "bad MM2");
		return;
	}
	/* It must be one of ours, and not longer-lived than ours. */
	const struct config *cfg = ike->r->cfg;
	const struct cfg_isakmp_policy *mine = NULL;
	for (size_t i = 0; i < cfg->npolicy && !mine; i++)
		if (cfg->policies[i].auth == IKE_AUTH_PSK && mm_policy_match(&cfg->policies[i], &pol))
			mine = &cfg->policies[i];
	if (!mine) {
		ike_drop(ike, &ike->st.no_proposal, sa->peer, "MM2 chose a transform we did not offer");
		return;
	}
	pol.priority = mine->priority;
	sa->pol = pol;
	memcpy(sa->rcookie, rx->h->rcookie, 8);
	mm_scan_vids(sa, rx->m);
	sa->dh = dh_new(pol.group);
	int pl = sa->dh ? dh_public(sa->dh, sa->gxi, sizeof(sa->gxi)) : -1;
	if (pl < 0) {
		ike_p1_failed(sa, "DH key generation failed");
		return;
	}
	sa->gxlen = (size_t)pl;
	sa->nilen = IKE_NONCE_LEN;
	ike_random(sa->ni, sa->nilen);
	int ml = put_ke_nonce(sa, rx->msg, ISAKMP_MAX_MSG, sa->gxi, sa->gxlen, sa->ni, sa->nilen);
	if (ml < 0)
		return;
	ike_msgbuf_set(&sa->last_rcvd, rx->buf, rx->len);
	ike_set_state(sa, MM_SA_SETUP);
	mm_debug_send(sa);
	ike_sa_send_rtx(sa, rx->msg, (size_t)ml, true);
}

/* MM3 at the responder: KE, Ni; our KE, Nr back, and the keys. */
static void mm_recv_mm3(struct ike_sa *sa, const struct mm_rx *rx)
{
	struct ike_state *ike = sa->ike;
	uint8_t pub[DH_MAX_PUB], nonce[IKE_MAX_NONCE];
	size_t nlen;
	if (isakmp_decode(rx->buf, rx->len, rx->m) != ISAKMP_OK ||
	    !take_ke_nonce(sa, rx->m, pub, nonce, &nlen) || !natt_check_natd(sa, rx->m)) {
		ike_drop(ike, &ike->st.malformed, sa->peer, "bad MM3");
		return;
	}
	sa->dh = dh_new(sa->pol.group);
	int pl = sa->dh ? dh_public(sa->dh, sa->gxr, sizeof(sa->gxr)) : -1;
	int sl = pl > 0 ? dh_derive(sa->dh, pub, (size_t)pl, sa->gxy, sizeof(sa->gxy)) : -1;
	if (sl < 0) {
		dh_free(sa->dh);
		sa->dh = NULL;
		ike_drop(ike, &ike->st.malformed, sa->peer, "invalid DH public value");
		return;
	}
	sa->gxlen = (size_t)pl;
	sa->gxylen = (size_t)sl;
	memcpy(sa->gxi, pub, sa->gxlen);
	memcpy(sa->ni, nonce, nlen);
	sa->nilen = nlen;
	sa->nrlen = IKE_NONCE_LEN;
	ike_random(sa->nr, sa->nrlen);
	dh_free(sa->dh);	/* the exponent is of no further use */
	sa->dh = NULL;
	if (ike_derive_p1(sa) < 0) {
		ike_p1_failed(sa, "key derivation failed");
		return;
	}
	int ml = put_ke_nonce(sa, rx->msg, ISAKMP_MAX_MSG, sa->gxr, sa->gxlen, sa->nr, sa->nrlen);
	if (ml < 0)
		return;
	ike_msgbuf_set(&sa->last_rcvd, rx->buf, rx->len);
	ike_set_state(sa, MM_KEY_EXCH);
	ike_sa_arm_deadline(sa);	/* past the half-open timeout */
	mm_debug_send(sa);
	ike_sa_send_rtx(sa, rx->msg, (size_t)ml, false);
}

/* MM4 at the initiator: KE, Nr; the keys, then our MM5. */
static void mm_recv_mm4(struct ike_sa *sa, const struct mm_rx *rx)
{
	struct ike_state *ike = sa->ike;
	uint8_t pub[DH_MAX_PUB], nonce[IKE_MAX_NONCE];
	size_t nlen;
	if (isakmp_decode(rx->buf, rx->len, rx->m) != ISAKMP_OK ||
	    !take_ke_nonce(sa, rx->m, pub, nonce, &nlen) || !natt_check_natd(sa, rx->m)) {
		ike_drop(ike, &ike->st.malformed, sa->peer, "bad MM4");
		return;
	}
	int sl = dh_derive(sa->dh, pub, sa->gxlen, sa->gxy, sizeof(sa->gxy));
	if (sl < 0) {
		ike_drop(ike, &ike->st.malformed, sa->peer, "invalid DH public value");
		return;
	}
	sa->gxylen = (size_t)sl;
	memcpy(sa->gxr, pub, sa->gxlen);
	memcpy(sa->nr, nonce, nlen);
	sa->nrlen = nlen;
	dh_free(sa->dh);
	sa->dh = NULL;
	if (ike_derive_p1(sa) < 0) {
		ike_p1_failed(sa, "key derivation failed");
		return;
	}
	ike_msgbuf_set(&sa->last_rcvd, rx->buf, rx->len);
	ike_set_state(sa, MM_KEY_EXCH);
	natt_float(sa);	/* RFC 3947 §4: MM5 onwards on UDP 4500 when a NAT is in the way */
	int ml = build_auth(sa, rx->msg, ISAKMP_MAX_MSG);
	if (ml < 0) {
		ike_p1_failed(sa, "internal error");
		return;
	}
	mm_debug_send(sa);
	ike_sa_send_rtx(sa, rx->msg, (size_t)ml, true);
}

/* MM5 (responder) or MM6 (initiator): encrypted ID and HASH; the SA is up. */
static void mm_recv_auth(struct ike_sa *sa, const struct mm_rx *rx)
{
	uint8_t iv[IKE_MAX_BLOCK];
	memcpy(iv, sa->iv, sizeof(iv));
	const char *why = "?";
	if (ike_decrypt_msg(sa, iv, rx->buf, rx->len, rx->msg, rx->m, &why) < 0 ||
	    !check_auth(sa, rx->m, &why)) {
		sanity_fail(sa, why);
		return;
	}
	memcpy(sa->iv, iv, sizeof(iv));
	natt_rx_authenticated(sa);	/* MM5 on 4500: answer where it came from */
	ike_msgbuf_set(&sa->last_rcvd, rx->buf, rx->len);
	ike_set_state(sa, MM_KEY_AUTH);
	if (!sa->initiator) {
		uint8_t out[ISAKMP_MAX_MSG];
		int ml = build_auth(sa, out, sizeof(out));
		if (ml < 0) {
			ike_p1_failed(sa, "internal error");
			return;
		}
		mm_debug_send(sa);
		ike_sa_send_rtx(sa, out, (size_t)ml, false);
	}
	if (sa->ic_rcvd)
		ike_initial_contact(sa);
	ike_established(sa);
}

/*
 * What a Main Mode message means is decided here and only here: (our role,
 * the SA's state, encrypted?) -> the one function that receives it.  MM1
 * makes the SA, so it never reaches this table (mm_respond).  Anything
 * without a row is counted and dropped.
 */
static const struct mm_dispatch {
	bool initiator;
	enum ike_sa_state state;
	bool encrypted;
	void (*recv)(struct ike_sa *sa, const struct mm_rx *rx);
} mm_dispatch[] = {
	{ true, MM_NO_STATE, false, mm_recv_mm2 },
	{ false, MM_SA_SETUP, false, mm_recv_mm3 },
	{ true, MM_SA_SETUP, false, mm_recv_mm4 },
	{ false, MM_KEY_EXCH, true, mm_recv_auth },	/* MM5 */
	{ true, MM_KEY_EXCH, true, mm_recv_auth },	/* MM6 */
};

void mm_input(struct ike_sa *sa, const uint8_t *buf, size_t len, const struct isakmp_hdr *h)
{
	struct ike_state *ike = sa->ike;
	uint8_t msg[ISAKMP_MAX_MSG];

	if (ike_msgbuf_eq(&sa->last_rcvd, buf, len)) {
		/* Our answer was lost: resend it, never reprocess. */
		ike->st.duplicates++;
		if (!sa->initiator && sa->last_sent.p)
			ike_send(sa, sa->last_sent.p, sa->last_sent.len);
		return;
	}
	if (len > sizeof(msg) || h->msgid != 0) {
		ike_drop(ike, &ike->st.malformed, sa->peer, "bad Main Mode message");
		return;
	}
	bool enc = h->flags & ISAKMP_FLAG_ENC;
	if (ike_dbg(ike)) {
		char ps[16];
		ip_fmt(sa->peer, ps);
		log_debug(&ike->r->log, "ISAKMP (%u): received packet from %s dport %u sport %u Global (%s) %s",
			  sa->conn_id, ps, UDP_PORT_IKE, sa->peer_port, sa->initiator ? "I" : "R",
			  ike_state_name(sa->state));
	}
	const struct mm_dispatch *d = NULL;
	for (size_t i = 0; i < sizeof(mm_dispatch) / sizeof(mm_dispatch[0]) && !d; i++)
		if (mm_dispatch[i].initiator == sa->initiator && mm_dispatch[i].state == sa->state &&
		    mm_dispatch[i].encrypted == enc)
			d = &mm_dispatch[i];
	if (!d) {
		ike_drop(ike, &ike->st.malformed, sa->peer, "unexpected Main Mode message");
		return;
	}
	struct isakmp_msg *m = calloc(1, sizeof(*m));
	if (!m)
		return;
	struct mm_rx rx = { buf, len, h, m, msg };
	d->recv(sa, &rx);
	free(m);
	OPENSSL_cleanse(msg, sizeof(msg));
}
