/*
 * A minimal unit-test harness.  A test is a function declared with TEST();
 * CHECK() records a failure with its line and carries on; the runner prints
 * one line per test and "N passed, N failed" at the end.
 */
#ifndef SPIGOT_T_H
#define SPIGOT_T_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef void (*t_fn)(void);
void t_register(const char *name, t_fn fn);
void t_fail(const char *file, int line, const char *expr);
/* Hex string to bytes; returns the length. For known-answer vectors. */
size_t t_hex(const char *hex, unsigned char *out, size_t cap);

#define TEST(name)                                                        \
	static void test_##name(void);                                     \
	__attribute__((constructor)) static void t_reg_##name(void)        \
	{                                                                  \
		t_register(#name, test_##name);                            \
	}                                                                  \
	static void test_##name(void)

#define CHECK(expr)                                                       \
	do {                                                               \
		if (!(expr))                                               \
			t_fail(__FILE__, __LINE__, #expr);                 \
	} while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)
#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

#endif
