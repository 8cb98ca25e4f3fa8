#include "core/log.h"

#include "core/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

struct log_line {
	struct log_line *next;
	size_t len;
	char text[];
};

void log_init(struct logger *lg, size_t size)
{
	memset(lg, 0, sizeof(*lg));
	lg->size = size ? size : LOG_BUFFER_DEFAULT;
	lg->buffered = true;
	lg->buffer_level = LOG_BUFFERED_LEVEL_DEFAULT;
	lg->trap_level = LOG_TRAP_LEVEL_DEFAULT;
	lg->console = true;
	lg->console_level = LOG_CONSOLE_LEVEL_DEFAULT;
	lg->stamp_log = log_stamp_default;
	lg->stamp_debug = log_stamp_default;
}

const struct log_stamp log_stamp_default = { .kind = LOG_STAMP_DATETIME, .msec = true };

int log_add_sink(struct logger *lg, const struct log_sink *sink)
{
	if (lg->nsinks >= LOG_MAX_SINKS)
		return -1;
	lg->sinks[lg->nsinks++] = *sink;
	return 0;
}

void log_remove_sink(struct logger *lg, void *arg)
{
	int j = 0;
	for (int i = 0; i < lg->nsinks; i++)
		if (lg->sinks[i].arg != arg)
			lg->sinks[j++] = lg->sinks[i];
	lg->nsinks = j;
}

static const char *const level_names[] = {
	"emergencies", "alerts", "critical", "errors",
	"warnings", "notifications", "informational", "debugging",
};

const char *log_level_name(enum log_sev sev)
{
	return (unsigned)sev < 8 ? level_names[sev] : "debugging";
}

int log_level_parse(const char *s)
{
	if (s[0] >= '0' && s[0] <= '7' && !s[1])
		return s[0] - '0';
	for (int i = 0; i < 8; i++)
		if (strcmp(level_names[i], s) == 0)
			return i;
	return -1;
}

void log_clear(struct logger *lg)
{
	struct log_line *l = lg->head;
	while (l) {
		struct log_line *n = l->next;
		free(l);
		l = n;
	}
	lg->head = lg->tail = NULL;
	lg->used = 0;
}

void log_free(struct logger *lg) { log_clear(lg); }

static void trim(struct logger *lg)
{
	while (lg->head && lg->used > lg->size) {
		struct log_line *l = lg->head;
		lg->head = l->next;
		if (!lg->head)
			lg->tail = NULL;
		lg->used -= l->len;
		free(l);
	}
}

void log_set_size(struct logger *lg, size_t size)
{
	lg->size = size;
	trim(lg);
}

bool log_clock_authoritative(void)
{
	/* A read-only query; -1 (the unit's seccomp filter has no @clock)
	 * means we cannot tell, and IOS marks a clock it cannot vouch for. */
	struct timex tx = { .modes = 0 };
	int st = adjtimex(&tx);
	return st >= 0 && st != TIME_ERROR;
}

/* IOS's uptime stamp: hh:mm:ss for the first day, then 1d02h, then 2w3d. */
static void uptime_stamp(uint64_t ms, char *buf, size_t n)
{
	uint64_t s = ms / 1000;
	if (s < 86400)
		snprintf(buf, n, "%02u:%02u:%02u", (unsigned)(s / 3600), (unsigned)(s / 60 % 60),
			 (unsigned)(s % 60));
	else if (s < 7 * 86400)
		snprintf(buf, n, "%ud%02uh", (unsigned)(s / 86400), (unsigned)(s / 3600 % 24));
	else
		snprintf(buf, n, "%lluw%ud", (unsigned long long)(s / (7 * 86400)),
			 (unsigned)(s / 86400 % 7));
}

void log_format_stamp(const struct log_stamp *st, const struct timeval *now, uint64_t uptime_ms,
		      bool authoritative, char *buf, size_t n)
{
	if (st->kind == LOG_STAMP_UPTIME) {
		uptime_stamp(uptime_ms, buf, n);
		return;
	}
	if (st->kind != LOG_STAMP_DATETIME) {
		if (n)
			buf[0] = '\0';
		return;
	}
	/* Without `localtime` IOS stamps UTC; with it, the local zone (here the
	 * host's: TZ or /etc/localtime, not `clock timezone`). */
	struct tm tm;
	time_t t = now->tv_sec;
	if (st->localtime)
		localtime_r(&t, &tm);
	else
		gmtime_r(&t, &tm);
	char d[32], ms[8] = "", tz[16] = "";
	/* IOS pads the day with a space: "Mar  1". */
	strftime(d, sizeof(d), st->year ? "%b %e %Y %H:%M:%S" : "%b %e %H:%M:%S", &tm);
	if (st->msec)
		snprintf(ms, sizeof(ms), ".%03d", (int)(now->tv_usec / 1000));
	if (st->show_tz)
		snprintf(tz, sizeof(tz), " %s", st->localtime && tm.tm_zone ? tm.tm_zone : "UTC");
	snprintf(buf, n, "%s%s%s%s", authoritative ? "" : "*", d, ms, tz);
}

