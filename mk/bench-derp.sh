#!/bin/sh
# make bench-derp: DERP relay throughput, coordd's embedded relay against
# Tailscale's derper in the same run.
#
#	sh mk/bench-derp.sh [OUTFILE]	(BUILDDIR in the environment)
#
# For each server and packet size, one tests/tools/derpc floods random
# SendPackets to another one's key for BENCH_SECONDS, and the receiver
# counts what is delivered.  Servers run on CPU 0, both clients on CPU 1.
# Prints a table (also written to OUTFILE, default $BUILDDIR/bench-derp.txt)
# with the sender's and the receiver's packets/s, the receiver's MB/s
# (10^6 packet bytes), the server's CPU seconds during the run, and the
# coordd/derper ratio of delivered packets/s.
#
# Environment:
#	BENCH_SECONDS	seconds per run (10)
#	BENCH_SIZES	packet sizes ("1200 64")
#	COORDD_PEERS_DIR, PEERS_VERSIONS	as for mk/peers.sh, which is
#			run with --derper when derper is missing
#	GOMAXPROCS	reaches derper; pinned to one CPU, Go's default is 1,
#			which starves derper's writers under a flood
#
# Other work on the machine skews the figures: the table's first line has
# the load average before the runs.
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=${BUILDDIR:-$TOP/build}
OUT=${1:-$BUILDDIR/bench-derp.txt}
SECS=${BENCH_SECONDS:-10}
SIZES=${BENCH_SIZES:-"1200 64"}
TEST_NAME=bench-derp
DERPC="$BUILDDIR/tests/tools/derpc"

die() { echo "bench-derp: $*" >&2; exit 1; }

[ -x "$DERPC" ] && [ -x "$BUILDDIR/bin/coordd" ] ||
    die "no $DERPC or $BUILDDIR/bin/coordd; run make first"
command -v taskset >/dev/null || die "taskset (util-linux) is missing"
[ "$(nproc)" -ge 2 ] || die "two CPUs are needed (server and clients apart)"

# derper, as mk/peers.sh --derper installs it: the newest version.
PEERS=${COORDD_PEERS_DIR:-/var/cache/coordd-peers}
NEWEST=$(printf '%s\n' ${PEERS_VERSIONS:-$(sed -n \
    's/^PEERS_NEWEST=//p' "$TOP/mk/peers.sh")} | sort -V | tail -n1)
DERPER="$PEERS/$NEWEST/derper"
if [ ! -x "$DERPER" ]; then
	echo "bench-derp: no $DERPER; sh mk/peers.sh --derper" >&2
	sh "$TOP/mk/peers.sh" --derper >&2 || die "mk/peers.sh --derper failed"
	[ -x "$DERPER" ] || die "still no $DERPER after mk/peers.sh"
fi

# The suite in a temp dir, as the integration tests start it.
. "$TOP/tests/integration/lib.sh"
DERPER_PID= CLIENTS=
bench_cleanup() {
	for p in $CLIENTS $DERPER_PID; do
		kill -KILL "$p" 2>/dev/null
	done
	cleanup
}
trap bench_cleanup EXIT
trap 'exit 1' INT TERM HUP

wait_file() {	# wait_file FILE REGEX
	for _ in $(seq 1 100); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# CPU seconds (user + system, all threads) of a process.
HZ=$(getconf CLK_TCK)
cpu_of() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null |
	    awk -v hz="$HZ" '{ printf "%.2f\n", ($12 + $13) / hz }'
}

# coordd on CPU 0, its relay open to any key.
write_config
sed -i "s|^  server:\$|  server:\\
    enabled: true\\
    verify_clients: false\\
    stun_listen_addr: \"127.0.0.1:$PORT\"|" "$CONF"
RUN_AS="taskset -c 0"
suite_start || die "the suite did not come up (log: $LOG)"
wait_log "coordinator.*DERP public key" ||
    die "the coordinator has no DERP key (log: $LOG)"
COORD=$(child_pid coordinator)
[ -n "$COORD" ] || die "no coordinator process"

