/*
 * The control socket server.  Non-blocking on the router's event loop: each
 * connection is a session with its own struct cli_ctx (mode, object being
 * edited), input line assembly and an output queue.  One command runs at a
 * time per session; an async command (ping) holds the session until
 * cli_async_done(), and lines that arrive meanwhile wait in the input buffer.
 */
#include "cli/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/filter.h"
#include "config/cmdtree.h"
#include "net/fastpath.h"
#include "router.h"

#define CTL_MAX_SESSIONS 32
#define CTL_LINE_MAX 4096
#define CTL_OUT_MAX (16u << 20)	/* a client that never reads is cut off */
#define CTL_HISTORY 20

struct ctl_server {
	struct router *r;
	int fd;
	char path[108];
	struct ctl_session *sessions;
	int nsessions;
	struct log_rl rl_limit;
};

struct ctl_session {
	struct ctl_server *srv;
	struct ctl_session *next;
	int fd;
	struct cli_ctx ctx;
	struct strbuf cmdout;		/* what the running command printed */
	char in[CTL_LINE_MAX + 2];
	size_t inlen;
	struct strbuf wq;		/* protocol bytes not yet written */
	size_t woff;
	bool want_out;
	bool busy;			/* an async command is running */
	bool ending;			/* close once wq is flushed */
	bool dead;
	struct filt filt;
	char *hist[CTL_HISTORY];
	int nhist;
	unsigned term_len;
};

static void session_close(struct ctl_session *s);
static void process_input(struct ctl_session *s);

struct ctl_session *ctl_session_of(struct cli_ctx *ctx) { return ctx ? ctx->session : NULL; }

void ctl_session_set_length(struct ctl_session *s, unsigned lines)
{
	if (s)
		s->term_len = lines;
}

void ctl_session_end(struct ctl_session *s)
{
	if (s)
		s->ending = true;
}

void ctl_session_history(struct ctl_session *s, struct strbuf *out)
{
	if (!s)
		return;
	for (int i = 0; i < s->nhist; i++)
		sb_printf(out, "  %s\n", s->hist[i]);
}

static void history_add(struct ctl_session *s, const char *line)
{
	if (!*line)
		return;
	if (s->nhist == CTL_HISTORY) {
		free(s->hist[0]);
		memmove(&s->hist[0], &s->hist[1], sizeof(s->hist[0]) * (CTL_HISTORY - 1));
		s->nhist--;
	}
	s->hist[s->nhist] = strdup(line);
	if (s->hist[s->nhist])
		s->nhist++;
}

/* ---- output ---- */

static void flush(struct ctl_session *s)
{
	while (s->woff < s->wq.len) {
		ssize_t n = send(s->fd, s->wq.s + s->woff, s->wq.len - s->woff, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			s->dead = true;
			return;
		}
		s->woff += (size_t)n;
	}
	if (s->woff == s->wq.len) {
		sb_reset(&s->wq);
		s->woff = 0;
	}
	bool want = s->wq.len > 0;
	if (want != s->want_out) {
		ev_mod_fd(s->srv->r->ev, s->fd, EPOLLIN | (want ? EPOLLOUT : 0));
		s->want_out = want;
	}
	if (s->wq.len > CTL_OUT_MAX)
		s->dead = true;
}

static void emit_line(void *arg, const char *line, bool eol)
{
	struct ctl_session *s = arg;
	sb_puts(&s->wq, eol ? "| " : "~ ");
	/* one protocol line per output line, whatever the text holds */
	for (const char *p = line; *p;) {
		size_t n = strcspn(p, "\r\n");
		sb_putn(&s->wq, p, n);
		p += n;
		if (*p)
			p++;	/* the CR or LF itself */
	}
	sb_puts(&s->wq, "\n");
}

static void send_status(struct ctl_session *s, int status)
{
	struct strbuf p;
	sb_init(&p);
	s->ctx.cfg = s->srv->r->cfg;
	cmd_prompt(&s->ctx, &p);
	if (s->ending)
		sb_puts(&s->wq, "= X\n");
	else
		sb_printf(&s->wq, "= %d %s\n", status ? 1 : 0, sb_str(&p));
	sb_free(&p);
}

/* The command finished: output through the filter, status, apply config. */
static void finish_command(struct ctl_session *s, int rc)
{
	filt_feed(&s->filt, sb_str(&s->cmdout), emit_line, s);
	sb_reset(&s->cmdout);
	filt_finish(&s->filt, emit_line, s);
	filt_free(&s->filt);
	if (s->ctx.changed) {
		s->ctx.changed = false;
		router_config_changed(s->srv->r);
	}
	send_status(s, rc != 0);
	flush(s);
}

