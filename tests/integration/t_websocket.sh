# The WebSocket variant of the /ts2021 upgrade: GET with the initiation
# in the query, the Noise bytes in binary WebSocket messages.  The
# handshake, HTTP/2 and a map poll over it; the POST variant beside it;
# and bad upgrades and bad frames, each closing only its own connection.
. "$(dirname "$0")/lib.sh"
TSC="$BUILDDIR/tests/client/tsc"
export COORDD_TEST_KEEPALIVE_MS=700
WS="ws+$URL"
suite_start || finish
wait_log "noise key check passed" >/dev/null
cpid=$(child_pid coordinator)
quiet() { "$@" >/dev/null; }

check "WebSocket handshake completes and authenticates the server" \
    quiet "$TSC" "$WS" handshake
check "the coordinator logs the established transport" \
    wait_log "ts2021 .*Noise established, version 113"
check "the POST variant still works" quiet "$TSC" "$URL" handshake

"$TSC" "$WS" h2get /coordd/echo > "$T/out" 2>&1
mine=$(sed -n 's/^machine //p' "$T/out")
check "h2 GET /coordd/echo over WebSocket: 200 with our machine key" \
    grep -q "^200 .*\"machineKey\": *\"$mine\"" "$T/out"
head -c 300000 /dev/urandom | base64 -w 0 > "$T/big"
size=$(wc -c < "$T/big")
TSC_H2_WINDOW=16777216 "$TSC" "$WS" h2post /coordd/echo @"$T/big" \
    > "$T/out" 2>&1
tail -n +2 "$T/out" > "$T/echo"
check "h2 POST echoes $size bytes over WebSocket ($(head -n 1 "$T/out"))" \
    cmp -s "$T/big" "$T/echo"
TSC_WS_FRAGMENT=1 "$TSC" "$WS" h2post /coordd/echo @"$T/big" \
    > "$T/out" 2>&1
tail -n +2 "$T/out" > "$T/echo"
check "and with fragmented messages and pings between ($(head -n 1 "$T/out"))" \
    cmp -s "$T/big" "$T/echo"
"$TSC" "$WS" h2get /coordd/ticks > "$T/out" 2>&1
check "a streamed answer over WebSocket" \
    [ "$(sed -n '2,$p' "$T/out" | tr '\n' ' ')" = "200 tick 0 tick 1 tick 2 tick 3 tick 4  " ]
out=$("$TSC" "$URL" wsbad ping 2>&1)
check "a ping is answered with a pong ($out)" [ "$out" = "pong" ]

check "users create alice" quiet ctl users create alice
key=$(ctl preauthkeys create --user alice --reusable -o json | jq -r .key)
"$TSC" "$WS" register "$key" wsreg > "$T/reg.out" 2>&1
check "register over WebSocket: 200 authorized ($(sed -n 3p "$T/reg.out" | cut -c1-60))" \
    sh -c "sed -n 3p '$T/reg.out' | grep -q '^200 .*\"MachineAuthorized\": *true'"
"$TSC" "$WS" map "$T/m.key" "$key" wsmap -c 2 -t 20 > "$T/map.out" 2>&1
f=$(sed -n 's/^frame 1 //p' "$T/map.out")
check "a map poll over WebSocket gets a full first frame" \
    sh -c "echo '$f' | jq -e '.Node and .DERPMap and (.Peers|type==\"array\")' >/dev/null"
check "and a keep-alive after it" grep -q "^frame 2 " "$T/map.out"

# Bad upgrades: an HTTP answer and a log line.
out=$("$TSC" "$URL" wsbad nokey 2>&1)
check "no Sec-WebSocket-Key: 400 ($out)" sh -c "echo '$out' | grep -q '^400 '"
check "with a log line" wait_log "ts2021 .*missing or bad Sec-WebSocket-Key"
out=$("$TSC" "$URL" wsbad v12 2>&1)
check "Sec-WebSocket-Version 12: 426 ($out)" sh -c "echo '$out' | grep -q '^426 '"
check "with a log line" wait_log "ts2021 .*WebSocket version 12"
bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf 'GET /ts2021 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: tailscale-control-protocol\r\n\r\n' >&3; cat <&3" > "$T/resp" 2>/dev/null
check "no handshake in the query: 400" grep -q "^HTTP/1.1 400" "$T/resp"

# Bad frames after the upgrade: a close frame, a log line, a hang-up.
out=$("$TSC" "$URL" wsbad unmasked 2>&1)
check "an unmasked frame: closed with 1002 ($out)" [ "$out" = "closed 1002" ]
check "with a log line" wait_log "ts2021 .*WebSocket: unmasked frame, closing"
out=$("$TSC" "$URL" wsbad oversized 2>&1)
check "an oversized frame: closed with 1009 ($out)" [ "$out" = "closed 1009" ]
check "with a log line" wait_log "ts2021 .*WebSocket: frame too large, closing"
out=$("$TSC" "$URL" wsbad text 2>&1)
check "a text frame: closed with 1003 ($out)" [ "$out" = "closed 1003" ]
check "with a log line" wait_log "ts2021 .*WebSocket: text frame, closing"
out=$("$TSC" "$URL" wsbad reserved 2>&1)
check "reserved bits: closed with 1002 ($out)" [ "$out" = "closed 1002" ]
check "with a log line" wait_log "ts2021 .*WebSocket: reserved bits set, closing"

check "the coordinator kept its pid" [ "$(child_pid coordinator)" = "$cpid" ]
check "WebSocket still works" quiet "$TSC" "$WS" handshake
check "POST still works" quiet "$TSC" "$URL" handshake
suite_stop
finish
