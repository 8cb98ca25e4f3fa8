/*
 * crypto ikev2 configuration: parsing, IOS's incomplete-proposal rules,
 * load errors (FILE:LINE, nothing applied), running-config round trip, the
 * show commands, and the builder that turns it into the engine's
 * struct ikev2_peer_conf (every field checked).
 */
#include "t.h"

#include <stdlib.h>

#include "config/cfg_int.h"
#include "config/cmdtree.h"
#include "config/load.h"
#include "ikev2/ikev2_conf.h"

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

/* Router A of the seed, over IKEv2: what a user writes, as IOS renders it. */
static const char *const cfg_a =
	"hostname ipseca-71a\n"
	"!\n"
	"crypto ikev2 proposal P1\n"
	" encryption aes-cbc-256 aes-cbc-128\n"
	" integrity sha256 sha1\n"
	" group 14 19\n"
	"!\n"
	"crypto ikev2 proposal GCM\n"
	" encryption aes-gcm-256\n"
	" prf sha384\n"
	" group 20\n"
	"!\n"
	"crypto ikev2 policy POL\n"
	" match address local 10.1.1.1\n"
	" proposal P1\n"
	" proposal GCM\n"
	"!\n"
	"crypto ikev2 keyring KR\n"
	" peer B\n"
	"  description router B\n"
	"  address 10.2.2.2\n"
	"  pre-shared-key local keyA\n"
	"  pre-shared-key remote keyB\n"
	" !\n"
	" peer ANY\n"
	"  address 0.0.0.0 0.0.0.0\n"
	"  pre-shared-key wildcard\n"
	" !\n"
	"!\n"
	"crypto ikev2 profile PROF\n"
	" match identity remote address 10.2.2.2 255.255.255.255\n"
	" identity local address 10.1.1.1\n"
	" authentication remote pre-share\n"
	" authentication local pre-share\n"
	" keyring local KR\n"
	" lifetime 3600\n"
	" dpd 10 2 on-demand\n"
	"!\n"
	"crypto isakmp invalid-spi-recovery\n"
	"!\n"
	"crypto ipsec transform-set auth2 ah-sha-hmac esp-des esp-sha-hmac\n"
	"!\n"
	"crypto ipsec transform-set v2set esp-aes 256 esp-sha256-hmac\n"
	"!\n"
	"crypto ipsec transform-set v2gcm esp-gcm 256\n"
	"!\n"
	"crypto map testtag1 10 ipsec-isakmp\n"
	" set peer 10.2.2.2\n"
	" set transform-set auth2 v2set v2gcm\n"
	" set ikev2-profile PROF\n"
	" match address 150\n"
	"!\n"
	"crypto map testtag1 20 ipsec-isakmp\n"
	" set peer 10.9.9.9\n"
	" set transform-set v2set\n"
	" match address 151\n"
	"!\n"
	"access-list 150 permit tcp 10.0.0.0 0.0.0.255 eq 22 host 10.0.2.2 range 1000 2000\n"
	"access-list 151 permit ip host 10.0.0.1 host 10.0.9.9\n"
	"end\n";

static struct config *load(const char *text, struct strbuf *err)
{
	return config_load_string(text, "t.cfg", err, NULL);
}

static struct config *load_ok(const char *text)
{
	struct strbuf err;
	sb_init(&err);
	struct config *c = load(text, &err);
	if (!c)
		fprintf(stderr, "    unexpected load error: %s", sb_str(&err));
	sb_free(&err);
	return c;
}

/* Runs lines as an interactive session would; the last line's status. */
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

static char *exec_show(struct config *c, const char *line)
{
	struct strbuf out;
	sb_init(&out);
	struct cli_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = c;
	ctx.out = &out;
	ctx.mode = MODE_EXEC;
	CHECK(cmd_execute(&ctx, line) == 0);
	return sb_take(&out);
}

static char *body(const struct config *c)
{
	struct strbuf sb;
	sb_init(&sb);
	cfg_render_body(c, &sb);
	return sb_take(&sb);
}

