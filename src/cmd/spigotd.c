/*
 * spigotd: one process is one router.
 *   spigotd --config FILE [--port IFNAME=SPEC ...] [--ports-file FILE]
 *           [--control SOCKET] [--quiet] [--journal] [--debug-log]
 *           [--workers N]
 * --workers N: threads for packet: ports; the control thread counts as one,
 * so each such port gets N - 1 data-plane workers (default: the number of
 * cores; 1 is the control thread alone).
 * stderr is the router's console: `logging console LEVEL` filters it and
 * `no logging console` silences it; --debug-log makes it carry every line
 * whatever the config says (the lab's and the tests' record).
 * Signals: SIGHUP re-reads FILE (all or nothing), SIGTERM/SIGINT stop.
 * Under systemd (Type=notify) it reports READY/RELOADING/STOPPING and logs
 * to the journal with the IOS severity as priority (core/sdnotify.h).
 * Exit codes: 0 stopped by a signal, 1 could not start, 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli/ctl.h"
#include "config/load.h"
#include "ike/ike.h"
#include "ike/ike_int.h"
#include "core/privs.h"
#include "core/sdnotify.h"
#include "router.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: spigotd --config FILE [--port IFNAME=SPEC ...] [--ports-file FILE]\n"
		   "               [--control SOCKET] [--state-dir DIR] [--quiet] [--journal] [--debug-log]\n"
		   "               [--workers N]\n"
		   "  SPEC: udp:LOCAL_PORT:REMOTE_HOST:REMOTE_PORT | packet:IFNAME | tun:IFNAME\n"
		   "  DIR: the state directory (default $STATE_DIRECTORY), e.g. for the IKEv2 QCD secret\n"
		   "  N: threads for packet: ports, the control thread included (default: cores online)\n");
}

struct sigctx {
	int fd;
	struct evloop *ev;
	struct router *r;
};

static void notify_ready(struct router *r)
{
	char st[200];
	snprintf(st, sizeof(st), "READY=1\nSTATUS=router %s running, %d interfaces", r->cfg->hostname,
		 r->niface);
	sdn_notify(st);
}

static void on_sigfd(void *arg, uint32_t events)
{
	struct sigctx *sc = arg;
	struct signalfd_siginfo si;
	(void)events;
	if (read(sc->fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		/* systemd wants RELOADING=1 with the monotonic time of the request. */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		char st[80];
		snprintf(st, sizeof(st), "RELOADING=1\nMONOTONIC_USEC=%llu",
			 (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
		sdn_notify(st);
		router_reload(sc->r);
		notify_ready(sc->r);
		return;
	}
	ev_stop(sc->ev);
}

struct opts {
	const char *config, *control, *state_dir;
	char *ports[ROUTER_MAX_IFACES];	/* "IFNAME=SPEC", owned */
	int nports;
	bool quiet, journal, debug_log;
	int workers;
};

#define WORKERS_MAX 64

/*
 * The default is the number of cores online: each packet: port then gets
 * one data-plane worker per core but one, and the control thread keeps IKE
 * and the rest (docs/ARCHITECTURE.md, "Threads").  One core: one thread.
 */
static int workers_default(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > WORKERS_MAX ? WORKERS_MAX : (int)n;
}

static int add_port(struct opts *o, const char *spec)
{
	if (o->nports == ROUTER_MAX_IFACES) {
		fprintf(stderr, "spigotd: too many ports\n");
		return -1;
	}
	o->ports[o->nports] = strdup(spec);
	if (!o->ports[o->nports])
		abort();
	o->nports++;
	return 0;
}

/* A ports file: one IFNAME=SPEC a line; blank lines and "#" comments. */
static int read_ports_file(struct opts *o, const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "spigotd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char line[512];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		char *p = line + strspn(line, " \t");
		p[strcspn(p, "#\r\n")] = '\0';
		for (size_t n = strlen(p); n && (p[n - 1] == ' ' || p[n - 1] == '\t'); n--)
			p[n - 1] = '\0';
		if (!*p)
			continue;
		if (!strchr(p, '=') || strpbrk(p, " \t")) {
			fprintf(stderr, "spigotd: %s:%d: expected IFNAME=SPEC, got \"%s\"\n", path, lineno, p);
			rc = -1;
		} else {
			rc = add_port(o, p);
		}
	}
	fclose(f);
	return rc;
}

/* 0 to run, else the exit code (help: 0 via *done). */
static int parse_opts(int argc, char **argv, struct opts *o, bool *done)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "ports-file", required_argument, NULL, 'P' },
		{ "control", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "journal", no_argument, NULL, 'j' },
		{ "debug-log", no_argument, NULL, 'd' },
		{ "workers", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "c:p:P:s:S:qjdw:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'p': if (add_port(o, optarg) < 0) return 2; break;
		case 'P': if (read_ports_file(o, optarg) < 0) return 2; break;
		case 's': o->control = optarg; break;
		case 'S': o->state_dir = optarg; break;
		case 'q': o->quiet = true; break;
		case 'j': o->journal = true; break;
		case 'd': o->debug_log = true; break;
		case 'w': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 1 || n > WORKERS_MAX) {
				fprintf(stderr, "spigotd: --workers %s: expected 1 to %d\n", optarg,
					WORKERS_MAX);
				return 2;
			}
			o->workers = (int)n;
			break;
		}
		case 'h': usage(stdout); *done = true; return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!o->config || optind != argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

