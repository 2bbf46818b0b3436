#!/usr/bin/env bash
# Log followers that keep up (tail_followers.py) against a real server: the
# whole log, in order, UTF-8 intact, and few reads of the store -- the face
# hands them the log sink's chunks from the tail it keeps of each followed
# log (issue #18: 50 open build pages must not slow the scheduler).
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
start_http_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/http/tail.hcl" --pipeline-name t --var n=250 || { finish; }
hp=${HTTP#http://}
"$PY" "$SRC/tests/http/tail_followers.py" "${hp%:*}" "${hp##*:}" t/chat 10 250
check "tail_followers.py's checks pass" test $? -eq 0
finish