TEST(ikev2_conf_parse_every_field)
{
	struct config *c = load_ok(cfg_a);
	CHECK(c != NULL);
	if (!c)
		return;
	const struct cfg_ikev2_proposal *p = config_v2_proposal(c, "P1");
	CHECK(p && p->nencr == 2 && p->encr[0].id == IKEV2_ENCR_AES_CBC && p->encr[0].bits == 256 &&
	      p->encr[1].bits == 128);
	CHECK(p && p->ninteg == 2 && p->integ[0].id == IKEV2_AUTH_HMAC_SHA2_256_128 &&
	      p->integ[1].id == IKEV2_AUTH_HMAC_SHA1_96 && p->nprf == 0);
	CHECK(p && p->ngroup == 2 && p->group[0].id == 14 && p->group[1].id == 19);
	const struct cfg_ikev2_policy *pol = config_v2_policy(c, "POL");
	CHECK(pol && pol->nmatch_local == 1 && pol->match_local[0] == IP(10, 1, 1, 1));
	CHECK(pol && pol->nproposal == 2 && strcmp(pol->proposals[1], "GCM") == 0);
	const struct cfg_ikev2_keyring *k = config_v2_keyring(c, "KR");
	CHECK(k && k->npeer == 2);
	if (k && k->npeer == 2) {
		const struct cfg_ikev2_kr_peer *b = &k->peers[0], *any = &k->peers[1];
		CHECK_STR(b->name, "B");
		CHECK_STR(b->description, "router B");
		CHECK(b->has_addr && b->addr == IP(10, 2, 2, 2) && b->mask == 0xffffffff);
		CHECK_STR(b->psk_local.key, "keyA");
		CHECK_STR(b->psk_remote.key, "keyB");
		CHECK(!b->psk_both && b->psk_local.enc_type == -1);
		CHECK(any->psk_both && any->mask == 0 && strcmp(any->psk_remote.key, "wildcard") == 0);
	}
	const struct cfg_ikev2_profile *pr = config_v2_profile(c, "PROF");
	CHECK(pr && pr->nmatch_remote == 1 && pr->match_remote[0].addr == IP(10, 2, 2, 2));
	CHECK(pr && pr->has_id_local && pr->id_local == IP(10, 1, 1, 1));
	CHECK(pr && pr->auth_local == CFG_V2_AUTH_PSK && pr->auth_remote == CFG_V2_AUTH_PSK);
	CHECK(pr && strcmp(pr->keyring, "KR") == 0 && pr->lifetime == 3600);
	CHECK(pr && pr->dpd_interval == 10 && pr->dpd_retry == 2 && !pr->dpd_periodic);
	CHECK(strcmp(c->cmaps[0].ikev2_profile, "PROF") == 0 && c->cmaps[1].ikev2_profile[0] == '\0');
	CHECK(c->isr.enabled);
	config_free(c);
}

/* The file as written is how running-config prints it, twice over. */
TEST(ikev2_conf_running_config_round_trip)
{
	struct config *c = load_ok(cfg_a);
	CHECK(c != NULL);
	if (!c)
		return;
	char *r1 = body(c);
	CHECK_STR(r1, cfg_a);
	if (strcmp(r1, cfg_a) != 0)
		fprintf(stderr, "    rendered:\n%s", r1);
	struct config *c2 = load_ok(r1);
	CHECK(c2 != NULL);
	if (c2) {
		char *r2 = body(c2);
		CHECK_STR(r1, r2);
		free(r2);
		config_free(c2);
	}
	free(r1);
	config_free(c);
}

/* The round-trip case file loads (the generic round-trip test passes a file that does not). */
TEST(ikev2_conf_roundtrip_case_loads)
{
	char path[512];
	const char *top = getenv("TOP");
	snprintf(path, sizeof(path), "%s/tests/unit/data/roundtrip/ikev2-seed-a.cfg", top ? top : ".");
	struct strbuf err;
	sb_init(&err);
	struct config *c = config_load_file(path, &err, NULL);
	CHECK(c != NULL && c->nv2_profile == 1);
	if (!c)
		fprintf(stderr, "    %s", sb_str(&err));
	config_free(c);
	sb_free(&err);
}

