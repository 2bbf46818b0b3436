#!/usr/bin/env bash
# /metrics against the CLI: builds of several statuses (one failed, one
# running), then metrics.py parses the exposition with python3-prometheus-
# client and compares every figure with pikoci builds/workers --json.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache"
if ! /usr/bin/python3 -c 'import prometheus_client' 2>/dev/null; then
    echo "FAIL - python3-prometheus-client is not installed (apt-get install python3-prometheus-client)"
    exit 1
fi
git_repo "$T/app"
start_http_server "$T/server.log" --run-worker --concurrency 4 \
    --pipeline-config "$SRC/tests/http/hooks.hcl" --pipeline-name ci --var repo="file://$T/app.git" \
    || { finish; }
# a quiet moment first: both first checks done and built, nap #1 done
pk check ci/app >/dev/null 2>&1
pk check ci/signed >/dev/null 2>&1
check "test #1 succeeds" until_ok 60 build_is ci/test 1 succeeded
check "signed-test #1 succeeds" until_ok 60 build_is ci/signed-test 1 succeeded
pk trigger ci/nap >/dev/null
check "nap #1 succeeds" until_ok 60 build_is ci/nap 1 succeeded
pk trigger ci/ticker >/dev/null       # runs for 10 s
check "ticker #1 is running" until_ok 30 build_is ci/ticker 1 started
check "metrics match the CLI while a build runs" "$PY" "$SRC/tests/http/metrics.py" "$HTTP" "$BIN" ci
pk cancel ci/ticker/1 >/dev/null 2>&1
ticker_stopped() { [ "$(build_status ci/ticker 1)" != started ]; }
check "ticker #1 stops" until_ok 30 ticker_stopped
check "metrics match the CLI after" "$PY" "$SRC/tests/http/metrics.py" "$HTTP" "$BIN" ci
finish
