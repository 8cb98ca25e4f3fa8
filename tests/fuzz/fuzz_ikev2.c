/*
 * libFuzzer target for the IKEv2 codec: decode arbitrary bytes as a
 * datagram; parse every payload it holds by type and re-encode those we
 * write, checking they decode to the same thing; walk an SK body as if it
 * were decrypted; and run the Encrypted-payload open path under fixed keys
 * so its length and padding checks meet every shape of input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "ikev2/ikev2_sk.h"

static void reencode(const struct ikev2_pl *p)
{
	static struct ikev2_props sa, sa2;
	static struct ikev2_tsp ts, ts2;
	static uint8_t out[70000];
	struct ikev2_hdr h = { 0 };
	struct ikev2_wr w;
	struct ikev2_msg m;
	ikev2_wr_init(&w, out, sizeof(out), &h);
	if (p->type == IKEV2_PL_SA && ikev2_parse_sa(p, &sa) == 0) {
		ikev2_put_sa(&w, &sa);
		size_t n = ikev2_wr_finish(&w);
		if (!n || ikev2_decode(out, n, &m) != 0 || ikev2_parse_sa(&m.pl[0], &sa2) != 0 ||
		    sa2.nprop != sa.nprop)
			abort();
		for (size_t i = 0; i < sa.nprop; i++)
			if (sa2.prop[i].nxf != sa.prop[i].nxf || sa2.prop[i].proto != sa.prop[i].proto)
				abort();
	} else if ((p->type == IKEV2_PL_TSI || p->type == IKEV2_PL_TSR) && ikev2_parse_ts(p, &ts) == 0 &&
		   ts.nts) {
		ikev2_put_ts(&w, p->type, &ts);
		size_t n = ikev2_wr_finish(&w);
		if (!n || ikev2_decode(out, n, &m) != 0 || ikev2_parse_ts(&m.pl[0], &ts2) != 0 ||
		    ts2.nts != ts.nts || memcmp(ts2.ts, ts.ts, ts.nts * sizeof(ts.ts[0])))
			abort();
	}
}

static void parse_all(const struct ikev2_msg *m)
{
	for (size_t i = 0; i < m->npl; i++) {
		const struct ikev2_pl *p = &m->pl[i];
		struct ikev2_ke ke;
		struct ikev2_id id;
		struct ikev2_auth au;
		struct ikev2_notify n;
		struct ikev2_delete d;
		const uint8_t *nonce;
		size_t nl;
		switch (p->type) {
		case IKEV2_PL_KE: (void)ikev2_parse_ke(p, &ke); break;
		case IKEV2_PL_IDI:
		case IKEV2_PL_IDR: (void)ikev2_parse_id(p, &id); break;
		case IKEV2_PL_AUTH: (void)ikev2_parse_auth(p, &au); break;
		case IKEV2_PL_NONCE: (void)ikev2_parse_nonce(p, &nonce, &nl); break;
		case IKEV2_PL_N: (void)ikev2_parse_notify(p, &n); break;
		case IKEV2_PL_D:
			if (ikev2_parse_delete(p, &d) == 0 && d.nspi && d.spis[(size_t)d.nspi * d.spi_len - 1] == 0x5a)
				(void)0;	/* touch the last SPI byte: ASan checks the bound */
			break;
		default: reencode(p); break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ikev2_msg m;
	static uint8_t buf[70000];
	static struct ikev2_sk sk;
	static bool keyed;
	if (size > sizeof(buf))
		return 0;
	if (!keyed) {
		static const struct ikev2_sk_alg cbc = { "AES-128-CBC", false, 16, 16, 16, "SHA2-256", 32, 16 };
		struct ikev2_ike_keys k = { .integ_len = 32, .enc_len = 16 };
		if (ikev2_sk_init(&sk, &cbc, &k, false) != 0)
			abort();
		keyed = true;
	}
	memcpy(buf, data, size);
	if (ikev2_decode(buf, size, &m) != 0)
		return 0;
	parse_all(&m);
	if (m.sk) {
		/* The body as if it were already plaintext. */
		struct ikev2_msg inner = m;
		if (ikev2_decode_inner(&inner, m.sk_inner_np, m.sk->body, m.sk->len) == 0)
			parse_all(&inner);
		if (m.sk->type == IKEV2_PL_SKF) {	/* RFC 7383: verified alone, not walked */
			uint8_t *pt;
			size_t ptlen;
			if (ikev2_sk_decrypt(&sk, buf, size, &m, &pt, &ptlen) == IKEV2_SK_OK && ptlen && pt[ptlen - 1] == 0x5a)
				(void)0;	/* touch the last plaintext byte: ASan checks the bound */
		} else {
			(void)ikev2_sk_open(&sk, buf, size, &m);
		}
	}
	return 0;
}
