/*
 * What an IKE SA holds once it is READY: its Child SAs, the requests the
 * host asked for (one on the wire at a time, §2.3), and the protected
 * message frame every later exchange shares.  Also the end of an IKE SA
 * and the hand-over of its children to the SA a rekey made (§2.18).
 */
#include "ikev2/ikev2_int.h"

#include <string.h>

#include <openssl/crypto.h>

size_t ikev2_prot_begin(struct ikev2_sa *sa, struct ikev2_wr *w, uint8_t *buf, size_t cap, uint8_t exch,
			bool response, uint32_t msgid)
{
	struct ikev2_hdr h = { .exch = exch, .msgid = msgid };
	h.flags = (uint8_t)((sa->initiator ? IKEV2_FLAG_INITIATOR : 0) | (response ? IKEV2_FLAG_RESPONSE : 0));
	memcpy(h.spi_i, sa->spi_i, 8);
	memcpy(h.spi_r, sa->spi_r, 8);
	ikev2_wr_init(w, buf, cap, &h);
	return ikev2_sk_begin(w, &sa->sk);
}

/*
 * §2.5: a request with a payload we do not know, marked critical, is
 * refused as a whole and answered with N(UNSUPPORTED_CRITICAL_PAYLOAD)
 * naming its type. Its ICV held, so its message ID is used up like any
 * other's, and a retransmission gets the same answer.
 */
static void answer_critical(struct ikev2_sa *sa, const struct ikev2_msg *m)
{
	uint8_t rsp[256], type = m->bad_critical;
	struct ikev2_wr w;
	sa->req_in++;
	size_t at = ikev2_prot_begin(sa, &w, rsp, sizeof(rsp), m->h.exch, true, m->h.msgid);
	ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, &type, 1);
	size_t n = ikev2_seal(sa, &w, at);
	if (n && ikev2_send_response(sa, rsp, n) == 0)
		sa->eng->st.unsupported_critical_answered++;
}

enum ikev2_sk_result ikev2_sa_open(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len)
{
	struct ikev2_stats *st = &sa->eng->st;
	enum ikev2_sk_result r = ikev2_sk_open(&sa->sk, buf, len, m);
	if (r == IKEV2_SK_BAD_ICV)
		st->bad_icv++;
	else if (r == IKEV2_SK_CRITICAL)
		st->unsupported_critical++;
	else if (r != IKEV2_SK_OK)
		st->malformed++;
	return r;
}

bool ikev2_prot_open(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len)
{
	struct ikev2_stats *st = &sa->eng->st;
	/* Everything is inside SK: a cleartext payload beside it is somebody's insertion. */
	if (m->npl != IKEV2_INNER || !m->sk || m->sk->type != IKEV2_PL_SK) {
		if (ikev2_find_notify(m, IKEV2_N_INVALID_SPI))
			st->invalid_spi_unprotected++;
		else
			st->unprotected++;
		return false;
	}
	enum ikev2_sk_result r = ikev2_sa_open(sa, m, buf, len);
	if (r == IKEV2_SK_OK || r == IKEV2_SK_CRITICAL)
		ikev2_natt_authenticated(sa);
	if (r == IKEV2_SK_CRITICAL && !(m->h.flags & IKEV2_FLAG_RESPONSE))
		answer_critical(sa, m);
	return r == IKEV2_SK_OK;
}

struct ikev2_child_rec *ikev2_child_by_in(struct ikev2_sa *sa, uint32_t spi_in)
{
	for (size_t i = 0; spi_in && i < IKEV2_MAX_CHILDREN; i++)
		if (sa->children[i].st != IKEV2_C_FREE && sa->children[i].spi_in == spi_in)
			return &sa->children[i];
	return NULL;
}

struct ikev2_child_rec *ikev2_child_by_out(struct ikev2_sa *sa, uint32_t spi_out)
{
	for (size_t i = 0; spi_out && i < IKEV2_MAX_CHILDREN; i++)
		if (sa->children[i].st != IKEV2_C_FREE && sa->children[i].spi_out == spi_out)
			return &sa->children[i];
	return NULL;
}

struct ikev2_child_rec *ikev2_child_add(struct ikev2_sa *sa, struct ikev2_child *c)
{
	for (size_t i = 0; i < IKEV2_MAX_CHILDREN; i++) {
		struct ikev2_child_rec *r = &sa->children[i];
		if (r->st != IKEV2_C_FREE)
			continue;
		*r = (struct ikev2_child_rec){ IKEV2_C_UP, c->spi_in, c->spi_out, c->suite, c->local_ts, c->remote_ts };
		sa->eng->host->child_up(sa->eng->host->arg, sa, c);
		return r;
	}
	return NULL;
}

void ikev2_child_drop(struct ikev2_sa *sa, struct ikev2_child_rec *r)
{
	uint32_t in = r->spi_in, out = r->spi_out;
	memset(r, 0, sizeof(*r));
	ikev2_log(sa->eng, "IKEv2:(SA %s):Child SA in %08x out %08x down", ikev2_sa_name(sa).s, in, out);
	if (sa->eng->host->child_down)
		sa->eng->host->child_down(sa->eng->host->arg, sa, in, out);
}

