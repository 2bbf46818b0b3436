#!/usr/bin/env bash
# A store as a long-lived server left it, written before the history
# indexes: 30,000 finished builds and 3 still queued. The server indexes it
# at start (one transaction, a log line), the queued builds run, listings
# come a page at a time with cursors, and an answer too big for one message
# is refused at once with a clear error instead of a 15 s wait (#21).
set -uo pipefail
FILL=${1:?usage: big.sh HISTORY_FILL}
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
check "the store is filled" "$FILL" "$T/db" big "$SRC/tests/history/big.hcl" say 30000 3 --old
start_server "$T/server.log" --db-system lmdb --db-path "$T/db" --run-worker --http 127.0.0.1:0 \
    || finish
HTTP=$(sed -n 's/.*http on \(http:[^ ]*\).*/\1/p' "$T/server.log" | head -1)
check "the server indexed the old store at start" grep -q "store migrated from format 1 to 4: 30003 builds indexed" "$T/server.log"
check "the 3 queued builds ran" until_ok 60 build_is big/say 30003 succeeded
check "all three succeeded" test "$(pk builds big/say --limit 3 --json | json "[b['status'] for b in d]")" = '["succeeded", "succeeded", "succeeded"]'

pk builds big/say >"$T/page" 2>"$T/hint"; rc=$?
check "builds: exit 0" test $rc -eq 0
check "builds: the newest 50 by default (and a header)" test "$(wc -l <"$T/page")" -eq 51
check "builds: newest first" bash -c "sed -n 2p '$T/page' | grep -q '^30003 '"
check "builds: where the next page starts" grep -q -- "--before 29954" "$T/hint"
check "--before 100: 99 down to 50" test "$(pk builds big/say --before 100 --json | json "[d[0]['number'], d[-1]['number'], len(d)]")" = '["99", "50", 50]'
check "--after 29990 --limit 5: 29995 down to 29991" test "$(pk builds big/say --after 29990 --limit 5 --json | json "[b['number'] for b in d]")" = '["29995", "29994", "29993", "29992", "29991"]'
check "--before and --after together" test "$(pk builds big/say --after 10 --before 14 --json | json "[b['number'] for b in d]")" = '["13", "12", "11"]'
check "the API pages the same way" test "$(curl -s -H "Authorization: Bearer $(cat "$T/db/admin.token")" "$HTTP/api/pipelines/big/jobs/say/builds?before=100&limit=2" | json "[b['number'] for b in d]")" = '["99", "98"]'
check "the API's default page is 50" test "$(curl -s -H "Authorization: Bearer $(cat "$T/db/admin.token")" "$HTTP/api/pipelines/big/jobs/say/builds" | json "len(d)")" = 50
check "versions: the newest 50 by default" test "$(pk versions big/app --json | json "[len(d), d[0]['id'], d[-1]['id']]")" = '[50, 200, 151]'
check "versions --before 11 --limit 3" test "$(pk versions big/app --before 11 --limit 3 --json | json "[v['id'] for v in d]")" = '[10, 9, 8]'
check "versions --after 195" test "$(pk versions big/app --after 195 --json | json "[v['id'] for v in d]")" = '[200, 199, 198, 197, 196]'
check "versions --after 5 --limit 2" test "$(pk versions big/app --after 5 --limit 2 --json | json "[v['id'] for v in d]")" = '[7, 6]'
check "a bad cursor is refused" bash -c "! '$BIN' builds big/say --before x >/dev/null 2>&1"
check "logs of a filled build" bash -c "'$BIN' logs big/say/7 | grep -qx 'filled build 7'"

start=$(date +%s%N)
pk builds big/say --limit 0 >"$T/all" 2>"$T/err"; rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
check "--limit 0 on 30,000 builds is refused (exit 1, not 3)" test $rc -eq 1
check "with a clear error" grep -q "over the 4194304 byte limit of one message" "$T/err"
check "at once, not after the 15 s timeout (${took} ms)" test $took -lt 12000
check "the server logged the refusal" grep -q "refused an answer of" "$T/server.log"
check "the server still answers" bash -c "'$BIN' builds big/say --limit 1 >/dev/null"
stop_server
finish
