/*
 * ikev2_pcap OUT.pcap cbc|gcm: writes the messages of an IKEv2 exchange
 * built with spigot's codec, key derivation and Encrypted payload (real
 * DH group 14, random nonces): IKE_SA_INIT request and response, IKE_AUTH
 * request and response, an INFORMATIONAL carrying INVALID_SPI and a
 * Delete.  Prints one line for tshark's ikev2_decryption_table:
 *   KEYS <SPIi> <SPIr> <SK_ei> <SK_er> <SK_ai> <SK_ar>
 * so that a dissector nobody here wrote can decrypt and check them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "config/config.h"
#include "core/wbuf.h"
#include "crypto/dh.h"
#include "ikev2/ikev2_keys.h"
#include "ikev2/ikev2_int.h"
#include "ikev2/ikev2_sk.h"

static FILE *pcap;
static unsigned tick;

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put32(uint32_t v) { fwrite(&v, 4, 1, pcap); }

/* One IPv4/UDP 500 datagram, A (10.1.1.1) <-> B (10.2.2.2). */
static void dump(bool from_a, const uint8_t *d, size_t len)
{
	uint8_t ip[28] = { 0x45 };
	size_t tot = 28 + len;
	wbuf_st16(ip + 2, (uint16_t)tot);
	ip[8] = 64;
	ip[9] = 17;
	wbuf_st32(ip + 12, from_a ? 0x0a010101 : 0x0a020202);
	wbuf_st32(ip + 16, from_a ? 0x0a020202 : 0x0a010101);
	wbuf_st16(ip + 10, csum(ip, 20));
	wbuf_st16(ip + 20, 500);
	wbuf_st16(ip + 22, 500);
	wbuf_st16(ip + 24, (uint16_t)(8 + len));
	put32(1700000000 + tick++);
	put32(0);
	put32((uint32_t)tot);
	put32((uint32_t)tot);
	fwrite(ip, 1, sizeof(ip), pcap);
	fwrite(d, 1, len, pcap);
}

static void hex(const char *tag, const uint8_t *p, size_t n)
{
	printf("%s", tag);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static void ike_proposal(struct ikev2_props *sa, bool gcm)
{
	struct ikev2_prop *p = &sa->prop[0];
	memset(sa, 0, sizeof(*sa));
	sa->nprop = 1;
	p->num = 1;
	p->proto = IKEV2_PROTO_IKE;
	p->xf[p->nxf++] = (struct ikev2_xf){ IKEV2_XF_ENCR, gcm ? IKEV2_ENCR_AES_GCM_16 : IKEV2_ENCR_AES_CBC, 128, false };
	if (!gcm)
		p->xf[p->nxf++] = (struct ikev2_xf){ IKEV2_XF_INTEG, IKEV2_AUTH_HMAC_SHA2_256_128, 0, false };
	p->xf[p->nxf++] = (struct ikev2_xf){ IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0, false };
	p->xf[p->nxf++] = (struct ikev2_xf){ IKEV2_XF_DH, 14, 0, false };
}

static void esp_proposal(struct ikev2_props *sa, uint32_t spi)
{
	struct ikev2_prop *p = &sa->prop[0];
	memset(sa, 0, sizeof(*sa));
	sa->nprop = 1;
	p->num = 1;
	p->proto = IKEV2_PROTO_ESP;
	p->spi_len = 4;
	wbuf_st32(p->spi, spi);
	p->xf[p->nxf++] = (struct ikev2_xf){ IKEV2_XF_ENCR, IKEV2_ENCR_AES_CBC, 256, false };
	p->xf[p->nxf++] = (struct ikev2_xf){ IKEV2_XF_INTEG, IKEV2_AUTH_HMAC_SHA1_96, 0, false };
	p->xf[p->nxf++] = (struct ikev2_xf){ IKEV2_XF_ESN, IKEV2_ESN_NO, 0, false };
}

static struct ikev2_tsp tsp(uint32_t lo, uint32_t hi)
{
	struct ikev2_tsp t = { .nts = 1 };
	t.ts[0] = (struct ikev2_ts){ IKEV2_TS_IPV4_ADDR_RANGE, 0, 0, 65535, lo, hi };
	return t;
}

struct side {
	struct dh *dh;
	uint8_t nonce[32], pub[DH_MAX_PUB];
	uint8_t first[4096];	/* its IKE_SA_INIT message, signed in AUTH */
	size_t first_len;
};

static size_t sa_init(struct side *s, const struct ikev2_hdr *h, bool gcm, uint8_t *buf)
{
	struct ikev2_wr w;
	struct ikev2_props sa;
	uint8_t natd[20];
	ike_proposal(&sa, gcm);
	ikev2_wr_init(&w, buf, 4096, h);
	ikev2_put_sa(&w, &sa);
	ikev2_put_ke(&w, 14, s->pub, 256);
	ikev2_put_nonce(&w, s->nonce, 32);
	RAND_bytes(natd, sizeof(natd));
	ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, natd, 20);
	ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, natd, 20);
	ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	s->first_len = ikev2_wr_finish(&w);
	memcpy(s->first, buf, s->first_len);
	return s->first_len;
}

