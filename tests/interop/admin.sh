# The admin side with real clients (sourced by scenario.sh, after lib.sh):
#  (a) interactive login: n3 runs `tailscale up` without a key, the test
#      reads its AuthURL, fetches the page, takes the register command
#      from it, runs it, and n3 reaches Running as alice;
#  (b) routes: n3 advertises 10.99.0.0/24, an admin approves it, the
#      server lists it, and n1 sees it in n3's PrimaryRoutes and
#      AllowedIPs.
# Every step that cannot be done is a failure, never a skip.

ADMIN_ROUTE=10.99.0.0/24
ADMIN_USER=alice

# The server's admin command line: coordctl, or headscale's own.
admin() {
	if [ "$SERVER" = headscale ]; then hs "$@"; else ctl "$@"; fi
}

# need "what" command...: check, and a failure ends the caller's steps.
need() {
	what=$1; shift
	if "$@"; then ok "$what"; else fail "$what"; return 1; fi
}

admin_log() { admin "$@" >>"$W/cli.log" 2>&1; }

# authurl I: node I's pending AuthURL from its status.
authurl() {
	ts "$1" status --json 2>/dev/null | jq -r '.AuthURL // empty'
}
has_authurl() { [ -n "$(authurl "$1")" ]; }

# running_as I USER: Running, and Self's owner has that login name.
running_as() {
	st "$1" ".BackendState == \"Running\" and
	    .User[(.Self.UserID | tostring)].LoginName == \"$2\""
}

# n3 up without a key, in the background: it waits for the admin.
admin_up_interactive() {
	node_start 3 || return 1
	timeout 120 "$TSBIN/tailscale" --socket="$W/n3/ts.sock" up \
	    --login-server="$URL" --hostname=n3 --accept-dns=false --reset \
	    --timeout=110s >"$W/n3/up.log" 2>&1 &
	UP3_PID=$!
	started "$UP3_PID"
	return 0
}

