/*
 * Arbitrary virtio-net headers and frames into gso_input (src/net/gso.c):
 * the first 10 bytes are the header, the 11th picks the link header length
 * (0: TUN, else Ethernet), the rest is the frame.  Every segment produced
 * must be a whole IPv4 packet whose header checksum verifies and which is
 * no longer than the frame it came from.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/pkt.h"
#include "core/wbuf.h"
#include "net/gso.h"
#include "net/inet.h"

struct ctx {
	size_t l2len, inlen;
};

static void emit(void *arg, struct pkt *seg)
{
	struct ctx *c = arg;
	const uint8_t *ip = seg->data + c->l2len;
	if (seg->len > c->inlen || seg->len < c->l2len + IP_HLEN ||
	    wbuf_be16(ip + IPH_LEN) != seg->len - c->l2len ||
	    inet_cksum(ip, (size_t)(ip[0] & 0x0f) * 4) != 0)
		abort();
	pkt_free(seg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < VNET_HDR_LEN + 1)
		return 0;
	struct vnet_hdr vh;
	vnet_hdr_get(&vh, data);
	struct ctx c = { data[VNET_HDR_LEN] & 1 ? 14 : 0, 0 };
	data += VNET_HDR_LEN + 1;
	size -= VNET_HDR_LEN + 1;
	if (size > PKT_MAX_IP)
		size = PKT_MAX_IP;
	struct pkt *p = pkt_alloc();
	p->data = p->buf + PKT_HEADROOM - c.l2len;
	memcpy(p->data, data, size);
	p->len = size;
	c.inlen = size;
	struct gso_stats st = { 0 };
	const char *why;
	if (gso_input(p, c.l2len, &vh, emit, &c, &st, &why) != GSO_SEGMENTED)
		pkt_free(p);
	if (pkt_in_use() != 0)
		abort();
	return 0;
}
