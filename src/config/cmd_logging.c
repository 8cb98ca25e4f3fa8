/*
 * logging buffered [SIZE] [LEVEL], logging trap LEVEL, logging console
 * [LEVEL], logging host A.B.C.D [transport udp port N], logging
 * source-interface IF, logging facility F, service timestamps; and their
 * running-config lines.  What they do: core/log.c (buffer, console, trap
 * level, timestamps) and net/syslog.c (hosts).
 */
#include <stdio.h>
#include <string.h>

#include "config/cfg_int.h"
#include "core/ipfmt.h"
#include "core/log.h"

#define LEVELS                                                                              \
	"<0-7> | emergencies | alerts | critical | errors | warnings | notifications | "    \
	"informational | debugging"
#define LEVEL_HELP                                                                          \
	"<0-7>:Logging severity level;emergencies:System is unusable                (severity=0);" \
	"alerts:Immediate action needed           (severity=1);"                             \
	"critical:Critical conditions               (severity=2);"                           \
	"errors:Error conditions                  (severity=3);"                             \
	"warnings:Warning conditions                (severity=4);"                           \
	"notifications:Normal but significant conditions (severity=5);"                      \
	"informational:Informational messages            (severity=6);"                     \
	"debugging:Debugging messages                (severity=7)"

#define STAMP_OPT "msec | localtime | show-timezone | year"

/* Syslog facilities by name (RFC 5424 codes); IOS's default is local7. */
static const struct {
	const char *name;
	uint8_t code;
} facilities[] = {
	{ "kern", 0 },	  { "user", 1 },    { "mail", 2 },    { "daemon", 3 },  { "auth", 4 },
	{ "syslog", 5 },  { "lpr", 6 },     { "news", 7 },    { "uucp", 8 },    { "cron", 9 },
	{ "local0", 16 }, { "local1", 17 }, { "local2", 18 }, { "local3", 19 }, { "local4", 20 },
	{ "local5", 21 }, { "local6", 22 }, { "local7", 23 },
};
#define NFAC (sizeof(facilities) / sizeof(facilities[0]))

const char *config_facility_name(uint8_t code)
{
	for (size_t i = 0; i < NFAC; i++)
		if (facilities[i].code == code)
			return facilities[i].name;
	return "local7";
}

static int logging_buffered_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	uint32_t size = LOG_BUFFER_DEFAULT;
	int level = SEV_DEBUG;
	for (int i = 2; i < a->argc; i++) {
		int l = log_level_parse(a->argv[i]);
		if (l >= 0)
			level = l;
		else if (!cmd_parse_u32(a->argv[i], &size))
			return cmd_bad(ctx, a, i);
	}
	ctx->cfg->logging_buffered = true;
	ctx->cfg->logging_buffer_size = size;
	ctx->cfg->logging_buffered_level = (uint8_t)level;
	cfg_order_touch(ctx->cfg, ctx->loading, ORD_LOGGING, "");
	return 0;
}

static int no_logging_buffered_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	ctx->cfg->logging_buffered = false;
	ctx->cfg->logging_buffer_size = LOG_BUFFER_DEFAULT;
	ctx->cfg->logging_buffered_level = LOG_BUFFERED_LEVEL_DEFAULT;
	cfg_order_touch(ctx->cfg, ctx->loading, ORD_LOGGING, "");
	return 0;
}

static int logging_trap_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	int level = a->argc > 2 ? log_level_parse(a->argv[2]) : SEV_INFO;
	if (level < 0)
		return cmd_bad(ctx, a, 2);
	ctx->cfg->logging_trap = (uint8_t)level;
	cfg_order_touch(ctx->cfg, ctx->loading, ORD_LOGGING, "");
	return 0;
}

static int no_logging_trap_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	ctx->cfg->logging_trap = LOG_TRAP_LEVEL_DEFAULT;
	return 0;
}

static int logging_console_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	int level = a->argc > 2 ? log_level_parse(a->argv[2]) : SEV_DEBUG;
	if (level < 0)
		return cmd_bad(ctx, a, 2);
	ctx->cfg->logging_console = true;
	ctx->cfg->logging_console_level = (uint8_t)level;
	cfg_order_touch(ctx->cfg, ctx->loading, ORD_LOGGING, "");
	return 0;
}

/* `no logging console [LEVEL]`: nothing on the console, as IOS. */
static int no_logging_console_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	ctx->cfg->logging_console = false;
	ctx->cfg->logging_console_level = LOG_CONSOLE_LEVEL_DEFAULT;
	cfg_order_touch(ctx->cfg, ctx->loading, ORD_LOGGING, "");
	return 0;
}

