# Registrations at the same time: every node gets its own addresses and
# a unique name, with none of the reserved addresses handed out.
. "$(dirname "$0")/lib.sh"
TSC="$BUILDDIR/tests/client/tsc"
N=30
suite_start || finish
wait_log "noise key check passed" >/dev/null
ctl users create alice >/dev/null
key=$(ctl preauthkeys create --user alice --reusable -o json | jq -r .key)

pids=""
for i in $(seq 1 $N); do
	"$TSC" "$URL" register "$key" same > "$T/r$i" 2>&1 &
	pids="$pids $!"
done
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
check "$N concurrent registrations all finish ($failed failed)" [ "$failed" -eq 0 ]
ok200=$(cat "$T"/r* | grep -c '^200 .*MachineAuthorized":true')
check "all $N are accepted ($ok200)" [ "$ok200" -eq "$N" ]

ctl nodes list -o json > "$T/nodes.json"
check "$N nodes" [ "$(jq length "$T/nodes.json")" -eq "$N" ]
check "$N distinct IPv4 addresses" \
    [ "$(jq -r '.[].ipAddresses[0]' "$T/nodes.json" | sort -u | wc -l)" -eq "$N" ]
check "$N distinct IPv6 addresses" \
    [ "$(jq -r '.[].ipAddresses[1]' "$T/nodes.json" | sort -u | wc -l)" -eq "$N" ]
check "$N distinct names: same, same-1 ..." \
    [ "$(jq -r '.[].givenName' "$T/nodes.json" | sort -u | wc -l)" -eq "$N" ]
check "the addresses are 100.64.0.1 to 100.64.0.$N" sh -c \
    "[ \"\$(jq -r '.[].ipAddresses[0]' '$T/nodes.json' | sort -t. -k4n | tr '\n' ' ')\" = \
    \"\$(seq 1 $N | sed 's/^/100.64.0./' | tr '\n' ' ')\" ]"
check "none is the network address" \
    sh -c "! jq -r '.[].ipAddresses[]' '$T/nodes.json' | grep -qx '100.64.0.0'"
suite_stop
finish
