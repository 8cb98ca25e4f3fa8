/*
 * libFuzzer target for the ISAKMP codec: decode arbitrary bytes (as a
 * cleartext message and as a decrypted body with padding), then re-encode
 * what decoded and check that it decodes again to the same thing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike/isakmp.h"

static void reencode_sa(const struct isakmp_pl *p)
{
	static struct isakmp_sa sa, sa2;
	static uint8_t out[65536];
	if (isakmp_parse_sa(p->body, p->len, &sa) != ISAKMP_OK)
		abort();	/* validated in the chain walk: must decode */
	int n = isakmp_encode_sa_body(&sa, out, sizeof(out));
	if (n < 0)
		return;
	if (isakmp_parse_sa(out, (size_t)n, &sa2) != ISAKMP_OK || sa2.nprop != sa.nprop)
		abort();
	/* TV attributes and TLVs of 1-4 bytes re-encode to the same shape; others verbatim. */
	for (size_t i = 0; i < sa.nprop; i++)
		if (sa2.p[i].ntrans != sa.p[i].ntrans || sa2.p[i].proto != sa.p[i].proto)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct isakmp_msg m, m2;
	static uint8_t out[70000];
	if (isakmp_decode(data, size, &m) == ISAKMP_OK) {
		struct isakmp_wr w;
		isakmp_wr_init(&w, out, sizeof(out), &m.hdr);
		for (size_t i = 0; i < m.npl; i++) {
			const struct isakmp_pl *p = &m.pl[i];
			isakmp_put_raw(&w, p->type, p->body, p->len);
			if (p->type == ISAKMP_NP_SA)
				reencode_sa(p);
		}
		int n = isakmp_wr_finish(&w);
		/* Same payloads in the same chain: identical bytes, and it decodes again. */
		if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0)
			abort();
		if (isakmp_decode(out, (size_t)n, &m2) != ISAKMP_OK || m2.npl != m.npl)
			abort();
	}
	if (size > 1)
		isakmp_parse_payloads(data[0], data + 1, size - 1, true, &m);
	return 0;
}
