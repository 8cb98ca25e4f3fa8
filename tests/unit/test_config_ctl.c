/* The control socket server in-process: sessions with their own modes,
 * server-side filters, async streaming (as ping uses it), cancel on hangup. */
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/ctl.h"
#include "config/cmdtree.h"
#include "config/load.h"
#include "router.h"

/* A test-only async exec command: N lines, one per loop timer tick. */
struct streamer {
	struct ev_timer t;
	struct cli_ctx *ctx;
	int left;
	bool *cancelled;
};

static bool g_cancelled;

static void stream_tick(void *arg)
{
	struct streamer *s = arg;
	char line[32];
	snprintf(line, sizeof(line), s->left > 1 ? "!" : "!\n");
	cli_async_write(s->ctx, line);
	if (--s->left == 0) {
		struct cli_ctx *ctx = s->ctx;
		free(s);
		cli_async_done(ctx, 0);
		return;
	}
	ev_timer_arm(s->ctx->r->ev, &s->t, 1);
}

static void stream_cancel(void *p)
{
	struct streamer *s = p;
	ev_timer_cancel(s->ctx->r->ev, &s->t);
	*s->cancelled = true;
	free(s);
}

static int stream_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct streamer *s = calloc(1, sizeof(*s));
	s->ctx = ctx;
	s->left = atoi(a->argv[1]);
	s->cancelled = &g_cancelled;
	ev_timer_init(&s->t, stream_tick, s);
	ev_timer_arm(ctx->r->ev, &s->t, 1);
	sb_puts(ctx->out, "Type escape sequence to abort.\n");
	ctx->pending = s;
	ctx->cancel = stream_cancel;
	return CMD_ASYNC;
}

static const struct cmd_def t_async[] = {
	{ MODE_EXEC, "zz-test-stream <1-50>", NULL, stream_fn, NULL },
};
CMD_REGISTER(t_async)

struct rig {
	struct evloop *ev;
	struct router *r;
	char dir[64], sock[96];
};

static bool rig_up(struct rig *g)
{
	snprintf(g->dir, sizeof(g->dir), "/tmp/spigot-ctl.XXXXXX");
	if (!mkdtemp(g->dir))
		return false;
	snprintf(g->sock, sizeof(g->sock), "%s/r.sock", g->dir);
	g->ev = ev_new();
	struct strbuf err;
	sb_init(&err);
	struct config *c = config_load_string("hostname rt\ninterface FastEthernet0/0\n ip address 10.1.1.1 255.0.0.0\n",
					      "t", &err, NULL);
	sb_free(&err);
	g->r = c ? router_new(g->ev, c) : NULL;
	return g->r && ctl_start(g->r, g->sock) == 0;
}

static void rig_down(struct rig *g)
{
	router_free(g->r);
	ev_free(g->ev);
	rmdir(g->dir);
}

static int connect_to(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static int status_lines(const char *s)
{
	int n = !strncmp(s, "= ", 2);
	for (const char *p = s; (p = strstr(p, "\n= ")); p++)
		if (strchr(p + 1, '\n'))
			n++;
	return n;
}

/* Sends a request and runs the loop until `want` status lines came back. */
static char *request_n(struct rig *g, int fd, const char *req, int want)
{
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req) || write(fd, "\n", 1) != 1)
		return NULL;
	struct strbuf in;
	sb_init(&in);
	for (int i = 0; i < 2000; i++) {
		ev_run_once(g->ev, 5);
		char buf[4096];
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			sb_putn(&in, buf, (size_t)n);
		if (status_lines(sb_str(&in)) >= want)
			return sb_take(&in);
	}
	sb_free(&in);
	return NULL;
}

static char *request(struct rig *g, int fd, const char *req) { return request_n(g, fd, req, 1); }