void cli_async_write(struct cli_ctx *ctx, const char *text)
{
	struct ctl_session *s = ctx->session;
	if (!s) {
		sb_puts(ctx->out, text);
		return;
	}
	filt_feed(&s->filt, text, emit_line, s);
	flush(s);
}

void cli_async_done(struct cli_ctx *ctx, int status)
{
	struct ctl_session *s = ctx->session;
	ctx->pending = NULL;
	ctx->cancel = NULL;
	if (!s)
		return;
	s->busy = false;
	finish_command(s, status);
	if (s->dead || (s->ending && s->wq.len == 0)) {
		session_close(s);
		return;
	}
	process_input(s);
}

/* ---- requests ---- */

static bool mode_is_exec_like(const struct ctl_session *s, const char *line)
{
	while (*line == ' ')
		line++;
	return s->ctx.mode == MODE_EXEC || strncmp(line, "do ", 3) == 0;
}

static void do_execute(struct ctl_session *s, char *line, bool interactive, bool json)
{
	struct router *r = s->srv->r;
	history_add(s, line);
	s->ctx.r = r;
	s->ctx.cfg = r->cfg;
	s->ctx.out = &s->cmdout;
	sb_reset(&s->cmdout);
	struct strbuf p;
	sb_init(&p);
	cmd_prompt(&s->ctx, &p);
	s->ctx.caret_indent = interactive ? (int)p.len : 0;
	s->ctx.echo_line = !interactive;
	sb_free(&p);
	filt_free(&s->filt);	/* leaves it empty: no filter */
	if (mode_is_exec_like(s, line) && filt_parse(line, &s->filt, &s->cmdout) < 0) {
		finish_command(s, 1);
		return;
	}
	s->ctx.json = json;
	s->ctx.json_done = false;
	/* Shows see what the data-plane workers counted; whatever the command changes, they see next. */
	fastpath_sync(s->ctx.r);
	int rc = cmd_execute(&s->ctx, line);
	fastpath_dirty(s->ctx.r);
	s->ctx.json = false;
	if (json && rc == CMD_ASYNC && s->ctx.cancel) {
		s->ctx.cancel(s->ctx.pending);
		s->ctx.pending = NULL;
		s->ctx.cancel = NULL;
		rc = 0;
	}
	if (json && rc == 0 && !s->ctx.json_done) {
		/* never hand a script text it would take for JSON */
		sb_reset(&s->cmdout);
		sb_puts(&s->cmdout, "% JSON output is not available for this command\n");
		rc = -1;
	}
	if (rc == CMD_ASYNC) {
		s->busy = true;
		filt_feed(&s->filt, sb_str(&s->cmdout), emit_line, s);
		sb_reset(&s->cmdout);
		flush(s);
		return;
	}
	finish_command(s, rc);
}

static void do_help(struct ctl_session *s, const char *line)
{
	s->ctx.cfg = s->srv->r->cfg;
	s->ctx.r = s->srv->r;
	struct strbuf out;
	sb_init(&out);
	struct strbuf p;
	sb_init(&p);
	cmd_prompt(&s->ctx, &p);
	s->ctx.caret_indent = (int)p.len;
	s->ctx.echo_line = false;
	sb_free(&p);
	cmd_help(&s->ctx, line, &out);
	struct filt none = { .kind = FILT_NONE };
	filt_feed(&none, sb_str(&out), emit_line, s);
	filt_finish(&none, emit_line, s);
	filt_free(&none);
	sb_free(&out);
	send_status(s, 0);
	flush(s);
}

static void do_complete(struct ctl_session *s, const char *line)
{
	s->ctx.cfg = s->srv->r->cfg;
	char *c = cmd_complete(&s->ctx, line);
	if (c) {
		sb_printf(&s->wq, "= C %s\n", c);
		free(c);
	} else {
		send_status(s, 1);
	}
	flush(s);
}

static void handle_line(struct ctl_session *s, char *line)
{
	char type = line[0];
	char *arg = line[0] && line[1] == ' ' ? line + 2 : line + (line[0] ? 1 : 0);
	switch (type) {
	case 'X':
	case 'I':
	case 'J':
		do_execute(s, arg, type == 'I', type == 'J');
		break;
	case 'H':
		do_help(s, arg);
		break;
	case 'C':
		do_complete(s, arg);
		break;
	case 'P':
		send_status(s, 0);
		flush(s);
		break;
	default:
		sb_puts(&s->wq, "| % Bad request\n");
		send_status(s, 1);
		flush(s);
		break;
	}
}

