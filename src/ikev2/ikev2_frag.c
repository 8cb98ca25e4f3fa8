/*
 * IKE fragmentation (RFC 7383): an encrypted message too big for the
 * configured MTU leaves as Encrypted Fragment (SKF) payloads, each its
 * own IKE message with its own IV and ICV; received fragments are
 * verified one by one before anything is kept, then put together and
 * handed to the receive function the dispatch table chose, as if one SK
 * message had come.
 *
 * What a peer can make us hold is bounded: one message per IKE SA, at
 * most IKEV2_FRAG_MAX_COUNT fragments and IKEV2_FRAG_MAX_BYTES in it,
 * IKEV2_FRAG_GLOBAL_BYTES for all SAs (the oldest other set is evicted
 * to make room), and IKEV2_FRAG_TIMEOUT_MS.  Only fragments whose ICV
 * holds are stored, so a forger cannot poison a set; the peers that can
 * make fragments at all hold keys (half-open SAs are bounded per peer).
 */
#include "core/wire.h"
#include "ikev2/ikev2_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define FRAG_COST 64	/* what one stored fragment costs beside its bytes */

struct ikev2_frag_rx {
	uint32_t msgid;
	bool response;
	uint8_t np;			/* the first inner payload, from fragment #1 */
	uint16_t total, have;
	size_t bytes;			/* plaintext held */
	size_t cost;			/* what e->frag_bytes counts for this set */
	uint64_t started;
	uint8_t *part[IKEV2_FRAG_MAX_COUNT + 1];	/* [1..total] */
	size_t plen[IKEV2_FRAG_MAX_COUNT + 1];
	uint8_t *first_raw;		/* fragment #1 as it came: its retransmission gets our answer */
	size_t first_raw_len;
};

/* Counts a dropped fragment or set, and says why under `debug crypto ikev2`. */
static void drop(struct ikev2_sa *sa, uint64_t *counter, const char *why)
{
	(*counter)++;
	ikev2_log(sa->eng, "IKEv2:(SA %s):Fragment: %s", ikev2_sa_name(sa).s, why);
}

static uint64_t now(const struct ikev2_engine *e)
{
	return e->host->now_ms ? e->host->now_ms(e->host->arg) : 0;
}

void ikev2_frag_free(struct ikev2_sa *sa)
{
	struct ikev2_frag_rx *f = sa->frx;
	if (!f)
		return;
	for (size_t i = 0; i <= IKEV2_FRAG_MAX_COUNT; i++) {
		if (f->part[i])
			OPENSSL_cleanse(f->part[i], f->plen[i]);
		free(f->part[i]);
	}
	free(f->first_raw);
	sa->eng->frag_bytes -= f->cost < sa->eng->frag_bytes ? f->cost : sa->eng->frag_bytes;
	free(f);
	sa->frx = NULL;
}

void ikev2_frag_expire(struct ikev2_engine *e)
{
	if (!e->host->now_ms)
		return;
	uint64_t t = now(e);
	for (struct ikev2_sa *s = e->sas; s; s = s->next) {
		if (s->frx && t - s->frx->started >= IKEV2_FRAG_TIMEOUT_MS) {
			drop(s, &e->st.frag_timeout, "reassembly timed out");
			ikev2_frag_free(s);
		}
	}
}

/* Makes room for need more bytes by evicting the oldest other sets; false when there is none. */
static bool global_room(struct ikev2_engine *e, const struct ikev2_sa *sa, size_t need)
{
	while (e->frag_bytes + need > IKEV2_FRAG_GLOBAL_BYTES) {
		struct ikev2_sa *oldest = NULL;
		for (struct ikev2_sa *s = e->sas; s; s = s->next)
			if (s != sa && s->frx && (!oldest || s->frx->started <= oldest->frx->started))
				oldest = s;
		if (!oldest)
			return false;
		drop(oldest, &e->st.frag_evicted, "reassembly evicted for another SA (global cap)");
		ikev2_frag_free(oldest);
	}
	return true;
}

