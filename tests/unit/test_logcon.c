/*
 * The console and the timestamps as a network engineer checks them:
 * `logging console LEVEL` keeps lines above the level off the console,
 * `no logging console` keeps everything off, `show logging` counts what the
 * console took; `service timestamps` changes every line's stamp (IOS's
 * uptime and datetime forms); running-config renders both.
 */
#include <stdlib.h>
#include <time.h>

#include "config/config.h"
#include "config/load.h"
#include "core/log.h"
#include "t.h"

static const struct timeval nov30 = { 1796082301, 123456 };	/* 2026-11-30 23:45:01.123 UTC */

static const char *stamp(struct log_stamp st, const struct timeval *tv, uint64_t up, bool auth)
{
	static char buf[64];
	log_format_stamp(&st, tv, up, auth, buf, sizeof(buf));
	return buf;
}

TEST(logcon_stamp_datetime_forms)
{
	struct log_stamp dt = { .kind = LOG_STAMP_DATETIME };
	CHECK_STR(stamp(dt, &nov30, 0, false), "*Nov 30 23:45:01");
	dt.msec = true;
	CHECK_STR(stamp(dt, &nov30, 0, false), "*Nov 30 23:45:01.123");
	/* An NTP-synced clock is authoritative: no "*". */
	CHECK_STR(stamp(dt, &nov30, 0, true), "Nov 30 23:45:01.123");
	dt.year = true;
	CHECK_STR(stamp(dt, &nov30, 0, false), "*Nov 30 2026 23:45:01.123");
	dt.show_tz = true;
	CHECK_STR(stamp(dt, &nov30, 0, false), "*Nov 30 2026 23:45:01.123 UTC");
	/* IOS pads a one-digit day with a space. */
	const struct timeval mar1 = { 1235865637, 207000 };
	struct log_stamp d2 = { .kind = LOG_STAMP_DATETIME, .msec = true };
	CHECK_STR(stamp(d2, &mar1, 0, false), "*Mar  1 00:00:37.207");
	/* The default is datetime msec in UTC. */
	CHECK_STR(stamp(log_stamp_default, &nov30, 0, false), "*Nov 30 23:45:01.123");
	/* localtime follows the host's zone. */
	setenv("TZ", "EST5", 1);
	tzset();
	struct log_stamp lt = { .kind = LOG_STAMP_DATETIME, .msec = true, .localtime = true,
				.show_tz = true };
	CHECK_STR(stamp(lt, &nov30, 0, false), "*Nov 30 18:45:01.123 EST");
	unsetenv("TZ");
	tzset();
}

TEST(logcon_stamp_uptime_and_none)
{
	struct log_stamp up = { .kind = LOG_STAMP_UPTIME };
	CHECK_STR(stamp(up, &nov30, 0, false), "00:00:00");
	CHECK_STR(stamp(up, &nov30, 83999, false), "00:01:23");
	CHECK_STR(stamp(up, &nov30, 86399999, false), "23:59:59");
	CHECK_STR(stamp(up, &nov30, (86400 + 2 * 3600) * 1000ull, false), "1d02h");
	CHECK_STR(stamp(up, &nov30, (9 * 86400 + 5) * 1000ull, false), "1w2d");
	struct log_stamp none = { .kind = LOG_STAMP_NONE };
	CHECK_STR(stamp(none, &nov30, 5000, false), "");
}

static char *slurp_fp(FILE *f)
{
	fflush(f);
	long n = ftell(f);
	char *s = calloc(1, (size_t)n + 1);
	rewind(f);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n)
		s[0] = '\0';
	fseek(f, 0, SEEK_END);
	return s;
}

static char *show(const struct logger *lg)
{
	struct strbuf sb;
	sb_init(&sb);
	log_show(lg, &sb);
	return sb_take(&sb);
}

