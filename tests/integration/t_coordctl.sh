# coordctl itself: help and errors, the local commands (configtest,
# dump-config, generate, version, completion), the output formats of
# the daemon's answers, the question before destroying, and that man
# page and completion scripts know every command and flag.
. "$(dirname "$0")/lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CC="$BIN/coordctl"
export LC_ALL=C

# Widest line of the file given, in bytes.
widest() { awk '{ if (length > m) m = length } END { print m + 0 }' "$1"; }
quiet() { "$@" >/dev/null; }
fits80() { [ "$(widest "$1")" -le 80 ]; }

must() {	# must "what" command...: passes, or fails with its output
	what=$1; shift
	if out=$("$@" 2>&1); then
		ok "$what"
	else
		fail "$what: $out"
	fi
}

# --- help and errors --------------------------------------------------
"$CC" help > "$T/help"; rc=$?
check "help exits 0" [ $rc -eq 0 ]
check "help fits 80 columns" fits80 "$T/help"
groups="users nodes preauthkeys apikeys auth policy debug generate"
for c in $groups health configtest dump-config version completion help; do
	check "help lists $c" grep -q "^  $c\b" "$T/help"
done
for g in $groups; do
	"$CC" $g --help > "$T/help.$g" 2>&1
	check "$g --help exits 0 and fits 80 columns" fits80 "$T/help.$g"
done
for v in create list rename destroy; do
	check "users --help lists $v" grep -q "^  $v\b" "$T/help.users"
done
for v in list list-routes register expire rename delete move tag \
    approve-routes backfillips; do
	check "nodes --help lists $v" grep -q "^  $v\b" "$T/help.nodes"
done
check "aliases are shown" grep -q 'destroy (delete' "$T/help.users"
"$CC" nodes expire --help > "$T/help.expire"
check "a command's help shows its flags" \
    sh -c "grep -q -- '-i, --identifier' '$T/help.expire' &&
    grep -q -- '-d, --disable' '$T/help.expire'"
check "help users create is users create --help" \
    sh -c "[ \"\$('$CC' help users create)\" = \"\$('$CC' users create --help)\" ]"

out=$("$CC" frobnicate 2>&1); rc=$?
check "an unknown command exits 1 ($out)" [ $rc -eq 1 ]
check "and says so" sh -c "echo '$out' | grep -q 'unknown command \"frobnicate\"'"
out=$("$CC" users frob 2>&1); rc=$?
check "an unknown verb exits 1 ($out)" [ $rc -eq 1 ]
out=$("$CC" users create --frob x 2>&1); rc=$?
check "an unknown flag exits 1 ($out)" \
    sh -c "[ $rc -eq 1 ] && echo '$out' | grep -q 'unknown flag --frob'"
out=$("$CC" -o xml version 2>&1); rc=$?
check "an unknown format exits 1 ($out)" [ $rc -eq 1 ]
"$CC" >/dev/null 2>&1; rc=$?
check "no command exits 1" [ $rc -eq 1 ]

# --- local commands ---------------------------------------------------
check "version" sh -c "'$CC' version | grep -qE '^[0-9]+\.[0-9]+'"
check "version -o json" sh -c "'$CC' version -o json | jq >/dev/null -e .version"
k=$("$CC" generate private-key)
check "generate private-key: privkey:<64 hex> ($k)" \
    sh -c "echo '$k' | grep -qxE 'privkey:[0-9a-f]{64}'"
k2=$("$CC" gen private-key -o json | jq -r .private_key)
check "gen private-key -o json, a new key each time" \
    sh -c "echo '$k2' | grep -qxE 'privkey:[0-9a-f]{64}' && [ '$k' != '$k2' ]"

write_config
out=$("$CC" configtest -c "$CONF" 2>&1); rc=$?
check "configtest accepts a good config ($out)" \
    sh -c "[ $rc -eq 0 ] && echo '$out' | grep -q 'configuration OK'"
