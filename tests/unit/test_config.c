/* The config model: IOS defaults, the seed configs, running-config layout,
 * load errors (nothing applied), opaque lines, canonical placement, save. */
#include "t.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg_int.h"
#include "config/cmdtree.h"
#include "config/load.h"

static char *slurp_path(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	struct strbuf sb;
	sb_init(&sb);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_putn(&sb, buf, n);
	fclose(f);
	return sb_take(&sb);
}

static char *slurp(const char *name)
{
	char path[512];
	const char *top = getenv("TOP");
	snprintf(path, sizeof(path), "%s/tests/unit/data/%s", top ? top : ".", name);
	return slurp_path(path);
}

static char *render(const struct config *c)
{
	struct strbuf sb;
	sb_init(&sb);
	config_render(c, &sb);
	return sb_take(&sb);
}

/* The text after the "Current configuration : N bytes" line. */
static const char *body_of(const char *text)
{
	const char *p = strstr(text, "Current configuration : ");
	return p ? strchr(p, '\n') + 1 : text;
}

static struct config *load(const char *text)
{
	struct strbuf err;
	sb_init(&err);
	struct config *c = config_load_string(text, "t.cfg", &err, NULL);
	if (!c)
		fprintf(stderr, "    unexpected load error: %s", sb_str(&err));
	sb_free(&err);
	return c;
}

/* Runs config-mode lines as an interactive session would. */
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
		if (cmd_execute(&ctx, l) < 0)
			rc = -1;
	free(dup);
	return rc;
}

TEST(config_new_has_ios_defaults)
{
	struct config *c = config_new();
	CHECK_STR(c->hostname, "Router");
	CHECK(c->ipsec_life_sec == 3600 && c->ipsec_life_kb == 4608000);
	CHECK(c->replay_window == 64);
	CHECK(c->logging_buffered && c->logging_buffer_size == 8192);
	CHECK(c->natt_enabled);
	CHECK(c->isakmp_keepalive == 0 && c->isakmp_keepalive_retry == 2);
	CHECK(!c->isr.enabled && c->isr.holddown_sec == 10 && c->isr.notify_holddown_sec == 1 &&
	      c->isr.budget_per_sec == 10 && c->isr.max_pending == 64);
	char *r = render(c);
	CHECK(strstr(r, "!\nhostname Router\n!\nend\n") != NULL);
	free(r);
	struct strbuf out;
	sb_init(&out);
	CHECK(conf(c, "crypto isakmp policy 1", &out) == 0);
	const struct cfg_isakmp_policy *p = &c->policies[0];
	CHECK(p->enc == IKE_ENC_DES && p->hash == IKE_HASH_SHA1 && p->auth == IKE_AUTH_RSA_SIG &&
	      p->group == 1 && p->lifetime == 86400);
	sb_free(&out);
	config_free(c);
}

static void seed_roundtrip(const char *name, const char *host, int niface)
{
	char *seed = slurp(name);
	CHECK(seed != NULL);
	if (!seed)
		return;
	struct strbuf err, notes;
	sb_init(&err);
	sb_init(&notes);
	struct config *c = config_load_string(seed, name, &err, &notes);
	CHECK(c != NULL);
	if (!c) {
		fprintf(stderr, "%s", sb_str(&err));
		free(seed);
		return;
	}
	CHECK_STR(c->hostname, host);
	CHECK((int)c->niface == niface);
	char *r1 = render(c);
	/* the rendering is the seed itself, with the real byte count */
	CHECK_STR(body_of(r1), body_of(seed));
	unsigned long n = 0;
	CHECK(sscanf(strstr(r1, "Current configuration : "), "Current configuration : %lu bytes", &n) == 1);
	CHECK(n == strlen(body_of(r1)));
	struct config *c2 = load(r1);
	CHECK(c2 != NULL);
	if (c2) {
		char *r2 = render(c2);
		CHECK_STR(r1, r2);
		free(r2);
		config_free(c2);
	}
	/* notes name the file and line of each line kept but not acted on */
	CHECK(strstr(sb_str(&notes), ":6: % Not supported, kept in running-config: no service pad\n"));
	CHECK(strstr(sb_str(&notes), "% Not supported, kept in running-config: ip cef\n"));
	CHECK(!strstr(sb_str(&notes), "version"));
	CHECK(!strstr(sb_str(&notes), "Building"));
	CHECK(!strstr(sb_str(&notes), ": !\n"));
	CHECK(!strstr(sb_str(&notes), "hostname"));
	CHECK(!strstr(sb_str(&notes), "crypto"));
	free(r1);
	free(seed);
	config_free(c);
	sb_free(&err);
	sb_free(&notes);
}

