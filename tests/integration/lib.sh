# Helpers for the integration tests: start the suite in a temp dir,
# drive it with coordctl, find its processes.
# Each test sources this, calls suite_start, and uses ok/fail.

BUILDDIR=${BUILDDIR:?}
BIN="$BUILDDIR/bin"
T=$(mktemp -d /tmp/coordd-it.XXXXXX)
chmod 755 "$T"
SOCK="$T/coordd.sock"
CONF="$T/config.yaml"
LOG="$T/coordd.log"
# A port of our own, so that tests and a developer's make run coexist.
# Skip ports something else holds: other suites may run at the same time.
PORT=$((20000 + $$ % 20000))
while ss -Hltun "sport = :$PORT" 2>/dev/null | grep -q .; do
	PORT=$((20000 + (PORT - 20000 + 97) % 20000))
done
URL="http://127.0.0.1:$PORT"
MPORT=$((PORT + 1))		# metrics_listen_addr
PARENT=""
FAILED=0
RUN_AS=

# The coordinator's echo and streaming routes, for the protocol tests.
export COORDD_TEST_ROUTES=1

# Sanitizer builds: leak checks cannot run inside a chroot.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0"

cleanup() {
	suite_kill
	if [ "$FAILED" -ne 0 ] && [ -f "$LOG" ]; then
		echo "--- coordd log ---"; tail -n 40 "$LOG"; echo "---"
	fi
	[ -n "${KEEP_T:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

ok() { echo "ok - $TEST_NAME: $*"; }
fail() { echo "not ok - $TEST_NAME: $*"; FAILED=1; }
check() {	# check "what" command...
	what=$1; shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# As root the children switch to their own users; make sure they exist.
ensure_users() {
	[ "$(id -u)" -eq 0 ] || return 0
	for u in _coordd _coordd_store _coordd_api _coordd_auth; do
		getent passwd "$u" >/dev/null 2>&1 && continue
		useradd --system --no-create-home --home-dir /var/empty \
		    --shell /usr/sbin/nologin "$u" || return 1
	done
}

write_config() {
	cat > "$CONF" <<EOC
server_url: $URL
listen_addr: 127.0.0.1:$PORT
metrics_listen_addr: 127.0.0.1:$MPORT
noise:
  private_key_path: $T/keys/noise_private.key
prefixes:
  v4: 100.64.0.0/10
  v6: fd7a:115c:a1e0::/48
database:
  type: sqlite
  sqlite:
    path: $T/state/db.sqlite
derp:
  server:
    private_key_path: $T/keys/derp_server_private.key
dns:
  magic_dns: true
  base_domain: tailnet.example
  override_local_dns: false
unix_socket: $SOCK
unix_socket_permission: "0770"
EOC
}

ctl() { "$BIN/coordctl" -s "$SOCK" "$@"; }

# Wait up to 10 s for a line matching an extended regex in the log.
wait_log() {
	for _ in $(seq 1 100); do
		grep -qE "$1" "$LOG" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# The title of a process, its padding trimmed.
title_of() { ps -o args= -p "$1" | awk '{ print $1, $2 }'; }

suite_start() {
	[ -f "$CONF" ] || write_config
	ensure_users || { fail "cannot create the daemon users"; return 1; }
	$RUN_AS "$BIN/coordd" -d -v -f "$CONF" >>"$LOG" 2>&1 &
	PARENT=$!
	for _ in $(seq 1 100); do
		if [ -S "$SOCK" ] && ctl users list >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$PARENT" 2>/dev/null || break
		sleep 0.1
	done
	fail "suite did not come up"
	return 1
}

# The pid of the child with this title ("stored", "apid", ...).
child_pid() {
	# setproctitle pads the title; compare its first two words.
	ps -o pid=,args= --ppid "$PARENT" 2>/dev/null |
	    awk -v t="$1" '$2 == "coordd:" && $3 == t { print $1 }' |
	    head -n 1
}

# wait_pid PID SECONDS: wait for PID and return its status; after
# SECONDS kill it and return 124, as timeout(1) does.
wait_pid() {
	wn=$(($2 * 10))
	while kill -0 "$1" 2>/dev/null && [ "$wn" -gt 0 ]; do
		sleep 0.1
		wn=$((wn - 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		return 124
	fi
	wait "$1"
}

# term_wait PID TENTHS: SIGTERM, then up to TENTHS tenths of a second
# for it to go.
term_wait() {
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 1 "$2"); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
}

free_port() {	# free_port START: the first port from START nobody holds
	p=$1
	while ss -Hltun "sport = :$p" 2>/dev/null | grep -q .; do
		p=$((p + 1))
	done
	echo "$p"
}

suite_stop() {
	[ -n "$PARENT" ] || return 0
	term_wait "$PARENT" 100
	wait "$PARENT" 2>/dev/null
	SUITE_STATUS=$?
	PARENT=""
}

suite_kill() {
	[ -n "$PARENT" ] || return 0
	pkill -KILL -P "$PARENT" 2>/dev/null
	kill -KILL "$PARENT" 2>/dev/null
	wait "$PARENT" 2>/dev/null
	PARENT=""
}

# Any sanitizer report or libevent complaint in the log is a failure.
check_log() {
	[ -f "$LOG" ] || return 0
	if grep -qE "ERROR: (Address|Leak|Memory)Sanitizer|runtime error:|^\[warn\]|^\[err\]" "$LOG"; then
		grep -E "ERROR: |runtime error:|^\[warn\]|^\[err\]" "$LOG" | head -5
		fail "the log has sanitizer or libevent reports"
	else
		ok "the log is free of sanitizer and libevent reports"
	fi
}

finish() {
	check_log
	[ "$FAILED" -eq 0 ]
	exit $?
}
