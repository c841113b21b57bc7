#!/bin/sh
# mk/peers.sh [--derper] [--headscale] [--headscale-cli]
#
# Installs the real Tailscale peers that the interop tests and benchmarks
# run against: tailscaled and tailscale at the oldest and the newest
# supported version, and on request derper (newest version) and headscale.
# They are ordinary `go install pkg@version` builds into a cache directory
# outside the repo; nothing of them is ever committed.
#
#	$COORDD_PEERS_DIR/<version>/{tailscaled,tailscale[,derper]}
#	$COORDD_PEERS_DIR/<headscale version>/headscale
#	$COORDD_PEERS_DIR/headscale-main-<commit>/headscale	(--headscale-cli)
#	$COORDD_PEERS_DIR/go/{mod,cache}	module and build cache
#
# Environment:
#	COORDD_PEERS_DIR	cache directory (/var/cache/coordd-peers)
#	PEERS_VERSIONS		tailscale versions ("v1.80.3 v1.102.3")
#	PEERS_TAGS		build tags for the tailscale binaries (none),
#				e.g. ts_omit_captiveportal (v1.90 and later)
#	PEERS_GOTOOLCHAIN	first toolchain to try (local)
#	HEADSCALE_CLI_GIT	a git directory holding headscale's history, used
#				when the module proxy will not serve the pinned
#				commit (filtering proxies serve tags only)
#
# A binary is rebuilt only when `go version -m` does not show the expected
# module version, ldflags and tags.  Exits non-zero on any failure.
set -eu

# The supported range: the oldest and newest tailscale we interoperate with.
PEERS_OLDEST=v1.80.3
PEERS_NEWEST=v1.102.3
HEADSCALE_VERSION=v0.29.2
# headscale's main branch, whose CLI speaks /api/v1 over HTTP: the commit
# and its module pseudo-version (the last tag it descends from is v0.29.0).
HEADSCALE_CLI_COMMIT=f20f1f127842c74dd5f6e10254307b65b1aee936
HEADSCALE_CLI_VERSION=v0.29.1-0.20260721112835-f20f1f127842
# Old tailscale versions pin gVisor trees that may not build with a newer
# Go; this one is fetched through the module proxy when that happens.
FALLBACK_TOOLCHAIN=go1.25.5

VERSIONS=${PEERS_VERSIONS:-"$PEERS_OLDEST $PEERS_NEWEST"}
DIR=${COORDD_PEERS_DIR:-/var/cache/coordd-peers}
TAGS=${PEERS_TAGS:-}
TOOLCHAIN=${PEERS_GOTOOLCHAIN:-local}

say() { echo "peers: $*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
	echo "usage: $0 [--derper] [--headscale] [--headscale-cli]" >&2
	exit 2
}

# find_go: sets GO.  Tests depend on these peers, so a missing Go is an
# error, never a silent skip.
find_go() {
	GO=$(command -v go 2>/dev/null || true)
	if [ -z "$GO" ] && [ -x /usr/local/go/bin/go ]; then
		GO=/usr/local/go/bin/go
	fi
	[ -n "$GO" ] || die "no Go toolchain: neither 'go' in PATH nor" \
	    "/usr/local/go/bin/go; install Go >= 1.26 to build the peers"
}

# go_env: keeps GOPATH and both caches under $DIR so that nothing lands in
# the repo or in $HOME.  -modcacherw lets `rm -rf $DIR` work.  Outside a
# module, so GOWORK and the repo's files play no part.
go_env() {
	export GOPATH="$DIR/go" GOMODCACHE="$DIR/go/mod" GOCACHE="$DIR/go/cache"
	export GOFLAGS=-modcacherw GOWORK=off CGO_ENABLED=0
}

# ts_ldflags VERSION: stamps the version, which a module-zip build cannot
# learn from VCS data (it would report x.y.z-ERR-BuildInfo).
ts_ldflags() {
	echo "-X tailscale.com/version.shortStamp=${1#v}" \
	    "-X tailscale.com/version.longStamp=${1#v}-ci"
}

# current BIN MODULE VERSION LDFLAGS TAGS: true when BIN was built from
# MODULE@VERSION with exactly these ldflags and tags.
current() {
	[ -x "$1" ] || return 1
	"$GO" version -m "$1" 2>/dev/null | awk -F '\t' \
	    -v m="$2" -v v="$3" -v l="$4" -v t="$5" '
		$2 == "mod" && $3 == m && $4 == v { mod = 1 }
		$2 == "build" && $3 ~ /^-tags=/ { tags = substr($3, 7) }
		$2 == "build" && $3 ~ /^-ldflags=/ {
			ld = substr($3, 10); gsub(/^"|"$/, "", ld)
		}
		END { exit !(mod && tags == t && ld == l) }'
}

