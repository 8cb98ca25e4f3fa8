/*
 * Exec commands about the router itself: show running-config/startup-config/
 * version/logging/clock/history/debugging, configure terminal, write memory,
 * debug/undebug, terminal length, exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cli/ctl.h"
#include "config/cmdtree.h"
#include "core/json.h"
#include "config/load.h"
#include "router.h"

static bool need_router(struct cli_ctx *ctx)
{
	if (ctx->r)
		return true;
	sb_puts(ctx->out, "% Not available without a running router\n");
	return false;
}

static int show_run_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	config_render(ctx->cfg, ctx->out);
	return 0;
}

static int show_start_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	if (!need_router(ctx))
		return -1;
	FILE *f = ctx->r->config_path[0] ? fopen(ctx->r->config_path, "r") : NULL;
	if (!f) {
		sb_puts(ctx->out, "startup-config is not present\n");
		return 0;
	}
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_putn(ctx->out, buf, n);
	fclose(f);
	return 0;
}

static void uptime(struct strbuf *out, uint64_t ms)
{
	uint64_t m = ms / 60000, d = m / 1440, h = m / 60 % 24;
	m %= 60;
	bool any = false;
	if (d) {
		sb_printf(out, "%llu day%s", (unsigned long long)d, d == 1 ? "" : "s");
		any = true;
	}
	if (h) {
		sb_printf(out, "%s%llu hour%s", any ? ", " : "", (unsigned long long)h, h == 1 ? "" : "s");
		any = true;
	}
	if (m || !any)
		sb_printf(out, "%s%llu minute%s", any ? ", " : "", (unsigned long long)m, m == 1 ? "" : "s");
}

static int show_version_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	struct strbuf *o = ctx->out;
	struct utsname u;
	if (uname(&u) < 0)
		snprintf(u.machine, sizeof(u.machine), "unknown");
	sb_printf(o, "Cisco IOS Software, spigot Software (SPIGOT-K9-M), Version %s, RELEASE SOFTWARE\n",
		  SPIGOT_VERSION);
	sb_puts(o, "spigot: a user-space IPsec VPN router\n");
	sb_printf(o, "Crypto library: %s\n\n", OpenSSL_version(OPENSSL_VERSION));
	sb_printf(o, "ROM: spigot %s\n\n", SPIGOT_VERSION);
	sb_printf(o, "%s uptime is ", ctx->cfg->hostname);
	uint64_t up = ctx->r && ctx->r->boot_ms ? ev_now(ctx->r->ev) - ctx->r->boot_ms : 0;
	uptime(o, up);
	sb_puts(o, "\nSystem returned to ROM by power-on\n");
	sb_puts(o, "System image file is \"spigotd\"\n\n");
	struct sysinfo si;
	unsigned long long kb = sysinfo(&si) == 0 ? (unsigned long long)si.totalram * si.mem_unit / 1024 : 0;
	sb_printf(o, "spigot (%s) processor with %lluK bytes of memory.\n", u.machine, kb);
	/* interface counts per type, in first-seen order, as IOS lists them */
	const char *types[16];
	int counts[16], nt = 0;
	for (size_t i = 0; i < ctx->cfg->niface; i++) {
		const char *n = ctx->cfg->ifaces[i].name;
		size_t tl = strcspn(n, "0123456789");
		int k;
		for (k = 0; k < nt; k++)
			if (strcspn(types[k], "0123456789") == tl && strncmp(types[k], n, tl) == 0)
				break;
		if (k == nt) {
			if (nt == 16)
				continue;
			types[nt] = n;
			counts[nt++] = 0;
		}
		counts[k]++;
	}
	for (int k = 0; k < nt; k++) {
		int tl = (int)strcspn(types[k], "0123456789");
		sb_printf(o, "%d %.*s interface%s\n", counts[k], tl, types[k], counts[k] == 1 ? "" : "s");
	}
	sb_puts(o, "\nConfiguration register is 0x2102\n");
	return 0;
}

static int show_logging_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	if (!need_router(ctx))
		return -1;
	if (ctx->json) {
		struct json j;
		json_doc_begin(&j, ctx->out, "show logging");
		log_show_json(&ctx->r->log, &j);
		json_doc_end(&j);
		ctx->json_done = true;
		return 0;
	}
	log_show(&ctx->r->log, ctx->out);
	return 0;
}

static int clear_logging_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	if (!need_router(ctx))
		return -1;
	log_clear(&ctx->r->log);
	return 0;
}

static int conf_t_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	sb_puts(ctx->out, "Enter configuration commands, one per line.  End with CNTL/Z.\n");
	ctx->mode = MODE_CONFIG;
	ctx->mode_key[0] = '\0';
	return 0;
}

static int exit_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	ctl_session_end(ctl_session_of(ctx));
	return 0;
}

static int end_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)ctx;
	(void)a;
	return 0;
}

static int write_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	if (!need_router(ctx))
		return -1;
	if (!ctx->r->config_path[0]) {
		sb_puts(ctx->out, "% No startup-config file for this router\n");
		return -1;
	}
	sb_puts(ctx->out, "Building configuration...\n");
	struct strbuf err;
	sb_init(&err);
	int rc = config_save(ctx->cfg, ctx->r->config_path, &err);
	sb_puts(ctx->out, rc == 0 ? "[OK]\n" : sb_str(&err));
	sb_free(&err);
	return rc;
}

