/* Key files: format, creation mode, refusal of readable files. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"
#include "test.h"

static void
path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", test_tmpdir(), name);
}

static void
put(const char *p, const char *text, mode_t mode)
{
	int	fd;

	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd == -1 || write(fd, text, strlen(text)) == -1)
		abort();
	fchmod(fd, mode);
	close(fd);
}

TEST(parse_good_and_bad)
{
	uint8_t	k[KEY_LEN];
	char	txt[KEY_TEXT_LEN + 1];
	uint8_t	orig[KEY_LEN];

	memset(orig, 0xab, sizeof(orig));
	keys_format(orig, txt, sizeof(txt));
	ASSERT_STR_EQ(txt, "privkey:abababababababababababababababababababababababababababababababab");
	ASSERT(keys_parse(txt, strlen(txt), k) == 0);
	ASSERT(memcmp(k, orig, KEY_LEN) == 0);
	ASSERT(keys_parse("  privkey:" "00000000000000000000000000000000"
	    "00000000000000000000000000000000\n", 75, k) == 0);
	ASSERT(keys_parse("privkey:abc", 11, k) == -1);
	ASSERT(keys_parse("nodekey:abababababababababababababababababababababababababababababababab", 72, k) == -1);
	ASSERT(keys_parse("privkey:zzababababababababababababababababababababababababababababababab", 72, k) == -1);
}

TEST(create_then_load)
{
	uint8_t		k1[KEY_LEN], k2[KEY_LEN];
	char		p[512], err[256];
	struct stat	st;
	int		created;

	path(p, sizeof(p), "sub/dir/noise.key");
	ASSERT(keys_load_or_create(p, k1, &created, err, sizeof(err)) == 0);
	ASSERT_INT_EQ(created, 1);
	ASSERT(stat(p, &st) == 0);
	ASSERT_INT_EQ(st.st_mode & 0777, 0600);
	ASSERT(keys_load_or_create(p, k2, &created, err, sizeof(err)) == 0);
	ASSERT_INT_EQ(created, 0);
	ASSERT(memcmp(k1, k2, KEY_LEN) == 0);
}

TEST(refuse_group_or_world_readable)
{
	uint8_t	k[KEY_LEN];
	char	p[512], err[256];

	path(p, sizeof(p), "open.key");
	put(p, "privkey:abababababababababababababababababababababababababababababababab\n", 0644);
	ASSERT(keys_load(p, k, err, sizeof(err)) == -1);
	ASSERT_STR_CONTAINS(err, "mode 0644");
	put(p, "privkey:abababababababababababababababababababababababababababababababab\n", 0640);
	ASSERT(keys_load(p, k, err, sizeof(err)) == -1);
	put(p, "privkey:abababababababababababababababababababababababababababababababab\n", 0600);
	ASSERT(keys_load(p, k, err, sizeof(err)) == 0);
}

TEST(refuse_garbage_and_symlink)
{
	uint8_t	k[KEY_LEN];
	char	p[512], l[512], err[256];

	path(p, sizeof(p), "garbage.key");
	put(p, "not a key at all", 0600);
	ASSERT(keys_load(p, k, err, sizeof(err)) == -1);
	ASSERT_STR_CONTAINS(err, "not a key");
	path(l, sizeof(l), "link.key");
	ASSERT(symlink(p, l) == 0);
	ASSERT(keys_load(l, k, err, sizeof(err)) == -1);
	path(p, sizeof(p), "nodir/missing.key");
	ASSERT(keys_load(p, k, err, sizeof(err)) == -1);
}

TEST(key_text_canon)
{
	char	out[80], in[80];
	int	zero;

	snprintf(in, sizeof(in), "nodekey:%064d", 0);
	ASSERT_INT_EQ(keys_text_canon(in, "nodekey:", out, sizeof(out),
	    &zero), 0);
	ASSERT(zero);
	snprintf(in, sizeof(in), "discokey:%s%056d", "ABCDEF01", 0);
	ASSERT_INT_EQ(keys_text_canon(in, "discokey:", out, sizeof(out),
	    &zero), 0);
	ASSERT(!zero);
	ASSERT(strncmp(out, "discokey:abcdef01", 17) == 0);
	/* Wrong prefix, short, long, not hex, NULL, no room. */
	ASSERT_INT_EQ(keys_text_canon(in, "nodekey:", out, sizeof(out),
	    &zero), -1);
	ASSERT_INT_EQ(keys_text_canon("nodekey:12", "nodekey:", out,
	    sizeof(out), &zero), -1);
	snprintf(in, sizeof(in), "nodekey:%065d", 0);
	ASSERT_INT_EQ(keys_text_canon(in, "nodekey:", out, sizeof(out),
	    &zero), -1);
	snprintf(in, sizeof(in), "nodekey:%063dg", 0);
	ASSERT_INT_EQ(keys_text_canon(in, "nodekey:", out, sizeof(out),
	    &zero), -1);
	ASSERT_INT_EQ(keys_text_canon(NULL, "nodekey:", out, sizeof(out),
	    &zero), -1);
	snprintf(in, sizeof(in), "nodekey:%064d", 1);
	ASSERT_INT_EQ(keys_text_canon(in, "nodekey:", out, 72, &zero), -1);
}

TEST_MAIN()