# run_go TOOLCHAIN DEST LDFLAGS TAGS PKG@VER...: the output goes to
# $DEST/.build.log too, so that a failure can be told apart below.
run_go() {
	tc=$1 dest=$2 ldflags=$3 tags=$4
	shift 4
	say "GOTOOLCHAIN=$tc GOBIN=$dest go install${tags:+ -tags=$tags}" \
	    "-ldflags='$ldflags' $*"
	rc=0
	GOTOOLCHAIN=$tc GOBIN=$dest "$GO" install ${tags:+-tags="$tags"} \
	    -ldflags="$ldflags" "$@" >"$dest/.build.log" 2>&1 || rc=$?
	cat "$dest/.build.log" >&2
	return "$rc"
}

# pin_list MODULE VERSION: a file proxy that lists only VERSION.  pkg@ver
# reads the module's version list for its deprecation check, and some
# filtering proxies refuse lists (403) while serving the version itself;
# everything but the list still comes from the real proxy.
pin_list() {
	d=$DIR/go/pin/$(echo "$1" | sed 's/[A-Z]/!&/g' | tr A-Z a-z)/@v
	mkdir -p "$d"
	echo "$2" >"$d/list"
	GOPROXY="file://$DIR/go/pin,$("$GO" env GOPROXY)"
	export GOPROXY
}

# build DEST LDFLAGS TAGS MODULE VERSION PKG@VER...: one go install for
# all packages, and one retry when the failure has a known workaround.
build() {
	dest=$1 ldflags=$2 tags=$3 mod=$4 ver=$5
	shift 5
	mkdir -p "$dest"
	t0=$(date +%s)
	if run_go "$TOOLCHAIN" "$dest" "$ldflags" "$tags" "$@"; then
		:
	elif grep -q 'loading deprecation\|loading retractions\|@v/list' \
	    "$dest/.build.log"; then
		say "WARNING: the module proxy refused the version list of" \
		    "$mod; retrying with a local file proxy listing only $ver"
		(pin_list "$mod" "$ver"
		 run_go "$TOOLCHAIN" "$dest" "$ldflags" "$tags" "$@") ||
		    die "go install failed: $*"
	elif [ "$TOOLCHAIN" != "$FALLBACK_TOOLCHAIN" ]; then
		say "WARNING: build with $TOOLCHAIN Go ($("$GO" env GOVERSION))" \
		    "failed; retrying with GOTOOLCHAIN=$FALLBACK_TOOLCHAIN" \
		    "(fetched through the module proxy)"
		run_go "$FALLBACK_TOOLCHAIN" "$dest" "$ldflags" "$tags" "$@" ||
		    die "go install failed with $FALLBACK_TOOLCHAIN too: $*"
	else
		die "go install failed: $*"
	fi
	say "built $* in $(($(date +%s) - t0))s"
}

# ts_peers VERSION: tailscaled and tailscale (and derper for the newest
# version with --derper); only the binaries that are not current.
ts_peers() {
	v=$1 dest=$DIR/$1 ldflags=$(ts_ldflags "$1") pkgs=
	cmds="tailscaled tailscale"
	if [ "$DERPER" = 1 ] && [ "$v" = "$NEWEST" ]; then
		cmds="$cmds derper"
	fi
	for c in $cmds; do
		current "$dest/$c" tailscale.com "$v" "$ldflags" "$TAGS" ||
		    pkgs="$pkgs tailscale.com/cmd/$c@$v"
	done
	if [ -z "$pkgs" ]; then
		say "tailscale $v: up to date in $dest"
	else
		# shellcheck disable=SC2086 # pkgs is a word list
		build "$dest" "$ldflags" "$TAGS" tailscale.com "$v" $pkgs
	fi
	for c in $cmds; do
		current "$dest/$c" tailscale.com "$v" "$ldflags" "$TAGS" ||
		    die "$dest/$c does not show tailscale.com $v after the build"
		BINS="$BINS $dest/$c"
	done
}

# hs_peer: headscale reports its version from the module build info, so no ldflags;
# the ts_omit tags are not passed since they would reach its tailscale deps.
hs_peer() {
	v=$HEADSCALE_VERSION dest=$DIR/$HEADSCALE_VERSION
	m=github.com/juanfont/headscale
	if current "$dest/headscale" "$m" "$v" "" ""; then
		say "headscale $v: up to date in $dest"
	else
		build "$dest" "" "" "$m" "$v" "$m/cmd/headscale@$v"
		current "$dest/headscale" "$m" "$v" "" "" ||
		    die "$dest/headscale does not show $m $v after the build"
	fi
	BINS="$BINS $dest/headscale"
}

