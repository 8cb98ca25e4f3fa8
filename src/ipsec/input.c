/*
 * Inbound IPsec: SADB lookup, AH then ESP, the inner packet's policy check,
 * and the invalid-SPI event that Invalid SPI Recovery starts from.
 */
#include <string.h>

#include "core/wbuf.h"
#include "ipsec/ipsec.h"
#include "core/ipfmt.h"
#include "ipsec/ipsec_int.h"
#include "net/net.h"
#include "recovery/recovery.h"
#include "router.h"

#define INV_SPI_LOG_PER_SEC 10


static void invalid_spi(struct ipsec_state *st, uint32_t src, uint32_t dst, uint8_t proto,
			uint32_t spi, bool udp)
{
	struct router *r = st->r;
	if (proto == IPPROTO_AH_)
		st->g.inv_spi_ah++;
	else
		st->g.inv_spi_esp++;
	/*
	 * One line per peer per second, and at most INV_SPI_LOG_PER_SEC lines a
	 * second from all sources together: a flood from random addresses would
	 * otherwise win a fresh per-peer slot with every packet.
	 */
	uint64_t now = ev_now(r->ev);
	struct inv_spi_rl *s = &st->inv_rl[(src * 2654435761u) >> 26];
	if (s->peer != src) {
		memset(s, 0, sizeof(*s));
		s->peer = src;
	}
	uint32_t sup = 0;
	if (!log_rl_allow(&s->rl, now, 1000, 1, &sup) ||
	    !log_rl_allow(&st->inv_rl_all, now, 1000, INV_SPI_LOG_PER_SEC, NULL)) {
		r->log.rate_limited++;
	} else {
		if (sup)
			log_msg(&r->log, "SYS", SEV_NOTICE, "RATE_LIMIT",
				"%u %%CRYPTO-4-RECVD_PKT_INV_SPI messages suppressed in the last 1000 ms "
				"(srcaddr=%s)", sup, ip_str(src).s);
		log_msg(&r->log, "CRYPTO", SEV_WARNING, "RECVD_PKT_INV_SPI",
			"decaps: rec'd IPSEC packet has invalid spi for destaddr=%s, "
			"prot=%u, spi=0x%X(%u), srcaddr=%s",
			ip_str(dst).s, proto, spi, spi, ip_str(src).s);
	}
	recovery_invalid_spi(r, src, dst, proto, spi, udp);
}

/*
 * An SPI we do not have for dst.  Only an SPI unknown to the whole router,
 * sent to an address an SA would use (a crypto endpoint), is "invalid" and
 * may make recovery tell the peer: a live SPI sent to another of our
 * addresses would otherwise make us report a working SA as dead, and the
 * peer delete it on our authenticated word.
 */
static void spi_miss(struct ipsec_state *st, uint32_t src, uint32_t dst, uint8_t proto,
		     uint32_t spi, bool udp)
{
	struct router *r = st->r;
	if (!sadb_lookup_spi(st, proto, spi) && ipsec_is_endpoint(r, NULL, dst)) {
		invalid_spi(st, src, dst, proto, spi, udp);
		return;
	}
	st->g.wrong_dst++;
	log_msg_rl(&r->log, &st->rl_drop, ev_now(r->ev), 1000, "CRYPTO", SEV_WARNING,
		   "RECVD_PKT_WRONG_DST", "decaps: dropped %s packet spi=0x%X(%u) from "
		   "%s to %s: not the address of its SA or of a crypto endpoint",
		   proto == IPPROTO_AH_ ? "AH" : "ESP", spi, spi, ip_str(src).s, ip_str(dst).s);
}

static void drop_log(struct ipsec_state *st, const struct ipsec_sa *sa, enum ipsec_drop d,
		     uint32_t src, const struct pkt *p)
{
	struct router *r = st->r;
	uint64_t now = ev_now(r->ev);
	switch (d) {
	case DROP_REPLAY:
		log_msg_rl(&r->log, &st->rl_drop, now, 1000, "CRYPTO", SEV_WARNING, "PKT_REPLAY_ERR",
			   "decrypt: replay check failed connection id=%u, spi=0x%X(%u), "
			   "srcaddr=%s", sa->conn_id, sa->spi, sa->spi, ip_str(src).s);
		break;
	case DROP_AUTH:
		log_msg_rl(&r->log, &st->rl_drop, now, 1000, "CRYPTO", SEV_WARNING,
			   "RECVD_PKT_MAC_ERR", "decrypt: mac verify failed for connection id=%u, "
			   "spi=0x%X(%u), srcaddr=%s", sa->conn_id, sa->spi, sa->spi, ip_str(src).s);
		break;
	default:
		log_msg_rl(&r->log, &st->rl_drop, now, 1000, "CRYPTO", SEV_WARNING,
			   "RECVD_PKT_INV_PROT", "decaps: dropped %s packet (%zu bytes) for "
			   "connection id=%u, spi=0x%X(%u), srcaddr=%s: %s",
			   sa->proto == IPPROTO_AH_ ? "AH" : "ESP", p->len, sa->conn_id, sa->spi,
			   sa->spi, ip_str(src).s,
			   d == DROP_BAD_PAD ? "bad padding" :
			   d == DROP_INVALID_LEN ? "bad length" :
			   d == DROP_INVALID_PROT ? "not an IPv4 tunnel packet for this SA bundle" :
			   "internal error");
		break;
	}
}