printf 'server_url: http://127.0.0.1:1\nprefixes:\n  v4: [oops\n' > "$T/bad.yaml"
out=$("$CC" configtest --config "$T/bad.yaml" 2>&1); rc=$?
check "configtest refuses a broken file ($out)" [ $rc -eq 1 ]
check "and names file and line" sh -c "echo '$out' | grep -q 'bad.yaml:[0-9]'"
{ echo 'acl_policy_path: /x'; cat "$CONF"; } > "$T/removed.yaml"
out=$("$CC" configtest -c "$T/removed.yaml" 2>&1); rc=$?
check "configtest refuses a removed key ($out)" \
    sh -c "[ $rc -eq 1 ] && echo '$out' | grep -q acl_policy_path"
out=$("$CC" configtest -c "$T/nonexistent.yaml" 2>&1); rc=$?
check "configtest of a missing file exits 1 ($out)" [ $rc -eq 1 ]
"$CC" dump-config -c "$CONF" > "$T/dump" 2>&1
check "dump-config prints the effective config" \
    sh -c "grep -q 'base_domain: \"tailnet.example\"' '$T/dump' &&
    grep -q 'node:' '$T/dump'"
check "dumpConfig is its hidden alias" \
    sh -c "'$CC' dumpConfig -c '$CONF' | cmp -s - '$T/dump'"
check "dump-config applies HEADSCALE_* variables" \
    sh -c "HEADSCALE_DNS_BASE_DOMAIN=other.example '$CC' dump-config \
    -c '$CONF' | grep -q 'other.example'"

# --- completion -------------------------------------------------------
check "completion bash loads" \
    sh -c "bash -c 'source <(\"$CC\" completion bash); complete -p coordctl' |
    grep -q _coordctl"
check "etc/completion/coordctl.bash is current" \
    sh -c "'$CC' completion bash | cmp -s - '$TOP/etc/completion/coordctl.bash'"
check "etc/completion/_coordctl is current" \
    sh -c "'$CC' completion zsh | cmp -s - '$TOP/etc/completion/_coordctl'"
comp() {
	bash -c 'source <("$0" completion bash)
	    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _coordctl
	    echo "${COMPREPLY[*]}"' "$CC" coordctl "$@"
}
check "completes commands" [ "$(comp us)" = users ]
check "completes verbs after an alias" sh -c "echo '$(comp pre '')' |
    grep -q 'create' "
check "completes flags" [ "$(comp nodes list --u)" = --user ]
check "completes formats" sh -c "echo '$(comp -o '')' | grep -q json-line"
check "skips flag values" [ "$(comp -s /x nodes ap)" = approve-routes ]
if command -v zsh >/dev/null 2>&1; then
	check "completion zsh parses" sh -c "'$CC' completion zsh | zsh -n"
fi

# Every command and flag of the help is in the man page and completion.
bash_script=$("$CC" completion bash)
mandoc -T ascii "$TOP/etc/coordctl.8" 2>/dev/null | col -b > "$T/man"
for g in $groups; do
	for v in $(sed -n '/^Commands:/,/^$/p' "$T/help.$g" |
	    awk 'NR > 1 && NF { print $1 }'); do
		check "man page has $g $v" grep -q "$g $v" "$T/man"
		check "completion has $g $v" \
		    sh -c "echo '$bash_script' | grep -q '\"$g $v\"'"
		for f in $("$CC" $g $v --help | sed -n '/^Flags:/,/^$/p' |
		    grep -oE -- '--[a-z-]+'); do
			grep -q -- "$f" "$T/man" ||
			    fail "man page lacks $f of $g $v"
			echo "$bash_script" | grep "\"$g $v\")" |
			    grep -q -- " $f " ||
			    fail "completion lacks $f of $g $v"
		done
	done
done
for c in health configtest dump-config version completion; do
	check "man page has $c" grep -q "coordctl $c\|^ *$c" "$T/man"
done
if command -v mandoc >/dev/null 2>&1; then
	out=$(mandoc -T lint -W warning "$TOP/etc/coordctl.8" 2>&1)
	check "mandoc -T lint finds nothing${out:+: $out}" [ -z "$out" ]
fi

# --- against a running suite ------------------------------------------
suite_start || finish
check "users create alice" quiet ctl users create alice -e alice@example.com \
    -d 'Alice Liddell'
check "users create a long name" quiet ctl users create \
    a-very-long-user-name-that-does-not-fit-in-its-column
