#!/bin/sh
# make run: start the suite in the foreground from run/, with a config
# written on first use (127.0.0.1, state and socket in run/, or in
# $COORDD_RUNDIR when set).
BUILDDIR=${1:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
RUN=${COORDD_RUNDIR:-$TOP/run}
mkdir -p "$RUN"
if [ ! -f "$RUN/config.yaml" ]; then
	cat > "$RUN/config.yaml" <<EOC
# Written by make run; edit freely, it is not overwritten.
server_url: http://127.0.0.1:${COORDD_PORT:-8080}
listen_addr: 127.0.0.1:${COORDD_PORT:-8080}
metrics_listen_addr: 127.0.0.1:9090
noise:
  private_key_path: $RUN/noise_private.key
prefixes:
  v4: 100.64.0.0/10
  v6: fd7a:115c:a1e0::/48
  allocation: sequential
database:
  type: sqlite
  sqlite:
    path: $RUN/db.sqlite
    write_ahead_log: true
derp:
  server:
    private_key_path: $RUN/derp_server_private.key
dns:
  magic_dns: true
  base_domain: tailnet.example
  override_local_dns: false
unix_socket: $RUN/coordd.sock
unix_socket_permission: "0770"
EOC
	echo "wrote $RUN/config.yaml"
fi
echo "starting coordd; in another terminal:"
echo "  $BUILDDIR/bin/coordctl -s $RUN/coordd.sock users create alice"
echo "  $BUILDDIR/bin/coordctl -s $RUN/coordd.sock users list"
exec "$BUILDDIR/bin/coordd" -d -f "$RUN/config.yaml"
