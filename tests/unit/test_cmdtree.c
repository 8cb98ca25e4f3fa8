/* The command engine: abbreviations, ambiguity, errors and carets, `?`,
 * completion, `no` forms, shared prefixes across tables. */
#include "t.h"

#include <stdlib.h>

#include "config/cfg_int.h"
#include "config/cmdtree.h"
#include "config/load.h"

/*
 * Test-only commands live in MODE_CONFIG_OPAQUE, which no real command uses
 * (a file's opaque blocks are never parsed), so they cannot disturb the rest.
 * Two tables add under the same prefix, as src/ipsec and src/ike do.
 */
static char last[256];

static int rec_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)ctx;
	last[0] = '\0';
	if (a->negated)
		strcat(last, "no:");
	for (int i = 0; i < a->argc; i++) {
		strncat(last, a->argv[i], sizeof(last) - strlen(last) - 2);
		strcat(last, i + 1 < a->argc ? "," : "");
	}
	return 0;
}

static const struct cmd_def t_ipsec[] = {
	{ MODE_CONFIG_OPAQUE, "show crypto ipsec sa [ peer A.B.C.D | detail ]", NULL, rec_fn, NULL },
	{ MODE_CONFIG_OPAQUE, "alpha <1-10>", "alpha:First letter;<1-10>:A number", rec_fn, rec_fn },
	{ MODE_CONFIG_OPAQUE, "key HEX", NULL, rec_fn, NULL },
	{ MODE_CONFIG_OPAQUE, "note LINE", NULL, rec_fn, NULL },
};
static const struct cmd_def t_ike[] = {
	{ MODE_CONFIG_OPAQUE, "show crypto isakmp sa", NULL, rec_fn, NULL },
	{ MODE_CONFIG_OPAQUE, "alps { red | green } [ bright ]", NULL, rec_fn, NULL },
};
CMD_REGISTER(t_ike)
CMD_REGISTER(t_ipsec)

struct env {
	struct config *cfg;
	struct strbuf out;
	struct cli_ctx ctx;
};

static void env_init(struct env *e, enum cli_mode mode)
{
	e->cfg = config_new();
	sb_init(&e->out);
	memset(&e->ctx, 0, sizeof(e->ctx));
	e->ctx.cfg = e->cfg;
	e->ctx.out = &e->out;
	e->ctx.mode = mode;
	e->ctx.bad_arg = -1;
}

static void env_free(struct env *e)
{
	config_free(e->cfg);
	sb_free(&e->out);
}

static int run(struct env *e, const char *line)
{
	sb_reset(&e->out);
	return cmd_execute(&e->ctx, line);
}

TEST(cmdtree_abbreviations_expand_to_full_keywords)
{
	struct env e;
	env_init(&e, MODE_CONFIG_OPAQUE);
	CHECK(run(&e, "sh cr ips sa det") == 0);
	CHECK_STR(last, "show,crypto,ipsec,sa,detail");
	CHECK(run(&e, "SH CRYPTO ISA SA") == 0);
	CHECK_STR(last, "show,crypto,isakmp,sa");
	CHECK(run(&e, "show crypto ipsec sa peer 10.2.2.2") == 0);
	CHECK_STR(last, "show,crypto,ipsec,sa,peer,10.2.2.2");
	env_free(&e);

	env_init(&e, MODE_EXEC);
	CHECK(run(&e, "sh run") == 0);
	CHECK(strncmp(sb_str(&e.out), "Building configuration...\n", 26) == 0);
	CHECK(run(&e, "conf t") == 0);
	CHECK(e.ctx.mode == MODE_CONFIG);
	CHECK(run(&e, "int fa0/0") == 0);
	CHECK(e.ctx.mode == MODE_CONFIG_IF);
	CHECK_STR(e.ctx.mode_key, "FastEthernet0/0");
	CHECK(run(&e, "ip addr 10.1.1.1 255.255.255.0") == 0);
	const struct cfg_iface *f = config_iface(e.cfg, "FastEthernet0/0");
	CHECK(f && f->has_addr && f->addr == 0x0a010101 && f->mask == 0xffffff00);
	CHECK(run(&e, "int gi1/0.100") == 0);
	CHECK_STR(e.ctx.mode_key, "GigabitEthernet1/0.100");
	CHECK(run(&e, "int s2/0") == 0);
	CHECK_STR(e.ctx.mode_key, "Serial2/0");
	CHECK(run(&e, "int lo0") == 0);
	CHECK_STR(e.ctx.mode_key, "Loopback0");
	CHECK(run(&e, "int eth1/1") == 0);
	CHECK_STR(e.ctx.mode_key, "Ethernet1/1");
	CHECK(run(&e, "int tu7") == 0);
	CHECK_STR(e.ctx.mode_key, "Tunnel7");
	env_free(&e);
}