/* The decapsulated packet must be what the SA's flow allows, remote -> local. */
enum ipsec_drop ipsec_inner_check(const struct ipsec_flow *f, const struct pkt *p, bool *ident)
{
	*ident = false;
	if (p->len < IP_HLEN || (p->data[0] >> 4) != 4)
		return DROP_INVALID_LEN;
	size_t hl = (size_t)(p->data[0] & 0x0f) * 4;
	if (hl < IP_HLEN || hl > p->len || wbuf_be16(p->data + 2) != p->len)
		return DROP_INVALID_LEN;
	uint32_t src = wbuf_be32(p->data + 12), dst = wbuf_be32(p->data + 16);
	uint8_t proto = p->data[9];
	uint16_t sport = 0, dport = 0;
	bool first = (wbuf_be16(p->data + 6) & 0x1fff) == 0;
	if ((proto == 6 || proto == 17) && first && p->len >= hl + 4) {
		sport = wbuf_be16(p->data + hl);
		dport = wbuf_be16(p->data + hl + 2);
	}
	/* Later fragments carry no ports: address and protocol decide. */
	if ((f->local_port || f->remote_port) && !first) {
		struct ipsec_flow g = *f;
		g.local_port = g.remote_port = 0;
		*ident = !ipsec_flow_contains(&g, dst, src, proto, 0, 0);
	} else {
		*ident = !ipsec_flow_contains(f, dst, src, proto, dport, sport);
	}
	return DROP_NONE;
}

static void deliver(struct ipsec_state *st, struct ipsec_bundle *b, struct pkt *p, uint32_t src,
		    bool used_esp)
{
	struct router *r = st->r;
	struct ipsec_counters *c = &b->fr->c;
	bool ident;
	enum ipsec_drop d = ipsec_inner_check(&b->spec.flow, p, &ident);
	if (d != DROP_NONE) {
		ipsec_count_drop(c, d, true);
		drop_log(st, used_esp ? &b->esp_in : &b->ah_in, d, src, p);
		pkt_free(p);
		return;
	}
	if (ident) {
		c->recv_errors++;
		c->invalid_identity++;
		log_msg_rl(&r->log, &st->rl_policy, ev_now(r->ev), 1000, "CRYPTO", SEV_WARNING,
			   "RECVD_PKT_INV_IDENTITY_ACL", "ipsec check access: identity not allowed "
			   "by ACL (ip) vrf/dest_addr= /%s, src_addr= %s, prot= %u",
			   ip_str(wbuf_be32(p->data + 16)).s, ip_str(wbuf_be32(p->data + 12)).s, p->data[9]);
		pkt_free(p);
		return;
	}
	c->decaps++;
	if (used_esp && b->esp_in.has_cipher)
		c->decrypt++;
	if (b->spec.has_ah || b->esp_in.has_integ || (b->esp_in.enc && b->esp_in.enc->aead))
		c->verify++;
	if (b->spec.has_ah)
		sadb_account(st, &b->ah_in, p->len);
	if (used_esp)
		sadb_account(st, &b->esp_in, p->len);
	p->flags |= PKT_F_DECAPPED;
	p->sa_ctx = (uint32_t)b->id;
	st->deliver(r, p);
}

/* A packet that failed on SA sa of bundle b: counted, logged, freed. */
static void sa_drop(struct ipsec_state *st, struct ipsec_bundle *b, const struct ipsec_sa *sa,
		    enum ipsec_drop d, uint32_t src, struct pkt *p)
{
	ipsec_count_drop(&b->fr->c, d, true);
	drop_log(st, sa, d, src, p);
	pkt_free(p);
}

