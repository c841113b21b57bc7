/* The harness behind test.h. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

#define TEST_MAX	512

int			 test_failed_now;
const char		*test_current;
static struct test_case	 tests[TEST_MAX];
static int		 ntests;
static char		 tmpdir[256];

void
test_register(const char *name, void (*fn)(void))
{
	if (ntests == TEST_MAX) {
		fprintf(stderr, "too many tests\n");
		exit(2);
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	ntests++;
}

/* A fresh directory per test binary, removed at exit unless KEEP_TMP. */
const char *
test_tmpdir(void)
{
	const char	*base;

	if (tmpdir[0] != '\0')
		return (tmpdir);
	if ((base = getenv("TMPDIR")) == NULL)
		base = "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/coordd-unit.XXXXXX", base);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	return (tmpdir);
}

static void
test_cleanup(void)
{
	char	cmd[300];

	if (tmpdir[0] == '\0' || getenv("KEEP_TMP") != NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

int
test_main(int argc, char **argv)
{
	int	i, passed = 0, failed = 0;

	atexit(test_cleanup);
	for (i = 0; i < ntests; i++) {
		if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
			continue;
		test_current = tests[i].name;
		test_failed_now = 0;
		tests[i].fn();
		if (test_failed_now) {
			printf("not ok - %s\n", tests[i].name);
			failed++;
		} else {
			printf("ok - %s\n", tests[i].name);
			passed++;
		}
		fflush(stdout);
	}
	printf("# %s: %d passed, %d failed\n", argv[0], passed, failed);
	return (failed ? 1 : 0);
}
