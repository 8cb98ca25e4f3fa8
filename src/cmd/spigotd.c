/*
 * spigotd: one process is one router.
 *   spigotd --config FILE [--port IFNAME=SPEC ...] [--control SOCKET] [--quiet] [--journal]
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
#include "core/sdnotify.h"
#include "router.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: spigotd --config FILE [--port IFNAME=SPEC ...] [--control SOCKET] [--quiet]\n"
		   "               [--journal]\n"
		   "  SPEC: udp:LOCAL_PORT:REMOTE_HOST:REMOTE_PORT | packet:IFNAME | tun:IFNAME\n");
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

int main(int argc, char **argv)
{
	const char *config = NULL, *control = NULL;
	char *ports[ROUTER_MAX_IFACES];
	int nports = 0;
	bool quiet = false, journal = sdn_stderr_is_journal();
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "control", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "journal", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "c:p:s:qjh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'p':
			if (nports == ROUTER_MAX_IFACES) {
				fprintf(stderr, "spigotd: too many --port\n");
				return 2;
			}
			ports[nports++] = optarg;
			break;
		case 's': control = optarg; break;
		case 'q': quiet = true; break;
		case 'j': journal = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!config || optind != argc) {
		usage(stderr);
		return 2;
	}

	struct strbuf err, notes;
	sb_init(&err);
	sb_init(&notes);
	struct config *cfg = config_load_file(config, &err, &notes);
	if (notes.len)
		fputs(sb_str(&notes), stderr);
	if (!cfg) {
		fputs(sb_str(&err), stderr);
		return 1;
	}
	sb_free(&err);
	sb_free(&notes);

	struct evloop *ev = ev_new();
	if (!ev) {
		perror("spigotd: epoll");
		return 1;
	}
	struct router *r = router_new(ev, cfg);
	if (!r) {
		fprintf(stderr, "spigotd: cannot create the router\n");
		return 1;
	}
	r->log.to_stderr = !quiet;
	r->log.journal = journal;
	snprintf(r->config_path, sizeof(r->config_path), "%s", config);
	for (int i = 0; i < nports; i++) {
		char *eq = strchr(ports[i], '=');
		if (!eq) {
			fprintf(stderr, "spigotd: --port %s: expected IFNAME=SPEC\n", ports[i]);
			return 2;
		}
		*eq = '\0';
		if (router_bind_port(r, ports[i], eq + 1) < 0) {
			fprintf(stderr, "spigotd: --port %s: no such interface in %s\n", ports[i], config);
			return 2;
		}
	}

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct sigctx sc = { signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK), ev, r };
	if (sc.fd < 0 || ev_add_fd(ev, sc.fd, EPOLLIN, on_sigfd, &sc) < 0) {
		perror("spigotd: signalfd");
		return 1;
	}

	if (router_start(r) < 0) {
		fprintf(stderr, "spigotd: cannot start the router (see log above)\n");
		return 1;
	}
	if (control && ctl_start(r, control) < 0) {
		fprintf(stderr, "spigotd: cannot open control socket %s: %s\n", control, strerror(errno));
		return 1;
	}
	log_msg(&r->log, "SYS", SEV_NOTICE, "RESTART", "System restarted -- spigot %s, %s",
		SPIGOT_VERSION, OpenSSL_version(OPENSSL_VERSION));
	notify_ready(r);
	ev_run(ev);
	sdn_notify("STOPPING=1");
	log_msg(&r->log, "SYS", SEV_NOTICE, "SHUTDOWN", "router %s shutting down", r->cfg->hostname);
	router_free(r);
	close(sc.fd);
	ev_free(ev);
	return 0;
}
