/* IOS output filters: "| include RE", "| exclude RE", "| begin RE", "| count". */
#ifndef SPIGOT_CLI_FILTER_H
#define SPIGOT_CLI_FILTER_H

#include <regex.h>
#include <stdbool.h>

#include "core/strbuf.h"

enum filt_kind { FILT_NONE = 0, FILT_INCLUDE, FILT_EXCLUDE, FILT_BEGIN, FILT_COUNT };

struct filt {
	enum filt_kind kind;
	regex_t re;
	bool has_re;		/* re is compiled (count's is optional) */
	bool begun;		/* begin: the first match was seen */
	unsigned long count;
	struct strbuf partial;	/* a line not yet ended */
};

/*
 * Splits "show run | include foo" into the command (cut at the pipe, in
 * place) and a filter.  Returns 0 (no filter or one set up), or -1 with an
 * IOS error in err (bad regular expression).
 */
int filt_parse(char *line, struct filt *f, struct strbuf *err);
/* Feeds command output; complete lines that pass go to emit(arg, line). */
void filt_feed(struct filt *f, const char *text, void (*emit)(void *arg, const char *line, bool eol),
	       void *arg);
/* End of output: the pending partial line and, for count, the total. */
void filt_finish(struct filt *f, void (*emit)(void *arg, const char *line, bool eol), void *arg);
void filt_free(struct filt *f);

#endif