static size_t auth_msg(struct ikev2_sk *sk, const struct ikev2_hdr *h, const struct side *me,
		       const struct side *peer, const uint8_t *sk_p, uint32_t addr, uint32_t spi,
		       uint8_t *buf)
{
	struct ikev2_wr w;
	struct ikev2_props sa;
	uint8_t id[8] = { IKEV2_ID_IPV4_ADDR }, auth[PRF_MAX_LEN], a4[4];
	bool ini = h->flags & IKEV2_FLAG_INITIATOR;
	wbuf_st32(a4, addr);
	memcpy(id + 4, a4, 4);
	ikev2_psk_auth(IKE_HASH_SHA256, (const uint8_t *)"cisco123", 8, me->first, me->first_len,
		       peer->nonce, 32, sk_p, id, 8, auth);
	ikev2_wr_init(&w, buf, 4096, h);
	size_t at = ikev2_sk_begin(&w, sk);
	ikev2_put_id(&w, ini ? IKEV2_PL_IDI : IKEV2_PL_IDR, IKEV2_ID_IPV4_ADDR, a4, 4);
	ikev2_put_auth(&w, IKEV2_AUTH_METHOD_PSK, auth, 32);
	if (ini)
		ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	esp_proposal(&sa, spi);
	ikev2_put_sa(&w, &sa);
	struct ikev2_tsp ti = tsp(0x0a000000, 0x0a0000ff), tr = tsp(0x0a000200, 0x0a0002ff);
	ikev2_put_ts(&w, IKEV2_PL_TSI, &ti);
	ikev2_put_ts(&w, IKEV2_PL_TSR, &tr);
	return ikev2_sk_seal(&w, sk, at);
}

