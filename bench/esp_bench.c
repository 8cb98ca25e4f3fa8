/*
 * ESP/AH throughput per core: spigot's encapsulation and decapsulation
 * against the same cipher and MAC operations done with raw OpenSSL EVP on
 * the same buffers, without ESP framing, in the same run.
 * Then the workers table: the same encap + decap on 1 and 2 threads at
 * once, each thread with its own router (its own SA contexts, as a data-
 * plane worker keeps its own cipher contexts): how the work scales with
 * cores on this machine.
 * Last line: "ratio: R" for aes-gcm-128 at 1400 bytes (ours / raw).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "config/config.h"
#include "core/evloop.h"
#include "core/wbuf.h"
#include "ipsec/ipsec.h"
#include "ipsec/ipsec_int.h"
#include "router.h"

#define BATCH 128	/* below the packet pool size, as steady traffic is */
#define ME 0x0a010101u

static _Thread_local size_t delivered_bytes;
static void sink(struct router *r, struct pkt *p)
{
	(void)r;
	delivered_bytes += p->len;
	pkt_free(p);
}

struct xf_case {
	const char *name;
	enum cfg_xf_ah ah;
	enum cfg_xf_enc enc;
	uint16_t bits;
	enum cfg_xf_auth auth;
	const char *raw_cipher;	/* NULL: MAC only */
	const char *raw_digest;	/* NULL: AEAD only */
};

static const struct xf_case cases[] = {
	{ "aes-gcm-128", XF_AH_NONE, XF_ENC_GCM, 128, XF_AUTH_NONE, "AES-128-GCM", NULL },
	{ "aes-cbc-128+sha1", XF_AH_NONE, XF_ENC_AES, 128, XF_AUTH_SHA1, "AES-128-CBC", "SHA1" },
	{ "3des+sha1", XF_AH_NONE, XF_ENC_3DES, 0, XF_AUTH_SHA1, "DES-EDE3-CBC", "SHA1" },
	{ "ah-sha", XF_AH_SHA1, XF_ENC_NONE, 0, XF_AUTH_NONE, NULL, "SHA1" },
};

static struct router *make_router(const struct xf_case *c)
{
	struct config *cfg = config_new();
	cfg->ipsec_life_sec = 3600;
	cfg->ipsec_life_kb = 4608000;
	cfg->replay_window = 1024;
	cfg->logging_buffered = false;
	struct router *r = router_new(ev_new(), cfg);
	ipsec_set_deliver(r, sink);
	struct sadb_bundle_spec s;
	memset(&s, 0, sizeof(s));
	s.cmap_name = "bench";
	s.cmap_seq = 1;
	/* Our own peer: what we encapsulate comes back in on the inbound SAs. */
	s.local_addr = s.peer_addr = ME;
	s.xf.ah = c->ah;
	s.xf.esp_enc = c->enc;
	s.xf.esp_keybits = c->bits;
	s.xf.esp_auth = c->auth;
	s.has_ah = c->ah != XF_AH_NONE;
	s.has_esp = c->enc != XF_ENC_NONE;
	const struct xf_alg *e = xf_esp_enc(c->enc, c->bits), *a = xf_esp_auth(c->auth), *h = xf_ah(c->ah);
	struct sadb_sa_keys *k[4] = { &s.ah_in, &s.ah_out, &s.esp_in, &s.esp_out };
	for (int i = 0; i < 4; i++) {
		k[i]->spi = i < 2 ? 0x1000 : 0x2000;
		memset(k[i]->enc_key, 0x5a, SADB_KEY_MAX);
		memset(k[i]->auth_key, 0xa5, SADB_KEY_MAX);
		k[i]->enc_key_len = e ? e->key_len : 0;
		k[i]->auth_key_len = i < 2 ? (h ? h->key_len : 0) : (a ? a->key_len : 0);
	}
	s.life_sec = 1000000;
	s.life_kb = 4000000000u;	/* the bench must not hit a lifetime */
	if (sadb_install(r, &s) < 0) {
		fprintf(stderr, "bundle refused\n");
		exit(1);
	}
	return r;
}

static void make_inner(uint8_t *buf, size_t len)
{
	ipsec_ip_header(buf, len, 0, false, 1, 64, 17, 0x0a000001, 0x0a000202);
	for (size_t i = 20; i < len; i++)
		buf[i] = (uint8_t)i;
}

