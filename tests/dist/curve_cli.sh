#!/usr/bin/env bash
# CURVE from the command line, every part a separate process on loopback:
# `pikoci keygen` (files, modes, printed key, no overwrite), the refusal of
# a non-loopback listen without keys (`pikoci broker` and `pikoci server`
# asked for tcp://0.0.0.0:* exit 2 with the message before binding
# anything -- this test never binds a non-loopback address), then a CURVE
# `pikoci broker`, a server whose actors reach it with
# --curve-client-cert/--curve-server-key, an allowed worker that runs a
# build, a worker whose key is not allowed (never listed, its key logged
# once by the broker, stops promptly), and the CLI with right keys (flags
# and environment), no keys and a wrong server key.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_all; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"

# 1. keygen
pk keygen --help >"$T/out"; rc=$?
check "keygen --help exits 0" test $rc -eq 0
check "keygen --help names both files" bash -c "grep -q 'NAME.cert ' '$T/out' && grep -q 'NAME.cert_secret' '$T/out'"
pk keygen --output "$T/keys" broker >"$T/kg.out" 2>&1; rc=$?
check "keygen exits 0" test $rc -eq 0
check "keygen wrote the public certificate" grep -q 'public-key = ' "$T/keys/broker.cert"
check "the public certificate has no secret" bash -c "! grep -q 'secret-key' '$T/keys/broker.cert'"
check "keygen wrote the secret certificate" grep -q 'secret-key = ' "$T/keys/broker.cert_secret"
check "the secret certificate is 0600" test "$(stat -c %a "$T/keys/broker.cert_secret")" = 600
printed=$(sed -n 's/^public key: //p' "$T/kg.out")
infile=$(sed -n 's/.*public-key = "\(.*\)"/\1/p' "$T/keys/broker.cert")
check "keygen prints the public key of the file" test -n "$printed" -a "$printed" = "$infile"
check "keygen says where it wrote" has "$T/kg.out" "$T/keys/broker.cert_secret"
cp "$T/keys/broker.cert_secret" "$T/before"
pk keygen --output "$T/keys" broker >"$T/out" 2>"$T/err"; rc=$?
check "keygen refuses to overwrite (exit 1)" test $rc -eq 1
check "keygen says why" has "$T/err" "refusing to overwrite"
check "the existing key is unchanged" cmp -s "$T/before" "$T/keys/broker.cert_secret"
pk keygen --output "$T/keys" ../evil >"$T/out" 2>"$T/err"; rc=$?
check "keygen refuses a name with a slash (exit 2)" test $rc -eq 2
for n in worker rogue cli; do pk keygen --output "$T/keys" $n >/dev/null; done
mkdir -p "$T/allow"
cp "$T/keys/worker.cert" "$T/keys/cli.cert" "$T/allow/"

# 2. a listen address beyond loopback without keys is refused before binding
msg='refusing to listen on tcp://0.0.0.0:* without CURVE: make keys with `pikoci keygen` and pass --curve-cert/--curve-allow'
pk broker --listen 'tcp://0.0.0.0:*' >"$T/out" 2>"$T/err"; rc=$?
check "broker on 0.0.0.0 without keys exits 2" test $rc -eq 2
check "broker says how to make keys" has "$T/err" "$msg"
check "broker bound nothing (it never logged listening)" bash -c "! grep -q 'listening on' '$T/err'"
pk server --listen 'tcp://0.0.0.0:*' >"$T/out" 2>"$T/err"; rc=$?
check "server on 0.0.0.0 without keys exits 2" test $rc -eq 2
check "server says how to make keys" has "$T/err" "$msg"
pk broker --listen 'tcp://127.0.0.1:*' --curve-cert "$T/keys/broker.cert" >"$T/out" 2>"$T/err"; rc=$?
check "half the keys is refused (exit 2)" test $rc -eq 2
check "... saying what is missing" has "$T/err" "--curve-allow"
pk broker --listen 'tcp://127.0.0.1:*' --curve-cert "$T/allow/worker.cert" --curve-allow "$T/allow" \
    >"$T/out" 2>"$T/err"; rc=$?
