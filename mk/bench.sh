#!/bin/sh
# make bench: the control plane under load, coordd against headscale
# v0.29.2 in the same run, with tests/load/loadgen driving both.
#
#	sh mk/bench.sh [OUTFILE]	(BUILDDIR in the environment)
#
# Scenarios (node counts before BENCH_SCALE):
#	a	1,000 static nodes
#	b	5,000 static nodes
#	c	1,000 static nodes and 80 roaming ones, each changing its
#		endpoint every BENCH_ROAM_EVERY seconds
#	d	a reconnect storm of 2,000 nodes after a server restart: the
#		mesh, then the server is stopped and started again on the
#		same state, and every node comes back at once as a restarted
#		client (register without the auth key, map stream)
#	e	a ladder from 500 nodes, doubling while change p99 <= 1 s and
#		the full mesh takes <= 120 s: the largest N the server holds
# Each server runs on CPU 0, the loadgen on CPU 1; each scenario (and
# each rung of the ladder) starts the server on an empty state directory.
# a, b, d and e end with BENCH_CHURN seconds of endpoint changes at
# BENCH_RATE a second on random nodes, c with the roaming nodes' changes;
# a change is timed until every sample node has seen it (lost after
# 10 s).  Figures per scenario and server: registrations/s, time to the
# full mesh, the storm's time to the full mesh again and its failures,
# change p50/p95/p99, lost changes, the server's peak RSS and CPU
# seconds, RSS per node and map bytes received per node.  One table with
# both servers and the ratios goes to stdout and to OUTFILE (default
# BENCH_OUT or $BUILDDIR/bench.txt); per-run logs stay in BENCH_KEEP.
#
# Environment:
#	BENCH_SCENARIOS	which ones ("a b c d e")
#	BENCH_SERVERS	which servers ("coordd headscale")
#	BENCH_SCALE	multiplies every node count (1); 0.1 for a quick try
#	BENCH_TIMEOUT	seconds a scenario may take per server (900); past
#			it the row says "did not complete (timeout N s)";
#			a rung of e gets 120 s and the churn and 60 s more
#	BENCH_CHURN	seconds of changes after the mesh (20)
#	BENCH_RATE	changes a second in a, b, d and e (5)
#	BENCH_ROAM_EVERY seconds between one roaming node's changes (4)
#	BENCH_LADDER_MAX largest N the ladder tries (16000, scaled, and
#			what the descriptor limit allows)
#	BENCH_KEEP	a directory to keep the logs and JSON in
#	HEADSCALE	the headscale binary (COORDD_PEERS_DIR, default
#			/var/cache/coordd-peers, /v0.29.2/headscale; installed
#			by mk/peers.sh --headscale when missing)
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=${BUILDDIR:-$TOP/build}
OUT=${1:-${BENCH_OUT:-$BUILDDIR/bench.txt}}
SCENARIOS=${BENCH_SCENARIOS:-"a b c d e"}
SERVERS=${BENCH_SERVERS:-"coordd headscale"}
SCALE=${BENCH_SCALE:-1}
TMO=${BENCH_TIMEOUT:-900}
CHURN=${BENCH_CHURN:-20}
RATE=${BENCH_RATE:-5}
ROAM_EVERY=${BENCH_ROAM_EVERY:-4}
LADDER_MAX=${BENCH_LADDER_MAX:-16000}
HSVER=v0.29.2
PEERS=${COORDD_PEERS_DIR:-/var/cache/coordd-peers}
HEADSCALE=${HEADSCALE:-$PEERS/$HSVER/headscale}
LOADGEN="$BUILDDIR/tests/load/loadgen"
TEST_NAME=bench

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

[ -x "$LOADGEN" ] && [ -x "$BUILDDIR/bin/coordd" ] ||
    die "no $LOADGEN or $BUILDDIR/bin/coordd; run make first"
for c in taskset jq curl; do
	command -v "$c" >/dev/null || die "$c is missing"
done
[ "$(nproc)" -ge 2 ] || die "two CPUs are needed (server and loadgen apart)"
case " $SERVERS " in
*" headscale "*)
	if [ ! -x "$HEADSCALE" ]; then
		say "no $HEADSCALE; sh mk/peers.sh --headscale"
		sh "$TOP/mk/peers.sh" --headscale >&2 ||
		    die "mk/peers.sh --headscale failed"
		[ -x "$HEADSCALE" ] || die "still no $HEADSCALE"
	fi ;;