TEST(config_seed_router_a_loads_and_round_trips)
{
	seed_roundtrip("router-a.cfg", "ipseca-71a", 6);
	char *seed = slurp("router-a.cfg");
	struct config *c = seed ? load(seed) : NULL;
	CHECK(c != NULL);
	if (!c)
		return;
	const struct cfg_iface *f = config_iface(c, "FastEthernet0/0");
	CHECK(f && f->has_addr && f->addr == 0x0a010101 && f->mask == 0xff000000);
	CHECK(f && strcmp(f->crypto_map, "testtag1") == 0 && !f->shutdown);
	CHECK(f && f->extra.nsub == 3 && strcmp(f->extra.sub[1], "duplex full") == 0);
	CHECK(config_iface(c, "Serial1/0")->shutdown);
	CHECK(c->npolicy == 1 && c->policies[0].auth == IKE_AUTH_PSK && c->policies[0].lifetime == 180 &&
	      c->policies[0].enc == IKE_ENC_DES && c->policies[0].group == 1);
	CHECK(c->nkey == 1 && strcmp(c->keys[0].key, "1234") == 0 && c->keys[0].enc_type == 0 &&
	      c->keys[0].addr == 0x0a020202 && c->keys[0].mask == 0xffffffff);
	CHECK(c->isr.enabled);
	const struct cfg_transform_set *ts = config_tset(c, "auth2");
	CHECK(ts && ts->ah == XF_AH_SHA1 && ts->esp_enc == XF_ENC_DES && ts->esp_auth == XF_AUTH_SHA1 &&
	      !ts->transport);
	CHECK(c->ncmap == 1 && c->cmaps[0].seq == 10 && !c->cmaps[0].manual && c->cmaps[0].npeers == 1 &&
	      c->cmaps[0].peers[0] == 0x0a020202 && c->cmaps[0].acl == 150 && c->cmaps[0].ntsets == 1);
	CHECK(c->nroute == 1 && c->routes[0].prefix == 0x0a030303 && c->routes[0].nexthop == 0x0a020001);
	const struct cfg_acl *acl = config_acl(c, 150);
	CHECK(acl && acl->nace == 1 && acl->aces[0].extended && acl->aces[0].permit &&
	      acl->aces[0].proto == 0 && acl->aces[0].src == 0x0a000001 && acl->aces[0].src_wild == 0 &&
	      acl->aces[0].dst == 0x0a000202 && acl->aces[0].dst_wild == 0);
	CHECK(config_is_static_peer(c, 0x0a020202));
	CHECK(!config_is_static_peer(c, 0x0a020203));
	free(seed);
	config_free(c);
}

TEST(config_seed_router_b_loads_and_round_trips)
{
	seed_roundtrip("router-b.cfg", "ipseca-72a", 13);
}