/*
 * service timestamps [debug | log] [uptime | datetime [msec] [localtime]
 * [show-timezone] [year]], the options in any order as IOS takes them.
 * Without a type IOS means debug; without a format, uptime.
 */
static struct log_stamp *stamp_of(struct config *c, const struct cmd_args *a, int *i)
{
	if (*i < a->argc && strcmp(a->argv[*i], "log") == 0) {
		++*i;
		return &c->stamp_log;
	}
	if (*i < a->argc && strcmp(a->argv[*i], "debug") == 0)
		++*i;
	return &c->stamp_debug;
}

static int timestamps_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	int i = 2;
	struct log_stamp *dst = stamp_of(ctx->cfg, a, &i);
	struct log_stamp st = { .kind = LOG_STAMP_UPTIME };
	if (i < a->argc && strcmp(a->argv[i], "datetime") == 0) {
		st.kind = LOG_STAMP_DATETIME;
		for (i++; i < a->argc; i++) {
			const char *w = a->argv[i];
			if (strcmp(w, "msec") == 0)
				st.msec = true;
			else if (strcmp(w, "localtime") == 0)
				st.localtime = true;
			else if (strcmp(w, "show-timezone") == 0)
				st.show_tz = true;
			else if (strcmp(w, "year") == 0)
				st.year = true;
			else
				return cmd_bad(ctx, a, i);
		}
	}
	*dst = st;
	cfg_order_touch(ctx->cfg, ctx->loading, ORD_TIMESTAMPS, "");
	return 0;
}

static int no_timestamps_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct config *c = ctx->cfg;
	const struct log_stamp none = { .kind = LOG_STAMP_NONE };
	if (a->argc <= 2) {
		c->stamp_log = c->stamp_debug = none;
	} else {
		int i = 2;
		*stamp_of(c, a, &i) = none;
	}
	cfg_order_touch(c, ctx->loading, ORD_TIMESTAMPS, "");
	return 0;
}

static void render_stamp(struct strbuf *out, const char *type, const struct log_stamp *st)
{
	if (st->kind == LOG_STAMP_NONE) {
		sb_printf(out, "no service timestamps %s\n", type);
		return;
	}
	sb_printf(out, "service timestamps %s ", type);
	log_stamp_render(st, out);
	sb_puts(out, "\n");
}

/* Both lines once either was configured, as IOS always lists both. */
void cfg_render_timestamps(struct strbuf *out, const struct config *c)
{
	render_stamp(out, "debug", &c->stamp_debug);
	render_stamp(out, "log", &c->stamp_log);
}

/*
 * Only the `logging host` form: 12.x's `logging A.B.C.D` would make every
 * other `logging WORD` line (queue-limit, console ...) an invalid address
 * instead of a line kept and not acted on.
 */
static int host_arg(const struct cmd_args *a)
{
	(void)a;
	return 2;
}

static int logging_host_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	int i = host_arg(a);
	struct cfg_log_host h = { .port = 514 };
	if (!cmd_parse_ip(a->argv[i], &h.addr) || h.addr == 0)
		return cmd_bad(ctx, a, i);
	uint32_t port;
	if (cmd_after_u32(a, "port", &port))
		h.port = (uint16_t)port;
	struct config *c = ctx->cfg;
	for (size_t k = 0; k < c->nlog_host; k++)
		if (c->log_hosts[k].addr == h.addr) {
			c->log_hosts[k] = h;
			return 0;
		}
	if (c->nlog_host >= CFG_LOG_HOSTS) {
		sb_printf(ctx->out, "%% Maximum number of logging hosts (%d) reached\n", CFG_LOG_HOSTS);
		return -1;
	}
	c->log_hosts[c->nlog_host++] = h;
	cfg_order_touch(c, ctx->loading, ORD_LOGGING, "");
	return 0;
}

static int no_logging_host_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	int i = host_arg(a);
	uint32_t addr;
	if (!cmd_parse_ip(a->argv[i], &addr))
		return cmd_bad(ctx, a, i);
	struct config *c = ctx->cfg;
	size_t j = 0;
	for (size_t k = 0; k < c->nlog_host; k++)
		if (c->log_hosts[k].addr != addr)
			c->log_hosts[j++] = c->log_hosts[k];
	c->nlog_host = j;
	return 0;
}

static int logging_source_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	if (!cfg_strcpy(ctx->cfg->logging_source_if, sizeof(ctx->cfg->logging_source_if), a->argv[2]))
		return cmd_bad(ctx, a, 2);
	cfg_order_touch(ctx->cfg, ctx->loading, ORD_LOGGING, "");
	return 0;
}

