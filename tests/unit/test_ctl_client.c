/*
 * The CLI client's side of the control protocol, against a scripted server:
 * the replies are written before the request so the test needs no thread.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/client.h"
#include "t.h"

static int listen_unix(char *path, size_t n)
{
	snprintf(path, n, "/tmp/spigot-t-client-%d.sock", (int)getpid());
	unlink(path);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 1) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

TEST(ctl_client_bare_status_line_has_no_prompt)
{
	char path[108];
	int lfd = listen_unix(path, sizeof(path));
	CHECK(lfd >= 0);
	if (lfd < 0)
		return;
	struct ctl_conn *c = ctl_conn_open(path);
	int sfd = accept(lfd, NULL, NULL);
	CHECK(c != NULL && sfd >= 0);
	if (c && sfd >= 0) {
		/* An output line first leaves "X 1 junk" where a status would be read. */
		static const char script[] = "| X 1 junk\n=\n";
		CHECK(write(sfd, script, sizeof(script) - 1) == (ssize_t)(sizeof(script) - 1));
		char reply[64] = "unset";
		int rc = ctl_conn_request(c, 'X', "show version", NULL, reply, sizeof(reply));
		CHECK(rc == 1);		/* no status character: not a success */
		CHECK_STR(reply, "");
	}
	if (sfd >= 0)
		close(sfd);
	ctl_conn_close(c);
	close(lfd);
	unlink(path);
}
