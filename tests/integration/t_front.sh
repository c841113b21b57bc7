# The front door on listen_addr: /health, /key, and the /ts2021 upgrade
# into Noise with the project's own client.  The server's Noise key is
# used only inside stored, over imsg.
. "$(dirname "$0")/lib.sh"
TSC="$BUILDDIR/tests/client/tsc"
suite_start || finish
wait_log "noise key check passed" >/dev/null

out=$("$TSC" "$URL" get /health)
check "GET /health: 200 pass ($out)" [ "$out" = '200 {"status":"pass"}' ]
key=$("$TSC" "$URL" key)
check "GET /key?v=113 gives the key stored holds ($key)" [ -n "$key" ] && \
    grep -q "coordinator.*noise public key $key" "$LOG"
out=$("$TSC" "$URL" get /key)
check "GET /key without v: 400 ($out)" sh -c "echo '$out' | grep -q '^400'"
out=$("$TSC" "$URL" get /nothing-here)
check "unknown path: 404" sh -c "echo '$out' | grep -q '^404'"
out=$("$TSC" "$URL" get '/key?v=113&x=%zz')
check "a malformed query is not a crash ($out)" sh -c "echo '$out' | grep -qE '^(200|400)'"

check "Noise handshake completes through stored" "$TSC" "$URL" handshake
check "the coordinator logs the established transport" wait_log "ts2021 .*Noise established, version 113"
out=$("$TSC" "$URL" badinit)
check "a corrupted initiation gets 400 ($out)" sh -c "echo '$out' | grep -q '^400'"
check "and a log line" wait_log "ts2021 .*handshake failed"

# Requests that are not HTTP, or too large, or never finish.
bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf 'BLAH\r\n\r\n' >&3; cat <&3" > "$T/resp" 2>/dev/null
check "garbage request: 400" grep -q "^HTTP/1.1 400" "$T/resp"
bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; head -c 20000 /dev/zero | tr '\\0' a | sed 's/^/GET \\//' >&3; cat <&3" > "$T/resp" 2>/dev/null
check "oversized request head: 431" grep -q "^HTTP/1.1 431" "$T/resp"
start=$(date +%s)
bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf 'GET /health HT' >&3; timeout 30 cat <&3" >/dev/null 2>&1
took=$(( $(date +%s) - start ))
check "a slow client is cut off ($took s)" [ "$took" -ge 9 ] && [ "$took" -le 20 ]
check "the front door still answers" "$TSC" "$URL" handshake

# HTTP/2 inside Noise.
"$TSC" "$URL" h2get /coordd/echo > "$T/out" 2>&1
mine=$(sed -n 's/^machine //p' "$T/out")
check "h2 GET /coordd/echo: 200 with our own machine key ($(tail -n 1 "$T/out"))" \
    grep -q "^200 .*\"machineKey\": *\"$mine\"" "$T/out"
check "and the path" grep -q '"path": *"/coordd/echo"' "$T/out"
out=$("$TSC" "$URL" h2get /machine/nothing 2>&1 | sed -n 2p)
check "h2 unknown path: 404 ($out)" sh -c "echo '$out' | grep -q '^404'"
head -c 150000 /dev/urandom | base64 > "$T/big"
size=$(wc -c < "$T/big")
"$TSC" "$URL" h2post /coordd/echo @"$T/big" > "$T/out" 2>&1
check "h2 POST echoes $size bytes ($(head -n 1 "$T/out"))" \
    [ "$(head -n 1 "$T/out")" = "200 $size" ]
tail -n +2 "$T/out" > "$T/echo"
check "byte for byte" cmp -s "$T/big" "$T/echo"
# With large client windows the answer outruns the socket: back-pressure.
head -c 700000 /dev/urandom | base64 -w 0 > "$T/big"
size=$(wc -c < "$T/big")
TSC_H2_WINDOW=16777216 "$TSC" "$URL" h2post /coordd/echo @"$T/big" > "$T/out" 2>&1
tail -n +2 "$T/out" > "$T/echo"
check "h2 POST echoes $size bytes with large windows ($(head -n 1 "$T/out"))" \
    cmp -s "$T/big" "$T/echo"
"$TSC" "$URL" h2get /coordd/ticks > "$T/out" 2>&1
check "a streamed answer, written later ($(sed -n 2p "$T/out"))" \
    [ "$(sed -n '2,$p' "$T/out" | tr '\n' ' ')" = "200 tick 0 tick 1 tick 2 tick 3 tick 4  " ]
out=$("$TSC" "$URL" h2reset 2>&1)
check "a stream reset by the client mid-answer ($out)" [ "$out" = "ok" ]
check "is noticed by its writer" wait_log "h2: stream 1 of connection [0-9]+ went away"
head -c 1200000 /dev/zero | tr '\0' x > "$T/huge"
out=$("$TSC" "$URL" h2post /coordd/echo @"$T/huge" 2>&1 | head -n 1)
check "h2 body over the limit: 413 ($out)" sh -c "echo '$out' | grep -q '^413 '"
check "and a log line" wait_log "h2 .*POST /coordd/echo answered 413"
out=$("$TSC" "$URL" h2many 200 2>&1)
check "200 concurrent streams on one connection ($out)" [ "$out" = "ok 200" ]
out=$("$TSC" "$URL" h2garbage 2>&1)
check "not HTTP/2 inside Noise: closed ($out)" [ "$out" = "closed" ]
check "with a log line" wait_log "ts2021 .*HTTP/2: .*closing"
# The record layer: replayed, reordered, too long or unknown records
# end that one connection with a log line.
for kind in replay reorder oversize badtype; do
	out=$("$TSC" "$URL" badrecord $kind 2>&1)
	check "a $kind record: closed ($out)" [ "$out" = "closed" ]
done
check "with log lines" sh -c "[ \$(grep -c 'ts2021 .*\\(record\\|decrypt\\|open\\)' '$LOG') -ge 4 ]"
out=$("$TSC" "$URL" h2get /coordd/echo 2>&1 | sed -n 2p)
check "and HTTP/2 still works ($out)" sh -c "echo '$out' | grep -q '^200 '"
check "the front door still answers" "$TSC" "$URL" handshake
cpid=$(child_pid coordinator)
holds=0
for fd in /proc/$cpid/fd/*; do
	case "$(readlink "$fd")" in *_private.key) holds=1 ;; esac
done
check "the coordinator never opened the key file" [ $holds -eq 0 ]
suite_stop
finish
