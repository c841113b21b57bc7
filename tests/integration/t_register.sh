# POST /machine/register inside Noise with the project's own client:
# pre-auth keys make nodes bound to the Noise machine key; refused keys
# are a 200 with "Error" and write nothing; a restart without Auth is
# accepted, a logout expires the node.
. "$(dirname "$0")/lib.sh"
export COORDD_TEST_AUTHWAIT_SEC=1
TSC="$BUILDDIR/tests/client/tsc"
suite_start || finish
wait_log "noise key check passed" >/dev/null

nodes_json() { ctl nodes list -o json; }
count() { nodes_json | grep -c '"machineKey"'; }
pak() { ctl preauthkeys create --user alice "$@" -o json |
    sed -n 's/.*"key": "\(.*\)".*/\1/p'; }
# reg KEY HOST [follow-ups]: the client's output in $T/reg
reg() { "$TSC" "$URL" register "$@" > "$T/reg" 2>&1; }
line() { sed -n "${1}p" "$T/reg"; }

check "users create alice" ctl users create alice
key=$(pak --reusable)
check "a reusable key ($key)" [ -n "$key" ]

reg "$key" laptop
m1=$(sed -n 's/^machine //p' "$T/reg")
check "register with a reusable key: 200 ($(line 3))" \
    sh -c "sed -n 3p '$T/reg' | grep -q '^200 '"
check "MachineAuthorized and no error" \
    sh -c "sed -n 3p '$T/reg' | grep -q '\"MachineAuthorized\":true' &&
    ! sed -n 3p '$T/reg' | grep -q '\"Error\"'"
check "User and Login with the owner" \
    sh -c "sed -n 3p '$T/reg' | grep -q '\"User\":{[^}]*\"LoginName\":\"alice\"' &&
    sed -n 3p '$T/reg' | grep -q '\"Login\":{[^}]*\"ID\":1'"
check "NodeKeyExpired false, AuthURL empty" \
    sh -c "sed -n 3p '$T/reg' | grep -q '\"NodeKeyExpired\":false' &&
    sed -n 3p '$T/reg' | grep -q '\"AuthURL\":\"\"'"
reg "$key" laptop
m2=$(sed -n 's/^machine //p' "$T/reg")
check "a second machine registers too ($(line 3))" \
    sh -c "sed -n 3p '$T/reg' | grep -q '^200 .*MachineAuthorized\":true'"
js=$(nodes_json)
check "two nodes" [ "$(count)" -eq 2 ]
check "100.64.0.1 and 100.64.0.2" \
    sh -c "echo '$js' | grep -q '\"100.64.0.1\"' && echo '$js' | grep -q '\"100.64.0.2\"'"
check "hostname laptop" sh -c "echo '$js' | grep -q '\"name\": \"laptop\"'"
check "given names laptop and laptop-1" \
    sh -c "echo '$js' | grep -q '\"givenName\": \"laptop\"' &&
    echo '$js' | grep -q '\"givenName\": \"laptop-1\"'"
check "the machine keys are the Noise identities ($m1)" \
    sh -c "echo '$js' | grep -q '\"machineKey\": \"$m1\"' &&
    echo '$js' | grep -q '\"machineKey\": \"$m2\"'"
check "registered by auth key" \
    sh -c "echo '$js' | grep -q 'REGISTER_METHOD_AUTH_KEY'"
check "the coordinator logs it" wait_log "register .*registered laptop"

# Refused keys: a 200 with Error, and no node.
reg "hskey-auth-nosuchkey-0000" wrong
check "a wrong key: 200 with Error ($(line 3))" \
    sh -c "sed -n 3p '$T/reg' | grep -q '^200 {\"Error\":\"'"
check "and a log line" wait_log "register .*refused: invalid authkey"
exp=$(pak --expiration 1s)
sleep 2
reg "$exp" late
check "an expired key: 200 with Error ($(line 3))" \
    sh -c "sed -n 3p '$T/reg' | grep -q '^200 {\"Error\":\"'"
