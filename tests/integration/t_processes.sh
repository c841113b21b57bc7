# Five processes with their own titles; only stored holds the database
# and the keys; as root, each child has its own uid and the network
# facing ones are chrooted.
. "$(dirname "$0")/lib.sh"
suite_start || finish

title=$(title_of "$PARENT")
check "parent title is 'coordd: parent' ($title)" [ "$title" = "coordd: parent" ]
for p in coordinator stored apid authd; do
	pid=$(child_pid $p)
	check "process 'coordd: $p' runs" [ -n "$pid" ]
done

holds() {	# holds PID PATTERN: an open fd of PID matches
	for fd in /proc/$1/fd/*; do
		case "$(readlink "$fd" 2>/dev/null)" in
		$2) return 0 ;;
		esac
	done
	return 1
}

# Make stored touch the database so its file is surely open.
ctl users create fdcheck >/dev/null
spid=$(child_pid stored)
check "stored has the database open" holds "$spid" "*db.sqlite"
for p in parent coordinator apid authd; do
	if [ $p = parent ]; then pid=$PARENT; else pid=$(child_pid $p); fi
	if holds "$pid" "*db.sqlite*" || holds "$pid" "*_private.key"; then
		fail "$p has the database or a key file open"
	else
		ok "$p holds neither the database nor a key file"
	fi
done
check "the coordinator knows the Noise public key" grep -qE "coordinator.*noise public key mkey:[0-9a-f]{64}" "$LOG"
check "stored's X25519 with the key agrees with the coordinator's" grep -q "coordinator.*noise key check passed" "$LOG"
[ -s "$T/keys/noise_private.key" ] && mode=$(stat -c %a "$T/keys/noise_private.key")
check "noise key created mode 600 (got $mode)" [ "$mode" = 600 ]
check "key file is privkey:<64 hex>" grep -qE '^privkey:[0-9a-f]{64}$' "$T/keys/noise_private.key"

if [ "$(id -u)" -eq 0 ]; then
	for pu in coordinator:_coordd stored:_coordd_store apid:_coordd_api authd:_coordd_auth; do
		p=${pu%%:*}; u=${pu##*:}
		pid=$(child_pid $p)
		uid=$(awk '/^Uid:/ { print $2 }' /proc/$pid/status)
		check "$p runs as $u" [ "$uid" = "$(id -u $u)" ]
	done
	for p in coordinator apid; do
		root=$(readlink /proc/$(child_pid $p)/root)
		check "$p is chrooted to /var/empty ($root)" [ "$root" = /var/empty ]
	done
	root=$(readlink /proc/$(child_pid stored)/root)
	check "stored is chrooted to its state dir ($root)" [ "$root" = "$T/state" ]
else
	echo "# not root: uid and chroot checks need root (CI runs them)"
fi
suite_stop
check "SIGTERM: suite exits 0 (status $SUITE_STATUS)" [ "$SUITE_STATUS" = 0 ]
check "control socket removed on exit" [ ! -e "$SOCK" ]
finish