TEST(config_ctl_sessions_filters_and_modes)
{
	struct rig g;
	CHECK(rig_up(&g));
	if (!g.r)
		return;
	struct stat st;
	CHECK(stat(g.sock, &st) == 0 && (st.st_mode & 0777) == 0600);
	int a = connect_to(g.sock), b = connect_to(g.sock);
	CHECK(a >= 0 && b >= 0);
	char *r;
	r = request(&g, a, "P");
	CHECK(r && strcmp(r, "= 0 rt#\n") == 0);
	free(r);
	r = request(&g, a, "X conf t");
	CHECK(r && strcmp(r, "| Enter configuration commands, one per line.  End with CNTL/Z.\n= 0 rt(config)#\n") == 0);
	free(r);
	/* the other session is still in exec mode */
	r = request(&g, b, "P");
	CHECK(r && strcmp(r, "= 0 rt#\n") == 0);
	free(r);
	/* a config change applies to the live router */
	r = request(&g, a, "X hostname edge");
	CHECK(r && strcmp(r, "= 0 edge(config)#\n") == 0);
	free(r);
	CHECK(strcmp(g.r->cfg->hostname, "edge") == 0 && strcmp(g.r->log.tag, "edge") == 0);
	r = request(&g, a, "X interface fa0/0");
	free(r);
	r = request(&g, a, "X shutdown");
	free(r);
	CHECK(!router_iface(g.r, "FastEthernet0/0")->admin_up);	/* router_config_changed ran */
	/* filters run on the server */
	r = request(&g, b, "X show running-config | include ^(hostname|interface)");
	CHECK(r && strcmp(r, "| hostname edge\n| interface FastEthernet0/0\n= 0 edge#\n") == 0);
	free(r);
	r = request(&g, b, "X show running-config | exclude ^ |^!|^[BCe]");
	CHECK(r && strcmp(r, "| \n| hostname edge\n| interface FastEthernet0/0\n= 0 edge#\n") == 0);
	free(r);
	r = request(&g, b, "X show running-config | begin ^interface");
	CHECK(r && strncmp(r, "| interface FastEthernet0/0\n|  ip address", 40) == 0);
	free(r);
	r = request(&g, b, "X show running-config | count ^ ");
	CHECK(r && strcmp(r, "| Number of lines which match regexp = 2\n= 0 edge#\n") == 0);
	free(r);
	r = request(&g, b, "X show running-config | include (");
	CHECK(r && strstr(r, "% Invalid regular expression") && strstr(r, "= 1 edge#\n"));
	free(r);
	/* help and completion */
	r = request(&g, b, "H show run");
	CHECK(r && strcmp(r, "| running-config\n| \n= 0 edge#\n") == 0);
	free(r);
	r = request(&g, b, "C sh");
	CHECK(r && strcmp(r, "= C show \n") == 0);
	free(r);
	/* interactive requests put the caret under prompt+line */
	r = request(&g, b, "I show bogus");
	CHECK(r && strcmp(r, "|           ^\n| % Invalid input detected at '^' marker.\n| \n= 1 edge#\n") == 0);
	free(r);
	r = request(&g, b, "X show history");
	CHECK(r && strstr(r, "|   show running-config | include ^(hostname|interface)\n") &&
	      strstr(r, "|   show history\n"));
	free(r);
	r = request(&g, b, "X exit");
	CHECK(r && strcmp(r, "= X\n") == 0);
	free(r);
	close(a);
	close(b);
	rig_down(&g);
}

TEST(config_ctl_async_streams_and_cancels)
{
	struct rig g;
	CHECK(rig_up(&g));
	if (!g.r)
		return;
	int a = connect_to(g.sock);
	char *r = request(&g, a, "X zz-test-stream 5");
	CHECK(r && strcmp(r, "| Type escape sequence to abort.\n~ !\n~ !\n~ !\n~ !\n| !\n= 0 rt#\n") == 0);
	free(r);
	/* a line sent while the command runs waits for it */
	CHECK(write(a, "X zz-test-stream 3\nX show clock\n", 32) == 32);
	r = request_n(&g, a, "P", 3);
	CHECK(r && strstr(r, "| !\n= 0 rt#\n| *") && strstr(r, "\n= 0 rt#\n= 0 rt#\n"));
	free(r);
	/* hanging up mid-command cancels it */
	g_cancelled = false;
	CHECK(write(a, "X zz-test-stream 50\n", 20) == 20);
	for (int i = 0; i < 5; i++)
		ev_run_once(g.ev, 5);
	close(a);
	for (int i = 0; i < 20 && !g_cancelled; i++)
		ev_run_once(g.ev, 5);
	CHECK(g_cancelled);
	rig_down(&g);
}