check "a public-only certificate cannot serve (exit 2)" test $rc -eq 2
check "... saying it has no secret key" has "$T/err" "has no secret key"
pk broker --help >"$T/out"
check "broker --help tells about --curve-allow" has "$T/out" "--curve-allow DIR"
pk worker --help >"$T/out"
check "worker --help tells about --curve-server-key" has "$T/out" "--curve-server-key"
pk server --help >"$T/out"
check "server --help tells about --curve-client-cert" has "$T/out" "--curve-client-cert"
pk jobs --help >"$T/out"
check "client --help tells about PIKOCI_CURVE_CERT" has "$T/out" "PIKOCI_CURVE_CERT"

# 3. a CURVE broker on loopback, a server and workers as separate processes
start_broker "$T/broker.log" --curve-cert "$T/keys/broker.cert_secret" --curve-allow "$T/allow" \
    || finish
check "the broker logs its public key" has "$T/broker.log" "public key $infile"
start_dist_server "$T/server.log" --pipeline-config "$SRC/tests/dist/dist.hcl" \
    --curve-client-cert "$T/keys/cli.cert_secret" --curve-server-key "$infile" || finish
start_worker good "$T/good.log" --concurrency 1 \
    --curve-cert "$T/keys/worker.cert" --curve-server-key "$T/keys/broker.cert"
start_worker rogue "$T/rogue.log" --concurrency 1 \
    --curve-cert "$T/keys/rogue.cert_secret" --curve-server-key "$T/keys/broker.cert"
ROGUE_PID=$WORKER_PID
# the CLI: keys by flags
cli_keys=(--curve-cert "$T/keys/cli.cert_secret" --curve-server-key "$T/keys/broker.cert")
check "the allowed worker is listed (keys as flags)" \
    until_ok 20 bash -c "'$BIN' workers --json ${cli_keys[*]} | grep -q '\"good\"'"
rogue_key=$(sed -n 's/.*public-key = "\(.*\)"/\1/p' "$T/keys/rogue.cert")
check "the broker logs the refused worker's key" until_ok 20 grep -qF "$rogue_key" "$T/broker.log"
# keys from the environment
export PIKOCI_CURVE_CERT="$T/keys/cli.cert_secret" PIKOCI_CURVE_SERVER_KEY="$infile"
pk trigger dist/plain >"$T/out" 2>&1; rc=$?
check "trigger over CURVE exits 0 (keys from the environment)" test $rc -eq 0
check "the build succeeds on the allowed worker" until_ok 30 build_is dist/plain 1 succeeded
check "its log says where it ran" bash -c "'$BIN' logs dist/plain/1 | grep -q 'built on good'"
check "the rogue worker is never listed" bash -c "! '$BIN' workers --json | grep -q rogue"
check "the refused key is logged once" test "$(grep -cF "$rogue_key" "$T/broker.log")" -eq 1
# no keys, or a wrong server key: the CLI cannot reach the broker (exit 3)
PIKOCI_CURVE_CERT= PIKOCI_CURVE_SERVER_KEY= "$BIN" workers --timeout 1s >"$T/out" 2>"$T/err"; rc=$?
check "without keys the CLI cannot reach it (exit 3)" test $rc -eq 3
"$BIN" workers --timeout 1s --curve-server-key "$rogue_key" >"$T/out" 2>"$T/err"; rc=$?
check "with a wrong server key neither (exit 3)" test $rc -eq 3
check "... and says CURVE may be why" has "$T/err" "over CURVE"
"$BIN" workers --curve-cert "$T/nope.cert" >"$T/out" 2>"$T/err"; rc=$?
check "a missing certificate is a usage error (exit 2)" test $rc -eq 2
# the refused worker stops at once on SIGTERM
kill -TERM "$ROGUE_PID"
check "the refused worker stops on SIGTERM" until_ok 10 bash -c "! kill -0 $ROGUE_PID"
# the broker's last word counts the refused connections
kill -TERM "$BROKER_PID"
check "the broker stops" until_ok 10 bash -c "! kill -0 $BROKER_PID"
rejected=$(sed -n 's/.*dropped events rejected[a-z ]*: [0-9]* [0-9]* [0-9]* [0-9]* \([0-9]*\).*/\1/p' "$T/broker.log")
echo "# the broker refused $rejected CURVE connections"
check "the broker counted refused connections" test "${rejected:-0}" -ge 1
finish
