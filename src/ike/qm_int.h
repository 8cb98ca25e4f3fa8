/*
 * Quick Mode's private interface, shared by its files only:
 *   quickmode.c   exchanges: state, retransmission, the initiator's
 *                 messages, dispatch to one receive function per message
 *   qm_respond.c  the responder's QM1 (qm_recv_qm1)
 *   qm_proposal.c transform sets <-> proposals, the responder's choice
 *   proxyid.c     proxy identities <-> flows, ACL mirroring
 *   qm_install.c  KEYMAT and sadb_install
 *   record.c      IKE's records of installed bundles (ike_record_*)
 */
#ifndef SPIGOT_IKE_QM_INT_H
#define SPIGOT_IKE_QM_INT_H

#include "config/transform.h"
#include "core/wire.h"
#include "ike/ike_int.h"

static inline bool xf_has_esp(const struct cfg_transform_set *x)
{
	return x->esp_enc != XF_ENC_NONE || x->esp_auth != XF_AUTH_NONE;
}

/* The lower of two lifetimes, 0 meaning "none given". */
static inline uint32_t qm_minu(uint32_t a, uint32_t b) { return !a ? b : !b ? a : a < b ? a : b; }

/* ---- quickmode.c: the exchange's plumbing ---- */

void qm_finish(struct ike_qm *q, enum qm_state s);	/* DONE or FAILED, kept for duplicates */
void qm_fail_log(struct ike_qm *q, const char *why);
void qm_send(struct ike_qm *q, const uint8_t *msg, size_t len, bool retransmit);
/* Starts a message with a HASH placeholder; returns the hash payload offset. */
size_t qm_begin_hashed(struct ike_sa *sa, struct isakmp_wr *w, uint8_t *msg, size_t cap,
		       uint32_t msgid, uint8_t exch);
/* QM1 or QM2 up to the proxy identities: HASH placeholder, SA, nonce [, KE]; the HASH offset. */
size_t qm_begin_sa_msg(struct ike_qm *q, struct isakmp_wr *w, uint8_t *msg, size_t cap,
		       const struct isakmp_sa *sap, const uint8_t *nonce, size_t nlen,
		       const uint8_t *ke, int kelen);
/* Fills HASH(1) (pre NULL) or HASH(2) (pre = Ni_b) and encrypts; the length or -1. */
int qm_seal_hashed(struct ike_qm *q, uint8_t *msg, size_t cap, int len, size_t hs,
		   const uint8_t *pre, size_t prelen);

/* ---- qm_respond.c ---- */

void qm_recv_qm1(struct ike_qm *q, const struct isakmp_msg *m, const uint8_t *raw, size_t rawlen);

/* ---- qm_proposal.c ---- */

/* One offered or chosen phase-2 transform's attributes (RFC 2407 §4.5). */
struct p2_attrs {
	uint32_t life_sec, life_kb;
	uint32_t encap, auth, keylen, group;
};

bool qm_parse_p2_attrs(const struct isakmp_transform *t, struct p2_attrs *a);
void qm_p2_attrs_put(struct isakmp_transform *t, uint32_t life_sec, uint32_t life_kb,
		     uint32_t encap, uint32_t auth, uint32_t keybits, int group);
/* Does offered transform t (of protocol proto) implement our transform set x? */
bool qm_transform_matches(const struct ike_sa *sa, const struct cfg_transform_set *x,
			  uint8_t proto, const struct isakmp_transform *t, int pfs_group,
			  struct p2_attrs *a);

/* Proposals sharing a number form one bundle (AH and/or ESP). */
struct pgroup {
	uint8_t num;
	int ah, esp;	/* index into sa->p, -1 if absent */
	bool bad;
};
size_t qm_group_proposals(const struct isakmp_sa *o, struct pgroup *g, size_t max);

/* What the responder chose: the crypto map entry, transform set, proposals. */
struct qm_choice {
	const struct cfg_cmap_entry *e;
	struct cfg_transform_set xf;
	const struct isakmp_proposal *ah, *esp;
	const struct isakmp_transform *aht, *espt;
	struct p2_attrs attrs;
};
bool qm_choose(struct ike_sa *sa, const struct isakmp_sa *offer, const struct ipsec_flow *flow,
	       bool has_ke, struct qm_choice *c, const char **why);
void qm_put_lifetime_notify(struct isakmp_wr *w, uint8_t proto, const uint8_t *spi,
			    uint32_t sec, uint32_t kb);
/* QM1's proposals for the transform sets in q->offered, our SPIs. */
void qm_offer_proposals(struct ike_qm *q, struct isakmp_sa *offer);
/* RESPONDER-LIFETIME notifies in QM2 lower q's lifetimes. */
void qm_take_responder_lifetime(struct ike_qm *q, const struct isakmp_msg *m);

/* ---- proxyid.c ---- */

void qm_flow_id(uint32_t addr, uint32_t mask, uint8_t proto, uint16_t port, uint8_t *data,
		struct isakmp_id *id);
bool qm_id_to_net(const struct isakmp_pl *pl, uint32_t *addr, uint32_t *mask, uint8_t *proto,
		  uint16_t *port);
void qm_net_str(uint32_t a, uint32_t m, uint8_t proto, uint16_t port, char *buf, size_t n);
/* Does the ACL, seen from our side, permit the proposed flow (local = our side)? */
bool qm_acl_mirrors(const struct cfg_acl *acl, const struct ipsec_flow *f);
bool qm_map_applied_at(const struct config *cfg, const char *map, uint32_t local);

/* ---- record.c ---- */

/* Room for one more record?  Checked before the message that commits us. */
bool ike_record_room(struct ike_state *ike);

/* ---- qm_install.c ---- */

void qm_debug_proposal(struct ike_qm *q, const char *what, int part, bool ah, uint32_t spi,
		       uint32_t life_sec, uint32_t life_kb, const char *flags);
int qm_install(struct ike_qm *q);

/* qm1_choose's reason when an entry was found but no proposal matched its sets. */
#define QM_WHY_NO_MATCH "no offered proposal matches the transform sets"

#endif