TEST(config_defaults_omitted_as_ios_does)
{
	struct config *c = config_new();
	struct strbuf out;
	sb_init(&out);
	CHECK(conf(c, "crypto isakmp policy 10\nencryption des\nhash sha\nauthentication rsa-sig\n"
		      "group 1\nlifetime 86400\nexit\n"
		      "crypto isakmp invalid-spi-recovery holddown 10\n"
		      "crypto ipsec security-association lifetime seconds 3600\n"
		      "crypto ipsec security-association replay window-size 64\n"
		      "crypto ipsec nat-transparency udp-encapsulation\nlogging buffered 8192\n",
		  &out) == 0);
	char *r = render(c);
	CHECK(strstr(r, "crypto isakmp policy 10\n!\n") || strstr(r, "crypto isakmp policy 10\nend"));
	CHECK(!strstr(r, "encr") && !strstr(r, "hash") && !strstr(r, "group") && !strstr(r, "lifetime"));
	CHECK(!strstr(r, "invalid-spi-recovery") && !strstr(r, "replay") && !strstr(r, "nat-trans"));
	CHECK(!strstr(r, "logging"));
	free(r);
	CHECK(conf(c, "crypto isakmp policy 10\nencryption aes 256\nhash sha256\nauthentication pre-share\n"
		      "group 14\nlifetime 3600\nexit\n"
		      "crypto isakmp invalid-spi-recovery\n"
		      "crypto isakmp invalid-spi-recovery budget 50\n"
		      "crypto isakmp invalid-spi-recovery max-pending 128\n"
		      "crypto isakmp keepalive 10 3 periodic\ncrypto isakmp nat keepalive 20\n"
		      "crypto ipsec security-association lifetime kilobytes 100000\n"
		      "crypto ipsec security-association replay window-size 1024\n"
		      "no crypto ipsec nat-transparency udp-encapsulation\nlogging buffered 16384\n",
		  &out) == 0);
	r = render(c);
	CHECK(strstr(r, "crypto isakmp policy 10\n encr aes 256\n hash sha256\n authentication pre-share\n"
			" group 14\n lifetime 3600\n"));
	CHECK(strstr(r, "crypto isakmp invalid-spi-recovery\n"
			"crypto isakmp invalid-spi-recovery budget 50\n"
			"crypto isakmp invalid-spi-recovery max-pending 128\n"));
	CHECK(!strstr(r, "holddown"));
	CHECK(strstr(r, "crypto isakmp keepalive 10 3 periodic\n"));
	CHECK(strstr(r, "crypto isakmp nat keepalive 20\n"));
	CHECK(strstr(r, "crypto ipsec security-association lifetime kilobytes 100000\n"));
	CHECK(!strstr(r, "lifetime seconds"));
	CHECK(strstr(r, "crypto ipsec security-association replay window-size 1024\n"));
	CHECK(strstr(r, "no crypto ipsec nat-transparency udp-encapsulation\n"));
	CHECK(strstr(r, "logging buffered 16384\n"));
	CHECK(!c->natt_enabled && c->replay_window == 1024 && c->logging_buffer_size == 16384);
	/* and the rendering loads back to the same thing */
	struct config *c2 = load(r);
	CHECK(c2 != NULL);
	if (c2) {
		char *r2 = render(c2);
		CHECK_STR(r, r2);
		CHECK(c2->isr.budget_per_sec == 50 && c2->isr.holddown_sec == 10 && !c2->natt_enabled &&
		      c2->isakmp_keepalive_periodic && c2->isakmp_keepalive_retry == 3);
		free(r2);
		config_free(c2);
	}
	CHECK(conf(c, "no logging buffered", &out) == 0);
	free(r);
	r = render(c);
	CHECK(strstr(r, "no logging buffered\n") && !c->logging_buffered);
	free(r);
	sb_free(&out);
	config_free(c);
}

/* Each case: a config whose line `line` is a malformed handled command. */
static const struct {
	const char *text;
	int line;
	int caret;	/* column of the caret in that line */
} bad[] = {
	{ "hostname r1\ninterface FastEthernet0/0\n ip address 10.1.1.300 255.0.0.0\n", 3, 12 },
	{ "interface FastEthernet0/0\n ip address 10.1.1.1 255.0.255.0\n", 2, 21 },
	{ "interface FastEthernet0/0\n ip address 10.1.1.1\n", 2, 21 },
	{ "interface FastEthernet0/0\n ip mtu 40\n", 2, 8 },
	{ "interface Bogus0/0\n", 1, 10 },
	{ "interface FastEthernet\n", 1, 10 },
	{ "crypto isakmp policy 0\n", 1, 21 },
	{ "crypto isakmp policy 10001\n", 1, 21 },
	{ "crypto isakmp policy 1\n encryption blowfish\n", 2, 12 },
	{ "crypto isakmp policy 1\n encryption aes 512\n", 2, 16 },
	{ "crypto isakmp policy 1\n hash sha1\n", 2, 9 },
	{ "crypto isakmp policy 1\n group 3\n", 2, 7 },
	{ "crypto isakmp policy 1\n lifetime 59\n", 2, 10 },
	{ "crypto isakmp policy 1\n authentication psk\n", 2, 17 },
	{ "crypto isakmp key 0 1234 address 10.2.2\n", 1, 33 },
	{ "crypto isakmp keepalive 5\n", 1, 24 },
	{ "crypto isakmp invalid-spi-recovery holddown 0\n", 1, 44 },
	{ "crypto isakmp invalid-spi-recovery budget 1001\n", 1, 42 },
	{ "crypto isakmp invalid-spi-recovery sometimes\n", 1, 35 },
	{ "crypto ipsec transform-set t1 esp-des esp-3des\n", 1, 38 },
	{ "crypto ipsec transform-set t1 esp-gcm esp-sha-hmac\n", 1, 38 },
	{ "crypto ipsec transform-set t1 ah-md5-hmac ah-sha-hmac\n", 1, 42 },
	{ "crypto ipsec transform-set t1 esp-rot13\n", 1, 34 },
	{ "crypto ipsec transform-set t1\n", 1, 30 },
	{ "crypto ipsec transform-set t1 esp-des\n mode tunnelled\n", 2, 12 },
	{ "crypto ipsec security-association lifetime seconds 100\n", 1, 51 },
	{ "crypto ipsec security-association replay window-size 100\n", 1, 55 },
	{ "crypto map m 10 ipsec-isakmp\n set peer foo\n", 2, 10 },
	{ "crypto map m 0 ipsec-isakmp\n", 1, 13 },
	{ "crypto map m 10 ipsec-isakmp\n set pfs group3\n", 2, 14 },
	{ "crypto map m 10 ipsec-isakmp\n match address 300\n", 2, 15 },
	{ "crypto map m 10 ipsec-isakmp\n set security-association lifetime seconds 10\n", 2, 43 },
	{ "access-list 150 permit ip host\n", 1, 31 },
	{ "access-list 150 permit ip host 10.0.0.1 hots 10.0.2.2\n", 1, 40 },
	{ "access-list 150 permt ip any any\n", 1, 20 },
	{ "access-list 150 permit icmp any eq 80 any\n", 1, 32 },
	{ "access-list 150 permit tcp any range 90 80 any\n", 1, 40 },
	{ "access-list 150 permit udp any any eq nosuchport\n", 1, 38 },
	{ "access-list 10 permit 10.0.0.0 255.0.0.0.0\n", 1, 31 },
	{ "access-list 300 permit any\n", 1, 12 },
	{ "ip route 10.0.0.0 255.0.0.0\n", 1, 28 },
	{ "ip route 10.0.0.0 255.0.0.0 10.2.0.1 256\n", 1, 37 },
	{ "ip route 10.0.0.0 255.0.255.0 10.2.0.1\n", 1, 18 },
	{ "logging buffered 100\n", 1, 17 },
	{ "hostname\n", 1, 9 },
};