TEST(cmdtree_ifname_canon)
{
	char b[64];
	CHECK(cmd_ifname_canon("fa0/0", b, sizeof(b)) && strcmp(b, "FastEthernet0/0") == 0);
	CHECK(cmd_ifname_canon("f0/1", b, sizeof(b)) && strcmp(b, "FastEthernet0/1") == 0);
	CHECK(cmd_ifname_canon("FastEthernet0/1", b, sizeof(b)) && strcmp(b, "FastEthernet0/1") == 0);
	CHECK(cmd_ifname_canon("e1/0", b, sizeof(b)) && strcmp(b, "Ethernet1/0") == 0);
	CHECK(cmd_ifname_canon("g0/0", b, sizeof(b)) && strcmp(b, "GigabitEthernet0/0") == 0);
	CHECK(cmd_ifname_canon("se1/3", b, sizeof(b)) && strcmp(b, "Serial1/3") == 0);
	CHECK(!cmd_ifname_canon("fa", b, sizeof(b)));
	CHECK(!cmd_ifname_canon("fa0/", b, sizeof(b)));
	CHECK(!cmd_ifname_canon("foo0/0", b, sizeof(b)));
	CHECK(!cmd_ifname_canon("10.2.0.1", b, sizeof(b)));
	CHECK(!cmd_ifname_canon("fa0//0", b, sizeof(b)));
}

TEST(cmdtree_parse_ip_is_strict)
{
	uint32_t ip;
	CHECK(cmd_parse_ip("10.1.1.1", &ip) && ip == 0x0a010101);
	CHECK(cmd_parse_ip("255.255.255.255", &ip) && ip == 0xffffffff);
	CHECK(!cmd_parse_ip("10.1.1.300", &ip));
	CHECK(!cmd_parse_ip("10.1.1", &ip));
	CHECK(!cmd_parse_ip("10.1.1.1.1", &ip));
	CHECK(!cmd_parse_ip("10.1.1.1 ", &ip));
	CHECK(!cmd_parse_ip("1.2.3.0004", &ip));
	CHECK(!cmd_parse_ip("a.b.c.d", &ip));
}

TEST(cmdtree_ambiguous_command)
{
	struct env e;
	env_init(&e, MODE_CONFIG_OPAQUE);
	CHECK(run(&e, "al 3") < 0);
	CHECK_STR(sb_str(&e.out), "% Ambiguous command:  \"al 3\"\n");
	CHECK(run(&e, "alp 3") < 0);	/* still a prefix of both */
	CHECK_STR(sb_str(&e.out), "% Ambiguous command:  \"alp 3\"\n");
	CHECK(run(&e, "alph 3") == 0);
	CHECK_STR(last, "alpha,3");
	env_free(&e);
	env_init(&e, MODE_EXEC);
	CHECK(run(&e, "c") < 0);	/* clear, configure, copy */
	CHECK_STR(sb_str(&e.out), "% Ambiguous command:  \"c\"\n");
	env_free(&e);
}

TEST(cmdtree_exact_keyword_beats_prefix)
{
	struct env e;
	env_init(&e, MODE_CONFIG);
	/* "sha" is also a prefix of sha256/sha384/sha512 */
	CHECK(run(&e, "crypto isakmp policy 7") == 0);
	CHECK(run(&e, "hash sha") == 0);
	CHECK(e.cfg->policies[0].hash == IKE_HASH_SHA1);
	CHECK(run(&e, "hash sh") < 0);
	CHECK(strstr(sb_str(&e.out), "Ambiguous") != NULL);
	CHECK(run(&e, "hash sha25") == 0);
	CHECK(e.cfg->policies[0].hash == IKE_HASH_SHA256);
	CHECK(run(&e, "group 1") == 0);	/* not 14/15/16 */
	CHECK(e.cfg->policies[0].group == 1);
	CHECK(run(&e, "group 14") == 0);
	CHECK(e.cfg->policies[0].group == 14);
	env_free(&e);
}

