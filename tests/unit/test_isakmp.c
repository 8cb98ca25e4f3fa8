/* The ISAKMP codec: round trips and every malformed-length case. */
#include "t.h"

#include <stdlib.h>
#include <string.h>

#include "ike/isakmp.h"

/* A message with every payload type we build, as a peer could send it. */
static int build_all(uint8_t *buf, size_t cap)
{
	struct isakmp_hdr h = { .version = ISAKMP_VERSION, .exch = ISAKMP_EXCH_IDPROT, .msgid = 0 };
	memset(h.icookie, 0xaa, 8);
	memset(h.rcookie, 0xbb, 8);
	struct isakmp_sa *sa = calloc(1, sizeof(*sa));
	sa->doi = ISAKMP_DOI_IPSEC;
	sa->situation = ISAKMP_SIT_IDENTITY_ONLY;
	sa->nprop = 2;
	static const uint8_t big[6] = { 1, 2, 3, 4, 5, 6 };
	for (int p = 0; p < 2; p++) {
		struct isakmp_proposal *pp = &sa->p[p];
		pp->num = 1;
		pp->proto = p ? ISAKMP_PROTO_ESP : ISAKMP_PROTO_AH;
		pp->spi_size = 4;
		memset(pp->spi, 0x10 + p, 4);
		pp->ntrans = 2;
		for (int t = 0; t < 2; t++) {
			struct isakmp_transform *tt = &pp->t[t];
			tt->num = (uint8_t)(t + 1);
			tt->id = 3;
			tt->nattr = 3;
			tt->attr[0] = (struct isakmp_attr){ .type = 1, .tv = true, .ival = 1 };
			tt->attr[1] = (struct isakmp_attr){ .type = 2, .ival = 4608000 };	/* TLV, 4 bytes */
			tt->attr[2] = (struct isakmp_attr){ .type = 9, .len = 6, .val = big };
		}
	}
	struct isakmp_wr w;
	isakmp_wr_init(&w, buf, cap, &h);
	isakmp_put_sa(&w, sa);
	free(sa);
	uint8_t ke[96], nonce[20], hash[20], addr[4] = { 10, 1, 1, 1 }, spi[16], spis[8];
	memset(ke, 0x44, sizeof(ke));
	memset(nonce, 0x55, sizeof(nonce));
	memset(hash, 0x66, sizeof(hash));
	memset(spi, 0x77, sizeof(spi));
	memset(spis, 0x88, sizeof(spis));
	isakmp_put_raw(&w, ISAKMP_NP_KE, ke, sizeof(ke));
	isakmp_put_raw(&w, ISAKMP_NP_NONCE, nonce, sizeof(nonce));
	struct isakmp_id id = { ID_IPV4_ADDR, 17, 500, addr, 4 };
	isakmp_put_id(&w, &id);
	isakmp_put_raw(&w, ISAKMP_NP_HASH, hash, sizeof(hash));
	struct isakmp_notify n = { 1, ISAKMP_PROTO_ISAKMP, 16, ISAKMP_N_INITIAL_CONTACT, spi, NULL, 0 };
	isakmp_put_notify(&w, &n);
	struct isakmp_delete d = { 1, ISAKMP_PROTO_ESP, 4, 2, spis };
	isakmp_put_delete(&w, &d);
	isakmp_put_raw(&w, ISAKMP_NP_VID, isakmp_vid_dpd, 16);
	isakmp_put_raw(&w, ISAKMP_NP_NATD, hash, sizeof(hash));
	uint8_t cert[5] = { 4, 1, 2, 3, 4 };
	isakmp_put_raw(&w, ISAKMP_NP_CERT, cert, sizeof(cert));
	isakmp_put_raw(&w, ISAKMP_NP_SIG, hash, sizeof(hash));
	return isakmp_wr_finish(&w);
}

