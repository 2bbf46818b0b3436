#!/usr/bin/env bash
# A pipeline removed and set again under the same name: its old logs are
# gone, its new build #1 runs, prints its own output and succeeds, and the
# worker slots the old builds held are free (#21).
set -uo pipefail
T=$(mktemp -d)
trap 'touch "$NAP_DIR/wake" 2>/dev/null; stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
export NAP_DIR="$T/nap"
mkdir -p "$NAP_DIR"
H="$SRC/tests/history/h.hcl"
start_server "$T/server.log" --db-system lmdb --db-path "$T/db" --run-worker --concurrency 2 \
    || finish
pk pipelines set h "$H" --var word=first >/dev/null
pk trigger h/say --watch >/dev/null 2>&1
check "first life: say #1 succeeds" build_is h/say 1 succeeded
check "its log has the first word" bash -c "'$BIN' logs h/say/1 | grep -q word=first"
# both slots taken by builds that are still running when the pipeline goes
pk trigger h/hold >/dev/null
pk trigger h/hold >/dev/null
check "two holds run" until_ok 30 test -e "$NAP_DIR/hold-1" -a -e "$NAP_DIR/hold-2"
pk pipelines rm h >/dev/null
check "the log sink removed the logs" until_ok 30 grep -q "pipeline h removed: [1-9][0-9]* logs deleted" "$T/server.log"

pk pipelines set h "$H" --var word=second >/dev/null
out=$(timeout 60 "$BIN" trigger h/say --watch 2>&1); rc=$?
check "second life: say #1 runs and succeeds (trigger --watch exits 0)" test $rc -eq 0
check "build #1 is the new one, succeeded" build_is h/say 1 succeeded
pk logs h/say/1 >"$T/log2"
check "its log has the second word" grep -q word=second "$T/log2"
check "and nothing of the first life" bash -c "! grep -q word=first '$T/log2'"
check "the old hold builds are gone" test "$(pk builds h/hold --json | json 'len(d)')" = 0
# the old holds were cancelled with the pipeline: both slots serve new builds
pk trigger h/say >/dev/null
pk trigger h/say >/dev/null
says_done() { test "$(pk builds h/say --json | json "len([b for b in d if b['status']=='succeeded'])")" = "$1"; }
check "two more builds run on the two slots" until_ok 30 says_done 3
touch "$NAP_DIR/wake"
stop_server
finish