esac

# The temp dir, ensure_users, child_pid and the cleanup come from here.
. "$TOP/tests/integration/lib.sh"
SPID= LGPID=
bench_cleanup() {
	[ -n "$LGPID" ] && kill -KILL "$LGPID" 2>/dev/null
	[ -n "$SPID" ] && srv_kill
	if [ -n "${BENCH_KEEP:-}" ]; then
		mkdir -p "$BENCH_KEEP" && cp -R "$T"/. "$BENCH_KEEP"/ 2>/dev/null
	fi
	cleanup
}
trap bench_cleanup EXIT
trap 'exit 1' INT TERM HUP
ensure_users || die "cannot create the daemon users"

HPORT=$(free_port $((MPORT + 1)))
HMPORT=$(free_port $((HPORT + 1)))
HGPORT=$(free_port $((HMPORT + 1)))

# scale N: N times BENCH_SCALE, at least 2.
scale() {
	awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s + 0.5);
	    print v < 2 ? 2 : v }'
}

# The file descriptors bound the nodes: one each, in both processes.
FDMAX=$(($(ulimit -Hn 2>/dev/null || echo 4096) - 256))
LADDER_MAX=$(scale "$LADDER_MAX")
[ "$LADDER_MAX" -gt "$FDMAX" ] && LADDER_MAX=$FDMAX

# One DERP map for both servers: a region on loopback, nothing fetched.
cat >"$T/derp.yaml" <<EOF
regions:
  900:
    regionid: 900
    regioncode: lo
    regionname: loopback
    nodes:
      - name: 900a
        regionid: 900
        hostname: 127.0.0.1
        ipv4: 127.0.0.1
        ipv6: none
        stunport: -1
        derpport: 3340
EOF

coordd_conf() {	# coordd_conf DIR
	cat >"$1/config.yaml" <<EOF
server_url: http://127.0.0.1:$PORT
listen_addr: 127.0.0.1:$PORT
metrics_listen_addr: 127.0.0.1:$MPORT
noise:
  private_key_path: $1/keys/noise_private.key
prefixes:
  v4: 100.64.0.0/10
  v6: fd7a:115c:a1e0::/48
database:
  type: sqlite
  sqlite:
    path: $1/state/db.sqlite
derp:
  server:
    enabled: false
    private_key_path: $1/keys/derp_server_private.key
  urls: []
  paths: [$T/derp.yaml]
  auto_update_enabled: false
dns:
  magic_dns: true
  base_domain: tailnet.test
  override_local_dns: false
unix_socket: $1/coordd.sock
unix_socket_permission: "0770"
logtail:
  enabled: false
EOF
}

# As §6 of the harness spec, with our DERP map and no embedded relay.
hs_conf() {	# hs_conf DIR
	cat >"$1/config.yaml" <<EOF
server_url: http://127.0.0.1:$HPORT
listen_addr: 127.0.0.1:$HPORT
metrics_listen_addr: 127.0.0.1:$HMPORT
grpc_listen_addr: 127.0.0.1:$HGPORT
disable_check_updates: true
noise: { private_key_path: $1/noise_private.key }
prefixes: { v4: 100.64.0.0/10, v6: fd7a:115c:a1e0::/48, allocation: sequential }
derp:
  server: { enabled: false }
  urls: []
  paths: [$T/derp.yaml]
  auto_update_enabled: false
database: { type: sqlite, sqlite: { path: $1/db.sqlite, write_ahead_log: true } }
node: { expiry: 0, ephemeral: { inactivity_timeout: 30m } }
dns: { magic_dns: true, base_domain: tailnet.test, override_local_dns: false, nameservers: { global: [] } }
policy: { mode: file, path: "" }
unix_socket: $1/hs.sock
log: { level: info }
logtail: { enabled: false }
EOF
}