TEST(isakmp_round_trip_every_payload)
{
	uint8_t buf[2048], again[2048];
	int len = build_all(buf, sizeof(buf));
	CHECK(len > 0);
	struct isakmp_msg *m = calloc(1, sizeof(*m));
	CHECK(isakmp_decode(buf, (size_t)len, m) == ISAKMP_OK);
	CHECK(m->npl == 11);
	CHECK(m->hdr.exch == ISAKMP_EXCH_IDPROT && m->hdr.len == (uint32_t)len && m->hdr.icookie[0] == 0xaa);
	static const uint8_t order[] = { ISAKMP_NP_SA, ISAKMP_NP_KE, ISAKMP_NP_NONCE, ISAKMP_NP_ID, ISAKMP_NP_HASH,
					 ISAKMP_NP_N, ISAKMP_NP_D, ISAKMP_NP_VID, ISAKMP_NP_NATD, ISAKMP_NP_CERT,
					 ISAKMP_NP_SIG };
	for (size_t i = 0; i < m->npl && i < sizeof(order); i++)
		CHECK(m->pl[i].type == order[i]);
	struct isakmp_sa *sa = calloc(1, sizeof(*sa));
	CHECK(isakmp_parse_sa(m->pl[0].body, m->pl[0].len, sa) == ISAKMP_OK);
	CHECK(sa->nprop == 2 && sa->p[1].proto == ISAKMP_PROTO_ESP && sa->p[1].ntrans == 2);
	const struct isakmp_attr *a = isakmp_attr_find(&sa->p[1].t[1], 2);
	CHECK(a && !a->tv && a->len == 4 && a->has_ival && a->ival == 4608000);
	a = isakmp_attr_find(&sa->p[0].t[0], 1);
	CHECK(a && a->tv && a->ival == 1);
	a = isakmp_attr_find(&sa->p[0].t[0], 9);
	CHECK(a && a->len == 6 && !a->has_ival && a->val[5] == 6);
	struct isakmp_id id;
	CHECK(isakmp_parse_id(m->pl[3].body, m->pl[3].len, &id) == ISAKMP_OK);
	CHECK(id.type == ID_IPV4_ADDR && id.proto == 17 && id.port == 500 && id.data[0] == 10);
	struct isakmp_notify n;
	CHECK(isakmp_parse_notify(m->pl[5].body, m->pl[5].len, &n) == ISAKMP_OK);
	CHECK(n.type == ISAKMP_N_INITIAL_CONTACT && n.spi_size == 16 && n.datalen == 0);
	struct isakmp_delete d;
	CHECK(isakmp_parse_delete(m->pl[6].body, m->pl[6].len, &d) == ISAKMP_OK);
	CHECK(d.nspi == 2 && d.proto == ISAKMP_PROTO_ESP && d.spis[7] == 0x88);

	/* Re-encoding the decoded SA gives the same bytes. */
	int sl = isakmp_encode_sa_body(sa, again, sizeof(again));
	CHECK(sl == (int)m->pl[0].len);
	CHECK_MEM(again, m->pl[0].body, m->pl[0].len);
	free(sa);
	free(m);
}

TEST(isakmp_every_truncation_rejected)
{
	uint8_t buf[2048];
	int len = build_all(buf, sizeof(buf));
	struct isakmp_msg *m = calloc(1, sizeof(*m));
	int bad = 0;
	for (int n = 0; n < len; n++) {
		/* The header length tracks the cut, so only the payload chain can object. */
		uint8_t c[2048];
		memcpy(c, buf, (size_t)n);
		if (n >= 28) {
			c[24] = (uint8_t)(n >> 24); c[25] = (uint8_t)(n >> 16);
			c[26] = (uint8_t)(n >> 8); c[27] = (uint8_t)n;
		}
		bad += isakmp_decode(c, (size_t)n, m) != ISAKMP_OK;
	}
	CHECK(bad == len);
	free(m);
}

static enum isakmp_err decode_patched(const uint8_t *buf, int len, size_t off, uint8_t v)
{
	static uint8_t c[2048];
	static struct isakmp_msg m;
	memcpy(c, buf, (size_t)len);
	c[off] = v;
	return isakmp_decode(c, (size_t)len, &m);
}

