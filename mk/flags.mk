# Compiler and linker flags shared by every directory.
# BUILDDIR holds objects, libraries and binaries of one build variant:
# build/ for the normal build, build-san/ for ASan+UBSan.

ifndef TOP
TOP:=		$(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
endif
ifndef BUILDDIR
BUILDDIR:=	$(TOP)/build
endif
OBJROOT=	$(BUILDDIR)/obj
LIBDIR=		$(BUILDDIR)/lib
BINDIR=		$(BUILDDIR)/bin
GENDIR=		$(BUILDDIR)/gen

CC?=		cc
PKG_CONFIG?=	pkg-config

include $(TOP)/mk/dirs.mk

PKGS=		libevent libsodium sqlite3 libprotobuf-c yaml-0.1 jansson \
		libbsd-overlay libseccomp libnghttp2 libzstd libcrypto

# Only what links the coordinator's modules needs libssl.
TLS_LIBS=	$(shell $(PKG_CONFIG) --libs libevent_openssl libssl 2>/dev/null)

OPTFLAGS?=	-O2
CWARN=		-Wall -Wextra -Werror -Wstrict-prototypes \
		-Wmissing-prototypes -Wmissing-declarations -Wshadow \
		-Wpointer-arith -Wsign-compare -Wformat=2 \
		-Wno-unused-parameter
CHARDEN=	-D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
		-fno-strict-aliasing
LDHARDEN=	-pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack

ifeq ($(SANITIZE),1)
OPTFLAGS=	-O1
CHARDEN=	-fPIE -fno-omit-frame-pointer \
		-fsanitize=address,undefined -fno-sanitize-recover=all
LDHARDEN=	-pie -fsanitize=address,undefined
endif

PKG_CFLAGS:=	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS:=	$(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CPPFLAGS+=	-I$(TOP)/common -I$(GENDIR) \
		-DLIBEXECDIR=\"$(LIBEXECDIR)\" \
		-DSYSCONFDIR=\"$(SYSCONFDIR)\" \
		-DLOCALSTATEDIR=\"$(LOCALSTATEDIR)\" \
		-DRUNSTATEDIR=\"$(RUNSTATEDIR)\" \
		-D_GNU_SOURCE
CFLAGS+=	-std=gnu11 -g $(OPTFLAGS) $(CWARN) $(CHARDEN) $(PKG_CFLAGS)
LDFLAGS+=	$(LDHARDEN)
