#!/usr/bin/env bash
# A soak of the HTTP face (soak.py): 60 s of builds streaming logs while
# slow followers, stalled event streams and idle connections come and go;
# the server's heap stays within 128 MB of its start, VmRSS within that
# plus the logs written (LMDB maps them), and every log is whole. ASan's
# quarantine is kept small so the numbers are the server's own.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4"
start_http_server "$T/server.log" --run-worker --concurrency 4 --db-system lmdb --db-path "$T/db" \
    --pipeline-config "$SRC/tests/http/soak.hcl" --pipeline-name s || { finish; }
http_py soak.py "$SERVER_PID" s "${SOAK_SECONDS:-60}" 128
check "soak.py's checks pass" test $? -eq 0
check "healthz answers after" test "$(code GET "$HTTP/healthz")" = 200
finish