# srv_start SERVER DIR: the server on CPU 0 with its state in DIR (kept
# across a restart); its pid in DIR/pid, SPID, and SURL.
srv_start() {
	srv=$1 sdir=$2
	mkdir -p "$sdir"
	if [ "$srv" = coordd ]; then
		[ -f "$sdir/config.yaml" ] || coordd_conf "$sdir"
		taskset -c 0 "$BIN/coordd" -d -f "$sdir/config.yaml" \
		    >>"$sdir/server.log" 2>&1 &
		SPID=$!
		SURL=http://127.0.0.1:$PORT
	else
		[ -f "$sdir/config.yaml" ] || hs_conf "$sdir"
		taskset -c 0 "$HEADSCALE" -c "$sdir/config.yaml" serve \
		    >>"$sdir/server.log" 2>&1 &
		SPID=$!
		SURL=http://127.0.0.1:$HPORT
	fi
	PARENT=$SPID	# lib.sh's cleanup kills it
	echo "$SPID" >"$sdir/pid"
	for _ in $(seq 1 600); do
		srv_ready "$srv" "$sdir" && return 0
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$sdir/server.log" >&2
	say "$srv did not come up"
	return 1
}

srv_ready() {	# srv_ready SERVER DIR
	if [ "$1" = coordd ]; then
		[ -S "$2/coordd.sock" ] &&
		    "$BIN/coordctl" -s "$2/coordd.sock" users list \
		    >/dev/null 2>&1
	else
		curl -fsS -o /dev/null "http://127.0.0.1:$HPORT/health" \
		    2>/dev/null
	fi
}

# srv_stop: TERM, as a service manager would, then KILL after 20 s.
srv_stop() {
	[ -n "$SPID" ] || return 0
	term_wait "$SPID" 200
	srv_kill
}

srv_kill() {
	[ -n "$SPID" ] || return 0
	pkill -KILL -P "$SPID" 2>/dev/null
	kill -KILL "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	SPID= PARENT=
}

# srv_key SERVER DIR: a user and a reusable pre-auth key of it.
srv_key() {
	if [ "$1" = coordd ]; then
		"$BIN/coordctl" -s "$2/coordd.sock" users create bench \
		    >/dev/null &&
		"$BIN/coordctl" -s "$2/coordd.sock" preauthkeys create \
		    --user bench --reusable -o json | jq -r .key
		return
	fi
	hs="$HEADSCALE -c $2/config.yaml"
	$hs users create bench >/dev/null || return 1
	uid=$($hs users list -o json | jq -r '.[]|select(.name=="bench").id')
	$hs preauthkeys create -u "$uid" --reusable -e 24h -o json |
	    jq -r .key
}

# wait_line FILE REGEX PID SECONDS: until FILE has the line, PID lives.
wait_line() {
	wn=$(($4 * 10))
	while [ "$wn" -gt 0 ]; do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
		wn=$((wn - 1))
	done
	return 1
}

# run SCEN SERVER DIR NODES TIMEOUT LOADGEN-ARGS...: one loadgen run
# against a fresh server; d restarts the server when the mesh is there.
# Leaves DIR/lg.json, DIR/lg.out and DIR/status (ok, or why not).
run() {
	scen=$1 srv=$2 dir=$3 nodes=$4 tmo=$5
	shift 5
	mkdir -p "$dir"
	echo "server did not start" >"$dir/status"
	srv_start "$srv" "$dir" || { srv_kill; return 1; }
	PARENT=$SPID
	key=$(srv_key "$srv" "$dir")
	[ -n "$key" ] || { echo "no pre-auth key" >"$dir/status"; srv_stop;
	    return 1; }
	say "$scen $srv: $nodes nodes ($*)"
	taskset -c 1 "$LOADGEN" -n "$nodes" -A "$key" -k "$dir/lg.keys" \
	    -P "$dir/pid" -j "$dir/lg.json" -t "$tmo" "$@" "$SURL" \
	    >"$dir/lg.out" 2>&1 &
	LGPID=$!
	if [ "$scen" = d ] && ! restart "$srv" "$dir" "$tmo"; then
		kill -KILL "$LGPID" 2>/dev/null
		wait "$LGPID" 2>/dev/null
		LGPID=
		srv_stop
		return 1
	fi
	# The load generator's own status is the verdict's to read.
	wait_pid "$LGPID" $((tmo + 30))
	if [ $? -eq 124 ]; then
		echo "did not complete (timeout $tmo s)" >"$dir/status"
	else
		verdict "$dir" "$tmo"
	fi
	LGPID=
	srv_stop
}

# restart SERVER DIR TIMEOUT: once the loadgen has its mesh, the server
# is stopped and started again on the same state.
restart() {
	if ! wait_line "$2/lg.out" "waiting for the server" "$LGPID" "$3"; then
		wait_pid "$LGPID" 5 || true
		verdict "$2" "$3"
		return 1
	fi
	srv_stop
	srv_start "$1" "$2" && return 0
	echo "the server did not start again" >"$2/status"
	kill -KILL "$LGPID" 2>/dev/null
	return 1
}

