#include "core/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_init(struct strbuf *sb) { *sb = (struct strbuf){ 0 }; }

void sb_free(struct strbuf *sb)
{
	free(sb->s);
	*sb = (struct strbuf){ 0 };
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->s)
		sb->s[0] = '\0';
}

static void grow(struct strbuf *sb, size_t need)
{
	if (sb->len + need + 1 <= sb->cap)
		return;
	size_t cap = sb->cap ? sb->cap : 256;
	while (cap < sb->len + need + 1)
		cap *= 2;
	char *n = realloc(sb->s, cap);
	if (!n)
		abort();	/* show output is not worth limping on without memory */
	sb->s = n;
	sb->cap = cap;
}

void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	grow(sb, (size_t)n);
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

void sb_putn(struct strbuf *sb, const char *s, size_t n)
{
	grow(sb, n);
	memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

void sb_puts(struct strbuf *sb, const char *s) { sb_putn(sb, s, strlen(s)); }

const char *sb_str(struct strbuf *sb)
{
	if (!sb->s)
		grow(sb, 0), sb->s[0] = '\0';
	return sb->s;
}

char *sb_take(struct strbuf *sb)
{
	sb_str(sb);
	char *s = sb->s;
	*sb = (struct strbuf){ 0 };
	return s;
}