# hs_cli_src DEST: the pinned commit built from HEADSCALE_CLI_GIT, its
# dependencies still from the module proxy.  A .commit stamp says what
# the binary was built from, since a source build has no module version.
hs_cli_src() {
	dest=$1
	[ -n "${HEADSCALE_CLI_GIT:-}" ] ||
	    die "the module proxy does not serve headscale" \
	    "$HEADSCALE_CLI_VERSION; set HEADSCALE_CLI_GIT to a git directory" \
	    "of github.com/juanfont/headscale holding $HEADSCALE_CLI_COMMIT"
	git -C "$HEADSCALE_CLI_GIT" cat-file -e "$HEADSCALE_CLI_COMMIT^{commit}" ||
	    die "$HEADSCALE_CLI_GIT does not hold $HEADSCALE_CLI_COMMIT"
	rm -rf "$dest/src"
	mkdir -p "$dest/src"
	git -C "$HEADSCALE_CLI_GIT" archive "$HEADSCALE_CLI_COMMIT" |
	    tar -x -C "$dest/src" || die "cannot unpack $HEADSCALE_CLI_COMMIT"
	say "building headscale $HEADSCALE_CLI_COMMIT from $HEADSCALE_CLI_GIT"
	(cd "$dest/src" && GOTOOLCHAIN=$TOOLCHAIN "$GO" build -trimpath \
	    -o "$dest/headscale" ./cmd/headscale) ||
	    die "go build of headscale $HEADSCALE_CLI_COMMIT failed"
	echo "$HEADSCALE_CLI_COMMIT" > "$dest/.commit"
}

# hs_cli_peer: headscale's main-branch CLI at the pinned commit, by
# go install when the proxy serves it, else from source.
hs_cli_peer() {
	short=$(echo "$HEADSCALE_CLI_COMMIT" | cut -c1-12)
	dest=$DIR/headscale-main-$short m=github.com/juanfont/headscale
	v=$HEADSCALE_CLI_VERSION
	if current "$dest/headscale" "$m" "$v" "" "" || { [ -x "$dest/headscale" ] &&
	    [ "$(cat "$dest/.commit" 2>/dev/null)" = "$HEADSCALE_CLI_COMMIT" ]; }; then
		say "headscale main $short: up to date in $dest"
	else
		mkdir -p "$dest"
		if run_go "$TOOLCHAIN" "$dest" "" "" "$m/cmd/headscale@$v"; then
			echo "$HEADSCALE_CLI_COMMIT" > "$dest/.commit"
		else
			say "WARNING: go install $m/cmd/headscale@$v failed"
			hs_cli_src "$dest"
		fi
	fi
	BINS="$BINS $dest/headscale"
}

# report BIN: path, size, module version and what the binary itself says.
report() {
	b=$1
	case ${b##*/} in
	tailscale) self=$("$b" version 2>&1 | head -n1) ;;
	headscale) self=$(HEADSCALE_DISABLE_CHECK_UPDATES=true \
	    "$b" version 2>&1 | head -n1) ;;
	*) self=$("$b" --version 2>&1 | head -n1) ;;
	esac
	mod=$("$GO" version -m "$b" | awk -F '\t' '$2 == "mod" { print $4 }')
	size=$(du -m "$b" | cut -f1)
	printf '%s\t%s MB\t%s\t%s\n' "$b" "$size" "$mod" "$self"
}

DERPER=0 HEADSCALE=0 HEADSCALE_CLI=0
for a; do
	case $a in
	--derper) DERPER=1 ;;
	--headscale) HEADSCALE=1 ;;
	--headscale-cli) HEADSCALE_CLI=1 ;;
	*) usage ;;
	esac
done
[ -n "$VERSIONS" ] || die "PEERS_VERSIONS is empty"
for v in $VERSIONS; do
	case $v in
	v[0-9]*.*.*) ;;
	*) die "bad version '$v' in PEERS_VERSIONS (want vX.Y.Z)" ;;
	esac
done
# derper is built once, at the newest version asked for.
NEWEST=$(printf '%s\n' $VERSIONS | sort -V | tail -n1)

find_go
go_env
mkdir -p "$DIR" || die "cannot create $DIR; set COORDD_PEERS_DIR"
say "using $GO ($("$GO" env GOVERSION)), cache $DIR"

BINS=
for v in $VERSIONS; do
	ts_peers "$v"
done
[ "$HEADSCALE" = 0 ] || hs_peer
[ "$HEADSCALE_CLI" = 0 ] || hs_cli_peer

for b in $BINS; do
	report "$b"
done