verdict() {	# verdict DIR TIMEOUT: DIR/status from DIR/lg.json
	if ! jq -e . "$1/lg.json" >/dev/null 2>&1; then
		tail -n 5 "$1/lg.out" >&2
		echo "the loadgen failed" >"$1/status"
	elif jq -e '(.error // "" | test("bound")) or .full_mesh != true' \
	    "$1/lg.json" >/dev/null; then
		# No full mesh is no result, whatever the loadgen's words.
		echo "did not complete (timeout $2 s)" >"$1/status"
	else
		echo ok >"$1/status"
	fi
}

# row SCEN SERVER DIR [NOTE]: the figures of one run, a line of $T/rows.
row() {
	st=$(cat "$3/status")
	if [ "$st" != ok ] || [ ! -s "$3/lg.json" ]; then
		printf '%s\t%s\t%s\n' "$1" "$2" "$st" >>"$T/rows"
		return
	fi
	jq -r --arg sc "$1" --arg sv "$2" --arg note "${4:-}" '[
	    $sc, $sv, "ok", .nodes, .registrations_per_sec,
	    .full_mesh_seconds, (.storm_seconds // -1),
	    (if .storm then .storm_failures else .handshake_failures +
	    .register_failures + .map_failures + .drops end),
	    (if .changes_arrived > 0 then .change_p50_ms, .change_p95_ms,
	    .change_p99_ms else -1, -1, -1 end), .changes_lost, .changes,
	    (.server_rss_peak_bytes / 1e6), .server_cpu_seconds,
	    .server_rss_per_node, .received_bytes_per_node, $note
	    ] | @tsv' "$3/lg.json" >>"$T/rows"
}

churn() { printf '%s\n' "-c $CHURN -C $RATE"; }

scen_static() {	# scen_static SCEN SERVER NODES
	n=$(scale "$3")
	run "$1" "$2" "$T/$1-$2" "$n" "$TMO" $(churn)
	row "$1" "$2" "$T/$1-$2"
}

scen_roam() {	# scen_roam SERVER
	n=$(scale 1000) m=$(scale 80)
	r=$(awk -v m="$m" -v e="$ROAM_EVERY" 'BEGIN { print m / e }')
	run c "$1" "$T/c-$1" $((n + m)) "$TMO" -m "$m" -c "$CHURN" -C "$r"
	row c "$1" "$T/c-$1" "$m roaming"
}

scen_storm() {	# scen_storm SERVER
	run d "$1" "$T/d-$1" "$(scale 2000)" "$TMO" -W $(churn)
	row d "$1" "$T/d-$1"
}

# The ladder: a rung holds when it completes, with no change lost, the
# mesh within 120 s and change p99 within 1 s.
rung_holds() {	# rung_holds DIR
	[ "$(cat "$1/status")" = ok ] && jq -e '.full_mesh and
	    .full_mesh_seconds <= 120 and .change_p99_ms <= 1000 and
	    .changes_lost == 0 and .changes > 0' "$1/lg.json" >/dev/null 2>&1
}

rung_why() {	# rung_why DIR: why a rung did not hold
	st=$(cat "$1/status")
	[ "$st" != ok ] && { echo "$st"; return; }
	jq -r 'if .full_mesh_seconds > 120 or (.full_mesh | not) then
	    "mesh \(.full_mesh_seconds * 10 | round / 10) s"
	    elif .changes_lost > 0 then "\(.changes_lost) changes lost"
	    else "p99 \(.change_p99_ms | round) ms" end' "$1/lg.json"
}

scen_ladder() {	# scen_ladder SERVER
	rung=$(scale 500) best= note=
	while :; do
		if [ "$rung" -gt "$LADDER_MAX" ]; then
			note="stopped at the limit $LADDER_MAX"
			break
		fi
		d="$T/e-$1-$rung"
		run e "$1" "$d" "$rung" $((120 + CHURN + 60)) $(churn)
		if ! rung_holds "$d"; then
			note="$rung: $(rung_why "$d")"
			break
		fi
		best=$d
		rung=$((rung * 2))
	done
	say "e $1: ${best:+largest ${best##*-}, }$note"
	if [ -n "$best" ]; then
		row e "$1" "$best" "then $note"
	elif [ "$(cat "$d/status")" = ok ]; then
		row e "$1" "$d" "none held: $note"
	else
		printf '%s\t%s\t%s\n' e "$1" "none held: $note" >>"$T/rows"
	fi
}