int ikev2_send_train(struct ikev2_engine *e, const struct ikev2_sa *sa, uint32_t local, uint32_t peer, bool reply,
		     const uint8_t *msg, size_t len)
{
	int rc = 0;
	while (len >= IKEV2_HDR_LEN) {
		size_t one = wbuf_be32(msg + 24);
		if (one < IKEV2_HDR_LEN || one > len)
			return -1;
		if (ikev2_xmit(e, sa, local, peer, reply, msg, one) < 0)
			rc = -1;
		msg += one;
		len -= one;
	}
	return rc;
}

/* How big an encrypted message may be for this SA; 0 = no fragmenting. */
static size_t max_msg(const struct ikev2_sa *sa)
{
	/* On UDP 4500 (NAT-T) the non-ESP marker rides in front of the message too. */
	size_t hdr = IKEV2_IPV4_UDP_HDR + (sa->lport == UDP_PORT_IKE_NATT ? NON_ESP_MARKER_LEN : 0);
	if (!sa->frag || sa->conf.frag_mtu <= hdr)
		return 0;
	return sa->conf.frag_mtu - hdr;
}

/*
 * §2.5.1: each fragment, with its header, SKF header, IV, padding and
 * ICV, fits max; below a floor (tiny MTUs) each still carries
 * IKEV2_FRAG_MIN_CHUNK bytes, and never more than IKEV2_FRAG_MAX_COUNT
 * fragments are made (the peer would not take them).
 */
static size_t chunk_size(const struct ikev2_sk_alg *a, size_t max, size_t ptlen)
{
	size_t over = IKEV2_HDR_LEN + IKEV2_GEN_LEN + 4 + a->iv_len + a->icv_len;
	size_t room = max > over ? max - over : 0;
	size_t chunk = room / a->block * a->block;
	chunk = chunk ? chunk - 1 : 0;		/* the pad length octet */
	if (chunk < IKEV2_FRAG_MIN_CHUNK)
		chunk = IKEV2_FRAG_MIN_CHUNK;
	if ((ptlen + chunk - 1) / chunk > IKEV2_FRAG_MAX_COUNT)
		chunk = (ptlen + IKEV2_FRAG_MAX_COUNT - 1) / IKEV2_FRAG_MAX_COUNT;
	return chunk;
}

static size_t fragment(struct ikev2_sa *sa, struct ikev2_wr *w, size_t at, size_t max)
{
	const struct ikev2_sk_alg *a = &sa->sk.alg;
	size_t pt_at = at + IKEV2_GEN_LEN + a->iv_len, ptlen = w->w.len - pt_at;
	struct ikev2_hdr h;
	uint8_t np = w->w.p[at];	/* the SK payload's next payload: the first inside */
	if (!ikev2_peek_hdr(w->w.p, w->w.len, &h))
		return 0;
	uint8_t *pt = malloc(ptlen ? ptlen : 1);
	if (!pt)
		return 0;
	memcpy(pt, w->w.p + pt_at, ptlen);
	size_t chunk = chunk_size(a, max, ptlen), n = (ptlen + chunk - 1) / chunk, off = 0;
	for (size_t i = 0; i < n; i++) {
		struct ikev2_wr fw;
		size_t from = i * chunk, take = ptlen - from < chunk ? ptlen - from : chunk;
		ikev2_wr_init(&fw, w->w.p + off, w->w.cap - off, &h);
		size_t s = ikev2_skf_begin(&fw, &sa->sk, (uint16_t)(i + 1), (uint16_t)n);
		wbuf_put_bytes(&fw.w, pt + from, take);
		/* §2.5: only fragment #1 names the first inner payload. */
		if (!fw.w.err)
			fw.w.p[s] = i == 0 ? np : IKEV2_PL_NONE;
		size_t l = ikev2_skf_seal(&fw, &sa->sk, s);
		if (!l) {
			off = 0;
			break;
		}
		off += l;
	}
	OPENSSL_cleanse(pt, ptlen);
	free(pt);
	if (off)
		sa->eng->st.frag_tx += n;
	return off;
}