TEST(config_malformed_lines_stop_the_load)
{
	CHECK(sizeof(bad) / sizeof(bad[0]) >= 30);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct strbuf err, notes;
		sb_init(&err);
		sb_init(&notes);
		struct config *c = config_load_string(bad[i].text, "x.cfg", &err, &notes);
		/* the whole file is refused: the caller keeps its old config */
		CHECK(c == NULL);
		config_free(c);
		/* find the offending line text */
		const char *p = bad[i].text;
		for (int l = 1; l < bad[i].line; l++)
			p = strchr(p, '\n') + 1;
		size_t ll = strcspn(p, "\n");
		struct strbuf want;
		sb_init(&want);
		sb_printf(&want, "x.cfg:%d: %% Invalid input detected at '^' marker.\n%.*s\n%*s^\n",
			  bad[i].line, (int)ll, p, bad[i].caret, "");
		bool ok = strncmp(sb_str(&err), sb_str(&want), want.len) == 0;
		CHECK(ok);
		if (!ok)
			fprintf(stderr, "    case %zu: got:\n%s    want:\n%s", i, sb_str(&err), sb_str(&want));
		sb_free(&want);
		sb_free(&err);
		sb_free(&notes);
	}
}

TEST(config_cross_references_checked_after_the_load)
{
	struct strbuf err;
	sb_init(&err);
	/* a map may name a transform set defined further down ... */
	struct config *c = config_load_string("crypto map m 10 ipsec-isakmp\n set transform-set later\n!\n"
					      "crypto ipsec transform-set later esp-aes esp-sha-hmac\n",
					      "x.cfg", &err, NULL);
	CHECK(c != NULL);
	config_free(c);
	/* ... but it must exist somewhere */
	c = config_load_string("hostname h\ncrypto map m 10 ipsec-isakmp\n set transform-set nosuch\n", "x.cfg",
			       &err, NULL);
	CHECK(c == NULL);
	CHECK_STR(sb_str(&err), "x.cfg:3: ERROR: transform set with tag \"nosuch\" does not exist.\n");
	sb_reset(&err);
	/* manual keys must fit the transform set, wherever it is defined */
	c = config_load_string("crypto map mm 10 ipsec-manual\n set peer 10.2.2.2\n"
			       " set session-key inbound esp 300 cipher 0011223344556677 authenticator 00112233445566778899aabbccddeeff\n"
			       " set transform-set t\n match address 150\n!\n"
			       "crypto ipsec transform-set t esp-aes esp-md5-hmac\n",
			       "x.cfg", &err, NULL);
	CHECK(c == NULL);
	CHECK_STR(sb_str(&err), "x.cfg:4: % esp-aes needs a 16-byte cipher key, 8 given\n");
	sb_free(&err);
}

