/*
 * labs/seed-ikev2 through the builder: both routers load and build mirror
 * images, and the confs bring two IKEv2 engines up in this process.
 */
#include "t.h"

#include <stdlib.h>

#include "config/cfg_int.h"
#include "config/cmdtree.h"
#include "config/load.h"
#include "ikev2/ikev2_conf.h"

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

static int conf(struct config *c, const char *lines, struct strbuf *out)
{
	struct cli_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = c;
	ctx.out = out;
	ctx.mode = MODE_CONFIG;
	char *dup = strdup(lines), *save = NULL;
	int rc = 0;
	for (char *l = strtok_r(dup, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		rc = cmd_execute(&ctx, l);
	free(dup);
	return rc;
}

static char *body(const struct config *c)
{
	struct strbuf sb;
	sb_init(&sb);
	cfg_render_body(c, &sb);
	return sb_take(&sb);
}

static struct config *load_lab(const char *name)
{
	char path[512];
	const char *top = getenv("TOP");
	snprintf(path, sizeof(path), "%s/labs/seed-ikev2/%s", top ? top : ".", name);
	struct strbuf err;
	sb_init(&err);
	struct config *c = config_load_file(path, &err, NULL);
	if (!c)
		fprintf(stderr, "    %s", sb_str(&err));
	sb_free(&err);
	return c;
}

/* labs/seed-ikev2: both routers load, render stably, and build mirror-image peer confs. */
TEST(ikev2_conf_seed_lab_configs)
{
	struct config *a = load_lab("router-a.cfg"), *b = load_lab("router-b.cfg");
	CHECK(a && b);
	if (!a || !b) {
		config_free(a);
		config_free(b);
		return;
	}
	CHECK_STR(a->hostname, "ipseca-71a");
	CHECK_STR(b->hostname, "ipseca-72a");
	CHECK(a->isr.enabled && b->isr.enabled);
	uint32_t ia = IP(10, 1, 1, 1), ib = IP(10, 2, 2, 2);
	struct ikev2_peer_conf pa, pb;
	const struct cfg_cmap_entry *ea = ikev2_conf_entry_for_peer(a, ib), *eb = ikev2_conf_entry_for_peer(b, ia);
	CHECK(ea && eb);
	CHECK(ea && ikev2_conf_build(a, ea, ia, ib, &pa));
	CHECK(eb && ikev2_conf_build(b, eb, ib, ia, &pb));
	const struct ikev2_suite s = { IKEV2_ENCR_AES_CBC, 256, IKEV2_AUTH_HMAC_SHA2_256_128,
				       IKEV2_PRF_HMAC_SHA2_256, 14 };
	CHECK(pa.nike == 1 && memcmp(&pa.ike[0], &s, sizeof(s)) == 0);
	CHECK(pb.nike == 1 && memcmp(&pb.ike[0], &s, sizeof(s)) == 0);
	CHECK(pa.nchild == 1 && pa.child[0].encr == IKEV2_ENCR_AES_CBC && pa.child[0].encr_bits == 256 &&
	      pa.child[0].integ == IKEV2_AUTH_HMAC_SHA2_256_128);
	CHECK(pa.psk_local_len == 4 && memcmp(pa.psk_local, "1234", 4) == 0 &&
	      pa.psk_remote_len == 4 && memcmp(pa.psk_remote, "1234", 4) == 0);
	CHECK(pa.id_local == ia && pa.id_remote == ib && pb.id_local == ib && pb.id_remote == ia);
	/* access-list 150: host 10.0.0.1 <-> host 10.0.2.2, any protocol and port */
	CHECK(pa.local_ts.saddr == IP(10, 0, 0, 1) && pa.local_ts.eaddr == IP(10, 0, 0, 1) &&
	      pa.local_ts.proto == 0 && pa.local_ts.sport == 0 && pa.local_ts.eport == 65535);
	CHECK(pa.remote_ts.saddr == IP(10, 0, 2, 2) && pa.remote_ts.eaddr == IP(10, 0, 2, 2));
	CHECK(memcmp(&pa.local_ts, &pb.remote_ts, sizeof(pa.local_ts)) == 0);
	CHECK(memcmp(&pa.remote_ts, &pb.local_ts, sizeof(pa.remote_ts)) == 0);
	char *r1 = body(a);
	struct config *a2 = config_load_string(r1, "r1", NULL, NULL);
	CHECK(a2 != NULL);
	if (a2) {
		char *r2 = body(a2);
		CHECK_STR(r1, r2);
		free(r2);
		config_free(a2);
	}
	free(r1);
	config_free(a);
	config_free(b);
}

/*
 * End to end: the confs the builder makes from two routers' configs bring
 * the IKEv2 engine's IKE_SA_INIT + IKE_AUTH and first Child SA up between
 * them (two engines in this process, datagrams handed across).
 */
struct e2e_side {
	struct ikev2_host host;
	struct ikev2_engine eng;
	struct config *cfg;
	uint32_t addr, next_spi;
	int nchild;
	struct ikev2_child child;
};

static struct e2e {
	struct e2e_side s[2];
	struct {
		int to;
		size_t len;
		uint8_t d[4096];
	} q[16];
	size_t nq;
} *E;

static int e2e_send(void *arg, uint32_t local, uint32_t peer, const uint8_t *msg, size_t len)
{
	(void)local;
	(void)peer;
	int from = arg == &E->s[0] ? 0 : 1;
	if (E->nq == 16 || len > sizeof(E->q[0].d))
		return -1;
	E->q[E->nq].to = 1 - from;
	E->q[E->nq].len = len;
	memcpy(E->q[E->nq].d, msg, len);
	E->nq++;
	return 0;
}

/* What the router glue does: the map entry for the peer, then the builder. */
static bool e2e_conf(void *arg, uint32_t local, uint32_t peer, struct ikev2_peer_conf *out)
{
	struct e2e_side *s = arg;
	const struct cfg_cmap_entry *e = ikev2_conf_entry_for_peer(s->cfg, peer);
	return e && ikev2_conf_build(s->cfg, e, local, peer, out);
}

static uint32_t e2e_spi(void *arg)
{
	return ((struct e2e_side *)arg)->next_spi++;
}

static void e2e_child(void *arg, struct ikev2_sa *sa, const struct ikev2_child *c)
{
	(void)sa;
	struct e2e_side *s = arg;
	s->nchild++;
	s->child = *c;
}

/* Runs one exchange A -> B; true when both sides installed the same Child SA. */
static bool e2e_run(struct config *a, struct config *b)
{
	E = calloc(1, sizeof(*E));
	struct config *cfgs[2] = { a, b };
	for (int i = 0; i < 2; i++) {
		struct e2e_side *s = &E->s[i];
		s->host = (struct ikev2_host){ s, e2e_send, e2e_conf, e2e_spi, e2e_child, NULL };
		ikev2_engine_init(&s->eng, &s->host);
		s->cfg = cfgs[i];
		s->addr = i ? IP(10, 2, 2, 2) : IP(10, 1, 1, 1);
		s->next_spi = i ? 0xb0000001 : 0xa0000001;
	}
	bool started = ikev2_initiate(&E->s[0].eng, E->s[0].addr, E->s[1].addr) != NULL;
	for (int rounds = 0; rounds < 20 && E->nq; rounds++) {
		int to = E->q[0].to;
		size_t len = E->q[0].len;
		uint8_t d[4096];
		memcpy(d, E->q[0].d, len);
		memmove(E->q, E->q + 1, (E->nq - 1) * sizeof(E->q[0]));
		E->nq--;
		ikev2_input(&E->s[to].eng, E->s[to].addr, E->s[1 - to].addr, d, len);
	}
	struct ikev2_child *ca = &E->s[0].child, *cb = &E->s[1].child;
	bool ok = started && E->s[0].nchild == 1 && E->s[1].nchild == 1 && ca->spi_in == cb->spi_out &&
		  ca->spi_out == cb->spi_in && ca->enc_key_len &&
		  memcmp(ca->key_out, cb->key_in, ca->enc_key_len + ca->integ_key_len) == 0 &&
		  ca->local_ts.saddr == cb->remote_ts.saddr && ca->remote_ts.saddr == cb->local_ts.saddr;
	for (int i = 0; i < 2; i++)
		ikev2_engine_free(&E->s[i].eng);
	free(E);
	E = NULL;
	return ok;
}

TEST(ikev2_conf_seed_lab_brings_the_engine_up)
{
	struct config *a = load_lab("router-a.cfg"), *b = load_lab("router-b.cfg");
	CHECK(a && b);
	if (a && b) {
		CHECK(e2e_run(a, b));
		/* IOS's default policy on both sides (no crypto ikev2 policy) */
		struct strbuf out;
		sb_init(&out);
		CHECK(conf(a, "no crypto ikev2 policy seed-v2", &out) == 0);
		CHECK(conf(b, "no crypto ikev2 policy seed-v2", &out) == 0);
		CHECK(a->nv2_policy == 0 && b->nv2_policy == 0);
		CHECK(e2e_run(a, b));
		/* one key each way: A signs with keyA and checks keyB; B the reverse */
		CHECK(conf(a, "crypto ikev2 keyring seed-v2\n peer B\n  pre-shared-key local keyA\n"
			      "  pre-shared-key remote keyB", &out) == 0);
		CHECK(conf(b, "crypto ikev2 keyring seed-v2\n peer A\n  pre-shared-key local keyB\n"
			      "  pre-shared-key remote keyA", &out) == 0);
		CHECK(e2e_run(a, b));
		/* B expecting the wrong key: no Child SA */
		CHECK(conf(b, "crypto ikev2 keyring seed-v2\n peer A\n  pre-shared-key remote wrong", &out) == 0);
		CHECK(!e2e_run(a, b));
		/* AES-GCM IKE SA from a proposal with prf and no integrity */
		CHECK(conf(b, "crypto ikev2 keyring seed-v2\n peer A\n  pre-shared-key remote keyA", &out) == 0);
		const char *gcm = "crypto ikev2 proposal G\n encryption aes-gcm-256\n prf sha384\n group 20\n"
				  "crypto ikev2 policy G\n proposal G";
		CHECK(conf(a, gcm, &out) == 0 && conf(b, gcm, &out) == 0);
		CHECK(e2e_run(a, b));
		/* A says it is 10.9.9.9; B's profile matches that identity, not A's address */
		CHECK(conf(a, "crypto ikev2 profile seed-v2\n identity local address 10.9.9.9", &out) == 0);
		CHECK(!e2e_run(a, b));
		CHECK(conf(b, "crypto ikev2 profile seed-v2\n no match identity remote address 10.1.1.1 255.255.255.255\n"
			      " match identity remote address 10.9.9.9", &out) == 0);
		CHECK(e2e_run(a, b));
		CHECK(strcmp(sb_str(&out), "") == 0);
		sb_free(&out);
	}
	config_free(a);
	config_free(b);
}
