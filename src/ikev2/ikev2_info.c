/*
 * INFORMATIONAL (RFC 7296 §1.4, §3.11): Delete of Child SAs and of the IKE
 * SA, the empty request that checks the peer is alive, and INVALID_SPI
 * both ways (§1.5, issue 11 item 3).  Every message is inside SK; nothing
 * in one is looked at before its ICV holds (ikev2_prot_open), and an
 * INVALID_SPI outside SK is counted and changes nothing (§2.21.4).
 */
#include "ikev2/ikev2_int.h"

#include <string.h>

int ikev2_send_info_req(struct ikev2_sa *sa, const struct ikev2_op *op)
{
	struct ikev2_stats *st = &sa->eng->st;
	uint8_t buf[2048], spi[4];
	struct ikev2_wr w;
	size_t at = ikev2_prot_begin(sa, &w, buf, sizeof(buf), IKEV2_EXCH_INFORMATIONAL, false, sa->req_out);
	wbuf_st32(spi, op->spi);
	switch (op->kind) {
	case IKEV2_OP_LIVENESS:
		st->liveness_tx++;
		break;
	case IKEV2_OP_DEL_CHILD:
		/* §3.11: the SPI we expect inbound. */
		ikev2_put_delete(&w, IKEV2_PROTO_ESP, 4, spi, 1);
		st->delete_child_tx++;
		break;
	case IKEV2_OP_DEL_IKE:
		ikev2_put_delete(&w, IKEV2_PROTO_IKE, 0, NULL, 0);
		st->delete_ike_tx++;
		break;
	case IKEV2_OP_INVALID_SPI:
		/* §3.10.1: the SPI is the notification data; Protocol ID and SPI Size are 0 (§3.10). */
		ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_INVALID_SPI, spi, 4);
		st->invalid_spi_tx++;
		break;
	case IKEV2_OP_QCD_TOKEN:
		ikev2_qcd_put(sa, &w);
		st->qcd_rekey_tx++;
		break;
	default:
		return -1;
	}
	size_t n = ikev2_seal(sa, &w, at);
	return n ? ikev2_send_request(sa, buf, n) : -1;
}

static int start(struct ikev2_sa *sa, uint8_t kind, uint8_t proto, uint32_t spi)
{
	struct ikev2_op op = { .kind = kind, .proto = proto, .spi = spi };
	return ikev2_op_start(sa, &op);
}

int ikev2_liveness(struct ikev2_sa *sa)
{
	return start(sa, IKEV2_OP_LIVENESS, 0, 0);
}

int ikev2_send_invalid_spi(struct ikev2_sa *sa, uint8_t proto, uint32_t spi)
{
	if (proto != IKEV2_PROTO_ESP && proto != IKEV2_PROTO_AH)
		return -1;
	return start(sa, IKEV2_OP_INVALID_SPI, proto, spi);
}

int ikev2_delete_child(struct ikev2_sa *sa, uint32_t spi_in)
{
	struct ikev2_child_rec *r = ikev2_child_by_in(sa, spi_in);
	if (!r || r->st != IKEV2_C_UP || start(sa, IKEV2_OP_DEL_CHILD, IKEV2_PROTO_ESP, spi_in) < 0)
		return -1;
	r->st = IKEV2_C_DELETING;	/* down when the peer answers (§1.4.1) */
	return 0;
}

int ikev2_delete_ike(struct ikev2_sa *sa)
{
	if (start(sa, IKEV2_OP_DEL_IKE, 0, 0) < 0)
		return -1;
	/* As IOS's `clear crypto ikev2 sa`: no traffic goes on the Child SAs from now. */
	sa->deleting = true;
	for (size_t i = 0; i < IKEV2_MAX_CHILDREN; i++)
		if (sa->children[i].st != IKEV2_C_FREE)
			ikev2_child_drop(sa, &sa->children[i]);
	return 0;
}

/* What a request asked of us, collected before we answer it. */
struct info_work {
	bool del_ike;
	uint8_t spis[IKEV2_MAX_DELETE_SPIS * 4];	/* our inbound SPIs, for the answer's Delete */
	uint16_t nspi;
	uint32_t invalid_in[IKEV2_MAX_CHILDREN];	/* Child SAs to delete after answering */
	size_t ninvalid;
};

/* The peer deletes Child SAs by the SPIs it receives on: our outbound ones (§1.4.1). */
static void peer_deletes(struct ikev2_sa *on, const struct ikev2_delete *d, struct info_work *w)
{
	struct ikev2_sa *sa = ikev2_home(on);
	for (uint16_t i = 0; i < d->nspi; i++) {
		struct ikev2_child_rec *r = ikev2_child_by_out(sa, wbuf_be32(d->spis + 4 * i));
		sa->eng->st.delete_child_rx++;
		if (!r) {
			sa->eng->st.child_not_found++;
			continue;
		}
		/* Deletes that crossed: our request already names it, so the answer must not. */
		if (r->st == IKEV2_C_UP && w->nspi < IKEV2_MAX_DELETE_SPIS)
			wbuf_st32(w->spis + 4 * w->nspi++, r->spi_in);
		ikev2_child_drop(sa, r);
	}
}

