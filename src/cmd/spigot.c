/*
 * spigot: the IOS-style CLI client.
 *   spigot --control SOCKET [COMMAND...]   one command (or several split by ";" words)
 *   spigot --json --control SOCKET show ...  the show as JSON (docs/JSON.md)
 *   spigot --control SOCKET                interactive shell on a TTY; otherwise
 *                                          commands are read from stdin, one per line
 * Outside the interactive shell, a line ending in "?" prints the help for it.
 *   spigot lab ...                         the lab runner (src/cmd/lab.c); its
 *                                          `exec` runs spigot_session() below
 */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/client.h"
#include "cmd/lab.h"

/* The one usage text, for `spigot` and `spigot lab` alike. */
void spigot_usage(FILE *f)
{
	fprintf(f, "usage: spigot [--json] --control SOCKET [COMMAND [; COMMAND]...]\n"
		   "       spigot lab {up|down|status} DIR\n"
		   "       spigot lab exec DIR ROUTER [--json] [COMMAND [; COMMAND]...]\n"
		   "       spigot lab {start|stop|kill} DIR ROUTER\n"
		   "\n"
		   "Without COMMAND: an interactive shell on a terminal, otherwise commands\n"
		   "from standard input, one per line.  Several commands are separated by a\n"
		   "\";\" word (quoted for the shell: show clock \\; show version).\n"
		   "--json: show commands print JSON (docs/JSON.md) instead of IOS text.\n");
}

/* ---- interactive shell ---- */

#define LINE_MAX_LEN 1024
#define HIST_MAX 64
/* how long a one-shot command waits for the next line of its answer */
#define CTL_REPLY_TIMEOUT_S 60

struct term {
	struct termios saved;
	bool raw;
};

static struct term g_term;	/* restored at exit, so it must outlive main's frames */

static void term_restore(void)
{
	if (g_term.raw) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_term.saved);
		g_term.raw = false;
	}
}

static int term_raw(void)
{
	if (tcgetattr(STDIN_FILENO, &g_term.saved) < 0)
		return -1;
	struct termios t = g_term.saved;
	/* keep output processing ("\n" -> "\r\n"); take keys one by one */
	t.c_lflag &= ~(tcflag_t)(ECHO | ICANON | IEXTEN | ISIG);
	t.c_iflag &= ~(tcflag_t)(IXON | ICRNL | INLCR);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0)
		return -1;
	g_term.raw = true;
	atexit(term_restore);
	return 0;
}

struct ed {
	char buf[LINE_MAX_LEN];
	size_t len, pos;
	char *hist[HIST_MAX];
	int nhist, hpos;
};

static void out(const char *s) { fputs(s, stdout); }

static void redraw(const char *prompt, const struct ed *e)
{
	printf("\r%s%.*s\x1b[K", prompt, (int)e->len, e->buf);
	if (e->len > e->pos)
		printf("\x1b[%zuD", e->len - e->pos);
	fflush(stdout);
}

static void ed_set(struct ed *e, const char *s)
{
	snprintf(e->buf, sizeof(e->buf), "%s", s);
	e->len = e->pos = strlen(e->buf);
}

static void hist_add(struct ed *e, const char *s)
{
	if (!*s || (e->nhist && strcmp(e->hist[e->nhist - 1], s) == 0))
		return;
	if (e->nhist == HIST_MAX) {
		free(e->hist[0]);
		memmove(e->hist, e->hist + 1, sizeof(e->hist[0]) * (HIST_MAX - 1));
		e->nhist--;
	}
	char *d = strdup(s);
	if (d)
		e->hist[e->nhist++] = d;
}

static int read_key(void)
{
	unsigned char c;
	for (;;) {
		ssize_t n = read(STDIN_FILENO, &c, 1);
		if (n == 1)
			return c;
		if (n < 0 && errno == EINTR)
			continue;
		return -1;
	}
}

/* Runs a request and prints its output on a fresh line. */
static int run_request(struct ctl_conn *c, char type, const char *line, char *prompt, size_t plen)
{
	int rc = ctl_conn_request(c, type, line, stdout, prompt, plen);
	fflush(stdout);
	return rc;
}