TEST(ikev2_conf_builder_fills_every_field)
{
	struct config *c = load_ok(cfg_a);
	CHECK(c != NULL);
	if (!c)
		return;
	uint32_t local = IP(10, 1, 1, 1), peer = IP(10, 2, 2, 2);
	const struct cfg_cmap_entry *e = ikev2_conf_entry_for_peer(c, peer);
	CHECK(e == &c->cmaps[0]);
	CHECK(ikev2_conf_entry_for_peer(c, IP(10, 9, 9, 9)) == NULL);	/* no ikev2-profile */
	struct ikev2_peer_conf pc;
	const char *why = "unset";
	CHECK(ikev2_conf_build_why(c, e, local, peer, &pc, &why) && why == NULL);
	/* P1: groups outermost, then encryption, integrity with its own PRF */
	CHECK(pc.nike == 8);
	const struct ikev2_suite want[8] = {
		{ IKEV2_ENCR_AES_CBC, 256, IKEV2_AUTH_HMAC_SHA2_256_128, IKEV2_PRF_HMAC_SHA2_256, 14 },
		{ IKEV2_ENCR_AES_CBC, 256, IKEV2_AUTH_HMAC_SHA1_96, IKEV2_PRF_HMAC_SHA1, 14 },
		{ IKEV2_ENCR_AES_CBC, 128, IKEV2_AUTH_HMAC_SHA2_256_128, IKEV2_PRF_HMAC_SHA2_256, 14 },
		{ IKEV2_ENCR_AES_CBC, 128, IKEV2_AUTH_HMAC_SHA1_96, IKEV2_PRF_HMAC_SHA1, 14 },
		{ IKEV2_ENCR_AES_CBC, 256, IKEV2_AUTH_HMAC_SHA2_256_128, IKEV2_PRF_HMAC_SHA2_256, 19 },
		{ IKEV2_ENCR_AES_CBC, 256, IKEV2_AUTH_HMAC_SHA1_96, IKEV2_PRF_HMAC_SHA1, 19 },
		{ IKEV2_ENCR_AES_CBC, 128, IKEV2_AUTH_HMAC_SHA2_256_128, IKEV2_PRF_HMAC_SHA2_256, 19 },
		{ IKEV2_ENCR_AES_CBC, 128, IKEV2_AUTH_HMAC_SHA1_96, IKEV2_PRF_HMAC_SHA1, 19 },
	};
	for (size_t i = 0; i < 8 && i < pc.nike; i++)
		CHECK(memcmp(&pc.ike[i], &want[i], sizeof(want[i])) == 0);
	/* auth2 has AH: skipped; v2set and v2gcm, in order */
	CHECK(pc.nchild == 2);
	CHECK(pc.child[0].encr == IKEV2_ENCR_AES_CBC && pc.child[0].encr_bits == 256 &&
	      pc.child[0].integ == IKEV2_AUTH_HMAC_SHA2_256_128);
	CHECK(pc.child[1].encr == IKEV2_ENCR_AES_GCM_16 && pc.child[1].encr_bits == 256 &&
	      pc.child[1].integ == 0);
	CHECK(pc.psk_local_len == 4 && memcmp(pc.psk_local, "keyA", 4) == 0);
	CHECK(pc.psk_remote_len == 4 && memcmp(pc.psk_remote, "keyB", 4) == 0);
	CHECK(pc.id_local == IP(10, 1, 1, 1) && pc.id_remote == peer);
	/* access-list 150 permit tcp 10.0.0.0 0.0.0.255 eq 22 host 10.0.2.2 range 1000 2000 */
	CHECK(pc.local_ts.proto == 6 && pc.local_ts.saddr == IP(10, 0, 0, 0) &&
	      pc.local_ts.eaddr == IP(10, 0, 0, 255) && pc.local_ts.sport == 22 && pc.local_ts.eport == 22);
	CHECK(pc.remote_ts.proto == 6 && pc.remote_ts.saddr == IP(10, 0, 2, 2) &&
	      pc.remote_ts.eaddr == IP(10, 0, 2, 2) && pc.remote_ts.sport == 1000 && pc.remote_ts.eport == 2000);
	config_free(c);
}

