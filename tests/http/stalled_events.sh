#!/usr/bin/env bash
# Change streams (/api/events) whose clients read nothing (events.py): each
# stream's queue is bounded, the excess dropped and counted, the stream told.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
start_http_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/http/soak.hcl" --pipeline-name s || { finish; }
http_py events.py "$SERVER_PID" s/blip 150 4
check "events.py's checks pass" test $? -eq 0
check "healthz answers after" test "$(code GET "$HTTP/healthz")" = 200
finish
