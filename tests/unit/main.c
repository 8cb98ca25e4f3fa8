#include "t.h"

#include <stdlib.h>

struct t_case {
	const char *name;
	t_fn fn;
};

static struct t_case cases[1024];
static int ncases;
static int cur_failures;

void t_register(const char *name, t_fn fn)
{
	if (ncases < (int)(sizeof(cases) / sizeof(cases[0])))
		cases[ncases++] = (struct t_case){ name, fn };
}

void t_fail(const char *file, int line, const char *expr)
{
	cur_failures++;
	if (cur_failures <= 10)
		fprintf(stderr, "    %s:%d: CHECK(%s) failed\n", file, line, expr);
}

size_t t_hex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = 0;
	while (hex[0] && hex[1] && n < cap) {
		if (hex[0] == ' ' || hex[0] == '\n') {
			hex++;
			continue;
		}
		char b[3] = { hex[0], hex[1], 0 };
		out[n++] = (unsigned char)strtoul(b, NULL, 16);
		hex += 2;
	}
	return n;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(((const struct t_case *)a)->name, ((const struct t_case *)b)->name);
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	qsort(cases, (size_t)ncases, sizeof(cases[0]), cmp);
	for (int i = 0; i < ncases; i++) {
		/* Filters: a test runs when its name contains any of them. */
		bool pick = argc == 1;
		for (int j = 1; j < argc && !pick; j++)
			pick = strstr(cases[i].name, argv[j]) != NULL;
		if (!pick)
			continue;
		cur_failures = 0;
		cases[i].fn();
		if (cur_failures) {
			printf("FAIL %s\n", cases[i].name);
			failed++;
		} else {
			printf("ok   %s\n", cases[i].name);
			passed++;
		}
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
