# REST conformance: every route of headscale v0.29.2's /api/v1 table on
# a running suite, against the expectations in tests/conformance/rest/
# (status, exact key sets and value types, some values).  Then the
# properties the table cannot show: errors write nothing, a missing and
# a wrong key cost about the same, failed checks are rate-limited.
. "$(dirname "$0")/lib.sh"
CASES=$(cd "$(dirname "$0")/../conformance/rest" && pwd)

write_config
cat >> "$CONF" <<EOC
policy:
  mode: database
EOC
suite_start || finish

KEY=$(ctl apikeys create -o json | jq -r .)
case $KEY in
hskey-api-*) ok "an API key from coordctl" ;;
*) fail "no API key from coordctl ($KEY)"; finish ;;
esac
VARS="$T/vars.json"
echo '{}' > "$VARS"
SEEN="$T/seen"
: > "$SEEN"

# The jq shape checker: a type name ("string", "u64", "time",
# "regmethod", alternatives with |, @name for shapes.json), an object
# (exactly these keys), or an array ([] any, [s] every element s).
JQ_SHAPE='
def conforms($s):
  def alt($v; $a):
    if ($a | startswith("@")) then ($v | conforms($shapes[0][$a[1:]]))
    elif $a == "u64" then ($v | type) == "string" and ($v | test("^[0-9]+$"))
    elif $a == "time" then ($v | type) == "string" and
      ($v | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"))
    elif $a == "regmethod" then ($v | type) == "string" and
      ($v | test("^REGISTER_METHOD_(UNSPECIFIED|AUTH_KEY|CLI|OIDC)$"))
    else ($v | type) == $a end;
  . as $v |
  if ($s | type) == "string" then any($s | split("|")[]; alt($v; .))
  elif ($s | type) == "array" then ($v | type) == "array" and
    (($s | length) == 0 or all($v[]; conforms($s[0])))
  elif ($s | type) == "object" then ($v | type) == "object" and
    (($v | keys) == ($s | keys)) and
    all($s | keys[]; . as $k | ($v[$k] | conforms($s[$k])))
  else false end;
conforms($case.shape)'

# Substitute ${name} from the saved variables, anywhere in the case.
subst() {
	jq -r 'to_entries[] | "\(.key)\t\(.value)"' "$VARS" |
	while IFS="$(printf '\t')" read -r k v; do
		printf 's|\\$[{]%s[}]|%s|g\n' "$k" "$v"
	done > "$T/subst.sed"
	sed -f "$T/subst.sed"
}

auth_header() {
	case $1 in
	none) echo "X-No-Auth: 1" ;;
	wrong) echo "Authorization: Bearer hskey-api-AAAAAAAAAAAA-$(printf 'B%.0s' $(seq 1 64))" ;;
	legacy) echo "Authorization: Bearer abcdefg.wrongsecretwrongsecret" ;;
	badsecret) echo "Authorization: Bearer $(echo "$KEY" | cut -c1-23)$(printf 'B%.0s' $(seq 1 64))" ;;
	*) echo "Authorization: Bearer $KEY" ;;
	esac
}

# run_case JSON: one request; 0 if everything expected holds.
run_case() {
	c=$1
	m=$(printf '%s\n' "$c" | jq -r .method)
	p=$(printf '%s\n' "$c" | jq -r .path)
	q=$(printf '%s\n' "$c" | jq -r '.query // ""')
	echo "$m $p" >> "$SEEN"
	: > "$T/req"
	if printf '%s\n' "$c" | jq -e 'has("body")' >/dev/null; then
		printf '%s\n' "$c" | jq -c .body > "$T/req"
	elif printf '%s\n' "$c" | jq -e 'has("raw")' >/dev/null; then
		printf '%s\n' "$c" | jq -j .raw > "$T/req"
	elif printf '%s\n' "$c" | jq -e 'has("rawsize")' >/dev/null; then
		head -c "$(printf '%s\n' "$c" | jq .rawsize)" /dev/zero | tr '\0' x > "$T/req"
	fi
	st=$(curl -s -o "$T/resp" -w '%{http_code}' -X "$m" \
	    -H "$(auth_header "$(printf '%s\n' "$c" | jq -r '.auth // "key"')")" \
	    -H 'Content-Type: application/json' \
	    ${q:+--url-query} ${q:+"+$q"} \
	    --data-binary @"$T/req" "$URL$p")
	want=$(printf '%s\n' "$c" | jq .status)
	if [ "$st" != "$want" ]; then
		echo "# $m $p?$q: status $st, want $want: $(head -c 300 "$T/resp")"
		return 1
	fi
	if printf '%s\n' "$c" | jq -e 'has("text")' >/dev/null; then
		[ "$(tr -d '\r\n' < "$T/resp")" = "$(printf '%s\n' "$c" | jq -r .text)" ] ||
		    { echo "# body: $(head -c 200 "$T/resp")"; return 1; }
		return 0
	fi
	if ! jq -e --argjson case "$c" --slurpfile shapes \
	    "$CASES/shapes.json" "$JQ_SHAPE" "$T/resp" >/dev/null 2>&1; then
		echo "# $m $p: shape differs: $(head -c 600 "$T/resp")"
		return 1
	fi
	check_values "$c" || return 1
	printf '%s\n' "$c" | jq -r '.save // {} | to_entries[] | "\(.key)\t\(.value)"' |
	while IFS="$(printf '\t')" read -r k path; do
		v=$(jq -r "$path" "$T/resp")
		jq --arg k "$k" --arg v "$v" '.[$k] = $v' "$VARS" > "$VARS.new" &&
		    mv "$VARS.new" "$VARS"
	done
}

