# Helpers for the interop scenario (tests/interop/scenario.sh): start
# derper, the control server (coordd or headscale) and userspace
# tailscaled nodes inside the test's own network namespace, drive them
# with their CLIs, and kill everything we started by PID.
#
# Set before sourcing: BUILDDIR (coordd mode), SERVER, V (tailscale
# version), PEERS (peers cache), DERPER (derper binary), W (work dir).

TSBIN="$PEERS/$V"
# Sanitizer builds: leak checks cannot run in the daemons' chroots, and
# coordctl's exit-time leaks are not what these tests look for.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}"
HEADSCALE="$PEERS/v0.29.2/headscale"
BASE_DOMAIN=tailnet.test
EXTRA_NAME=extra-record.interop.test
EXTRA_IP=100.100.50.50
VETH_IP=10.213.0.1

# Ports: from our PID like tests/integration/lib.sh, 20 per run (inside
# the private namespace nothing else can take them anyway).
PB=$((21000 + ($$ % 1500) * 20))
SRV_PORT=$PB
METRICS_PORT=$((PB + 1))
GRPC_PORT=$((PB + 2))
DERP_PORT=$((PB + 3))
STUN_PORT=$((PB + 4))
# The region code of coordd's embedded DERP, as `tailscale ping` names it.
DERP_CODE=coordd
HTTP_PORT=$((PB + 5))
# node i: UDP $((PB + 10 + i)), SOCKS5 $((PB + 13 + i))
URL="http://127.0.0.1:$SRV_PORT"
# INTEROP_TLS=1 (coordd only): HTTPS on listen_addr with a self-signed
# certificate the clients trust through SSL_CERT_FILE, so control and
# the embedded DERP go over TLS and TS_DEBUG_USE_DERP_HTTP is not set.
TLS=${INTEROP_TLS:-0}
if [ "$TLS" = 1 ]; then
	URL="https://127.0.0.1:$SRV_PORT"
	export CURL_CA_BUNDLE="$W/tls/cert.pem"
fi

SRV_LOG="$W/server.log"
SRV_PID=
DERP_PID=
HTTP_PID=
NODE_PIDS=
FAILED=0
PASSED=0

# Every PID we start also goes to $INTEROP_PIDFILE, so that run can kill
# what a killed scenario (timeout) left behind.
started() { [ -z "${INTEROP_PIDFILE:-}" ] || echo "$1" >>"$INTEROP_PIDFILE"; }

