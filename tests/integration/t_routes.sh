# Subnet routes with the project's own client: nodes advertise
# 10.99.0.0/24 in Hostinfo.RoutableIPs, an admin approves it, and the
# primary (the first online server, kept while online, else the lowest
# id) shows in peers' AllowedIPs and PrimaryRoutes and in the node's own
# map; when the primary goes offline, the other takes over.  Exit routes
# are not elected: approved and advertised, they are in AllowedIPs.
. "$(dirname "$0")/lib.sh"
TSC="$BUILDDIR/tests/client/tsc"
export COORDD_TEST_KEEPALIVE_MS=1000
R=10.99.0.0/24
suite_start || finish
wait_log "noise key check passed" >/dev/null

check "users create alice" ctl users create alice
key=$(ctl preauthkeys create --user alice --reusable -o json |
    sed -n 's/.*"key": "\(.*\)".*/\1/p')
check "a reusable key" [ -n "$key" ]

# poll NAME [tsc map options]: a streaming map poll in the background.
poll() {
	n=$1; shift
	"$TSC" "$URL" map "$T/$n.keys" "$key" "$n" "$@" -t 60 \
	    > "$T/$n.out" 2>&1 &
	eval "PID_$n=\$!"
}
# frames NAME: node NAME's map messages as JSON, one a line.
frames() { sed -n 's/^frame [0-9]* //p' "$T/$1.out" | grep -v '^{}$'; }
# node_id NAME: its id in the server's list.
node_id() {
	ctl nodes list -o json | jq -r ".[] | select(.name == \"$1\") | .id" 2>/dev/null ||
	    ctl nodes list -o json | jq -r ".nodes[] | select(.name == \"$1\") | .id"
}
# last_peer VIEWER ID FIELD: the last PeersChanged (or full map) value of
# FIELD for peer ID as VIEWER saw it.
last_peer() {
	frames "$1" | jq -c "(.Peers // []) + (.PeersChanged // []) |
	    .[] | select(.ID == $2) | .$3" 2>/dev/null | tail -n 1
}
last_self() {
	frames "$1" | jq -c ".Node // empty | .$2" 2>/dev/null | tail -n 1
}
has_route() {	# has_route JSONLIST: the list holds $R
	echo "$1" | jq -e "index(\"$R\") != null" >/dev/null 2>&1
}
wait_for() { for _ in $(seq 1 50); do "$@" && return 0; sleep 0.2; done; return 1; }

poll gw1 -r "$R"
sleep 0.5
poll gw2 -r "$R,0.0.0.0/0,::/0"
poll obs
check "three nodes register and poll" wait_for sh -c \
    "[ \$($BIN/coordctl -s $SOCK nodes list -o json | grep -c '\"machineKey\"') -eq 3 ]"
G1=$(node_id gw1); G2=$(node_id gw2); O=$(node_id obs)
check "their ids ($G1, $G2, $O)" [ -n "$G1" ] && [ -n "$G2" ] && [ -n "$O" ]
check "the observer sees gw2" \
    wait_for eval '[ -n "$(last_peer obs "$G2" AllowedIPs)" ]'
check "advertised but not approved: not in gw2's AllowedIPs" \
    sh -c "! echo '$(last_peer obs "$G2" AllowedIPs)' | grep -q '10.99'"

# Approve on gw2 first: it becomes primary although gw1 has a lower id.
check "approve-routes $R and both exit routes on gw2" \
    ctl nodes approve-routes -i "$G2" -r "$R,0.0.0.0/0,::/0"
check "obs: gw2's PrimaryRoutes holds $R" \
    wait_for eval 'has_route "$(last_peer obs "$G2" PrimaryRoutes)"'
check "obs: gw2's AllowedIPs holds $R and the exit routes" \
    wait_for eval 'a=$(last_peer obs "$G2" AllowedIPs); has_route "$a" &&
    echo "$a" | grep -q "0.0.0.0/0" && echo "$a" | grep -q "::/0"'
check "obs: the exit routes are not in PrimaryRoutes" \
    sh -c "! echo '$(last_peer obs "$G2" PrimaryRoutes)' | grep -q '/0\"'"
check "gw2 learns its own PrimaryRoutes" \
    wait_for eval 'has_route "$(last_self gw2 PrimaryRoutes)"'

check "approve-routes $R on gw1 (a lower id)" \
    ctl nodes approve-routes -i "$G1" -r "$R"
sleep 1
check "gw2 stays primary while online" \
    sh -c "! echo '$(last_peer obs "$G1" PrimaryRoutes)' | grep -q 10.99 &&
    echo '$(last_peer obs "$G2" PrimaryRoutes)' | grep -q 10.99"
ctl nodes list-routes > "$T/routes" 2>&1
check "list-routes shows $R ($(grep -c 10.99 "$T/routes") lines)" \
    grep -q "10.99.0.0/24" "$T/routes"

# gw2 goes offline: gw1 takes over, and peers hear both.
kill "$PID_gw2" 2>/dev/null
wait "$PID_gw2" 2>/dev/null
check "gw2 offline: obs sees gw1 as primary for $R" \
    wait_for eval 'has_route "$(last_peer obs "$G1" PrimaryRoutes)"'
check "and gw1's AllowedIPs holds it" \
    wait_for eval 'has_route "$(last_peer obs "$G1" AllowedIPs)"'
check "and gw2's PrimaryRoutes no longer does" \
    wait_for eval '! has_route "$(last_peer obs "$G2" PrimaryRoutes)"'
check "gw1 learns it is primary" \
    wait_for eval 'has_route "$(last_self gw1 PrimaryRoutes)"'

kill "$PID_gw1" "$PID_obs" 2>/dev/null
wait "$PID_gw1" "$PID_obs" 2>/dev/null
suite_stop
finish
