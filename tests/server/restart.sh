#!/usr/bin/env bash
# Restart with --db-system lmdb: pipelines, versions, builds, logs, pins and
# pause flags all come back, with no --pipeline-config the second time.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache"
git_repo "$T/app"
v1=$(git -C "$T/app.wc" rev-parse HEAD)
start_server "$T/server1.log" --db-system lmdb --db-path "$T/db" --run-worker \
    --pipeline-config "$SRC/tests/server/ci.hcl" --var repo="file://$T/app.git" || finish
pk check ci/app >/dev/null 2>&1
check "test #1 succeeds" until_ok 60 build_is ci/test 1 succeeded
vid=$(pk versions ci/app --json | json "d[0]['id']")
pk pin ci/app "$vid" >/dev/null
pk pause ci/deploy >/dev/null
pk pipelines pause ci >/dev/null 2>&1
pk logs ci/test/1 >"$T/log1"
pk pipelines --json >"$T/pipes1"
stop_server

start_server "$T/server2.log" --db-system lmdb --db-path "$T/db" --run-worker || finish
check "the pipeline is back" bash -c "'$BIN' pipelines --json | grep -q '\"ci\"'"
check "its version is the same" test "$(pk pipelines --json | json "d[0]['version']")" = "$(json "d[0]['version']" <"$T/pipes1")"
check "the pipeline is still paused" test "$(pk pipelines --json | json "d[0]['paused']")" = True
check "the job is still paused" test "$(pk jobs ci --json | json "[j['paused'] for j in d if j['name']=='deploy'][0]")" = True
check "the pin is back" test "$(pk versions ci/app --json | json "[v['pinned'] for v in d if v['id']==$vid][0]")" = True
check "the build is back" build_is ci/test 1 succeeded
pk logs ci/test/1 >"$T/log1b"
check "its log is byte-identical" cmp -s "$T/log1" "$T/log1b"
check "the version is back" test "$(pk versions ci/app --json | json "d[0]['version']['ref']")" = "$v1"
pk pipelines unpause ci >/dev/null 2>&1
check "unpaused, the pipeline builds again" bash -c "'$BIN' trigger ci/test --watch >/dev/null 2>&1"
check "numbers go on from the stored ones" build_is ci/test 2 succeeded
stop_server
finish
