/*
 * AH (RFC 4302) in tunnel mode.  The ICV covers the outer IPv4 header with
 * its mutable fields (TOS, flags + fragment offset, TTL, checksum) taken as
 * zero, the AH header with the ICV field zeroed, and everything after it.
 * We never send IPv4 options on the outer header and refuse received ones
 * rather than classify each option's mutability.
 */
#include <string.h>

#include "core/wbuf.h"
#include "ipsec/ipsec_int.h"

void ipsec_ip_header(uint8_t *h, size_t total, uint8_t tos, bool df, uint16_t id, uint8_t ttl,
		     uint8_t proto, uint32_t src, uint32_t dst)
{
	h[0] = 0x45;
	h[1] = tos;
	wbuf_st16(h + 2, (uint16_t)total);
	wbuf_st16(h + 4, id);
	wbuf_st16(h + 6, df ? 0x4000 : 0);
	h[8] = ttl;
	h[9] = proto;
	wbuf_st16(h + 10, 0);
	wbuf_st32(h + 12, src);
	wbuf_st32(h + 16, dst);
	if (ttl)
		wbuf_st16(h + 10, inet_cksum(h, IP_HLEN));
}

bool ah_peek_spi(const struct pkt *p, size_t off, uint32_t *spi)
{
	if (p->len < off + AH_HDR_LEN)
		return false;
	*spi = wbuf_be32(p->data + off + 4);
	return true;
}

enum ipsec_drop ah_encap(struct ipsec_sa *sa, struct pkt *p, uint8_t nh, uint32_t src,
			 uint32_t dst, uint8_t tos, bool df, uint16_t id)
{
	size_t icvl = sa->auth->icv_len, ahlen = AH_HDR_LEN + icvl;
	if (pkt_headroom(p) < ahlen + IP_HLEN)
		return DROP_NO_ROOM;
	if (p->len + ahlen + IP_HLEN > PKT_MAX_IP)
		return DROP_INVALID_LEN;
	uint64_t seq = ipsec_seq_next(&sa->seq, IPSEC_SEQ_MAX);
	if (!seq)
		return DROP_ROLLOVER;

	uint8_t *ah = pkt_push(p, ahlen);
	ah[0] = nh;
	ah[1] = (uint8_t)(ahlen / 4 - 2);
	ah[2] = ah[3] = 0;
	wbuf_st32(ah + 4, sa->spi);
	wbuf_st32(ah + 8, (uint32_t)seq);
	memset(ah + AH_HDR_LEN, 0, icvl);

	uint8_t *ip = pkt_push(p, IP_HLEN);
	/* Mutable fields zero while signing. */
	ipsec_ip_header(ip, p->len, 0, false, id, 0, IPPROTO_AH_, src, dst);
	if (crypto_integ_oneshot(&sa->cx.integ, p->data, p->len, ah + AH_HDR_LEN) < 0)
		return DROP_INTERNAL;
	ipsec_ip_header(ip, p->len, tos, df, id, OUTER_TTL, IPPROTO_AH_, src, dst);
	return DROP_NONE;
}

enum ipsec_drop ah_decap(struct ipsec_sa *sa, struct pkt *p, uint8_t *next_hdr)
{
	size_t icvl = sa->auth->icv_len, ahlen = AH_HDR_LEN + icvl;
	if (p->len < IP_HLEN + ahlen || (p->data[0] & 0x0f) != 5)
		return DROP_INVALID_LEN;
	uint8_t *ah = p->data + IP_HLEN;
	/* The length field must describe exactly this SA's ICV. */
	if (((size_t)ah[1] + 2) * 4 != ahlen)
		return DROP_INVALID_LEN;
	uint64_t seq = wbuf_be32(ah + 8);
	if (!sa->no_replay && !replay_check(&sa->rw, seq))
		return DROP_REPLAY;

	uint8_t hdr[IP_HLEN], icv[CRYPTO_MAC_MAX];
	memcpy(hdr, p->data, IP_HLEN);
	hdr[1] = 0;
	hdr[6] = hdr[7] = 0;
	hdr[8] = 0;
	hdr[10] = hdr[11] = 0;
	memcpy(icv, ah + AH_HDR_LEN, icvl);
	memset(ah + AH_HDR_LEN, 0, icvl);
	if (crypto_integ_begin(&sa->cx.integ) < 0 || crypto_integ_update(&sa->cx.integ, hdr, IP_HLEN) < 0 ||
	    crypto_integ_update(&sa->cx.integ, ah, p->len - IP_HLEN) < 0)
		return DROP_INTERNAL;
	if (crypto_integ_verify(&sa->cx.integ, icv) < 0)
		return DROP_AUTH;
	if (!sa->no_replay && !replay_update(&sa->rw, seq))
		return DROP_REPLAY;
	*next_hdr = ah[0];
	pkt_pull(p, IP_HLEN + ahlen);
	return DROP_NONE;
}
