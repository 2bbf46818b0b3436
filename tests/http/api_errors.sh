#!/usr/bin/env bash
# The API's answers to client mistakes: bad numbers in the query or the path
# are 400, unknown pipelines, jobs, builds and routes 404 -- each with a JSON
# body {"error": "..."} -- against a real `pikoci server --http`.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
git_repo "$T/app"
start_http_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/http/hooks.hcl" --pipeline-name ci --var repo="file://$T/app.git" \
    || { finish; }
pk trigger ci/nap >/dev/null
check "nap #1 succeeds" until_ok 30 build_is ci/nap 1 succeeded
B="$HTTP/api/pipelines/ci/jobs/nap/builds"
is_error() { json "isinstance(d['error'], str) and len(d['error']) > 0" <"$T/body" | grep -qx True; }
expect() {  # expect CODE PATH: the status and an {"error": ...} body
    local want=$1 url=$2 got
    got=$(code GET "$url")
    check "$want for ${url#$HTTP}" test "$got" = "$want"
    [ "$want" -lt 400 ] || check "  with {\"error\": ...}" is_error
}
for bad in "$B/-1" "$B/abc" "$B/0" "$B/1x" "$B?limit=abc" "$B?limit=-1" "$B/1/log?offset=-5" \
           "$B/1/log?max=abc" "$B/1/log/stream?offset=-5" "$B/1/log/stream?tail=x" \
           "$HTTP/api/pipelines/ci/resources/git.app/versions?limit=1e3" "$B/-1/log"; do
    expect 400 "$bad"
done
says() { json "d['error']" <"$T/body" | grep -q "$1"; }
check "a 400 says what was wrong" says "build number"
for missing in "$HTTP/api/pipelines/nope/jobs" "$HTTP/api/pipelines/ci/jobs/nope/builds" \
               "$B/99" "$B/99/log" "$HTTP/api/nothing" "$B/1/what"; do
    expect 404 "$missing"
done
expect 200 "$B/1"
expect 200 "$B/1/log?offset=2&max=3"
check "the log's bytes from an offset, 3 of them" test "$(wc -c <"$T/body")" -eq 3
expect 200 "$B?limit=1"
finish
