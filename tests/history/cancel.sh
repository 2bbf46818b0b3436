#!/usr/bin/env bash
# `cancel` frees the slot whatever state the build is in: queued by the
# scheduler (concurrency), waiting for approval, dispatched and waiting for a
# worker, started. One slot: after the cancels a new build runs at once, and
# no cancelled build ever ran (#21).
set -uo pipefail
T=$(mktemp -d)
trap 'touch "$NAP_DIR/wake" 2>/dev/null; stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
export NAP_DIR="$T/nap"
mkdir -p "$NAP_DIR"
start_server "$T/server.log" --run-worker --concurrency 1 || finish
pk pipelines set h "$SRC/tests/history/h.hcl" --var word=w >/dev/null
pk trigger h/hold >/dev/null
check "hold #1 started and holds the only slot" until_ok 30 test -e "$NAP_DIR/hold-1"
pk trigger h/say >/dev/null         # dispatched, waits for a worker
pk trigger h/one >/dev/null         # dispatched, waits for a worker
pk trigger h/one >/dev/null         # held back by concurrency = 1
pk trigger h/gated >/dev/null       # waits for an approval
check "say #1 waits for a worker" build_is h/say 1 pending
check "one #2 is queued" build_is h/one 2 pending
check "gated #1 waits for an approval" build_is h/gated 1 waiting_for_approval
for b in h/one/2 h/gated/1 h/one/1 h/say/1 h/hold/1; do
    out=$(pk cancel "$b" 2>&1); rc=$?
    check "cancel $b exits 0 ($out)" test $rc -eq 0
done
check "one #2 cancelled" until_ok 10 build_is h/one 2 cancelled
check "gated #1 cancelled" until_ok 10 build_is h/gated 1 cancelled
check "one #1 cancelled" until_ok 10 build_is h/one 1 cancelled
check "say #1 cancelled" until_ok 10 build_is h/say 1 cancelled
check "hold #1 cancelled" until_ok 10 build_is h/hold 1 cancelled
out=$(timeout 30 "$BIN" trigger h/say --watch 2>&1); rc=$?
check "the slot is free: say #2 runs and succeeds" test $rc -eq 0
check "say #2 succeeded" build_is h/say 2 succeeded
check "no cancelled build ran" bash -c "! ls '$NAP_DIR' | grep -q '^one-'"
check "the worker is idle" until_ok 10 bash -c "'$BIN' workers --json | grep -q '\"busy\": *0\\|\"busy\":0'"
stop_server
finish