/* p->data is the ESP header; src/dst from the outer header (or UDP's). */
static void input_esp(struct ipsec_state *st, struct pkt *p, uint32_t src, uint32_t dst,
		      bool udp, struct ipsec_bundle *via_ah)
{
	uint32_t spi;
	if (!esp_peek_spi(p, 0, &spi)) {
		if (via_ah) {
			sa_drop(st, via_ah, &via_ah->ah_in, DROP_INVALID_LEN, src, p);
			return;
		}
		st->g.malformed_esp++;
		pkt_free(p);
		return;
	}
	struct ipsec_sa *sa = sadb_lookup_in(st, dst, IPPROTO_ESP_, spi);
	if (!sa) {
		spi_miss(st, src, dst, IPPROTO_ESP_, spi, udp);
		pkt_free(p);
		return;
	}
	struct ipsec_bundle *b = sa->b;
	/* AH and ESP of one bundle come together or not at all (RFC 4301 §4.5). */
	if ((via_ah && via_ah != b) || (!via_ah && b->spec.has_ah) || udp != b->spec.udp_encap) {
		b->fr->c.invalid_sa_rcv++;
		sa_drop(st, b, sa, DROP_INVALID_PROT, src, p);
		return;
	}
	uint8_t nh = 0;
	enum ipsec_drop d = esp_decap(sa, p, &nh);
	if (d == DROP_NONE && nh != 4)
		d = DROP_INVALID_PROT;
	if (d != DROP_NONE) {
		sa_drop(st, b, sa, d, src, p);
		return;
	}
	deliver(st, b, p, src, true);
}

static void input_ah(struct ipsec_state *st, struct pkt *p, uint32_t src, uint32_t dst)
{
	uint32_t spi;
	/* Outer options would need per-option mutability rules; we never send them. */
	if ((p->data[0] & 0x0f) != 5 || !ah_peek_spi(p, IP_HLEN, &spi)) {
		st->g.malformed_ah++;
		pkt_free(p);
		return;
	}
	struct ipsec_sa *sa = sadb_lookup_in(st, dst, IPPROTO_AH_, spi);
	if (!sa) {
		spi_miss(st, src, dst, IPPROTO_AH_, spi, false);
		pkt_free(p);
		return;
	}
	struct ipsec_bundle *b = sa->b;
	uint8_t nh = 0;
	enum ipsec_drop d = ah_decap(sa, p, &nh);
	if (d == DROP_NONE && !(b->spec.has_esp ? nh == IPPROTO_ESP_ : nh == 4))
		d = DROP_INVALID_PROT;
	if (d != DROP_NONE) {
		sa_drop(st, b, sa, d, src, p);
		return;
	}
	if (nh == IPPROTO_ESP_)
		input_esp(st, p, src, dst, false, b);
	else
		deliver(st, b, p, src, false);
}

void ipsec_input(struct router *r, struct pkt *p)
{
	struct ipsec_state *st = r->ipsec;
	struct wbuf_rd rd;
	uint8_t vihl = 0, proto = 0;
	uint16_t total = 0, frag = 0;
	uint32_t src = 0, dst = 0;
	wbuf_rd_init(&rd, p->data, p->len);
	wbuf_get_u8(&rd, &vihl);
	wbuf_skip(&rd, 1);
	wbuf_get_u16(&rd, &total);
	wbuf_skip(&rd, 2);
	wbuf_get_u16(&rd, &frag);
	wbuf_skip(&rd, 1);
	wbuf_get_u8(&rd, &proto);
	wbuf_skip(&rd, 2);
	wbuf_get_u32(&rd, &src);
	wbuf_get_u32(&rd, &dst);
	size_t hl = (size_t)(vihl & 0x0f) * 4;
	/* ipv4_input reassembles and validates; anything else here is malformed. */
	if (rd.err || vihl >> 4 != 4 || hl < IP_HLEN || total < hl || total > p->len ||
	    (frag & 0x3fff)) {
		if (proto == IPPROTO_AH_)
			st->g.malformed_ah++;
		else
			st->g.malformed_esp++;
		pkt_free(p);
		return;
	}
	p->len = total;
	if (proto == IPPROTO_AH_) {
		input_ah(st, p, src, dst);
	} else if (proto == IPPROTO_ESP_) {
		pkt_pull(p, hl);
		input_esp(st, p, src, dst, false, NULL);
	} else {
		st->g.not_ipsec++;
		pkt_free(p);
	}
}

void ipsec_input_udp(struct router *r, struct pkt *p, uint32_t src, uint16_t sport, uint32_t dst)
{
	/* The peer's port is IKE's to follow (natt_rx_port in src/ike/natt.c);
	 * an ESP packet's source port moves nothing. */
	(void)sport;
	input_esp(r->ipsec, p, src, dst, true, NULL);
}
