/* The systemd protocols spigotd speaks by hand: sd_notify datagrams to a
 * path or abstract socket, JOURNAL_STREAM detection, "<N>" log prefixes. */
#include "t.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "core/sdnotify.h"

/* Binds a datagram socket at name ("/path" or "@abstract") like systemd. */
static int listener(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa,
			    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void check_roundtrip(const char *name)
{
	int fd = listener(name);
	CHECK(fd >= 0);
	setenv("NOTIFY_SOCKET", name, 1);
	CHECK(sdn_notify("READY=1\nSTATUS=up") == 1);
	char buf[64] = { 0 };
	CHECK(recv(fd, buf, sizeof(buf) - 1, 0) == 17);
	CHECK_STR(buf, "READY=1\nSTATUS=up");
	close(fd);
}

TEST(sdnotify_path_and_abstract)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/spigot-notify-%d.sock", (int)getpid());
	unlink(path);
	check_roundtrip(path);
	unlink(path);
	char abs[64];
	snprintf(abs, sizeof(abs), "@spigot-notify-%d", (int)getpid());
	check_roundtrip(abs);
	/* not under systemd: nothing sent, not an error */
	unsetenv("NOTIFY_SOCKET");
	CHECK(sdn_notify("READY=1") == 0);
	/* a malformed variable is an error, not a crash */
	setenv("NOTIFY_SOCKET", "relative", 1);
	CHECK(sdn_notify("READY=1") == -1);
	unsetenv("NOTIFY_SOCKET");
}

TEST(sdnotify_journal_stream_matches_stderr_only)
{
	struct stat st;
	CHECK(fstat(STDERR_FILENO, &st) == 0);
	char v[64];
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
	CHECK(sdn_stderr_is_journal());
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", v, 1);
	CHECK(!sdn_stderr_is_journal());
	unsetenv("JOURNAL_STREAM");
	CHECK(!sdn_stderr_is_journal());
}

/* Journal mode: each line is "<SEV>%FAC-SEV-MNEM: text", no timestamp. */
TEST(log_journal_prefix_is_ios_severity)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/spigot-journal-%d.txt", (int)getpid());
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	CHECK(saved >= 0 && fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	struct logger lg;
	log_init(&lg, 0);
	lg.to_stderr = true;
	lg.journal = true;
	log_msg(&lg, "CRYPTO", SEV_WARNING, "RECVD_PKT_INV_SPI", "decaps: x");
	log_msg(&lg, "SYS", SEV_NOTICE, "CONFIG_I", "y");
	log_debug(&lg, "ISAKMP: z");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	log_free(&lg);
	FILE *f = fopen(path, "r");
	char buf[256] = { 0 };
	CHECK(f && fread(buf, 1, sizeof(buf) - 1, f) > 0);
	if (f)
		fclose(f);
	unlink(path);
	CHECK_STR(buf, "<4>%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: x\n<5>%SYS-5-CONFIG_I: y\n<7>ISAKMP: z\n");
}
