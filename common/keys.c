/*
 * Key files.  The private key is read into the caller's buffer and every
 * other copy is wiped; the file must be a regular file owned by us or
 * root, not readable or writable by group or others.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"
#include "util.h"

/* Parse "privkey:<64 hex>" with surrounding whitespace. */
int
keys_parse(const char *text, size_t len, uint8_t key[KEY_LEN])
{
	size_t	plen = sizeof(KEY_PRIV_PREFIX) - 1, i;
	size_t	binlen;

	while (len > 0 && isspace((unsigned char)*text)) {
		text++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	if (len != KEY_TEXT_LEN || strncmp(text, KEY_PRIV_PREFIX, plen) != 0)
		return (-1);
	for (i = plen; i < len; i++)
		if (!isxdigit((unsigned char)text[i]))
			return (-1);
	if (sodium_hex2bin(key, KEY_LEN, text + plen, len - plen, NULL,
	    &binlen, NULL) != 0 || binlen != KEY_LEN) {
		sodium_memzero(key, KEY_LEN);
		return (-1);
	}
	return (0);
}

void
keys_format(const uint8_t key[KEY_LEN], char *out, size_t outlen)
{
	char	hex[2 * KEY_LEN + 1];

	sodium_bin2hex(hex, sizeof(hex), key, KEY_LEN);
	snprintf(out, outlen, "%s%s", KEY_PRIV_PREFIX, hex);
	sodium_memzero(hex, sizeof(hex));
}

static int
keys_check_file(int fd, const char *path, char *err, size_t errlen)
{
	struct stat	st;

	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return (-1);
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %u, not by us or root",
		    path, (unsigned)st.st_uid);
		return (-1);
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s: mode %04o lets group or others "
		    "access a private key; chmod 600 it", path,
		    (unsigned)(st.st_mode & 07777));
		return (-1);
	}
	if (st.st_size > KEY_FILE_MAX) {
		snprintf(err, errlen, "%s: too large for a key file", path);
		return (-1);
	}
	return (0);
}

/* Read and check an existing key file. */
int
keys_load(const char *path, uint8_t key[KEY_LEN], char *err, size_t errlen)
{
	char	buf[KEY_FILE_MAX + 1];
	ssize_t	n;
	int	fd, rv = -1;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (keys_check_file(fd, path, err, errlen) == -1)
		goto done;
	if ((n = read(fd, buf, sizeof(buf) - 1)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	if (keys_parse(buf, n, key) == -1) {
		snprintf(err, errlen, "%s: not a key (expected "
		    "\"privkey:\" and 64 hex digits)", path);
		goto done;
	}
	rv = 0;
 done:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return (rv);
}

static int
keys_create(const char *path, uint8_t key[KEY_LEN], char *err, size_t errlen)
{
	char	text[KEY_TEXT_LEN + 2], dir[1024];
	size_t	len;
	int	fd, rv = -1;

	strlcpy(dir, path, sizeof(dir));
	if (mkdir_p(dirname(dir), 0700) == -1) {
		snprintf(err, errlen, "%s: cannot create its directory: %s",
		    path, strerror(errno));
		return (-1);
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	randombytes_buf(key, KEY_LEN);
	keys_format(key, text, sizeof(text));
	len = strlcat(text, "\n", sizeof(text));
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		sodium_memzero(key, KEY_LEN);
	} else
		rv = 0;
	explicit_bzero(text, sizeof(text));
	close(fd);
	return (rv);
}

/* Load the key, creating it first if the file does not exist. */
int
keys_load_or_create(const char *path, uint8_t key[KEY_LEN], int *created,
    char *err, size_t errlen)
{
	struct stat	st;

	*created = 0;
	if (lstat(path, &st) == -1 && errno == ENOENT) {
		if (keys_create(path, key, err, errlen) == -1)
			return (-1);
		*created = 1;
		return (0);
	}
	return (keys_load(path, key, err, errlen));
}

/*
 * A public key's text from a client: the exact prefix ("nodekey:",
 * "discokey:", ...) and 64 hex digits, either case.  The canonical
 * lower-case form goes to out; *zero says it is all zeros.  Returns -1
 * when s (which may be NULL) is not such a key.
 */
int
keys_text_canon(const char *s, const char *prefix, char *out, size_t outlen,
    int *zero)
{
	size_t	plen = strlen(prefix), i;

	if (s == NULL || strncmp(s, prefix, plen) != 0 ||
	    strlen(s) != plen + 2 * KEY_LEN || outlen < plen + 2 * KEY_LEN + 1)
		return (-1);
	*zero = 1;
	memcpy(out, prefix, plen);
	for (i = plen; i < plen + 2 * KEY_LEN; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return (-1);
		out[i] = tolower((unsigned char)s[i]);
		if (out[i] != '0')
			*zero = 0;
	}
	out[i] = '\0';
	return (0);
}
