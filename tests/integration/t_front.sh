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
cpid=$(child_pid coordinator)
holds=0
for fd in /proc/$cpid/fd/*; do
	case "$(readlink "$fd")" in *_private.key) holds=1 ;; esac
done
check "the coordinator never opened the key file" [ $holds -eq 0 ]
suite_stop
finish
