# tests/interop/scenario.sh VERSION: one tailscale version against one
# control server, inside a network namespace of our own with no route
# out (tests/interop/run puts us there).  Prints ok / not ok lines.
#
# Environment from run: SERVER, BUILDDIR, PEERS, DERPER, TEST_NAME.
set -u
V=$1
DIR=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /tmp/coordd-interop.XXXXXX)
chmod 755 "$W"
. "$DIR/lib.sh"
. "$DIR/admin.sh"

t0=$(date +%s)
elapsed() { echo "$(($(date +%s) - t0))s"; }

# Nothing may leave the namespace: lo, and no default route.  Run once,
# as (possibly mapped) root, before any process of the test starts.
if [ -z "${INTEROP_NS_READY:-}" ]; then
	ip link set lo up
	# tailscale before v1.101 ignores TS_ASSUME_NETWORK_UP_FOR_TEST in
	# magicsock: with lo alone it sees the network down and sends
	# nothing ("magicsock: network down").  Those versions get a veth
	# pair whose both ends stay in this namespace; its 10.213.0.1 is a
	# local address, so a direct path may also run through it.
	if [ "$(printf '%s\n' "$V" v1.101.0 | sort -V | head -n 1)" = "$V" ]; then
		ip link add ts-v0 type veth peer name ts-v1 &&
		    ip addr add "$VETH_IP/24" dev ts-v0 &&
		    ip link set ts-v1 up && ip link set ts-v0 up ||
		    echo "not ok - $TEST_NAME: a veth pair inside the namespace"
	fi
	# Not root outside: run the test as our own uid again, in a user
	# namespace inside this one, so that coordd does not try to switch
	# to its _coordd users (which this namespace cannot map).
	if [ -n "${INTEROP_MAP_UID:-}" ]; then
		rm -rf "$W"
		INTEROP_NS_READY=1 exec unshare --user \
		    --map-user="$INTEROP_MAP_UID" \
		    --map-group="$INTEROP_MAP_GID" sh "$0" "$@"
	fi
fi
netns_closed() {
	[ -z "$(ip route show default; ip -6 route show default)" ] &&
	    ! ip route get 1.1.1.1 >/dev/null 2>&1 &&
	    ! ip -o link show | grep -vE '^[0-9]+: (lo|ts-v0@ts-v1|ts-v1@ts-v0):' |
	    grep -q .
}
trap cleanup EXIT
trap 'fail "interrupted"; exit 1' INT TERM HUP
check "the network namespace has no route out" netns_closed

# headscale relays through Tailscale's derper; coordd through its own.
if [ "$SERVER" = headscale ]; then
	check "derper serves plain HTTP DERP on :$DERP_PORT, STUN on :$STUN_PORT" \
	    derp_start || exit 1
fi

if ! server_config; then
	fail "the server's config (and TLS certificate) is written"
	exit 1
fi
if ! server_start; then
	fail "$SERVER starts on $URL"
	exit 1
fi
ok "$SERVER starts on $URL"
if ! make_key; then
	fail "a user and a reusable pre-auth key are created"
	exit 1
fi
ok "a user and a reusable pre-auth key are created"

for n in 1 2; do
	check "tailscaled n$n starts (userspace, its own state and socket)" \
	    node_start $n || exit 1
done

# 1. Both reach Running with the pre-auth key.
for n in 1 2; do
	out=$(ts $n up --login-server="$URL" --auth-key="$KEY" \
	    --hostname=n$n --accept-dns=false --reset --timeout=60s 2>&1)
	rc=$?
	[ $rc -eq 0 ] || echo "# up n$n rc=$rc: $(echo "$out" | tail -n 3)"
	check "n$n: tailscale up --auth-key reaches Running ($(elapsed))" \
	    running $n
done
IP1=$(ip4 1); IP2=$(ip4 2)
distinct_ips() {
	case "$IP1 $IP2" in 100.*\ 100.*) [ "$IP1" != "$IP2" ] ;; *) false ;; esac
}
check "n1 and n2 have distinct tailnet IPv4s ($IP1, $IP2)" distinct_ips
[ -n "$IP1" ] && [ -n "$IP2" ] || exit 1

# 2. Each lists the other.
check "n1 lists n2 in status --json (HostName, DNSName)" \
    wait_until 20 sees 1 n2
check "n2 lists n1 in status --json (HostName, DNSName)" \
    wait_until 20 sees 2 n1

# 3. Direct UDP paths.
check "n1 pings n2 over a direct path ($(elapsed))" ping_direct 1 "$IP2"
check "n2 pings n1 over a direct path" ping_direct 2 "$IP1"

# 4. TCP through the tailnet: n1's SOCKS5 proxy to n2's IP; n2's
# userspace netstack forwards to 127.0.0.1:$HTTP_PORT.
check "an HTTP server listens on 127.0.0.1:$HTTP_PORT" http_start
check "HTTP through n1's SOCKS5 proxy reaches n2:$HTTP_PORT" \
    socks_get 1 "$IP2"
