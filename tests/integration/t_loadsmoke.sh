# The load generator against the suite: 50 nodes reach a full mesh, then
# 10 s of churn at 5 changes a second must reach every sample node, none
# lost; the same nodes come back without the key; then a reconnect storm
# of the 50 after a restart of coordd.  Each node connects from its own
# 127.1.x.y, as the handshake limit is per source.
. "$(dirname "$0")/lib.sh"
LOADGEN="$BUILDDIR/tests/load/loadgen"
suite_start || finish
wait_log "noise key check passed" >/dev/null

check "users create load" sh -c "\"$BIN/coordctl\" -s '$SOCK' users create load >/dev/null"
key=$(ctl preauthkeys create --user load --reusable -o json | jq -r .key)
check "a reusable pre-auth key" [ -n "$key" ]

"$LOADGEN" -n 50 -s 10 -A "$key" -k "$T/load.keys" -c 10 -C 5 -t 25 \
    -P "$PARENT" -j "$T/load.json" "$URL" > "$T/load.out" 2>&1
rc=$?
[ $rc -eq 0 ] || cat "$T/load.out"
check "loadgen exits 0" [ $rc -eq 0 ]
j() { jq -r "$1" "$T/load.json" 2>/dev/null; }
check "all 50 registered at $(j '.registrations_per_sec|floor')/s" \
    [ "$(j .registered)" = 50 ]
check "full mesh in $(j '.full_mesh_seconds*1000|round/1000') s" [ "$(j .full_mesh)" = true ]
check "$(j .changes) changes, p50 $(j '.change_p50_ms*10|round/10') ms, max $(j '.change_max_ms*10|round/10') ms" \
    [ "$(j .changes)" -ge 40 ]
check "no change lost" [ "$(j .changes_lost)" = 0 ]
check "no failures" [ "$(j '.handshake_failures + .register_failures + .map_failures + .lite_failures + .drops')" = 0 ]
check "server: $(j .server_processes) processes, $(j '.server_cpu_seconds*100|round/100') cpu s, $(j .server_rss_per_node) B rss/node" \
    [ "$(j .server_rss_bytes)" -gt 0 ]

# A rerun with the same keys: restarted clients, no auth key.
"$LOADGEN" -n 50 -s 5 -R -A "$key" -k "$T/load.keys" -t 15 "$URL" \
    > "$T/load2.out" 2>&1
rc=$?
[ $rc -eq 0 ] || cat "$T/load2.out"
check "the same nodes come back without the key" [ $rc -eq 0 ]
check "and are still 50" [ "$(ctl nodes list -o json | jq length)" = 50 ]
check "the coordinator is still up" [ -n "$(child_pid coordinator)" ]

# A reconnect storm after a restart: once the 50 have their mesh, coordd
# is stopped and started on the same state; all 50 come back at once as
# restarted clients and must reach the mesh again, then changes must
# still reach every sample.
echo "$PARENT" > "$T/server.pid"
"$LOADGEN" -n 50 -s 10 -W -A "$key" -k "$T/load.keys" -c 5 -C 5 -t 40 \
    -P "$T/server.pid" -j "$T/storm.json" "$URL" > "$T/storm.out" 2>&1 &
lgpid=$!
for _ in $(seq 1 150); do
	grep -q "waiting for the server" "$T/storm.out" && break
	kill -0 "$lgpid" 2>/dev/null || break
	sleep 0.1
done
check "the storm's nodes have their mesh" grep -q "waiting for the server" \
    "$T/storm.out"
suite_stop
suite_start || finish
echo "$PARENT" > "$T/server.pid"
wait "$lgpid"
rc=$?
[ $rc -eq 0 ] || cat "$T/storm.out"
check "loadgen exits 0 after the storm" [ $rc -eq 0 ]
s() { jq -r "$1" "$T/storm.json" 2>/dev/null; }
check "all 50 have the full mesh again $(s '.storm_seconds*1000|round/1000') s after the restart" \
    [ "$(s .storm_done)" = true ]
check "no failures in the storm" [ "$(s .storm_failures)" = 0 ]
check "then $(s .changes) changes, p50 $(s '.change_p50_ms*10|round/10') ms" \
    [ "$(s .changes)" -ge 20 ]
check "none of them lost" [ "$(s .changes_lost)" = 0 ]
check "the coordinator is up after the storm" [ -n "$(child_pid coordinator)" ]
suite_stop
finish
