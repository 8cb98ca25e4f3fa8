/*
 * Full Main Mode + Quick Mode handshakes per second between two in-process
 * routers (virtual clock, in-memory transport), per DH group, beside the raw
 * OpenSSL DH/ECDH rate (keygen + derive, both sides) measured in the same
 * run.  A handshake needs two DH operations (one per side, Main Mode; no
 * PFS), so the last line is
 *   ratio: handshakes/s / (raw DH ops/s / 2)   for IKEv1, group 14
 * i.e. the share of the DH-bound ceiling that the whole protocol reaches.
 * IKEv2 rows (IKE_SA_INIT + IKE_AUTH with the first Child SA, also two DH
 * operations) sit beside them for groups 14 and 19, against the same
 * ceiling measured once per group; they do not enter the last line.
 * The IKEv1 rows build two whole routers per handshake (xlab: about 0.2 ms
 * a pair); the IKEv2 rows two bare engines, as the engine is not yet in
 * the router.  3 runs, Dec 2026, 2 cores shared by other jobs (load 6-8):
 *   IKEv1 group 14:   66.4 / 128.2 / 101.5 hs/s   ratio 0.817 / 0.843 / 0.895
 *   IKEv2 group 14:   76.3 / 132.1 /  99.6 hs/s         0.939 / 0.868 / 0.878
 *   IKEv1 group 19:  609.9 / 1352.7 / 724.0 hs/s        0.382 / 0.548 / 0.391
 *   IKEv2 group 19:  894.1 / 1512.9 / 1021.0 hs/s       0.560 / 0.613 / 0.551
 */
#include "../../tests/exchange/xlab.c"
#include "ikev2/ikev2_sa.h"

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

/*
 * IKEv2: two engines (src/ikev2/ikev2_sa.h) through an in-memory host, as
 * tests/unit/test_ikev2_exch.c drives them; one handshake is IKE_SA_INIT +
 * IKE_AUTH (PSK) carrying the first Child SA, from a fresh pair of engines
 * each time, as the IKEv1 loop starts from fresh routers.  Same algorithms
 * as the IKEv1 policy above (aes-cbc-128, sha1, PSK; ESP aes-128/sha1) so
 * that only the protocol differs.
 */
#define V2_A 0x0a010101u
#define V2_B 0x0a020202u
#define V2_QMAX 16

struct v2_dgram {
	int to;
	size_t len;
	uint8_t d[2048];
};

struct v2_side {
	struct ikev2_host host;
	struct ikev2_engine eng;
	struct ikev2_peer_conf conf;
	struct ikev2_child child;
	int nchild;
	uint32_t next_spi;
	struct v2_pair *pair;
};

struct v2_pair {
	struct v2_side s[2];
	struct v2_dgram q[V2_QMAX];
	size_t head, nq;
};

static int v2_send(void *arg, uint32_t local, uint32_t peer, const uint8_t *msg, size_t len)
{
	(void)local, (void)peer;
	struct v2_side *s = arg;
	struct v2_pair *p = s->pair;
	if (p->nq == V2_QMAX || len > sizeof(p->q[0].d))
		return -1;
	struct v2_dgram *d = &p->q[(p->head + p->nq++) % V2_QMAX];
	d->to = s == &p->s[0] ? 1 : 0;
	d->len = len;
	memcpy(d->d, msg, len);
	return 0;
}

static bool v2_conf(void *arg, uint32_t local, uint32_t peer, struct ikev2_peer_conf *out)
{
	(void)local, (void)peer;
	*out = ((struct v2_side *)arg)->conf;
	return true;
}

static uint32_t v2_spi(void *arg)
{
	return ((struct v2_side *)arg)->next_spi++;
}

static void v2_child_up(void *arg, struct ikev2_sa *sa, const struct ikev2_child *c)
{
	(void)sa;
	struct v2_side *s = arg;
	s->nchild++;
	s->child = *c;
}

