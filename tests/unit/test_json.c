/* core/json.c: the writer behind `spigot --json` (docs/JSON.md). */
#include "core/json.h"
#include "core/log.h"
#include "t.h"

TEST(json_escapes_strings)
{
	struct strbuf sb;
	sb_init(&sb);
	json_escape(&sb, "a\"b\\c\n\t\x01\x1f\x7f" "d\xc3\xa9");
	CHECK_STR(sb_str(&sb), "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\\u007fd\xc3\xa9\"");
	sb_free(&sb);
}

TEST(json_nests_and_separates)
{
	struct strbuf sb;
	sb_init(&sb);
	struct json j;
	json_doc_begin(&j, &sb, "show x");
	json_arr_begin(&j, "empty");
	json_arr_end(&j);
	json_arr_begin(&j, "v");
	json_u64(&j, NULL, 18446744073709551615ull);
	json_i64(&j, NULL, -3);
	json_obj_begin(&j, NULL);
	json_bool(&j, "t", true);
	json_null(&j, "n");
	json_ip(&j, "ip", 0x0a000201);
	json_str(&j, "s", NULL);
	json_obj_end(&j);
	json_arr_end(&j);
	json_doc_end(&j);
	CHECK_STR(sb_str(&sb), "{\n  \"schema_version\": 1,\n  \"command\": \"show x\",\n  \"empty\": [],\n"
			       "  \"v\": [\n    18446744073709551615,\n    -3,\n    {\n      \"t\": true,\n"
			       "      \"n\": null,\n      \"ip\": \"10.0.2.1\",\n      \"s\": null\n    }\n  ]\n}\n");
	sb_free(&sb);
}

/* Sinks see each line once with its severity; a line logged inside a sink
 * reaches the buffer but no sink (no recursion); levels filter the buffer. */
static int calls;
static struct logger *the_lg;
static void sink(void *arg, const struct log_event *ev)
{
	(void)arg;
	calls++;
	CHECK(ev->sev == SEV_WARNING && !ev->debug);
	CHECK(strncmp(ev->body, "%CRYPTO-4-X: hello", 18) == 0);
	log_msg(the_lg, "SYS", SEV_ERR, "INNER", "from inside the sink");
}

TEST(log_sinks_and_levels)
{
	struct logger lg;
	log_init(&lg, 0);
	the_lg = &lg;
	calls = 0;
	struct log_sink s = { .write = sink, .arg = &calls };
	CHECK(log_add_sink(&lg, &s) == 0);
	log_msg(&lg, "CRYPTO", SEV_WARNING, "X", "hello");
	CHECK(calls == 1);
	CHECK(lg.logged == 2);		/* the line and the sink's own */
	log_remove_sink(&lg, &calls);
	lg.buffer_level = SEV_WARNING;
	lg.trap_level = SEV_WARNING;
	uint64_t before = lg.logged, trap = lg.trap_lines;
	log_msg(&lg, "SYS", SEV_NOTICE, "Y", "not buffered");
	log_debug(&lg, "debug line");
	CHECK(lg.logged == before && lg.trap_lines == trap && calls == 1);
	CHECK(log_level_parse("warnings") == 4 && log_level_parse("7") == 7 && log_level_parse("x") < 0);
	log_free(&lg);
}
