/*
 * log.c: stderr in the foreground (-d), syslog otherwise.  Every line
 * carries the process name set with log_procinit().
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

#include "compat.h"

void	log_init(int, int);
void	log_procinit(const char *);
const char *log_procname(void);
void	log_setverbose(int);
int	log_getverbose(void);
int	log_getdebug(void);
void	log_warn(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_warnx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_info(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_debug(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	logit(int, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
void	vlog(int, const char *, va_list)
	    __attribute__((__format__ (printf, 2, 0)));
__dead void fatal(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
__dead void fatalx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));

#endif /* LOG_H */
