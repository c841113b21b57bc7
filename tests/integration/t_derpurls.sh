# derp.urls: authd fetches the DERP maps from a local HTTP server at
# startup and every derp.update_frequency; the regions reach the first
# map, a changed document reaches a streaming client, garbage or a 404
# keeps the last good map with a warning, and SIGHUP keeps the fetched
# regions in its rebuild.
. "$(dirname "$0")/lib.sh"
TSC="$BUILDDIR/tests/client/tsc"
TSC_PIDS=""
HTTPD_PID=""
W="$T/www"
mkdir -p "$W"
trap 'for p in $TSC_PIDS $HTTPD_PID; do kill "$p" 2>/dev/null; done;
    cleanup' EXIT

# A port for the HTTP server, clear of ours and of the metrics port.
HPORT=$((PORT + 2))
while ss -Hltun "sport = :$HPORT" 2>/dev/null | grep -q .; do
	HPORT=$((HPORT + 97))
done
DURL="http://127.0.0.1:$HPORT/derp.json"

# publish ID: serve a tailcfg.DERPMap with region ID, atomically
publish() {
	printf '{"Regions":{"%s":{"RegionID":%s,"RegionCode":"r%s",' \
	    "$1" "$1" "$1" > "$W/.new"
	printf '"RegionName":"Region %s","Nodes":[{"Name":"%sa",' \
	    "$1" "$1" >> "$W/.new"
	printf '"RegionID":%s,"HostName":"derp%s.example.net",' \
	    "$1" "$1" >> "$W/.new"
	printf '"IPv4":"192.0.2.1","CanPort80":true}]}},' >> "$W/.new"
	printf '"OmitDefaultRegions":false}\n' >> "$W/.new"
	mv "$W/.new" "$W/derp.json"
}
publish 901
python3 -m http.server --bind 127.0.0.1 --directory "$W" "$HPORT" \
    >"$T/httpd.log" 2>&1 &
HTTPD_PID=$!
for _ in $(seq 1 50); do
	curl -sf -o /dev/null "$DURL" && break
	sleep 0.1
done
check "the local HTTP server serves the map" curl -sf -o /dev/null "$DURL"

write_config
sed -i "s|^derp:\$|derp:\\
  urls:\\
    - $DURL\\
  auto_update_enabled: true\\
  update_frequency: 1s|" "$CONF"
suite_start || finish
wait_log "noise key check passed" >/dev/null

ctl users create alice >/dev/null
key=$(ctl preauthkeys create --user alice --reusable -o json | jq -r .key)

check "the parent takes the fetched map" \
    wait_log "DERP map updated from $DURL"

# region_in FILE ID: a frame of FILE has region ID in its DERPMap
region_in() {
	sed -n 's/^frame [0-9]* //p' "$1" |
	    jq -c "select(.DERPMap.Regions[\"$2\"])" 2>/dev/null | grep -q .
}
# one_map NAME: a fresh client's first map into $T/NAME.out
one_map() {
	"$TSC" "$URL" map "$T/$1.key" "$key" "$1" -c 1 >"$T/$1.out" \
	    2>"$T/$1.err"
}
# map_has NAME ID: a fresh client's first map has region ID; the push to
# the coordinator follows the parent's log line by a moment, so retry.
map_has() {
	for _ in $(seq 1 20); do
		one_map "$1" && region_in "$T/$1.out" "$2" && return 0
		sleep 0.25
	done
	return 1
}
check "the first map has the region from the URL" map_has first 901
check "with the URL's fields" sh -c "sed -n 's/^frame [0-9]* //p' \
    '$T/first.out' | jq -e '.DERPMap.Regions[\"901\"] |
    .RegionCode == \"r901\" and .Nodes[0].HostName == \"derp901.example.net\"
    and .Nodes[0].CanPort80 == true' >/dev/null"

# A streaming client sees a changed document.
"$TSC" "$URL" map "$T/s.key" "$key" streamer -t 60 >"$T/s.out" \
    2>"$T/s.err" &
TSC_PIDS="$TSC_PIDS $!"
for _ in $(seq 1 100); do grep -q '^frame' "$T/s.out" && break; sleep 0.1; done
publish 902
wait_region() {	# wait_region FILE ID: up to 10 s
	for _ in $(seq 1 100); do
		region_in "$1" "$2" && return 0
		sleep 0.1
	done
	return 1
}
check "the streaming client gets region 902" wait_region "$T/s.out" 902

# Garbage: a warning, and the map stays.
printf '<html>not a DERP map</html>\n' > "$W/.new"
mv "$W/.new" "$W/derp.json"
check "garbage is refused with a warning" \
    wait_log "derp.urls: .*$DURL.*keeping the last good map"
check "the map after garbage still has region 902" map_has second 902

# A 404: a warning, and the map stays.
rm -f "$W/derp.json"
check "a 404 is a warning" \
    wait_log "derp.urls $DURL: HTTP status 404; keeping the last good map"
check "the map after a 404 still has region 902" map_has third 902

# SIGHUP rebuilds from the file and the kept document.
kill -HUP "$PARENT"
wait_log "reloading" >/dev/null
sleep 1
check "after SIGHUP the map still has region 902" map_has fourth 902

# And a good document again after the failures is taken.
publish 903
check "a later good document is taken" \
    wait_region "$T/s.out" 903

check "the suite is still up" sh -c "ctl() { '$BIN/coordctl' -s '$SOCK' \"\$@\"; };
    ctl users list >/dev/null && kill -0 $PARENT"
check "authd never crashed" sh -c "! grep -q 'lost child: authd' '$LOG'"
finish