ctl users create alice > "$T/dup" 2>&1; rc=$?
check "a failure exits 1 with one line on stderr" \
    sh -c "[ $rc -eq 1 ] && [ \$(wc -l < '$T/dup') -eq 1 ]"

ctl users list > "$T/users"
check "users table: headscale's columns" \
    grep -qE '^ID +Name +Username +Email +Created' "$T/users"
check "users table fits 80 columns" fits80 "$T/users"
check "users table: times as 2006-01-02 15:04:05" \
    grep -qE '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}' "$T/users"
check "users -o json parses, REST shape" \
    sh -c "ctl() { '$CC' -s '$SOCK' \"\$@\"; }
    ctl users list -o json | jq >/dev/null -e '.[0].id == \"1\" and .[0].name == \"alice\"'"
check "users -o json-line is one line" \
    sh -c "[ \$('$CC' -s '$SOCK' users list -o json-line | wc -l) -eq 1 ] &&
    '$CC' -s '$SOCK' users list -o json-line | jq >/dev/null -e 'length == 2'"
ctl users list -o yaml > "$T/users.yaml"
check "users -o yaml has the keys" \
    sh -c "grep -q '^- id: \"1\"' '$T/users.yaml' &&
    grep -q 'createdAt:' '$T/users.yaml' && grep -q 'email:' '$T/users.yaml'"
check "yaml parses back" sh -c "yq >/dev/null -e '.[0].name == \"alice\"' '$T/users.yaml'" ||
    true
check "-o may come first" sh -c "'$CC' -o json -s '$SOCK' users ls | jq >/dev/null -e 'length == 2'"
check "--output=json" sh -c "'$CC' -s '$SOCK' users list --output=json | jq >/dev/null -e ."
check "the socket from -c" sh -c "'$CC' -c '$CONF' users list | grep -q alice"

key=$(ctl preauthkeys create -u alice --reusable -e 24h)
check "a new pre-auth key alone in table output ($key)" \
    sh -c "echo '$key' | grep -qxE 'hskey-auth-[A-Za-z0-9_-]+'"
check "preauthkeys create -o json" \
    sh -c "'$CC' -s '$SOCK' pre c -u alice -o json | jq >/dev/null -e '.key | startswith(\"hskey-auth-\")'"
ctl preauthkeys create --tags tag:a-very-long-tag-name,tag:another >/dev/null
ctl preauthkeys list > "$T/paks"
check "preauthkeys table: columns" grep -qE '^ID +Key/Prefix' "$T/paks"
check "preauthkeys table fits 80 columns" fits80 "$T/paks"
check "preauthkeys table shows the owner" grep -q alice "$T/paks"
check "preauthkeys -o yaml" \
    sh -c "'$CC' -s '$SOCK' pre ls -o yaml | grep -q 'reusable: true'"

akey=$(ctl apikeys create)
check "a new API key alone ($akey)" sh -c "echo '$akey' | grep -qE '^hskey-api-'"
ctl apikeys list > "$T/apikeys"
check "apikeys table: columns" grep -qE '^ID +Prefix +Expiration +Created' "$T/apikeys"
check "apikeys table fits 80 columns" fits80 "$T/apikeys"
check "apikeys -o json" sh -c "'$CC' -s '$SOCK' apikeys list -o json | jq >/dev/null -e '.[0].prefix'"

mk() { printf 'mkey:%064d' "$1"; }
ctl debug create-node --name a-rather-long-host-name-for-a-table --user alice \
    --key "$(mk 1)" >/dev/null
ctl debug create-node --name desk --user a-very-long-user-name-that-does-not-fit-in-its-column \
    --key "$(mk 2)" >/dev/null
ctl debug create-node --name gw --user alice --key "$(mk 3)" >/dev/null
ctl nodes list > "$T/nodes"
check "nodes table fits 80 columns" fits80 "$T/nodes"
check "nodes table has ID, Hostname, Name, IP addresses, Expired" \
    grep -qE '^ID +Hostname +Name +.*IP addresses.*Expired' "$T/nodes"
