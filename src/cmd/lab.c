/*
 * The lab runner: a directory with a lab file and router configs becomes a
 * set of spigotd processes on loopback, linked by udp ports.
 *
 *   spigot lab up DIR            start every router (no root needed)
 *   spigot lab down DIR          stop them
 *   spigot lab status DIR        what runs, where
 *   spigot lab exec DIR NAME [COMMAND...]  as spigot --control on NAME's socket
 *   spigot lab start|stop|kill DIR NAME   one router (kill = SIGKILL, a "reboot")
 *
 * DIR/lab.conf:
 *   router NAME CONFIG                     (CONFIG relative to DIR)
 *   link NAME:IFNAME NAME:IFNAME           (an emulated point-to-point cable)
 *   stub NAME:IFNAME                       (a LAN with nobody else on it)
 *   baseport N                             (first UDP port; default 47000)
 * Runtime state goes to DIR/run/: NAME.sock, NAME.pid, NAME.log, NAME.ports,
 * and NAME.state/ (the router's --state-dir, e.g. its IKEv2 QCD secret).
 */
#include "cmd/lab.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


#define LAB_MAX_ROUTERS 16
#define LAB_MAX_PORTS 16

struct lab_port {
	char ifname[64];
	char spec[128];
};

struct lab_router {
	char name[32];
	char config[PATH_MAX];
	struct lab_port ports[LAB_MAX_PORTS];
	int nports;
};

struct lab {
	char dir[PATH_MAX];
	char run[PATH_MAX];
	struct lab_router routers[LAB_MAX_ROUTERS];
	int nrouters;
	int baseport;
	int nextport;
};

static struct lab_router *find_router(struct lab *lab, const char *name)
{
	for (int i = 0; i < lab->nrouters; i++)
		if (strcmp(lab->routers[i].name, name) == 0)
			return &lab->routers[i];
	return NULL;
}

/* "A:FastEthernet0/0" -> router and interface, with an error naming the line. */
static bool split_end(struct lab *lab, char *s, struct lab_router **rt, char **ifname,
		      const char *file, int lineno)
{
	char *colon = strchr(s, ':');
	if (!colon) {
		fprintf(stderr, "%s:%d: expected ROUTER:INTERFACE, got \"%s\"\n", file, lineno, s);
		return false;
	}
	*colon = '\0';
	*rt = find_router(lab, s);
	if (!*rt) {
		fprintf(stderr, "%s:%d: no router \"%s\" declared before this line\n", file, lineno, s);
		return false;
	}
	if ((*rt)->nports >= LAB_MAX_PORTS) {
		fprintf(stderr, "%s:%d: too many ports on %s\n", file, lineno, s);
		return false;
	}
	*ifname = colon + 1;
	return true;
}

static void add_port(struct lab_router *rt, const char *ifname, int local, int remote)
{
	struct lab_port *p = &rt->ports[rt->nports++];
	snprintf(p->ifname, sizeof(p->ifname), "%s", ifname);
	snprintf(p->spec, sizeof(p->spec), "udp:%d:127.0.0.1:%d", local, remote);
}

