#!/usr/bin/env bash
# Build processes die with their runner (#22): a task runs in
# `pikoci server --run-worker` (then in a `pikoci worker`), the runner's
# process is killed with -9, and then the
# task's whole process group (leader and background job) is gone within
# seconds and neither ever writes the marker it would have written after
# its sleep. The dead runner's work root is left behind; the next server on
# the same TMPDIR removes it, and only it: a directory that is no runner's
# (no marker), a look-alike of another kind, and a live runner's root
# (its lock held) stay.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; for p in ${HOLDER:-} ${WORKER_PID:-}; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"
serve() {
    start_server "$T/server$1.log" --db-system lmdb --db-path "$T/db" --run-worker \
        --adopt-grace 1s --pipeline-config "$SRC/tests/proc/death.hcl" --var mark="$T/mark"
}
# alive PGID: a process of the group that is not a zombie (this sandbox's
# PID 1 does not reap, so the killed stay as zombies)
alive() {
    local s
    for s in /proc/[0-9]*/stat; do
        read -r _ _ st _ pg _ <"$s" 2>/dev/null || continue
        [ "$pg" = "$1" ] && [ "$st" != Z ] && return 0
    done
    return 1
}
gone() { ! alive "$1"; }

# decoys beside the work roots
mkdir -p "$TMPDIR/pikoci-work-999999999/build-x" "$TMPDIR/keepme"
mkdir -p "$TMPDIR/pikoci-work-999999998/build-y"
echo "a live runner" >"$TMPDIR/pikoci-work-999999998/.pikoci-runner"
( exec 9<"$TMPDIR/pikoci-work-999999998"; flock 9; exec sleep 300 ) >/dev/null 2>&1 &
HOLDER=$!

serve 1 || finish
OLD_ROOT="$TMPDIR/pikoci-work-$SERVER_PID"
check "the runner claimed its work root" test -f "$OLD_ROOT/.pikoci-runner"
pk trigger death/slow >/dev/null
START=$(date +%s)
check "the task started" until_ok 30 bash -c "'$BIN' logs death/slow | grep -q 'started pgid'"
PGID=$(pk logs death/slow | sed -n 's/.*started pgid \([0-9]*\).*/\1/p' | head -1)
echo "# task group $PGID"
check "the task's group is running" alive "$PGID"
check "its workdir exists" bash -c "ls -d '$OLD_ROOT'/build-* >/dev/null"
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
check "the task's processes are gone within 5 s of the kill -9" until_ok 5 gone "$PGID"
# the markers would be written 6 s after the start: wait past that
while [ $(( $(date +%s) - START )) -lt 9 ]; do sleep 0.5; done
check "the leader never wrote its marker" test ! -e "$T/mark.leader"
check "the background job never wrote its marker" test ! -e "$T/mark.grandchild"
check "the dead runner's work root is still there" test -d "$OLD_ROOT"

serve 2 || finish
check "a new runner removes the dead runner's work root" until_ok 10 test ! -e "$OLD_ROOT"
check "and claims its own" test -f "$TMPDIR/pikoci-work-$SERVER_PID/.pikoci-runner"
check "a look-alike without the marker stays" test -d "$TMPDIR/pikoci-work-999999999/build-x"
check "a live runner's work root stays" test -d "$TMPDIR/pikoci-work-999999998/build-y"
check "other directories stay" test -d "$TMPDIR/keepme"
check "the cut-off build is not succeeded" until_ok 30 bash -c \
    "'$BIN' builds death/slow --json | grep -q '\"errored\"'"

# the same with a worker of its own
WT="$T/wtmp"
mkdir -p "$WT"
worker() {
    "$BIN" worker --broker "$PIKOCI_SERVER" --tags ext --exclusive-tags --concurrency 1 \
        --work-dir "$WT" 2>>"$T/worker.log" &
    WORKER_PID=$!
}
worker
pk trigger death/slow_ext >/dev/null
START=$(date +%s)
check "the worker's task started" until_ok 30 bash -c "'$BIN' logs death/slow_ext | grep -q 'started pgid'"
PGID=$(pk logs death/slow_ext | sed -n 's/.*started pgid \([0-9]*\).*/\1/p' | head -1)
OLD_ROOT="$WT/pikoci-work-$WORKER_PID"
check "the worker's task group is running" alive "$PGID"
kill -KILL "$WORKER_PID"
wait "$WORKER_PID" 2>/dev/null
check "the worker's task processes are gone within 5 s of the kill -9" until_ok 5 gone "$PGID"
while [ $(( $(date +%s) - START )) -lt 9 ]; do sleep 0.5; done
check "its leader never wrote its marker" test ! -e "$T/mark.ext-leader"
check "its background job never wrote its marker" test ! -e "$T/mark.ext-grandchild"
check "the dead worker's work root is still there" test -d "$OLD_ROOT"
worker
check "a new worker removes the dead worker's work root" until_ok 10 test ! -e "$OLD_ROOT"
finish
