# Installation directories, shared by the build (flags.mk compiles
# LIBEXECDIR, SYSCONFDIR, LOCALSTATEDIR and RUNSTATEDIR into the
# binaries) and by "make install" (mk/install.sh).  Give the same values
# to both: make PREFIX=/usr/local && make install PREFIX=/usr/local.
# Objects are not rebuilt when only these change: make clean first.

PREFIX?=	/usr
SBINDIR?=	$(PREFIX)/sbin
LIBEXECDIR?=	$(PREFIX)/libexec/coordd
MANDIR?=	$(PREFIX)/share/man
SYSCONFDIR?=	/etc
LOCALSTATEDIR?=	/var/lib
RUNSTATEDIR?=	/run
