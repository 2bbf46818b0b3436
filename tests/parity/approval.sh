#!/usr/bin/env bash
# Approval-Gates.md: a reject carries a reason (the CLI and the scheduler
# refuse one without), and only a retry of a build that was approved skips
# the gate -- a rejected build's retry waits for approval again and runs
# nothing meanwhile.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
export MARKS="$T"
start_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/parity/approval.hcl" --pipeline-name appr || finish

pk trigger appr/gated >/dev/null 2>&1
check "#1 waits for approval" until_ok 10 build_is appr/gated 1 waiting_for_approval
pk reject appr/gated/1 >"$T/out" 2>"$T/err"; rc=$?
check "reject without --message is a usage error (exit 2)" test $rc -eq 2
check "the refusal asks for a reason" grep -q "message" "$T/err"
pk reject appr/gated/1 --message "  " >"$T/out" 2>"$T/err"; rc=$?
check "the scheduler refuses a blank reason (exit 1)" test $rc -eq 1
check "it says a rejection needs a reason" grep -q "needs a reason" "$T/err"
check "#1 still waits" build_is appr/gated 1 waiting_for_approval
check "reject with a reason" pk reject appr/gated/1 --message "not today"
check "#1 failed" until_ok 10 build_is appr/gated 1 failed
check "retry of the rejected build" pk retry appr/gated/1
check "#1.1 waits for approval again" until_ok 10 build_is appr/gated 1.1 waiting_for_approval
check "the retry says so" bash -c "'$BIN' retry appr/gated/1 2>&1 | grep -q waiting_for_approval"
check "and nothing ran" bash -c "! ls '$T'/gated-* 2>/dev/null"
check "approve #1.1" pk approve appr/gated/1.1 --message ok
check "#1.1 succeeds" until_ok 30 build_is appr/gated 1.1 succeeded
check "its step ran once" test "$(cat "$T"/gated-* | wc -l)" -eq 1

# approved, then failed: the retry skips the gate (and its retry too)
pk trigger appr/flaky >/dev/null 2>&1
check "flaky #1 waits" until_ok 10 build_is appr/flaky 1 waiting_for_approval
check "approve flaky #1" pk approve appr/flaky/1 --message go
check "flaky #1 fails after approval" until_ok 30 build_is appr/flaky 1 failed
check "retry it" pk retry appr/flaky/1
check "#1.1 runs without a vote and fails again" until_ok 30 build_is appr/flaky 1.1 failed
touch "$T/flaky-ok"
check "retry the retry" pk retry appr/flaky/1.1
check "#1.2 runs without a vote and succeeds" until_ok 30 build_is appr/flaky 1.2 succeeded
check "the guarded step ran three times" test "$(wc -l <"$T/flaky")" -eq 3
stop_server
finish
