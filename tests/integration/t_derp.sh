# The embedded DERP relay at /derp on listen_addr, with tests/tools/derpc:
# stored makes
# the DERP key, two nodes of the tailnet relay a packet, Ping gets Pong,
# an unknown destination gets PeerGone "not here", a leaving peer
# PeerGone "disconnected", a frame over 1 MiB closes only its sender, and
# with verify_clients a node key outside the tailnet is turned away.
. "$(dirname "$0")/lib.sh"
TSC="$BUILDDIR/tests/client/tsc"
DERPC="$BUILDDIR/tests/tools/derpc"
DPORT=$PORT

write_config
sed -i "s|^  server:\$|  server:\\
    enabled: true\\
    verify_clients: true\\
    stun_listen_addr: \"127.0.0.1:$PORT\"|" "$CONF"
suite_start || finish
check "stored creates the DERP key" \
    wait_log "created the DERP private key $T/keys/derp_server_private.key"
check "the key file is headscale's privkey: form, mode 0600" \
    sh -c "grep -qE '^privkey:[0-9a-f]{64}\$' '$T/keys/derp_server_private.key' &&
    [ \"\$(stat -c %a '$T/keys/derp_server_private.key')\" = 600 ]"
check "the coordinator learns the DERP public key" \
    wait_log "coordinator.*DERP public key [0-9a-f]{64}"
wait_log "noise key check passed" >/dev/null

# Two nodes of the tailnet; their node private keys are in tsc's files.
ctl users create alice >/dev/null
key=$(ctl preauthkeys create --user alice --reusable -o json | jq -r .key)
"$TSC" "$URL" map "$T/a.key" "$key" alpha -c 1 >"$T/a.map" 2>&1
"$TSC" "$URL" map "$T/b.key" "$key" beta -c 1 >"$T/b.map" 2>&1
apriv=$(sed -n 2p "$T/a.key")
bpriv=$(sed -n 2p "$T/b.key")
check "two nodes registered" [ -n "$apriv" -a -n "$bpriv" ]

derpc() { "$DERPC" 127.0.0.1 "$DPORT" "$@"; }
wait_file() {	# wait_file FILE REGEX
	for _ in $(seq 1 100); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

derpc "$bpriv" recv sleep 1500 >"$T/b.out" 2>&1 &
BPID=$!
check "B logs in" wait_file "$T/b.out" "^login ok"
bpub=$(sed -n 's/^key //p' "$T/b.out")
nobody=$(printf '%064d' 7)
derpc "$apriv" send "$bpub" hello ping send "$nobody" x recv recv \
    >"$T/a.out" 2>&1
wait "$BPID"
apub=$(sed -n 's/^key //p' "$T/a.out")
check "A logs in" grep -q "^login ok" "$T/a.out"
check "a packet goes from A to B" grep -q "^recv $apub hello\$" "$T/b.out"
check "Ping gets Pong" grep -q "^pong\$" "$T/a.out"
check "an unknown destination gets PeerGone, not here" \
    grep -q "^gone $nobody 1\$" "$T/a.out"
check "B leaving gets A a PeerGone, disconnected" \
    grep -q "^gone $bpub 0\$" "$T/a.out"

# A frame over 1 MiB: its sender goes, the other client stays.
derpc "$bpriv" sleep 1000 ping >"$T/b2.out" 2>&1 &
BPID=$!
wait_file "$T/b2.out" "^login ok"
out=$(derpc "$apriv" big)
check "a frame over 1 MiB disconnects its sender" \
    sh -c "echo '$out' | grep -q '^eof\$'"
check "with a log line" wait_log "derp .*: frame over 1 MiB"
wait "$BPID"
check "the other client still gets its Pong" grep -q "^pong\$" "$T/b2.out"

# The WebSocket variant: B over WebSocket, A over the plain upgrade.
DERPC_WS=1 derpc "$bpriv" recv sleep 1500 >"$T/bw.out" 2>&1 &
BPID=$!
check "B logs in over WebSocket" wait_file "$T/bw.out" "^login ok"
derpc "$apriv" send "$bpub" hello-ws >/dev/null 2>&1
out=$(DERPC_WS=1 derpc "$apriv" ping)
wait "$BPID"
check "a packet reaches a WebSocket client"     grep -q "^recv $apub hello-ws\$" "$T/bw.out"
check "Ping gets Pong over WebSocket" sh -c "echo '$out' | grep -q '^pong\$'"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Upgrade: websocket' \
    -H 'Connection: Upgrade' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
    "http://127.0.0.1:$DPORT/derp")
check "a WebSocket upgrade without the derp subprotocol gets 400 ($code)" \
    [ "$code" = 400 ]
# An unmasked client frame breaks RFC 6455: that client goes, alone.
python3 - "$DPORT" >"$T/wsbad.out" 2>&1 <<'EOP'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /derp HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
          b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          b"Sec-WebSocket-Protocol: derp\r\n\r\n")
