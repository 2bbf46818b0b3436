#!/usr/bin/env bash
# Re-adoption across a server crash: `pikoci server --db-system lmdb` with no
# worker of its own and a `pikoci worker` process connected to its --listen
# port. A build prints a numbered line every 50 ms for about 6 s; the server
# is SIGKILLed in the middle and started again on the same directory and the
# same port (picked free beforehand, so the worker's socket reconnects to
# it). The worker kept the task running: the restarted server adopts the
# build, which ends succeeded (not errored), and its log has every line,
# in order, exactly once -- including those printed while no server was
# there and those whose credit the dying server never sent.
# 2. The server dies just before a task floods its output: the runner stalls
# on credit, and the output flows again after the restart.
# 3. The same with a standalone broker: the server SIGKILLed behind it, then
# the broker itself SIGKILLed and restarted.
set -uo pipefail
T=$(mktemp -d)
WORKER_PID=
SERVER_PID=
BROKER_PID=
cleanup() {
    [ -n "$WORKER_PID" ] && kill -TERM "$WORKER_PID" 2>/dev/null && wait "$WORKER_PID" 2>/dev/null
    [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    [ -n "$BROKER_PID" ] && kill -TERM "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "$0")/../server/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache"
LINES=${ADOPT_LINES:-120}
BURST=${ADOPT_BURST:-300000}        # about 2 MB: far more than a runner's credit window

PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PIKOCI_SERVER="tcp://127.0.0.1:$PORT"
cat >"$T/p.hcl" <<HCL
job "long" {
  task "print" {
    run "shell" {
      cmd = "i=1; while [ \$i -le $LINES ]; do echo \"line \$i\"; echo \$i >$T/long\$BUILD_NUMBER.at; i=\$((i+1)); sleep 0.05; done; echo DONE"
    }
  }
}
job "burst" {
  task "flood" {
    run "shell" {
      cmd = "sleep 1; touch $T/burst\$BUILD_NUMBER.flooding; seq 1 $BURST; echo END"
    }
  }
}
HCL
serve() {   # serve N: server N on the fixed port, the same lmdb directory
    "$BIN" server --run-worker=false --db-system lmdb --db-path "$T/db" --listen "$PIKOCI_SERVER" \
        --pipeline-config "$T/p.hcl" --pipeline-name p 2>"$T/server$1.log" &
    SERVER_PID=$!
    until_ok 30 grep -q "server ready" "$T/server$1.log" || { echo "# server $1 did not start:"; cat "$T/server$1.log"; return 1; }
}
# printed_on N: the task of build N printed 10 more lines than when called
# (it goes on with nobody to hear it: the outage lasts at least that long)
printed_on() {
    local at; at=$(cat "$T/long$1.at")
    until_ok 10 bash -c "[ \$(cat '$T/long$1.at') -ge $((at + 10)) ]"
}
worker_healthy() { pk workers --json 2>/dev/null | json "[w['state'] for w in d if w['name']=='w1'] == ['healthy']" | grep -q True; }
log_lines() { pk logs p/long/1 2>/dev/null | grep -c '^line '; }
log_has_at_least() { [ "$(log_lines)" -ge "$1" ]; }
whole_log() {   # whole_log P/J/N: "line 1" .. "line $LINES", then DONE, each once
    pk logs "$1" >"$T/log" 2>/dev/null
    "$PY" - "$T/log" "$LINES" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
n = int(sys.argv[2])
want = ["line %d" % i for i in range(1, n + 1)] + ["DONE"]
got = [l for l in lines if l.startswith("line ") or l == "DONE"]
if got != want:
    missing = sorted(set(want) - set(got), key=want.index)
    dups = sorted({l for l in got if got.count(l) > 1})
    print("# %d lines, want %d; missing %s; duplicated %s" % (len(got), len(want), missing[:10], dups[:10]))
    sys.exit(1)
PY
}

serve 1 || finish
"$BIN" worker --broker "$PIKOCI_SERVER" --name w1 --concurrency 2 --work-dir "$T/work" 2>"$T/worker.log" &
WORKER_PID=$!
check "the worker connects" until_ok 30 worker_healthy
pk trigger p/long >"$T/out" 2>&1
check "the build starts on the remote worker" until_ok 30 build_is p/long 1 started
check "part of the log is stored before the kill" until_ok 30 log_has_at_least 20
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
t_kill=$(date +%s%N)
check "the task goes on printing with nobody to hear it" printed_on 1
serve 2 || finish
t_up=$(date +%s%N)
check "the worker comes back" until_ok 30 worker_healthy
check "the build is still started after the restart (adopted, not errored)" build_is p/long 1 started
check "the build finishes succeeded" until_ok 60 build_is p/long 1 succeeded
t_done=$(date +%s%N)
echo "# down $(( (t_up - t_kill) / 1000000 )) ms; finished $(( (t_done - t_up) / 1000000 )) ms after the restart"
pk build p/long/1 --json >"$T/b.json" 2>/dev/null
check "it has no error reason" test "$(json "d.get('reason') or ''" <"$T/b.json")" = ""
check "the worker is recorded" test "$(json "d.get('worker') or ''" <"$T/b.json")" = "w1"
check "the log is whole, in order, without duplicates" whole_log p/long/1
check "the server said it adopted the build" has "$T/server2.log" "adopted"

# 2. the server dies just before a task floods its output and ends: the
# runner stalls on credit with its window unconfirmed, the task finishes
# while no server is there (its DONE waits for the log to be stored), and
# after the restart the stalled output flows again from where it stopped.
pk trigger p/burst >"$T/out" 2>&1
check "the burst build starts" until_ok 30 build_is p/burst 1 started
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
check "the flood begins while no server is there" until_ok 10 test -e "$T/burst1.flooding"
serve 3 || finish
check "the burst build finishes succeeded" until_ok 120 build_is p/burst 1 succeeded
pk logs p/burst/1 >"$T/burst"
check "its log is every number once, in order" "$PY" - "$T/burst" "$BURST" <<'PY'
import sys
got = open(sys.argv[1]).read().split("\n")
n = int(sys.argv[2])
want = [str(i) for i in range(1, n + 1)] + ["END"]
got = [l for l in got if l]
if got != want:
    bad = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    print("# %d lines, want %d; first difference at line %d: %r" % (len(got), len(want), bad + 1, got[bad:bad + 3]))
    sys.exit(1)
PY

# 3. a standalone broker (`pikoci broker`) with the server's actors and the
# worker connected to it. First the server is SIGKILLed behind the broker,
# which stays up: the new scheduler and log sink saying HELLO make the
# broker ask its workers to announce themselves. Then the broker itself is
# SIGKILLed and restarted: everyone reconnects to it.
kill -TERM "$WORKER_PID"; wait "$WORKER_PID" 2>/dev/null; WORKER_PID=
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
BPORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PIKOCI_SERVER="tcp://127.0.0.1:$BPORT"
broker() {  # broker N
    "$BIN" broker --listen "$PIKOCI_SERVER" 2>"$T/broker$1.log" &
    BROKER_PID=$!
    until_ok 30 grep -q "listening on" "$T/broker$1.log" || { echo "# broker $1 did not start:"; cat "$T/broker$1.log"; return 1; }
}
serve_behind() {   # serve_behind N: a server of actors only, on the broker
    "$BIN" server --run-worker=false --pubsub-system zmq --broker "$PIKOCI_SERVER" --db-system lmdb --db-path "$T/db" \
        2>"$T/server$1.log" &
    SERVER_PID=$!
    until_ok 30 grep -q "server ready" "$T/server$1.log" || { echo "# server $1 did not start:"; cat "$T/server$1.log"; return 1; }
}
broker 1 || finish
serve_behind 4 || finish
"$BIN" worker --broker "$PIKOCI_SERVER" --name w1 --concurrency 2 --work-dir "$T/work" 2>"$T/worker2.log" &
WORKER_PID=$!
check "the worker connects to the broker" until_ok 30 worker_healthy
pk trigger p/long >"$T/out" 2>&1
check "build 2 runs" until_ok 30 bash -c "'$BIN' logs p/long/2 2>/dev/null | grep -q '^line 20$'"
kill -KILL "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
check "build 2 goes on printing with no server" printed_on 2
serve_behind 5 || finish
check "build 2 is adopted by the new server" until_ok 10 has "$T/server5.log" "adopted"
check "build 2 finishes succeeded" until_ok 60 build_is p/long 2 succeeded
check "build 2's log is whole" whole_log p/long/2
pk trigger p/long >"$T/out" 2>&1
check "build 3 runs" until_ok 30 bash -c "'$BIN' logs p/long/3 2>/dev/null | grep -q '^line 20$'"
kill -KILL "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null
check "build 3 goes on printing with no broker" printed_on 3
broker 2 || finish
check "build 3 finishes succeeded after the broker's restart" until_ok 60 build_is p/long 3 succeeded
check "build 3's log is whole" whole_log p/long/3
kill -TERM "$BROKER_PID" 2>/dev/null; wait "$BROKER_PID" 2>/dev/null
finish