TEST(config_opaque_lines_kept_in_place)
{
	const char *text = "version 12.3\nservice tcp-small-servers\n!\nhostname r7\n!\n"
			   "interface FastEthernet0/0\n ip address 10.1.1.1 255.0.0.0\n duplex full\n"
			   " no ip route-cache cef\n!\ncrypto map m 10 ipsec-isakmp\n set peer 10.2.2.2\n"
			   " set security-association level per-host\n!\n"
			   "line con 0\n exec-timeout 0 0\n  deeper sub\n!\nend\n";
	struct strbuf err, notes;
	sb_init(&err);
	sb_init(&notes);
	struct config *c = config_load_string(text, "o.cfg", &err, &notes);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_STR(sb_str(&notes),
		  "o.cfg:2: % Not supported, kept in running-config: service tcp-small-servers\n"
		  "o.cfg:8: % Not supported, kept in running-config: duplex full\n"
		  "o.cfg:9: % Not supported, kept in running-config: no ip route-cache cef\n"
		  "o.cfg:13: % Not supported, kept in running-config: set security-association level per-host\n"
		  "o.cfg:15: % Not supported, kept in running-config: line con 0\n");
	char *r = render(c);
	CHECK_STR(body_of(r), "version 12.3\nservice tcp-small-servers\n!\nhostname r7\n!\n"
			      "interface FastEthernet0/0\n ip address 10.1.1.1 255.0.0.0\n"
			      " no ip route-cache cef\n duplex full\n!\n"
			      "crypto map m 10 ipsec-isakmp\n set peer 10.2.2.2\n"
			      " set security-association level per-host\n!\n"
			      "line con 0\n exec-timeout 0 0\n  deeper sub\n!\nend\n");
	free(r);
	config_free(c);
	sb_free(&err);
	sb_free(&notes);
}

TEST(config_new_objects_land_in_ios_position)
{
	char *seed = slurp("router-a.cfg");
	struct config *c = seed ? load(seed) : NULL;
	CHECK(c != NULL);
	if (!c)
		return;
	struct strbuf out;
	sb_init(&out);
	CHECK(conf(c, "crypto isakmp policy 5\nauthentication pre-share\nexit\n"
		      "crypto isakmp key s3cret address 10.9.9.0 255.255.255.0\n"
		      "crypto ipsec transform-set strong esp-aes 256 esp-sha256-hmac\nmode transport\nexit\n"
		      "crypto map testtag1 5 ipsec-isakmp\nset peer 10.9.9.9\nexit\n"
		      "interface Loopback0\nip address 192.168.0.1 255.255.255.255\nexit\n"
		      "ip route 0.0.0.0 0.0.0.0 10.1.1.254\n"
		      "access-list 101 permit udp any any eq isakmp\n"
		      "access-list 101 permit udp any any eq non500-isakmp log\n"
		      "access-list 10 permit 10.0.0.0 0.255.255.255\n",
		  &out) == 0);
	/* interactively, a new crypto map gets IOS's note */
	CHECK(strstr(sb_str(&out), "% NOTE: This new crypto map will remain disabled until a peer and a "
				   "valid access list have been configured.\n"));
	char *r = render(c);
	CHECK(strstr(r, "crypto isakmp policy 1\n authentication pre-share\n lifetime 180\n!\n"
			"crypto isakmp policy 5\n authentication pre-share\n"
			"crypto isakmp key 0 1234 address 10.2.2.2\n"
			"crypto isakmp key s3cret address 10.9.9.0 255.255.255.0\n"
			"crypto isakmp invalid-spi-recovery\n"));
	CHECK(strstr(r, "crypto ipsec transform-set auth2 ah-sha-hmac esp-des esp-sha-hmac\n!\n"
			"crypto ipsec transform-set strong esp-aes 256 esp-sha256-hmac\n mode transport\n!\n"));
	CHECK(strstr(r, "crypto map testtag1 5 ipsec-isakmp\n set peer 10.9.9.9\n!\n"
			"crypto map testtag1 10 ipsec-isakmp\n"));
	CHECK(strstr(r, " clockrate 128000\n!\ninterface Loopback0\n ip address 192.168.0.1 255.255.255.255\n!\n"
			"ip classless\n"));
	CHECK(strstr(r, "ip route 10.3.3.3 255.0.0.0 10.2.0.1\nip route 0.0.0.0 0.0.0.0 10.1.1.254\n"));
	CHECK(strstr(r, "access-list 10 permit 10.0.0.0 0.255.255.255\n"
			"access-list 101 permit udp any any eq isakmp\n"
			"access-list 101 permit udp any any eq non500-isakmp log\n"
			"access-list 150 permit ip host 10.0.0.1 host 10.0.2.2\n"));
	/* the canonical rendering is stable */
	struct config *c2 = load(r);
	CHECK(c2 != NULL);
	if (c2) {
		char *r2 = render(c2);
		CHECK_STR(r, r2);
		free(r2);
		config_free(c2);
	}
	/* and deleting takes the blocks out again */
	CHECK(conf(c, "no crypto map testtag1 5\nno crypto isakmp policy 5\nno interface Loopback0\n"
		      "no access-list 101\nno access-list 10\nno ip route 0.0.0.0 0.0.0.0\n"
		      "no crypto ipsec transform-set strong\n"
		      "no crypto isakmp key s3cret address 10.9.9.0 255.255.255.0\n",
		  &out) == 0);
	free(r);
	r = render(c);
	CHECK_STR(body_of(r), body_of(seed));
	free(r);
	free(seed);
	sb_free(&out);
	config_free(c);
}