/* The 5-argument form the glue calls; the default policy; GCM suites; a wildcard keyring peer. */
TEST(ikev2_conf_builder_default_policy_and_gcm)
{
	struct config *c = load_ok(cfg_a);
	CHECK(c != NULL);
	if (!c)
		return;
	struct ikev2_peer_conf pc;
	/* local 10.7.7.7 matches no policy (POL names 10.1.1.1): IOS then has none */
	CHECK(!ikev2_conf_build(c, &c->cmaps[0], IP(10, 7, 7, 7), IP(10, 2, 2, 2), &pc));
	CHECK(pc.nike == 0 && pc.psk_local_len == 0);	/* wiped */
	struct strbuf out;
	sb_init(&out);
	/* the policy without match: any local address, GCM only */
	CHECK(conf(c, "crypto ikev2 policy ANYLOCAL\n proposal GCM", &out) == 0);
	CHECK(ikev2_conf_build(c, &c->cmaps[0], IP(10, 7, 7, 7), IP(10, 2, 2, 2), &pc));
	CHECK(pc.nike == 1 && pc.ike[0].encr == IKEV2_ENCR_AES_GCM_16 && pc.ike[0].encr_bits == 256 &&
	      pc.ike[0].integ == 0 && pc.ike[0].prf == IKEV2_PRF_HMAC_SHA2_384 && pc.ike[0].dh == 20);
	/* without any policy: IOS's default proposal (IOS-XE smart defaults) */
	CHECK(conf(c, "no crypto ikev2 policy ANYLOCAL\nno crypto ikev2 policy POL", &out) == 0);
	CHECK(c->nv2_policy == 0);
	CHECK(ikev2_conf_build(c, &c->cmaps[0], IP(10, 1, 1, 1), IP(10, 2, 2, 2), &pc));
	CHECK(pc.nike == 8);
	CHECK(pc.ike[0].encr == IKEV2_ENCR_AES_CBC && pc.ike[0].encr_bits == 256 &&
	      pc.ike[0].integ == IKEV2_AUTH_HMAC_SHA2_512_256 && pc.ike[0].prf == IKEV2_PRF_HMAC_SHA2_512 &&
	      pc.ike[0].dh == 19);
	CHECK(pc.ike[1].integ == IKEV2_AUTH_HMAC_SHA2_384_192 && pc.ike[1].prf == IKEV2_PRF_HMAC_SHA2_384);
	CHECK(pc.ike[2].dh == 14 && pc.ike[4].dh == 21 && pc.ike[6].dh == 5);
	/* a peer only the 0.0.0.0/0 keyring entry covers: its one key both ways */
	CHECK(conf(c, "crypto ikev2 profile PROF\n match identity remote address 10.3.0.0 255.255.0.0", &out) == 0);
	CHECK(ikev2_conf_build(c, &c->cmaps[0], IP(10, 1, 1, 1), IP(10, 3, 3, 3), &pc));
	CHECK(pc.psk_local_len == 8 && memcmp(pc.psk_local, "wildcard", 8) == 0 &&
	      pc.psk_remote_len == 8 && pc.id_remote == IP(10, 3, 3, 3));
	sb_free(&out);
	config_free(c);
}

static void build_fails(struct config *c, const char *lines, const char *why_part)
{
	struct strbuf out;
	sb_init(&out);
	CHECK(conf(c, lines, &out) == 0);
	if (sb_str(&out)[0])
		fprintf(stderr, "    %s", sb_str(&out));
	struct ikev2_peer_conf pc;
	const char *why = NULL;
	CHECK(!ikev2_conf_build_why(c, &c->cmaps[0], IP(10, 1, 1, 1), IP(10, 2, 2, 2), &pc, &why));
	CHECK(why && strstr(why, why_part));
	if (why && !strstr(why, why_part))
		fprintf(stderr, "    why: %s\n", why);
	sb_free(&out);
}

TEST(ikev2_conf_builder_says_what_is_missing)
{
	struct config *c = load_ok(cfg_a);
	CHECK(c != NULL);
	if (!c)
		return;
	build_fails(c, "crypto ikev2 keyring KR\n peer B\n  no pre-shared-key remote", "remote pre-shared key");
	build_fails(c, "crypto ikev2 keyring KR\n peer B\n  pre-shared-key 6 XXXX", "type 6");
	build_fails(c, "crypto ikev2 keyring KR\n peer B\n  pre-shared-key k\n  no address\n peer ANY\n  no address",
		    "no keyring peer");
	build_fails(c, "crypto ikev2 keyring KR\n peer B\n  address 10.2.2.2\n"
		       "crypto ikev2 profile PROF\n no authentication local", "authentication");
	build_fails(c, "crypto ikev2 profile PROF\n authentication local pre-share\n no keyring local", "keyring");
	build_fails(c, "crypto ikev2 profile PROF\n keyring local KR\n no match identity remote address", "match identity");
	build_fails(c, "crypto ikev2 profile PROF\n match identity remote address 10.2.2.2\n"
		       "crypto map testtag1 10\n set transform-set auth2", "ESP transform set");
	build_fails(c, "crypto map testtag1 10\n set transform-set v2set\n"
		       "no access-list 150\naccess-list 150 permit tcp any neq 22 any", "port");
	build_fails(c, "no access-list 150\naccess-list 150 deny ip any any", "no permit");
	build_fails(c, "no access-list 150\naccess-list 150 permit ip 10.0.0.0 0.0.255.0 any", "wildcard");
	build_fails(c, "no access-list 150\naccess-list 150 permit ip any any\n"
		       "crypto map testtag1 10\n no set ikev2-profile", "no ikev2-profile");
	config_free(c);
}

