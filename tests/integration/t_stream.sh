# The change stream: every committed change reaches the coordinator in
# order, and a restarted coordinator starts again from a full snapshot.
. "$(dirname "$0")/lib.sh"
suite_start || finish
check "first snapshot is empty" wait_log "^coordinator\[.*replica synced at seq [0-9]+: 0 users"
for u in ann ben cat; do ctl users create $u >/dev/null; done
ctl users destroy --name ben >/dev/null
check "the coordinator follows: 2 users after 3 creates and a delete" \
    wait_log "^coordinator\[.*replica at seq [0-9]+: 2 users"
seqs=$(grep -E "^coordinator\[.*replica at seq" "$LOG" | sed -E 's/.*seq ([0-9]+):.*/\1/')
sorted=$(echo "$seqs" | sort -n | uniq)
check "sequence numbers strictly increase ($(echo $seqs))" [ "$seqs" = "$sorted" ]
n=$(echo "$seqs" | wc -l)
check "one change per write ($n)" [ "$n" -eq 4 ]
last=$(echo "$seqs" | tail -n 1)
kill -KILL "$(child_pid coordinator)"
check "a restarted coordinator gets the full state at seq $last" \
    wait_log "^coordinator\[.*replica synced at seq $last: 2 users"
ctl users create dan >/dev/null
check "and then follows the stream again" \
    wait_log "^coordinator\[.*replica at seq [0-9]+: 3 users"
mk="mkey:$(printf '%064d' 7)"
ctl debug create-node --name box --user dan --key "$mk" >/dev/null
check "a new node reaches the replica" \
    wait_log "^coordinator\[.*replica at seq [0-9]+: 3 users, 1 nodes"
kill -KILL "$(child_pid coordinator)"
check "a restarted coordinator has the node from its snapshot" \
    wait_log "^coordinator\[.*replica synced at seq [0-9]+: 3 users, 1 nodes"
id=$(ctl nodes list -o json | sed -n 's/^    "id": "\([0-9]*\)".*/\1/p' | head -n 1)
ctl nodes delete --identifier "$id" >/dev/null
check "a deleted node leaves the replica" \
    wait_log "^coordinator\[.*replica at seq [0-9]+: 3 users, 0 nodes"
suite_stop
finish
