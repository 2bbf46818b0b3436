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
http_py tail_followers.py t/chat 10 250
check "tail_followers.py's checks pass" test $? -eq 0

# a follower copies from the tail without asking anyone, but reads the store
# as its caller every 2 s: a token revoked meanwhile ends its stream
A="$HTTP/api/v1"
echo 'password-of-viewer' | pk users create viewer >/dev/null
pk teams grant main viewer read >/dev/null
pk trigger t/long >/dev/null
check "t/long starts" until_ok 30 build_is t/long 1 started
CSRF=$(curl -s -X POST "$A/login" -d '{"user":"viewer","password":"password-of-viewer"}' \
       -c "$T/jar" | json "d['csrf']")
TOK=$(sed -n 's/.*pikoci_session\t*\(pkt_[^\t]*\)$/\1/p' "$T/jar")
curl -s -N --max-time 25 -H "Authorization: Bearer $TOK" \
    "$A/pipelines/t/jobs/long/builds/1/log/stream" >"$T/long.sse" &
follower=$!
check "the viewer's follower gets lines" until_ok 10 grep -q 'line 20' "$T/long.sse"
check "logout: 200" test "$(curl -s -o /dev/null -w '%{http_code}' -b "$T/jar" \
                              -H "X-CSRF-Token: $CSRF" -X POST "$A/logout")" = 200
t0=$SECONDS
wait $follower
check "the revoked token's log stream ended within 5 s" test $((SECONDS - t0)) -le 5
check "  with an end event" grep -q 'event: end' "$T/long.sse"
check "  while the build still runs" build_is t/long 1 started
pk cancel t/long/1 >/dev/null 2>&1      # the server stops sooner
check "t/long is cancelled" until_ok 30 build_is t/long 1 cancelled
finish
