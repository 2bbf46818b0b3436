#!/usr/bin/env bash
# Secrets end to end through `pikoci server --db-system lmdb` with its own
# worker: a task that echoes secrets (one interpolated into its script, two
# as environment variables, in base64 and JSON too) logs only "***"; the raw
# values appear in no file of the LMDB directory, on no event of the bus (a
# raw capture, tests/secrets/event_dump.c) and in no CLI output; the task
# did get the real value (its sha256 prefix is logged); a value changed in
# its file is used by the next build without re-setting the pipeline; a
# failing get fails the build with a message that holds no value.
# Usage: secrets.sh EVENT_DUMP_BINARY
set -uo pipefail
T=$(mktemp -d)
DUMP=${1:-${PIKOCI_BUILD_DIR:-}/tests/secrets_event_dump}
trap 'touch "$T/stop"; stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache"

USER_V='Adm1n-Unique-U53r'
PASS_V='P4ss"Very\Secret-7788'
PASS2_V='R0tated-Pa55-Second-4242'
KEY_V='KEY-91c0ffee-secret'
mkdir -p "$T/s"
printf %s "$USER_V" >"$T/s/user"
printf %s "$PASS_V" >"$T/s/pass"
"$PY" -c 'import json,sys; json.dump({"api_key": sys.argv[1], "other": "x"}, open(sys.argv[2], "w"))' \
    "$KEY_V" "$T/s/creds.json"
sha() { printf %s "$1" | sha256sum | cut -c1-16; }
b64() { printf %s "$1" | base64 -w0 | tr -d =; }
jsonform() { "$PY" -c 'import json,sys; print(json.dumps(sys.argv[1])[1:-1])' "$1"; }
# every form of every value, one per line, for grep -F -f
forms() {
    for v in "$USER_V" "$PASS_V" "$PASS2_V" "$KEY_V"; do
        printf '%s\n%s\n%s\n' "$v" "$(b64 "$v")" "$(jsonform "$v")"
    done
}
forms >"$T/forms"
clean() { ! grep -a -F -q -f "$T/forms" "$@"; }   # clean FILE...: no form of any value

start_server "$T/server.log" --db-system lmdb --db-path "$T/db" --run-worker \
    --pipeline-config "$SRC/tests/secrets/secrets.hcl" --pipeline-name sec \
    --var dir="$T/s" --var creds_file="$T/s/creds.json" || finish

"$DUMP" "$PIKOCI_SERVER" "$T/events" "$T/stop" >"$T/dump.out" 2>&1 &
dumper=$!
check "the event capture is subscribed" until_ok 20 grep -q subscribed "$T/dump.out"

# 1. masked, yet the task had the value
pk trigger sec/echo --watch >"$T/watch" 2>&1; rc=$?
check "trigger --watch exits 0" test $rc -eq 0
check "build #1 succeeded" until_ok 30 build_is sec/echo 1 succeeded
pk logs sec/echo/1 >"$T/log1"
check "interpolated secret masked" has "$T/log1" "db_username=***"
check "env secret masked" has "$T/log1" "db_password=***"
check "file secret masked" has "$T/log1" "api_key=***"
check "base64 form masked" has "$T/log1" "b64=***"
check "JSON-escaped form masked" has "$T/log1" 'json={"p": "***"}'
check "the task got the real value" has "$T/log1" "sha=$(sha "$PASS_V")"
check "the log holds no value in any form" clean "$T/log1"
check "the watched stream holds none" clean "$T/watch"
pk build sec/echo/1 --json >"$T/build1.json"
check "the build record holds none" clean "$T/build1.json"

# 2. rotation: the next build reads the new value, no pipeline update
printf %s "$PASS2_V" >"$T/s/pass"
pk logs sec/echo/2 -f >/dev/null 2>&1 &     # another follower of the bus, while it runs
pk trigger sec/echo --watch >"$T/watch2" 2>&1
check "build #2 succeeded" until_ok 30 build_is sec/echo 2 succeeded
pk logs sec/echo/2 >"$T/log2"
check "build #2 used the rotated value" has "$T/log2" "sha=$(sha "$PASS2_V")"
check "the rotated value is masked too" has "$T/log2" "db_password=***"
check "build #2's log holds no value" clean "$T/log2" "$T/watch2"

# 3. a failing get fails the build, with a message and no value
rm "$T/s/user"
pk trigger sec/echo --watch >"$T/watch3" 2>&1; rc=$?
check "trigger --watch of the failing build exits non-zero" test $rc -ne 0
check "build #3 failed" until_ok 30 build_is sec/echo 3 failed
pk logs sec/echo/3 >"$T/log3"
check "the failure names the secret and the get" \
    grep -q 'secret "db_pass": the get command of secret type "vault" exited with status' "$T/log3"
check "the task did not run" bash -c "! grep -q done-ok '$T/log3'"
check "build #3's log holds no value" clean "$T/log3" "$T/watch3"

# 4. nothing anywhere: every file of the store, every event, the server's log
touch "$T/stop"
wait $dumper
check "the capture saw the builds' log events" grep -a -q "db_password=\*\*\*" "$T/events"
check "no value on the event bus" clean "$T/events"
check "no value in the LMDB files (live)" clean -r "$T/db"
stop_server
check "the LMDB files hold the (masked) logs" grep -a -r -q "db_password=\*\*\*" "$T/db"
check "no value in the LMDB files (after shutdown)" clean -r "$T/db"
check "no value in the server's own log" clean "$T/server.log"
finish