/*
 * IOS's rules for a usable proposal.  An incomplete one is kept (a saved
 * configuration must load again) but named with FILE:LINE, marked in show,
 * left out by the builder, and `exit` from it says so.
 */
TEST(ikev2_conf_incomplete_proposals_are_named_and_unused)
{
	static const struct {
		const char *body, *msg;
	} cases[] = {
		{ " encryption aes-cbc-128\n group 14\n", "no integrity" },
		{ " encryption aes-gcm-128\n group 14\n", "needs a prf" },
		{ " encryption aes-gcm-128\n integrity sha1\n prf sha1\n group 14\n", "remove integrity" },
		{ " encryption aes-gcm-128 aes-cbc-128\n prf sha1\n group 14\n", "cannot be in one" },
		{ " encryption aes-cbc-128\n integrity sha1\n", "no DH group" },
		{ " integrity sha1\n group 14\n", "no encryption" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[4096];
		snprintf(text, sizeof(text),
			 "hostname X\n!\ncrypto ikev2 proposal BAD\n%s!\ncrypto ikev2 policy POL\n proposal BAD\n!\n%s",
			 cases[i].body, strstr(cfg_a, "crypto ikev2 keyring"));
		struct strbuf err, notes;
		sb_init(&err);
		sb_init(&notes);
		struct config *c = config_load_string(text, "t.cfg", &err, &notes);
		CHECK(c != NULL);
		if (!c)
			fprintf(stderr, "    %s", sb_str(&err));
		CHECK(strstr(sb_str(&notes), "t.cfg:3: % IKEv2 proposal BAD is incomplete (") != NULL);
		CHECK(strstr(sb_str(&notes), cases[i].msg) != NULL);
		if (c) {
			char *s = exec_show(c, "show crypto ikev2 proposal BAD");
			CHECK(strstr(s, "(incomplete: ") != NULL);
			free(s);
			struct ikev2_peer_conf pc;
			const char *why = NULL;
			CHECK(!ikev2_conf_build_why(c, &c->cmaps[0], IP(10, 1, 1, 1), IP(10, 2, 2, 2), &pc, &why));
			CHECK(why && strstr(why, "no complete proposal"));
			struct strbuf out;
			sb_init(&out);
			CHECK(conf(c, "crypto ikev2 proposal BAD\n exit", &out) == 0);
			CHECK(strstr(sb_str(&out), "% IKEv2 proposal BAD is incomplete (") != NULL);
			sb_free(&out);
		}
		config_free(c);
		sb_free(&err);
		sb_free(&notes);
	}
	struct strbuf notes;
	sb_init(&notes);
	struct config *c = config_load_string("crypto ikev2 proposal OK\n encryption aes-gcm-128\n prf sha256\n"
					      " group 19\n!\ncrypto ikev2 policy EMPTY\n", "t.cfg", NULL, &notes);
	CHECK(c != NULL);
	CHECK_STR(sb_str(&notes), "t.cfg:6: % IKEv2 policy EMPTY has no proposal: it matches nothing\n");
	config_free(c);
	sb_free(&notes);
}

/* Bad lines stop the load with FILE:LINE; dangling names are refused. */
TEST(ikev2_conf_load_errors_name_the_line)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "crypto ikev2 proposal P\n encryption aes-cbc-999\n", "t.cfg:2: % Invalid input" },
		{ "crypto ikev2 proposal P\n encryption aes-cbc-128\n integrity sha1\n group 3\n", "t.cfg:4: % Invalid input" },
		{ "crypto ikev2 policy POL\n proposal NOPE\n", "t.cfg:2: % IKEv2 proposal NOPE does not exist" },
		{ "crypto ikev2 profile X\n keyring local NOPE\n", "t.cfg:2: % IKEv2 keyring NOPE does not exist" },
		{ "crypto ikev2 profile X\n dpd 5 2 on-demand\n", "t.cfg:2: % Invalid input" },
		{ "crypto ikev2 profile X\n lifetime 100000\n", "t.cfg:2: % Invalid input" },
		{ "crypto ikev2 keyring K\n peer P\n  address 10.0.0.0 255.0.255.0\n", "t.cfg:3: % Invalid input" },
		{ "crypto map m 10 ipsec-isakmp\n set ikev2-profile NOPE\n", "t.cfg:2: % IKEv2 profile NOPE does not exist" },
		{ "crypto map m 10 ipsec-manual\n set ikev2-profile NOPE\n", "t.cfg:2: % set ikev2-profile needs" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf err;
		sb_init(&err);
		struct config *c = load(cases[i].text, &err);
		CHECK(c == NULL);
		CHECK(strstr(sb_str(&err), cases[i].err) != NULL);
		if (!strstr(sb_str(&err), cases[i].err))
			fprintf(stderr, "    case %zu: %s", i, sb_str(&err));
		config_free(c);
		sb_free(&err);
	}
}

