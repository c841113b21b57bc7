# TLS on the main listener: tls_cert_path/tls_key_path serve control,
# DERP probes and the pages over HTTPS with ECDSA and RSA certificates,
# TLS 1.2 and 1.3; SIGHUP loads a new certificate and keeps the old one
# when the new pair is bad; a mismatched pair stops coordd -n.  The
# coordinator's memory is searched for the private key: only stored may
# hold it.
. "$(dirname "$0")/lib.sh"

URL="https://127.0.0.1:$PORT"
mkcert() {	# mkcert name ec|rsa
	if [ "$2" = ec ]; then
		alg="-newkey ec -pkeyopt ec_paramgen_curve:P-256"
	else
		alg="-newkey rsa:2048"
	fi
	# shellcheck disable=SC2086
	openssl req -x509 $alg -nodes -days 2 -subj "/CN=coordd test $1" \
	    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
	    -keyout "$T/$1.key" -out "$T/$1.pem" 2>/dev/null
}
fingerprint() {	# of the certificate the server presents now
	openssl s_client -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null |
	    openssl x509 -noout -fingerprint -sha256 2>/dev/null
}
file_fingerprint() { openssl x509 -noout -fingerprint -sha256 -in "$1"; }
verified() {	# verified tls-version cafile
	openssl s_client -connect "127.0.0.1:$PORT" "$1" -CAfile "$2" \
	    -verify_return_error </dev/null 2>&1 |
	    grep -q "Verify return code: 0 (ok)"
}

mkcert ec ec && mkcert rsa rsa && mkcert other ec || {
	fail "openssl cannot make test certificates"; finish; }
write_config
cat >> "$CONF" <<EOC
tls_cert_path: $T/cert.pem
tls_key_path: $T/key.pem
EOC
sed -i "s|^server_url: .*|server_url: $URL|" "$CONF"
cp "$T/ec.pem" "$T/cert.pem"; cp "$T/ec.key" "$T/key.pem"

# A key that is not the certificate's is refused before anything starts.
cp "$T/other.key" "$T/key.pem"
out=$("$BIN/coordd" -n -f "$CONF" 2>&1)
rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q "does not match"; then
	ok "coordd -n refuses a key that does not match the certificate"
else
	fail "coordd -n with a mismatched pair: rc $rc, $out"
fi
cp "$T/ec.key" "$T/key.pem"
printf 'not a certificate\n' > "$T/junk.pem"

suite_start || finish
health=$(curl -sS --cacert "$T/ec.pem" "$URL/health")
check "GET /health over HTTPS verifies and answers ($health)" \
    sh -c "echo '$health' | grep -q pass"
key=$(curl -sS --cacert "$T/ec.pem" "$URL/key?v=113")
check "GET /key over HTTPS has the Noise public key" \
    sh -c "echo '$key' | grep -q '\"publicKey\":\"mkey:'"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/ec.pem" \
    "$URL/derp/probe")
check "GET /derp/probe over HTTPS is 200 ($code)" [ "$code" = 200 ]
check "ECDSA certificate, TLS 1.3" verified -tls1_3 "$T/ec.pem"
check "ECDSA certificate, TLS 1.2" verified -tls1_2 "$T/ec.pem"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
    "http://127.0.0.1:$PORT/health")
check "plain HTTP on the TLS port gets no HTTP answer ($code)" \
    [ "$code" = 000 ]
check "the coordinator is still up after a plain-HTTP client" \
    kill -0 "$(child_pid coordinator)"

# Only stored holds the private scalar; the coordinator never sees it.
memscan() {	# memscan pid hexbytes: 0 if found in its memory
	python3 - "$1" "$2" <<'EOP'
import re, sys
pid, needle = sys.argv[1], bytes.fromhex(sys.argv[2])
rev = needle[::-1]
found = False
with open("/proc/%s/maps" % pid) as maps, \
     open("/proc/%s/mem" % pid, "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) r", line)
        if not m:
            continue
        lo, hi = int(m.group(1), 16), int(m.group(2), 16)
        # Sanitizer shadow maps are terabytes of nothing: skip them.
        if hi - lo > (1 << 30):
            continue
        try:
            mem.seek(lo)
            chunk = mem.read(hi - lo)
        except (OSError, ValueError, OverflowError, MemoryError):
            continue
        if needle in chunk or rev in chunk:
            found = True
            break
sys.exit(0 if found else 1)
EOP
}
priv=$(openssl pkey -in "$T/ec.key" -text -noout 2>/dev/null |
    awk '/^priv:/ { on = 1; next } /^pub:/ { on = 0 } on' |
    tr -d ' :\n' | sed 's/^00//')
spid=$(child_pid stored)
cpid=$(child_pid coordinator)
if [ ${#priv} -ne 64 ]; then
	fail "cannot read the test key's private scalar"
elif ! python3 -c "open('/proc/$spid/mem','rb').close()" 2>/dev/null; then
	echo "# skip: cannot read process memory here (not root?)"
else
	check "stored holds the private key (the scan can find it)" \
	    memscan "$spid" "$priv"
	if memscan "$cpid" "$priv"; then
		fail "the coordinator's memory holds the TLS private key"
	else
		ok "the coordinator's memory does not hold the TLS private key"
	fi
fi

# SIGHUP: an RSA certificate replaces the ECDSA one for new connections.
cp "$T/rsa.pem" "$T/cert.pem"; cp "$T/rsa.key" "$T/key.pem"
kill -HUP "$PARENT"
want=$(file_fingerprint "$T/rsa.pem")
for _ in $(seq 1 50); do
	[ "$(fingerprint)" = "$want" ] && break
	sleep 0.1
done
check "after SIGHUP the new RSA certificate is served" \
    [ "$(fingerprint)" = "$want" ]
check "RSA certificate, TLS 1.3 (RSA-PSS signed by stored)" \
    verified -tls1_3 "$T/rsa.pem"
check "RSA certificate, TLS 1.2" verified -tls1_2 "$T/rsa.pem"
health=$(curl -sS --cacert "$T/rsa.pem" "$URL/health")
check "HTTPS requests work with the RSA certificate" \
    sh -c "echo '$health' | grep -q pass"

# A bad pair on reload is refused and the served certificate stays.
cp "$T/junk.pem" "$T/cert.pem"
kill -HUP "$PARENT"
check "a reload with a broken certificate is refused in the log" \
    wait_log "not reloading: .*cert.pem"
check "the previous certificate is still served" \
    [ "$(fingerprint)" = "$want" ]
cp "$T/ec.pem" "$T/cert.pem"; cp "$T/other.key" "$T/key.pem"
kill -HUP "$PARENT"
check "a reload with a mismatched key is refused in the log" \
    wait_log "not reloading: .*does not match"
check "and the previous certificate is still served" \
    [ "$(fingerprint)" = "$want" ]

# Handshake floods must not wedge the signer: 40 handshakes in a row.
n=0
for _ in $(seq 1 40); do
	verified -tls1_3 "$T/rsa.pem" && n=$((n + 1))
done
check "40 consecutive full handshakes all verify ($n)" [ "$n" = 40 ]
check "no TLS key material or PEM text in the log" \
    sh -c "! grep -q 'PRIVATE KEY' '$LOG'"
suite_stop
finish
