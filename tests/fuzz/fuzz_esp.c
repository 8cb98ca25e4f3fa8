/* Arbitrary bytes into ESP decapsulation (raw and UDP-encapsulated). */
#include "ipsec_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct router *r = fz_router();
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	data++;
	size--;
	if (mode & 1) {
		struct pkt *p = pkt_alloc();
		if (size > 60000)
			size = 60000;
		memcpy(p->data, data, size);
		p->len = size;
		ipsec_input_udp(r, p, FZ_PEER, 4500, FZ_LOCAL);
	} else if (mode & 2) {
		/* The whole IPv4 packet from the input, header included. */
		struct pkt *p = pkt_alloc();
		if (size > 60000)
			size = 60000;
		memcpy(p->data, data, size);
		p->len = size;
		ipsec_input(r, p);
	} else {
		fz_feed_ip(r, 50, data, size);
	}
	return 0;
}