TEST(logcon_console_level_filters)
{
	struct logger lg;
	log_init(&lg, 0);
	FILE *con = tmpfile();
	CHECK(con != NULL);
	if (!con)
		return;
	lg.to_stderr = true;
	lg.console_fp = con;
	lg.console_level = SEV_WARNING;	/* logging console warnings */
	log_msg(&lg, "IP", SEV_INFO, "NOROUTE", "No route to 192.0.2.1, packet dropped");
	log_msg(&lg, "IP", SEV_WARNING, "BADPKT", "bad header");
	log_debug(&lg, "ISAKMP: a debug line");
	char *c = slurp_fp(con);
	CHECK(strstr(c, "%IP-4-BADPKT: bad header\n") != NULL);
	CHECK(strstr(c, "NOROUTE") == NULL);
	CHECK(strstr(c, "a debug line") == NULL);
	free(c);
	char *s = show(&lg);
	CHECK(strstr(s, "    Console logging: level warnings, 1 messages logged, xml disabled\n") != NULL);
	/* The buffer (debugging) still has all three. */
	CHECK(strstr(s, "%IP-6-NOROUTE: No route") != NULL);
	CHECK(strstr(s, ": ISAKMP: a debug line\n") != NULL);
	free(s);

	/* no logging console: nothing more on the console. */
	lg.console = false;
	log_msg(&lg, "IP", SEV_ERR, "X", "an error");
	c = slurp_fp(con);
	CHECK(strstr(c, "an error") == NULL);
	free(c);
	s = show(&lg);
	CHECK(strstr(s, "    Console logging: disabled\n") != NULL);
	free(s);

	/* spigotd --debug-log: every line on stderr, but the console's count
	 * is still what the console would have taken. */
	lg.debug_log = true;
	log_msg(&lg, "IP", SEV_INFO, "Y", "info for the debug log");
	c = slurp_fp(con);
	CHECK(strstr(c, "info for the debug log") != NULL);
	free(c);
	CHECK(lg.console_logged == 1);
	fclose(con);
	log_free(&lg);
}

static uint64_t fixed_uptime(const void *arg)
{
	return *(const uint64_t *)arg;
}

TEST(logcon_timestamps_change_buffer_lines)
{
	struct logger lg;
	log_init(&lg, 0);
	uint64_t up = 83000;
	lg.uptime_ms = fixed_uptime;
	lg.uptime_arg = &up;
	lg.stamp_log = (struct log_stamp){ .kind = LOG_STAMP_UPTIME };
	log_msg(&lg, "SYS", SEV_NOTICE, "CONFIG_I", "Configured from console");
	lg.stamp_log = (struct log_stamp){ .kind = LOG_STAMP_NONE };
	log_msg(&lg, "SYS", SEV_NOTICE, "CONFIG_I", "again");
	/* Debug lines keep their own stamp (default datetime msec). */
	log_debug(&lg, "ISAKMP: debug");
	char *s = show(&lg);
	CHECK(strstr(s, "\n00:01:23: %SYS-5-CONFIG_I: Configured from console\n") != NULL);
	CHECK(strstr(s, "\n%SYS-5-CONFIG_I: again\n") != NULL);
	const char *d = strstr(s, "ISAKMP: debug");
	CHECK(d && d > s + 20 && d[-2] == ':' && d[-6] == '.');	/* "...:SS.mmm: ISAKMP" */
	free(s);
	log_free(&lg);
}

static struct config *load(const char *text, struct strbuf *err)
{
	sb_init(err);
	return config_load_string(text, "t.cfg", err, NULL);
}

static char *running(const struct config *c)
{
	struct strbuf sb;
	sb_init(&sb);
	config_render(c, &sb);
	return sb_take(&sb);
}

