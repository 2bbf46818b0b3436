#!/usr/bin/env bash
# A put's version counts as produced by its build (Concourse's implicit get
# after put), on a real server:
#  - `put "trigger"` records a version (its params plus trigger_pipeline,
#    trigger_job, trigger_build) in every pipeline declaring the resource,
#    and the jobs that get it with trigger = true start at once -- in the
#    same pipeline and in another;
#  - Pipeline.md's artifact hand-off: deploy (passed = ["build"], trigger)
#    runs after build with the artifact build put.
# The check interval is the default minute: nothing here waits for a check.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache"
start_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/parity/put.hcl" --pipeline-name up || finish
check "set the listening pipeline" pk pipelines set down "$SRC/tests/parity/put_other.hcl"

pk trigger up/build >/dev/null 2>&1
check "build #1 succeeds" until_ok 30 build_is up/build 1 succeeded
check "the trigger put is a version" until_ok 10 nversions_is up/deploy 1
check "with its params and origin" bash -c "'$BIN' versions up/deploy --json | grep -q '\"build_sha\": *\"abc\"' && '$BIN' versions up/deploy --json | grep -q '\"trigger_job\": *\"build\"' && '$BIN' versions up/deploy --json | grep -q '\"trigger_build\": *\"1\"' && '$BIN' versions up/deploy --json | grep -q '\"trigger_pipeline\": *\"up\"'"
check "it starts the job that gets it" until_ok 30 build_is up/notified 1 succeeded
pk logs up/notified/1 >"$T/notified.log"
check "the get's pull sees \$version_build_sha" has "$T/notified.log" "version_build_sha=abc"
check "the task sees the version's fields" has "$T/notified.log" "sha=abc from=up/build/1"
check "the other pipeline has the version too" until_ok 10 nversions_is down/deploy 1
check "and its job ran" until_ok 30 build_is down/listen 1 succeeded
pk logs down/listen/1 >"$T/listen.log"
check "with the same version" has "$T/listen.log" "heard sha=abc from=up"

check "the artifact put is a version" until_ok 10 nversions_is up/build-output 1
check "deploy runs after build (passed, trigger)" until_ok 30 build_is up/deploy 1 succeeded
pk logs up/deploy/1 >"$T/deploy.log"
check "with the artifact build #1 put" has "$T/deploy.log" "shipping built-by-1"

pk trigger up/build >/dev/null 2>&1
check "build #2 succeeds" until_ok 30 build_is up/build 2 succeeded
check "deploy #2 gets build #2's artifact" until_ok 30 build_is up/deploy 2 succeeded
pk logs up/deploy/2 >"$T/deploy2.log"
check "shipping built-by-2" has "$T/deploy2.log" "shipping built-by-2"
check "notified #2 from build #2" until_ok 30 build_is up/notified 2 succeeded
check "listen #2" until_ok 30 build_is down/listen 2 succeeded
stop_server
finish
