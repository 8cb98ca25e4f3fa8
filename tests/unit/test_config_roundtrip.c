/*
 * load, render, load, render is byte-identical (issue 9 finding 8).  Every
 * file in tests/unit/data/roundtrip/ is a case: drop a fuzz_config finding
 * there and it stays fixed.
 */
#include "t.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "config/load.h"

static bool stable(const char *text, const char *name)
{
	struct strbuf err, r1, r2;
	sb_init(&err);
	sb_init(&r1);
	sb_init(&r2);
	bool ok = true;
	struct config *c = config_load_string(text, name, &err, NULL);
	if (c) {
		config_render(c, &r1);
		struct config *c2 = config_load_string(sb_str(&r1), "r1", &err, NULL);
		ok = c2 != NULL;
		if (c2) {
			config_render(c2, &r2);
			ok = strcmp(sb_str(&r1), sb_str(&r2)) == 0;
			config_free(c2);
		}
		config_free(c);
	}
	if (!ok)
		fprintf(stderr, "  %s: round trip not stable\n", name);
	sb_free(&err);
	sb_free(&r1);
	sb_free(&r2);
	return ok;
}

/* An indented line after an indented "exit" belongs to no block. */
TEST(config_roundtrip_orphan_lines_after_exit_stay_put)
{
	CHECK(stable("interface Serial3/1\n no foo bar\n exit\n no ip mroute-cache\n shutdown\n", "exit"));
	CHECK(stable("crypto map m 10 ipsec-isakmp\n exit\n set peer 10.1.1.1\n", "cmap-exit"));
	CHECK(stable("interface Serial3/1\n exit\n zzz\nhostname h\n", "then-top"));
}

TEST(config_roundtrip_corpus)
{
	char dir[512];
	const char *top = getenv("TOP");
	snprintf(dir, sizeof(dir), "%s/tests/unit/data/roundtrip", top ? top : ".");
	DIR *d = opendir(dir);
	CHECK(d != NULL);
	if (!d)
		return;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		struct strbuf sb;
		sb_init(&sb);
		char buf[4096];
		size_t k;
		while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
			sb_putn(&sb, buf, k);
		fclose(f);
		CHECK(stable(sb_str(&sb), de->d_name));
		sb_free(&sb);
		n++;
	}
	closedir(d);
	CHECK(n >= 1);
}
