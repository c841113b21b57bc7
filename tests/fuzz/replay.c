/*
 * A libFuzzer target without libFuzzer, so that make check builds and
 * runs every target with the compiler it has (and under the sanitizers
 * in make sanitize-check): the files named on the command line, then
 * FUZZ_ITERS inputs (default 200000) made by a fixed-seed generator that
 * mutates earlier inputs, so runs repeat.  Real coverage-guided fuzzing
 * is make fuzz, with clang.  Prints one TAP-style line.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_MAX	4096

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint64_t	rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((uint32_t)(rng >> 11));
}

static size_t
run_file(const char *path)
{
	static uint8_t	 buf[1024 * 1024];
	FILE		*fp;
	size_t		 n;

	if ((fp = fopen(path, "rb")) == NULL)
		err(1, "%s", path);
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, n);
	return (n);
}

/* Flip, overwrite, insert, cut or grow: small steps from a parent. */
static void
mutate(uint8_t *b, size_t *len)
{
	size_t	pos, n;

	switch (next() % 5) {
	case 0:
		if (*len > 0)
			b[next() % *len] ^= 1 << (next() % 8);
		break;
	case 1:
		if (*len > 0)
			b[next() % *len] = next() & 0xff;
		break;
	case 2:
		if (*len < REPLAY_MAX) {
			pos = *len ? next() % *len : 0;
			memmove(b + pos + 1, b + pos, *len - pos);
			b[pos] = next() & 0xff;
			(*len)++;
		}
		break;
	case 3:
		if (*len > 0)
			*len = next() % *len;
		break;
	default:
		n = next() % 64;
		while (n-- > 0 && *len < REPLAY_MAX)
			b[(*len)++] = next() & 0xff;
		break;
	}
}

int
main(int argc, char *argv[])
{
	static uint8_t	 pool[16][REPLAY_MAX];
	static size_t	 plen[16];
	uint8_t		 in[REPLAY_MAX];
	const char	*s, *name;
	size_t		 len, i;
	long		 iters = 200000, k;
	int		 a;

	if ((s = getenv("FUZZ_ITERS")) != NULL)
		iters = strtol(s, NULL, 10);
	name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	for (a = 1; a < argc; a++)
		run_file(argv[a]);
	for (k = 0; k < iters; k++) {
		i = next() % 16;
		len = plen[i];
		memcpy(in, pool[i], len);
		mutate(in, &len);
		LLVMFuzzerTestOneInput(in, len);
		/* Keep it as a parent now and then: inputs grow structure. */
		if (next() % 4 == 0) {
			memcpy(pool[i], in, len);
			plen[i] = len;
		}
	}
	printf("ok - %s: %d files and %ld generated inputs, no fault\n",
	    name, argc - 1, iters);
	return (0);
}
