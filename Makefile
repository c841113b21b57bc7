# coordd: a headscale-compatible Tailscale control server.
#
#	make			build everything into build/
#	make check		install missing packages, build, run every test
#	make sanitize-check	the same tests built with ASan+UBSan
#	make bench-smoke	the load generator's smoke test alone
#	make bench-derp		DERP relay throughput, coordd against derper
#				(also to BENCH_OUT=file, build/bench-derp.txt)
#	make run		start the suite in the foreground from run/
#	make install		install under PREFIX (default /usr) and DESTDIR;
#				give make the same PREFIX first
#	make clean		remove build/, build-san/

TOP:=		$(abspath .)
BUILDDIR?=	$(TOP)/build
export TOP BUILDDIR

include mk/dirs.mk

SUBDIRS=	common coordd stored apid authd coordctl

all: build

build:
	$(MAKE) -C proto
	@for d in $(SUBDIRS) tests/unit tests/tools tests/client \
	    tests/load; do \
		$(MAKE) -C $$d || exit 1; \
	done

deps:
	@sh mk/deps

check: deps
	$(MAKE) build
	sh tests/run-all $(BUILDDIR)

sanitize-check: deps
	$(MAKE) build BUILDDIR=$(TOP)/build-san SANITIZE=1
	sh tests/run-all $(TOP)/build-san

valgrind-check: deps build
	VALGRIND=1 sh tests/unit/run $(BUILDDIR)

# The load generator's smoke test alone: 50 nodes, a full mesh, churn.
bench-smoke: build
	BUILDDIR=$(BUILDDIR) TEST_NAME=t_loadsmoke \
	    sh tests/integration/t_loadsmoke.sh

# The embedded DERP relay against Tailscale's derper (mk/peers.sh
# --derper installs it when missing): packets/s, MB/s and their ratio.
bench-derp: build
	BUILDDIR=$(BUILDDIR) sh mk/bench-derp.sh $(BENCH_OUT)

run: deps build
	sh mk/run.sh $(BUILDDIR)

# The binaries have LIBEXECDIR and SYSCONFDIR compiled in, so build and
# install with the same directories (make clean first when build/ was
# built with others: a changed PREFIX alone rebuilds nothing):
#	make PREFIX=/usr/local && make install PREFIX=/usr/local
# mk/install.sh refuses binaries built for other directories.
install: build
	DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' SBINDIR='$(SBINDIR)' \
	LIBEXECDIR='$(LIBEXECDIR)' MANDIR='$(MANDIR)' \
	SYSCONFDIR='$(SYSCONFDIR)' sh mk/install.sh $(BUILDDIR)

clean:
	rm -rf build build-san

.PHONY: all build deps check sanitize-check valgrind-check bench-smoke \
	bench-derp run install clean
