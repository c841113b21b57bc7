# Nodes from the admin's side: debug create-node registers through the
# CLI path; names and addresses are unique; list, rename, expire and
# delete work; all of it survives a restart; bad commands write nothing.
. "$(dirname "$0")/lib.sh"
suite_start || finish

mk() { printf 'mkey:%064d' "$1"; }
nodes_json() { ctl nodes list -o json; }
count() { nodes_json | grep -c '"machineKey"'; }

check "users create alice" ctl users create alice
check "users create bob" ctl users create bob
for i in 1 2 3; do
	check "debug create-node laptop #$i" \
	    ctl debug create-node --name laptop --user alice --key "$(mk $i)"
done
js=$(nodes_json)
for g in laptop laptop-1 laptop-2; do
	check "given name $g" sh -c "echo '$js' | grep -q '\"givenName\": \"$g\"'"
done
for i in 1 2 3; do
	check "address 100.64.0.$i" sh -c "echo '$js' | grep -q '\"100.64.0.$i\"'"
	check "address fd7a:115c:a1e0::$i" \
	    sh -c "echo '$js' | grep -q '\"fd7a:115c:a1e0::$i\"'"
done
check "registerMethod is CLI" \
    sh -c "echo '$js' | grep -q '\"registerMethod\": \"REGISTER_METHOD_CLI\"'"
check "ids are strings" sh -c "echo '$js' | grep -q '\"id\": \"1\"'"
check "the owner is shown" sh -c "echo '$js' | grep -q '\"name\": \"alice\"'"
check "a placeholder node key" \
    sh -c "echo '$js' | grep -qE '\"nodeKey\": \"nodekey:[0-9a-f]{64}\"'"
check "three nodes" [ "$(count)" -eq 3 ]

ctl debug create-node --name again --user alice --key "$(mk 1)" >/dev/null
check "the same machine key makes no fourth node" [ "$(count)" -eq 3 ]
check "and keeps its name" sh -c "! $BIN/coordctl -s $SOCK nodes list -o json | grep -q '\"givenName\": \"again\"'"

check "nodes list --user bob is empty" \
    sh -c "[ \"\$($BIN/coordctl -s $SOCK nodes list --user bob -o json | grep -c machineKey)\" -eq 0 ]"
check "nodes ls --user alice shows three" \
    sh -c "[ \"\$($BIN/coordctl -s $SOCK nodes ls -u alice -o json | grep -c machineKey)\" -eq 3 ]"
t=$(ctl nodes list)
check "the table has the columns" sh -c "echo '$t' | head -1 | grep -q 'IP addresses'"
check "the table fits 80 columns" \
    sh -c "[ \"\$(echo '$t' | awk '{ if (length > m) m = length } END { print m }')\" -le 80 ]"

check "nodes rename" ctl nodes rename --identifier 2 desk
check "renamed" sh -c "$BIN/coordctl -s $SOCK nodes list -o json | grep -q '\"givenName\": \"desk\"'"
out=$(ctl nodes rename -i 1 desk 2>&1); rc=$?
check "rename to a taken name refused ($out)" [ $rc -ne 0 ]
out=$(ctl nodes rename -i 1 'Bad Name' 2>&1); rc=$?
check "rename to an invalid label refused ($out)" [ $rc -ne 0 ]
check "nodes expire" ctl nodes expire --identifier 3
check "expired in the table" sh -c "$BIN/coordctl -s $SOCK nodes list | grep laptop-2 | grep -q true"
check "nodes delete" ctl nodes delete --identifier 1
check "two nodes" [ "$(count)" -eq 2 ]
check "debug create-node after a delete" \
    ctl debug create-node --name phone --user bob --key "$(mk 4)"
js=$(nodes_json)
d=$(echo "$js" | grep -oE '"(100\.64|fd7a)[^"]*"' | sort | uniq -d)
check "no duplicate address ($d)" [ -z "$d" ]

# Invalid arguments write nothing.
n=$(count)
out=$(ctl debug create-node --name x --user alice --key mkey:abc 2>&1); rc=$?
check "bad machine key refused ($out)" [ $rc -ne 0 ]
out=$(ctl debug create-node --name x --user nobody --key "$(mk 5)" 2>&1); rc=$?
check "unknown user refused ($out)" [ $rc -ne 0 ]
out=$(ctl debug create-node --user alice --key "$(mk 5)" 2>&1); rc=$?
check "missing --name refused ($out)" [ $rc -ne 0 ]
out=$(ctl nodes delete 2>&1); rc=$?
check "delete without --identifier refused ($out)" [ $rc -ne 0 ]
out=$(ctl nodes delete -i 99 2>&1); rc=$?
check "delete of no such node refused ($out)" [ $rc -ne 0 ]
out=$(ctl nodes expire -i 2 -e yesterday 2>&1); rc=$?
check "bad --expiry refused ($out)" [ $rc -ne 0 ]
check "nothing written by the bad commands" [ "$(count)" -eq "$n" ]
out=$(ctl users destroy --name alice 2>&1); rc=$?
check "a user with nodes cannot be destroyed ($out)" [ $rc -ne 0 ]

before=$(nodes_json)
suite_stop
suite_start || finish
after=$(nodes_json)
check "the nodes survive a restart" [ "$before" = "$after" ]
check "debug create-node after a restart" \
    ctl debug create-node --name tablet --user bob --key "$(mk 6)"
js=$(nodes_json)
d=$(echo "$js" | grep -oE '"(100\.64|fd7a)[^"]*"' | sort | uniq -d)
check "still no duplicate address ($d)" [ -z "$d" ]
suite_stop
finish