TEST(cmdtree_invalid_input_caret_position)
{
	struct env e;
	env_init(&e, MODE_EXEC);
	/* interactive: the caret sits under prompt+line ("Router#" = 7 columns) */
	e.ctx.caret_indent = 7;
	CHECK(run(&e, "show versoin") < 0);
	/* "vers" matches "version"; the 'o' at column 9 is where it breaks */
	CHECK_STR(sb_str(&e.out), "                ^\n% Invalid input detected at '^' marker.\n\n");
	CHECK(run(&e, "shw run") < 0);
	CHECK_STR(sb_str(&e.out), "         ^\n% Invalid input detected at '^' marker.\n\n");
	CHECK(run(&e, "show running-config extra") < 0);
	CHECK_STR(sb_str(&e.out), "                           ^\n% Invalid input detected at '^' marker.\n\n");
	/* one-shot: the line is echoed and the caret sits under it */
	e.ctx.caret_indent = 0;
	e.ctx.echo_line = true;
	CHECK(run(&e, "show foo") < 0);
	CHECK_STR(sb_str(&e.out), "show foo\n     ^\n% Invalid input detected at '^' marker.\n\n");
	env_free(&e);

	env_init(&e, MODE_CONFIG_IF);
	snprintf(e.ctx.mode_key, sizeof(e.ctx.mode_key), "FastEthernet0/0");
	CHECK(run(&e, "interface fa0/0") == 0);
	CHECK(run(&e, "ip address 10.1.1.300 255.0.0.0") < 0);
	CHECK_STR(sb_str(&e.out), "           ^\n% Invalid input detected at '^' marker.\n\n");
	/* a bad mask is caught by the handler, which points at the mask */
	CHECK(run(&e, "ip address 10.1.1.1 255.0.255.0") < 0);
	CHECK_STR(sb_str(&e.out), "                    ^\n% Invalid input detected at '^' marker.\n\n");
	CHECK(!config_iface(e.cfg, "FastEthernet0/0")->has_addr);	/* nothing changed */
	env_free(&e);
}

TEST(cmdtree_incomplete_command)
{
	struct env e;
	env_init(&e, MODE_EXEC);
	CHECK(run(&e, "show") < 0);
	CHECK_STR(sb_str(&e.out), "% Incomplete command.\n\n");
	CHECK(run(&e, "conf t") == 0);
	CHECK(run(&e, "crypto isakmp policy") < 0);
	CHECK_STR(sb_str(&e.out), "% Incomplete command.\n\n");
	CHECK(e.cfg->npolicy == 0);
	CHECK(run(&e, "no") < 0);
	env_free(&e);
}

TEST(cmdtree_ranges_hex_line)
{
	struct env e;
	env_init(&e, MODE_CONFIG_OPAQUE);
	CHECK(run(&e, "alpha 0") < 0);
	CHECK(run(&e, "alpha 11") < 0);
	CHECK(run(&e, "alpha 10") == 0);
	CHECK_STR(last, "alpha,10");
	CHECK(run(&e, "alpha 4294967296") < 0);
	CHECK(run(&e, "key 0a1B") == 0);
	CHECK(run(&e, "key 0x0a") < 0);
	CHECK(run(&e, "key abc") < 0);	/* odd length */
	CHECK(run(&e, "note  two  words | and more ") == 0);
	CHECK_STR(last, "note,two  words | and more");
	CHECK(run(&e, "alps green bright") == 0);
	CHECK_STR(last, "alps,green,bright");
	CHECK(run(&e, "alps r") == 0);
	CHECK_STR(last, "alps,red");
	CHECK(run(&e, "alps blue") < 0);
	env_free(&e);
}

