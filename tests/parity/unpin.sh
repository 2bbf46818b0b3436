#!/usr/bin/env bash
# Resource-Pinning.md: "unpin resumes latest". While pinned, newer versions
# are recorded but build nothing; unpinning builds the newest version at once
# (no new check needed), exactly once, and later versions trigger as usual.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export MARKS="$T"
git_repo "$T/app"
v1=$(git -C "$T/app.wc" rev-parse HEAD)
start_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/parity/git.hcl" --pipeline-name pin \
    --var repo="file://$T/app.git" || finish

pk check pin/app >/dev/null 2>&1
check "build #1 builds v1" until_ok 30 build_is pin/build 1 succeeded
vid=$(pk versions pin/app --json | json "[v['id'] for v in d if v['version']['ref']=='$v1'][0]")
check "pin v1" pk pin pin/app "$vid"
commit "$T/app" v2
v2=$(git -C "$T/app.wc" rev-parse HEAD)
pk check pin/app >/dev/null 2>&1
check "v2 is recorded" until_ok 10 nversions_is pin/app 2
sleep 1     # nothing to wait for: give a wrong build the time to appear
check "and builds nothing while pinned" nbuilds_is pin/build 1
check "unpin" pk unpin pin/app
check "unpinning builds the newest version" until_ok 30 build_is pin/build 2 succeeded
check "build #2 had v2" bash -c "tail -1 '$T/build' | grep -q $v2"
pk check pin/app >/dev/null 2>&1
sleep 1     # as above
check "a check without news builds nothing more" nbuilds_is pin/build 2
commit "$T/app" v3
v3=$(git -C "$T/app.wc" rev-parse HEAD)
pk check pin/app >/dev/null 2>&1
check "a new version triggers again" until_ok 30 build_is pin/build 3 succeeded
check "build #3 had v3" bash -c "tail -1 '$T/build' | grep -q $v3"
stop_server
finish