void log_stamp_render(const struct log_stamp *st, struct strbuf *out)
{
	if (st->kind == LOG_STAMP_UPTIME) {
		sb_puts(out, "uptime");
		return;
	}
	sb_puts(out, "datetime");
	if (st->msec)
		sb_puts(out, " msec");
	if (st->localtime)
		sb_puts(out, " localtime");
	if (st->show_tz)
		sb_puts(out, " show-timezone");
	if (st->year)
		sb_puts(out, " year");
}

static void stamp_now(const struct logger *lg, bool debug, char *buf, size_t n)
{
	const struct log_stamp *st = debug ? &lg->stamp_debug : &lg->stamp_log;
	struct timeval tv = { 0, 0 };
	bool auth = false;
	if (st->kind == LOG_STAMP_DATETIME) {
		gettimeofday(&tv, NULL);
		auth = log_clock_authoritative();
	}
	uint64_t up = st->kind == LOG_STAMP_UPTIME && lg->uptime_ms ? lg->uptime_ms(lg->uptime_arg) : 0;
	log_format_stamp(st, &tv, up, auth, buf, n);
}

static void to_sinks(struct logger *lg, enum log_sev sev, bool debug, const char *ts,
		     const char *body)
{
	if (lg->in_sink || !lg->nsinks)
		return;
	struct log_event ev = { .sev = sev, .debug = debug, .timestamp = ts, .body = body };
	lg->in_sink = true;
	for (int i = 0; i < lg->nsinks; i++)
		lg->sinks[i].write(lg->sinks[i].arg, &ev);
	lg->in_sink = false;
}

/*
 * The stderr sink.  Under systemd the journal stamps time and unit itself
 * and reads an sd-daemon "<N>" prefix as the priority; IOS severities 0-7
 * are syslog's 0-7, so N is the IOS severity (debug lines are 7).
 */
static void to_console(struct logger *lg, enum log_sev sev, const char *line, const char *body)
{
	bool at_level = lg->console && sev <= lg->console_level;
	if (!lg->to_stderr || (!at_level && !lg->debug_log))
		return;
	if (at_level)
		lg->console_logged++;
	FILE *f = lg->console_fp ? lg->console_fp : stderr;
	if (lg->journal)
		fprintf(f, "<%d>%s\n", (int)sev, body);
	else
		fprintf(f, "%s%s%s\n", lg->tag, lg->tag[0] ? " " : "", line);
}

static void emit(struct logger *lg, enum log_sev sev, bool debug, const char *body)
{
	char ts[64];
	stamp_now(lg, debug, ts, sizeof(ts));
	/* "STAMP: BODY", or BODY alone under `no service timestamps`. */
	char line[1200];
	snprintf(line, sizeof(line), "%s%s%s", ts, ts[0] ? ": " : "", body);
	size_t len = strlen(line);
	lg->lines_total++;
	if (sev <= lg->trap_level)
		lg->trap_lines++;
	to_console(lg, sev, line, body);
	to_sinks(lg, sev, debug, ts, body);
	if (lg->buffered && sev <= lg->buffer_level) {
		if (len + 1 > lg->size) {
			lg->dropped++;
		} else {
			struct log_line *l = malloc(sizeof(*l) + len + 1);
			if (!l) {
				lg->dropped++;
			} else {
				memcpy(l->text, line, len + 1);
				l->len = len + 1;
				l->next = NULL;
				if (lg->tail)
					lg->tail->next = l;
				else
					lg->head = l;
				lg->tail = l;
				lg->used += l->len;
				lg->logged++;
				trim(lg);
			}
		}
	}
	if (lg->tap)
		lg->tap(lg->tap_arg, line);
}

static void vmsg(struct logger *lg, const char *fac, enum log_sev sev, const char *mnem,
		 const char *fmt, va_list ap)
{
	char body[1024];
	int n = snprintf(body, sizeof(body), "%%%s-%d-%s: ", fac, (int)sev, mnem);
	if (n < 0 || (size_t)n >= sizeof(body))
		return;
	vsnprintf(body + n, sizeof(body) - (size_t)n, fmt, ap);
	emit(lg, sev, false, body);
}

void log_msg(struct logger *lg, const char *fac, enum log_sev sev, const char *mnem,
	     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(lg, fac, sev, mnem, fmt, ap);
	va_end(ap);
}