TEST(cmdtree_no_forms)
{
	struct env e;
	env_init(&e, MODE_CONFIG);
	CHECK(run(&e, "hostname edge-1") == 0);
	CHECK_STR(e.cfg->hostname, "edge-1");
	CHECK(run(&e, "no hostname") == 0);
	CHECK_STR(e.cfg->hostname, "Router");
	CHECK(run(&e, "crypto isakmp invalid-spi-recovery") == 0);
	CHECK(e.cfg->isr.enabled);
	CHECK(run(&e, "no crypto isakmp invalid-spi-recovery") == 0);
	CHECK(!e.cfg->isr.enabled);
	CHECK(run(&e, "crypto isakmp invalid-spi-recovery holddown 30") == 0);
	CHECK(e.cfg->isr.holddown_sec == 30 && !e.cfg->isr.enabled);
	CHECK(run(&e, "no crypto isakmp invalid-spi-recovery holddown") == 0);
	CHECK(e.cfg->isr.holddown_sec == 10);
	CHECK(run(&e, "interface fa0/1") == 0);
	CHECK(run(&e, "shutdown") == 0);
	CHECK(config_iface(e.cfg, "FastEthernet0/1")->shutdown);
	CHECK(run(&e, "no shut") == 0);
	CHECK(!config_iface(e.cfg, "FastEthernet0/1")->shutdown);
	CHECK(run(&e, "ip address 10.0.0.1 255.0.0.0") == 0);
	CHECK(run(&e, "no ip address") == 0);
	CHECK(!config_iface(e.cfg, "FastEthernet0/1")->has_addr);
	/* a command without a no form */
	CHECK(run(&e, "no exit") < 0);
	/* the test-mode "alpha" has a no form and gets the words as typed */
	e.ctx.mode = MODE_CONFIG_OPAQUE;
	CHECK(run(&e, "no alpha 3") == 0);
	CHECK_STR(last, "no:alpha,3");
	CHECK(run(&e, "no alpha") == 0);	/* the arguments of a no form may be left out */
	CHECK_STR(last, "no:alpha");
	CHECK(run(&e, "no show crypto isakmp sa") < 0);
	env_free(&e);
}

TEST(cmdtree_submode_falls_back_to_global)
{
	struct env e;
	env_init(&e, MODE_CONFIG);
	CHECK(run(&e, "interface fa0/0") == 0);
	CHECK(run(&e, "hostname r9") == 0);	/* a global command from config-if */
	CHECK_STR(e.cfg->hostname, "r9");
	CHECK(e.ctx.mode == MODE_CONFIG);
	CHECK(run(&e, "interface fa0/0") == 0);
	CHECK(run(&e, "crypto isakmp policy 10") == 0);	/* another sub-mode */
	CHECK(e.ctx.mode == MODE_CONFIG_ISAKMP);
	CHECK(run(&e, "exit") == 0);
	CHECK(e.ctx.mode == MODE_CONFIG);
	CHECK(run(&e, "interface fa0/0") == 0);
	CHECK(run(&e, "end") == 0);
	CHECK(e.ctx.mode == MODE_EXEC);
	CHECK(run(&e, "conf t") == 0);
	CHECK(run(&e, "interface fa0/0") == 0);
	CHECK(run(&e, "bogus words") < 0);
	CHECK(e.ctx.mode == MODE_CONFIG_IF);	/* a failed line does not move us */
	CHECK(run(&e, "do show running-config") == 0);
	CHECK(e.ctx.mode == MODE_CONFIG_IF);
	CHECK(strstr(sb_str(&e.out), "hostname r9\n") != NULL);
	env_free(&e);
}