static void v2_setup(struct v2_pair *p, int group)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < 2; i++) {
		struct v2_side *s = &p->s[i];
		s->pair = p;
		s->host = (struct ikev2_host){ .arg = s, .send = v2_send, .conf = v2_conf, .spi_alloc = v2_spi,
					       .child_up = v2_child_up };
		ikev2_engine_init(&s->eng, &s->host);
		s->next_spi = i ? 0xb0000001 : 0xa0000001;
		struct ikev2_peer_conf *c = &s->conf;
		c->ike[c->nike++] = (struct ikev2_suite){ IKEV2_ENCR_AES_CBC, 128, IKEV2_AUTH_HMAC_SHA1_96,
							  IKEV2_PRF_HMAC_SHA1, (uint16_t)group };
		c->child[c->nchild++] = (struct ikev2_child_suite){ IKEV2_ENCR_AES_CBC, 128, IKEV2_AUTH_HMAC_SHA1_96 };
		memcpy(c->psk_local, "cisco123", 8);
		memcpy(c->psk_remote, "cisco123", 8);
		c->psk_local_len = c->psk_remote_len = 8;
		c->id_local = i ? V2_B : V2_A;
		c->id_remote = i ? V2_A : V2_B;
		struct ikev2_range a_lan = { 0, 0, 65535, 0x0a000000, 0x0a0000ff };
		struct ikev2_range b_lan = { 0, 0, 65535, 0x0a000200, 0x0a0002ff };
		c->local_ts = i ? b_lan : a_lan;
		c->remote_ts = i ? a_lan : b_lan;
	}
}

/* Both ends READY with one Child SA each, SPIs and keys crosswise. */
static bool v2_ok(struct v2_pair *p, struct ikev2_sa *sa)
{
	struct ikev2_child *a = &p->s[0].child, *b = &p->s[1].child;
	size_t n = a->enc_key_len + a->integ_key_len;
	return sa->state == IKEV2_S_READY && p->s[1].eng.sas && p->s[1].eng.sas->state == IKEV2_S_READY &&
	       p->s[0].nchild == 1 && p->s[1].nchild == 1 && a->spi_in == b->spi_out &&
	       a->spi_out == b->spi_in && n && !memcmp(a->key_out, b->key_in, n) &&
	       !memcmp(a->key_in, b->key_out, n);
}

static double handshakes_v2(int group, double secs)
{
	static struct v2_pair p;
	long n = 0;
	double t0 = now_s();
	while (now_s() - t0 < secs) {
		v2_setup(&p, group);
		struct ikev2_sa *sa = ikev2_initiate(&p.s[0].eng, V2_A, V2_B);
		/* Four messages; the bound only stops a loop that should not happen. */
		for (int k = 0; sa && k < 16 && p.nq; k++) {
			struct v2_dgram *d = &p.q[p.head];
			p.head = (p.head + 1) % V2_QMAX;
			p.nq--;
			ikev2_input(&p.s[d->to].eng, d->to ? V2_B : V2_A, d->to ? V2_A : V2_B, d->d, d->len);
		}
		if (!sa || !v2_ok(&p, sa)) {
			fprintf(stderr, "IKEv2 handshake failed (group %d)\n", group);
			exit(1);
		}
		ikev2_engine_free(&p.s[0].eng);
		ikev2_engine_free(&p.s[1].eng);
		n++;
	}
	return (double)n / (now_s() - t0);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5.0;
	static const struct { int group; bool v2; } groups[] = { { 2, false }, { 14, true }, { 19, true } };
	double ratio14 = 0;
	printf("%-4s %-6s %14s %16s %18s %8s\n", "ike", "group", "handshakes/s", "raw DH ops/s", "DH ceiling hs/s",
	       "ratio");
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		int g = groups[i].group;
		double raw = raw_dh_ops(g, secs);
		double hs = handshakes(g, secs);
		double ratio = hs / (raw / 2.0);
		printf("%-4s %-6d %14.1f %16.1f %18.1f %8.3f\n", "v1", g, hs, raw, raw / 2.0, ratio);
		if (g == 14)
			ratio14 = ratio;
		if (groups[i].v2) {
			double hs2 = handshakes_v2(g, secs);
			printf("%-4s %-6d %14.1f %16.1f %18.1f %8.3f\n", "v2", g, hs2, raw, raw / 2.0,
			       hs2 / (raw / 2.0));
		}
		fflush(stdout);
	}
	printf("ratio: %.3f\n", ratio14);
	return 0;
}
