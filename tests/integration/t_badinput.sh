# Malformed input on the control socket closes that one client; the
# suite goes on, and nothing is written.
. "$(dirname "$0")/lib.sh"
RAW="$BUILDDIR/tests/tools/rawsock"
suite_start || finish
apid=$(child_pid apid)

# Header fields in host order: type, len, peerid, pid (little endian here).
hdr() { printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)))"; }
msg() { hdr "$1"; hdr "$2"; hdr "$3"; hdr 0; }

msg 300 16 1 | "$RAW" -k "$SOCK" >/dev/null 2>&1   # a good hello first
check "a hello alone leaves the connection open" [ $? -eq 2 ]
msg 300 268435456 1 | "$RAW" "$SOCK"
check "oversized length: disconnected" [ $? -eq 0 ]
msg 300 3 1 | "$RAW" "$SOCK"
check "length shorter than a header: disconnected" [ $? -eq 0 ]
{ msg 300 16 1; msg 9999 16 0; } | "$RAW" "$SOCK"
check "unknown message type: disconnected" [ $? -eq 0 ]
{ msg 300 16 1; msg 301 20 2; printf 'zzzz'; } | "$RAW" -k "$SOCK"
check "garbage protobuf: answered and closed" [ $? -eq 0 ]
msg 301 16 2 | "$RAW" "$SOCK"
check "command before hello: disconnected" [ $? -eq 0 ]
{ msg 300 16 99; } | "$RAW" -k "$SOCK"
check "wrong protocol version: answered and closed" [ $? -eq 0 ]
head -c 100000 /dev/urandom | "$RAW" -k "$SOCK"
check "random bytes: disconnected" [ $? -eq 0 ]
printf 'abc' | "$RAW" "$SOCK"
check "truncated header then end of file: closed" [ $? -eq 0 ]
check "apid survived all of it" [ "$(child_pid apid)" = "$apid" ]
check "the suite still answers" ctl users list
n=$(ctl users list -o json | grep -c '"name"')
check "nothing was written ($n users)" [ "$n" -eq 0 ]
check "log names the malformed client" grep -q "malformed message" "$LOG"
suite_stop
finish
