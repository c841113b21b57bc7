# The foundation's promise: a user and a key survive a restart, and bad
# commands write nothing.
. "$(dirname "$0")/lib.sh"
suite_start || finish

check "users create alice" ctl users create alice
key=$(ctl preauthkeys create --user alice --reusable -o json | sed -n 's/.*"key": "\(.*\)".*/\1/p')
check "preauthkeys create prints a key ($key)" \
    sh -c "echo '$key' | grep -qE '^hskey-auth-[A-Za-z0-9_-]{12}-[A-Za-z0-9_-]{64}$'"
check "users list -o json shows alice" sh -c "$BIN/coordctl -s $SOCK users list -o json | grep -q '\"name\": \"alice\"'"
check "preauthkeys list hides the secret" sh -c "! $BIN/coordctl -s $SOCK preauthkeys list -o json | grep -q '$key'"
check "users list -o yaml" sh -c "$BIN/coordctl -s $SOCK users list -o yaml | grep -q 'name: \"alice\"'"
check "users list table" sh -c "$BIN/coordctl -s $SOCK users list | grep -q alice"

out=$(ctl users create alice 2>&1); rc=$?
check "duplicate user: exit 1 ($rc) with one line ($out)" [ $rc -eq 1 ] && [ "$(echo "$out" | wc -l)" -eq 1 ]
out=$(ctl preauthkeys create --user alice --expiration bogus 2>&1); rc=$?
check "bad --expiration refused ($out)" [ $rc -eq 1 ]
out=$(ctl preauthkeys create --tags notatag 2>&1); rc=$?
check "bad tag refused ($out)" [ $rc -eq 1 ]
out=$(ctl users frobnicate 2>&1); rc=$?
check "unknown command refused ($out)" [ $rc -eq 1 ]
out=$(ctl users create 'bad name with
newline' 2>&1); rc=$?
check "invalid user name refused" [ $rc -eq 1 ]
n=$(ctl preauthkeys list -o json | grep -c '"reusable"')
check "nothing written by the bad commands (keys: $n)" [ "$n" -eq 1 ]
n=$(ctl users list -o json | grep -c '"name"')
check "one user" [ "$n" -eq 1 ]

akey=$(ctl apikeys create)
check "apikeys create shows hskey-api- once" sh -c "echo '$akey' | grep -qE '^hskey-api-'"
check "apikeys list hides the secret" sh -c "! $BIN/coordctl -s $SOCK apikeys list | grep -q '$akey'"
prefix=$(echo "${akey#hskey-api-}" | cut -c1-12)
check "apikeys expire --prefix" ctl apikeys expire --prefix "$prefix"
check "users rename" ctl users rename --name alice --new-name alicia
check "users rename back" ctl users rename alicia alice

suite_stop
suite_start || finish
check "alice is still there after a restart" sh -c "$BIN/coordctl -s $SOCK users list -o json | grep -q '\"name\": \"alice\"'"
n=$(ctl preauthkeys list -o json | grep -c '"reusable": true')
check "the reusable key is still there" [ "$n" -eq 1 ]
suite_stop
finish
