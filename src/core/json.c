#include "core/json.h"

#include <inttypes.h>
#include <stdio.h>

#include "core/ipfmt.h"

static void sb_putc(struct strbuf *sb, char c) { sb_putn(sb, &c, 1); }

void json_init(struct json *j, struct strbuf *out)
{
	j->out = out;
	j->depth = 0;
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		j->nonempty[i] = false;
}

void json_escape(struct strbuf *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	sb_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': sb_puts(out, "\\\""); break;
		case '\\': sb_puts(out, "\\\\"); break;
		case '\n': sb_puts(out, "\\n"); break;
		case '\r': sb_puts(out, "\\r"); break;
		case '\t': sb_puts(out, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				sb_puts(out, "\\u00");
				sb_putc(out, hex[*p >> 4]);
				sb_putc(out, hex[*p & 15]);
			} else {
				sb_putc(out, (char)*p);
			}
		}
	}
	sb_putc(out, '"');
}

static void indent(struct json *j)
{
	sb_putc(j->out, '\n');
	for (int i = 0; i < j->depth; i++)
		sb_puts(j->out, "  ");
}

/* Separator, indentation and member name before a value. */
static void lead(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (j->nonempty[j->depth])
			sb_putc(j->out, ',');
		indent(j);
	}
	j->nonempty[j->depth] = true;
	if (key) {
		json_escape(j->out, key);
		sb_puts(j->out, ": ");
	}
}

static void open_(struct json *j, const char *key, char c)
{
	lead(j, key);
	sb_putc(j->out, c);
	if (j->depth < JSON_MAX_DEPTH)
		j->depth++;
	j->nonempty[j->depth] = false;
}

static void close_(struct json *j, char c)
{
	bool had = j->nonempty[j->depth];
	if (j->depth > 0)
		j->depth--;
	if (had)
		indent(j);
	sb_putc(j->out, c);
}

void json_obj_begin(struct json *j, const char *key) { open_(j, key, '{'); }
void json_obj_end(struct json *j) { close_(j, '}'); }
void json_arr_begin(struct json *j, const char *key) { open_(j, key, '['); }
void json_arr_end(struct json *j) { close_(j, ']'); }

void json_str(struct json *j, const char *key, const char *v)
{
	lead(j, key);
	if (v)
		json_escape(j->out, v);
	else
		sb_puts(j->out, "null");
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	lead(j, key);
	sb_printf(j->out, "%" PRIu64, v);
}

void json_i64(struct json *j, const char *key, int64_t v)
{
	lead(j, key);
	sb_printf(j->out, "%" PRId64, v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	lead(j, key);
	sb_puts(j->out, v ? "true" : "false");
}

void json_null(struct json *j, const char *key)
{
	lead(j, key);
	sb_puts(j->out, "null");
}

void json_ip(struct json *j, const char *key, uint32_t ip)
{
	char b[16];
	json_str(j, key, ip_fmt(ip, b));
}

void json_finish(struct json *j) { sb_putc(j->out, '\n'); }

void json_doc_begin(struct json *j, struct strbuf *out, const char *command)
{
	json_init(j, out);
	json_obj_begin(j, NULL);
	json_u64(j, "schema_version", JSON_SCHEMA_VERSION);
	json_str(j, "command", command);
}

void json_doc_end(struct json *j)
{
	json_obj_end(j);
	json_finish(j);
}
