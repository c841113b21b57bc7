# make run's script: a generated config and keys in its run directory,
# five processes with their own titles, and coordctl as it prints it.
. "$(dirname "$0")/lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
ensure_users
RUNDIR="$T/run"
COORDD_PORT=$PORT COORDD_RUNDIR="$RUNDIR" sh "$TOP/mk/run.sh" "$BUILDDIR" >"$LOG" 2>&1 &
SH=$!
SOCK="$RUNDIR/coordd.sock"
for _ in $(seq 1 100); do
	[ -S "$SOCK" ] && ctl users list >/dev/null 2>&1 && break
	sleep 0.1
done
PARENT=$SH	# run.sh execs coordd
check "config written" [ -f "$RUNDIR/config.yaml" ]
check "it listens on 127.0.0.1" grep -q "listen_addr: 127.0.0.1:$PORT" "$RUNDIR/config.yaml"
check "noise key generated" grep -qE '^privkey:[0-9a-f]{64}$' "$RUNDIR/noise_private.key"
check "the database is in the run directory" [ -f "$RUNDIR/db.sqlite" ]
check "it prints the coordctl command" grep -q "coordctl -s $RUNDIR/coordd.sock users create alice" "$LOG"
check "parent title" [ "$(title_of $PARENT)" = "coordd: parent" ]
titles=$(for p in coordinator stored apid authd; do
	pid=$(child_pid $p); [ -n "$pid" ] && title_of $pid; done | sort | uniq | wc -l)
check "four children with distinct titles ($titles)" [ "$titles" -eq 4 ]
check "users create alice" ctl users create alice
check "preauthkeys create" sh -c "$BIN/coordctl -s $SOCK preauthkeys create --user alice --reusable -o json | grep -q hskey-auth-"
suite_stop
check "stops on SIGTERM" [ "$SUITE_STATUS" = 0 ]
finish
