/*
 * Router logging in the IOS format:
 *   *Mar 24 20:55:45.739: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: ...
 * Each router has its own logger: a ring buffer for `show logging`
 * (`logging buffered [SIZE]`), the console (spigotd's stderr or the
 * journal, `logging console LEVEL`) and sinks (syslog hosts); every line is
 * stamped once, as `service timestamps` says, and all of them get that stamp.
 * Debug output (`debug crypto isakmp`) has no %FAC-SEV-MNEMONIC, as on IOS.
 */
#ifndef SPIGOT_LOG_H
#define SPIGOT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>

#include "core/strbuf.h"

enum log_sev {
	SEV_EMERG = 0,
	SEV_ALERT,
	SEV_CRIT,
	SEV_ERR,
	SEV_WARNING,
	SEV_NOTICE,
	SEV_INFO,
	SEV_DEBUG,
};

/* IOS's logging defaults: the one place both the logger and the config read. */
#define LOG_BUFFER_DEFAULT 8192			/* `logging buffered` size */
#define LOG_BUFFERED_LEVEL_DEFAULT SEV_DEBUG	/* `logging buffered` level */
#define LOG_CONSOLE_LEVEL_DEFAULT SEV_DEBUG	/* `logging console` level */
#define LOG_TRAP_LEVEL_DEFAULT SEV_INFO		/* `logging trap` level */
#define LOG_FACILITY_DEFAULT 23			/* `logging facility local7` */
#define LOG_BUFFER_MIN 4096
#define LOG_BUFFER_MAX 2147483647

struct log_line;

/*
 * `service timestamps {log|debug} uptime | datetime [msec] [localtime]
 * [show-timezone] [year]`, `no service timestamps {log|debug}`: how a line
 * is stamped, in the buffer, on the console and in syslog alike.
 */
enum log_stamp_kind { LOG_STAMP_NONE, LOG_STAMP_UPTIME, LOG_STAMP_DATETIME };
struct log_stamp {
	uint8_t kind;		/* enum log_stamp_kind */
	bool msec, localtime, show_tz, year;
};
/* The default, `datetime msec` in UTC: what IOS 12.3 and later ship with. */
extern const struct log_stamp log_stamp_default;

/*
 * One message as the sinks see it.  Sinks are where a line goes besides
 * the buffer: the syslog hosts (src/net/syslog.c), the journal.  A line a
 * sink logs while it runs (a send that fails and logs) reaches the buffer
 * but no sink, so a sink can never recurse into itself.
 */
struct log_event {
	enum log_sev sev;	/* debug lines are SEV_DEBUG */
	bool debug;		/* no %FAC-SEV-MNEMONIC (debug crypto ...) */
	const char *timestamp;	/* "*Mar 24 20:55:45.739" */
	const char *body;	/* "%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: ..." */
};

struct json;
struct log_sink {
	void (*write)(void *arg, const struct log_event *ev);
	/* Its part of `show logging` after the Trap line (NULL: nothing)... */
	void (*show)(void *arg, struct strbuf *out);
	/* ... and of `--json show logging`: members of the top object. */
	void (*show_json)(void *arg, struct json *j);
	void *arg;
};
#define LOG_MAX_SINKS 4