static int interactive(struct ctl_conn *c)
{
	char prompt[256];
	if (ctl_conn_request(c, 'P', "", NULL, prompt, sizeof(prompt)) < 0) {
		fprintf(stderr, "spigot: connection lost\n");
		return 1;
	}
	if (term_raw() < 0) {
		perror("spigot: terminal");
		return 1;
	}
	struct ed e;
	memset(&e, 0, sizeof(e));
	int status = 0;
	for (;;) {
		e.len = e.pos = 0;
		e.hpos = e.nhist;
		redraw(prompt, &e);
		bool submit = false;
		while (!submit) {
			int k = read_key();
			if (k < 0)
				goto done;
			switch (k) {
			case '\r':
			case '\n':
				submit = true;
				break;
			case 0x01: e.pos = 0; break;				/* ^A */
			case 0x05: e.pos = e.len; break;			/* ^E */
			case 0x02: if (e.pos) e.pos--; break;			/* ^B */
			case 0x06: if (e.pos < e.len) e.pos++; break;		/* ^F */
			case 0x7f:
			case 0x08:
				if (e.pos) {
					memmove(e.buf + e.pos - 1, e.buf + e.pos, e.len - e.pos);
					e.pos--;
					e.len--;
				}
				break;
			case 0x04:						/* ^D */
				if (!e.len) {
					out("\r\n");
					goto done;
				}
				if (e.pos < e.len) {
					memmove(e.buf + e.pos, e.buf + e.pos + 1, e.len - e.pos - 1);
					e.len--;
				}
				break;
			case 0x15:						/* ^U */
				memmove(e.buf, e.buf + e.pos, e.len - e.pos);
				e.len -= e.pos;
				e.pos = 0;
				break;
			case 0x0b: e.len = e.pos; break;			/* ^K */
			case 0x17: {						/* ^W */
				size_t p = e.pos;
				while (p && e.buf[p - 1] == ' ')
					p--;
				while (p && e.buf[p - 1] != ' ')
					p--;
				memmove(e.buf + p, e.buf + e.pos, e.len - e.pos);
				e.len -= e.pos - p;
				e.pos = p;
				break;
			}
			case 0x10:						/* ^P */
			case 0x0e: {						/* ^N */
				int d = k == 0x10 ? -1 : 1;
				if (e.hpos + d < 0 || e.hpos + d > e.nhist)
					break;
				e.hpos += d;
				ed_set(&e, e.hpos == e.nhist ? "" : e.hist[e.hpos]);
				break;
			}
			case 0x1b: {						/* arrows */
				int k2 = read_key(), k3 = k2 == '[' ? read_key() : -1;
				if (k3 == 'A' || k3 == 'B') {
					int d = k3 == 'A' ? -1 : 1;
					if (e.hpos + d >= 0 && e.hpos + d <= e.nhist) {
						e.hpos += d;
						ed_set(&e, e.hpos == e.nhist ? "" : e.hist[e.hpos]);
					}
				} else if (k3 == 'C' && e.pos < e.len) {
					e.pos++;
				} else if (k3 == 'D' && e.pos) {
					e.pos--;
				}
				break;
			}
			case 0x03:						/* ^C */
				out("^C\r\n");
				e.len = e.pos = 0;
				break;
			case 0x1a: {						/* ^Z = end */
				out("^Z\r\n");
				int rc = run_request(c, 'I', "end", prompt, sizeof(prompt));
				if (rc < 0 || rc == 2)
					goto done;
				e.len = e.pos = 0;
				break;
			}
			case '\t': {
				char line[LINE_MAX_LEN + 1], reply[LINE_MAX_LEN + 256];
				snprintf(line, sizeof(line), "%.*s", (int)e.pos, e.buf);
				int rc = ctl_conn_request(c, 'C', line, NULL, reply, sizeof(reply));
				if (rc < 0)
					goto done;
				if (rc == 0 && reply[0]) {
					char tail[LINE_MAX_LEN + 1];
					snprintf(tail, sizeof(tail), "%.*s", (int)(e.len - e.pos), e.buf + e.pos);
					size_t rl = strlen(reply);
					size_t tl = strlen(tail);
					if (rl + tl < sizeof(e.buf)) {
						memcpy(e.buf, reply, rl);
						memcpy(e.buf + rl, tail, tl);
						e.len = rl + tl;
						e.pos = rl;
					}
				} else {
					out("\a");
				}
				break;
			}
			case '?': {
				/* IOS does not echo the '?': help, then the line again */
				char line[LINE_MAX_LEN + 1];
				snprintf(line, sizeof(line), "%.*s", (int)e.pos, e.buf);
				out("\r\n");
				char p2[256];
				if (run_request(c, 'H', line, p2, sizeof(p2)) < 0)
					goto done;
				break;
			}
			default:
				if (k >= 0x20 && k < 0x7f && e.len + 1 < sizeof(e.buf)) {
					memmove(e.buf + e.pos + 1, e.buf + e.pos, e.len - e.pos);
					e.buf[e.pos++] = (char)k;
					e.len++;
				}
				break;
			}
			if (!submit)
				redraw(prompt, &e);
		}
		e.buf[e.len] = '\0';
		out("\r\n");
		fflush(stdout);
		hist_add(&e, e.buf);
		int rc = run_request(c, 'I', e.buf, prompt, sizeof(prompt));
		if (rc < 0) {
			fprintf(stderr, "spigot: connection lost\r\n");
			status = 1;
			goto done;
		}
		if (rc == 2)
			goto done;
	}
done:
	term_restore();
	for (int i = 0; i < e.nhist; i++)
		free(e.hist[i]);
	return status;
}