/* Seconds spent by spigot on n packets each way. */
static void run_ours(const struct xf_case *c, size_t len, long n, double *enc_s, double *dec_s)
{
	struct router *r = make_router(c);
	struct ipsec_bundle *b = r->ipsec->bundles;
	static _Thread_local uint8_t inner[2048];
	static _Thread_local struct pkt *batch[BATCH];
	make_inner(inner, len);
	uint64_t te = 0, td = 0;
	for (long done = 0; done < n; done += BATCH) {
		uint64_t t0 = ev_now_us();
		for (int i = 0; i < BATCH; i++) {
			struct pkt *p = batch[i] = pkt_alloc();
			memcpy(p->data, inner, len);
			p->len = len;
			if (ipsec_encap_bundle(b, p, 1) != DROP_NONE)
				exit(1);
		}
		uint64_t t1 = ev_now_us();
		for (int i = 0; i < BATCH; i++)
			ipsec_input(r, batch[i]);
		te += t1 - t0;
		td += ev_now_us() - t1;
	}
	if (b->fr->c.decaps != (uint64_t)((n + BATCH - 1) / BATCH * BATCH)) {
		fprintf(stderr, "%s: only %llu of %ld decapsulated\n", c->name,
			(unsigned long long)b->fr->c.decaps, n);
		exit(1);
	}
	*enc_s = (double)te / 1e6;
	*dec_s = (double)td / 1e6;
	struct evloop *ev = r->ev;
	router_free(r);
	ev_free(ev);
}

/* The same cipher and MAC work with raw EVP: no headers, padding or SADB. */
static void run_raw(const struct xf_case *c, size_t len, long n, double *enc_s, double *dec_s)
{
	static uint8_t inner[2048], buf[BATCH][2048], tag[64];
	uint8_t key[64], iv[16] = { 0 }, aad[8] = { 0 };
	memset(key, 0x5a, sizeof(key));
	make_inner(inner, len);
	EVP_CIPHER *ciph = c->raw_cipher ? EVP_CIPHER_fetch(NULL, c->raw_cipher, NULL) : NULL;
	EVP_CIPHER_CTX *ec = EVP_CIPHER_CTX_new(), *dc = EVP_CIPHER_CTX_new();
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *mc = EVP_MAC_CTX_new(mac);
	bool gcm = c->raw_cipher && !c->raw_digest;
	size_t clen = len;
	if (ciph) {
		EVP_CipherInit_ex2(ec, ciph, key, NULL, 1, NULL);
		EVP_CipherInit_ex2(dc, ciph, key, NULL, 0, NULL);
		EVP_CIPHER_CTX_set_padding(ec, 0);
		EVP_CIPHER_CTX_set_padding(dc, 0);
		size_t bs = (size_t)EVP_CIPHER_get_block_size(ciph);
		clen = (len + bs - 1) / bs * bs;
	}
	if (c->raw_digest) {
		OSSL_PARAM p[2] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
								      (char *)c->raw_digest, 0),
				    OSSL_PARAM_construct_end() };
		EVP_MAC_init(mc, key, 20, p);
	}
	uint64_t te = 0, td = 0;
	int outl;
	size_t ml;
	for (long done = 0; done < n; done += BATCH) {
		uint64_t t0 = ev_now_us();
		for (int i = 0; i < BATCH; i++) {
			memcpy(buf[i], inner, len);
			if (gcm) {
				EVP_CipherInit_ex2(ec, NULL, NULL, iv, -1, NULL);
				EVP_CipherUpdate(ec, NULL, &outl, aad, 8);
				EVP_CipherUpdate(ec, buf[i], &outl, buf[i], (int)clen);
				EVP_CipherFinal_ex(ec, buf[i] + outl, &outl);
				EVP_CIPHER_CTX_ctrl(ec, EVP_CTRL_AEAD_GET_TAG, 16, buf[i] + clen);
				continue;
			}
			if (ciph) {
				EVP_CipherInit_ex2(ec, NULL, NULL, iv, -1, NULL);
				EVP_CipherUpdate(ec, buf[i], &outl, buf[i], (int)clen);
			}
			EVP_MAC_init(mc, NULL, 0, NULL);
			EVP_MAC_update(mc, buf[i], clen);
			EVP_MAC_final(mc, tag, &ml, sizeof(tag));
		}
		uint64_t t1 = ev_now_us();
		for (int i = 0; i < BATCH; i++) {
			uint8_t *work = buf[i];
			if (gcm) {
				EVP_CipherInit_ex2(dc, NULL, NULL, iv, -1, NULL);
				EVP_CipherUpdate(dc, NULL, &outl, aad, 8);
				EVP_CipherUpdate(dc, work, &outl, work, (int)clen);
				EVP_CIPHER_CTX_ctrl(dc, EVP_CTRL_AEAD_SET_TAG, 16, work + clen);
				if (EVP_CipherFinal_ex(dc, work + outl, &outl) != 1)
					exit(1);
				continue;
			}
			EVP_MAC_init(mc, NULL, 0, NULL);
			EVP_MAC_update(mc, work, clen);
			EVP_MAC_final(mc, tag, &ml, sizeof(tag));
			if (ciph) {
				EVP_CipherInit_ex2(dc, NULL, NULL, iv, -1, NULL);
				EVP_CipherUpdate(dc, work, &outl, work, (int)clen);
			}
		}
		te += t1 - t0;
		td += ev_now_us() - t1;
	}
	*enc_s = (double)te / 1e6;
	*dec_s = (double)td / 1e6;
	EVP_CIPHER_CTX_free(ec);
	EVP_CIPHER_CTX_free(dc);
	EVP_CIPHER_free(ciph);
	EVP_MAC_CTX_free(mc);
	EVP_MAC_free(mac);
}

