/*
 * Full Main Mode + Quick Mode handshakes per second between two in-process
 * routers (virtual clock, in-memory transport), per DH group, beside the raw
 * OpenSSL DH/ECDH rate (keygen + derive, both sides) measured in the same
 * run.  A handshake needs two DH operations (one per side, Main Mode; no
 * PFS), so the last line is
 *   ratio: handshakes/s / (raw DH ops/s / 2)   for group 14
 * i.e. the share of the DH-bound ceiling that the whole protocol reaches.
 */
#include "../../tests/exchange/xlab.c"

#include <stdio.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double raw_dh_ops(int group, double secs)
{
	uint8_t pa[DH_MAX_PUB], pb[DH_MAX_PUB], s[DH_MAX_PUB];
	long ops = 0;
	double t0 = now_s();
	while (now_s() - t0 < secs) {
		struct dh *a = dh_new(group), *b = dh_new(group);
		size_t pl = dh_pub_len(group);
		if (!a || !b || dh_public(a, pa, sizeof(pa)) < 0 || dh_public(b, pb, sizeof(pb)) < 0 ||
		    dh_derive(a, pb, pl, s, sizeof(s)) < 0 || dh_derive(b, pa, pl, s, sizeof(s)) < 0) {
			fprintf(stderr, "DH failed\n");
			exit(1);
		}
		dh_free(a);
		dh_free(b);
		ops += 2;
	}
	return (double)ops / (now_s() - t0);
}

static double handshakes(int group, double secs)
{
	struct xl_opts o;
	memset(&o, 0, sizeof(o));
	o.pol_a = o.pol_b = (struct cfg_isakmp_policy){ 1, IKE_ENC_AES128, IKE_HASH_SHA1, IKE_AUTH_PSK, group, 86400 };
	o.ts_a = o.ts_b = (struct cfg_transform_set){ "aes", XF_AH_NONE, XF_ENC_AES, 128, XF_AUTH_SHA1, false };
	long n = 0;
	double t0 = now_s();
	while (now_s() - t0 < secs) {
		struct xlab *x = xl_new(&o);
		x->r[0]->debug = x->r[1]->debug = 0;
		xl_acquire(x, 0);
		xl_pump(x);
		const struct ike_record *a = xl_record(x, 0, 0), *b = xl_record(x, 1, 0);
		if (!a || !b || a->esp_spi_in != b->esp_spi_out || a->esp_spi_out != b->esp_spi_in) {
			fprintf(stderr, "handshake failed (group %d)\n", group);
			exit(1);
		}
		xl_free(x);
		n++;
	}
	return (double)n / (now_s() - t0);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5.0;
	static const int groups[] = { 2, 14, 19 };
	double ratio14 = 0;
	printf("%-6s %14s %16s %18s %8s\n", "group", "handshakes/s", "raw DH ops/s", "DH ceiling hs/s", "ratio");
	for (size_t i = 0; i < 3; i++) {
		double raw = raw_dh_ops(groups[i], secs);
		double hs = handshakes(groups[i], secs);
		double ratio = hs / (raw / 2.0);
		printf("%-6d %14.1f %16.1f %18.1f %8.3f\n", groups[i], hs, raw, raw / 2.0, ratio);
		if (groups[i] == 14)
			ratio14 = ratio;
	}
	printf("ratio: %.3f\n", ratio14);
	return 0;
}