TEST(logcon_config_parse_and_render)
{
	struct strbuf err;
	struct config *c = load("hostname r\n"
				"service timestamps debug uptime\n"
				"service timestamps log datetime localtime year msec\n"
				"logging console warnings\n",
				&err);
	CHECK(c != NULL);
	if (!c) {
		fprintf(stderr, "    %s", sb_str(&err));
		sb_free(&err);
		return;
	}
	CHECK(c->logging_console && c->logging_console_level == SEV_WARNING);
	CHECK(c->stamp_debug.kind == LOG_STAMP_UPTIME);
	CHECK(c->stamp_log.kind == LOG_STAMP_DATETIME && c->stamp_log.msec &&
	      c->stamp_log.localtime && c->stamp_log.year && !c->stamp_log.show_tz);
	char *r = running(c);
	/* IOS's own order of the options, whatever order they were typed in. */
	CHECK(strstr(r, "\nservice timestamps debug uptime\n"
			"service timestamps log datetime msec localtime year\n") != NULL);
	CHECK(strstr(r, "\nlogging console warnings\n") != NULL);
	free(r);
	config_free(c);

	c = load("no service timestamps log\nno logging console\n", &err);
	CHECK(c && !c->logging_console && c->stamp_log.kind == LOG_STAMP_NONE &&
	      c->stamp_debug.kind == LOG_STAMP_DATETIME);
	r = c ? running(c) : NULL;
	CHECK(r && strstr(r, "\nservice timestamps debug datetime msec\nno service timestamps log\n"));
	CHECK(r && strstr(r, "\nno logging console\n"));
	free(r);
	config_free(c);

	/* `service timestamps` alone is IOS's debug uptime; `no service
	 * timestamps` alone turns off both. */
	c = load("service timestamps\n", &err);
	CHECK(c && c->stamp_debug.kind == LOG_STAMP_UPTIME && c->stamp_log.kind == LOG_STAMP_DATETIME);
	config_free(c);
	c = load("no service timestamps\n", &err);
	CHECK(c && c->stamp_debug.kind == LOG_STAMP_NONE && c->stamp_log.kind == LOG_STAMP_NONE);
	config_free(c);

	/* Defaults render nothing: a config without these lines stays so. */
	c = load("hostname r\n", &err);
	r = c ? running(c) : NULL;
	CHECK(r && !strstr(r, "timestamps") && !strstr(r, "logging console"));
	CHECK(c && c->logging_console && c->logging_console_level == SEV_DEBUG);
	free(r);
	config_free(c);

	/* A bad option or level is refused with the caret error. */
	sb_free(&err);
	c = load("logging console loud\n", &err);
	CHECK(c == NULL);
	CHECK(strstr(sb_str(&err), "t.cfg:1: % Invalid input") != NULL);
	sb_free(&err);
	c = load("service timestamps log datetime sometimes\n", &err);
	CHECK(c == NULL);
	sb_free(&err);
}

/*
 * Rate-limited lines as IOS counts them: each suppressed line adds one to
 * "N messages rate-limited" on the Syslog logging line of `show logging`,
 * and the first line let through afterwards is preceded by one saying how
 * many were suppressed.
 */
TEST(logcon_rate_limited_counted)
{
	struct logger lg;
	log_init(&lg, 0);
	struct log_rl rl = { 0 };
	for (int i = 0; i < 5; i++)
		log_msg_rl(&lg, &rl, 1000 + (uint64_t)i, 10000, "IP", SEV_INFO, "NOROUTE",
			   "No route to 192.0.2.%d, packet dropped", i);
	CHECK(lg.rate_limited == 4);
	char *s = show(&lg);
	CHECK(strstr(s, "Syslog logging: enabled (0 messages dropped, 4 messages rate-limited,") != NULL);
	CHECK(strstr(s, "192.0.2.0") && !strstr(s, "192.0.2.1"));
	free(s);
	/* The window ends: the next line goes out after the count. */
	log_msg_rl(&lg, &rl, 11000, 10000, "IP", SEV_INFO, "NOROUTE", "No route to 192.0.2.9, packet dropped");
	s = show(&lg);
	const char *n = strstr(s, "%SYS-5-RATE_LIMIT: 4 %IP-6-NOROUTE messages suppressed in the last 10000 ms\n");
	const char *m = strstr(s, "%IP-6-NOROUTE: No route to 192.0.2.9");
	CHECK(n && m && n < m);
	CHECK(lg.rate_limited == 4);
	free(s);
	log_free(&lg);
}