TEST(isakmp_malformed_lengths_and_fields)
{
	uint8_t buf[2048];
	int len = build_all(buf, sizeof(buf));
	struct isakmp_msg *m = calloc(1, sizeof(*m));
	/* Header length disagreeing with the datagram. */
	CHECK(decode_patched(buf, len, 27, (uint8_t)(buf[27] + 1)) == ISAKMP_E_LENGTH);
	/* Major version 2 (IKEv2) is not ours; a minor version is ignored. */
	CHECK(decode_patched(buf, len, 17, 0x20) == ISAKMP_E_VERSION);
	CHECK(decode_patched(buf, len, 17, 0x11) == ISAKMP_OK);
	/* Unknown flag bits. */
	CHECK(decode_patched(buf, len, 19, 0x80) == ISAKMP_E_RESERVED);
	/* First payload (SA) at 28: reserved byte, length too big, length below 4. */
	CHECK(decode_patched(buf, len, 29, 1) == ISAKMP_E_RESERVED);
	CHECK(decode_patched(buf, len, 30, 0xff) == ISAKMP_E_LENGTH);
	{
		uint8_t c[2048];
		memcpy(c, buf, (size_t)len);
		c[30] = 0; c[31] = 3;
		CHECK(isakmp_decode(c, (size_t)len, m) == ISAKMP_E_LENGTH);
	}
	/* Unknown next-payload type in the header and in the chain. */
	CHECK(decode_patched(buf, len, 16, 99) == ISAKMP_E_PAYLOAD);
	CHECK(decode_patched(buf, len, 16, ISAKMP_NP_P) == ISAKMP_E_PAYLOAD);
	/* SA: DOI not IPsec. */
	CHECK(decode_patched(buf, len, 35, 2) == ISAKMP_E_CONTENT);
	/* Proposal 1 at 40: its next-payload must be 2 or 0; its transform count must agree. */
	CHECK(decode_patched(buf, len, 40, 5) == ISAKMP_E_PAYLOAD);
	CHECK(decode_patched(buf, len, 47, 3) != ISAKMP_OK);
	CHECK(decode_patched(buf, len, 47, 1) != ISAKMP_OK);
	CHECK(decode_patched(buf, len, 47, 0) == ISAKMP_E_CONTENT);
	/* Transform 1 at 52: a wrong next-payload, a nonzero reserved byte. */
	CHECK(decode_patched(buf, len, 52, 0) == ISAKMP_E_PAYLOAD);
	CHECK(decode_patched(buf, len, 53, 1) == ISAKMP_E_RESERVED);
	CHECK(decode_patched(buf, len, 58, 1) == ISAKMP_E_RESERVED);
	/* Attributes start at 60 (TV); the TLV after it has its length at 66: claim too much. */
	CHECK(decode_patched(buf, len, 66, 0xff) == ISAKMP_E_LENGTH);
	CHECK(decode_patched(buf, len, 67, 3) != ISAKMP_OK);
	/* Trailing bytes after the chain, in a cleartext message. */
	{
		uint8_t c[2048];
		memcpy(c, buf, (size_t)len);
		c[len] = 0;
		int l2 = len + 1;
		c[24] = (uint8_t)(l2 >> 24); c[25] = (uint8_t)(l2 >> 16); c[26] = (uint8_t)(l2 >> 8); c[27] = (uint8_t)l2;
		CHECK(isakmp_decode(c, (size_t)l2, m) == ISAKMP_E_TRAILING);
		/* ...accepted as padding only in a decrypted body. */
		CHECK(isakmp_parse_payloads(c[16], c + 28, (size_t)l2 - 28, true, m) == ISAKMP_OK && m->padding == 1);
	}
	free(m);
}

