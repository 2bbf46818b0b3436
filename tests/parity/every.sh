#!/usr/bin/env bash
# Git versions, Concourse's model: every commit of a push is recorded as a
# version, but a trigger builds only the newest of the versions a check
# found -- unless the get says version = "every", then each gets a build.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export MARKS="$T"
git_repo "$T/app"
start_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/parity/every.hcl" --pipeline-name ev \
    --var repo="file://$T/app.git" || finish

pk check ev/app >/dev/null 2>&1
check "latest #1" until_ok 30 build_is ev/latest 1 succeeded
check "every #1" until_ok 30 build_is ev/every 1 succeeded
( cd "$T/app.wc" && for i in 2 3 4 5 6; do echo "v$i" >VERSION; git add VERSION
  git -c user.name=t -c user.email=t@t commit -qm "v$i"; done; git push -q origin HEAD 2>/dev/null )
head=$(git -C "$T/app.wc" rev-parse HEAD)
pk check ev/app >/dev/null 2>&1
check "the push's five commits are five versions" until_ok 10 nversions_is ev/app 6
check "version = every: five builds" until_ok 60 nbuilds_is ev/every 6
check "all of them succeed" until_ok 60 all_done ev/every
check "each built its own commit" test "$(sort -u "$T/every" | wc -l)" -eq 6
check "the default: one build" until_ok 30 build_is ev/latest 2 succeeded
check "of the newest commit" bash -c "tail -1 '$T/latest' | grep -q $head"
check "and only one" nbuilds_is ev/latest 2
pk check ev/app >/dev/null 2>&1
sleep 1     # nothing to wait for: give a wrong build the time to appear
check "a check with nothing new builds nothing" nbuilds_is ev/latest 2
check "version = \"sometimes\" is refused with its place" bash -c "
    sed 's/version = \"every\"/version = \"sometimes\"/' '$SRC/tests/parity/every.hcl' >'$T/bad.hcl'
    ! '$BIN' validate '$T/bad.hcl' >'$T/v.out' 2>&1 && grep -q 'bad.hcl:[0-9]*:[0-9]*: error: version of get' '$T/v.out'"
stop_server
finish