size_t ikev2_seal(struct ikev2_sa *sa, struct ikev2_wr *w, size_t at)
{
	const struct ikev2_sk_alg *a = &sa->sk.alg;
	size_t max = max_msg(sa), pt_at = at + IKEV2_GEN_LEN + a->iv_len;
	if (!max || w->w.err || w->w.len < pt_at)
		return ikev2_sk_seal(w, &sa->sk, at);
	size_t ptlen = w->w.len - pt_at;
	size_t whole = pt_at + ptlen + (a->block - (ptlen + 1) % a->block) % a->block + 1 + a->icv_len;
	if (whole <= max)
		return ikev2_sk_seal(w, &sa->sk, at);
	return fragment(sa, w, at, max);
}

void ikev2_frag_stray(struct ikev2_sa *sa, const struct ikev2_msg *m, const uint8_t *buf, size_t len)
{
	struct ikev2_engine *e = sa->eng;
	/*
	 * §2.6.1: a retransmitted request is answered again only on its
	 * fragment #1, and only an exact copy of the one we processed (so it
	 * needs no ICV check): the other fragments would each trigger the whole
	 * answer again.
	 */
	if (!(m->h.flags & IKEV2_FLAG_RESPONSE) && m->frag_no == 1 && sa->rsp_buf &&
	    m->h.msgid + 1 == sa->req_in && len == sa->rsp_for_len && !memcmp(buf, sa->rsp_for, len)) {
		e->st.retransmit_answered++;
		e->st.tx++;
		ikev2_send_train(e, sa, sa->local, sa->peer, true, sa->rsp_buf, sa->rsp_len);
		return;
	}
	drop(sa, &e->st.frag_old, "of a message already processed, dropped");
}

/* Starts a set for this fragment's message. */
static struct ikev2_frag_rx *set_new(struct ikev2_sa *sa, const struct ikev2_msg *m)
{
	struct ikev2_frag_rx *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->msgid = m->h.msgid;
	f->response = m->h.flags & IKEV2_FLAG_RESPONSE;
	f->total = m->frag_total;
	f->started = now(sa->eng);
	sa->frx = f;
	return f;
}

/* Keeps one verified fragment's plaintext; false (set dropped or not started) when it cannot. */
static bool keep(struct ikev2_sa *sa, const struct ikev2_msg *m, const uint8_t *pt, size_t ptlen)
{
	struct ikev2_engine *e = sa->eng;
	struct ikev2_frag_rx *f = sa->frx;
	if (f->bytes + ptlen > IKEV2_FRAG_MAX_BYTES) {
		drop(sa, &e->st.frag_too_big, "message too big, reassembly dropped");
		ikev2_frag_free(sa);
		return false;
	}
	size_t cost = ptlen + FRAG_COST + (m->frag_no == 1 ? e->rx_raw_len : 0);
	if (!global_room(e, sa, cost))
		return false;
	uint8_t *p = malloc(ptlen ? ptlen : 1);
	if (!p)
		return false;
	if (m->frag_no == 1) {
		if (!e->rx_raw || !ikev2_keep_copy(&f->first_raw, &f->first_raw_len, e->rx_raw, e->rx_raw_len)) {
			free(p);
			return false;
		}
		f->np = m->sk_inner_np;
	}
	memcpy(p, pt, ptlen);
	f->part[m->frag_no] = p;
	f->plen[m->frag_no] = ptlen;
	f->have++;
	f->bytes += ptlen;
	f->cost += cost;
	e->frag_bytes += cost;
	e->st.frag_rx++;
	return true;
}

