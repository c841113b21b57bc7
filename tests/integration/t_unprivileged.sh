# Started by an ordinary user, the suite runs the same processes without
# chroot or user switch, and says so once.  Under root (as in CI) the
# suite is started as nobody for this test.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -eq 0 ]; then
	write_config
	chown -R nobody "$T"
	RUN_AS="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
fi
me=$(id -u); [ -n "$RUN_AS" ] && me=$(id -u nobody)
suite_start || finish
puid=$(awk '/^Uid:/ { print $2 }' /proc/$PARENT/status)
check "parent runs as uid $me" [ "$puid" = "$me" ]
for p in coordinator stored apid authd; do
	pid=$(child_pid $p)
	uid=$(awk '/^Uid:/ { print $2 }' /proc/$pid/status)
	check "$p runs as the same uid ($uid)" [ "$uid" = "$me" ]
	root=$(readlink /proc/$pid/root 2>/dev/null || echo "?")
	check "$p is not chrooted ($root)" [ "$root" = / ]
done
n=$(grep -c "not running as root" "$LOG")
check "said once that privileges are not dropped ($n)" [ "$n" -eq 1 ]
check "the suite works" ctl users create bob
suite_stop
check "clean exit" [ "$SUITE_STATUS" = 0 ]
finish
