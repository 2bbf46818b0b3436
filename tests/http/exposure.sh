#!/usr/bin/env bash
# --http beyond loopback is refused at start, like the broker's --listen,
# unless it is HTTPS (--http-cert/--http-key) or --http-insecure says plain
# HTTP there is meant. HTTPS itself: a self-signed certificate made here,
# checked by curl against it. Nothing listens beyond loopback: 192.0.2.1
# (TEST-NET-1, on no interface) shows what passes the check, as the bind
# that follows fails.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
srv() { timeout 20 "$BIN" server --listen 'tcp://127.0.0.1:*' "$@" >"$T/out" 2>&1; }

srv --http 192.0.2.1:0; rc=$?
check "--http beyond loopback exits 2" test $rc -eq 2
check "and says to give a certificate or --http-insecure" \
    bash -c "grep -q 'beyond loopback' '$T/out' && grep -q -- '--http-insecure' '$T/out'"
srv --http '*:0'; rc=$?
check "--http *:PORT (every address) is refused too" test $rc -eq 2
check "before anything started" bash -c "! grep -q 'server ready' '$T/out'"
srv --http 192.0.2.1:0 --http-insecure; rc=$?
check "--http-insecure lets it through to the bind (which fails here)" \
    bash -c "[ $rc -eq 2 ] && grep -q 'cannot serve http' '$T/out' && ! grep -q 'beyond loopback' '$T/out'"
srv --http off --http-insecure; rc=$?
check "--http-insecure with --http off exits 2" test $rc -eq 2

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
srv --http 127.0.0.1:0 --http-cert "$T/cert.pem"; rc=$?
check "--http-cert without --http-key exits 2" test $rc -eq 2
srv --http 127.0.0.1:0 --http-cert "$T/nope.pem" --http-key "$T/key.pem"; rc=$?
check "an unreadable certificate exits 2 naming it" bash -c "[ $rc -eq 2 ] && grep -q nope.pem '$T/out'"
srv --http 192.0.2.1:0 --http-cert "$T/cert.pem" --http-key "$T/key.pem"; rc=$?
check "with a certificate beyond loopback passes the check" \
    bash -c "grep -q 'cannot serve http' '$T/out' && ! grep -q 'beyond loopback' '$T/out'"

start_server "$T/server.log" --http 127.0.0.1:0 --http-cert "$T/cert.pem" --http-key "$T/key.pem" \
    || { finish; }
url=$(sed -n 's/.*http on \(https:[^ ]*\).*/\1/p' "$T/server.log" | head -1)
check "the log says https://" test -n "$url"
check "/healthz over HTTPS, checked against the certificate" \
    test "$(curl -s --cacert "$T/cert.pem" -o /dev/null -w '%{http_code}' "$url/healthz")" = 200
check "plain HTTP there gets no page" \
    bash -c "! curl -s -m 5 '${url/https/http}/healthz' | grep -q ok"
check "a client that does not trust the certificate is refused" \
    bash -c "! curl -s -m 5 '$url/healthz' >/dev/null"
echo 'password-of-bob' | pk users create bob >/dev/null
curl -s --cacert "$T/cert.pem" -D "$T/head" -o /dev/null -X POST "$url/api/v1/login" \
    -d '{"user":"bob","password":"password-of-bob"}'
check "under TLS the session cookie is Secure" \
    bash -c "grep -i '^set-cookie: pikoci_session=' '$T/head' | grep -q '; Secure'"
finish
