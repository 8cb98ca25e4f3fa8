/*
 * Reassembly of fragments addressed to the router (RFC 791/815), with a
 * bitmap of 8-byte blocks instead of a hole list: O(1) space per datagram,
 * and overlap detection falls out of it.  Anyone can send fragments, so the
 * table is bounded per source (FRAG_PER_SRC_MAX), in datagrams
 * (FRAG_MAX_REASM) and bytes (FRAG_MAX_BYTES), times out after
 * FRAG_TIMEOUT_MS, and a new datagram evicts the oldest one instead of being
 * refused: a spoofer can never lock reassembly (IKE fragments) out.  Overlapping fragments kill the
 * whole datagram (they are an attack, not a network accident, RFC 5722's
 * reasoning); exact duplicates are dropped alone.
 */
#include <string.h>

#include "core/wbuf.h"
#include "net/inet.h"
#include "net/net_priv.h"

/* Payload sits behind room for the largest header, so the first fragment's fits in front. */
#define PAYLOAD_AT (PKT_HEADROOM + 60)

static bool bit(const struct reasm *q, size_t b) { return q->map[b >> 3] & (1u << (b & 7)); }
static void set_bit(struct reasm *q, size_t b) { q->map[b >> 3] |= (uint8_t)(1u << (b & 7)); }

static void release(struct router *r, struct reasm *q)
{
	NET(r)->frag.bytes -= q->have;
	pkt_free(q->p);
	q->p = NULL;
	q->used = false;
}

static void drop_frag(struct router *r, struct pkt *p, uint64_t *counter, const char *why)
{
	struct net_state *n = NET(r);
	(*counter)++;
	n->st.reasm_fail++;
	if (p->in_if)
		p->in_if->c.in_frag_drops++;
	char s[IP_FMT_LEN];
	log_msg_rl(&r->log, &n->rl_frag, ev_now(r->ev), 10000, "IP", SEV_WARNING, "FRAGDROP",
		   "Dropped fragment from %s on %s: %s", ip_fmt(wbuf_be32(p->data + IPH_SRC), s),
		   p->in_if ? p->in_if->name : "local", why);
	pkt_free(p);
}

/*
 * Frees the oldest datagram in reassembly (from src only, if src is not 0;
 * never keep) and returns its slot, or NULL when there is none.
 */
static struct reasm *evict_oldest(struct router *r, uint32_t src, const struct reasm *keep)
{
	struct net_state *n = NET(r);
	struct reasm *old = NULL;
	for (int i = 0; i < FRAG_MAX_REASM; i++) {
		struct reasm *c = &n->frag.q[i];
		if (c->used && c != keep && (!src || c->src == src) &&
		    (!old || c->deadline < old->deadline))
			old = c;
	}
	if (!old)
		return NULL;
	n->st.frag_evicted++;
	n->st.reasm_fail++;
	if (old->in_if)
		old->in_if->c.in_frag_drops++;
	char s[IP_FMT_LEN];
	log_msg_rl(&r->log, &n->rl_frag, ev_now(r->ev), 10000, "IP", SEV_WARNING, "FRAGEVICT",
		   "Reassembly of a datagram from %s evicted: %s", ip_fmt(old->src, s),
		   src ? "too many from that source" : "reassembly table full");
	release(r, old);
	return old;
}

