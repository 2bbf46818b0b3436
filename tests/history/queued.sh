#!/usr/bin/env bash
# Builds that never reached a runner survive a kill -9 of the server: they
# stay pending and run after the restart (as Concourse's do); only the build
# that was running is errored (#22, #21).
set -uo pipefail
T=$(mktemp -d)
trap 'touch "$NAP_DIR/wake" 2>/dev/null; kill -KILL "$SERVER_PID" 2>/dev/null; stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
export NAP_DIR="$T/nap"
mkdir -p "$NAP_DIR"
start_server "$T/server1.log" --db-system lmdb --db-path "$T/db" --run-worker --concurrency 1 \
    --adopt-grace 1s || finish
pk pipelines set h "$SRC/tests/history/h.hcl" --var word=w >/dev/null
pk trigger h/hold >/dev/null
check "hold #1 runs on the only slot" until_ok 30 test -e "$NAP_DIR/hold-1"
for i in 1 2 3 4; do pk trigger h/say >/dev/null; done
pk trigger h/one >/dev/null
pk trigger h/one >/dev/null
check "say #4 is queued" build_is h/say 4 pending
kill -KILL "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
touch "$NAP_DIR/wake"

start_server "$T/server2.log" --db-system lmdb --db-path "$T/db" --run-worker --concurrency 1 \
    --adopt-grace 1s || finish
all_done() {
    pk builds h/say --json >"$T/say.json" && pk builds h/one --json >"$T/one.json" \
        && json "all(b['status']=='succeeded' for b in d) and len(d)==4" <"$T/say.json" | grep -q True \
        && json "all(b['status']=='succeeded' for b in d) and len(d)==2" <"$T/one.json" | grep -q True
}
check "every queued build ran after the restart and succeeded" until_ok 60 all_done
check "none was errored" bash -c "! grep -q errored '$T/say.json' '$T/one.json'"
check "the running one was errored" until_ok 30 build_is h/hold 1 errored
check "the server said why they were queued again" grep -q "queued again" "$T/server2.log"
stop_server
finish