/* `no` forms, references that hold, and a keyring peer's sub-mode. */
TEST(ikev2_conf_no_forms_and_references)
{
	struct config *c = load_ok(cfg_a);
	CHECK(c != NULL);
	if (!c)
		return;
	struct strbuf out;
	sb_init(&out);
	CHECK(conf(c, "no crypto ikev2 proposal P1", &out) < 0);
	CHECK(strstr(sb_str(&out), "% IKEv2 proposal P1 is used by policy POL") != NULL);
	CHECK(config_v2_proposal(c, "P1") != NULL);
	sb_reset(&out);
	CHECK(conf(c, "no crypto ikev2 keyring KR", &out) < 0);
	CHECK(strstr(sb_str(&out), "used by profile PROF") != NULL);
	sb_reset(&out);
	CHECK(conf(c, "no crypto ikev2 profile PROF", &out) < 0);
	CHECK(strstr(sb_str(&out), "used by crypto map testtag1 10") != NULL);
	sb_reset(&out);
	CHECK(conf(c, "crypto ikev2 proposal P1\n no encryption aes-cbc-128\n no integrity\n integrity sha512\n"
		      " no group 19\n group 21 20", &out) == 0);
	const struct cfg_ikev2_proposal *p = config_v2_proposal(c, "P1");
	CHECK(p->nencr == 1 && p->ninteg == 1 && p->integ[0].id == IKEV2_AUTH_HMAC_SHA2_512_256);
	CHECK(p->ngroup == 3 && p->group[0].id == 14 && p->group[1].id == 21 && p->group[2].id == 20);
	CHECK(conf(c, "crypto ikev2 policy POL\n no proposal GCM\n no match address local 10.1.1.1", &out) == 0);
	const struct cfg_ikev2_policy *pol = config_v2_policy(c, "POL");
	CHECK(pol->nproposal == 1 && pol->nmatch_local == 0);
	CHECK(conf(c, "no crypto ikev2 proposal GCM", &out) == 0 && !config_v2_proposal(c, "GCM"));
	/* keyring peer: `peer` from inside another peer's sub-mode, `exit` to the keyring */
	CHECK(conf(c, "crypto ikev2 keyring KR\n peer B\n  pre-shared-key newkey\n peer C\n"
		      "  address 10.5.5.5\n  exit\n no peer ANY", &out) == 0);
	const struct cfg_ikev2_keyring *k = config_v2_keyring(c, "KR");
	CHECK(k->npeer == 2 && strcmp(k->peers[1].name, "C") == 0 && k->peers[1].addr == IP(10, 5, 5, 5));
	CHECK(k->peers[0].psk_both && strcmp(k->peers[0].psk_remote.key, "newkey") == 0);
	CHECK(conf(c, "crypto ikev2 profile PROF\n no dpd\n no lifetime\n no identity local address\n no description",
		   &out) == 0);
	const struct cfg_ikev2_profile *pr = config_v2_profile(c, "PROF");
	CHECK(pr->dpd_interval == 0 && pr->lifetime == 86400 && !pr->has_id_local);
	CHECK(conf(c, "crypto map testtag1 10\n no set ikev2-profile\nno crypto ikev2 profile PROF", &out) == 0);
	CHECK(c->nv2_profile == 0 && c->cmaps[0].ikev2_profile[0] == '\0');
	char *r = body(c);
	CHECK(strstr(r, "crypto ikev2 profile") == NULL && strstr(r, "set ikev2-profile") == NULL);
	CHECK(strstr(r, "crypto ikev2 keyring KR\n peer B\n  description router B\n  address 10.2.2.2\n  pre-shared-key newkey\n !\n"
			" peer C\n  address 10.5.5.5\n !\n") != NULL);
	free(r);
	sb_free(&out);
	config_free(c);
}

