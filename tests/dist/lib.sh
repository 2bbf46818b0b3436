# Shared by the distributed tests: a standalone broker, a server whose actors
# connect to it, and workers, each a separate process on loopback.
. "$(dirname "${BASH_SOURCE[0]}")/../server/lib.sh"
# Broker, server and workers of one test share a runtime dir of its own:
# the server token and the worker token they find there (lib/pk_tokens.h).
[ -z "${T:-}" ] || export PIKOCI_RUNTIME_DIR=${PIKOCI_RUNTIME_DIR:-$T/run}
PIDS=()
# start_broker LOG: exports BROKER (the tcp endpoint it bound) and PIKOCI_SERVER
start_broker() {
    "$BIN" broker --listen 'tcp://127.0.0.1:*' "${@:2}" 2>"$1" &
    BROKER_PID=$!
    PIDS+=("$BROKER_PID")
    until_ok 30 grep -q "listening on tcp:" "$1" || { echo "FAIL - broker did not start:"; cat "$1"; fails=$((fails + 1)); return 1; }
    BROKER=$(sed -n 's/.*listening on \(tcp:[^ ]*\).*/\1/p' "$1" | head -1)
    PIKOCI_SERVER=$BROKER
    export BROKER PIKOCI_SERVER
}
# start_dist_server LOG ARGS...: the server's actors on $BROKER
start_dist_server() {
    local log=$1; shift
    "$BIN" server --run-worker=false --pubsub-system zmq --broker "$BROKER" --http off "$@" 2>"$log" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    until_ok 30 grep -q "server ready" "$log" || { echo "server did not start:"; cat "$log"; return 1; }
}
# start_worker NAME LOG ARGS...: sets WORKER_PID; the worker's tasks see $WORKER_NAME
start_worker() {
    local name=$1 log=$2; shift 2
    WORKER_NAME=$name "$BIN" worker --broker "$BROKER" --name "$name" "$@" 2>"$log" &
    WORKER_PID=$!
    PIDS+=("$WORKER_PID")
}
worker_is() {   # worker_is NAME STATE: pikoci workers --json says so
    pk workers --json 2>/dev/null | json "[w['state'] for w in d if w['name']=='$1'] == ['$2']" | grep -q True
}
stop_all() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
}
# the worker that ran build P/J/N
build_worker() { pk build "$1" --json 2>/dev/null | json "d.get('worker') or ''"; }