TEST(cmdtree_help_layout)
{
	struct env e;
	struct strbuf h;
	sb_init(&h);
	env_init(&e, MODE_CONFIG);
	cmd_help(&e.ctx, "hostname ", &h);
	CHECK_STR(sb_str(&h), "  WORD  This system's network name\n\n");
	sb_reset(&h);
	cmd_help(&e.ctx, "logging buffered ", &h);
	/* size or severity level, as IOS offers them */
	CHECK(strncmp(sb_str(&h), "  <4096-2147483647>  Logging buffer size\n"
				  "  <0-7>              Logging severity level\n", 84) == 0);
	CHECK(strstr(sb_str(&h), "  warnings           Warning conditions                (severity=4)\n  <cr>\n\n"));
	sb_reset(&h);
	cmd_help(&e.ctx, "crypto isakmp ", &h);
	CHECK(strstr(sb_str(&h), "  policy                Set policy for an ISAKMP protection suite\n"));
	CHECK(strstr(sb_str(&h), "  key                   Set pre-shared key for remote peer\n"));
	CHECK(strstr(sb_str(&h), "  invalid-spi-recovery  Initiate IKE and send Invalid SPI Notify\n"));
	CHECK(!strstr(sb_str(&h), "<cr>"));
	sb_reset(&h);
	cmd_help(&e.ctx, "", &h);	/* top level lists `no` too */
	CHECK(strstr(sb_str(&h), "  no ") && strstr(sb_str(&h), "  crypto ") && strstr(sb_str(&h), "  interface "));
	sb_reset(&h);
	cmd_help(&e.ctx, "cr", &h);	/* partial word: the candidates on one line */
	CHECK_STR(sb_str(&h), "crypto\n\n");
	sb_reset(&h);
	cmd_help(&e.ctx, "bogus ", &h);
	CHECK_STR(sb_str(&h), "% Unrecognized command\n");
	sb_reset(&h);
	cmd_help(&e.ctx, "crypto isakmp policy 5 ", &h);
	CHECK_STR(sb_str(&h), "  <cr>\n\n");
	sb_reset(&h);
	e.ctx.mode = MODE_CONFIG_OPAQUE;
	cmd_help(&e.ctx, "show crypto ", &h);	/* two tables under one prefix */
	CHECK(strstr(sb_str(&h), "  ipsec ") && strstr(sb_str(&h), "  isakmp "));
	sb_reset(&h);
	cmd_help(&e.ctx, "al", &h);
	CHECK_STR(sb_str(&h), "alpha  alps\n\n");
	sb_reset(&h);
	cmd_help(&e.ctx, "alpha ", &h);
	CHECK_STR(sb_str(&h), "  <1-10>  A number\n\n");
	env_free(&e);
	sb_free(&h);
}

TEST(cmdtree_completion)
{
	struct env e;
	env_init(&e, MODE_EXEC);
	char *c;
	CHECK((c = cmd_complete(&e.ctx, "sh")) && strcmp(c, "show ") == 0);
	free(c);
	CHECK((c = cmd_complete(&e.ctx, "sh run")) && strcmp(c, "sh running-config ") == 0);
	free(c);
	CHECK((c = cmd_complete(&e.ctx, "conf")) && strcmp(c, "configure ") == 0);
	free(c);
	CHECK(cmd_complete(&e.ctx, "c") == NULL);	/* clear, configure, copy */
	CHECK(cmd_complete(&e.ctx, "show ") == NULL);
	CHECK(cmd_complete(&e.ctx, "qq") == NULL);
	e.ctx.mode = MODE_CONFIG;
	CHECK((c = cmd_complete(&e.ctx, "int fa")) && strcmp(c, "int FastEthernet") == 0);
	free(c);
	CHECK((c = cmd_complete(&e.ctx, "no crypto isakmp inv")) &&
	      strcmp(c, "no crypto isakmp invalid-spi-recovery ") == 0);
	free(c);
	CHECK((c = cmd_complete(&e.ctx, "n")) && strcmp(c, "no ") == 0);
	free(c);
	env_free(&e);
}

TEST(cmdtree_prompt)
{
	struct env e;
	struct strbuf p;
	sb_init(&p);
	env_init(&e, MODE_EXEC);
	snprintf(e.cfg->hostname, sizeof(e.cfg->hostname), "ipseca-71a");
	cmd_prompt(&e.ctx, &p);
	CHECK_STR(sb_str(&p), "ipseca-71a#");
	static const struct {
		enum cli_mode m;
		const char *s;
	} want[] = { { MODE_CONFIG, "ipseca-71a(config)#" },
		     { MODE_CONFIG_IF, "ipseca-71a(config-if)#" },
		     { MODE_CONFIG_ISAKMP, "ipseca-71a(config-isakmp)#" },
		     { MODE_CONFIG_CMAP, "ipseca-71a(config-crypto-map)#" },
		     { MODE_CONFIG_TSET, "ipseca-71a(cfg-crypto-trans)#" } };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		sb_reset(&p);
		e.ctx.mode = want[i].m;
		cmd_prompt(&e.ctx, &p);
		CHECK_STR(sb_str(&p), want[i].s);
	}
	env_free(&e);
	sb_free(&p);
}