/* Interactively created blocks land where IOS prints them: before crypto isakmp. */
TEST(ikev2_conf_new_blocks_in_ios_order)
{
	struct config *c = config_new();
	struct strbuf out;
	sb_init(&out);
	CHECK(conf(c, "crypto isakmp policy 1\n authentication pre-share\n"
		      "crypto ikev2 keyring K\n peer P\n  address 10.2.2.2\n  pre-shared-key k\n"
		      "crypto ikev2 proposal P\n encryption aes-cbc-128\n integrity sha1\n group 14\n"
		      "crypto ikev2 profile F\n match identity remote address 10.2.2.2",
		   &out) == 0);
	CHECK(strcmp(sb_str(&out), "") == 0);
	char *r = body(c);
	const char *prop = strstr(r, "crypto ikev2 proposal P"), *kr = strstr(r, "crypto ikev2 keyring K");
	const char *prof = strstr(r, "crypto ikev2 profile F"), *isakmp = strstr(r, "crypto isakmp policy 1");
	CHECK(prop && kr && prof && isakmp && prop < kr && kr < prof && prof < isakmp);
	struct config *c2 = load_ok(r);
	CHECK(c2 != NULL);
	if (c2) {
		char *r2 = body(c2);
		CHECK_STR(r, r2);
		free(r2);
		config_free(c2);
	}
	free(r);
	sb_free(&out);
	config_free(c);
}

TEST(ikev2_conf_show_commands)
{
	struct config *c = load_ok(cfg_a);
	CHECK(c != NULL);
	if (!c)
		return;
	char *s = exec_show(c, "show crypto ikev2 proposal P1");
	CHECK_STR(s, " IKEv2 proposal: P1\n"
		     "     Encryption : AES-CBC-256 AES-CBC-128\n"
		     "     Integrity  : SHA256 SHA96\n"
		     "     DH Group   : DH_GROUP_2048_MODP/Group 14 DH_GROUP_256_ECP/Group 19\n");
	free(s);
	s = exec_show(c, "show crypto ikev2 proposal GCM");
	CHECK(strstr(s, "     PRF        : SHA384\n") && !strstr(s, "Integrity"));
	free(s);
	s = exec_show(c, "show crypto ikev2 policy");
	CHECK_STR(s, "\n IKEv2 policy : POL\n"
		     "      Match fvrf : global\n"
		     "      Match address local : 10.1.1.1\n"
		     "      Proposal    : P1\n"
		     "      Proposal    : GCM\n");
	free(s);
	s = exec_show(c, "show crypto ikev2 profile PROF");
	CHECK(strstr(s, "IKEv2 profile: PROF\n Ref Count: 1\n") != NULL);
	CHECK(strstr(s, "   address 10.2.2.2 255.255.255.255\n") != NULL);
	CHECK(strstr(s, " Local identity: address 10.1.1.1\n") != NULL);
	CHECK(strstr(s, " Local authentication method: pre-share\n Remote authentication method(s): pre-share\n"));
	CHECK(strstr(s, " Keyring: KR\n") && strstr(s, " Lifetime: 3600 seconds\n"));
	CHECK(strstr(s, " DPD: interval 10, retry 2, on-demand\n") != NULL);
	free(s);
	s = exec_show(c, "show crypto ikev2 profile NOPE");
	CHECK_STR(s, "% IKEv2 profile NOPE does not exist\n");
	free(s);
	/* no policy configured: IOS's default policy and proposal */
	struct config *d = config_new();
	s = exec_show(d, "show crypto ikev2 policy");
	CHECK(strstr(s, " IKEv2 policy : default\n") && strstr(s, "      Proposal    : default\n"));
	free(s);
	s = exec_show(d, "show crypto ikev2 proposal");
	CHECK_STR(s, " IKEv2 proposal: default\n"
		     "     Encryption : AES-CBC-256\n"
		     "     Integrity  : SHA512 SHA384\n"
		     "     PRF        : SHA512 SHA384\n"
		     "     DH Group   : DH_GROUP_256_ECP/Group 19 DH_GROUP_2048_MODP/Group 14 "
		     "DH_GROUP_521_ECP/Group 21 DH_GROUP_1536_MODP/Group 5\n");
	free(s);
	config_free(d);
	config_free(c);
}