# The register command as the page shows it, with the id of the URL.
admin_page_command() {
	url=$1 id=${1##*/register/}
	curl -fsS --max-time 10 -D "$W/n3/page.head" -o "$W/n3/page.html" \
	    "$url" || return 1
	if [ "$SERVER" = headscale ]; then
		grep -qF "$id" "$W/n3/page.html" || return 1
		REG_CMD="nodes register --user $ADMIN_USER --key $id"
		return 0
	fi
	# The exact command, with USERNAME for the admin to fill in.
	line=$(sed -n 's/.*<pre>\(coordctl nodes register [^<]*\)<\/pre>.*/\1/p' \
	    "$W/n3/page.html" | head -n 1)
	[ "$line" = "coordctl nodes register --user USERNAME --key $id" ] ||
	    { echo "# page command: '$line'"; return 1; }
	grep -qi "^content-security-policy: default-src 'none'" \
	    "$W/n3/page.head" || { echo "# no CSP header"; return 1; }
	! grep -qi "<script" "$W/n3/page.html" || return 1
	REG_CMD=$(echo "${line#coordctl }" | sed "s/USERNAME/$ADMIN_USER/")
}

admin_node_id() {
	server_nodes 2>/dev/null |
	    jq -r ".[] | select(.name == \"$1\" or .givenName == \"$1\") | .id" |
	    head -n 1
}

# peer_route I HOST FIELD: node I sees ADMIN_ROUTE in that peer's FIELD.
peer_route() {
	st "$1" "[.Peer[]? | select(.HostName == \"$2\") |
	    (.$3 // []) | index(\"$ADMIN_ROUTE\")] | map(select(. != null)) |
	    length == 1"
}

# jq: a node's route lists, camelCase (coordctl, REST) or snake_case
# (headscale's CLI prints its protobuf structs).
JQ_ROUTES='def rl(f): (.[f] // .[f | gsub("(?<c>[A-Z])"; "_" + (.c | ascii_downcase))] // []);'

# The server has ADMIN_ROUTE among n3's available routes.
route_available() {
	server_nodes 2>/dev/null | jq -e "$JQ_ROUTES [.[] |
	    select(.name == \"n3\") |
	    select(rl(\"availableRoutes\") | index(\"$ADMIN_ROUTE\") != null)] |
	    length == 1" >/dev/null
}

# list-routes -o json: one node with ADMIN_ROUTE approved, available
# and served.
route_listed() {
	jq -e "$JQ_ROUTES [.. | objects |
	    select(has(\"approvedRoutes\") or has(\"approved_routes\")) |
	    select((rl(\"approvedRoutes\") | index(\"$ADMIN_ROUTE\")) != null and
	    (rl(\"availableRoutes\") | index(\"$ADMIN_ROUTE\")) != null and
	    (rl(\"subnetRoutes\") | index(\"$ADMIN_ROUTE\")) != null)] |
	    length == 1" "$1" >/dev/null
}

admin_scenario() {
	# (a) Interactive registration.
	need "users create $ADMIN_USER" admin_log users create "$ADMIN_USER" ||
	    return 1
	need "n3: tailscale up without a key starts" admin_up_interactive ||
	    return 1
	need "n3: status --json shows an AuthURL" wait_until 30 has_authurl 3 ||
	    return 1
	URL3=$(authurl 3)
	case $URL3 in
	"$URL"/register/*) ok "the AuthURL is on the server ($URL3)" ;;
	*) fail "the AuthURL is on the server ($URL3)" ;;
	esac
	check "n3 is not Running before the admin acts" \
	    st 3 '.BackendState != "Running"'
	if ! admin_page_command "$URL3"; then
		fail "the AuthURL's page shows the register command"
		return 1
	fi
	ok "the AuthURL's page shows the register command"
	# shellcheck disable=SC2086
	out=$(admin $REG_CMD 2>&1); rc=$?
	[ $rc -eq 0 ] || echo "# $REG_CMD: rc=$rc: $(echo "$out" | tail -n 2)"
	check "$REG_CMD" [ $rc -eq 0 ]
	check "n3 reaches Running as $ADMIN_USER ($(elapsed))" \
	    wait_until 60 running_as 3 "$ADMIN_USER"
	wait "$UP3_PID"; rc=$?
	check "n3: the waiting tailscale up exits 0 ($rc)" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || tail -n 3 "$W/n3/up.log" | sed 's/^/# /'
	check "n1 lists n3" wait_until 30 sees 1 n3

	# (b) A subnet route, advertised then approved.
	check "n3: tailscale set --advertise-routes=$ADMIN_ROUTE" \
	    ts 3 set --advertise-routes="$ADMIN_ROUTE"
	ID3=$(admin_node_id n3)
	check "n3's node id on the server ($ID3)" [ -n "$ID3" ]
	check "the server lists $ADMIN_ROUTE as available on n3" \
	    wait_until 20 route_available
	# Give the new Hostinfo time to reach n1, had it been shown.
	sleep 1
	if peer_route 1 n3 AllowedIPs; then
		fail "n1 does not see n3's route before approval"
	else
		ok "n1 does not see n3's route before approval"
	fi
	out=$(admin nodes approve-routes -i "$ID3" -r "$ADMIN_ROUTE" 2>&1); rc=$?
	[ $rc -eq 0 ] || echo "# approve-routes: rc=$rc: $(echo "$out" | tail -n 2)"
	check "nodes approve-routes -i $ID3 -r $ADMIN_ROUTE" [ $rc -eq 0 ]
	admin nodes list-routes >"$W/list-routes.txt" 2>&1
	check "nodes list-routes shows $ADMIN_ROUTE" \
	    grep -q "$ADMIN_ROUTE" "$W/list-routes.txt"
	admin nodes list-routes -o json >"$W/list-routes.json" 2>&1
	check "nodes list-routes -o json: approved, available and serving" \
	    route_listed "$W/list-routes.json"
	check "n1 sees $ADMIN_ROUTE in n3's PrimaryRoutes ($(elapsed))" \
	    wait_until 30 peer_route 1 n3 PrimaryRoutes
	check "n1 sees $ADMIN_ROUTE in n3's AllowedIPs" \
	    wait_until 10 peer_route 1 n3 AllowedIPs
	# Against headscale v0.29.2 (the reference run) the node's own
	# Self.PrimaryRoutes stayed empty within 10 s; coordd sends it.
	[ "$SERVER" = coordd ] || return 0
	check "n3 knows it serves $ADMIN_ROUTE (Self.PrimaryRoutes)" \
	    wait_until 10 st 3 "(.Self.PrimaryRoutes // []) |
	    index(\"$ADMIN_ROUTE\") != null"
}
