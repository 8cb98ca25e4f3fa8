/*
 * Stateful libFuzzer target for the IKEv2 exchange engine: two engines
 * behind the fake host of tests/unit/ikev2_pair.c, brought to READY with
 * one Child SA (real IKE_SA_INIT/IKE_AUTH, ECP-256 to keep it quick), then
 * the input chooses, one byte at a time, what happens next: deliver, drop,
 * duplicate, reorder, corrupt or replay a datagram, forge one with the live
 * SPIs (cleartext, or fuzzer bytes behind a live header), or have either
 * host start an exchange (liveness, Delete, INVALID_SPI, new Child SA,
 * Child or IKE SA rekey), retransmit, give up on its peer, or restart
 * (every SA forgotten, the Quick Crash Detection secret kept).  With bit 2
 * of the first byte both sides fragment (RFC 7383, MTU 150), so the same
 * steps drop, duplicate, reorder and corrupt single fragments.
 *
 * Nonces, SPIs and DH keys come from OpenSSL's RNG, so a run is not exactly
 * reproducible; the message shapes are, which is what the parser and the
 * state machine see.
 *
 * Invariants (abort() = a finding):
 *  - ASan/UBSan/LSan: no crash, no leak;
 *  - the host's IKE SA (the pointer child_up/ike_rekeyed/ike_down keep
 *    current) is never DEAD: the engine said when it went;
 *  - every Child SA the host holds is in the table of a live IKE SA, and
 *    the pair fake aborts if a Child SA is taken down that was never up;
 *  - a Child SA both hosts hold (A's out = B's in) has the same keys on both
 *    sides: nothing unauthenticated or replayed keyed one side alone;
 *  - NAT-T (§2.23; NAT-D on or off, a faked NAT, from the first input
 *    byte): a forged datagram from other ports never moves the SA's ports;
 *  - at the end, with the link clean and retransmissions, two IKE SAs that
 *    still agree answer a liveness check.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/ikev2_pair.h"

#define MAX_STEPS 64
#define HMAX 16

struct fz {
	const uint8_t *p;
	size_t n;
};

static uint8_t next(struct fz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static const uint8_t secret[32] = "fuzz_ikev2_exch QCD secret.....";
static struct v2p_dgram hist[HMAX];
static size_t nhist;

static void remember(const struct v2p_dgram *d)
{
	hist[nhist % HMAX] = *d;
	nhist++;
}

static void check_side(const struct v2p_side *s)
{
	if (s->sa && s->sa->state == IKEV2_S_DEAD)
		abort();
	for (size_t i = 0; i < s->nlive; i++) {
		bool found = false;
		for (struct ikev2_sa *sa = s->eng.sas; sa && !found; sa = sa->next)
			found = sa->state != IKEV2_S_DEAD && ikev2_child_by_in(sa, s->live[i].spi_in);
		if (!found)
			abort();
	}
}

static void check(const struct v2p *p)
{
	check_side(&p->s[0]);
	check_side(&p->s[1]);
	for (size_t i = 0; i < p->s[0].nlive; i++) {
		const struct ikev2_child *x = &p->s[0].live[i], *y = v2p_live_by_in(&p->s[1], x->spi_out);
		size_t n = x->enc_key_len + x->integ_key_len;
		if (y && y->spi_out == x->spi_in && (memcmp(x->key_out, y->key_in, n) || memcmp(x->key_in, y->key_out, n)))
			abort();
	}
}

static void host_action(struct v2p *p, struct fz *f)
{
	uint8_t b = next(f);
	struct v2p_side *s = &p->s[b & 1];
	struct ikev2_sa *sa = s->sa;
	uint32_t live_in = s->nlive ? s->live[next(f) % s->nlive].spi_in : 0;
	uint32_t live_out = s->nlive ? s->live[0].spi_out : 0;
	if (!sa)
		return;
	switch ((b >> 1) % 11) {
	case 0: ikev2_liveness(sa); break;
	case 1: ikev2_create_child(sa, NULL, NULL); break;
	case 2: ikev2_rekey_child(sa, live_in); break;
	case 3: ikev2_rekey_ike(sa); break;
	case 4: ikev2_delete_child(sa, live_in); break;
	case 5: ikev2_delete_ike(sa); break;
	case 6: ikev2_send_invalid_spi(sa, IKEV2_PROTO_ESP, next(f) & 1 ? live_out : 0x01020304); break;
	case 7: ikev2_retransmit(sa); break;
	case 8: ikev2_ike_gone(sa); break;
	case 9: ikev2_reap(&s->eng); break;	/* the host's timer, outside message processing */
	default:				/* a restart: SAs gone, the QCD secret kept */
		ikev2_engine_free(&s->eng);
		ikev2_engine_init(&s->eng, &s->host);
		ikev2_qcd_set(&s->eng, secret, sizeof(secret));
		s->sa = NULL;
		s->nlive = 0;
		break;
	}
}

