# GET /register/<auth id>: the page an interactive login's AuthURL
# names.  It shows the exact register command, escapes what the client
# sent, forbids scripts (CSP), and is a 404 for malformed, unknown and
# expired ids.
. "$(dirname "$0")/lib.sh"
export COORDD_TEST_AUTHWAIT_SEC=1
TSC="$BUILDDIR/tests/client/tsc"
write_config
# Short-lived requests, so that expiry can be seen.
cat >> "$CONF" <<EOC
tuning:
  register_cache_expiration: 4s
EOC
suite_start || finish
wait_log "noise key check passed" >/dev/null

# page PATH: headers in $T/h, body in $T/b, the status on stdout.
page() {
	curl -s --path-as-is -o "$T/b" -D "$T/h" -w '%{http_code}' "$URL$1"
}
authurl() {	# authurl HOSTNAME: a new pending request's AuthURL
	"$TSC" "$URL" register "" "$1" > "$T/reg" 2>&1
	sed -n 3p "$T/reg" | sed -n 's/.*"AuthURL":"\([^"]*\)".*/\1/p'
}

u=$(authurl 'x<script>alert(1)</script>&y')
id=${u##*/register/}
check "an interactive register gets an AuthURL ($u)" \
    sh -c "echo '$id' | grep -qE '^hskey-authreq-[A-Za-z0-9]{24}$'"
st=$(page "/register/$id")
check "the page answers 200 ($st)" [ "$st" = 200 ]
check "as text/html" grep -qi '^content-type: text/html; charset=utf-8' "$T/h"
check "with a CSP that allows no script" \
    grep -qi "^content-security-policy: default-src 'none';" "$T/h"
check "and the CSP does not allow scripts elsewhere" \
    sh -c "! grep -i '^content-security-policy' '$T/h' | grep -qi 'script-src'"
check "no-store, nosniff" sh -c "grep -qi '^cache-control: no-store' '$T/h' &&
    grep -qi '^x-content-type-options: nosniff' '$T/h'"
check "the page shows the exact coordctl command" \
    grep -qF "coordctl nodes register --user USERNAME --key $id" "$T/b"
check "and the headscale spelling" \
    grep -qF "headscale nodes register --user USERNAME --key $id" "$T/b"
check "the client's host name is escaped" \
    grep -qF 'x&lt;script&gt;alert(1)&lt;/script&gt;&amp;y' "$T/b"
check "the page has no script element" sh -c "! grep -qi '<script' '$T/b'"

st=$(page "/register/hskey-authreq-AAAAAAAAAAAAAAAAAAAAAAAA")
check "an unknown id: 404 ($st)" [ "$st" = 404 ]
check "with an HTML page saying so" grep -q "unknown or has expired" "$T/b"
check "under the same CSP" grep -qi "^content-security-policy: default-src 'none';" "$T/h"
for bad in "" "hskey-authreq-" "${id}x" "$(echo "$id" | cut -c1-37)" \
    "hskey-authreq-AAAAAAAAAAAAAAAAAAAAAA%41A" "../health" \
    "hskey-authreq-AAAAAAAAAAAAAAAAAAAAAAA/" "$id/x" "$id?x=1"; do
	st=$(page "/register/$bad")
	if [ "$bad" = "$id?x=1" ]; then
		# The query is not part of the id.
		check "'/register/$bad': 200 ($st)" [ "$st" = 200 ]
	else
		check "a malformed id '/register/$bad': 404 ($st)" [ "$st" = 404 ]
	fi
done
st=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/register/$id")
check "POST: 405 ($st)" [ "$st" = 405 ]
check "the front door still answers" "$TSC" "$URL" handshake

# The admin registers a pending request (apid asks the coordinator,
# which has stored create the node): the node is alice's, by "cli".
check "users create alice" ctl users create alice
u2=$(authurl desk)
id2=${u2##*/register/}
out=$(ctl nodes register --user alice --key "$id2" -o json 2>&1)
check "nodes register --user alice --key $id2" \
    sh -c "echo '$out' | jq -e '.name == \"desk\" or .node.name == \"desk\"'"
nodes=$(ctl nodes list -o json)
check "the node is alice's, registered from the CLI" \
    sh -c "echo '$nodes' | jq -e '[.[] | select(.name == \"desk\" and
    .user.name == \"alice\" and
    .registerMethod == \"REGISTER_METHOD_CLI\")] | length == 1'"
check "the coordinator logs it" wait_log "register: $id2 registered node"
st=$(page "/register/$id2")
check "a registered request's page is gone: 404 ($st)" [ "$st" = 404 ]
out=$(ctl nodes register --user alice --key "$id2" 2>&1)
check "registering it again: not found ($out)" \
    sh -c "echo '$out' | grep -qi 'not found\|no pending'"
out=$(ctl nodes register --user alice \
    --key hskey-authreq-AAAAAAAAAAAAAAAAAAAAAAAA 2>&1)
check "an unknown id: not found ($out)" \
    sh -c "echo '$out' | grep -qi 'not found\|no pending'"
out=$(ctl nodes register --user nobody --key "$id" 2>&1)
check "an unknown user: an error ($out)" \
    sh -c "echo '$out' | grep -qi 'not found\|no user'"
check "and no node for them" [ "$(ctl nodes list -o json | jq length)" = 1 ]

# The request expires (register_cache_expiration 4s): so does the page,
# and the command finds nothing.
sleep 5
st=$(page "/register/$id")
check "after the request expires: 404 ($st)" [ "$st" = 404 ]
if ctl nodes register --user alice --key "$id" >/dev/null 2>&1; then
	fail "an expired request cannot be registered"
else
	ok "an expired request cannot be registered"
fi

suite_stop
finish