: >"$T/rows"
LOAD=$(cut -d ' ' -f 1-3 /proc/loadavg)
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for sc in $SCENARIOS; do
	for srv in $SERVERS; do
		case $sc in
		a) scen_static a "$srv" 1000 ;;
		b) scen_static b "$srv" 5000 ;;
		c) scen_roam "$srv" ;;
		d) scen_storm "$srv" ;;
		e) scen_ladder "$srv" ;;
		*) die "no scenario $sc" ;;
		esac
	done
done

# The table: a row per scenario and server, then the ratio of each
# figure as "coordd better by X" (headscale's over coordd's, or coordd's
# over headscale's where more is better).  Rows of $T/rows: scenario,
# server, status, then when ok: nodes reg/s mesh storm fails p50 p95 p99
# lost changes rss-MB cpu rss/node map-bytes/node note.
TABLE_AWK='
function num(v, f) { return v < 0 ? "-" : sprintf(f, v) }
function x(a, b) { return (a > 0 && b > 0) ? sprintf("%.1fx", a / b) : "-" }
function held(k) { return f[k, 18] !~ /^none held/ }
function ladder(s, c, h) {
	if (s != "e")
		return ""
	if (!held(c) || !held(h))
		return "largest N: " (held(c) ? "headscale" : "coordd") \
		    " held none"
	return "largest N " x(f[c, 4], f[h, 4])
}
BEGIN {
	fmt = "%-4s %-9s %6s %8s %7s %7s %5s %8s %8s %8s %5s %7s %7s %8s %8s  %s\n"
	printf fmt, "scen", "server", "nodes", "reg/s", "mesh s", "storm s",
	    "fails", "p50 ms", "p95 ms", "p99 ms", "lost", "rss MB", "cpu s",
	    "rss B/n", "map B/n", "note"
}
{
	key = $1 " " $2
	order[++nrows] = key
	ok[key] = $3 == "ok"
	if (!ok[key]) {
		printf "%-4s %-9s %s\n", $1, $2, $3
		next
	}
	for (i = 4; i <= 18; i++)
		f[key, i] = $i
	printf fmt, $1, $2, $4, num($5, "%.1f"), num($6, "%.2f"),
	    num($7, "%.2f"), num($8, "%d"), num($9, "%.1f"), num($10, "%.1f"),
	    num($11, "%.1f"), $12 "/" $13, num($14, "%.1f"), num($15, "%.2f"),
	    $16, $17, $18
	if ($2 != "headscale" || !ok[$1 " coordd"])
		next
	c = $1 " coordd"
	h = key
	if ($1 == "e") {	# rungs of different sizes: only N compares
		printf fmt, $1, "coordd by", "", "", "", "", "", "", "", "", "",
		    "", "", "", "", ladder($1, c, h)
		next
	}
	printf fmt, $1, "coordd by", "", x(f[c, 5], f[h, 5]),
	    x(f[h, 6], f[c, 6]), x(f[h, 7], f[c, 7]),
	    "", x(f[h, 9], f[c, 9]), x(f[h, 10], f[c, 10]),
	    x(f[h, 11], f[c, 11]), "", x(f[h, 14], f[c, 14]),
	    x(f[h, 15], f[c, 15]), x(f[h, 16], f[c, 16]),
	    x(f[h, 17], f[c, 17]), ""
}'

table() {
	echo "make bench: coordd against headscale $HSVER, server on CPU 0," \
	    "loadgen on CPU 1"
	echo "($START, $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' \
	    /proc/cpuinfo | head -n 1), load average before $LOAD;" \
	    "BENCH_SCALE $SCALE, churn $CHURN s;"
	echo " headscale defaults: tuning.batch_change_delay 800ms," \
	    "tuning.node_store_batch_timeout 500ms)"
	awk -F '\t' "$TABLE_AWK" "$T/rows"
}
table >"$T/table"
mkdir -p "$(dirname "$OUT")"
cp "$T/table" "$OUT"
cat "$T/table"
echo "written to $OUT"
exit 0