# derper on CPU 0, plain HTTP on a port of its own, no STUN.
DPORT=$(free_port $((MPORT + 1)))
taskset -c 0 "$DERPER" -c "$T/derper.json" -a "127.0.0.1:$DPORT" \
    -http-port -1 -stun=false >"$T/derper.log" 2>&1 &
DERPER_PID=$!
up=0
for _ in $(seq 1 100); do
	if curl -s -o /dev/null "http://127.0.0.1:$DPORT/derp/probe"; then
		up=1
		break
	fi
	kill -0 "$DERPER_PID" 2>/dev/null || break
	sleep 0.1
done
[ "$up" = 1 ] || { cat "$T/derper.log" >&2; die "derper did not come up"; }

# run NAME PORT PID SIZE: one flood; appends a row to $T/rows.
run() {
	name=$1 port=$2 spid=$3 size=$4 out="$T/$1-$4"
	c0=$(cpu_of "$spid")
	taskset -c 1 "$DERPC" 127.0.0.1 "$port" random sink "$SECS" \
	    >"$out.sink" 2>&1 &
	sink=$!
	CLIENTS="$sink"
	wait_file "$out.sink" "^login ok" ||
	    { cat "$out.sink" >&2; die "$name: the receiver did not log in"; }
	dst=$(sed -n 's/^key //p' "$out.sink")
	taskset -c 1 "$DERPC" 127.0.0.1 "$port" random flood "$dst" "$size" \
	    "$SECS" >"$out.flood" 2>&1 &
	flood=$!
	CLIENTS="$sink $flood"
	wait_pid "$flood" $((SECS + 15)) ||
	    { cat "$out.flood" >&2; die "$name: the sender failed"; }
	wait_pid "$sink" 15 ||
	    { cat "$out.sink" >&2; die "$name: the receiver failed"; }
	CLIENTS=
	c1=$(cpu_of "$spid")
	[ -n "$c0" ] && [ -n "$c1" ] || die "$name: the server is gone"
	set -- $(sed -n 's/^sent //p' "$out.flood") \
	    $(sed -n 's/^recv //p' "$out.sink")
	[ $# -eq 6 ] || { cat "$out.flood" "$out.sink" >&2;
	    die "$name: no counts from the clients"; }
	[ "$4" -gt 0 ] || die "$name $size: no packets delivered"
	awk -v n="$name" -v z="$size" -v sp="$1" -v ss="$3" -v rp="$4" \
	    -v rb="$5" -v rs="$6" -v c0="$c0" -v c1="$c1" 'BEGIN {
		if (rs <= 0) rs = 0.001
		printf "%-8s %5d %12.0f %12.0f %10.1f %7.2f\n", n, z,
		    sp / ss, rp / rs, rb / rs / 1e6, c1 - c0
	}' >>"$T/rows"
}

: >"$T/rows"
LOAD=$(cut -d ' ' -f 1-3 /proc/loadavg)
for size in $SIZES; do
	run coordd "$PORT" "$COORD" "$size"
	run derper "$DPORT" "$DERPER_PID" "$size"
done

{
	echo "DERP relay, ${SECS} s per run, server on CPU 0, clients on" \
	    "CPU 1 ($(date -u +%Y-%m-%dT%H:%M:%SZ), derper $NEWEST," \
	    "load average before $LOAD)"
	printf "%-8s %5s %12s %12s %10s %7s\n" server size "sent pkt/s" \
	    "recv pkt/s" "recv MB/s" "cpu s"
	cat "$T/rows"
	awk '{ r[$1 " " $2] = $4; c[$1 " " $2] = $6; z[$2] = 1 }
	END {
		for (s in z) {
			d = r["derper " s]
			q = d > 0 ? sprintf("%.2f", r["coordd " s] / d) : "-"
			d = c["derper " s]
			p = d > 0 ? sprintf("%.2f", c["coordd " s] / d) : "-"
			printf "ratio (coordd/derper) %5d: recv pkt/s %s," \
			    " cpu s %s\n", s, q, p
		}
	}' "$T/rows" | sort -k3,3nr
} >"$T/table"
mkdir -p "$(dirname "$OUT")"
cp "$T/table" "$OUT"
cat "$T/table"
echo "written to $OUT"
suite_stop
exit 0