TEST(config_interactive_errors_change_nothing)
{
	char *seed = slurp("router-a.cfg");
	struct config *c = seed ? load(seed) : NULL;
	CHECK(c != NULL);
	if (!c)
		return;
	char *before = render(c);
	struct strbuf out;
	sb_init(&out);
	static const char *const lines[] = {
		"crypto ipsec transform-set auth2 esp-gcm esp-sha-hmac",
		"crypto ipsec transform-set auth2 esp-null",
		"access-list 150 permit tcp any eq www",
		"ip route 10.0.0.0 255.0.0.0",
		"no ip route 10.9.0.0 255.255.0.0",
		"interface FastEthernet0/0 extra",
		"no interface FastEthernet0/0",
		"crypto map testtag1 10 ipsec-manual",
		"hostname a-name-that-is-far-too-long-to-fit-in-the-sixty-four-byte-field-of-cfg",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		CHECK(conf(c, lines[i], &out) < 0);
		char *after = render(c);
		CHECK_STR(before, after);
		free(after);
	}
	free(before);
	free(seed);
	sb_free(&out);
	config_free(c);
}

TEST(config_transform_set_rules)
{
	static const struct {
		const char *xf;
		bool ok;
	} cases[] = {
		{ "esp-aes esp-sha-hmac", true },	    { "esp-aes 192 esp-sha384-hmac", true },
		{ "esp-gcm 256", true },		    { "ah-sha256-hmac", true },
		{ "ah-md5-hmac esp-3des esp-md5-hmac", true }, { "esp-null esp-sha512-hmac", true },
		{ "esp-sha-hmac", true },		    { "esp-null", false },
		{ "esp-gcm esp-md5-hmac", false },	    { "esp-md5-hmac esp-gcm", false },
		{ "esp-des esp-aes", false },		    { "esp-sha-hmac esp-md5-hmac", false },
		{ "ah-md5-hmac ah-sha-hmac", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *c = config_new();
		struct strbuf out, line;
		sb_init(&out);
		sb_init(&line);
		sb_printf(&line, "crypto ipsec transform-set t %s", cases[i].xf);
		int rc = conf(c, sb_str(&line), &out);
		CHECK((rc == 0) == cases[i].ok);
		CHECK((config_tset(c, "t") != NULL) == cases[i].ok);
		sb_free(&out);
		sb_free(&line);
		config_free(c);
	}
	struct config *c = load("crypto ipsec transform-set g esp-gcm 256\n");
	CHECK(c && config_tset(c, "g")->esp_enc == XF_ENC_GCM && config_tset(c, "g")->esp_keybits == 256);
	config_free(c);
}

TEST(config_manual_keys_checked_against_transforms)
{
	struct config *c = config_new();
	struct strbuf out;
	sb_init(&out);
	CHECK(conf(c, "crypto ipsec transform-set man esp-des esp-md5-hmac\nexit\n"
		      "crypto map mm 10 ipsec-manual\nset peer 10.2.2.2\nmatch address 150\n"
		      "set session-key inbound esp 300 cipher 0123456789abcdef authenticator 00112233445566778899aabbccddeeff\n"
		      "set session-key outbound esp 301 cipher fedcba9876543210 authenticator ffeeddccbbaa99887766554433221100\n"
		      "set transform-set man\n",
		  &out) == 0);
	CHECK(!strstr(sb_str(&out), "NOTE"));	/* the note is for ipsec-isakmp maps */
	const struct cfg_cmap_entry *e = &c->cmaps[0];
	CHECK(e->manual && e->esp_key[0].set && e->esp_key[0].spi == 300 && e->esp_key[0].cipher_len == 8 &&
	      e->esp_key[0].auth_len == 16 && e->esp_key[1].spi == 301 && e->esp_key[0].cipher[0] == 0x01);
	/* a 3DES-sized key does not fit esp-des */
	CHECK(conf(c, "crypto map mm 10\nset session-key inbound esp 300 cipher "
		      "0123456789abcdef0123456789abcdef0123456789abcdef authenticator "
		      "00112233445566778899aabbccddeeff",
		  &out) < 0);
	CHECK(c->cmaps[0].esp_key[0].cipher_len == 8);
	CHECK(conf(c, "crypto map mm 10\nset peer 10.3.3.3", &out) < 0);	/* one peer for manual */
	char *r = render(c);
	CHECK(strstr(r, "crypto map mm 10 ipsec-manual\n set peer 10.2.2.2\n"
			" set session-key inbound esp 300 cipher 0123456789abcdef authenticator "
			"00112233445566778899aabbccddeeff\n"
			" set session-key outbound esp 301 cipher fedcba9876543210 authenticator "
			"ffeeddccbbaa99887766554433221100\n"
			" set transform-set man\n match address 150\n"));
	struct config *c2 = load(r);
	CHECK(c2 && c2->cmaps[0].esp_key[1].spi == 301);
	config_free(c2);
	free(r);
	CHECK(conf(c, "crypto ipsec transform-set sha esp-3des esp-sha-hmac\ncrypto map mm 10\n"
		      "set transform-set sha",
		  &out) < 0);	/* the existing keys are DES-sized */
	sb_free(&out);
	config_free(c);
}

TEST(config_isakmp_keys_and_lookups)
{
	struct config *c = load("crypto isakmp key wide address 10.0.0.0 255.0.0.0\n"
				"crypto isakmp key narrow address 10.2.0.0 255.255.0.0 no-xauth\n"
				"crypto isakmp key 6 exact address 10.2.2.2\n");
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(strcmp(config_key_for(c, 0x0a020202)->key, "exact") == 0);
	CHECK(strcmp(config_key_for(c, 0x0a020203)->key, "narrow") == 0);
	CHECK(config_key_for(c, 0x0a020203)->no_xauth);
	CHECK(strcmp(config_key_for(c, 0x0a090909)->key, "wide") == 0);
	CHECK(config_key_for(c, 0x0b000001) == NULL);
	CHECK(config_key_for(c, 0x0a020202)->enc_type == 6);
	char *r = render(c);
	CHECK(strstr(r, "crypto isakmp key wide address 10.0.0.0 255.0.0.0\n"
			"crypto isakmp key narrow address 10.2.0.0 255.255.0.0 no-xauth\n"
			"crypto isakmp key 6 exact address 10.2.2.2\n"));
	free(r);
	config_free(c);
}

TEST(config_acl_forms)
{
	struct config *c = load("access-list 5 permit 10.1.1.77\n"
				"access-list 5 deny 10.1.1.0 0.0.0.255 log\n"
				"access-list 5 permit any\n"
				"access-list 5 remark allow the rest\n"
				"access-list 120 deny tcp 10.0.0.0 0.0.255.255 range 1000 2000 host 1.2.3.4 eq 80\n"
				"access-list 120 permit udp any eq domain any gt 1023\n"
				"access-list 120 permit 50 any any\n"
				"access-list 120 permit ahp host 1.1.1.1 any log\n");
	CHECK(c != NULL);
	if (!c)
		return;
	const struct cfg_acl *a = config_acl(c, 120);
	CHECK(a && a->nace == 4);
	CHECK(a->aces[0].proto == 6 && a->aces[0].sop == PORT_RANGE && a->aces[0].sport[0] == 1000 &&
	      a->aces[0].sport[1] == 2000 && a->aces[0].dop == PORT_EQ && a->aces[0].dport[0] == 80 &&
	      a->aces[0].src_wild == 0x0000ffff && !a->aces[0].permit);
	CHECK(a->aces[1].sop == PORT_EQ && a->aces[1].sport[0] == 53 && a->aces[1].dop == PORT_GT);
	CHECK(a->aces[2].proto == 50);
	char *r = render(c);
	CHECK(strstr(r, "access-list 5 permit 10.1.1.77\n"
			"access-list 5 deny 10.1.1.0 0.0.0.255 log\n"
			"access-list 5 permit any\n"
			"access-list 5 remark allow the rest\n"
			"access-list 120 deny tcp 10.0.0.0 0.0.255.255 range 1000 2000 host 1.2.3.4 eq www\n"
			"access-list 120 permit udp any eq domain any gt 1023\n"
			"access-list 120 permit esp any any\n"
			"access-list 120 permit ahp host 1.1.1.1 any log\n"));
	free(r);
	config_free(c);
}

TEST(config_save_is_atomic_and_reloads)
{
	char *seed = slurp("router-b.cfg");
	struct config *c = seed ? load(seed) : NULL;
	CHECK(c != NULL);
	if (!c)
		return;
	char dir[] = "/tmp/spigot-cfgtest.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[64];
	snprintf(path, sizeof(path), "%s/startup.cfg", dir);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("old contents\n", f);
		fclose(f);
	}
	struct strbuf err;
	sb_init(&err);
	CHECK(config_save(c, path, &err) == 0);
	struct config *c2 = config_load_file(path, &err, NULL);
	CHECK(c2 != NULL);
	char *r1 = render(c), *r2 = c2 ? render(c2) : NULL;
	CHECK(r2 && strcmp(r1, r2) == 0);
	/* no temp file left behind: the config and its previous version only */
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "test \"$(ls %s | tr '\\n' ' ')\" = 'startup.cfg startup.cfg.bak '", dir);
	CHECK(system(cmd) == 0);
	/* the previous version is kept as FILE.bak */
	char bak[80];
	snprintf(bak, sizeof(bak), "%s.bak", path);
	char *old = slurp_path(bak);
	CHECK(old && strcmp(old, "old contents\n") == 0);
	free(old);
	/* a second save keeps the first save's content as .bak */
	CHECK(config_save(c, path, &err) == 0);
	old = slurp_path(bak);
	char *cur = slurp_path(path);
	CHECK(old && cur && strcmp(old, cur) == 0);
	free(old);
	free(cur);
	/* the file's mode is kept (it holds pre-shared keys) */
	CHECK(chmod(path, 0640) == 0);
	CHECK(config_save(c, path, &err) == 0);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640);
	unlink(bak);
	/* a directory we cannot write to: an error, the old file untouched */
	CHECK(config_save(c, "/nonexistent-dir/x.cfg", &err) < 0);
	CHECK(strstr(sb_str(&err), "% Error opening /nonexistent-dir/x.cfg"));
	unlink(path);
	rmdir(dir);
	free(r1);
	free(r2);
	free(seed);
	sb_free(&err);
	config_free(c);
	config_free(c2);
}

