#!/usr/bin/env bash
# `pikoci trigger --watch` and `pikoci logs -f` stop at once on SIGINT and
# SIGTERM while a long build runs (czmq's handlers used to swallow them:
# `timeout 30 pikoci trigger P/J --watch` still ran 11 minutes later). They
# die by the signal: 130 / 143 in the shell. The build goes on.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
D=$SRC/tests/cli_compat
ms() { echo $(( $(date +%s%N) / 1000000 )); }

start_server "$T/server.log" --pipeline-config "$D/compat.hcl" || finish

# 1. timeout -s INT 2 pikoci trigger --watch, in the foreground as a user runs it
# (-k 5: a follower deaf to SIGINT fails here instead of hanging the test)
t0=$(ms)
timeout -k 5 -s INT 2 "$BIN" trigger compat/long --watch >"$T/out" 2>"$T/err"; rc=$?
t1=$(ms)
check "timeout -s INT: timeout says it timed out (124)" test $rc -eq 124
check "trigger --watch returned within 2 s of SIGINT ($((t1 - t0)) ms in all)" test $((t1 - t0)) -lt 4000
check "it was watching the build" has "$T/out" "started"
check "the build goes on" build_is compat/long 1 started

# 2. SIGINT / SIGTERM straight to the process, once it is watching: killed by the signal
watch_then() {  # watch_then SIGNAL ARGS...: run pikoci ARGS until it prints, signal it; sets rc, took
    local sig=$1; shift
    # bash leaves SIGINT ignored in a background job; `trap - INT` in the
    # subshell gives the command the disposition a foreground one has
    ( trap - INT; exec "$BIN" "$@" ) >"$T/out" 2>"$T/err" &
    local pid=$!
    until_ok 30 grep -q started "$T/out"
    local s=$(ms)
    kill -s "$sig" $pid
    while kill -0 $pid 2>/dev/null && [ $(( $(ms) - s )) -lt 10000 ]; do sleep 0.02; done
    took=$(( $(ms) - s ))
    kill -KILL $pid 2>/dev/null
    wait $pid; rc=$?
}
watch_then INT trigger compat/long --watch
check "trigger --watch: SIGINT ends it (exit $rc = 130)" test $rc -eq 130
check "trigger --watch: within 2 s of SIGINT ($took ms)" test $took -lt 2000
watch_then TERM trigger compat/long --watch
check "trigger --watch: SIGTERM ends it (exit $rc = 143)" test $rc -eq 143
check "trigger --watch: within 2 s of SIGTERM ($took ms)" test $took -lt 2000
watch_then INT logs -f compat/long/1
check "logs -f: SIGINT ends it (exit $rc = 130)" test $rc -eq 130
check "logs -f: within 2 s of SIGINT ($took ms)" test $took -lt 2000
watch_then TERM logs -f compat/long/1
check "logs -f: SIGTERM ends it (exit $rc = 143)" test $rc -eq 143
check "logs -f: within 2 s of SIGTERM ($took ms)" test $took -lt 2000
check "the first build still runs" build_is compat/long 1 started
finish
