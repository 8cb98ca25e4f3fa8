/* A growable text buffer for show output and config rendering. */
#ifndef SPIGOT_STRBUF_H
#define SPIGOT_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *s;	/* always NUL-terminated once anything was added */
	size_t len, cap;
};

void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putn(struct strbuf *sb, const char *s, size_t n);
/* Returns the text (never NULL) and leaves the buffer owning it. */
const char *sb_str(struct strbuf *sb);
/* Hands the text to the caller (free() it); the buffer is empty after. */
char *sb_take(struct strbuf *sb);

#endif
