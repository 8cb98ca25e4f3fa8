#include "net/inet.h"

#include "core/wbuf.h"

uint32_t inet_sum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	/* 64-bit accumulator so long buffers need no folding inside the loop. */
	uint64_t s = sum;
	while (len >= 2) {
		s += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t inet_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t inet_cksum(const void *data, size_t len) { return inet_fold(inet_sum(data, len, 0)); }

uint16_t inet_cksum_update16(uint16_t cksum, uint16_t old, uint16_t new_)
{
	/* HC' = ~(~HC + ~m + m'), which never yields the 0xffff/-0 ambiguity of eqn. 2. */
	uint32_t s = (uint16_t)~cksum;
	s += (uint16_t)~old;
	s += new_;
	return inet_fold(s);
}

uint32_t inet_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

void ip_set_cksum(uint8_t *ip)
{
	size_t hlen = (size_t)(ip[IPH_VHL] & 0x0f) * 4;
	ip[IPH_SUM] = ip[IPH_SUM + 1] = 0;
	wbuf_st16(ip + IPH_SUM, inet_cksum(ip, hlen));
}