/* A protected INVALID_SPI names an SPI we send on: that Child SA is dead at the peer. */
static void peer_invalid_spi(struct ikev2_sa *on, const struct ikev2_notify *n, struct info_work *w)
{
	struct ikev2_sa *sa = ikev2_home(on);
	struct ikev2_stats *st = &sa->eng->st;
	struct ikev2_child_rec *r = n->len == 4 ? ikev2_child_by_out(sa, wbuf_be32(n->data)) : NULL;
	if (!r || r->st != IKEV2_C_UP) {
		st->invalid_spi_unknown++;
		return;
	}
	st->invalid_spi_rx++;
	ikev2_log(sa->eng, "IKEv2:(SA %s):Peer reports INVALID_SPI %08x: deleting the Child SA", ikev2_sa_name(sa).s,
		  r->spi_out);
	if (w->ninvalid < IKEV2_MAX_CHILDREN)
		w->invalid_in[w->ninvalid++] = r->spi_in;
	ikev2_child_drop(sa, r);
}

static void info_collect(struct ikev2_sa *sa, const struct ikev2_msg *m, struct info_work *w)
{
	for (size_t i = IKEV2_INNER; i < m->npl; i++) {
		const struct ikev2_pl *pl = &m->pl[i];
		struct ikev2_delete d;
		struct ikev2_notify n;
		if (pl->type == IKEV2_PL_D) {
			if (ikev2_parse_delete(pl, &d) != 0)
				sa->eng->st.malformed++;
			else if (d.proto == IKEV2_PROTO_IKE)
				w->del_ike = true;
			else
				peer_deletes(sa, &d, w);
		} else if (pl->type == IKEV2_PL_N) {
			if (ikev2_parse_notify(pl, &n) != 0)
				sa->eng->st.malformed++;
			else if (n.type == IKEV2_N_INVALID_SPI)
				peer_invalid_spi(sa, &n, w);
			else if (n.type <= IKEV2_N_ERROR_MAX)
				sa->eng->st.peer_error++;
		}
	}
}

void ikev2_recv_info_req(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len)
{
	struct ikev2_engine *e = sa->eng;
	static struct info_work w;
	if (!ikev2_prot_open(sa, m, buf, len))
		return;
	sa->req_in++;
	memset(&w, 0, sizeof(w));
	ikev2_qcd_keep(sa, m);		/* the token of the peer that rekeyed this IKE SA (RFC 6290 §2.4) */
	if (m->npl == IKEV2_INNER)
		e->st.liveness_answered++;
	info_collect(sa, m, &w);
	uint8_t rsp[2048];
	struct ikev2_wr wr;
	size_t at = ikev2_prot_begin(sa, &wr, rsp, sizeof(rsp), IKEV2_EXCH_INFORMATIONAL, true, m->h.msgid);
	if (w.nspi && !w.del_ike)
		ikev2_put_delete(&wr, IKEV2_PROTO_ESP, 4, w.spis, w.nspi);
	size_t n = ikev2_seal(sa, &wr, at);
	if (n)
		ikev2_send_response(sa, rsp, n);
	if (w.del_ike) {
		/* §1.4.1: the answer is empty, and the IKE SA with all its Child SAs is gone. */
		e->st.delete_ike_rx++;
		ikev2_log(e, "IKEv2:(SA %s):Peer deleted the IKE SA", ikev2_sa_name(sa).s);
		/* Our rekey crossed the peer's, which we answered: the peer deleting the old SA says its won. */
		if (sa->cur.kind == IKEV2_OP_REKEY_IKE && sa->cc.coll && sa->cc.coll_sa &&
		    ikev2_home(sa->cc.coll_sa)->state == IKEV2_S_READY && !sa->rekeyed_to)
			ikev2_move_children(sa, ikev2_home(sa->cc.coll_sa));
		ikev2_ike_end(sa);
		return;
	}
	for (size_t i = 0; i < w.ninvalid; i++)
		start(ikev2_home(sa), IKEV2_OP_DEL_CHILD, IKEV2_PROTO_ESP, w.invalid_in[i]);
}

void ikev2_recv_info_rsp(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len)
{
	if (sa->cur.kind == IKEV2_OP_NONE || sa->cur.kind >= IKEV2_OP_NEW_CHILD) {
		sa->eng->st.bad_state++;	/* not what our request asked: the timer decides */
		return;
	}
	if (!ikev2_prot_open(sa, m, buf, len))
		return;
	struct ikev2_op op = sa->cur;
	ikev2_op_done(sa);
	if (op.kind == IKEV2_OP_DEL_CHILD) {
		struct ikev2_child_rec *r = ikev2_child_by_in(ikev2_home(sa), op.spi);
		if (r)
			ikev2_child_drop(ikev2_home(sa), r);
	} else if (op.kind == IKEV2_OP_DEL_IKE) {
		ikev2_ike_end(sa);
	}
}
