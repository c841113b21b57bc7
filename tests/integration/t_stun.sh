# The embedded STUN server on derp.server.stun_listen_addr: a Tailscale
# binding request is answered with the sender's own address and port,
# garbage gets no answer and no crash, a taken port stops the suite with
# the address named, and with derp.server.enabled false nothing is bound.
# The client is python3, whose zlib CRC-32 is independent of ours.
. "$(dirname "$0")/lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	fail "python3 is missing (mk/deps installs it)"
	exit 1
fi
SPORT=$PORT	# UDP: the same number as the TCP listen_addr is free

cat > "$T/stunc.py" <<'EOP'
import os, socket, struct, sys, zlib

def request(txid):
    body = struct.pack(">HH", 0x8022, 8) + b"tailnode"
    head = struct.pack(">HHI", 1, len(body) + 8, 0x2112A442) + txid
    fp = (zlib.crc32(head + body) ^ 0x5354554E) & 0xffffffff
    return head + body + struct.pack(">HHI", 0x8028, 4, fp)

def xor_mapped(resp, txid):
    if len(resp) < 20 or resp[0:2] != b"\x01\x01" or resp[8:20] != txid:
        return None
    alen = struct.unpack(">H", resp[2:4])[0]
    if alen != len(resp) - 20:
        return None
    b = resp[20:]
    while len(b) >= 4:
        t, l = struct.unpack(">HH", b[:4])
        v = b[4:4 + l]
        if t == 0x0020:
            port = struct.unpack(">H", v[2:4])[0] ^ 0x2112
            mask = struct.pack(">I", 0x2112A442) + txid
            n = 4 if v[1] == 1 else 16
            ip = bytes(x ^ y for x, y in zip(v[4:4 + n], mask))
            fam = socket.AF_INET if n == 4 else socket.AF_INET6
            return "%s %d" % (socket.inet_ntop(fam, ip), port)
        b = b[4 + ((l + 3) & ~3):]
    return None

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(2 if mode == "req" else 0.5)
s.connect((host, port))
me = s.getsockname()
if mode == "req":
    txid = os.urandom(12)
    s.send(request(txid))
    try:
        got = xor_mapped(s.recv(2048), txid)
    except socket.timeout:
        got = "timeout"
    print("%s %d -> %s" % (me[0], me[1], got))
    sys.exit(0 if got == "%s %d" % (me[0], me[1]) else 1)
# Garbage: none of it may be answered.
good = request(os.urandom(12))
bad = [b"", b"x", b"\x00" * 20, good[:-1], good[:39], good + b"\0\0\0\0",
       good[:-1] + bytes([good[-1] ^ 1]), b"\x00\x02" + good[2:],
       good.replace(b"tailnode", b"tailNODE"), os.urandom(40), b"\xff" * 1400]
for p in bad:
    s.send(p)
try:
    s.recv(2048)
    print("answered garbage")
    sys.exit(1)
except socket.timeout:
    print("%d garbage datagrams, no answer" % len(bad))
EOP
stunc() { python3 "$T/stunc.py" "$@"; }
stuncq() { stunc "$@" >/dev/null; }

# Turn the embedded DERP server (and so STUN) on at $1.
enable_derp() {
	write_config
	sed -i "s|^  server:\$|  server:\\
    enabled: true\\
    stun_listen_addr: \"$1\"|" "$CONF"
}

# Whether anything has this UDP port bound.
udp_bound() { ss -Hlun "sport = :$SPORT" | grep -q .; }

enable_derp "127.0.0.1:$SPORT"
suite_start || finish
check "the coordinator serves STUN" \
    wait_log "coordinator.*stun: serving binding requests on 127.0.0.1:$SPORT"
coord=$(child_pid coordinator)
out=$(stunc req 127.0.0.1 "$SPORT")
check "a binding request gets the client's own address ($out)" \
    stuncq req 127.0.0.1 "$SPORT"
out=$(stunc garbage 127.0.0.1 "$SPORT")
rc=$?
check "garbage gets no answer ($out)" [ "$rc" -eq 0 ]
check "garbage is counted in the log" wait_log "stun: ignored .*ignored [0-9]+"
now=$(child_pid coordinator)
check "the coordinator kept its pid ($coord, $now)" \
    [ -n "$coord" -a "$now" = "$coord" ]
check "and still answers" stuncq req 127.0.0.1 "$SPORT"
# A restarted coordinator gets the socket again from the parent.
kill -KILL "$coord"
for _ in $(seq 1 50); do
	new=$(child_pid coordinator)
	[ -n "$new" ] && [ "$new" != "$coord" ] && break
	sleep 0.1
done
ok=0
for _ in $(seq 1 20); do
	stunc req 127.0.0.1 "$SPORT" >/dev/null && { ok=1; break; }
done
check "a restarted coordinator answers again" [ "$ok" -eq 1 ]
suite_stop

# The port is taken: the suite must not start, and must say why.
: > "$LOG"
for _ in $(seq 1 50); do udp_bound || break; sleep 0.1; done
python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', $SPORT))
open('$T/held', 'w').close()
time.sleep(10)" &
HOLDER=$!
for _ in $(seq 1 50); do [ -f "$T/held" ] && break; sleep 0.1; done
"$BIN/coordd" -d -f "$CONF" >>"$LOG" 2>&1 &
P=$!
for _ in $(seq 1 50); do kill -0 "$P" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$P" 2>/dev/null; then
	kill -TERM "$P"
	fail "the suite started although the STUN port is taken"
else
	ok "a taken STUN port stops the suite"
fi
wait "$P" 2>/dev/null
check "the error names the address" \
    grep -q "derp.server.stun_listen_addr 127.0.0.1:$SPORT: Address already in use" "$LOG"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null

# IPv6, where the host has it.
if python3 -c "import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).bind(('::1', 0))" 2>/dev/null; then
	: > "$LOG"
	enable_derp "[::1]:$SPORT"
	suite_start || finish
	wait_log "stun: serving binding requests on \[::1\]:$SPORT" >/dev/null
	out=$(stunc req ::1 "$SPORT")
	check "IPv6: a binding request gets the client's address ($out)" \
	    stuncq req ::1 "$SPORT"
	suite_stop
else
	# Not counted as a pass: the IPv6 checks did not run.
	echo "# skip - $TEST_NAME: IPv6 checks: no ::1 here"
fi

# derp.server.enabled false: no UDP socket at all.
: > "$LOG"
write_config
suite_start || finish
check "with the DERP server off, nothing binds UDP $SPORT" eval '! udp_bound'
check "and the coordinator says nothing of STUN" eval '! grep -q "stun:" "$LOG"'
suite_stop

# Not root: the parent binds the (unprivileged) port all the same.  Under
# root, as in CI, the suite is started as nobody for this part.
if [ "$(id -u)" -eq 0 ]; then
	chown -R nobody "$T"
	RUN_AS="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
fi
: > "$LOG"
enable_derp "127.0.0.1:$SPORT"
suite_start || finish
puid=$(awk '/^Uid:/ { print $2 }' /proc/$PARENT/status)
check "unprivileged (uid $puid): a binding request is answered" \
    stuncq req 127.0.0.1 "$SPORT"
suite_stop
finish