/* A datagram with the live SPIs of side `to`'s IKE SA: cleartext notify, or fuzzer bytes after the header. */
static void forge(struct v2p *p, struct fz *f)
{
	uint8_t b = next(f);
	int to = b & 1;
	const struct ikev2_sa *sa = p->s[to].sa;
	static uint8_t buf[512];
	if (!sa)
		return;
	struct ikev2_hdr h = { .exch = (uint8_t)(IKEV2_EXCH_IKE_AUTH + (next(f) & 3)), .msgid = sa->req_in,
			       .flags = (uint8_t)((sa->initiator ? 0 : IKEV2_FLAG_INITIATOR) | (b & IKEV2_FLAG_RESPONSE)) };
	struct ikev2_wr w;
	memcpy(h.spi_i, sa->spi_i, 8);
	memcpy(h.spi_r, sa->spi_r, 8);
	ikev2_wr_init(&w, buf, sizeof(buf), &h);
	size_t len;
	if (b & 2) {
		uint8_t spi[4];
		wbuf_st32(spi, p->s[to].nlive ? p->s[to].live[0].spi_out : 0);
		ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_INVALID_SPI, spi, 4);
		len = ikev2_wr_finish(&w);
	} else {
		size_t k = next(f) % 128;
		k = k < f->n ? k : f->n;
		memcpy(buf + IKEV2_HDR_LEN, f->p, k);
		f->p += k;
		f->n -= k;
		buf[16] = (uint8_t)(IKEV2_PL_SK);
		len = IKEV2_HDR_LEN + k;
		wbuf_st32(buf + 24, (uint32_t)len);
	}
	if (!len)
		return;
	/*
	 * From another port now and then (NAT-T, §2.23): a datagram that did not
	 * authenticate must never move the SA's ports.
	 */
	if (b & 4) {
		uint16_t lport = sa->lport, pport = sa->pport;
		uint16_t from = (uint16_t)(1024 + ((unsigned)next(f) << 8 | next(f)));
		ikev2_input_port(&p->s[to].eng, to ? V2P_B : V2P_A, (b & 8) ? 4500 : 500, to ? V2P_A : V2P_B, from,
				 buf, len);
		if (p->s[to].sa == sa && (sa->lport != lport || sa->pport != pport))
			abort();
		return;
	}
	ikev2_input(&p->s[to].eng, to ? V2P_B : V2P_A, to ? V2P_A : V2P_B, buf, len);
}

static void step(struct v2p *p, struct fz *f)
{
	uint8_t op = next(f);
	switch (op % 8) {
	case 0:
	case 1:
		if (p->nq) {
			remember(&p->q[0]);
			v2p_deliver(p, 0);
		}
		break;
	case 2: v2p_drop(p, 0); break;
	case 3:
		if (p->nq && p->nq < V2P_QMAX) {	/* duplicate */
			p->q[p->nq] = p->q[0];
			p->nq++;
		}
		break;
	case 4:
		if (p->nq > 1) {		/* reorder */
			struct v2p_dgram t = p->q[0];
			p->q[0] = p->q[p->nq - 1];
			p->q[p->nq - 1] = t;
		}
		break;
	case 5:
		if (p->nq) {			/* corrupt one byte */
			size_t at = ((size_t)next(f) << 8 | next(f)) % p->q[0].len;
			p->q[0].d[at] ^= (uint8_t)(next(f) | 1);
		}
		break;
	case 6:
		if (nhist && p->nq < V2P_QMAX) {	/* replay */
			p->q[p->nq] = hist[next(f) % (nhist < HMAX ? nhist : HMAX)];
			p->nq++;
		}
		break;
	default:
		if (op & 0x80)
			forge(p, f);
		else
			host_action(p, f);
		break;
	}
}

static void final_liveness(struct v2p *p)
{
	struct ikev2_sa *a = p->s[0].sa, *b = p->s[1].sa;
	v2p_pump(p);
	if (!a || !b || a->state != IKEV2_S_READY || b->state != IKEV2_S_READY || memcmp(a->spi_i, b->spi_i, 8) ||
	    memcmp(a->spi_r, b->spi_r, 8) || a->deleting || b->deleting || a->rekeyed_to || b->rekeyed_to)
		return;
	uint64_t before = p->s[1].eng.st.liveness_answered;
	if (ikev2_liveness(a) < 0)
		return;
	for (int i = 0; i < 12 && (p->s[1].eng.st.liveness_answered == before || a->req_pending); i++) {
		ikev2_retransmit(p->s[0].sa);
		if (p->s[1].sa)
			ikev2_retransmit(p->s[1].sa);
		v2p_pump(p);
		check(p);
		if (p->s[0].sa != a || p->s[1].sa != b)
			return;		/* a rekey finished meanwhile: nothing to compare */
	}
	if (p->s[1].eng.st.liveness_answered == before || a->req_pending)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct v2p *p = v2p_new();
	for (int i = 0; i < 2; i++) {
		p->s[i].conf.ike[0].dh = 19;
		p->s[i].conf.pfs_group = size && (data[0] & 1) ? 19 : 0;
		p->s[i].conf.initial_contact = size && (data[0] & 2);
		/* NAT-D both ways; a faked NAT on A puts both on "4500" (the pair ignores ports). */
		p->s[i].conf.natt = size && (data[0] & 4);
		p->s[i].conf.natt_fake = i == 0 && size && (data[0] & 8);
		/* RFC 7383 with a small MTU: IKE_AUTH and later exchanges go in fragments. */
		p->s[i].conf.frag_mtu = size && (data[0] & 16) ? 150 : 0;
		ikev2_qcd_set(&p->s[i].eng, secret, sizeof(secret));
	}
	nhist = 0;
	if (!v2p_up(p))
		abort();
	for (int i = 0; i < MAX_STEPS && f.n; i++) {
		step(p, &f);
		check(p);
	}
	final_liveness(p);
	v2p_free(p);
	return 0;
}
