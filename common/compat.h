/*
 * Small things the OpenBSD sources take for granted and that neither
 * glibc nor libbsd provide.
 */
#ifndef COMPAT_H
#define COMPAT_H

#ifndef nitems
#define nitems(_a)	(sizeof((_a)) / sizeof((_a)[0]))
#endif

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

#ifndef MINIMUM
#define MINIMUM(a, b)	(((a) < (b)) ? (a) : (b))
#endif
#ifndef MAXIMUM
#define MAXIMUM(a, b)	(((a) > (b)) ? (a) : (b))
#endif

#endif /* COMPAT_H */
