# POST /machine/map with the project's own client: full first maps,
# deltas as peers come, move, change, leave and go; keep-alives; lite
# updates that keep the long poll; bad requests; ephemeral node GC; and
# a restart after which nodes come back with their addresses.
. "$(dirname "$0")/lib.sh"
TSC="$BUILDDIR/tests/client/tsc"
export COORDD_TEST_KEEPALIVE_MS=700
export COORDD_TEST_EPHEMERAL_SEC=2
TSC_PIDS=""
suite_start || finish
wait_log "noise key check passed" >/dev/null

pak() { ctl preauthkeys create --user alice "$@" -o json | jq -r .key; }
# mapper NAME ID KEY HOST ARGS...: a streaming client in the background,
# with the machine, node and disco keys of identity ID
mapper() {
	name=$1; id=$2; shift 2
	"$TSC" "$URL" map "$T/$id.key" "$@" > "$T/$name.out" \
	    2> "$T/$name.err" &
	TSC_PIDS="$TSC_PIDS $!"
	eval "PID_$name=$!"
}
# frames NAME: each frame's JSON, one per line
frames() { sed -n 's/^frame [0-9]* //p' "$T/$1.out"; }
# wait_frame NAME JQ: up to 10 s for a frame that satisfies the filter
wait_frame() {
	for _ in $(seq 1 100); do
		# Not jq -e: its status follows the last input, not any.
		frames "$1" | jq -c "select($2)" 2>/dev/null | grep -q . &&
		    return 0
		sleep 0.1
	done
	return 1
}
first() { frames "$1" | head -n 1; }
node_id() { ctl nodes list -o json |
    jq -r ".[] | select(.givenName == \"$1\") | .id"; }

check "users create alice" ctl users create alice
key=$(pak --reusable)

# A full first map.
mapper a a "$key" alpha -e 127.0.0.1:41641 -D 900 -t 60
check "alpha gets a first frame" wait_frame a '.Node'
f=$(first a)
check "it is the full map: Node, DERPMap, Peers, PacketFilter" \
    sh -c "echo '$f' | jq -e '.Node and .DERPMap and (.Peers|type==\"array\")
    and (.PacketFilter|length==1)' >/dev/null"
check "self is authorized, named alpha.tailnet.example." \
    sh -c "echo '$f' | jq -e '.Node.MachineAuthorized == true and
    .Node.Name == \"alpha.tailnet.example.\"' >/dev/null"
check "self has 100.64.0.1/32 and fd7a:115c:a1e0::1/128" \
    sh -c "echo '$f' | jq -e '.Node.Addresses ==
    [\"100.64.0.1/32\",\"fd7a:115c:a1e0::1/128\"]' >/dev/null"
check "Domain, UserProfiles with alice, ControlTime, no log upload" \
    sh -c "echo '$f' | jq -e '.Domain == \"tailnet.example\" and
    ([.UserProfiles[].LoginName] | index(\"alice\")) and .ControlTime and
    .Debug.DisableLogTail == true' >/dev/null"
check "an allow-all filter" \
    sh -c "echo '$f' | jq -e '.PacketFilter[0].SrcIPs == [\"*\"]' >/dev/null"
check "a DERPMap with Regions" \
    sh -c "echo '$f' | jq -e '.DERPMap.Regions|type==\"object\"' >/dev/null"
check "DNSConfig with MagicDNS" \
    sh -c "echo '$f' | jq -e '.DNSConfig.Proxied == true' >/dev/null"
check "keep-alives come" wait_frame a '.KeepAlive == true'

# A second node sees the first, and the first hears of the second.
mapper b b "$key" beta -e 127.0.0.1:41642 -t 60 -l 2:127.0.0.1:50000
check "beta's first map lists alpha with its endpoint and home DERP" \
    wait_frame b '.Peers and (.Peers[] | select(.Name ==
    "alpha.tailnet.example." and .Endpoints == ["127.0.0.1:41641"] and
    .HomeDERP == 900 and (.DiscoKey|startswith("discokey:")) and .Online))'
check "alpha gets beta in PeersChanged, online" \
    wait_frame a '.PeersChanged and (.PeersChanged[] |
    select(.Name == "beta.tailnet.example." and .Online == true))'
bid=$(node_id beta)
check "a lite update is answered and keeps beta's stream" \
    sh -c "for i in \$(seq 1 100); do grep -q '^lite 200' '$T/b.out' &&
    exit 0; sleep 0.1; done; exit 1"
