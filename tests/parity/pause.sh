#!/usr/bin/env bash
# Pause.md: pausing a pipeline sets every job's paused flag (pikoci jobs
# shows it), unpausing one job inside the paused pipeline lets that job run,
# and unpausing the pipeline unpauses them all.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
start_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/parity/pause.hcl" --pipeline-name pp || finish
paused() { pk jobs pp --json | json "[j['paused'] for j in d if j['name']=='$1'][0]"; }

check "pause the pipeline" pk pipelines pause pp
check "job a shows paused" test "$(paused a)" = True
check "job b shows paused" test "$(paused b)" = True
pk trigger pp/a >"$T/out" 2>"$T/err"; rc=$?
check "a paused pipeline's job refuses a trigger" test $rc -eq 1
check "unpause job a inside it" pk unpause pp/a
check "job a shows not paused" test "$(paused a)" = False
check "job a builds" bash -c "'$BIN' trigger pp/a --watch >/dev/null 2>&1"
check "build a #1 succeeded" build_is pp/a 1 succeeded
pk trigger pp/b >"$T/out" 2>"$T/err"; rc=$?
check "job b still refuses" test $rc -eq 1
check "the pipeline is still paused" test "$(pk pipelines --json | json "[p['paused'] for p in d if p['name']=='pp'][0]")" = True
check "unpause the pipeline" pk pipelines unpause pp
check "job b shows not paused" test "$(paused b)" = False
check "job b builds" bash -c "'$BIN' trigger pp/b --watch >/dev/null 2>&1"
check "pause job b alone" pk pause pp/b
check "then a still builds" bash -c "'$BIN' trigger pp/a --watch >/dev/null 2>&1"
check "and b shows paused" test "$(paused b)" = True
stop_server
finish