struct pkt *frag_input(struct router *r, struct pkt *p)
{
	struct net_state *n = NET(r);
	struct frag_state *fs = &n->frag;
	const uint8_t *ip = p->data;
	size_t hlen = (size_t)(ip[IPH_VHL] & 0x0f) * 4;
	uint16_t off = wbuf_be16(ip + IPH_OFF);
	bool mf = off & IP_MF;
	size_t start = (size_t)(off & IP_OFFMASK) * 8;
	size_t plen = p->len - hlen;
	size_t end = start + plen;
	uint32_t src = wbuf_be32(ip + IPH_SRC), dst = wbuf_be32(ip + IPH_DST);
	uint16_t id = wbuf_be16(ip + IPH_ID);
	uint8_t proto = ip[IPH_PROTO];
	bool decapped = p->flags & PKT_F_DECAPPED;
	n->st.frag_rcvd++;
	if (end + IP_HLEN > PKT_MAX_IP)
		return drop_frag(r, p, &n->st.frag_oversize, "beyond 65535 bytes"), NULL;
	if (mf && (plen == 0 || plen % 8))
		return drop_frag(r, p, &n->st.frag_oversize, "not a multiple of 8 bytes"), NULL;
	struct reasm *q = NULL, *free_q = NULL;
	int from_src = 0;
	for (int i = 0; i < FRAG_MAX_REASM; i++) {
		struct reasm *c = &fs->q[i];
		if (!c->used) {
			if (!free_q)
				free_q = c;
			continue;
		}
		from_src += c->src == src;
		/* What came out of a tunnel never joins cleartext (the policy check sees the whole). */
		if (c->src == src && c->dst == dst && c->id == id && c->proto == proto &&
		    c->decapped == decapped) {
			q = c;
			break;
		}
	}
	if (!q && from_src >= FRAG_PER_SRC_MAX)
		free_q = evict_oldest(r, src, NULL);
	if (!q && !free_q)
		free_q = evict_oldest(r, 0, NULL);
	/* Room for these bytes: the oldest other datagrams make way. */
	while (fs->bytes + plen > FRAG_MAX_BYTES) {
		struct reasm *v = evict_oldest(r, 0, q);
		if (!v)
			return drop_frag(r, p, &n->st.frag_nomem, "reassembly memory full"), NULL;
		if (!free_q)
			free_q = v;
	}
	if (!q) {
		if (!free_q)
			return drop_frag(r, p, &n->st.frag_nomem, "too many reassemblies"), NULL;
		struct pkt *buf = pkt_alloc();
		if (!buf)
			return drop_frag(r, p, &n->st.frag_nomem, "no buffer"), NULL;
		q = free_q;
		memset(q, 0, sizeof(*q));
		q->used = true;
		q->src = src;
		q->dst = dst;
		q->id = id;
		q->proto = proto;
		q->decapped = decapped;
		q->p = buf;
		q->deadline = ev_now(r->ev) + FRAG_TIMEOUT_MS;
		q->in_if = p->in_if;
	}
	size_t hl = start == 0 ? hlen : (q->hlen ? q->hlen : IP_HLEN);
	if (end + hl > PKT_MAX_IP || (q->total && end > q->total) ||
	    (!mf && q->total && q->total != end)) {
		release(r, q);
		return drop_frag(r, p, &n->st.frag_oversize, "inconsistent length"), NULL;
	}
	size_t b0 = start / 8, b1 = (end + 7) / 8;
	size_t set = 0;
	for (size_t b = b0; b < b1; b++)
		set += bit(q, b);
	if (!mf) {
		/* Nothing may already lie beyond the end this fragment declares. */
		for (size_t b = b1; b < sizeof(q->map) * 8; b++) {
			if (bit(q, b)) {
				release(r, q);
				return drop_frag(r, p, &n->st.frag_overlap, "data beyond the end"), NULL;
			}
		}
	}
	if (set && set == b1 - b0)
		return drop_frag(r, p, &n->st.frag_dup, "duplicate"), NULL;
	if (set) {
		release(r, q);
		return drop_frag(r, p, &n->st.frag_overlap, "overlapping fragment"), NULL;
	}
	uint8_t *base = q->p->buf + PAYLOAD_AT;
	memcpy(base + start, ip + hlen, plen);
	for (size_t b = b0; b < b1; b++)
		set_bit(q, b);
	q->have += plen;
	fs->bytes += plen;
	if (start == 0) {
		q->hlen = hlen;
		memcpy(base - hlen, ip, hlen);
		q->in_if = p->in_if;
	}
	if (!mf)
		q->total = end;
	uint32_t flags = p->flags;
	pkt_free(p);

	if (!q->total || !q->hlen || q->hlen + q->total > PKT_MAX_IP)
		return NULL;
	for (size_t b = 0; b < (q->total + 7) / 8; b++)
		if (!bit(q, b))
			return NULL;
	struct pkt *whole = q->p;
	q->p = NULL;
	whole->data = base - q->hlen;
	whole->len = q->hlen + q->total;
	whole->in_if = q->in_if;
	whole->flags = flags;
	wbuf_st16(whole->data + IPH_LEN, (uint16_t)whole->len);
	wbuf_st16(whole->data + IPH_OFF, wbuf_be16(whole->data + IPH_OFF) & IP_DF);
	ip_set_cksum(whole->data);
	fs->bytes -= q->have;
	q->used = false;
	n->st.reasm_ok++;
	return whole;
}

void frag_tick(struct router *r, uint64_t now)
{
	struct net_state *n = NET(r);
	for (int i = 0; i < FRAG_MAX_REASM; i++) {
		struct reasm *q = &n->frag.q[i];
		if (!q->used || now < q->deadline)
			continue;
		n->st.reasm_timeout++;
		if (q->in_if)
			q->in_if->c.in_frag_drops++;
		if (q->hlen) {
			/* RFC 792: time exceeded in reassembly, only when fragment zero came. */
			struct pkt *orig = q->p;
			orig->data = orig->buf + PAYLOAD_AT - q->hlen;
			orig->len = q->hlen + 8;
			orig->in_if = q->in_if;
			orig->flags = 0;
			icmp_send_error(r, orig, ICMP_TIMXCEED, ICMP_TIMXCEED_REASS, 0);
		}
		release(r, q);
	}
}

void frag_free(struct router *r)
{
	struct net_state *n = NET(r);
	for (int i = 0; i < FRAG_MAX_REASM; i++)
		if (n->frag.q[i].used)
			release(r, &n->frag.q[i]);
}