data = b""
while b"\r\n\r\n" not in data:
    data += s.recv(4096)
print(data.split(b"\r\n")[0].decode())
s.sendall(b"\x82\x05hello")
try:
    while s.recv(4096):
        pass
    print("closed")
except socket.timeout:
    print("still open")
EOP
check "the upgrade is a 101" grep -q "^HTTP/1.1 101" "$T/wsbad.out"
check "an unmasked frame gets the client disconnected" \
    grep -q "^closed" "$T/wsbad.out"
check "with a log line" wait_log "derp .*: WebSocket: .*mask"

# verify_clients: a stranger's node key is turned away.
out=$(derpc random ping)
rc=$?
check "a node key outside the tailnet is refused" \
    sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q '^login failed'"
check "with a log line" wait_log "derp .*: refused: node key not in the tailnet"
# The plain HTTP routes beside the relay.
check "/derp without an upgrade: 426" sh -c \
    "curl -s -o /dev/null -w '%{http_code}' $URL/derp | grep -qx 426"
check "/derp/probe: 200 for anyone's origin" sh -c \
    "curl -si $URL/derp/probe | grep -qi '^Access-Control-Allow-Origin: \\*'"
check "/derp/latency-check answers HEAD" sh -c \
    "curl -s -I -o /dev/null -w '%{http_code}' $URL/derp/latency-check | grep -qx 200"
check "/generate_204 echoes the challenge" sh -c \
    "curl -si -H 'X-Tailscale-Challenge: abc123' $URL/generate_204 |
    grep -qi '^X-Tailscale-Response: response abc123'"
# The relay's counters on metrics_listen_addr.
curl -fsS "http://127.0.0.1:$MPORT/metrics" > "$T/metrics" 2>&1
metric() { awk -v m="$1" '$1 == m { print $2 }' "$T/metrics"; }
check "/metrics: relayed packets and bytes ($(metric coordd_derp_packets_relayed_total))" \
    sh -c "[ '$(metric coordd_derp_packets_relayed_total)' -ge 1 ] &&
    [ '$(metric coordd_derp_bytes_relayed_total)' -ge 1 ]"
check "/metrics: logins and refusals ($(metric coordd_derp_logins_total), $(metric coordd_derp_refused_total))" \
    sh -c "[ '$(metric coordd_derp_logins_total)' -ge 2 ] &&
    [ '$(metric coordd_derp_refused_total)' -ge 1 ]"
check "/metrics: in Prometheus's text format" \
    grep -q '^# TYPE coordd_derp_packets_dropped_total counter$' "$T/metrics"
# NotePreferred: a client that calls this relay home is counted, and
# uncounted when it leaves.
home() { curl -fsS "http://127.0.0.1:$MPORT/metrics" |
    awk '$1 == "coordd_derp_clients_home" { print $2 }'; }
derpc "$bpriv" prefer 1 sleep 1500 >/dev/null 2>&1 &
BPID=$!
n=""
for _ in $(seq 1 50); do
	n=$(home)
	[ "$n" = 1 ] && break
	sleep 0.1
done
check "NotePreferred counts a home client ($n)" [ "$n" = 1 ]
wait "$BPID"
sleep 0.2
check "which is uncounted when it leaves ($(home))" [ "$(home)" = 0 ]
check "other paths on the metrics port: 404" sh -c \
    "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$MPORT/x | grep -qx 404"
# A node deleted while it holds a relay connection loses it.
derpc "$bpriv" recv >"$T/bdel.out" 2>&1 &
BPID=$!
wait_file "$T/bdel.out" "^login ok"
bid=$(ctl nodes list -o json | jq -r '.[] | select(.givenName == "beta") | .id')
ctl nodes delete -i "$bid" >/dev/null 2>&1
wait "$BPID"
check "deleting a node ends its relay connection" grep -q "^eof" "$T/bdel.out"
check "with a log line" wait_log "derp .*: node deleted from the tailnet"
check "the coordinator is still up" [ -n "$(child_pid coordinator)" ]
suite_stop
finish