check "HTTP through n2's SOCKS5 proxy reaches n1:$HTTP_PORT" \
    socks_get 2 "$IP1"

# 5. MagicDNS names and the server's DNS config.
for n in 1 2; do
	check "n$n: Self.DNSName is n$n.$BASE_DOMAIN." \
	    st $n ".Self.DNSName == \"n$n.$BASE_DOMAIN.\""
done
ts 1 debug netmap >"$W/n1/netmap.json" 2>&1
check "n1: debug netmap has the MagicDNS suffix $BASE_DOMAIN" \
    jq -e "[.. | strings | select(. == \"$BASE_DOMAIN\")] | length > 0" \
    "$W/n1/netmap.json" >/dev/null
check "n1: debug netmap has dns.extra_records ($EXTRA_NAME A $EXTRA_IP)" \
    jq -e "[.. | objects | select(.Name? == \"$EXTRA_NAME\" and
	.Value? == \"$EXTRA_IP\")] | length == 1" "$W/n1/netmap.json" \
    >/dev/null

# 6. Restart the whole server suite with the same state.
NODES_BEFORE=$(server_nodes 2>/dev/null | jq length)
server_stop
if wait_until 20 offline 1 && wait_until 20 offline 2; then
	ok "after $SERVER stops, both nodes leave their map poll"
else
	fail "after $SERVER stops, both nodes leave their map poll"
fi
if ! server_start; then
	fail "$SERVER starts again with the same state dir"
	exit 1
fi
ok "$SERVER starts again with the same state dir"
for n in 1 2; do
	check "n$n: back to Running and in a map poll, without re-auth" \
	    wait_until 60 online $n
done
check "n1 and n2 keep their IPs ($IP1, $IP2) ($(elapsed))" \
    sh -c "[ '$(ip4 1)' = '$IP1' ] && [ '$(ip4 2)' = '$IP2' ]"
check "the server still has 2 nodes (no new registration)" \
    sh -c "[ '$NODES_BEFORE' = 2 ] && [ \"\$1\" = 2 ]" sh \
    "$(server_nodes 2>/dev/null | jq length)"
check "n1 pings n2 directly after the restart" ping_direct 1 "$IP2"
check "n2 lists n1 after the restart" wait_until 20 sees 2 n1

# A restarted client logs in again with its stored node key, no auth key.
node_stop 2
check "n2's tailscaled restarts with its state" node_start 2
check "n2: Running again without up or a key" wait_until 60 online 2
check "n2 keeps its IP ($IP2)" sh -c "[ '$(ip4 2)' = '$IP2' ]"
check "n2 pings n1 directly after its own restart ($(elapsed))" \
    ping_direct 2 "$IP1"

# 7. The relay: coordd's embedded DERP and STUN.
if [ "$SERVER" = coordd ]; then
	ts 1 netcheck --format=json >"$W/n1/netcheck.json" 2>"$W/n1/netcheck.err"
	check "netcheck: our STUN answers (UDP, a global address)" \
	    jq -e '.UDP == true and ((.GlobalV4 // "") | length > 0)' \
	    "$W/n1/netcheck.json" >/dev/null
	check "netcheck: region 999 is measured and preferred" \
	    jq -e '.PreferredDERP == 999 and (.RegionLatency["999"] // 0) > 0' \
	    "$W/n1/netcheck.json" >/dev/null
	# Both clients again, never direct: everything goes through /derp.
	node_stop 1
	node_stop 2
	INTEROP_TS_ENV="${INTEROP_TS_ENV:-} TS_DEBUG_ALWAYS_USE_DERP=1"
	for k in 1 2; do
		check "n$k restarts with TS_DEBUG_ALWAYS_USE_DERP=1" node_start $k
		check "n$k: Running again" wait_until 60 online $k
	done
	check "n1 pings n2 via DERP($DERP_CODE) ($(elapsed))" \
	    ping_derp 1 "$IP2"
	check "n2 pings n1 via DERP($DERP_CODE)" ping_derp 2 "$IP1"
	check "HTTP through n1's SOCKS5 proxy reaches n2 over the relay" \
	    socks_get 1 "$IP2"
	check "the relay logged the clients in" \
	    grep -qE "derp .*logged in" "$SRV_LOG"
fi

# 8. Interactive registration and subnet routes (admin.sh).
admin_scenario
kill_pid "${UP3_PID:-}"

if [ "$SERVER" = coordd ]; then
	if grep -qE "ERROR: (Address|Leak|Memory)Sanitizer|runtime error:" \
	    "$SRV_LOG"; then
		fail "the coordd log has sanitizer reports"
	else
		ok "the coordd log is free of sanitizer reports"
	fi
fi
[ "$FAILED" -eq 0 ]
