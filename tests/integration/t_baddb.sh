# A corrupt database, or one from a newer coordd: a clear error, the
# suite exits, and the file is left exactly as it was.
. "$(dirname "$0")/lib.sh"
write_config
ensure_users
DB="$T/state/db.sqlite"

start_expect_exit() {	# start_expect_exit WHAT: the suite must stop by itself
	"$BIN/coordd" -d -f "$CONF" >"$T/out" 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		kill -KILL $pid; pkill -KILL -P $pid
		fail "$1: the suite kept running"
		return
	fi
	wait $pid
	check "$1: the suite exits with status 1" [ $? -eq 1 ]
	cat "$T/out" >> "$LOG"
}

mkdir -p "$T/state"
head -c 8192 /dev/urandom > "$DB"
sum=$(sha256sum "$DB")
start_expect_exit "random bytes"
check "random bytes: says it is not a database" grep -q "not a SQLite database" "$T/out"
check "random bytes: file untouched" [ "$(sha256sum "$DB")" = "$sum" ]

# A real database, then a newer schema version than this build knows.
rm -f "$DB"
suite_start || finish
ctl users create keepme >/dev/null
suite_stop
sqlite3 "$DB" "UPDATE coordd_schema SET version = 99;"
sum=$(sha256sum "$DB")
start_expect_exit "newer schema"
check "newer schema: clear message" grep -q "schema version 99 is newer" "$T/out"
check "newer schema: file untouched" [ "$(sha256sum "$DB")" = "$sum" ]

# Truncated to half: corrupt.
sqlite3 "$DB" "UPDATE coordd_schema SET version = 4;"
size=$(stat -c %s "$DB")
head -c $((size / 2)) "$DB" > "$T/half" && cat "$T/half" > "$DB"
sum=$(sha256sum "$DB")
start_expect_exit "truncated"
check "truncated: file untouched" [ "$(sha256sum "$DB")" = "$sum" ]
finish
