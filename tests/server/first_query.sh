#!/usr/bin/env bash
# The first query sent as soon as the server's port accepts a connection is
# answered on the first try: with a fresh lmdb store (its keyspaces are
# created while the port already accepts) and in memory. The broker binds
# --listen before the actors start; a request in between used to be refused
# ("the server's control actor is not running"), so a client polling the
# port needed a second try.
set -uo pipefail
T=$(mktemp -d)
trap 'stop; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
SERVER_PID=
stop() { [ -z "$SERVER_PID" ] || { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }; }
export XDG_RUNTIME_DIR="$T/run"     # this test's own first-start token files
mkdir -m 700 "$XDG_RUNTIME_DIR"
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
accepts() { bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# start_and_ask NAME ARGS...: start, poll the port, one query at once
start_and_ask() {
    local name=$1 port rc=0; shift
    port=$(free_port)
    "$BIN" server --listen "tcp://127.0.0.1:$port" --run-worker=false "$@" 2>"$T/$name.log" &
    SERVER_PID=$!
    if ! until_ok 30 accepts "$port"; then
        echo "# the port never accepted:"; sed 's/^/# /' "$T/$name.log"; rc=1
    # one try, no retry: what a user's first command after the start does
    elif ! "$BIN" pipelines --server "tcp://127.0.0.1:$port" >"$T/$name.out" 2>&1; then
        echo "# first query refused:"; sed 's/^/# /' "$T/$name.out"; rc=1
    fi
    stop
    return $rc
}

for i in 1 2 3 4 5 6 7 8 9 10; do
    check "fresh lmdb store, start $i: the first query is answered" \
        start_and_ask "lmdb$i" --db-system lmdb --db-path "$T/db$i"
done
check "the same lmdb store again: the first query is answered" \
    start_and_ask lmdb-again --db-system lmdb --db-path "$T/db1"
check "memory store: the first query is answered" start_and_ask mem

# a second server on a taken port stops, and the first one's token file
# (which the second had put its own in place of) is the first one's again
port=$(free_port)
"$BIN" server --listen "tcp://127.0.0.1:$port" --run-worker=false 2>"$T/first.log" &
SERVER_PID=$!
until_ok 30 accepts "$port"
"$BIN" server --listen "tcp://127.0.0.1:$port" --run-worker=false 2>"$T/second.log"
check "a second server on the same port stops with exit status 2" test $? = 2
check "... saying the port is taken" has "$T/second.log" "cannot listen on"
check "... and the first server's token still lets the CLI in" \
    "$BIN" pipelines --server "tcp://127.0.0.1:$port"
stop
finish
