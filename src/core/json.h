/*
 * A tiny JSON writer for `spigot --json show ...` (docs/JSON.md).  Values
 * are written in order into a strbuf, indented two spaces per level;
 * strings are escaped per RFC 8259 (quote, backslash, control characters
 * as \uXXXX; bytes >= 0x80 pass through, our strings are ASCII/UTF-8).
 * Each call takes the member name inside an object, NULL inside an array.
 */
#ifndef SPIGOT_JSON_H
#define SPIGOT_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "core/strbuf.h"

#define JSON_MAX_DEPTH 16

struct json {
	struct strbuf *out;
	int depth;
	bool nonempty[JSON_MAX_DEPTH + 1];	/* a value was written at this level */
};

void json_init(struct json *j, struct strbuf *out);
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *v);	/* NULL -> null */
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* "10.1.1.1" from a host-order address. */
void json_ip(struct json *j, const char *key, uint32_t ip);
/* Ends the document (a final newline). */
void json_finish(struct json *j);

/*
 * A `--json show` document: {"schema_version": N, "command": "...", ...}.
 * Bump JSON_SCHEMA_VERSION when a member changes meaning or goes away
 * (adding members does not); docs/JSON.md has every schema.
 */
#define JSON_SCHEMA_VERSION 1
void json_doc_begin(struct json *j, struct strbuf *out, const char *command);
void json_doc_end(struct json *j);
/* The escaped form of s, quotes included (for tests and other writers). */
void json_escape(struct strbuf *out, const char *s);

#endif
