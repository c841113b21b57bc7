# The real headscale CLI (main branch, pinned in mk/peers.sh), which
# speaks /api/v1 over HTTP, drives coordd with an API key from coordctl:
# users, pre-auth keys, nodes, API keys.  Installing it is part of the
# test: if that fails, the test fails.
. "$(dirname "$0")/lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PEERS=${COORDD_PEERS_DIR:-/var/cache/coordd-peers}
short=$(sed -n 's/^HEADSCALE_CLI_COMMIT=//p' "$TOP/mk/peers.sh" | cut -c1-12)
HS="$PEERS/headscale-main-$short/headscale"

if ! sh "$TOP/mk/peers.sh" --headscale-cli > "$T/peers.log" 2>&1; then
	tail -n 5 "$T/peers.log"
	fail "mk/peers.sh --headscale-cli could not install the headscale CLI"
	finish
fi
check "headscale CLI $short installed" [ -x "$HS" ]

suite_start || finish
KEY=$(ctl apikeys create -o json | jq -r .)
# Remote mode: plain http is honoured when the address says so.
hs() {
	HOME=$T HEADSCALE_CLI_ADDRESS=$URL HEADSCALE_CLI_API_KEY=$KEY \
	    HEADSCALE_DISABLE_CHECK_UPDATES=true "$HS" "$@"
}

check "headscale users create alice" hs users create alice
check "headscale users create bob" hs users create bob --email bob@example.com
out=$(hs users create alice 2>&1); rc=$?
check "a duplicate user is refused ($out)" \
    sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'already exists'"
js=$(hs users list -o json)
check "headscale users list shows both" \
    [ "$(echo "$js" | jq -c '[.[].name] | sort')" = '["alice","bob"]' ]
check "users list -n bob" \
    [ "$(hs users list -n bob -o json | jq -r '.[0].email')" = bob@example.com ]
alice=$(echo "$js" | jq -r '.[] | select(.name == "alice") | .id')

js=$(hs preauthkeys create -u "$alice" --reusable -e 2h -o json)
check "headscale preauthkeys create" \
    sh -c "echo '$js' | jq -e '.key | test(\"^hskey-auth-.{12}-.{64}\$\")' >/dev/null"
check "the key is reusable and alice's" \
    [ "$(echo "$js" | jq -c '[.reusable, .user.name]')" = '[true,"alice"]' ]
js=$(hs preauthkeys list -o json)
check "headscale preauthkeys list shows it masked" \
    sh -c "[ \"\$(echo '$js' | jq length)\" -eq 1 ] && echo '$js' | jq -e '.[0].key | endswith(\"-***\")' >/dev/null"

for i in 1 2; do
	ctl debug create-node --name "host$i" --user alice \
	    --key "$(printf 'mkey:%064d' "$i")" >/dev/null ||
	    fail "coordctl debug create-node host$i"
done
js=$(hs nodes list -o json)
check "headscale nodes list shows two nodes" [ "$(echo "$js" | jq length)" -eq 2 ]
check "with their owner and addresses" \
    [ "$(echo "$js" | jq -c '[.[0].user.name, (.[0].ipAddresses | length)]')" = '["alice",2]' ]
check "headscale nodes list --user bob is empty" \
    [ "$(hs nodes list --user bob -o json | jq length)" -eq 0 ]
check "headscale nodes rename" hs nodes rename -i 1 desk
check "the new name shows" \
    [ "$(hs nodes list -o json | jq -r '.[] | select(.id == "1") | .givenName')" = desk ]
check "headscale nodes delete" hs nodes delete -i 2 --force
check "one node left" [ "$(hs nodes list -o json | jq length)" -eq 1 ]
out=$(hs nodes delete -i 99 --force 2>&1); rc=$?
check "deleting an unknown node fails ($out)" [ $rc -ne 0 ]

new=$(hs apikeys create -e 1d -o json | jq -r .)
check "headscale apikeys create" sh -c "echo '$new' | grep -q '^hskey-api-'"
js=$(hs apikeys list -o json)
check "headscale apikeys list shows two" [ "$(echo "$js" | jq length)" -eq 2 ]
st=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $new" \
    "$URL/api/v1/user")
check "the new key works ($st)" [ "$st" = 200 ]
prefix=$(echo "$js" | jq -r '.[1].prefix')
check "headscale apikeys expire -p" hs apikeys expire -p "$prefix"
st=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $new" \
    "$URL/api/v1/user")
check "the expired key is refused ($st)" [ "$st" = 401 ]
out=$(KEY=$new hs users list 2>&1); rc=$?
check "the CLI with the expired key fails ($out)" [ $rc -ne 0 ]
check "headscale apikeys delete -i 2" hs apikeys delete -i 2
check "one API key left" [ "$(hs apikeys list -o json | jq length)" -eq 1 ]

check "headscale users destroy bob" hs users destroy --name bob --force
check "only alice is left" \
    [ "$(hs users list -o json | jq -c '[.[].name]')" = '["alice"]' ]
check "headscale health" hs health
finish
