/*
 * ike_pcap OUT.pcap: runs the seed's IKE between two in-process routers
 * (Main Mode, Quick Mode, a DPD round trip, a Delete, an INVALID-SPI
 * notify) and writes every datagram as IPv4/UDP into a pcap for tshark.
 * Then it prints "COOKIES <icookie> <rcookie> SPI <spi>" (router B's IKE
 * SA and the ESP SPI B sends with), reads hex datagrams from stdin and
 * delivers each to router B as if from A, and ends with
 * "RECORDS <bundles at B> UNPROTECTED <ignored> BADHASH <n>".
 */
#include "../exchange/xlab.c"

#include <stdio.h>

static FILE *pcap;

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

static void dump(struct xlab *x, const struct xl_dgram *d)
{
	uint8_t ip[28];
	size_t tot = 28 + d->len;
	memset(ip, 0, sizeof(ip));
	ip[0] = 0x45;
	wbuf_st16(ip + 2, (uint16_t)tot);
	ip[8] = 64;
	ip[9] = 17;
	wbuf_st32(ip + 12, d->src);
	wbuf_st32(ip + 16, d->dst);
	wbuf_st16(ip + 10, csum(ip, 20));
	wbuf_st16(ip + 20, d->sport);
	wbuf_st16(ip + 22, d->dport);
	wbuf_st16(ip + 24, (uint16_t)(8 + d->len));
	uint64_t t = ev_now(x->ev);
	put32((uint32_t)(t / 1000));
	put32((uint32_t)(t % 1000) * 1000);
	put32((uint32_t)tot);
	put32((uint32_t)tot);
	fwrite(ip, 1, sizeof(ip), pcap);
	fwrite(d->data, 1, d->len, pcap);
}

int main(int argc, char **argv)
{
	static const struct xl_opts seed;
	if (argc != 2) {
		fprintf(stderr, "usage: ike_pcap OUT.pcap\n");
		return 2;
	}
	pcap = fopen(argv[1], "wb");
	if (!pcap)
		return 1;
	put32(0xa1b2c3d4);
	uint16_t v[2] = { 2, 4 };
	fwrite(v, 2, 2, pcap);
	put32(0);
	put32(0);
	put32(65535);
	put32(101);	/* LINKTYPE_RAW: IPv4 */

	struct xl_opts o = seed;
	o.keepalive = 10;
	o.periodic = true;
	struct xlab *x = xl_new(&o);
	x->tap = dump;
	xl_acquire(x, 0);
	xl_run(x, 15000);	/* MM, QM, one DPD exchange */
	const struct ike_record *ra = xl_record(x, 0, 0), *rb = xl_record(x, 1, 0);
	struct ike_sa *sb = xl_sa(x, 1);
	if (!ra || !rb || !sb) {
		fprintf(stderr, "ike_pcap: negotiation failed\n");
		return 1;
	}
	ike_send_invalid_spi(x->r[1], x->outside[1], x->outside[0], 50, ra->esp_spi_out);
	xl_run(x, 200);
	printf("COOKIES ");
	for (int i = 0; i < 8; i++)
		printf("%02x", sb->icookie[i]);
	printf(" ");
	for (int i = 0; i < 8; i++)
		printf("%02x", sb->rcookie[i]);
	printf(" SPI %08x\n", rb->esp_spi_out);
	fflush(stdout);

	char line[20000];
	while (fgets(line, sizeof(line), stdin)) {
		uint8_t d[ISAKMP_MAX_MSG];
		size_t n = 0;
		for (char *p = line; p[0] && p[1] && n < sizeof(d); p += 2) {
			unsigned b;
			if (sscanf(p, "%2x", &b) != 1)
				break;
			d[n++] = (uint8_t)b;
		}
		ike_input_datagram(x->r[1], x->outside[0], 500, x->outside[1], 500, d, n);
	}
	xl_run(x, 200);
	/* A's clear crypto sa: the genuine protected Delete goes into the capture too. */
	printf("RECORDS %d UNPROTECTED %llu BADHASH %llu\n", xl_nrecords(x, 1),
	       (unsigned long long)xl_ike(x, 1)->st.unprotected_ignored,
	       (unsigned long long)(xl_ike(x, 1)->st.bad_hash + xl_ike(x, 1)->st.decrypt_fail));
	ike_km_ops()->deleted(x->r[0], x->outside[0], x->outside[1], 500, true, ra->ah_spi_in, true,
			      ra->esp_spi_in, SADB_DEL_CLEAR);
	ike_clear(x->r[0], 0);
	xl_run(x, 200);
	printf("AFTER_DELETE %d\n", xl_nrecords(x, 1));
	xl_free(x);
	fclose(pcap);
	return 0;
}