static int term_len_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	ctl_session_set_length(ctl_session_of(ctx), a->negated ? 24 : (unsigned)atoi(a->argv[2]));
	return 0;
}

static void debug_set(struct cli_ctx *ctx, uint32_t bit, bool on, const char *what)
{
	if (on)
		ctx->r->debug |= bit;
	else
		ctx->r->debug &= ~bit;
	sb_printf(ctx->out, "%s debugging is %s\n", what, on ? "on" : "off");
}

static int debug_crypto_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	if (!need_router(ctx))
		return -1;
	bool on = !a->negated && strcmp(a->argv[0], "undebug") != 0;
	bool isakmp = strcmp(a->argv[2], "isakmp") == 0;
	debug_set(ctx, isakmp ? DBG_ISAKMP : DBG_IPSEC, on, isakmp ? "Crypto ISAKMP" : "Crypto IPSEC");
	return 0;
}

static int debug_all_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	if (!need_router(ctx))
		return -1;
	bool on = !a->negated && strcmp(a->argv[0], "undebug") != 0;
	ctx->r->debug = on ? (DBG_ISAKMP | DBG_IPSEC | DBG_IP_PACKET | DBG_ICMP) : 0;
	sb_printf(ctx->out, "All possible debugging has been turned %s\n", on ? "on" : "off");
	return 0;
}

static int show_debug_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	if (!need_router(ctx))
		return -1;
	uint32_t d = ctx->r->debug;
	if (d & (DBG_ISAKMP | DBG_IPSEC | DBG_IKEV2)) {
		sb_puts(ctx->out, "Cryptographic Subsystem:\n");
		if (d & DBG_ISAKMP)
			sb_puts(ctx->out, "  Crypto ISAKMP debugging is on\n");
		if (d & DBG_IKEV2)
			sb_puts(ctx->out, "  Crypto IKEv2 debugging is on\n");
		if (d & DBG_IPSEC)
			sb_puts(ctx->out, "  Crypto IPSEC debugging is on\n");
	}
	if (d & (DBG_IP_PACKET | DBG_ICMP)) {
		sb_puts(ctx->out, "Generic IP:\n");
		if (d & DBG_IP_PACKET)
			sb_puts(ctx->out, "  IP packet debugging is on\n");
		if (d & DBG_ICMP)
			sb_puts(ctx->out, "  ICMP packet debugging is on\n");
	}
	return 0;
}

static int show_clock_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	localtime_r(&ts.tv_sec, &tm);
	char hms[16], rest[64];
	strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
	strftime(rest, sizeof(rest), "%Z %a %b %e %Y", &tm);
	/* IOS marks a clock not set by NTP with '*' */
	sb_printf(ctx->out, "*%s.%03ld %s\n", hms, ts.tv_nsec / 1000000, rest);
	return 0;
}

static int show_history_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	ctl_session_history(ctl_session_of(ctx), ctx->out);
	return 0;
}

static const struct cmd_def exec_cmds[] = {
	{ MODE_EXEC, "show running-config", NULL, show_run_fn, NULL },
	{ MODE_EXEC, "show startup-config", NULL, show_start_fn, NULL },
	{ MODE_EXEC, "show version", NULL, show_version_fn, NULL },
	{ MODE_EXEC, "show logging", "logging:Show the contents of logging buffers", show_logging_fn, NULL },
	{ MODE_EXEC, "show clock", NULL, show_clock_fn, NULL },
	{ MODE_EXEC, "show history", NULL, show_history_fn, NULL },
	{ MODE_EXEC, "show debugging", NULL, show_debug_fn, NULL },
	{ MODE_EXEC, "clear logging", "logging:Clear logging buffer", clear_logging_fn, NULL },
	{ MODE_EXEC, "configure [ terminal ]", "terminal:Configure from the terminal", conf_t_fn, NULL },
	{ MODE_EXEC, "exit", NULL, exit_fn, NULL },
	{ MODE_EXEC, "logout", "logout:Exit from the EXEC", exit_fn, NULL },
	{ MODE_EXEC, "end", NULL, end_fn, NULL },
	{ MODE_EXEC, "write [ memory ]", NULL, write_fn, NULL },
	{ MODE_EXEC, "copy running-config startup-config",
	  "running-config:Copy from current system configuration;startup-config:Copy to startup configuration",
	  write_fn, NULL },
	{ MODE_EXEC, "terminal length <0-512>",
	  "length:Set number of lines on a screen;<0-512>:Number of lines on screen (0 for no pausing)",
	  term_len_fn, term_len_fn },
	{ MODE_EXEC, "debug crypto { isakmp | ipsec }",
	  "crypto:Cryptographic subsystem;isakmp:Crypto ISAKMP Debug Messages;ipsec:IPSEC processing",
	  debug_crypto_fn, debug_crypto_fn },
	{ MODE_EXEC, "undebug crypto { isakmp | ipsec }",
	  "crypto:Cryptographic subsystem;isakmp:Crypto ISAKMP Debug Messages;ipsec:IPSEC processing",
	  debug_crypto_fn, NULL },
	{ MODE_EXEC, "debug all", NULL, debug_all_fn, debug_all_fn },
	{ MODE_EXEC, "undebug all", NULL, debug_all_fn, NULL },
};
CMD_REGISTER(exec_cmds)