static int lab_load(struct lab *lab, const char *dir)
{
	memset(lab, 0, sizeof(*lab));
	if (!realpath(dir, lab->dir)) {
		fprintf(stderr, "spigot lab: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	snprintf(lab->run, sizeof(lab->run), "%s/run", lab->dir);
	char file[PATH_MAX + 16];
	snprintf(file, sizeof(file), "%s/lab.conf", lab->dir);
	FILE *f = fopen(file, "r");
	if (!f) {
		fprintf(stderr, "spigot lab: %s: %s\n", file, strerror(errno));
		return -1;
	}
	lab->baseport = lab->nextport = 47000;
	char line[1024];
	int lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *w[4] = { 0 };
		int n = 0;
		for (char *tok = strtok(line, " \t\r\n"); tok && n < 4; tok = strtok(NULL, " \t\r\n"))
			w[n++] = tok;
		if (n == 0)
			continue;
		/* Each cable takes two ports, in file order, from baseport up. */
		bool ports_started = lab->nextport != lab->baseport;
		if (strcmp(w[0], "baseport") == 0 && n == 2 && !ports_started) {
			lab->baseport = lab->nextport = atoi(w[1]);
			if (lab->baseport < 1024 || lab->baseport > 65000)
				goto bad;
		} else if (strcmp(w[0], "router") == 0 && n == 3) {
			if (lab->nrouters >= LAB_MAX_ROUTERS || find_router(lab, w[1]) ||
			    strlen(w[1]) >= sizeof(lab->routers[0].name))
				goto bad;
			struct lab_router *rt = &lab->routers[lab->nrouters++];
			snprintf(rt->name, sizeof(rt->name), "%s", w[1]);
			char cfgpath[2 * PATH_MAX];
			if (w[2][0] == '/')
				snprintf(cfgpath, sizeof(cfgpath), "%s", w[2]);
			else
				snprintf(cfgpath, sizeof(cfgpath), "%s/%s", lab->dir, w[2]);
			snprintf(rt->config, sizeof(rt->config), "%s", cfgpath);
		} else if (strcmp(w[0], "link") == 0 && n == 3) {
			struct lab_router *a, *b;
			char *ia, *ib;
			if (!split_end(lab, w[1], &a, &ia, file, lineno) ||
			    !split_end(lab, w[2], &b, &ib, file, lineno))
				goto fail;
			int pa = lab->nextport++, pb = lab->nextport++;
			add_port(a, ia, pa, pb);
			add_port(b, ib, pb, pa);
		} else if (strcmp(w[0], "stub") == 0 && n == 2) {
			struct lab_router *a;
			char *ia;
			if (!split_end(lab, w[1], &a, &ia, file, lineno))
				goto fail;
			/* Nothing listens on the far port: a LAN where no host answers. */
			int pa = lab->nextport++, pb = lab->nextport++;
			add_port(a, ia, pa, pb);
		} else {
			goto bad;
		}
	}
	fclose(f);
	if (lab->nrouters == 0) {
		fprintf(stderr, "%s: no routers\n", file);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "%s:%d: cannot parse this line\n", file, lineno);
fail:
	fclose(f);
	return -1;
}

static void run_path(const struct lab *lab, const char *name, const char *ext, char *out, size_t n)
{
	snprintf(out, n, "%s/%s.%s", lab->run, name, ext);
}

static pid_t read_pid(const struct lab *lab, const char *name)
{
	char path[PATH_MAX + 64];
	run_path(lab, name, "pid", path, sizeof(path));
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	long pid = 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 0 || kill((pid_t)pid, 0) < 0)
		return 0;
	return (pid_t)pid;
}

/* spigotd beside this spigot binary, unless $SPIGOTD says otherwise. */
static void spigotd_path(char *out, size_t n)
{
	const char *env = getenv("SPIGOTD");
	if (env && *env) {
		snprintf(out, n, "%s", env);
		return;
	}
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0) {
		snprintf(out, n, "spigotd");
		return;
	}
	self[len] = '\0';
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(out, n, "%s/spigotd", self);
	/* Installed: spigot in PREFIX/bin, spigotd in PREFIX/sbin. */
	if (access(out, X_OK) != 0)
		snprintf(out, n, "%s/../sbin/spigotd", self);
}

static int start_router(struct lab *lab, struct lab_router *rt)
{
	if (read_pid(lab, rt->name)) {
		printf("%s: already running\n", rt->name);
		return 0;
	}
	char sock[PATH_MAX + 64], pidf[PATH_MAX + 64], logf[PATH_MAX + 64], state[PATH_MAX + 64], daemon[PATH_MAX];
	run_path(lab, rt->name, "sock", sock, sizeof(sock));
	run_path(lab, rt->name, "pid", pidf, sizeof(pidf));
	run_path(lab, rt->name, "log", logf, sizeof(logf));
	run_path(lab, rt->name, "state", state, sizeof(state));
	spigotd_path(daemon, sizeof(daemon));
	unlink(sock);
	/* Each router's own state directory (its IKEv2 QCD secret), kept across
	 * `lab stop/start/kill`, so a restarted router still has the secret. */
	if (mkdir(state, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "spigot lab: %s: %s\n", state, strerror(errno));
		return -1;
	}

	char *argv[10 + 2 * LAB_MAX_PORTS];
	char portargs[LAB_MAX_PORTS][256];
	int ac = 0;
	argv[ac++] = daemon;
	/* The lab's NAME.log is its record of every line (demo.sh and the lab
	 * tests read it), whatever the config's `logging console` says. */
	argv[ac++] = "--debug-log";
	argv[ac++] = "--config";
	argv[ac++] = rt->config;
	argv[ac++] = "--control";
	argv[ac++] = sock;
	argv[ac++] = "--state-dir";
	argv[ac++] = state;
	for (int i = 0; i < rt->nports; i++) {
		snprintf(portargs[i], sizeof(portargs[i]), "%s=%s", rt->ports[i].ifname, rt->ports[i].spec);
		argv[ac++] = "--port";
		argv[ac++] = portargs[i];
	}
	argv[ac] = NULL;

	pid_t pid = fork();
	if (pid < 0) {
		perror("spigot lab: fork");
		return -1;
	}
	if (pid == 0) {
		setsid();
		int fd = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int null = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (null >= 0)
			dup2(null, 0);
		execv(daemon, argv);
		fprintf(stderr, "exec %s: %s\n", daemon, strerror(errno));
		_exit(127);
	}
	FILE *f = fopen(pidf, "w");
	if (f) {
		fprintf(f, "%ld\n", (long)pid);
		fclose(f);
	}
	/* Ready when the control socket exists; give up after 10 s. */
	for (int i = 0; i < 200; i++) {
		struct stat st;
		if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode)) {
			printf("%s: started (pid %ld, control %s)\n", rt->name, (long)pid, sock);
			return 0;
		}
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "%s: spigotd exited at start; its log (%s):\n", rt->name, logf);
			char cmd[PATH_MAX + 32];
			snprintf(cmd, sizeof(cmd), "tail -20 '%s' >&2", logf);
			if (system(cmd) < 0)
				perror("tail");
			unlink(pidf);
			return -1;
		}
		struct timespec ts = { 0, 50 * 1000000 };
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "%s: no control socket after 10 s (log: %s)\n", rt->name, logf);
	return -1;
}