static double gbps(size_t len, long n, double s) { return s > 0 ? (double)len * 8 * (double)n / s / 1e9 : 0; }

struct wk_job {
	const struct xf_case *c;
	size_t len;
	long n;
	double e, d;
};

static pthread_barrier_t wk_start;

static void *wk_run(void *arg)
{
	struct wk_job *j = arg;
	pthread_barrier_wait(&wk_start);
	run_ours(j->c, j->len, j->n, &j->e, &j->d);
	return NULL;
}

/* Packets encapsulated and decapsulated per second by `threads` threads at once. */
static double workers_rate(const struct xf_case *c, size_t len, long n, int threads)
{
	struct wk_job j[2];
	pthread_t th[2];
	pthread_barrier_init(&wk_start, NULL, (unsigned)threads);
	uint64_t t0 = ev_now_us();
	for (int i = 0; i < threads; i++) {
		j[i] = (struct wk_job){ .c = c, .len = len, .n = n };
		if (pthread_create(&th[i], NULL, wk_run, &j[i]))
			exit(1);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	double wall = (double)(ev_now_us() - t0) / 1e6;
	pthread_barrier_destroy(&wk_start);
	return (double)n * threads / wall;
}

static void workers_table(double budget)
{
	static const struct xf_case *const wc[] = { &cases[0], &cases[1] };
	const size_t len = 1400;
	printf("\n%-18s %5s  %9s %9s  %6s  (encap + decap, Gbit/s of %zu-byte packets, each way)\n",
	       "transform", "bytes", "1 worker", "2 workers", "x", len);
	for (size_t i = 0; i < 2; i++) {
		long n = BATCH * 4;
		double e, d;
		run_ours(wc[i], len, n, &e, &d);
		n = (long)((double)n * budget / (e + d + 1e-6));
		n = (n / BATCH + 1) * BATCH;
		double best[2] = { 0, 0 };
		for (int rep = 0; rep < 2; rep++)
			for (int t = 1; t <= 2; t++) {
				double r = workers_rate(wc[i], len, n, t);
				best[t - 1] = r > best[t - 1] ? r : best[t - 1];
			}
		printf("%-18s %5zu  %9.3f %9.3f  %6.2f\n", wc[i]->name, len, best[0] * len * 8 / 1e9,
		       best[1] * len * 8 / 1e9, best[1] / best[0]);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	double budget = argc > 1 ? atof(argv[1]) : 0.4;	/* seconds per measurement */
	static const size_t sizes[] = { 64, 512, 1400 };
	double final_ratio = 0;
	printf("%-18s %5s  %9s %9s  %9s %9s  %6s\n", "transform", "bytes", "encap", "decap", "raw-enc",
	       "raw-dec", "ratio");
	printf("%-18s %5s  %9s %9s  %9s %9s  %6s\n", "", "", "Gbit/s", "Gbit/s", "Gbit/s", "Gbit/s", "");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t j = 0; j < 3; j++) {
			size_t len = sizes[j];
			/* Calibrate the count to the time budget. */
			long n = BATCH * 4;
			double e, d, re, rd;
			run_ours(&cases[i], len, n, &e, &d);
			n = (long)((double)n * budget / (e + d + 1e-6));
			n = (n / BATCH + 1) * BATCH;
			/* Alternate twice and keep the best of each, to damp noise. */
			double be = 1e9, bd = 1e9, bre = 1e9, brd = 1e9;
			for (int rep = 0; rep < 2; rep++) {
				run_ours(&cases[i], len, n, &e, &d);
				run_raw(&cases[i], len, n, &re, &rd);
				be = e < be ? e : be;
				bd = d < bd ? d : bd;
				bre = re < bre ? re : bre;
				brd = rd < brd ? rd : brd;
			}
			double ratio = (bre + brd) / (be + bd);
			printf("%-18s %5zu  %9.3f %9.3f  %9.3f %9.3f  %6.3f\n", cases[i].name, len,
			       gbps(len, n, be), gbps(len, n, bd), gbps(len, n, bre), gbps(len, n, brd),
			       ratio);
			fflush(stdout);
			if (i == 0 && len == 1400)
				final_ratio = ratio;
		}
	}
	printf("(ratio = raw EVP time / spigot time for the same packets, encap + decap)\n");
	workers_table(budget);
	printf("ratio: %.3f\n", final_ratio);
	return 0;
}
