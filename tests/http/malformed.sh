#!/usr/bin/env bash
# Malformed HTTP while a build runs: malformed.py's hostile clients must get
# clean errors, /healthz must keep answering, and neither the build nor the
# CLI (the other actors) may notice.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
git_repo "$T/app"
start_http_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/http/hooks.hcl" --pipeline-name ci --var repo="file://$T/app.git" \
    || { finish; }
pk trigger ci/ticker >/dev/null       # 10 s of output
check "ticker #1 runs" until_ok 30 build_is ci/ticker 1 started
t0=$(date +%s%N)
http_py malformed.py 6 &
py=$!
# the CLI meanwhile: each answer within a second
slow=0
for i in $(seq 20); do
    s=$(date +%s%N)
    pk pipelines >/dev/null || slow=$((slow + 1))
    [ $(( ($(date +%s%N) - s) / 1000000 )) -lt 1000 ] || slow=$((slow + 1))
    sleep 0.2
done
check "the CLI answered within a second throughout" test $slow -eq 0
wait $py; rc=$?
check "malformed.py's checks pass" test $rc -eq 0
check "ticker #1 succeeds" until_ok 60 build_is ci/ticker 1 succeeded
check "its log is whole" test "$(pk logs ci/ticker/1 | grep -c '^tick ')" -eq 40
check "healthz still answers" test "$(code GET "$HTTP/healthz")" = 200
finish
