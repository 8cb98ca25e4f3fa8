/*
 * The router's Quick Crash Detection secret file (src/ike/ike2_qcd.c):
 * created 0600 whatever the umask, the same secret read back on the next
 * start, and a file that is group/world readable, of the wrong size, a
 * symbolic link or not a file refused with a reason that says why (and
 * nothing of the secret).  And `crypto ikev2 quick-crash-detection` in
 * running-config.
 */
#include "t.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/load.h"
#include "core/strbuf.h"
#include "ike/ike2_qcd.h"

static char *tmpdir(char *buf, size_t n)
{
	snprintf(buf, n, "/tmp/spigot-qcd-XXXXXX");
	return mkdtemp(buf);
}

static void rm_rf(const char *dir)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "  could not remove %s\n", dir);
}

TEST(ike2_qcd_file_created_0600_whatever_the_umask_and_reused)
{
	char d[64], p[128], why[256] = "";
	uint8_t s1[IKEV2_QCD_SECRET], s2[IKEV2_QCD_SECRET], zero[IKEV2_QCD_SECRET] = { 0 };
	CHECK(tmpdir(d, sizeof(d)) != NULL);
	snprintf(p, sizeof(p), "%s/ikev2-qcd.key", d);
	mode_t old = umask(0);		/* the worst umask: the file must still be 0600 */
	int rc = ike2_qcd_secret_file(p, s1, why, sizeof(why));
	umask(old);
	CHECK(rc == 1);
	struct stat st;
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_size == IKEV2_QCD_SECRET);
	CHECK(memcmp(s1, zero, sizeof(zero)) != 0);
	/* The next start reads the same secret, and creates nothing. */
	CHECK(ike2_qcd_secret_file(p, s2, why, sizeof(why)) == 0);
	CHECK(memcmp(s1, s2, sizeof(s1)) == 0);
	/* No temporary file is left behind. */
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", d);
	CHECK(system(cmd) == 0);
	rm_rf(d);
}

TEST(ike2_qcd_file_refused_when_readable_wrong_size_or_a_link)
{
	char d[64], p[128], l[128], why[256];
	uint8_t s[IKEV2_QCD_SECRET];
	CHECK(tmpdir(d, sizeof(d)) != NULL);
	snprintf(p, sizeof(p), "%s/k", d);
	CHECK(ike2_qcd_secret_file(p, s, why, sizeof(why)) == 1);
	/* Group-readable: refused, and the reason names the mode. */
	CHECK(chmod(p, 0640) == 0);
	why[0] = '\0';
	CHECK(ike2_qcd_secret_file(p, s, why, sizeof(why)) == -1);
	CHECK(strstr(why, "mode 0640") != NULL);
	CHECK(chmod(p, 0604) == 0);
	CHECK(ike2_qcd_secret_file(p, s, why, sizeof(why)) == -1);
	CHECK(chmod(p, 0600) == 0);
	CHECK(ike2_qcd_secret_file(p, s, why, sizeof(why)) == 0);
	/* One byte short, one byte long, empty: refused with the size. */
	CHECK(truncate(p, IKEV2_QCD_SECRET - 1) == 0);
	CHECK(ike2_qcd_secret_file(p, s, why, sizeof(why)) == -1 && strstr(why, "31 bytes, not 32"));
	CHECK(truncate(p, IKEV2_QCD_SECRET + 1) == 0);
	CHECK(ike2_qcd_secret_file(p, s, why, sizeof(why)) == -1 && strstr(why, "33 bytes"));
	CHECK(truncate(p, 0) == 0);
	CHECK(ike2_qcd_secret_file(p, s, why, sizeof(why)) == -1 && strstr(why, "0 bytes"));
	/* A refused file is left alone: never replaced by a new secret. */
	struct stat st;
	CHECK(stat(p, &st) == 0 && st.st_size == 0);
	/* A symbolic link (someone else's file put in our place) and a directory: refused. */
	snprintf(l, sizeof(l), "%s/link", d);
	CHECK(truncate(p, IKEV2_QCD_SECRET) == 0 && symlink(p, l) == 0);
	CHECK(ike2_qcd_secret_file(l, s, why, sizeof(why)) == -1 && strstr(why, "symbolic link"));
	CHECK(ike2_qcd_secret_file(d, s, why, sizeof(why)) == -1 && strstr(why, "not a regular file"));
	/* A directory that does not exist: refused, nothing created. */
	snprintf(l, sizeof(l), "%s/none/k", d);
	CHECK(ike2_qcd_secret_file(l, s, why, sizeof(why)) == -1 && strstr(why, "cannot create"));
	rm_rf(d);
}

static char *render(const char *text)
{
	struct strbuf err, out;
	sb_init(&err);
	sb_init(&out);
	struct config *c = config_load_string(text, "t", &err, NULL);
	if (!c) {
		fprintf(stderr, "  %s\n", sb_str(&err));
		sb_free(&err);
		sb_free(&out);
		return NULL;
	}
	config_render(c, &out);
	config_free(c);
	sb_free(&err);
	char *s = strdup(sb_str(&out));
	sb_free(&out);
	return s;
}

TEST(ike2_qcd_config_round_trip)
{
	/* On by default: nothing in running-config. */
	char *r = render("hostname R\n!\nend\n");
	CHECK(r && !strstr(r, "quick-crash-detection"));
	free(r);
	r = render("hostname R\ncrypto ikev2 quick-crash-detection secret-file /etc/spigot/qcd.key\nend\n");
	CHECK(r && strstr(r, "\ncrypto ikev2 quick-crash-detection secret-file /etc/spigot/qcd.key\n"));
	char *r2 = r ? render(r + strlen("Building configuration...\n\n")) : NULL;
	CHECK(r2 && strstr(r2, "\ncrypto ikev2 quick-crash-detection secret-file /etc/spigot/qcd.key\n"));
	free(r);
	free(r2);
	r = render("hostname R\nno crypto ikev2 quick-crash-detection\nend\n");
	CHECK(r && strstr(r, "\nno crypto ikev2 quick-crash-detection\n"));
	free(r);
	/* Back to the default: the line goes. */
	r = render("hostname R\ncrypto ikev2 quick-crash-detection secret-file x\n"
		   "no crypto ikev2 quick-crash-detection secret-file x\nend\n");
	CHECK(r && !strstr(r, "quick-crash-detection"));
	free(r);
	r = render("hostname R\nno crypto ikev2 quick-crash-detection\ncrypto ikev2 quick-crash-detection\nend\n");
	CHECK(r && !strstr(r, "quick-crash-detection"));
	free(r);
}