TEST(config_no_isakmp_key_leaves_no_copy_of_any_key)
{
	struct config *c = config_new();
	struct strbuf out;
	sb_init(&out);
	CHECK(conf(c, "crypto isakmp key first1 address 10.0.0.1\n"
		      "crypto isakmp key second2 address 10.0.0.2\n", &out) == 0);
	CHECK(c->nkey == 2);
	CHECK(conf(c, "no crypto isakmp key first1 address 10.0.0.1\n", &out) == 0);
	CHECK(c->nkey == 1 && strcmp(c->keys[0].key, "second2") == 0);
	/* The slot behind the end held second2 before it moved down: wiped. */
	static const struct cfg_isakmp_key zero;
	CHECK(memcmp(&c->keys[1], &zero, sizeof(zero)) == 0);
	sb_free(&out);
	config_free(c);
}

/* The logging commands: what they set, their running-config lines (IOS
 * order, defaults omitted), a reload, the `no` forms, and bad input. */
TEST(config_logging_hosts_trap_facility_source)
{
	struct config *c = config_new();
	struct strbuf out;
	sb_init(&out);
	CHECK(c->logging_trap == 6 && c->logging_facility == 23 && c->nlog_host == 0);
	CHECK(conf(c, "logging host 10.0.2.50\nlogging host 10.0.2.51 transport udp port 5514\n"
		      "logging trap warnings\nlogging facility local5\n"
		      "logging source-interface eth1/1\nlogging buffered 16384 errors\n",
		  &out) == 0);
	CHECK(c->nlog_host == 2 && c->log_hosts[1].port == 5514 && c->log_hosts[0].port == 514);
	CHECK(c->logging_trap == 4 && c->logging_facility == 21 && c->logging_buffered_level == 3);
	char *r = render(c);
	CHECK(strstr(r, "logging buffered 16384 errors\nlogging trap warnings\nlogging facility local5\n"
			"logging source-interface Ethernet1/1\nlogging host 10.0.2.50\n"
			"logging host 10.0.2.51 transport udp port 5514\n"));
	struct config *c2 = load(r);
	CHECK(c2 != NULL);
	if (c2) {
		char *r2 = render(c2);
		CHECK_STR(r, r2);
		free(r2);
		config_free(c2);
	}
	free(r);
	CHECK(conf(c, "logging trap 7\nno logging host 10.0.2.50\nno logging facility\n", &out) == 0);
	CHECK(c->logging_trap == 7 && c->nlog_host == 1 && c->log_hosts[0].addr == 0x0a000233);
	CHECK(c->logging_facility == 23);
	sb_reset(&out);
	CHECK(conf(c, "logging host 0.0.0.0\n", &out) < 0);
	CHECK(conf(c, "logging trap loud\n", &out) < 0);
	CHECK(conf(c, "logging facility local9\n", &out) < 0);
	CHECK(c->nlog_host == 1);
	sb_free(&out);
	config_free(c);
}
