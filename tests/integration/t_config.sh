# coordd -n, and SIGHUP: a broken config is refused and the old one kept.
. "$(dirname "$0")/lib.sh"
write_config
out=$("$BIN/coordd" -n -f "$CONF" 2>&1); rc=$?
check "coordd -n accepts the config" [ $rc -eq 0 ]
check "coordd -n prints the effective config" sh -c "echo '$out' | grep -q 'base_domain'"
check "coordd -n says configuration OK" sh -c "echo '$out' | grep -q 'configuration OK'"
out=$(HEADSCALE_DNS_BASE_DOMAIN=other.example "$BIN/coordd" -n -f "$CONF" 2>&1)
check "HEADSCALE_* overrides the file" sh -c "echo '$out' | grep -q 'base_domain: \"other.example\"'"
printf 'server_url: http://127.0.0.1:1\nprefixes:\n  v4: [oops\n' > "$T/bad.yaml"
out=$("$BIN/coordd" -n -f "$T/bad.yaml" 2>&1); rc=$?
check "coordd -n refuses a broken file ($out)" [ $rc -eq 1 ]
check "error names file and line" sh -c "echo '$out' | grep -q 'bad.yaml:[0-9]'"
printf 'acl_policy_path: /x\n' >> "$T/removed.yaml"
cat "$CONF" >> "$T/removed.yaml"
out=$("$BIN/coordd" -n -f "$T/removed.yaml" 2>&1); rc=$?
check "removed key is an error ($out)" [ $rc -eq 1 ]

suite_start || finish
cp "$CONF" "$T/good.yaml"
echo "prefixes: {v4: nonsense}" >> "$CONF"
kill -HUP "$PARENT"
check "broken reload is refused" wait_log "has errors, not reloading"
check "suite still answers" ctl users list
cp "$T/good.yaml" "$CONF"
kill -HUP "$PARENT"
for p in coordinator stored apid authd; do
	check "$p received the reloaded config" wait_log "^$p\[.*config generation 1 received"
done
check "good reload keeps the suite running" ctl users create afterreload
check "the broken config was never pushed" sh -c "! grep -q 'config generation 2' '$LOG'"
suite_stop
check "clean exit after reloads" [ "$SUITE_STATUS" = 0 ]
finish
