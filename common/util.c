/* Small helpers shared by the daemons and coordctl. */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* mkdir -p; existing directories are fine, their modes untouched. */
int
mkdir_p(const char *path, mode_t mode)
{
	char	 buf[PATH_MAX], *p;

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) == -1 && errno != EEXIST)
			return (-1);
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		return (-1);
	return (0);
}

/* 2006-01-02T15:04:05Z */
char *
time_rfc3339(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strlcpy(buf, "", len);
	return (buf);
}

/* headscale's database form: 2006-01-02 15:04:05+00:00 */
char *
time_db(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S+00:00", &tm) == 0)
		strlcpy(buf, "", len);
	return (buf);
}

/* Make path absolute against the working directory. */
int
path_absolute(const char *path, char *out, size_t outlen)
{
	char	cwd[PATH_MAX];

	if (path[0] == '/') {
		if (strlcpy(out, path, outlen) >= outlen)
			goto toolong;
		return (0);
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return (-1);
	if ((size_t)snprintf(out, outlen, "%s/%s", cwd, path) >= outlen)
		goto toolong;
	return (0);
 toolong:
	errno = ENAMETOOLONG;
	return (-1);
}