check "no node from refused keys" [ "$(count)" -eq 2 ]
one=$(pak)
reg "$one" once
check "a single-use key works once ($(line 3))" \
    sh -c "sed -n 3p '$T/reg' | grep -q '^200 .*MachineAuthorized\":true'"
reg "$one" twice
check "and not twice ($(line 3))" \
    sh -c "sed -n 3p '$T/reg' | grep -q '^200 {\"Error\":\"'"
check "three nodes" [ "$(count)" -eq 3 ]
check "no node named twice" sh -c "! $BIN/coordctl -s $SOCK nodes list -o json | grep -q twice"

# No auth key and an unknown node: an AuthURL, and a follow-up that
# waits (COORDD_TEST_AUTHWAIT_SEC) and then repeats the same URL.
reg "" nokey followup
check "no auth key: 200 with an AuthURL ($(line 3))" \
    sh -c "sed -n 3p '$T/reg' | grep -q '^200 {\"AuthURL\":\"$URL/register/hskey-authreq-[A-Za-z0-9]\{24\}\"}'"
u3=$(sed -n 3p "$T/reg" | sed 's/.*"AuthURL":"\([^"]*\)".*/\1/')
check "the follow-up waits, then gets the same AuthURL" \
    sh -c "sed -n 4p '$T/reg' | grep -qF '\"AuthURL\":\"$u3\"'"
check "the log names the auth request" wait_log "auth request hskey-authreq-"
check "no node for it" [ "$(count)" -eq 3 ]

# Key rotation without Auth: same node, same address, new key.
reg "$key" rotor rotate
k1=$(sed -n 's/^node //p' "$T/reg" | sed -n 1p)
k2=$(sed -n 's/^node //p' "$T/reg" | sed -n 2p)
check "a rotation is answered 200 without Error ($(sed -n 5p "$T/reg" | cut -c1-60))" \
    sh -c "sed -n 5p '$T/reg' | grep -q '^200 .*MachineAuthorized\":true' &&
    ! sed -n 5p '$T/reg' | grep -q Error"
check "the node now has the new key, and the old one is gone" \
    sh -c "nodes_json() { $BIN/coordctl -s $SOCK nodes list -o json; };
    nodes_json | grep -q '$k2' && ! nodes_json | grep -q '$k1'"
check "still four nodes" [ "$(count)" -eq 4 ]

# A restart of a known node without Auth, then a logout.
reg "$key" desk refresh logout
check "register, restart, logout: all 200 ($(sed -n '3,5p' "$T/reg" | cut -c1-40 | tr '\n' ' '))" \
    [ "$(sed -n '3,5p' "$T/reg" | grep -c '^200 ')" -eq 3 ]
check "the restart is accepted without Auth" \
    sh -c "sed -n 4p '$T/reg' | grep -q 'MachineAuthorized\":true' &&
    ! sed -n 4p '$T/reg' | grep -q Error"
check "the logout answers NodeKeyExpired true ($(line 5))" \
    sh -c "sed -n 5p '$T/reg' | grep -q '\"NodeKeyExpired\":true'"
check "the node is expired" sh -c "$BIN/coordctl -s $SOCK nodes list | grep desk | grep -q true"

# A body that is not a RegisterRequest.
out=$("$TSC" "$URL" h2post /machine/register '{"NodeKey":"nodekey:12"}' | head -n 1)
check "a bad node key: 400 ($out)" sh -c "echo '$out' | grep -q '^400'"
out=$("$TSC" "$URL" h2post /machine/register 'not json' | head -n 1)
check "not JSON: 400 ($out)" sh -c "echo '$out' | grep -q '^400'"
check "five nodes in the end" [ "$(count)" -eq 5 ]
check "the front door still answers" "$TSC" "$URL" handshake

suite_stop
finish
