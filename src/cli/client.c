#include "cli/client.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

struct ctl_conn {
	int fd;
	bool timed_out;	/* the last request found the daemon silent too long */
	char buf[8192];
	size_t len;
};

struct ctl_conn *ctl_conn_open(const char *sock_path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(sock_path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	struct ctl_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	return c;
}

/*
 * A one-shot command (scripts, monitoring, tests) must not hang on a wedged
 * daemon: a reply line that takes longer than `seconds` ends the request as
 * a broken connection, and ctl_conn_timed_out() says why.
 */
int ctl_conn_set_timeout(struct ctl_conn *c, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };
	return setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

bool ctl_conn_timed_out(const struct ctl_conn *c)
{
	return c->timed_out;
}

void ctl_conn_close(struct ctl_conn *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

/* One protocol line into line (truncated to n); false at EOF or error. */
static bool read_line(struct ctl_conn *c, char *line, size_t n)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			size_t l = (size_t)(nl - c->buf);
			size_t k = l < n - 1 ? l : n - 1;
			memcpy(line, c->buf, k);
			line[k] = '\0';
			memmove(c->buf, nl + 1, c->len - l - 1);
			c->len -= l + 1;
			return true;
		}
		if (c->len == sizeof(c->buf)) {
			/* an over-long line: hand out what we have */
			size_t k = c->len < n - 1 ? c->len : n - 1;
			memcpy(line, c->buf, k);
			line[k] = '\0';
			c->len = 0;
			return true;
		}
		ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			c->timed_out = true;
		if (r <= 0)
			return false;
		c->len += (size_t)r;
	}
}

static bool write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

int ctl_conn_request(struct ctl_conn *c, char type, const char *line, FILE *out, char *reply,
		     size_t reply_len)
{
	char hdr[2] = { type, ' ' };
	size_t ll = line ? strcspn(line, "\r\n") : 0;
	if (!write_all(c->fd, hdr, 2) || (ll && !write_all(c->fd, line, ll)) || !write_all(c->fd, "\n", 1))
		return -1;
	if (reply && reply_len)
		reply[0] = '\0';
	char buf[8192];
	bool partial = false;
	while (read_line(c, buf, sizeof(buf))) {
		if (buf[0] == '|' || buf[0] == '~') {
			const char *t = buf[1] == ' ' ? buf + 2 : buf + 1;
			if (out) {
				fputs(t, out);
				if (buf[0] == '|')
					fputc('\n', out);
				else
					fflush(out);
			}
			partial = buf[0] == '~';
			continue;
		}
		if (buf[0] != '=')
			continue;
		if (partial && out)
			fputc('\n', out);
		if (out)
			fflush(out);
		char st = buf[1] == ' ' ? buf[2] : 0;
		/* st set means buf holds at least "= S", so buf[3] is in the string. */
		const char *rest = st && buf[3] == ' ' ? buf + 4 : "";
		if (reply && reply_len)
			snprintf(reply, reply_len, "%s", rest);
		if (st == 'X')
			return 2;
		if (st == 'C')
			return 0;
		return st == '0' ? 0 : 1;
	}
	return -1;
}
