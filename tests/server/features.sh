#!/usr/bin/env bash
# Scheduling features end to end, through the real server and the CLI: each
# check fails when its feature is missing. (The scheduler's own tests cover
# the same features in depth: tests/test_scheduler_queue.c, _ops.c.)
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache" MARKS="$T"
git_repo "$T/app"
v1=$(git -C "$T/app.wc" rev-parse HEAD)
start_server "$T/server.log" --run-worker --concurrency 4 \
    --pipeline-config "$SRC/tests/server/features.hcl" --pipeline-name feat \
    --var repo="file://$T/app.git" || finish

# approve: the build waits for a vote, then runs; a rejection fails it
pk trigger feat/gated >/dev/null 2>&1
check "an approve job waits for approval" until_ok 10 build_is feat/gated 1 waiting_for_approval
check "approve exits 0" pk approve feat/gated/1 --message "looks good"
check "approved build runs and succeeds" until_ok 30 build_is feat/gated 1 succeeded
pk trigger feat/gated >/dev/null 2>&1
check "second build waits" until_ok 10 build_is feat/gated 2 waiting_for_approval
check "reject exits 0" pk reject feat/gated/2 --message "not today"
check "rejected build fails" until_ok 10 build_is feat/gated 2 failed
check "rejection is the reason" bash -c "'$BIN' build feat/gated/2 --json | grep -q 'not today'"

# inputs: validated, default used, value reaches the task
check "trigger --input prod --watch" bash -c "'$BIN' trigger feat/ask --input target=prod --watch >'$T/ask' 2>&1"
check "the task saw INPUT_TARGET=prod" has "$T/ask" "target=prod"
pk trigger feat/ask --watch >"$T/ask2" 2>&1
check "the default is used" has "$T/ask2" "target=staging"
pk trigger feat/ask --input target=moon >"$T/out" 2>"$T/err"; rc=$?
check "a value outside the options is refused (exit 1)" test $rc -eq 1
check "the refusal names the options" grep -q "prod" "$T/err"
pk trigger feat/ask --input nope=1 >"$T/out" 2>"$T/err"; rc=$?
check "an unknown input is refused" test $rc -eq 1

# pause: no manual trigger, no version-triggered build; unpause restores
check "pause a job" pk pause feat/ask
pk trigger feat/ask >"$T/out" 2>"$T/err"; rc=$?
check "a paused job refuses a trigger" test $rc -eq 1
check "the refusal says paused" grep -q "paused" "$T/err"
check "unpause it" pk unpause feat/ask
check "it triggers again" bash -c "'$BIN' trigger feat/ask --watch >/dev/null 2>&1"

# pins: v1 pinned; a new commit does not trigger; a manual trigger uses v1
pk check feat/app >/dev/null 2>&1
check "pinned #1 builds v1" until_ok 30 build_is feat/pinned 1 succeeded
vid=$(pk versions feat/app --json | json "[v['id'] for v in d if v['version']['ref']=='$v1'][0]")
check "pin exits 0" pk pin feat/app "$vid"
check "versions shows the pin" bash -c "'$BIN' versions feat/app --json | grep -q '\"pinned\": *true'"
commit "$T/app" v2
pk check feat/app >/dev/null 2>&1
check "the new version is recorded" until_ok 10 bash -c "[ \$('$BIN' versions feat/app --json | grep -o '\"ref\"' | wc -l) -eq 2 ]"
check "but triggers nothing while pinned" bash -c "! '$BIN' builds feat/pinned --json | grep -q '\"number\": *\"2\"'"
pk trigger feat/pinned --watch >"$T/pin" 2>&1
check "a manual trigger uses the pinned version" has "$T/pin" "ref=$v1"
check "unpin exits 0" pk unpin feat/app
v2=$(git -C "$T/app.wc" rev-parse HEAD)
pk trigger feat/pinned --watch >"$T/unpin" 2>&1
check "after unpin the newest version is used" has "$T/unpin" "ref=$v2"

# concurrency = 1: the second build starts after the first ended
pk trigger feat/single >/dev/null 2>&1
pk trigger feat/single >/dev/null 2>&1
check "single #2 succeeds" until_ok 60 build_is feat/single 2 succeeded
no_overlap() {   # no_overlap FILE: no start while another ran
    "$PY" - "$1" <<'PY'
import sys
ev = sorted((int(l.split()[-1]), l.split()[-2]) for l in open(sys.argv[1]))
running = 0
for t, what in ev:
    running += 1 if what == "start" else -1
    if running > 1: sys.exit(1)
sys.exit(0 if len(ev) == 4 else 1)
PY
}
check "concurrency 1: the two builds never overlapped" no_overlap "$T/single"

# serial_groups: two jobs of one group never run at the same time
pk trigger feat/left >/dev/null 2>&1
pk trigger feat/right >/dev/null 2>&1
check "right #1 succeeds" until_ok 60 build_is feat/right 1 succeeded
check "left #1 succeeded" build_is feat/left 1 succeeded
check "serial group: left and right never overlapped" no_overlap "$T/serial"

# interruptible: a new build cancels the running one
pk trigger feat/inter >/dev/null 2>&1
check "inter #1 starts" until_ok 30 build_is feat/inter 1 started
pk trigger feat/inter >/dev/null 2>&1
check "inter #1 is cancelled by #2" until_ok 30 build_is feat/inter 1 cancelled
check "inter #2 runs" until_ok 30 build_is feat/inter 2 started
check "only one sleeper is left" until_ok 30 bash -c "[ \$(pgrep -fc '^sleep 271.5') -eq 1 ]"
pk cancel feat/inter/2 >/dev/null 2>&1
check "and it goes when cancelled" until_ok 30 bash -c "! pgrep -f 'slee[p] 271.5'"
stop_server
finish
