# Supervision: apid comes back within 2 s and loses no acknowledged
# write; a dead stored stops the suite, and every acknowledged write is
# there after a restart.
. "$(dirname "$0")/lib.sh"
suite_start || finish

ACKED="$T/acked"
: > "$ACKED"
writer() {	# create users until told to stop; log each acknowledged one
	i=$1
	while [ ! -f "$T/stop" ]; do
		if ctl users create "u$i" >/dev/null 2>&1; then
			echo "u$i" >> "$ACKED"
		fi
		i=$((i + 1))
	done
}
writer 1000 &
W=$!
sleep 1
old=$(child_pid apid)
kill -KILL "$old"
start=$(date +%s%N)
new=""
for _ in $(seq 1 40); do
	new=$(child_pid apid)
	[ -n "$new" ] && [ "$new" != "$old" ] && break
	sleep 0.05
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "apid restarted (old $old, new $new) in ${ms} ms" [ -n "$new" ] && [ "$new" != "$old" ] && [ "$ms" -le 2000 ]
sleep 1
touch "$T/stop"; wait $W; rm -f "$T/stop"
n=$(wc -l < "$ACKED")
check "writes were acknowledged across the restart ($n)" [ "$n" -gt 10 ]
ctl users list -o json > "$T/list"
missing=0
for u in $(cat "$ACKED"); do
	grep -q "\"name\": \"$u\"" "$T/list" || missing=$((missing + 1))
done
check "no acknowledged write lost after apid crash (missing $missing)" [ "$missing" -eq 0 ]

# Now stored.
writer 5000 &
W=$!
sleep 1
kids="$(child_pid coordinator) $(child_pid apid) $(child_pid authd)"
kill -KILL "$(child_pid stored)"
for _ in $(seq 1 100); do
	kill -0 "$PARENT" 2>/dev/null || break
	sleep 0.1
done
touch "$T/stop"; wait $W
check "suite exits when stored dies" sh -c "! kill -0 $PARENT 2>/dev/null"
wait "$PARENT"; st=$?
check "parent reports failure (status $st)" [ "$st" -eq 1 ]
# Our own children only: other suites may run on the machine.
left=0
for k in $kids; do kill -0 "$k" 2>/dev/null && left=$((left + 1)); done
check "no child left behind ($kids)" sh -c "[ $left -eq 0 ] && [ -n '$kids' ]"
grep -q "stored is gone, stopping the suite" "$LOG"
check "log says why it stopped" [ $? -eq 0 ]
PARENT=""
suite_start || finish
ctl users list -o json > "$T/list"
missing=0
for u in $(cat "$ACKED"); do
	grep -q "\"name\": \"$u\"" "$T/list" || missing=$((missing + 1))
done
check "every acknowledged write present after restart ($(wc -l < "$ACKED") acked, missing $missing)" [ "$missing" -eq 0 ]
# The parent dies without a word: the children notice and leave.
kids="$(child_pid coordinator) $(child_pid stored) $(child_pid apid) $(child_pid authd)"
kill -KILL "$PARENT"
wait "$PARENT" 2>/dev/null
PARENT=""
gone=0
for _ in $(seq 1 50); do
	alive=0
	for k in $kids; do kill -0 "$k" 2>/dev/null && alive=1; done
	[ $alive -eq 0 ] && { gone=1; break; }
	sleep 0.1
done
check "children exit when the parent dies" [ $gone -eq 1 ]
finish
