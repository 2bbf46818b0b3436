#!/usr/bin/env bash
# Services and notifications end to end with the real binary: `pikoci run`
# (a marker service seen by the task and stopped after success, a failing
# task and Ctrl-C; a never-ready service failing the build at its timeout;
# a real redis-server on a free loopback port; automatic notifications by
# `on` and jobs/exclude with interpolated messages; notify steps and hooks;
# a service inside in_parallel refused with file:line:col), then the same
# pipeline on a real `pikoci server` (success, failure and cancel).
set -uo pipefail
T=$(mktemp -d)
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/server/lib.sh"
HCL="$SRC/tests/run/services.hcl"
export PIKOCI_CACHE_DIR="$T/cache"
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
lines() { grep -c -- "$2" "$1" 2>/dev/null || true; }

# 1. the marker service: seen by the task, stopped after it; notifications
D="$T/run1" && mkdir -p "$D"
pk run "$HCL" --job with-marker --var dir="$D" >"$T/out" 2>"$T/err"; rc=$?
check "with-marker exits 0" test $rc -eq 0
check "the task sees the marker" has "$T/out" "task sees up"
check "log step marker:start" has "$T/out" "==> service marker:start"
check "log step marker:ready" has "$T/out" "==> service marker:ready"
check "log step marker:stop after the task" \
    bash -c "grep -n . '$T/out' | awk -F: '/task use/{t=\$1} /marker:stop/{s=\$1} END{exit !(t && s > t)}'"
check "stop removed the marker" test ! -e "$D/marker"
check "automatic notification on success, message interpolated" \
    has "$D/notes" "with-marker|success|ok|build 1 of services/with-marker: succeeded, saw up"
check "no failure notification on success" test "$(lines "$D/notes" "|failures|")" -eq 0
check "notify step ran with the notification's message" has "$D/notes" "with-marker||manual|by hand"
check "notify hook ran with its own message" has "$D/notes" "with-marker||manual|hook for with-marker"
check "manual-only notification not dispatched automatically" test "$(lines "$D/notes" "|manual|")" -eq 2
check "hooks before automatic notifications" \
    bash -c "grep -n . '$T/out' | awk -F: '/on_success:manual/{h=\$1} /notify:file.ok/{n=\$1} END{exit !(h && n > h)}'"

# 2. a failing task: stop still runs; the failure notification, literal \n a newline
D="$T/run2" && mkdir -p "$D"
pk run "$HCL" --job fails --var dir="$D" >"$T/out" 2>"$T/err"; rc=$?
check "fails exits 1" test $rc -eq 1
check "stop ran after the failing task" has "$D/stops" "stopped"
check "marker removed after failure" test ! -e "$D/marker"
check "failure notification" has "$D/notes" "fails|failure|failures|FAILED"
check "its \\n became a newline" has "$D/notes" "see build 1"
check "no success notification on failure" test "$(lines "$D/notes" "|ok|")" -eq 0

# 3. a service that never gets ready fails the build at its timeout, task not run
D="$T/run3" && mkdir -p "$D"
t0=$(date +%s%N)
pk run "$HCL" --job never-ready --var dir="$D" >"$T/out" 2>"$T/err"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "never-ready exits 1" test $rc -eq 1
check "never-ready says why" has "$T/out" "service never was not ready after 1s"
check "never-ready took its timeout (${ms} ms)" test $ms -ge 1000 -a $ms -lt 15000
check "the task did not run" bash -c "! grep -q SHOULD-NOT-RUN '$T/out'"
check "stop still ran" has "$D/stops" "never-stopped"
check "excluded job: no failure notification" test ! -e "$D/notes"

# 4. Ctrl-C while the task runs: stop runs, the cancel notification goes
D="$T/run4" && mkdir -p "$D"
"$BIN" run "$HCL" --job held --var dir="$D" >"$T/out" 2>"$T/err" &
pid=$!
check "held task started" until_ok 30 has "$T/out" "held-task-started"
check "its service is up" test -e "$D/marker"
kill -INT $pid
wait $pid; rc=$?
check "cancelled run exits 1" test $rc -eq 1
check "stop ran after the cancel" has "$D/stops" "stopped"
check "marker removed after the cancel" test ! -e "$D/marker"
check "cancel notification (jobs filter)" has "$D/notes" "held|cancel|cancels|"
check "no task process left" bash -c "! pgrep -f 'slee[p] 313.61' >/dev/null"

# 5. a real redis-server on a free loopback port
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
    D="$T/run5" && mkdir -p "$D"
    port=$(free_port)
    pk run "$HCL" --job redis --var dir="$D" --var port="$port" >"$T/out" 2>"$T/err"; rc=$?
    check "redis job exits 0" test $rc -eq 0
    check "the task SET and GOT through redis" has "$T/out" "GOT=v-1"
    check "redis became ready" has "$T/out" "Ready to accept connections"
    check "redis notification with the task's export" has "$D/notes" "redis|success|redis|redis said v-1"
    check "redis is gone after stop" bash -c "! redis-cli -p $port ping >/dev/null 2>&1"
else
    echo "# SKIPPED: redis-server/redis-cli not installed (apt-get install redis-server)"
fi

# 6. a service inside in_parallel is a validation error
printf 'service_type "s" {\n  start "shell" {\n    cmd = "true"\n  }\n  stop "shell" {\n    cmd = "true"\n  }\n}\njob "j" {\n  in_parallel {\n    service "s" {\n    }\n  }\n}\n' >"$T/par.hcl"
pk run "$T/par.hcl" --job j >"$T/out" 2>"$T/err"; rc=$?
check "service in in_parallel exits 2" test $rc -eq 2
check "service in in_parallel names file:line:col" has "$T/err" "par.hcl:11:5: error: service is not allowed inside in_parallel"

# 7. the same pipeline on a real server
D="$T/srv" && mkdir -p "$D"
start_server "$T/server.log" --run-worker --pipeline-config "$HCL" --var dir="$D" || finish
pk trigger services/with-marker --watch >"$T/watch" 2>&1; rc=$?
check "server: with-marker succeeds" test $rc -eq 0
check "server: task saw the marker" has "$T/watch" "task sees up"
pk build services/with-marker/1 >"$T/build" 2>&1
for s in marker:start marker:ready marker:stop notify:file.ok; do
    check "server: build has step $s" has "$T/build" "$s"
done
check "server: success notification" \
    until_ok 10 has "$D/notes" "with-marker|success|ok|build 1 of services/with-marker: succeeded, saw up"
pk trigger services/fails >/dev/null 2>&1
check "server: fails #1 fails" until_ok 60 build_is services/fails 1 failed
check "server: failure notification" until_ok 10 has "$D/notes" "fails|failure|failures|FAILED"
pk trigger services/held >/dev/null 2>&1
check "server: held #1 starts its task" until_ok 30 bash -c "'$BIN' logs services/held/1 | grep -q held-task-started"
pk cancel services/held/1 >/dev/null 2>&1
check "server: held #1 cancelled" until_ok 30 build_is services/held 1 cancelled
check "server: stop ran after the cancel" until_ok 10 test ! -e "$D/marker"
check "server: cancel notification" until_ok 10 has "$D/notes" "held|cancel|cancels|"
check "server: no task process left" until_ok 10 bash -c "! pgrep -f 'slee[p] 313.61'"
stop_server
SERVER_PID=
finish