static int stop_router(struct lab *lab, struct lab_router *rt, int sig)
{
	pid_t pid = read_pid(lab, rt->name);
	char pidf[PATH_MAX + 64], sock[PATH_MAX + 64];
	run_path(lab, rt->name, "pid", pidf, sizeof(pidf));
	run_path(lab, rt->name, "sock", sock, sizeof(sock));
	if (!pid) {
		printf("%s: not running\n", rt->name);
		unlink(pidf);
		return 0;
	}
	kill(pid, sig);
	for (int i = 0; i < 100 && kill(pid, 0) == 0; i++) {
		waitpid(pid, NULL, WNOHANG);
		struct timespec ts = { 0, 50 * 1000000 };
		nanosleep(&ts, NULL);
	}
	if (kill(pid, 0) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, WNOHANG);
	}
	unlink(pidf);
	unlink(sock);
	printf("%s: %s\n", rt->name, sig == SIGKILL ? "killed" : "stopped");
	return 0;
}

static int usage(void)
{
	spigot_usage(stderr);
	return 2;
}

int lab_main(int argc, char **argv)
{
	/* argv: lab VERB DIR [ROUTER [COMMAND...]] (spigot's own argv[0] dropped) */
	if (argc < 3)
		return usage();
	const char *verb = argv[1];
	struct lab lab;
	if (lab_load(&lab, argv[2]) < 0)
		return 1;
	mkdir(lab.run, 0700);

	if (strcmp(verb, "up") == 0 && argc == 3) {
		for (int i = 0; i < lab.nrouters; i++)
			if (start_router(&lab, &lab.routers[i]) < 0)
				return 1;
		return 0;
	}
	if (strcmp(verb, "down") == 0 && argc == 3) {
		for (int i = 0; i < lab.nrouters; i++)
			stop_router(&lab, &lab.routers[i], SIGTERM);
		return 0;
	}
	if (strcmp(verb, "status") == 0 && argc == 3) {
		int down = 0;
		for (int i = 0; i < lab.nrouters; i++) {
			struct lab_router *rt = &lab.routers[i];
			pid_t pid = read_pid(&lab, rt->name);
			char sock[PATH_MAX + 64];
			run_path(&lab, rt->name, "sock", sock, sizeof(sock));
			if (pid)
				printf("%-8s running  pid %-8ld control %s\n", rt->name, (long)pid, sock);
			else
				printf("%-8s stopped\n", rt->name), down++;
			for (int j = 0; j < rt->nports; j++)
				printf("           %-20s %s\n", rt->ports[j].ifname, rt->ports[j].spec);
		}
		return down ? 3 : 0;
	}
	if (argc < 4)
		return usage();
	struct lab_router *rt = find_router(&lab, argv[3]);
	if (!rt) {
		fprintf(stderr, "spigot lab: no router %s in %s/lab.conf\n", argv[3], lab.dir);
		return 1;
	}
	if (strcmp(verb, "start") == 0 && argc == 4)
		return start_router(&lab, rt) < 0;
	if (strcmp(verb, "stop") == 0 && argc == 4)
		return stop_router(&lab, rt, SIGTERM);
	if (strcmp(verb, "kill") == 0 && argc == 4)
		return stop_router(&lab, rt, SIGKILL);
	if (strcmp(verb, "exec") == 0) {
		if (!read_pid(&lab, rt->name)) {
			fprintf(stderr, "spigot lab: %s is not running (spigot lab up %s)\n", rt->name, argv[2]);
			return 1;
		}
		char sock[PATH_MAX + 64];
		run_path(&lab, rt->name, "sock", sock, sizeof(sock));
		signal(SIGPIPE, SIG_IGN);
		return spigot_session(sock, argc - 4, argv + 4);
	}
	return usage();
}