TEST(isakmp_payload_specific_rules)
{
	uint8_t b[64];
	struct isakmp_id id;
	struct isakmp_notify n;
	struct isakmp_delete d;
	memset(b, 0, sizeof(b));
	/* ID_IPV4_ADDR is 4 bytes, ID_IPV4_ADDR_SUBNET 8; type 0 does not exist. */
	b[0] = ID_IPV4_ADDR;
	CHECK(isakmp_parse_id(b, 8, &id) == ISAKMP_OK);
	CHECK(isakmp_parse_id(b, 9, &id) == ISAKMP_E_LENGTH);
	b[0] = ID_IPV4_ADDR_SUBNET;
	CHECK(isakmp_parse_id(b, 12, &id) == ISAKMP_OK && id.len == 8);
	CHECK(isakmp_parse_id(b, 8, &id) == ISAKMP_E_LENGTH);
	b[0] = 0;
	CHECK(isakmp_parse_id(b, 8, &id) == ISAKMP_E_CONTENT);
	CHECK(isakmp_parse_id(b, 3, &id) == ISAKMP_E_SHORT);
	/* Notify: the SPI must fit. */
	memset(b, 0, sizeof(b));
	b[5] = 16;
	CHECK(isakmp_parse_notify(b, 8 + 16, &n) == ISAKMP_OK && n.datalen == 0);
	CHECK(isakmp_parse_notify(b, 8 + 15, &n) == ISAKMP_E_LENGTH);
	b[5] = 17;
	CHECK(isakmp_parse_notify(b, 64, &n) == ISAKMP_E_CONTENT);
	/* Delete: SPI size follows the protocol, count x size is exactly the rest. */
	memset(b, 0, sizeof(b));
	b[4] = ISAKMP_PROTO_ESP; b[5] = 4; b[7] = 2;
	CHECK(isakmp_parse_delete(b, 16, &d) == ISAKMP_OK);
	CHECK(isakmp_parse_delete(b, 15, &d) == ISAKMP_E_LENGTH);
	CHECK(isakmp_parse_delete(b, 20, &d) == ISAKMP_E_LENGTH);
	b[5] = 16;
	CHECK(isakmp_parse_delete(b, 40, &d) == ISAKMP_E_CONTENT);
	b[4] = ISAKMP_PROTO_ISAKMP; b[7] = 1;
	CHECK(isakmp_parse_delete(b, 24, &d) == ISAKMP_OK);
	b[7] = 0;
	CHECK(isakmp_parse_delete(b, 8, &d) == ISAKMP_E_CONTENT);
}

TEST(isakmp_nonce_bounds_and_payload_limit)
{
	uint8_t buf[8192];
	struct isakmp_hdr h = { .version = ISAKMP_VERSION, .exch = ISAKMP_EXCH_IDPROT };
	struct isakmp_msg *m = calloc(1, sizeof(*m));
	uint8_t nonce[300];
	memset(nonce, 1, sizeof(nonce));
	size_t sizes[] = { 7, 8, 256, 257 };
	enum isakmp_err want[] = { ISAKMP_E_CONTENT, ISAKMP_OK, ISAKMP_OK, ISAKMP_E_CONTENT };
	for (int i = 0; i < 4; i++) {
		struct isakmp_wr w;
		isakmp_wr_init(&w, buf, sizeof(buf), &h);
		isakmp_put_raw(&w, ISAKMP_NP_NONCE, nonce, sizes[i]);
		int len = isakmp_wr_finish(&w);
		CHECK(isakmp_decode(buf, (size_t)len, m) == want[i]);
	}
	/* 32 payloads are accepted, 33 are not. */
	for (int k = 32; k <= 33; k++) {
		struct isakmp_wr w;
		isakmp_wr_init(&w, buf, sizeof(buf), &h);
		for (int i = 0; i < k; i++)
			isakmp_put_raw(&w, ISAKMP_NP_VID, isakmp_vid_dpd, 16);
		int len = isakmp_wr_finish(&w);
		CHECK(isakmp_decode(buf, (size_t)len, m) == (k == 32 ? ISAKMP_OK : ISAKMP_E_TOO_MANY));
	}
	/* Writer overflow is reported, not truncated silently. */
	struct isakmp_wr w;
	isakmp_wr_init(&w, buf, 40, &h);
	isakmp_put_raw(&w, ISAKMP_NP_NONCE, nonce, 20);
	CHECK(isakmp_wr_finish(&w) < 0);
	free(m);
}