check "nodes table elides long names" grep -q '^1 *a-ra[a-z-]*\.\.\. ' "$T/nodes"
check "nodes table: three rows" [ "$(wc -l < "$T/nodes")" -eq 4 ]
COLUMNS=200 ctl nodes list > "$T/nodes.wide"
check "a wider terminal gets more" [ "$(widest "$T/nodes.wide")" -gt 80 ]
ctl nodes list -t > "$T/nodes.tags"
check "nodes list -t shows Tags" sh -c "head -1 '$T/nodes.tags' | grep -q Tags"
check "and fits 80 columns" fits80 "$T/nodes.tags"
check "nodes -o json: the REST shape" \
    sh -c "'$CC' -s '$SOCK' nodes list -o json | jq >/dev/null -e '.[0] | has(\"machineKey\")
    and has(\"ipAddresses\") and has(\"givenName\") and (.id | type == \"string\")'"
check "nodes -o yaml" sh -c "'$CC' -s '$SOCK' nodes list -o yaml | grep -q 'givenName:'"
check "flags joined to their value (-i2)" quiet ctl nodes rename -i2 study
check "renamed" sh -c "'$CC' -s '$SOCK' nodes ls -o json | jq >/dev/null -e 'any(.[]; .givenName == \"study\")'"

# Destroying asks only at a terminal, and --force skips the question.
if command -v script >/dev/null 2>&1; then
	echo n | script -qec "'$CC' -s '$SOCK' nodes delete -i 2" /dev/null \
	    > "$T/ask" 2>&1
	check "at a terminal, nodes delete asks" grep -q 'delete the node' "$T/ask"
	check "and no keeps the node" \
	    sh -c "'$CC' -s '$SOCK' nodes ls -o json | jq >/dev/null -e 'length == 3'"
fi
check "without a terminal it does not ask" \
    sh -c "'$CC' -s '$SOCK' nodes delete -i 2 </dev/null >/dev/null"
check "the node is gone" sh -c "'$CC' -s '$SOCK' nodes ls -o json | jq >/dev/null -e 'length == 2'"
check "--force is accepted" quiet ctl users destroy --force -n \
    a-very-long-user-name-that-does-not-fit-in-its-column
check "a message in json is a string" \
    sh -c "'$CC' -s '$SOCK' pre expire -i 1 -o json | jq >/dev/null -e 'type == \"string\" or type == \"object\"'"

# The rest of the node and key commands.
must "nodes list-routes" sh -c "'$CC' -s '$SOCK' nodes list-routes > '$T/routes'"
if grep -q 'Serving' "$T/routes" 2>/dev/null; then
	check "list-routes: columns" \
	    grep -qE '^ID +Hostname +Approved +Available +Serving \(Primary\)' "$T/routes"
	check "list-routes fits 80 columns" fits80 "$T/routes"
fi
must "nodes approve-routes" ctl nodes approve-routes -i 3 -r 10.99.0.0/24
must "nodes approve-routes -r \"\" clears" ctl nodes approve-routes -i 3 -r ""
# Moved while it still has an owner: tagged nodes belong to no user.
must "nodes move" ctl nodes move -i 3 -u alice
must "nodes tag" ctl nodes tag -i 3 -t tag:server
out=$("$CC" -s "$SOCK" nodes move -i 3 -u alice 2>&1); rc=$?
check "a tagged node cannot be moved, with a clear error" \
    sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'tagged'"
must "nodes expire --disable" ctl nodes expire -i 3 --disable
must "nodes backfillips --force" ctl nodes backfillips --force
must "preauthkeys delete" ctl preauthkeys delete -i 1
out=$("$CC" -s "$SOCK" policy get 2>&1); rc=$?
check "policy get without a policy: exit 1 and why ($out)" \
    sh -c "[ $rc -eq 1 ] && echo '$out' | grep -q 'no policy'"
must "health" ctl health
must "health -o json" sh -c "out=\$('$CC' -s '$SOCK' health -o json) &&
    echo \"\$out\" | jq >/dev/null -e .databaseConnectivity"

suite_stop
out=$("$CC" -s "$SOCK" users list 2>&1); rc=$?
check "no coordd: exit 1 and a clear error ($out)" \
    sh -c "[ $rc -eq 1 ] && echo '$out' | grep -q 'is coordd running'"
finish
