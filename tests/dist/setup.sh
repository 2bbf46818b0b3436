#!/usr/bin/env bash
# Set-up mistakes against a CURVE `pikoci broker` on loopback, each part a
# real process: every one is told in the process's own log, and every
# process stops on SIGTERM within seconds, connected or not.
# - a worker without keys, with a key the broker does not allow, with the
#   wrong broker key: it says it cannot get in and why (it used to say
#   nothing, and the one without keys ignored SIGTERM for good, blocked in a
#   heartbeat send);
# - a server of actors (--pubsub-system zmq) without keys: no "server
#   ready", a warning naming the keys instead; with --curve-cert (the name
#   the worker and the CLI use) it is ready;
# - the CLI without keys is told about PIKOCI_CURVE_CERT; with the keys in
#   the environment it works.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_all; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache"
for n in broker worker rogue server cli; do pk keygen --output "$T/keys" $n >/dev/null; done
mkdir -p "$T/allow"
cp "$T/keys/worker.cert" "$T/keys/server.cert" "$T/keys/cli.cert" "$T/allow/"
start_broker "$T/broker.log" --curve-cert "$T/keys/broker.cert_secret" --curve-allow "$T/allow" || finish
unset PIKOCI_SERVER
# stops_within SECONDS PID: SIGTERM, then PID is gone before the deadline
stops_within() {
    kill -TERM "$2"
    local end=$(( $(date +%s%N) + $1 * 1000000000 ))
    while kill -0 "$2" 2>/dev/null; do
        [ "$(date +%s%N)" -lt $end ] || { kill -KILL "$2"; wait "$2" 2>/dev/null; return 1; }
        sleep 0.05
    done
    wait "$2" 2>/dev/null
}

# workers
start_worker nokey "$T/nokey.log"
check "a worker without keys says the broker uses CURVE" \
    until_ok 20 grep -q "cannot get in.*give --curve-cert and --curve-server-key" "$T/nokey.log"
check "... and stops on SIGTERM within 3 s" stops_within 3 "$WORKER_PID"
start_worker rogue "$T/rogue.log" --curve-cert "$T/keys/rogue.cert_secret" \
    --curve-server-key "$T/keys/broker.cert"
check "a worker whose key is not allowed says so" \
    until_ok 20 grep -q "cannot get in.*NAME.cert" "$T/rogue.log"
check "... and stops on SIGTERM within 3 s" stops_within 3 "$WORKER_PID"
start_worker wrongkey "$T/wrongkey.log" --curve-cert "$T/keys/worker.cert_secret" \
    --curve-server-key "$T/keys/worker.cert"
check "a worker with the wrong broker key says it cannot get in" \
    until_ok 20 grep -q "cannot get in.*--curve-server-key" "$T/wrongkey.log"
check "... and stops on SIGTERM within 3 s" stops_within 3 "$WORKER_PID"
start_worker good "$T/good.log" --curve-cert "$T/keys/worker.cert_secret" \
    --curve-server-key "$T/keys/broker.cert"
check "a worker with the right keys says it is connected" \
    until_ok 20 grep -q "connected to the broker" "$T/good.log"
check "... and stops on SIGTERM within 3 s" stops_within 3 "$WORKER_PID"

# a server of actors
"$BIN" server --pubsub-system zmq --broker "$BROKER" 2>"$T/s1.log" &
S1=$!
PIDS+=("$S1")
check "a server without keys warns that the broker does not answer, naming the keys" \
    until_ok 25 grep -q "has not answered.*--curve-cert" "$T/s1.log"
check "... and never says it is ready" bash -c "! grep -q 'server ready' '$T/s1.log'"
check "... and stops on SIGTERM within 3 s" stops_within 3 "$S1"
"$BIN" server --pubsub-system zmq --broker "$BROKER" --curve-cert "$T/keys/rogue.cert_secret" \
    --curve-server-key "$T/keys/broker.cert" 2>"$T/s2.log" &
S2=$!
PIDS+=("$S2")
check "a server whose key is refused warns, naming --curve-allow" \
    until_ok 25 grep -q "has not answered.*--curve-allow" "$T/s2.log"
check "... is not ready" bash -c "! grep -q 'server ready' '$T/s2.log'"
check "... and stops on SIGTERM within 3 s" stops_within 3 "$S2"
"$BIN" server --pubsub-system zmq --broker "$BROKER" --curve-cert "$T/keys/server.cert_secret" \
    --curve-server-key "$T/keys/broker.cert" 2>"$T/s3.log" &
S3=$!
PIDS+=("$S3")
check "a server with --curve-cert (as worker and CLI spell it) is ready" \
    until_ok 30 grep -q "server ready" "$T/s3.log"

# the CLI
pk workers --server "$BROKER" --timeout 2s >"$T/out" 2>"$T/err"
check "the CLI without keys fails" test $? -ne 0
check "... and names the environment variables for the keys" has "$T/err" "PIKOCI_CURVE_CERT"
PIKOCI_CURVE_CERT="$T/keys/cli.cert_secret" PIKOCI_CURVE_SERVER_KEY="$T/keys/broker.cert" \
    pk workers --server "$BROKER" >"$T/out" 2>"$T/err"
check "with the keys in the environment it works" test $? -eq 0
check "a server stops on SIGTERM within 3 s" stops_within 3 "$S3"
finish
