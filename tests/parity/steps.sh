#!/usr/bin/env bash
# A cancelled build's steps, as `pikoci build` shows them: the step that was
# running ends `cancelled` with an end time (its duration stops growing),
# and the on_cancel and ensure hook steps that ran after the cancel are
# recorded like any step.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
start_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/parity/steps.hcl" --pipeline-name st || finish
# step NAME FIELD: a field of the step of build st/slow/1 whose name ends in NAME
step() { pk build st/slow/1 --json 2>/dev/null | json "[s.get('$2') for s in d['steps'] if s['name'].endswith('$1')][0]"; }
step_is() { [ "$(step "$1" "$2")" = "$3" ]; }

pk trigger st/slow >/dev/null 2>&1
check "the step runs" until_ok 30 step_is wait status started
check "cancel the build" pk cancel st/slow/1
check "the build is cancelled" until_ok 10 build_is st/slow 1 cancelled
check "the running step ends cancelled" until_ok 10 step_is wait status cancelled
check "with an end time" bash -c "[ \"$(step wait finished_ms)\" -gt 0 ]"
check "the on_cancel hook step is recorded" until_ok 10 step_is cleanup status succeeded
check "the ensure hook step is recorded" until_ok 10 step_is always status succeeded
check "the sleeper is gone" until_ok 30 bash -c "! pgrep -f 'slee[p] 283.5'"
check "the table shows the step cancelled" bash -c "'$BIN' build st/slow/1 | grep wait | grep -q cancelled"
check "and the hooks" bash -c "'$BIN' build st/slow/1 | grep -q cleanup && '$BIN' build st/slow/1 | grep -q always"
stop_server
finish
