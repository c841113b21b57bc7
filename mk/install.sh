#!/bin/sh
# make install: sh mk/install.sh BUILDDIR
#
# Installs the binaries of BUILDDIR, the man pages, the example config
# and the systemd files, under DESTDIR (empty by default) and these
# directories, taken from the environment (the Makefile passes its own,
# defaults as in mk/dirs.mk):
#
#	PREFIX		/usr
#	SBINDIR		$PREFIX/sbin		coordd, coordctl
#	LIBEXECDIR	$PREFIX/libexec/coordd	stored, apid, authd
#	MANDIR		$PREFIX/share/man
#	SYSCONFDIR	/etc			coordd/config.yaml
#	SYSTEMDUNITDIR	/lib/systemd/system when PREFIX is /usr,
#			else $PREFIX/lib/systemd/system
#	SYSUSERSDIR	$PREFIX/lib/sysusers.d
#	TMPFILESDIR	$PREFIX/lib/tmpfiles.d
#	BASHCOMPDIR	$PREFIX/share/bash-completion/completions
#	ZSHCOMPDIR	$PREFIX/share/zsh/vendor-completions
#
# coordd finds stored, apid and authd beside its own binary, else in the
# LIBEXECDIR it was compiled with, and looks for its config under the
# SYSCONFDIR it was compiled with.  So build and install with the same
# directories:
#
#	make PREFIX=/usr/local && make install PREFIX=/usr/local
#
# after make clean if build/ was made for other directories (a changed
# PREFIX alone rebuilds nothing).  Binaries built for other directories
# are refused, and nothing is installed.  An existing config.yaml is
# never overwritten, and none is installed beside a headscale one.
set -e

BUILDDIR=${1:?usage: install.sh BUILDDIR}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN="$BUILDDIR/bin"

PREFIX=${PREFIX:-/usr}
SBINDIR=${SBINDIR:-$PREFIX/sbin}
LIBEXECDIR=${LIBEXECDIR:-$PREFIX/libexec/coordd}
MANDIR=${MANDIR:-$PREFIX/share/man}
SYSCONFDIR=${SYSCONFDIR:-/etc}
if [ -z "$SYSTEMDUNITDIR" ]; then
	if [ "$PREFIX" = /usr ]; then
		SYSTEMDUNITDIR=/lib/systemd/system
	else
		SYSTEMDUNITDIR=$PREFIX/lib/systemd/system
	fi
fi
SYSUSERSDIR=${SYSUSERSDIR:-$PREFIX/lib/sysusers.d}
TMPFILESDIR=${TMPFILESDIR:-$PREFIX/lib/tmpfiles.d}
BASHCOMPDIR=${BASHCOMPDIR:-$PREFIX/share/bash-completion/completions}
ZSHCOMPDIR=${ZSHCOMPDIR:-$PREFIX/share/zsh/vendor-completions}
DESTDIR=${DESTDIR:-}

die() { echo "install: $*" >&2; exit 1; }

for p in coordd coordctl stored apid authd; do
	[ -x "$BIN/$p" ] || die "$BIN/$p is missing; run make first"
done
for f in coordd.8 coordctl.8 coordd.conf.5 coordd.service coordd.sysusers \
    coordd.tmpfiles config.yaml; do
	[ -f "$TOP/etc/$f" ] || die "$TOP/etc/$f is missing"
done
for f in coordctl.bash _coordctl; do
	[ -f "$TOP/etc/completion/$f" ] ||
	    die "$TOP/etc/completion/$f is missing"
done

# The directories compiled in are NUL-terminated strings in the binary.
compiled() { LC_ALL=C grep -aqzxF -- "$2" "$1"; }
compiled "$BIN/coordd" "$LIBEXECDIR" ||
    die "$BIN/coordd was not built for LIBEXECDIR=$LIBEXECDIR; build and" \
	"install with the same PREFIX (make clean && make PREFIX=$PREFIX" \
	"&& make install PREFIX=$PREFIX)"
compiled "$BIN/coordd" "$SYSCONFDIR/coordd/config.yaml" ||
    die "$BIN/coordd was not built for SYSCONFDIR=$SYSCONFDIR; build and" \
	"install with the same SYSCONFDIR"

inst() {	# inst mode source target [shown-source]
	echo "install -m $1 ${4:-$2} $DESTDIR$3"
	install -D -m "$1" "$2" "$DESTDIR$3"
}

inst 0755 "$BIN/coordd" "$SBINDIR/coordd"
inst 0755 "$BIN/coordctl" "$SBINDIR/coordctl"
for p in stored apid authd; do
	inst 0755 "$BIN/$p" "$LIBEXECDIR/$p"
done

inst 0644 "$TOP/etc/coordd.8" "$MANDIR/man8/coordd.8"
inst 0644 "$TOP/etc/coordctl.8" "$MANDIR/man8/coordctl.8"
inst 0644 "$TOP/etc/coordd.conf.5" "$MANDIR/man5/coordd.conf.5"
inst 0644 "$TOP/etc/completion/coordctl.bash" "$BASHCOMPDIR/coordctl"
inst 0644 "$TOP/etc/completion/_coordctl" "$ZSHCOMPDIR/_coordctl"

# The unit names coordd by its installed path.
unit=$(mktemp)
trap 'rm -f "$unit"' EXIT
sed "s|/usr/sbin/coordd|$SBINDIR/coordd|g" "$TOP/etc/coordd.service" >"$unit"
inst 0644 "$unit" "$SYSTEMDUNITDIR/coordd.service" "$TOP/etc/coordd.service"
inst 0644 "$TOP/etc/coordd.sysusers" "$SYSUSERSDIR/coordd.conf"
inst 0644 "$TOP/etc/coordd.tmpfiles" "$TMPFILESDIR/coordd.conf"

# The config is the admin's once installed.  A headscale config is read
# only when /etc/coordd/config.yaml does not exist, so do not hide one.
conf="$SYSCONFDIR/coordd/config.yaml"
if [ -e "$DESTDIR$conf" ]; then
	echo "keeping the existing $DESTDIR$conf"
elif [ -e "$DESTDIR$SYSCONFDIR/headscale/config.yaml" ]; then
	echo "not installing $DESTDIR$conf:" \
	    "$SYSCONFDIR/headscale/config.yaml is used instead"
else
	inst 0640 "$TOP/etc/config.yaml" "$conf"
fi

if [ -z "$DESTDIR" ]; then
	echo "next: systemd-sysusers coordd.conf &&" \
	    "systemd-tmpfiles --create coordd.conf &&" \
	    "systemctl daemon-reload (see coordd(8))"
fi
