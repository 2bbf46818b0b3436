#!/usr/bin/env bash
# Lost news (the server_crash flake): a versions.new the scheduler never
# gets -- the broker drops a signal to a role it does not know at that
# moment -- must not cost a build. PIKOCI_TEST_DROP_VERSIONS_NEW=N makes the
# checker leave out its first N versions.new after storing the versions, as
# if the broker had dropped them; the scheduler reconciles from the store
# after its next HELLO (at most 5 s) and builds every version once.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache"
git_repo "$T/app"
serve() {
    start_server "$T/server$1.log" --db-system lmdb --db-path "$T/db" --run-worker --concurrency 2 \
        --pipeline-config "$SRC/tests/server/crash.hcl" --var repo="file://$T/app.git"
}
serve 1 || { fails=1; finish; }
pk check crash/app >/dev/null 2>&1
check "the first version is built" until_ok 120 build_is crash/build 1 succeeded
stop_server
for i in 2 3 4; do commit "$T/app" "v$i"; done
export PIKOCI_TEST_DROP_VERSIONS_NEW=1
serve 2 || { fails=1; finish; }
pk check crash/app >/dev/null 2>&1
count_versions() { [ "$(pk versions crash/app --json 2>/dev/null | json 'len(d)')" = "$1" ]; }
check "the check stored 3 new versions" until_ok 60 count_versions 4
check "and their news was dropped" grep -q "test: versions.new of crash/git.app dropped" "$T/server2.log"
all_built() {
    pk builds crash/build --json >"$T/builds.json" 2>/dev/null || return 1
    json "len(d) == 4 and all(b['status'] == 'succeeded' for b in d)" <"$T/builds.json" | grep -q True
}
check "every version gets its build all the same" until_ok 120 all_built
check "each version built exactly once" \
    [ "$(json "len(set(b['versions']['git.app']['ref'] for b in d))" <"$T/builds.json")" = 4 ]
check "the scheduler says it caught up" grep -q "versions whose news was lost" "$T/server2.log"
stop_server
finish