/* Every fragment is here: one SK message made of them goes to fn. */
static void complete(struct ikev2_sa *sa, const struct ikev2_msg *m, ikev2_recv_fn fn)
{
	struct ikev2_engine *e = sa->eng;
	struct ikev2_frag_rx *f = sa->frx;
	uint8_t *plain = malloc(f->bytes ? f->bytes : 1);
	if (!plain) {
		ikev2_frag_free(sa);
		return;
	}
	size_t off = 0;
	for (size_t i = 1; i <= f->total; i++) {
		memcpy(plain + off, f->part[i], f->plen[i]);
		off += f->plen[i];
	}
	struct ikev2_msg *whole = calloc(1, sizeof(*whole));
	if (!whole) {
		free(plain);
		ikev2_frag_free(sa);
		return;
	}
	whole->h = m->h;
	whole->h.np = IKEV2_PL_SK;
	whole->npl = 1;
	whole->pl[0] = (struct ikev2_pl){ .type = IKEV2_PL_SK, .body = plain, .len = off };
	whole->sk = &whole->pl[0];
	whole->sk_inner_np = f->np;
	whole->reassembled = true;
	/* Our answer is kept against fragment #1, which is what a retransmission repeats first. */
	uint8_t *raw = f->first_raw;
	size_t raw_len = f->first_raw_len;
	f->first_raw = NULL;
	ikev2_frag_free(sa);
	const uint8_t *saved = e->rx_raw;
	size_t saved_len = e->rx_raw_len;
	e->rx_raw = raw;
	e->rx_raw_len = raw_len;
	e->st.frag_reassembled++;
	fn(sa, whole, plain, off);
	e->rx_raw = saved;
	e->rx_raw_len = saved_len;
	OPENSSL_cleanse(plain, off);
	free(plain);
	free(raw);
	free(whole);
}

bool ikev2_frag_input(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len, ikev2_recv_fn fn)
{
	struct ikev2_engine *e = sa->eng;
	bool response = m->h.flags & IKEV2_FLAG_RESPONSE;
	ikev2_frag_expire(e);
	if (!sa->frag || !sa->sk_ready) {
		drop(sa, &e->st.frag_unexpected, "fragmentation not negotiated, dropped");
		return false;
	}
	/* §2.3: only the message we wait for is reassembled. */
	if (response ? !(sa->req_pending && m->h.msgid == sa->req_out) : m->h.msgid != sa->req_in) {
		ikev2_frag_stray(sa, m, buf, len);
		return false;
	}
	if (m->frag_total > IKEV2_FRAG_MAX_COUNT) {
		drop(sa, &e->st.frag_too_many, "too many fragments, dropped");
		return false;
	}
	/* Before the ICV check only counters move: the set changes for verified fragments alone. */
	struct ikev2_frag_rx *f = sa->frx;
	bool same = f && f->msgid == m->h.msgid && f->response == response;
	if (same && m->frag_total < f->total) {
		drop(sa, &e->st.frag_bad_total, "fewer Total Fragments than the set, dropped");	/* §2.6.2 */
		return false;
	}
	if (same && m->frag_total == f->total && f->part[m->frag_no]) {
		drop(sa, &e->st.frag_dup, "duplicate, dropped");
		return false;
	}
	uint8_t *pt;
	size_t ptlen;
	enum ikev2_sk_result r = ikev2_sk_decrypt(&sa->sk, buf, len, m, &pt, &ptlen);
	if (r != IKEV2_SK_OK) {
		if (r == IKEV2_SK_BAD_ICV)
			drop(sa, &e->st.frag_bad_icv, "integrity check failed, dropped");
		else
			e->st.malformed++;
		return false;
	}
	if (f && !same) {
		drop(sa, &e->st.frag_replaced, "another message: reassembly restarted");	/* one per SA */
		ikev2_frag_free(sa);
		f = NULL;
	} else if (f && m->frag_total > f->total) {
		drop(sa, &e->st.frag_restart, "more Total Fragments: reassembly restarted");	/* §2.6.2 */
		ikev2_frag_free(sa);
		f = NULL;
	}
	if (!f && !set_new(sa, m))
		return false;
	if (!keep(sa, m, pt, ptlen)) {
		if (sa->frx && !sa->frx->have)
			ikev2_frag_free(sa);
		return false;
	}
	if (sa->frx->have == sa->frx->total)
		complete(sa, m, fn);
	return true;
}
