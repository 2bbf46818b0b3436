#!/usr/bin/env bash
# Worker loss with real processes: a `pikoci server` (no worker of its own)
# and `pikoci worker` processes on loopback.
# 1. SIGKILL of a worker in the middle of a long task: the build is errored
#    within 5 s of the broker's loss time (3 s timeout + 2 s grace), its reason says which
#    worker was lost at which step, and so does the last line of its log.
# 2. SIGSTOP of a worker past the loss time, then SIGCONT: the build was
#    errored meanwhile; the worker's late reports change nothing (status,
#    reason and log stay as they were) and its task process is stopped,
#    since the broker tells a worker it had given up on to cancel its work.
set -uo pipefail
T=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    stop_server
    [ -f "$T/task2.pid" ] && kill -KILL "$(cat "$T/task2.pid")" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "$0")/../server/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache"
# the server's broker: unreachable after the heartbeat timeout (3 s), lost
# after the grace (2 s here; minutes by default, see partition.sh)
LOSS_MS=5000

cat >"$T/p.hcl" <<HCL
job "long" {
  task "setup" {
    run "shell" {
      cmd = "echo setting up"
    }
  }
  task "work" {
    run "shell" {
      cmd = "echo \$\$ >$T/task\$BUILD_NUMBER.pid; i=0; while [ \$i -lt 600 ]; do echo \"tick \$i\"; i=\$((i+1)); sleep 0.1; done"
    }
  }
}
HCL
start_server "$T/server.log" --run-worker=false --pipeline-config "$T/p.hcl" --pipeline-name p --worker-grace 2s || finish
worker() {  # worker NAME: a worker process in the background ($WPID)
    "$BIN" worker --broker "$PIKOCI_SERVER" --name "$1" --concurrency 1 --work-dir "$T/work-$1" 2>"$T/$1.log" &
    WPID=$!
    PIDS+=("$WPID")
}
worker_is() { pk workers --json 2>/dev/null | json "[w['state'] for w in d if w['name']=='$1'] == ['$2']" | grep -q True; }
log_has() { pk logs "$1" 2>/dev/null | grep -q "$2"; }
reason_of() { pk build "$1" --json 2>/dev/null | json "d.get('reason') or ''"; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# 1. SIGKILL
worker w1
W1=$WPID
check "w1 connects" until_ok 30 worker_is w1 healthy
pk trigger p/long >/dev/null 2>&1
check "build 1 runs its long step on w1" until_ok 30 log_has p/long/1 "tick 3"
kill -KILL "$W1"
t0=$(date +%s%N)
check "build 1 is errored after the loss" until_ok $(( LOSS_MS / 1000 + 10 )) build_is p/long 1 errored
took=$(ms_since "$t0")
echo "# build 1 errored $took ms after SIGKILL of its worker (loss timeout $LOSS_MS ms)"
check "within 5 s of the loss timeout" test "$took" -le $(( LOSS_MS + 5000 ))
reason=$(reason_of p/long/1)
echo "# reason: $reason"
check "its reason names the worker and the step" test "$reason" = "worker w1 lost at step work"
pk logs p/long/1 >"$T/log1"
check "its log ends with the reason" test "$(tail -n 1 "$T/log1")" = "$reason"
check "its log kept the task's output" grep -q "^tick 3$" "$T/log1"
check "w1 is shown lost" worker_is w1 lost

# 2. SIGSTOP past the loss timeout, then SIGCONT
worker w2
W2=$WPID
check "w2 connects" until_ok 30 worker_is w2 healthy
pk trigger p/long >/dev/null 2>&1
check "build 2 runs its long step on w2" until_ok 30 log_has p/long/2 "tick 3"
check "build 2's task wrote its pid" until_ok 10 test -s "$T/task2.pid"
TASK=$(cat "$T/task2.pid")
kill -STOP "$W2"
t0=$(date +%s%N)
check "build 2 is errored while w2 is stopped" until_ok $(( LOSS_MS / 1000 + 10 )) build_is p/long 2 errored
echo "# build 2 errored $(ms_since "$t0") ms after SIGSTOP of its worker"
reason=$(reason_of p/long/2)
check "its reason says w2 was lost" test "$reason" = "worker w2 lost at step work"
check "the task still runs while w2 is stopped" kill -0 "$TASK"
kill -CONT "$W2"
t0=$(date +%s%N)
check "w2 comes back healthy" until_ok 15 worker_is w2 healthy
task_gone() { ! kill -0 "$TASK" 2>/dev/null || [ "$(ps -o stat= -p "$TASK" | cut -c1)" = Z ]; }
check "w2 stops the task it was holding" until_ok 15 task_gone
echo "# the task stopped $(ms_since "$t0") ms after SIGCONT"
check "w2 is free again" until_ok 15 bash -c "'$BIN' workers --json | grep -q '\"busy\":0'"
# w2 takes new work as before. Build 3 started and its output stored mean
# the scheduler and the log sink have handled all w2 sent before (the late
# reports of build 2): one connection, in order.
pk trigger p/long >/dev/null 2>&1
check "a new build runs on w2" until_ok 30 log_has p/long/3 "tick 1"
check "...and the scheduler knows it started" until_ok 10 build_is p/long 3 started
check "build 2 is still errored" build_is p/long 2 errored
check "with the same reason" test "$(reason_of p/long/2)" = "$reason"
pk logs p/long/2 >"$T/log2"
check "its log still ends with the reason (late output dropped)" test "$(tail -n 1 "$T/log2")" = "$reason"
finish