static void process_input(struct ctl_session *s)
{
	while (!s->busy && !s->ending && !s->dead) {
		char *nl = memchr(s->in, '\n', s->inlen);
		if (!nl)
			return;
		*nl = '\0';
		size_t used = (size_t)(nl - s->in) + 1;
		char line[CTL_LINE_MAX + 2];
		memcpy(line, s->in, used);
		memmove(s->in, s->in + used, s->inlen - used);
		s->inlen -= used;
		size_t l = strlen(line);
		if (l && line[l - 1] == '\r')
			line[l - 1] = '\0';
		handle_line(s, line);
	}
}

static void on_session(void *arg, uint32_t events)
{
	struct ctl_session *s = arg;
	if (events & EPOLLOUT)
		flush(s);
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		for (;;) {
			if (s->inlen >= CTL_LINE_MAX + 1) {
				s->dead = true;	/* a line longer than any command */
				break;
			}
			ssize_t n = recv(s->fd, s->in + s->inlen, CTL_LINE_MAX + 1 - s->inlen, 0);
			if (n > 0) {
				s->inlen += (size_t)n;
				if (!s->busy)
					process_input(s);
				continue;
			}
			if (n == 0) {
				s->dead = true;
			} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				s->dead = true;
			}
			break;
		}
	}
	if (s->dead || (s->ending && s->wq.len == 0))
		session_close(s);
}

static void session_close(struct ctl_session *s)
{
	struct ctl_server *srv = s->srv;
	if (s->busy && s->ctx.cancel)
		s->ctx.cancel(s->ctx.pending);
	s->ctx.pending = NULL;
	s->ctx.cancel = NULL;
	for (struct ctl_session **pp = &srv->sessions; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	srv->nsessions--;
	ev_del_fd(srv->r->ev, s->fd);
	close(s->fd);
	sb_free(&s->cmdout);
	sb_free(&s->wq);
	filt_free(&s->filt);
	for (int i = 0; i < s->nhist; i++)
		free(s->hist[i]);
	free(s);
}

static void on_accept(void *arg, uint32_t events)
{
	struct ctl_server *srv = arg;
	(void)events;
	for (;;) {
		int fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (srv->nsessions >= CTL_MAX_SESSIONS) {
			log_msg_rl(&srv->r->log, &srv->rl_limit, ev_now(srv->r->ev), 10000, "SYS",
				   SEV_WARNING, "CTL_LIMIT",
				   "control socket: too many sessions, connection refused");
			close(fd);
			continue;
		}
		struct ctl_session *s = calloc(1, sizeof(*s));
		if (!s) {
			close(fd);
			continue;
		}
		s->srv = srv;
		s->fd = fd;
		sb_init(&s->cmdout);
		sb_init(&s->wq);
		sb_init(&s->filt.partial);
		s->ctx.r = srv->r;
		s->ctx.cfg = srv->r->cfg;
		s->ctx.out = &s->cmdout;
		s->ctx.mode = MODE_EXEC;
		s->ctx.session = s;
		s->ctx.bad_arg = -1;
		s->term_len = 24;
		if (ev_add_fd(srv->r->ev, fd, EPOLLIN, on_session, s) < 0) {
			close(fd);
			free(s);
			continue;
		}
		s->next = srv->sessions;
		srv->sessions = s;
		srv->nsessions++;
	}
}

int ctl_start(struct router *r, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	struct ctl_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -1;
	srv->r = r;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->fd < 0)
		goto fail;
	/* a socket left by a previous run would make bind fail */
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if (bind(srv->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		goto fail;
	/* the socket is the router's console: owner only */
	if (chmod(path, 0600) < 0 || listen(srv->fd, 16) < 0)
		goto fail_unlink;
	if (ev_add_fd(r->ev, srv->fd, EPOLLIN, on_accept, srv) < 0)
		goto fail_unlink;
	r->ctl = srv;
	return 0;
fail_unlink: {
	int e = errno;
	unlink(path);
	errno = e;
}
fail: {
	int e = errno;
	if (srv->fd >= 0)
		close(srv->fd);
	free(srv);
	errno = e;
	return -1;
}
}

void ctl_stop(struct router *r)
{
	struct ctl_server *srv = r->ctl;
	if (!srv)
		return;
	while (srv->sessions)
		session_close(srv->sessions);
	ev_del_fd(r->ev, srv->fd);
	close(srv->fd);
	unlink(srv->path);
	free(srv);
	r->ctl = NULL;
}