ok() { echo "ok - $TEST_NAME: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "not ok - $TEST_NAME: $*"; FAILED=$((FAILED + 1)); }
check() {	# check "what" command...
	what=$1; shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# wait_until SECONDS command...: poll every 0.2 s.
wait_until() {
	n=$(($1 * 5)); shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		n=$((n - 1))
		sleep 0.2
	done
	return 1
}

# kill_pid PID: TERM, up to 5 s, then KILL; children of a coordd
# parent are found by their parent PID.
kill_pid() {
	p=$1
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return 0; }
	for _ in $(seq 1 50); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$p" 2>/dev/null; then
		pkill -KILL -P "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	fi
	wait "$p" 2>/dev/null
	return 0
}

show_logs() {
	for f in "$SRV_LOG" "$W/derper.log" "$W"/n1/tailscaled.log \
	    "$W"/n2/tailscaled.log "$W"/n3/tailscaled.log "$W"/n3/up.log; do
		[ -s "$f" ] || continue
		echo "--- $TEST_NAME: tail of ${f#"$W"/} ---"
		tail -n "${INTEROP_LOG_LINES:-40}" "$f"
	done
	echo "--- $TEST_NAME: end of logs (work dir $W) ---"
}

cleanup() {
	trap - EXIT INT TERM HUP
	for p in $NODE_PIDS; do kill_pid "$p"; done
	kill_pid "$HTTP_PID"
	server_stop
	kill_pid "$DERP_PID"
	[ "$FAILED" -eq 0 ] || show_logs
	if [ -n "${INTEROP_KEEP:-}" ]; then
		echo "# $TEST_NAME: kept $W"
	else
		rm -rf "$W"
	fi
	echo "# $TEST_NAME: $PASSED passed, $FAILED failed"
}

# --- DERP ---------------------------------------------------------------

derp_start() {
	# headscale's YAML DERP map, read through derp.paths by both servers.
	cat >"$W/derp.yaml" <<EOF
regions:
  900:
    regionid: 900
    regioncode: lo
    regionname: lo
    nodes:
      - name: 900a
        regionid: 900
        hostname: 127.0.0.1
        ipv4: 127.0.0.1
        ipv6: "none"
        derpport: $DERP_PORT
        stunport: $STUN_PORT
EOF
	chmod 644 "$W/derp.yaml"
	# Plain HTTP: the port is not 443 and the cert mode not manual.
	"$DERPER" -c "$W/derper.json" -a "127.0.0.1:$DERP_PORT" \
	    -http-port -1 -stun-port "$STUN_PORT" >"$W/derper.log" 2>&1 &
	DERP_PID=$!
	started "$DERP_PID"
	wait_until 15 curl -fsS -o /dev/null \
	    "http://127.0.0.1:$DERP_PORT/derp/probe"
}

# --- the control server -------------------------------------------------

hs() { HEADSCALE_DISABLE_CHECK_UPDATES=true "$HEADSCALE" -c "$W/srv/config.yaml" "$@"; }
ctl() { "$BUILDDIR/bin/coordctl" -s "$W/srv/coordd.sock" "$@"; }

# A self-signed certificate for every address a client may use.
tls_cert() {
	mkdir -p "$W/tls"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -days 2 -subj "/CN=coordd interop" \
	    -addext "subjectAltName=IP:127.0.0.1,IP:$VETH_IP,DNS:localhost" \
	    -keyout "$W/tls/key.pem" -out "$W/tls/cert.pem" 2>/dev/null
}

# The keys both servers share (coordd reads headscale's file).
server_config() {
	mkdir -p "$W/srv"
	chmod 755 "$W/srv"
	cat >"$W/srv/config.yaml" <<EOF
server_url: $URL
listen_addr: 127.0.0.1:$SRV_PORT
metrics_listen_addr: 127.0.0.1:$METRICS_PORT
grpc_listen_addr: 127.0.0.1:$GRPC_PORT
disable_check_updates: true
noise:
  private_key_path: $W/srv/keys/noise_private.key
prefixes:
  v4: 100.64.0.0/10
  v6: fd7a:115c:a1e0::/48
  allocation: sequential
derp:
  server:
    enabled: false
    private_key_path: $W/srv/keys/derp_server_private.key
  urls: []
  paths:
    - $W/derp.yaml
  auto_update_enabled: false
database:
  type: sqlite
  sqlite:
    path: $W/srv/state/db.sqlite
    write_ahead_log: true
node:
  expiry: 0
dns:
  magic_dns: true
  base_domain: $BASE_DOMAIN
  override_local_dns: false
  nameservers:
    global: []
  extra_records:
    - name: $EXTRA_NAME
      type: A
      value: $EXTRA_IP
policy:
  mode: file
  path: ""
unix_socket: $W/srv/coordd.sock
unix_socket_permission: "0770"
log:
  level: info
EOF
	if [ "$SERVER" = coordd ]; then
		# coordd relays itself: the embedded DERP at /derp on
		# listen_addr (plain HTTP, TS_DEBUG_USE_DERP_HTTP) and STUN.
		python3 - "$W/srv/config.yaml" "$STUN_PORT" "$W/derp.yaml" \
		    "$DERP_CODE" <<'PY'
import sys
p, stun, paths, code = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
s = open(p).read()
s = s.replace("    enabled: false\n", "    enabled: true\n"
    "    region_id: 999\n    region_code: " + code + "\n"
    "    region_name: coordd embedded\n    verify_clients: true\n"
    "    stun_listen_addr: 127.0.0.1:" + stun + "\n"
    "    automatically_add_embedded_derp_region: true\n"
    "    ipv4: 127.0.0.1\n", 1)
s = s.replace("  paths:\n    - " + paths + "\n", "  paths: []\n", 1)
open(p, "w").write(s)
PY
	fi
	if [ "$TLS" = 1 ]; then
		tls_cert || return 1
		printf 'tls_cert_path: %s\ntls_key_path: %s\n' \
		    "$W/tls/cert.pem" "$W/tls/key.pem" >>"$W/srv/config.yaml"
	fi
	if [ "$SERVER" = headscale ]; then
		mkdir -p "$W/srv/keys" "$W/srv/state"
		sed -i "s|^unix_socket: .*|unix_socket: $W/srv/headscale.sock|" \
		    "$W/srv/config.yaml"
	fi
	chmod 644 "$W/srv/config.yaml"
}

# As root coordd's children switch to their own users (as in
# tests/integration/lib.sh); make sure they exist.
ensure_users() {
	[ "$(id -u)" -eq 0 ] || return 0
	for u in _coordd _coordd_store _coordd_api _coordd_auth; do
		getent passwd "$u" >/dev/null 2>&1 && continue
		useradd --system --no-create-home --home-dir /var/empty \
		    --shell /usr/sbin/nologin "$u" || return 1
	done
}

server_ready() {
	kill -0 "$SRV_PID" 2>/dev/null || return 2
	if [ "$SERVER" = headscale ]; then
		curl -fsS -o /dev/null "$URL/health" &&
		    hs users list -o json >/dev/null 2>&1
	else
		[ -S "$W/srv/coordd.sock" ] && ctl users list >/dev/null 2>&1
	fi
}

# server_start: up to 20 s until it answers its CLI.
server_start() {
	echo "=== start $(date +%T)" >>"$SRV_LOG"
	if [ "$SERVER" = headscale ]; then
		# Not through hs(): $! must be headscale itself.
		HEADSCALE_DISABLE_CHECK_UPDATES=true "$HEADSCALE" \
		    -c "$W/srv/config.yaml" serve >>"$SRV_LOG" 2>&1 &
	else
		ensure_users || return 1
		"$BUILDDIR/bin/coordd" -d -v -f "$W/srv/config.yaml" \
		    >>"$SRV_LOG" 2>&1 &
	fi
	SRV_PID=$!
	started "$SRV_PID"
	for _ in $(seq 1 100); do
		server_ready; rc=$?
		[ "$rc" -eq 0 ] && return 0
		[ "$rc" -eq 2 ] && return 1
		sleep 0.2
	done
	return 1
}

server_stop() {
	kill_pid "$SRV_PID"
	SRV_PID=
}

# make_key: a reusable pre-auth key for user "interop" in $KEY.
make_key() {
	if [ "$SERVER" = headscale ]; then
		hs users create interop >>"$W/cli.log" 2>&1 || return 1
		uid=$(hs users list -o json |
		    jq -r '.[] | select(.name == "interop") | .id') || return 1
		KEY=$(hs preauthkeys create --user "$uid" --reusable \
		    --expiration 24h -o json | jq -r .key)
	else
		ctl users create interop >>"$W/cli.log" 2>&1 || return 1
		KEY=$(ctl preauthkeys create --user interop --reusable -o json |
		    jq -r .key)
	fi
	[ -n "$KEY" ] && [ "$KEY" != null ]
}

# server_nodes: the server's node list as a JSON array.
server_nodes() {
	if [ "$SERVER" = headscale ]; then
		hs nodes list -o json
	else
		ctl nodes list -o json
	fi | jq -c 'if type == "array" then . else (.nodes // []) end'
}

# --- tailscale nodes ----------------------------------------------------

# node_start I: a userspace tailscaled with its own state, socket, UDP
# port, SOCKS5 port and logs dir, with the harness environment.
node_start() {
	i=$1 d=$W/n$1
	mkdir -p "$d"
	if [ "$TLS" = 1 ]; then
		tlsenv="SSL_CERT_FILE=$W/tls/cert.pem"
	else
		tlsenv="TS_DEBUG_USE_DERP_HTTP=1"
	fi
	env -u PORT \
	    TS_LOGS_DIR="$d" \
	    TS_ASSUME_NETWORK_UP_FOR_TEST=1 \
	    TS_DISABLE_PORTMAPPER=1 \
	    TS_PANIC_IF_HIT_MAIN_CONTROL=1 \
	    $tlsenv \
	    TS_DEBUG_MAP=1 \
	    ${INTEROP_TS_ENV:-} \
	    "$TSBIN/tailscaled" --tun=userspace-networking \
	    --statedir="$d" --socket="$d/ts.sock" \
	    --port=$((PB + 10 + i)) \
	    --socks5-server=127.0.0.1:$((PB + 13 + i)) \
	    --no-logs-no-support >>"$d/tailscaled.log" 2>&1 &
	eval "NODE$i=\$!"
	NODE_PIDS="$NODE_PIDS $!"
	started $!
	wait_until 15 ts "$i" status --json
}

node_stop() {
	eval "p=\$NODE$1"
	kill_pid "$p"
	NODE_PIDS=$(echo "$NODE_PIDS" | tr ' ' '\n' | grep -vx "$p" | tr '\n' ' ')
}

# ts I args...: the tailscale CLI of node I, bounded.
ts() {
	i=$1; shift
	timeout 75 "$TSBIN/tailscale" --socket="$W/n$i/ts.sock" "$@"
}

# st I FILTER: jq -e FILTER on node I's status.
st() {
	ts "$1" status --json 2>/dev/null | jq -e "$2" >/dev/null
}

running() { st "$1" '.BackendState == "Running"'; }
# Self.Online is whether the node is in a map poll with control.
online() { st "$1" '.BackendState == "Running" and .Self.Online == true'; }
offline() { st "$1" '.Self.Online != true'; }

ip4() { ts "$1" ip -4 2>/dev/null | head -n 1; }

# sees I HOST: node I lists a peer with that host name and its DNS name.
sees() {
	st "$1" "[.Peer[]? | select(.HostName == \"$2\" and
	    .DNSName == \"$2.$BASE_DOMAIN.\")] | length == 1"
}

# ping_direct I IP: disco ping until a direct path answers: "via
# 127.0.0.1:PORT" (or the namespace's veth address), never "via DERP".
ping_direct() {
	# 20 pings of up to 5 s each could take 100 s; a working path
	# answers at once, so 30 s bounds a failure.
	# "unknown peer": the netmap is in status but not yet in the
	# engine; give that up to 10 s.
	for _ in $(seq 1 20); do
		out=$(timeout 30 "$TSBIN/tailscale" --socket="$W/n$1/ts.sock" \
		    ping --timeout=5s -c 20 "$2" 2>&1); rc=$?
		echo "$out" | grep -q "unknown peer" || break
		sleep 0.5
	done
	echo "$out" >>"$W/n$1/ping.log"
	[ "$rc" -eq 0 ] || { echo "# ping rc=$rc: $(echo "$out" | tail -n 2)"; return 1; }
	echo "$out" | grep -qE "via (127\.0\.0\.1|$VETH_IP):[0-9]+" || {
		echo "# ping not direct: $(echo "$out" | tail -n 2)"
		return 1
	}
	! echo "$out" | tail -n 1 | grep -q "via DERP"
}

# ping_derp I IP: pongs must come through our relay's region.
ping_derp() {
	for _ in $(seq 1 20); do
		out=$(timeout 60 "$TSBIN/tailscale" --socket="$W/n$1/ts.sock" \
		    ping --until-direct=false --timeout=5s -c 3 "$2" 2>&1); rc=$?
		echo "$out" | grep -q "unknown peer" || break
		sleep 0.5
	done
	echo "$out" >>"$W/n$1/ping.log"
	[ "$rc" -eq 0 ] || { echo "# ping rc=$rc: $(echo "$out" | tail -n 2)"; return 1; }
	echo "$out" | grep -q "via DERP($DERP_CODE)" || {
		echo "# ping not via DERP($DERP_CODE): $(echo "$out" | tail -n 2)"
		return 1
	}
}

# --- the data path target -------------------------------------------------

http_start() {
	mkdir -p "$W/www"
	echo "interop-$V-$$" >"$W/www/token"
	if command -v python3 >/dev/null 2>&1; then
		python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 \
		    --directory "$W/www" >"$W/http.log" 2>&1 &
	else
		# perl-base is Essential on Debian; a one-file server.
		perl -MIO::Socket::INET -e '
			my ($port, $body) = @ARGV;
			my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
			    LocalPort => $port, Listen => 5, ReuseAddr => 1)
			    or die "listen: $!";
			while (my $c = $s->accept) {
				while (my $l = <$c>) { last if $l =~ /^\r?$/ }
				print $c "HTTP/1.0 200 OK\r\nContent-Length: " .
				    length($body) . "\r\n\r\n$body";
				close $c;
			}' "$HTTP_PORT" "$(cat "$W/www/token")
" >"$W/http.log" 2>&1 &
	fi
	HTTP_PID=$!
	started "$HTTP_PID"
	wait_until 10 curl -fsS -o /dev/null "http://127.0.0.1:$HTTP_PORT/token"
}

# socks_get I IP: fetch the token through node I's SOCKS5 proxy.
socks_get() {
	got=$(curl -fsS --max-time 15 --socks5-hostname \
	    "127.0.0.1:$(($PB + 13 + $1))" "http://$2:$HTTP_PORT/token") ||
	    return 1
	[ "$got" = "$(cat "$W/www/token")" ]
}