/* --json: commands run with the 'J' request (JSON output). */
static bool json_out;

/* A line ending in '?' asks for help on what precedes it, as at the prompt. */
static int send_line(struct ctl_conn *c, const char *line, char *prompt, size_t plen)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	if (n && line[n - 1] == '?') {
		char *h = strndup(line, n - 1);
		if (!h)
			return -1;
		int rc = ctl_conn_request(c, 'H', h, stdout, prompt, plen);
		free(h);
		return rc;
	}
	return ctl_conn_request(c, json_out ? 'J' : 'X', line, stdout, prompt, plen);
}

/* Commands from a pipe: one session, so `conf t` carries over lines. */
static int from_stdin(struct ctl_conn *c)
{
	char *line = NULL;
	size_t cap = 0;
	int status = 0;
	char prompt[256];
	while (getline(&line, &cap, stdin) >= 0) {
		line[strcspn(line, "\r\n")] = '\0';
		int rc = send_line(c, line, prompt, sizeof(prompt));
		if (rc < 0) {
			fprintf(stderr, "spigot: connection lost\n");
			status = 1;
			break;
		}
		if (rc == 1)
			status = 1;
		if (rc == 2)
			break;
	}
	free(line);
	return status;
}

int spigot_session(const char *sock, int argc, char **argv)
{
	if (argc > 0 && strcmp(argv[0], "--json") == 0) {	/* lab exec DIR R --json show ... */
		json_out = true;
		argc--;
		argv++;
	}
	struct ctl_conn *c = ctl_conn_open(sock);
	if (!c) {
		fprintf(stderr, "spigot: cannot connect to %s: %s\n", sock, strerror(errno));
		return 1;
	}
	/* a script's command gets an answer or an error, never a hang */
	if (argc > 0 || !isatty(STDIN_FILENO))
		ctl_conn_set_timeout(c, CTL_REPLY_TIMEOUT_S);
	int status = 0;
	if (argc > 0) {
		/* words up to each ";" form one command line */
		char line[LINE_MAX_LEN * 4];
		int i = 0;
		while (i < argc && status == 0) {
			line[0] = '\0';
			size_t len = 0;
			for (; i < argc && strcmp(argv[i], ";") != 0; i++) {
				int n = snprintf(line + len, sizeof(line) - len, "%s%s", len ? " " : "", argv[i]);
				if (n < 0 || (size_t)n >= sizeof(line) - len) {
					fprintf(stderr, "spigot: command too long\n");
					ctl_conn_close(c);
					return 2;
				}
				len += (size_t)n;
			}
			i++;	/* the ";" */
			char prompt[256];
			int rc = send_line(c, line, prompt, sizeof(prompt));
			if (rc < 0 && ctl_conn_timed_out(c)) {
				fprintf(stderr, "spigot: no answer from %s within %d s\n", sock,
					CTL_REPLY_TIMEOUT_S);
				status = 1;
			} else if (rc < 0) {
				fprintf(stderr, "spigot: connection to %s lost\n", sock);
				status = 1;
			} else if (rc == 1) {
				status = 1;
			} else if (rc == 2) {
				break;
			}
		}
	} else if (isatty(STDIN_FILENO)) {
		status = interactive(c);
	} else {
		status = from_stdin(c);
	}
	ctl_conn_close(c);
	return status;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "lab") == 0)
		return lab_main(argc - 1, argv + 1);
	const char *sock = getenv("SPIGOT_CONTROL");
	int i = 1;
	for (; i < argc; i++) {
		if ((strcmp(argv[i], "--control") == 0 || strcmp(argv[i], "-s") == 0) && i + 1 < argc) {
			sock = argv[++i];
		} else if (strncmp(argv[i], "--control=", 10) == 0) {
			sock = argv[i] + 10;
		} else if (strcmp(argv[i], "--json") == 0) {
			json_out = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			spigot_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			break;
		}
	}
	if (!sock) {
		spigot_usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	return spigot_session(sock, argc - i, argv + i);
}