static int op_send(struct ikev2_sa *sa, const struct ikev2_op *op)
{
	sa->cur = *op;
	int rc = op->kind >= IKEV2_OP_NEW_CHILD ? ikev2_send_cc_req(sa, op) : ikev2_send_info_req(sa, op);
	if (rc < 0)
		sa->cur.kind = IKEV2_OP_NONE;
	return rc;
}

int ikev2_op_start(struct ikev2_sa *sa, const struct ikev2_op *op)
{
	if (sa->state != IKEV2_S_READY || sa->deleting || sa->rekeyed_to)
		return -1;
	if (!sa->req_pending && sa->cur.kind == IKEV2_OP_NONE)
		return op_send(sa, op);
	if (sa->nqueue == IKEV2_MAX_QUEUED) {
		sa->eng->st.queue_full++;
		return -1;
	}
	sa->queue[sa->nqueue++] = *op;
	return 0;
}

/*
 * Sends the first queued request that can still go (one whose Child SA
 * went is skipped); an IKE SA a rekey replaced sends only its own Delete.
 */
static void kick(struct ikev2_sa *sa)
{
	while (!sa->req_pending && sa->cur.kind == IKEV2_OP_NONE && sa->nqueue && sa->state == IKEV2_S_READY) {
		struct ikev2_op op = sa->queue[0];
		memmove(sa->queue, sa->queue + 1, --sa->nqueue * sizeof(sa->queue[0]));
		if ((!sa->rekeyed_to || op.kind == IKEV2_OP_DEL_IKE) && op_send(sa, &op) == 0)
			return;
	}
}

void ikev2_op_done(struct ikev2_sa *sa)
{
	sa->req_pending = false;
	sa->req_out++;
	sa->cur.kind = IKEV2_OP_NONE;
	kick(sa);
}

void ikev2_ike_end(struct ikev2_sa *sa)
{
	const struct ikev2_host *h = sa->eng->host;
	for (size_t i = 0; i < IKEV2_MAX_CHILDREN; i++)
		if (sa->children[i].st != IKEV2_C_FREE)
			ikev2_child_drop(sa, &sa->children[i]);
	if (sa->state == IKEV2_S_DEAD)
		return;
	ikev2_set_state(sa, IKEV2_S_DEAD);
	/* An SA a rekey replaced is not the host's to forget: ike_rekeyed told it. */
	if (!sa->rekeyed_to && h->ike_down)
		h->ike_down(h->arg, sa);
}

void ikev2_ike_gone(struct ikev2_sa *sa)
{
	ikev2_log(sa->eng, "IKEv2:(SA %s):Peer gone: IKE SA and its Child SAs removed", ikev2_sa_name(sa).s);
	ikev2_ike_end(sa);
}

struct ikev2_sa *ikev2_sa_rekeyed(struct ikev2_sa *old, bool initiator, const uint8_t spi_i[8],
				  const uint8_t spi_r[8])
{
	struct ikev2_sa *n = ikev2_sa_new(old->eng, initiator, old->local, old->peer);
	if (!n)
		return NULL;
	n->conf = old->conf;
	/* The NAT does not go away with the keys: same ports, same encapsulation. */
	n->lport = old->lport;
	n->pport = old->pport;
	n->natd = old->natd;
	n->nat_local = old->nat_local;
	n->nat_peer = old->nat_peer;
	n->frag = old->frag;		/* RFC 7383: negotiated for the IKE SA, kept by its rekey */
	memcpy(n->spi_i, spi_i, 8);
	memcpy(n->spi_r, spi_r, 8);
	return n;
}

void ikev2_move_children(struct ikev2_sa *old, struct ikev2_sa *nsa)
{
	const struct ikev2_host *h = old->eng->host;
	/* Merged: the new SA may already carry Child SAs the peer made on it. */
	size_t j = 0;
	for (size_t i = 0; i < IKEV2_MAX_CHILDREN; i++) {
		struct ikev2_child_rec *r = &old->children[i];
		if (r->st == IKEV2_C_FREE)
			continue;
		while (j < IKEV2_MAX_CHILDREN && nsa->children[j].st != IKEV2_C_FREE)
			j++;
		if (j == IKEV2_MAX_CHILDREN) {
			ikev2_child_drop(old, r);	/* no room: down, not lost track of */
			continue;
		}
		nsa->children[j] = *r;
		memset(r, 0, sizeof(*r));
	}
	/* What the host queued on the old SA (other than on the old SA itself) goes on. */
	for (size_t i = 0; i < old->nqueue; i++)
		if (old->queue[i].kind != IKEV2_OP_DEL_IKE && old->queue[i].kind != IKEV2_OP_REKEY_IKE &&
		    nsa->nqueue < IKEV2_MAX_QUEUED)
			nsa->queue[nsa->nqueue++] = old->queue[i];
	old->nqueue = 0;
	old->rekeyed_to = nsa;
	old->eng->st.ike_rekeyed++;
	ikev2_log(old->eng, "IKEv2:(SA %s):IKE SA rekeyed to %s", ikev2_sa_name(old).s, ikev2_sa_name(nsa).s);
	if (h->ike_rekeyed)
		h->ike_rekeyed(h->arg, old, nsa);
	kick(nsa);
}