/* IOS prompts, `exit` from a keyring peer to its keyring. */
TEST(ikev2_conf_prompts)
{
	struct config *c = config_new();
	struct strbuf out;
	sb_init(&out);
	struct cli_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = c;
	ctx.out = &out;
	ctx.mode = MODE_CONFIG;
	CHECK(cmd_execute(&ctx, "crypto ikev2 keyring K") == 0);
	CHECK(cmd_execute(&ctx, "peer P") == 0);
	sb_reset(&out);
	cmd_prompt(&ctx, &out);
	CHECK(strstr(sb_str(&out), "(config-ikev2-keyring-peer)#") != NULL);
	CHECK(cmd_execute(&ctx, "exit") == 0 && ctx.mode == MODE_CONFIG_V2_KEYRING);
	CHECK(cmd_execute(&ctx, "exit") == 0 && ctx.mode == MODE_CONFIG);
	CHECK(cmd_execute(&ctx, "crypto ikev2 profile F") == 0);
	sb_reset(&out);
	cmd_prompt(&ctx, &out);
	CHECK(strstr(sb_str(&out), "(config-ikev2-profile)#") != NULL);
	/* a global command leaves the sub-mode, as in IOS */
	CHECK(cmd_execute(&ctx, "crypto ikev2 proposal X") == 0 && ctx.mode == MODE_CONFIG_V2_PROPOSAL);
	sb_free(&out);
	config_free(c);
}

/* load, render, load, render is identical. */
static void stable(const char *text)
{
	struct config *c = load_ok(text);
	CHECK(c != NULL);
	if (!c)
		return;
	char *r1 = body(c);
	struct config *c2 = load_ok(r1);
	CHECK(c2 != NULL);
	if (c2) {
		char *r2 = body(c2);
		CHECK_STR(r1, r2);
		if (strcmp(r1, r2) != 0)
			fprintf(stderr, "    first:\n%s    second:\n%s", r1, r2);
		free(r2);
		config_free(c2);
	}
	free(r1);
	config_free(c);
}

/*
 * fuzz_config finding: a block keeps the place it first appeared in, so a
 * policy entered before the proposal it later names was rendered before it
 * and the rendering did not load.  Names are now checked once the whole file
 * is in; lines a keyring keeps go before its peers.
 */
TEST(ikev2_conf_blocks_in_any_order_round_trip)
{
	stable("crypto ikev2 policy POL\n match address local 10.1.1.1\n!\n"
	       "crypto ikev2 proposal P1\n encryption aes-cbc-128\n integrity sha1\n group 14\n!\n"
	       "crypto ikev2 policy POL\n proposal P1\n");
	stable("crypto map m 10 ipsec-isakmp\n set peer 10.2.2.2\n set ikev2-profile F\n!\n"
	       "crypto ikev2 keyring K\n peer P\n  address 10.2.2.2\n  pre-shared-key k\n!\n"
	       "crypto ikev2 profile F\n keyring local K\n");
	/* every group in one proposal: one line of eight, read back */
	stable("crypto ikev2 proposal G\n encryption aes-cbc-128\n integrity sha1\n group 5 14 15 16\n"
	       " group 19 20 21 24\n");
	stable("crypto ikev2 keyring K\n peer P\n  pre-shared-key k\n  exit\n unknown keyring line\n"
	       "  deeper line\n peer Q\n  unknown peer line\n");
	struct strbuf err;
	sb_init(&err);
	struct config *c = load("crypto ikev2 policy POL\n proposal LATER\n!\ncrypto ikev2 proposal OTHER\n", &err);
	CHECK(c == NULL);
	CHECK_STR(sb_str(&err), "t.cfg:2: % IKEv2 proposal LATER does not exist\n");
	config_free(c);
	sb_free(&err);
}
