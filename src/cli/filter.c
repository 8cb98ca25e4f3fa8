#include "cli/filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_prefix(const char *w, size_t n, const char *kw)
{
	return n > 0 && n <= strlen(kw) && strncasecmp(w, kw, n) == 0;
}

int filt_parse(char *line, struct filt *f, struct strbuf *err)
{
	memset(f, 0, sizeof(*f));
	sb_init(&f->partial);
	/* the last " | kw" decides; a "|" inside a description stays text */
	for (char *bar = strrchr(line, '|'); bar; bar = bar > line ? memrchr(line, '|', (size_t)(bar - line)) : NULL) {
		if (bar == line || (bar[-1] != ' ' && bar[-1] != '\t'))
			continue;
		char *w = bar + 1;
		while (*w == ' ' || *w == '\t')
			w++;
		size_t wl = strcspn(w, " \t");
		enum filt_kind k = FILT_NONE;
		if (is_prefix(w, wl, "include"))
			k = FILT_INCLUDE;
		else if (is_prefix(w, wl, "exclude"))
			k = FILT_EXCLUDE;
		else if (is_prefix(w, wl, "begin"))
			k = FILT_BEGIN;
		else if (is_prefix(w, wl, "count"))
			k = FILT_COUNT;
		if (k == FILT_NONE)
			continue;
		char *re = w + wl;
		while (*re == ' ' || *re == '\t')
			re++;
		/* IOS: "count" takes an optional regex and counts the lines it matches. */
		if (!*re && k != FILT_COUNT) {
			sb_puts(err, "% Incomplete command.\n\n");
			return -1;
		}
		if (*re) {
			if (regcomp(&f->re, re, REG_EXTENDED | REG_NOSUB) != 0) {
				sb_puts(err, "% Invalid regular expression\n");
				return -1;
			}
			f->has_re = true;
		}
		f->kind = k;
		*bar = '\0';
		for (char *e = bar; e > line && (e[-1] == ' ' || e[-1] == '\t'); e--)
			e[-1] = '\0';
		return 0;
	}
	return 0;
}

static void one_line(struct filt *f, const char *line, bool eol,
		     void (*emit)(void *arg, const char *line, bool eol), void *arg)
{
	switch (f->kind) {
	case FILT_NONE:
		emit(arg, line, eol);
		break;
	case FILT_INCLUDE:
		if (regexec(&f->re, line, 0, NULL, 0) == 0)
			emit(arg, line, eol);
		break;
	case FILT_EXCLUDE:
		if (regexec(&f->re, line, 0, NULL, 0) != 0)
			emit(arg, line, eol);
		break;
	case FILT_BEGIN:
		if (!f->begun && regexec(&f->re, line, 0, NULL, 0) == 0)
			f->begun = true;
		if (f->begun)
			emit(arg, line, eol);
		break;
	case FILT_COUNT:
		if (!f->has_re || regexec(&f->re, line, 0, NULL, 0) == 0)
			f->count++;
		break;
	}
}

void filt_feed(struct filt *f, const char *text, void (*emit)(void *arg, const char *line, bool eol),
	       void *arg)
{
	for (;;) {
		const char *nl = strchr(text, '\n');
		if (!nl) {
			if (*text) {
				if (f->kind == FILT_NONE)
					emit(arg, text, false);	/* stream progress marks */
				else
					sb_puts(&f->partial, text);
			}
			return;
		}
		/* partial also terminates the line, so no line needs its own copy. */
		sb_putn(&f->partial, text, (size_t)(nl - text));
		one_line(f, sb_str(&f->partial), true, emit, arg);
		sb_reset(&f->partial);
		text = nl + 1;
	}
}

void filt_finish(struct filt *f, void (*emit)(void *arg, const char *line, bool eol), void *arg)
{
	if (f->partial.len) {
		one_line(f, sb_str(&f->partial), true, emit, arg);
		sb_reset(&f->partial);
	}
	if (f->kind == FILT_COUNT) {
		char buf[64];
		snprintf(buf, sizeof(buf), "Number of lines which match regexp = %lu", f->count);
		emit(arg, buf, true);
	}
}

void filt_free(struct filt *f)
{
	if (f->has_re)
		regfree(&f->re);
	sb_free(&f->partial);
	memset(f, 0, sizeof(*f));
}