void log_debug(struct logger *lg, const char *fmt, ...)
{
	char body[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	emit(lg, SEV_DEBUG, true, body);
}

bool log_rl_allow(struct log_rl *rl, uint64_t now_ms, uint32_t interval_ms, uint32_t burst,
		  uint32_t *suppressed_before)
{
	if (now_ms - rl->window_start >= interval_ms || rl->window_start == 0) {
		rl->window_start = now_ms ? now_ms : 1;
		rl->in_window = 0;
	}
	if (rl->in_window >= burst) {
		rl->suppressed++;
		return false;
	}
	rl->in_window++;
	if (suppressed_before)
		*suppressed_before = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

void log_msg_rl(struct logger *lg, struct log_rl *rl, uint64_t now_ms, uint32_t interval_ms,
		const char *fac, enum log_sev sev, const char *mnem, const char *fmt, ...)
{
	uint32_t sup = 0;
	if (!log_rl_allow(rl, now_ms, interval_ms, 1, &sup)) {
		lg->rate_limited++;
		return;
	}
	if (sup)
		log_msg(lg, "SYS", SEV_NOTICE, "RATE_LIMIT",
			"%u %%%s-%d-%s messages suppressed in the last %u ms", sup, fac, (int)sev,
			mnem, interval_ms);
	va_list ap;
	va_start(ap, fmt);
	vmsg(lg, fac, sev, mnem, fmt, ap);
	va_end(ap);
}

void log_write_buffer(const struct logger *lg, FILE *f)
{
	for (const struct log_line *l = lg->head; l; l = l->next)
		fprintf(f, "%s\n", l->text);
}

void log_show(const struct logger *lg, struct strbuf *out)
{
	sb_printf(out,
		  "Syslog logging: enabled (%llu messages dropped, %llu messages rate-limited, "
		  "0 flushes, 0 overruns, xml disabled)\n",
		  (unsigned long long)lg->dropped, (unsigned long long)lg->rate_limited);
	if (lg->console)
		sb_printf(out, "    Console logging: level %s, %llu messages logged, xml disabled\n",
			  log_level_name(lg->console_level), (unsigned long long)lg->console_logged);
	else
		sb_printf(out, "    Console logging: disabled\n");
	sb_printf(out, "    Monitor logging: level debugging, 0 messages logged, xml disabled\n");
	if (lg->buffered)
		sb_printf(out, "    Buffer logging: level %s, %llu messages logged, xml disabled\n",
			  log_level_name(lg->buffer_level), (unsigned long long)lg->logged);
	else
		sb_printf(out, "    Buffer logging: disabled\n");
	sb_printf(out, "    Logging Exception size (8192 bytes)\n");
	sb_printf(out, "    Count and timestamp logging messages: disabled\n");
	sb_printf(out, "    Trap logging: level %s, %llu message lines logged\n",
		  log_level_name(lg->trap_level), (unsigned long long)lg->trap_lines);
	for (int i = 0; i < lg->nsinks; i++)
		if (lg->sinks[i].show)
			lg->sinks[i].show(lg->sinks[i].arg, out);
	sb_printf(out, "\nLog Buffer (%zu bytes):\n\n", lg->size);
	for (const struct log_line *l = lg->head; l; l = l->next)
		sb_printf(out, "%s\n", l->text);
}

void log_show_json(const struct logger *lg, struct json *j)
{
	json_u64(j, "messages_dropped", lg->dropped);
	json_u64(j, "messages_rate_limited", lg->rate_limited);
	json_u64(j, "message_lines_total", lg->lines_total);
	json_obj_begin(j, "console");
	json_bool(j, "enabled", lg->console);
	json_str(j, "level", log_level_name(lg->console_level));
	json_u64(j, "messages_logged", lg->console_logged);
	json_obj_end(j);
	json_obj_begin(j, "buffer");
	json_bool(j, "enabled", lg->buffered);
	json_str(j, "level", log_level_name(lg->buffer_level));
	json_u64(j, "size", lg->size);
	json_u64(j, "messages_logged", lg->logged);
	json_obj_end(j);
	json_obj_begin(j, "trap");
	json_str(j, "level", log_level_name(lg->trap_level));
	json_u64(j, "message_lines_logged", lg->trap_lines);
	json_obj_end(j);
	for (int i = 0; i < lg->nsinks; i++)
		if (lg->sinks[i].show_json)
			lg->sinks[i].show_json(lg->sinks[i].arg, j);
	json_arr_begin(j, "buffer_lines");
	for (const struct log_line *l = lg->head; l; l = l->next)
		json_str(j, NULL, l->text);
	json_arr_end(j);
}