static int no_logging_source_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	ctx->cfg->logging_source_if[0] = '\0';
	return 0;
}

static int logging_facility_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	for (size_t i = 0; i < NFAC; i++)
		if (strcmp(facilities[i].name, a->argv[2]) == 0) {
			ctx->cfg->logging_facility = facilities[i].code;
			cfg_order_touch(ctx->cfg, ctx->loading, ORD_LOGGING, "");
			return 0;
		}
	return cmd_bad(ctx, a, 2);
}

static int no_logging_facility_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	ctx->cfg->logging_facility = LOG_FACILITY_DEFAULT;
	return 0;
}

/* The logging lines of running-config, IOS's order. */
void cfg_render_logging(struct strbuf *out, const struct config *c)
{
	if (!c->logging_buffered)
		sb_puts(out, "no logging buffered\n");
	else if (c->logging_buffered_level != LOG_BUFFERED_LEVEL_DEFAULT)
		sb_printf(out, "logging buffered %u %s\n", c->logging_buffer_size,
			  log_level_name(c->logging_buffered_level));
	else if (c->logging_buffer_size != LOG_BUFFER_DEFAULT)
		sb_printf(out, "logging buffered %u\n", c->logging_buffer_size);
	if (!c->logging_console)
		sb_puts(out, "no logging console\n");
	else if (c->logging_console_level != LOG_CONSOLE_LEVEL_DEFAULT)
		sb_printf(out, "logging console %s\n", log_level_name(c->logging_console_level));
	if (c->logging_trap != LOG_TRAP_LEVEL_DEFAULT)
		sb_printf(out, "logging trap %s\n", log_level_name(c->logging_trap));
	if (c->logging_facility != LOG_FACILITY_DEFAULT)
		sb_printf(out, "logging facility %s\n", config_facility_name(c->logging_facility));
	if (c->logging_source_if[0])
		sb_printf(out, "logging source-interface %s\n", c->logging_source_if);
	for (size_t i = 0; i < c->nlog_host; i++) {
		const struct cfg_log_host *h = &c->log_hosts[i];
		sb_printf(out, "logging host %s", ip_str(h->addr).s);
		if (h->port != 514)
			sb_printf(out, " transport udp port %u", h->port);
		sb_puts(out, "\n");
	}
}

static const struct cmd_def logging_cmds[] = {
	{ MODE_CONFIG, "logging buffered [ <4096-2147483647> ] [ " LEVELS " ]",
	  "<4096-2147483647>:Logging buffer size;" LEVEL_HELP, logging_buffered_fn,
	  no_logging_buffered_fn },
	{ MODE_CONFIG, "logging trap [ " LEVELS " ]",
	  "trap:Set syslog server logging level;" LEVEL_HELP, logging_trap_fn, no_logging_trap_fn },
	{ MODE_CONFIG, "logging console [ " LEVELS " ]",
	  "console:Set console logging parameters;" LEVEL_HELP, logging_console_fn,
	  no_logging_console_fn },
	{ MODE_CONFIG,
	  "service timestamps [ debug | log ] [ uptime | datetime [ " STAMP_OPT " ] [ " STAMP_OPT
	  " ] [ " STAMP_OPT " ] [ " STAMP_OPT " ] ]",
	  "timestamps:Timestamp debug/log messages;debug:Timestamp debug messages;"
	  "log:Timestamp log messages;uptime:Timestamp with system uptime;"
	  "datetime:Timestamp with date and time;msec:Include milliseconds in timestamp;"
	  "localtime:Use local time zone for timestamps;"
	  "show-timezone:Add time zone information to timestamp;year:Include year in timestamp",
	  timestamps_fn, no_timestamps_fn },
	{ MODE_CONFIG, "logging host A.B.C.D [ transport udp port <1-65535> ]",
	  "host:Set syslog server IP address and parameters;A.B.C.D:IP address of the syslog server;"
	  "transport:Specify the transport protocol (default=UDP);udp:UDP;"
	  "port:Specify the UDP port number (default=514);<1-65535>:Port number",
	  logging_host_fn, no_logging_host_fn },
	{ MODE_CONFIG, "logging source-interface IFNAME",
	  "source-interface:Specify interface for source address in logging transactions",
	  logging_source_fn, no_logging_source_fn },
	{ MODE_CONFIG,
	  "logging facility { kern | user | mail | daemon | auth | syslog | lpr | news | uucp | cron | "
	  "local0 | local1 | local2 | local3 | local4 | local5 | local6 | local7 }",
	  "facility:Facility parameter for syslog messages;local7:Local use", logging_facility_fn,
	  no_logging_facility_fn },
};
CMD_REGISTER(logging_cmds)