check "alpha gets beta's new endpoint as a patch (node $bid)" \
    wait_frame a ".PeersChangedPatch and (.PeersChangedPatch[] |
    select(.NodeID == $bid and .Endpoints == [\"127.0.0.1:50000\"]))"
check "beta's stream goes on after the lite update" \
    sh -c "n=\$(grep -c '^frame' '$T/b.out'); sleep 2;
    [ \$(grep -c '^frame' '$T/b.out') -gt \$n ]"

# Admin changes reach peers and the node itself.
check "rename beta to gamma" ctl nodes rename -i "$bid" gamma
check "alpha gets gamma in full" wait_frame a '.PeersChanged and
    (.PeersChanged[] | select(.Name == "gamma.tailnet.example."))'
check "gamma itself gets its new Node" \
    wait_frame b '.Node.Name == "gamma.tailnet.example."'

# Leaving: offline, then deleted.
kill "$PID_b" 2>/dev/null
check "alpha hears gamma went offline" \
    wait_frame a ".OnlineChange and .OnlineChange[\"$bid\"] == false"
check "delete gamma" ctl nodes delete -i "$bid" --force
check "alpha gets PeersRemoved" \
    wait_frame a ".PeersRemoved and (.PeersRemoved | index($bid))"

# A newer poll from the same node replaces the older one.
mapper a2 a "" alpha -e 127.0.0.1:41641 -t 60
check "a second poll of alpha gets its own full map" wait_frame a2 '.Node'
check "and the first poll is ended" \
    sh -c "for i in \$(seq 1 100); do kill -0 $PID_a 2>/dev/null ||
    exit 0; sleep 0.1; done; exit 1"

# Bad map requests: an answer each, and the coordinator stays.
cpid=$(child_pid coordinator)
mapraw() { "$TSC" "$URL" mapraw "$T/raw.key" "$1" 2>&1; }
nk="nodekey:$(printf '%064d' 7)"
check "an unknown node key: 404" sh -c "\"$TSC\" \"$URL\" mapraw \
    '$T/raw.key' '{\"Version\":113,\"NodeKey\":\"$nk\",\"Compress\":\"zstd\",\"Stream\":true}' |
    grep -q '^status 404'"
check "garbage: 400" sh -c "\"$TSC\" \"$URL\" mapraw '$T/raw.key' 'not json{' |
    grep -q '^status 400'"
check "no NodeKey: 400" sh -c "\"$TSC\" \"$URL\" mapraw '$T/raw.key' \
    '{\"Version\":113}' | grep -q '^status 400'"
check "a too old version: 400" sh -c "\"$TSC\" \"$URL\" mapraw '$T/raw.key' \
    '{\"Version\":50,\"NodeKey\":\"$nk\"}' | grep -q '^status 400'"
akey=$(sed -n 's/^node //p' "$T/a2.out" | head -n 1)
check "alpha's node key from another machine: 404" \
    sh -c "[ -n '$akey' ] && \"$TSC\" \"$URL\" mapraw '$T/raw.key' \
    '{\"Version\":113,\"NodeKey\":\"$akey\",\"Compress\":\"zstd\",\"Stream\":true}' |
    grep -q '^status 404'"
check "the log says why" wait_log "map .*answered 404: node not found"
check "the coordinator is the same process" [ "$(child_pid coordinator)" = "$cpid" ]

# Ephemeral nodes go after their inactivity timeout (2 s here).
ekey=$(pak --ephemeral)
mapper e e "$ekey" temp -t 2
check "an ephemeral node maps" wait_frame e '.Node'
check "is in the node list" [ -n "$(node_id temp)" ]
check "and is deleted once offline long enough" \
    sh -c "for i in \$(seq 1 100); do [ -z \"\$(ctl nodes list -o json |
    jq -r '.[] | select(.givenName == \"temp\") | .id')\" ] && exit 0;
    sleep 0.1; done; exit 1"
check "the log says so" wait_log "ephemeral node [0-9]+ temp offline"

# A reload that changes DNS sends just the new DNSConfig.
sed -i 's/^  override_local_dns: false$/  override_local_dns: false\
  extra_records:\
    - name: added.tailnet.example\
      type: A\
      value: 100.100.9.9/' "$CONF"
kill -HUP "$PARENT"
check "after a reload alpha gets the new DNSConfig alone" wait_frame a2 \
    '.DNSConfig and (.Node | not) and (.Peers | not) and
    .DNSConfig.ExtraRecords[0].Name == "added.tailnet.example"'

# A restart: the node comes back without a key and keeps its address.
for p in $TSC_PIDS; do kill "$p" 2>/dev/null; done
suite_stop
suite_start
wait_log "replica synced" >/dev/null
mapper a3 a "" alpha -e 127.0.0.1:41641 -t 30
check "after a restart alpha re-registers without a key" \
    sh -c "for i in \$(seq 1 100); do grep -q '^registered 200' '$T/a3.out' &&
    exit 0; sleep 0.1; done; exit 1"
check "and maps with its address" wait_frame a3 \
    '.Node.Addresses[0] == "100.64.0.1/32"'

for p in $TSC_PIDS; do kill "$p" 2>/dev/null; done
finish