struct logger {
	struct log_line *head, *tail;	/* oldest first */
	size_t used;			/* bytes of text held */
	size_t size;			/* buffer budget (logging buffered) */
	bool buffered;			/* `no logging buffered` turns it off */
	bool to_stderr;			/* the console exists (spigotd without --quiet) */
	bool console;			/* `logging console` (on); `no logging console` */
	enum log_sev console_level;	/* logging console LEVEL (debugging) */
	uint64_t console_logged;	/* messages the console took at its level */
	bool debug_log;			/* spigotd --debug-log: every line on stderr */
	FILE *console_fp;		/* the console: NULL = stderr (tests set a file) */
	struct log_stamp stamp_log;	/* service timestamps log ... */
	struct log_stamp stamp_debug;	/* service timestamps debug ... */
	/* Milliseconds since the router started, for `uptime` stamps. */
	uint64_t (*uptime_ms)(const void *arg);
	const void *uptime_arg;
	bool journal;			/* stderr is the journal: "<N>" + message, see to_stderr_line() */
	char tag[64];			/* prefix on stderr lines (hostname) */
	uint64_t logged;		/* messages into the buffer */
	uint64_t lines_total;		/* every message, buffered or not */
	uint64_t rate_limited;		/* suppressed by rate limits */
	uint64_t dropped;		/* did not fit even alone */
	enum log_sev buffer_level;	/* logging buffered SIZE LEVEL (debugging) */
	enum log_sev trap_level;	/* logging trap LEVEL (informational) */
	uint64_t trap_lines;		/* lines at or below trap_level */
	struct log_sink sinks[LOG_MAX_SINKS];
	int nsinks;
	bool in_sink;			/* a sink is running: no re-entry */
	/* Hook for tests and the CLI monitor: sees every line. */
	void (*tap)(void *arg, const char *line);
	void *tap_arg;
};

void log_init(struct logger *lg, size_t size);
void log_free(struct logger *lg);
void log_set_size(struct logger *lg, size_t size);
void log_clear(struct logger *lg);

/* Adds a sink (-1 when LOG_MAX_SINKS are in use); removes it by its arg. */
int log_add_sink(struct logger *lg, const struct log_sink *sink);
void log_remove_sink(struct logger *lg, void *arg);

/* IOS level names: "emergencies" ... "debugging"; parse returns -1 if unknown. */
const char *log_level_name(enum log_sev sev);
int log_level_parse(const char *s);

void log_msg(struct logger *lg, const char *fac, enum log_sev sev, const char *mnem,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A debug line: "*Mar 24 ...: text" with no %FAC-SEV-MNEMONIC. */
void log_debug(struct logger *lg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The buffer's lines, oldest first, one a line. */
void log_write_buffer(const struct logger *lg, FILE *f);

/* `show logging` in the IOS layout, and as JSON (docs/JSON.md). */
void log_show(const struct logger *lg, struct strbuf *out);
void log_show_json(const struct logger *lg, struct json *j);

/*
 * Rate limit: at most `burst` messages per `interval_ms`; the rest are
 * counted.  When a message is let through after some were suppressed,
 * log_rl_allow() reports how many so the caller's line can say so, and
 * log_msg_rl() does that by itself.
 */
struct log_rl {
	uint64_t window_start;
	uint32_t in_window;
	uint32_t suppressed;
};

bool log_rl_allow(struct log_rl *rl, uint64_t now_ms, uint32_t interval_ms, uint32_t burst,
		  uint32_t *suppressed_before);
void log_msg_rl(struct logger *lg, struct log_rl *rl, uint64_t now_ms, uint32_t interval_ms,
		const char *fac, enum log_sev sev, const char *mnem, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

/*
 * A timestamp as IOS prints it ("" for LOG_STAMP_NONE):
 *   uptime:    "00:01:23", "1d02h", "2w3d"
 *   datetime:  "*Nov 30 23:45:01.123", with year "*Nov 30 2026 23:45:01.123",
 *              with show-timezone "... UTC"
 * The leading "*" says the clock is not authoritative (not NTP-synced).
 */
void log_format_stamp(const struct log_stamp *st, const struct timeval *now, uint64_t uptime_ms,
		      bool authoritative, char *buf, size_t n);
/* Whether the host clock is NTP-synchronized (adjtimex: no TIME_ERROR; an
 * error, e.g. under a seccomp filter, counts as not synchronized). */
bool log_clock_authoritative(void);
/* The running-config form: "datetime msec localtime", "uptime". */
void log_stamp_render(const struct log_stamp *st, struct strbuf *out);

#endif
