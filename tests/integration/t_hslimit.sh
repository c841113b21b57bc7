# Noise handshakes have a per-source rate limit: past the burst a source
# gets 429 and a log line, the next second it may go on, and the suite is
# unaffected.  A low limit here (COORDD_TEST_HS_RATE=rate:burst).
. "$(dirname "$0")/lib.sh"
TSC="$BUILDDIR/tests/client/tsc"
export COORDD_TEST_HS_RATE=1:3
suite_start || finish
wait_log "noise key check passed" >/dev/null
cpid=$(child_pid coordinator)

okn=0; refused=0
for _ in 1 2 3 4 5 6; do
	if "$TSC" "$URL" handshake >/dev/null 2>&1; then okn=$((okn + 1))
	else refused=$((refused + 1)); fi
done
check "the burst of 3 goes through ($okn of 6)" [ "$okn" -ge 3 ]
check "and then handshakes are refused ($refused of 6)" [ "$refused" -ge 2 ]
check "with a log line" wait_log "handshake rate limit, refusing"
check "a plain request is not limited" sh -c "\"$TSC\" \"$URL\" get /health | grep -q '^200'"
sleep 2.2
check "after a while the source may shake hands again" \
    sh -c "\"$TSC\" \"$URL\" handshake >/dev/null"
check "the coordinator is the same process" [ "$(child_pid coordinator)" = "$cpid" ]
suite_stop
finish
