/*
 * `crypto ikev2 fragmentation [mtu <68-1500>]`: IOS's range and default,
 * `no` turns it off, running-config prints what reads back.
 */
#include "t.h"

#include <stdlib.h>

#include "config/cfg_int.h"
#include "config/cmdtree.h"
#include "config/load.h"

static int run(struct config *c, const char *line, struct strbuf *out)
{
	struct cli_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = c;
	ctx.out = out;
	ctx.mode = MODE_CONFIG;
	return cmd_execute(&ctx, line);
}

static char *body(const struct config *c)
{
	struct strbuf sb;
	sb_init(&sb);
	cfg_render_body(c, &sb);
	return sb_take(&sb);
}

TEST(ikev2_frag_conf_range_default_no_and_round_trip)
{
	static const struct {
		const char *line;
		int ok;
		uint16_t mtu;
		const char *shown;	/* in running-config, NULL: no line */
	} rows[] = {
		{ "crypto ikev2 fragmentation", 1, 576, "crypto ikev2 fragmentation\n" },
		{ "crypto ikev2 fragmentation mtu 1000", 1, 1000, "crypto ikev2 fragmentation mtu 1000\n" },
		{ "crypto ikev2 fragmentation mtu 68", 1, 68, "crypto ikev2 fragmentation mtu 68\n" },
		{ "crypto ikev2 fragmentation mtu 67", 0, 0, NULL },
		{ "crypto ikev2 fragmentation mtu 1501", 0, 0, NULL },
		{ "crypto ikev2 fragmentation mtu", 0, 0, NULL },
		{ "no crypto ikev2 fragmentation", 1, 0, NULL },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct config *c = config_new_empty();
		struct strbuf out, err;
		sb_init(&out);
		sb_init(&err);
		if (i == 6)
			CHECK(run(c, "crypto ikev2 fragmentation mtu 900", &out) == 0);
		int rc = run(c, rows[i].line, &out);
		CHECK((rc == 0) == (rows[i].ok == 1));
		if (!rows[i].ok)
			CHECK(strstr(sb_str(&out), "% ") != NULL);	/* an IOS error, nothing applied */
		CHECK(c->v2_frag_mtu == rows[i].mtu);
		char *r = body(c);
		CHECK(rows[i].shown ? strstr(r, rows[i].shown) != NULL : strstr(r, "fragmentation") == NULL);
		/* Loaded back it is the same; and rendered again, the same text. */
		struct config *c2 = config_load_string(r, "t.cfg", &err, NULL);
		CHECK(c2 && c2->v2_frag_mtu == rows[i].mtu);
		if (c2) {
			char *r2 = body(c2);
			struct config *c3 = config_load_string(r2, "t.cfg", &err, NULL);
			CHECK(c3 != NULL);
			if (c3) {
				char *r3 = body(c3);
				CHECK_STR(r2, r3);
				free(r3);
				config_free(c3);
			}
			free(r2);
			config_free(c2);
		}
		free(r);
		sb_free(&out);
		sb_free(&err);
		config_free(c);
	}
}

/* What a user sees for a bad value: IOS's marker under the word. */
TEST(ikev2_frag_conf_error_text)
{
	struct config *c = config_new_empty();
	struct strbuf out;
	sb_init(&out);
	CHECK(run(c, "crypto ikev2 fragmentation mtu 2000", &out) != 0);
	CHECK(strstr(sb_str(&out), "% Invalid input detected at '^' marker.") != NULL);
	sb_free(&out);
	sb_init(&out);
	CHECK(run(c, "crypto ikev2 fragmentation mtu", &out) != 0);
	CHECK(strstr(sb_str(&out), "% Incomplete command.") != NULL);
	CHECK(c->v2_frag_mtu == 0);
	sb_free(&out);
	config_free(c);
}