static int bind_ports(struct router *r, struct opts *o)
{
	for (int i = 0; i < o->nports; i++) {
		char *eq = strchr(o->ports[i], '=');
		if (!eq) {
			fprintf(stderr, "spigotd: --port %s: expected IFNAME=SPEC\n", o->ports[i]);
			return -1;
		}
		*eq = '\0';
		if (router_bind_port(r, o->ports[i], eq + 1) < 0) {
			fprintf(stderr, "spigotd: --port %s: no such interface in %s\n", o->ports[i],
				o->config);
			return -1;
		}
	}
	return 0;
}

static struct config *load_config(const char *path)
{
	struct strbuf err, notes;
	sb_init(&err);
	sb_init(&notes);
	struct config *cfg = config_load_file(path, &err, &notes);
	if (notes.len)
		fputs(sb_str(&notes), stderr);
	if (!cfg)
		fputs(sb_str(&err), stderr);
	sb_free(&err);
	sb_free(&notes);
	return cfg;
}

/* Brings the router up; 0 when it runs, else the exit code. */
static int start(struct router *r, struct opts *o, struct sigctx *sc)
{
	r->log.to_stderr = !o->quiet;
	r->log.journal = o->journal;
	r->log.debug_log = o->debug_log;
	r->workers = o->workers ? o->workers : workers_default();
	snprintf(r->config_path, sizeof(r->config_path), "%s", o->config);
	/* systemd's StateDirectory= says where unless --state-dir does (the first of a list). */
	const char *sd = o->state_dir ? o->state_dir : getenv("STATE_DIRECTORY");
	if (sd)
		snprintf(r->state_dir, sizeof(r->state_dir), "%.*s", (int)strcspn(sd, ":"), sd);
	if (bind_ports(r, o) < 0)
		return 2;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sc->fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sc->fd < 0 || ev_add_fd(r->ev, sc->fd, EPOLLIN, on_sigfd, sc) < 0) {
		perror("spigotd: signalfd");
		return 1;
	}

	/* Test aid (tests/adversary): SPIGOT_TEST_IKE_TIMERS=RTX_BASE_MS,TRIES,KEEP_MS
	 * shortens how long finished exchanges are kept, so a replay "after the
	 * exchange is forgotten" fits in a test's time budget. */
	const char *tt = getenv("SPIGOT_TEST_IKE_TIMERS");
	unsigned tb, tn, tk;
	if (tt && sscanf(tt, "%u,%u,%u", &tb, &tn, &tk) == 3 && tb && tn <= 10) {
		ike_set_retransmit(r, tb, (int)tn);
		r->ike->qm_keep_ms = tk;
	}
	/* Test aid (tests/adversary/ikev2_replay_rekey.sh): SPIGOT_TEST_IKEV2_LIFE_MS=MS, at
	 * least 10 s, replaces IKEv2 IKE SA lifetimes, so a rekey comes in seconds, not minutes. */
	const char *tl = getenv("SPIGOT_TEST_IKEV2_LIFE_MS");
	unsigned lm;
	if (tl && sscanf(tl, "%u", &lm) == 1 && lm >= 10000)
		ike_set_test_v2_life(r, lm);
	if (router_start(r) < 0) {
		/* The reason is in the log; a console that did not show every
		 * line (`no logging console`) must not hide why we exit. */
		if (r->log.to_stderr && !r->log.debug_log &&
		    (!r->log.console || r->log.console_level < SEV_DEBUG)) {
			fprintf(stderr, "spigotd: cannot start the router; its log:\n");
			log_write_buffer(&r->log, stderr);
		} else {
			fprintf(stderr, "spigotd: cannot start the router (see log above)\n");
		}
		return 1;
	}
	if (o->control && ctl_start(r, o->control) < 0) {
		fprintf(stderr, "spigotd: cannot open control socket %s: %s\n", o->control, strerror(errno));
		return 1;
	}
	/* Ports are open and are never reopened: a non-root router needs no
	 * capability from here on (root keeps its powers, as any root process). */
	if (getuid() != 0 && privs_drop_all() < 0) {
		fprintf(stderr, "spigotd: cannot drop capabilities: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

static int run(struct opts *o)
{
	struct config *cfg = load_config(o->config);
	if (!cfg)
		return 1;
	struct evloop *ev = ev_new();
	if (!ev) {
		perror("spigotd: epoll");
		config_free(cfg);
		return 1;
	}
	struct router *r = router_new(ev, cfg);
	if (!r) {
		fprintf(stderr, "spigotd: cannot create the router\n");
		ev_free(ev);
		return 1;
	}
	struct sigctx sc = { -1, ev, r };
	int rc = start(r, o, &sc);
	if (rc == 0) {
		log_msg(&r->log, "SYS", SEV_NOTICE, "RESTART", "System restarted -- spigot %s, %s",
			SPIGOT_VERSION, OpenSSL_version(OPENSSL_VERSION));
		notify_ready(r);
		ev_run(ev);
		sdn_notify("STOPPING=1");
		log_msg(&r->log, "SYS", SEV_NOTICE, "SHUTDOWN", "router %s shutting down",
			r->cfg->hostname);
	}
	router_free(r);
	if (sc.fd >= 0)
		close(sc.fd);
	ev_free(ev);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { .journal = sdn_stderr_is_journal() };
	bool done = false;
	int rc = parse_opts(argc, argv, &o, &done);
	if (rc == 0 && !done)
		rc = run(&o);
	for (int i = 0; i < o.nports; i++)
		free(o.ports[i]);
	return rc;
}
