#!/usr/bin/env bash
# Version retention (#19) on a real lmdb server with --retain-versions 3:
# of 11 versions of a git resource, those beyond the newest 3 that no build
# refers to are trimmed by the checker in the background; the version a
# kept build used and a pinned one stay (the pinned one goes once unpinned).
# pikoci store reports what the collection removed.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
export PIKOCI_RETAIN_INTERVAL_MS=200 PIKOCI_CACHE_DIR="$T/cache"
check "--help tells of --retain-versions" bash -c "'$BIN' server --help | grep -q -- '--retain-versions N'"
git_repo "$T/app"
start_server "$T/server.log" --db-system lmdb --db-path "$T/db" --run-worker --concurrency 2 \
    --retain-versions 3 || { fails=1; finish; }
check "pipeline set" pk pipelines set v "$SRC/tests/retain/versions.hcl" --var repo="file://$T/app.git"
ids() { pk versions v/git.app --json 2>/dev/null | json "' '.join(str(v['id']) for v in sorted(d, key=lambda v: v['id']))"; }
ids_are() { [ "$(ids)" = "$1" ]; }
check_one() {   # a commit and a check that finds it: one version more
    local want=$1
    commit "$T/app" "v$want"
    pk check v/git.app >/dev/null 2>&1
    until_ok 60 bash -c "'$BIN' versions v/git.app --json | grep -q '\"id\": *$want\\b'"
}
pk check v/git.app >/dev/null 2>&1
check "the first version" until_ok 60 ids_are "1"
check_one 2; check_one 3
check "three versions" ids_are "1 2 3"
check "a build of version 3" pk trigger v/use --watch
check "version 1 pinned" pk pin v/git.app 1
for i in $(seq 4 11); do check_one "$i" || echo "# version $i not found"; done
check "beyond the newest 3: only the used (3) and the pinned (1) stay" until_ok 60 ids_are "1 3 9 10 11"
check "the build still shows its version" \
    test "$(pk build v/use/1 --json | json "d['versions']['git.app'] is not None")" = True
pk store >"$T/store" 2>&1
cat "$T/store"
check "pikoci store: what the version collection removed" \
    grep -qE "version retention: last collection at .* removed [0-9]+ versions of 1 resources \(keeping 3 per resource; 6 versions trimmed in all\)" "$T/store"
check "pikoci store --json: version_retention" \
    test "$(pk store --json | json "[d['version_retention']['total_versions'], d['version_retention']['keep']]")" = "[6, 3]"
check "the checker logs what it trimmed" grep -q "retention: [0-9]* versions trimmed (keeping 3 per resource)" "$T/server.log"
check "unpinned" pk unpin v/git.app
check "the formerly pinned version goes" until_ok 60 ids_are "3 9 10 11"
stop_server
finish
