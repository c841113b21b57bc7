/*
 * A minimal unit-test harness.  Each test file defines tests with
 * TEST(name) and ends with TEST_MAIN(); each test prints "ok" or
 * "not ok" and the binary exits non-zero if any failed.  tests/unit/run
 * adds the counts up into the final "N passed, N failed" line.
 */
#ifndef TEST_H
#define TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char	*name;
	void		(*fn)(void);
};

extern int		 test_failed_now;
extern const char	*test_current;

void	test_register(const char *, void (*)(void));
int	test_main(int, char **);
const char *test_tmpdir(void);

#define TEST(name)							\
	static void name(void);						\
	static void __attribute__((constructor)) reg_##name(void)	\
	{ test_register(#name, name); }					\
	static void name(void)

#define TEST_MAIN()							\
	int main(int argc, char **argv) { return (test_main(argc, argv)); }

#define FAIL(fmt, ...) do {						\
	fprintf(stderr, "  %s:%d: " fmt "\n", __FILE__, __LINE__,	\
	    ##__VA_ARGS__);						\
	test_failed_now = 1;						\
	return;								\
} while (0)

#define ASSERT(cond) do {						\
	if (!(cond))							\
		FAIL("assertion failed: %s", #cond);			\
} while (0)

#define ASSERT_INT_EQ(a, b) do {					\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b)							\
		FAIL("%s == %lld, expected %s == %lld", #a, _a, #b, _b);\
} while (0)

#define ASSERT_STR_EQ(a, b) do {					\
	const char *_a = (a), *_b = (b);				\
	if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0)		\
		FAIL("%s == \"%s\", expected \"%s\"", #a,		\
		    _a ? _a : "(null)", _b ? _b : "(null)");		\
} while (0)

#define ASSERT_STR_CONTAINS(hay, needle) do {				\
	const char *_h = (hay), *_n = (needle);				\
	if (_h == NULL || strstr(_h, _n) == NULL)			\
		FAIL("%s == \"%s\" lacks \"%s\"", #hay,			\
		    _h ? _h : "(null)", _n);				\
} while (0)

#endif /* TEST_H */
