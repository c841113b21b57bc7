/*
 * Logging in the style of the OpenBSD daemons: stderr when running in
 * the foreground, syslog otherwise, a verbosity level, and fatal()
 * that names the process that died.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int	 log_debug_mode = 1;
static int	 log_verbose;
static char	 log_proc[32] = "coordd";

void
log_init(int n_debug, int facility)
{
	log_debug_mode = n_debug;
	if (!log_debug_mode)
		openlog(log_proc, LOG_PID | LOG_NDELAY, facility);
	tzset();
}

void
log_procinit(const char *name)
{
	if (name != NULL)
		strlcpy(log_proc, name, sizeof(log_proc));
}

const char *
log_procname(void)
{
	return (log_proc);
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return (log_verbose);
}

int
log_getdebug(void)
{
	return (log_debug_mode);
}

void
logit(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char	buf[2048];
	int	saved_errno = errno;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_debug_mode) {
		/* One write per line so that the processes do not interleave. */
		dprintf(STDERR_FILENO, "%s[%d]: %s\n", log_proc, (int)getpid(),
		    buf);
	} else
		syslog(pri, "%s: %s", log_proc, buf);
	errno = saved_errno;
}

static void
vlog_errno(int pri, const char *emsg, const char *fmt, va_list ap)
{
	char	buf[1536];

	if (fmt == NULL) {
		logit(pri, "%s", emsg);
		return;
	}
	vsnprintf(buf, sizeof(buf), fmt, ap);
	logit(pri, "%s: %s", buf, emsg);
}

void
log_warn(const char *emsg, ...)
{
	va_list	ap;
	int	saved_errno = errno;

	va_start(ap, emsg);
	vlog_errno(LOG_ERR, strerror(saved_errno), emsg, ap);
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vlog(LOG_ERR, emsg, ap);
	va_end(ap);
}

void
log_info(const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vlog(LOG_INFO, emsg, ap);
	va_end(ap);
}

void
log_debug(const char *emsg, ...)
{
	va_list	ap;

	if (log_verbose < 1)
		return;
	va_start(ap, emsg);
	vlog(LOG_DEBUG, emsg, ap);
	va_end(ap);
}

static __dead void
vfatalc(int code, const char *emsg, va_list ap)
{
	char		 s[1536];
	const char	*sep;

	if (emsg != NULL) {
		vsnprintf(s, sizeof(s), emsg, ap);
		sep = ": ";
	} else {
		s[0] = '\0';
		sep = "";
	}
	if (code)
		logit(LOG_CRIT, "fatal in %s: %s%s%s", log_proc, s, sep,
		    strerror(code));
	else
		logit(LOG_CRIT, "fatal in %s%s%s", log_proc, sep, s);
	exit(1);
}

void
fatal(const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vfatalc(errno, emsg, ap);
	va_end(ap);
}

void
fatalx(const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vfatalc(0, emsg, ap);
	va_end(ap);
}
