# make install into a DESTDIR: every file where it belongs with its
# mode, the config never overwritten, binaries built for other
# directories refused; the man pages lint clean; the systemd files parse.
. "$(dirname "$0")/lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)

# The directories the Makefile would pass (mk/dirs.mk).
PREFIX=${PREFIX:-/usr}
SBINDIR=${SBINDIR:-$PREFIX/sbin}
LIBEXECDIR=${LIBEXECDIR:-$PREFIX/libexec/coordd}
MANDIR=${MANDIR:-$PREFIX/share/man}
SYSCONFDIR=${SYSCONFDIR:-/etc}
export PREFIX SBINDIR LIBEXECDIR MANDIR SYSCONFDIR
if [ "$PREFIX" = /usr ]; then UNITDIR=/lib/systemd/system
else UNITDIR=$PREFIX/lib/systemd/system; fi

install_into() {	# install_into DESTDIR [VAR=value ...]: output in $T/out
	d=$1; shift
	env DESTDIR="$d" "$@" sh "$TOP/mk/install.sh" "$BUILDDIR" >"$T/out" 2>&1
}

mode_is() {	# mode_is MODE FILE
	[ -f "$2" ] && [ "$(stat -c %a "$2")" = "$1" ]
}

if ! LC_ALL=C grep -aqzxF -- "$LIBEXECDIR" "$BIN/coordd"; then
	# Not counted as a pass: nothing was checked.
	echo "# skip - $TEST_NAME: build is not for LIBEXECDIR=$LIBEXECDIR"
else
	R="$T/root"
	install_into "$R"; rc=$?
	check "install.sh succeeds" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || cat "$T/out"
	for f in "$SBINDIR/coordd" "$SBINDIR/coordctl" \
	    "$LIBEXECDIR/stored" "$LIBEXECDIR/apid" "$LIBEXECDIR/authd"; do
		check "$f installed 0755" mode_is 755 "$R$f"
	done
	for f in "$MANDIR/man8/coordd.8" "$MANDIR/man8/coordctl.8" \
	    "$MANDIR/man5/coordd.conf.5" "$UNITDIR/coordd.service" \
	    "$PREFIX/lib/sysusers.d/coordd.conf" \
	    "$PREFIX/lib/tmpfiles.d/coordd.conf"; do
		check "$f installed 0644" mode_is 644 "$R$f"
	done
	check "config.yaml installed 0640" \
	    mode_is 640 "$R$SYSCONFDIR/coordd/config.yaml"
	check "install.sh names what it installs" \
	    grep -q "install -m 0755 .*$R$SBINDIR/coordd\$" "$T/out"
	check "the unit runs the installed coordd" \
	    grep -qx "ExecStart=$SBINDIR/coordd -d" "$R$UNITDIR/coordd.service"
	check "installed binaries match the build" \
	    cmp -s "$BIN/stored" "$R$LIBEXECDIR/stored"

	echo "# mine" >> "$R$SYSCONFDIR/coordd/config.yaml"
	install_into "$R"; rc=$?
	check "a second install succeeds" [ $rc -eq 0 ]
	check "an existing config.yaml is kept" \
	    grep -qx "# mine" "$R$SYSCONFDIR/coordd/config.yaml"
	check "install.sh says it kept the config" grep -q "keeping" "$T/out"

	R2="$T/root2"
	mkdir -p "$R2$SYSCONFDIR/headscale"
	echo "server_url: x" > "$R2$SYSCONFDIR/headscale/config.yaml"
	install_into "$R2"
	check "no config.yaml to hide a headscale config" \
	    [ ! -e "$R2$SYSCONFDIR/coordd/config.yaml" ]

	R3="$T/root3"
	install_into "$R3" PREFIX=/opt/elsewhere SBINDIR= LIBEXECDIR= MANDIR=
	rc=$?
	check "a build for another PREFIX is refused" [ $rc -ne 0 ]
	check "the refusal says why" grep -q "same PREFIX" "$T/out"
	check "nothing installed after a refusal" [ ! -e "$R3" ]

	if command -v systemd-analyze >/dev/null 2>&1; then
		# verify wants the executables where the unit names them.
		mkdir -p "$T/unit"
		sed "s|$SBINDIR/coordd|$R$SBINDIR/coordd|g" \
		    "$R$UNITDIR/coordd.service" > "$T/unit/coordd.service"
		check "systemd-analyze verify accepts the unit" \
		    systemd-analyze verify --man=no "$T/unit/coordd.service"
	else
		fail "systemd-analyze missing (make deps installs systemd)"
	fi
fi

if command -v systemd-sysusers >/dev/null 2>&1; then
	mkdir -p "$T/sys/etc"
	systemd-sysusers --root="$T/sys" - < "$TOP/etc/coordd.sysusers" \
	    >/dev/null 2>&1
	for u in _coordd _coordd_store _coordd_api _coordd_auth; do
		check "sysusers creates $u" \
		    grep -q "^$u:x:.*:/var/empty:/usr/sbin/nologin\$" \
		    "$T/sys/etc/passwd"
	done
	systemd-tmpfiles --create --root="$T/sys" - \
	    < "$TOP/etc/coordd.tmpfiles" >/dev/null 2>&1
	for d in "755 /var/empty" "700 /var/lib/coordd" "755 /run/coordd"; do
		check "tmpfiles creates ${d#* } ${d%% *}" sh -c \
		    "[ \"\$(stat -c %a '$T/sys${d#* }')\" = '${d%% *}' ]"
	done
else
	fail "systemd-sysusers missing (make deps installs systemd)"
fi

if command -v mandoc >/dev/null 2>&1; then
	for m in coordd.8 coordctl.8 coordd.conf.5; do
		out=$(mandoc -Tlint -Wwarning "$TOP/etc/$m" 2>&1)
		check "mandoc -Tlint finds nothing in $m${out:+: $out}" \
		    [ -z "$out" ]
	done
else
	fail "mandoc missing (make deps installs it)"
fi
finish