int main(int argc, char **argv)
{
	static uint8_t buf[4096];
	static struct side a, b;
	bool gcm = argc == 3 && !strcmp(argv[2], "gcm");
	if (argc != 3 || !(pcap = fopen(argv[1], "wb"))) {
		fprintf(stderr, "usage: ikev2_pcap OUT.pcap cbc|gcm\n");
		return 2;
	}
	put32(0xa1b2c3d4);
	fwrite("\x02\x00\x04\x00", 4, 1, pcap);
	put32(0);
	put32(0);
	put32(65535);
	put32(101);		/* LINKTYPE_RAW */

	struct ikev2_hdr h = { .exch = IKEV2_EXCH_IKE_SA_INIT, .flags = IKEV2_FLAG_INITIATOR };
	RAND_bytes(h.spi_i, 8);
	struct side *sides[2] = { &a, &b };
	for (int i = 0; i < 2; i++) {
		sides[i]->dh = dh_new(14);
		RAND_bytes(sides[i]->nonce, 32);
		if (!sides[i]->dh || dh_public(sides[i]->dh, sides[i]->pub, sizeof(sides[i]->pub)) != 256)
			return 1;
	}
	dump(true, buf, sa_init(&a, &h, gcm, buf));
	RAND_bytes(h.spi_r, 8);
	h.flags = IKEV2_FLAG_RESPONSE;
	dump(false, buf, sa_init(&b, &h, gcm, buf));

	uint8_t gir[256], gir2[256];
	struct ikev2_ike_keys k = { .integ_len = gcm ? 0 : 32, .enc_len = gcm ? 20 : 16 };
	if (dh_derive(a.dh, b.pub, 256, gir, sizeof(gir)) < 0 || dh_derive(b.dh, a.pub, 256, gir2, sizeof(gir2)) < 0 ||
	    memcmp(gir, gir2, 256) ||
	    ikev2_derive_ike(IKE_HASH_SHA256, NULL, a.nonce, 32, b.nonce, 32, gir, 256, h.spi_i, h.spi_r, &k) < 0)
		return 1;
	const struct ikev2_sk_alg cbc = { "AES-128-CBC", false, 16, 16, 16, "SHA2-256", 32, 16 };
	const struct ikev2_sk_alg gcma = { "AES-128-GCM", true, 16, 8, 1, NULL, 0, 16 };
	struct ikev2_sk ska, skb;
	if (ikev2_sk_init(&ska, gcm ? &gcma : &cbc, &k, true) < 0 || ikev2_sk_init(&skb, gcm ? &gcma : &cbc, &k, false) < 0)
		return 1;

	h.exch = IKEV2_EXCH_IKE_AUTH;
	h.msgid = 1;
	h.flags = IKEV2_FLAG_INITIATOR;
	dump(true, buf, auth_msg(&ska, &h, &a, &b, k.sk_pi, 0x0a010101, 0xc0ffee01, buf));
	h.flags = IKEV2_FLAG_RESPONSE;
	dump(false, buf, auth_msg(&skb, &h, &b, &a, k.sk_pr, 0x0a020202, 0xc0ffee02, buf));

	/* INFORMATIONAL from B: INVALID_SPI for an SPI it does not know, and a Delete. */
	struct ikev2_wr w;
	uint8_t spi[4];
	h.exch = IKEV2_EXCH_INFORMATIONAL;
	h.msgid = 0;
	h.flags = 0;
	ikev2_wr_init(&w, buf, sizeof(buf), &h);
	size_t at = ikev2_sk_begin(&w, &skb);
	wbuf_st32(spi, 0xdeadbeef);
	ikev2_put_notify(&w, IKEV2_PROTO_ESP, NULL, 0, IKEV2_N_INVALID_SPI, spi, 4);
	wbuf_st32(spi, 0xc0ffee02);
	ikev2_put_delete(&w, IKEV2_PROTO_ESP, 4, spi, 1);
	dump(false, buf, ikev2_sk_seal(&w, &skb, at));

	/*
	 * A's Delete of 60 Child SAs, sealed by the engine's RFC 7383 code with
	 * a 200-byte MTU: a train of Encrypted Fragment payloads (one datagram each).
	 */
	static struct ikev2_engine eng;
	static struct ikev2_sa fsa;
	static uint8_t spis[240], train[8192];
	fsa.eng = &eng;
	fsa.sk = ska;
	fsa.frag = true;
	fsa.conf.frag_mtu = 200;
	for (size_t i = 0; i < 60; i++)
		wbuf_st32(spis + 4 * i, 0xc0ff0000u + (uint32_t)i);
	h.msgid = 2;
	h.flags = IKEV2_FLAG_INITIATOR;
	ikev2_wr_init(&w, train, sizeof(train), &h);
	at = ikev2_sk_begin(&w, &fsa.sk);
	ikev2_put_delete(&w, IKEV2_PROTO_ESP, 4, spis, 60);
	size_t tlen = ikev2_seal(&fsa, &w, at);
	if (!tlen || eng.st.frag_tx < 2)
		return 1;
	for (size_t off = 0; off < tlen;) {
		size_t one = wbuf_be32(train + off + 24);
		dump(true, train + off, one);
		off += one;
	}
	ska = fsa.sk;			/* the same keys; its IV counter moved on */

	hex("KEYS ", h.spi_i, 8);
	hex(" ", h.spi_r, 8);
	hex(" ", k.sk_ei, k.enc_len);
	hex(" ", k.sk_er, k.enc_len);
	hex(" ", k.sk_ai, k.integ_len ? k.integ_len : 1);
	hex(" ", k.sk_ar, k.integ_len ? k.integ_len : 1);
	printf("\n");
	ikev2_sk_free(&ska);
	ikev2_sk_free(&skb);
	ikev2_ike_keys_wipe(&k);
	dh_free(a.dh);
	dh_free(b.dh);
	return fclose(pcap) ? 1 : 0;
}
