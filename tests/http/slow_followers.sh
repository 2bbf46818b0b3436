#!/usr/bin/env bash
# Log followers that do not read (followers.py) against a real server: the
# bus used to queue every log chunk for each of them -- 10 followers of a
# 100 MB log took the server from 3 MB to 970 MB -- and now they fall behind
# in the store instead. ASan's quarantine is kept small so that RssAnon
# measures what is held, not what ASan holds back.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4"
start_http_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/http/soak.hcl" --pipeline-name s --var mb=${MB:-40} || { finish; }
http_py followers.py "$SERVER_PID" s/spew 10 96
check "followers.py's checks pass" test $? -eq 0
check "healthz answers after" test "$(code GET "$HTTP/healthz")" = 200
finish