# "expect": jq path -> exact JSON value; "match": jq path -> regex.
check_values() {
	printf '%s\n' "$1" | jq -c '.expect // {} | to_entries[]' | while read -r e; do
		path=$(printf '%s\n' "$e" | jq -r .key)
		want=$(printf '%s\n' "$e" | jq -cS .value)
		got=$(jq -cS "$path" "$T/resp")
		[ "$got" = "$want" ] ||
		    { echo "# $path is $got, want $want"; return 1; }
	done || return 1
	printf '%s\n' "$1" | jq -c '.match // {} | to_entries[]' | while read -r e; do
		path=$(printf '%s\n' "$e" | jq -r .key)
		re=$(printf '%s\n' "$e" | jq -r .value)
		jq -e --arg re "$re" "$path | tostring | test(\$re)" \
		    "$T/resp" >/dev/null ||
		    { echo "# $path does not match $re"; return 1; }
	done
}

state() {
	for r in user node preauthkey apikey; do
		curl -s -H "Authorization: Bearer $KEY" "$URL/api/v1/$r"
	done | jq -cS 'del(.apiKeys[]?.lastSeen)'
}

for f in "$CASES"/[0-9]*.json; do
	n=$(jq length "$f")
	i=0
	[ "$(basename "$f")" = 80-errors.json ] && before=$(state)
	while [ "$i" -lt "$n" ]; do
		c=$(jq -c ".[$i]" "$f" | subst)
		name=$(printf '%s\n' "$c" | jq -r .name)
		if run_case "$c"; then ok "$name"; else fail "$name"; fi
		i=$((i + 1))
	done
done
check "the bad requests wrote nothing" [ "$(state)" = "$before" ]

# Every route of the table was exercised.
grep -v '^#' "$CASES/routes.txt" | while read -r m p; do
	re="^$m $(echo "$p" | sed 's/\*/[^\/]+/g')\$"
	grep -qE "$re" "$SEEN" || { echo "# no case for $m $p"; exit 1; }
done
check "every route of the v0.29.2 table has a case" [ $? -eq 0 ]

# A missing key is checked against a dummy: it costs what a wrong one
# does (Argon2id in stored), so timing does not tell them apart.  The
# wrong key has a prefix that exists, so stored verifies its secret.
tm() {
	curl -s -o /dev/null -w '%{time_total}\n' -H "$(auth_header "$1")" \
	    "$URL/api/v1/user"
}
t_none=$(tm none); t_wrong=$(tm badsecret)
check "no key ($t_none s) takes about as long as a wrong key ($t_wrong s)" \
    awk -v a="$t_none" -v b="$t_wrong" 'BEGIN { exit !(a > b / 3 && a < b * 3) }'

# Failed checks are rate-limited per source: a burst, then 429; the
# refusals count too, so 24 tries leave the source held off for about
# ten seconds, far longer than the next request takes even when slow.
codes=$(for _ in $(seq 1 24); do
	curl -s -o /dev/null -w '%{http_code}\n' -H "$(auth_header wrong)" \
	    "$URL/api/v1/user"
done | sort | uniq -c | tr '\n' ' ')
check "repeated wrong keys are answered 429 ($codes)" \
    sh -c "echo '$codes' | grep -q ' 429'"
st=$(curl -s -o /dev/null -w '%{http_code}' -H "$(auth_header key)" \
    "$URL/api/v1/user")
check "and the source is held off even with a good key ($st)" [ "$st" = 429 ]

# policy.mode file: GetPolicy serves the file, also from inside apid's
# chroot (a descriptor opened before it), and SetPolicy is refused.
suite_stop
echo '{"acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}]}' \
    > "$T/policy.json"
chmod 644 "$T/policy.json"
write_config
cat >> "$CONF" <<EOC
policy:
  mode: file
  path: $T/policy.json
EOC
suite_start || finish
check "GetPolicy in file mode serves the file" \
    [ "$(ctl policy get -o json | jq -r .policy)" = "$(cat "$T/policy.json")" ]
check "and has no updatedAt" \
    [ "$(ctl policy get -o json | jq -c .updatedAt)" = null ]
finish
