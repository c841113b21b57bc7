# coordd: a headscale-compatible Tailscale control server.
#
#	make			build everything into build/
#	make check		install missing packages, build, run every test
#	make sanitize-check	the same tests built with ASan+UBSan
#	make bench-smoke	the load generator's smoke test alone
#	make bench-derp		DERP relay throughput, coordd against derper
#				(also to BENCH_OUT=file, build/bench-derp.txt)
#	make bench		control-plane load, coordd against headscale
#				v0.29.2: one table, also to BENCH_OUT=file
#				(build/bench.txt); BENCH_SCENARIOS="a c",
#				BENCH_SCALE=0.1, BENCH_TIMEOUT=s, BENCH_CHURN=s
#				and BENCH_SERVERS=coordd try it quickly
#	make fuzz		every libFuzzer target with clang, FUZZ_SECONDS
#				(60) each; make check runs them without clang
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
	@for d in $(SUBDIRS) tests/unit tests/fuzz tests/tools tests/client \
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

# Control-plane load, coordd against headscale v0.29.2 (mk/peers.sh
# --headscale installs it when missing), the servers on CPU 0 and the
# load generator on CPU 1: (a) 1,000 and (b) 5,000 static nodes, (c)
# 1,000 static and 80 roaming nodes, (d) a reconnect storm of 2,000
# nodes after a server restart, (e) the largest N each server holds.
# The environment scales it down: BENCH_SCENARIOS (a b c d e),
# BENCH_SCALE (1) multiplies the node counts, BENCH_TIMEOUT (900 s a
# scenario and server), BENCH_CHURN (20 s of changes), BENCH_SERVERS
# (coordd headscale); mk/bench.sh lists the others.
bench: build
	BUILDDIR=$(BUILDDIR) sh mk/bench.sh $(BENCH_OUT)

# Coverage-guided fuzzing of the parsers that read untrusted bytes (DERP
# frames, STUN, the HTTP/1.1 front): clang and its libFuzzer runtime are
# installed when missing.  make check runs the same targets on generated
# inputs with the normal compiler (tests/fuzz/replay.c).
fuzz: build
	@sh mk/deps clang libclang-rt-14-dev
	$(MAKE) -C tests/fuzz fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

FUZZ_SECONDS?=	60

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
	bench-derp bench fuzz run install clean
