/*
 * spigotd: one process is one router.
 *   spigotd --config FILE [--port IFNAME=SPEC ...] [--control SOCKET] [--quiet]
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli/ctl.h"
#include "config/load.h"
#include "ike/ike.h"
#include "ike/ike_int.h"
#include "router.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: spigotd --config FILE [--port IFNAME=SPEC ...] [--control SOCKET] [--quiet]\n"
		   "  SPEC: udp:LOCAL_PORT:REMOTE_HOST:REMOTE_PORT | packet:IFNAME | tun:IFNAME\n");
}

struct sigctx {
	int fd;
	struct evloop *ev;
};

static void on_sigfd(void *arg, uint32_t events)
{
	struct sigctx *sc = arg;
	struct signalfd_siginfo si;
	(void)events;
	if (read(sc->fd, &si, sizeof(si)) == sizeof(si))
		ev_stop(sc->ev);
}

int main(int argc, char **argv)
{
	const char *config = NULL, *control = NULL;
	char *ports[ROUTER_MAX_IFACES];
	int nports = 0;
	bool quiet = false;
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "control", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "c:p:s:qh", opts, NULL)) != -1) {
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
	if (!cfg)
		fputs(sb_str(&err), stderr);
	sb_free(&err);
	sb_free(&notes);
	if (!cfg)
		return 1;

	/* From here every exit goes through `out`, so a refused start leaks nothing. */
	int rc = 1;
	struct router *r = NULL;
	struct sigctx sc = { -1, NULL };
	struct evloop *ev = ev_new();
	if (!ev) {
		perror("spigotd: epoll");
		config_free(cfg);
		return 1;
	}
	sc.ev = ev;
	r = router_new(ev, cfg);	/* r owns cfg; router_free frees it */
	if (!r) {
		fprintf(stderr, "spigotd: cannot create the router\n");
		goto out;
	}
	r->log.to_stderr = !quiet;
	snprintf(r->config_path, sizeof(r->config_path), "%s", config);
	for (int i = 0; i < nports; i++) {
		char *eq = strchr(ports[i], '=');
		if (!eq) {
			fprintf(stderr, "spigotd: --port %s: expected IFNAME=SPEC\n", ports[i]);
			rc = 2;
			goto out;
		}
		*eq = '\0';
		if (router_bind_port(r, ports[i], eq + 1) < 0) {
			fprintf(stderr, "spigotd: --port %s: no such interface in %s\n", ports[i], config);
			rc = 2;
			goto out;
		}
	}

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sc.fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sc.fd < 0 || ev_add_fd(ev, sc.fd, EPOLLIN, on_sigfd, &sc) < 0) {
		perror("spigotd: signalfd");
		goto out;
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

	if (router_start(r) < 0) {
		fprintf(stderr, "spigotd: cannot start the router (see log above)\n");
		goto out;
	}
	if (control && ctl_start(r, control) < 0) {
		fprintf(stderr, "spigotd: cannot open control socket %s: %s\n", control, strerror(errno));
		goto out;
	}
	log_msg(&r->log, "SYS", SEV_NOTICE, "RESTART", "System restarted -- spigot %s, %s",
		SPIGOT_VERSION, OpenSSL_version(OPENSSL_VERSION));
	ev_run(ev);
	log_msg(&r->log, "SYS", SEV_NOTICE, "SHUTDOWN", "router %s shutting down", r->cfg->hostname);
	rc = 0;
out:
	router_free(r);	/* frees the config it owns */
	if (sc.fd >= 0)
		close(sc.fd);
	ev_free(ev);
	return rc;
}
