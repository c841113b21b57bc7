/* Small helpers shared by the daemons and coordctl. */
#ifndef UTIL_H
#define UTIL_H

#include <sys/types.h>

#include <stddef.h>
#include <time.h>

int	 mkdir_p(const char *, mode_t);
char	*time_rfc3339(time_t, char *, size_t);
char	*time_db(time_t, char *, size_t);
int	 path_absolute(const char *, char *, size_t);

#endif /* UTIL_H */
