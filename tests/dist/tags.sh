#!/usr/bin/env bash
# Tags across processes: `pikoci broker`, `pikoci server --pubsub-system zmq`
# and workers, each a separate process on loopback. A job tagged gpu waits,
# visibly pending, while no gpu worker is up and runs on the gpu worker once
# it comes; an exclusive worker never takes untagged work.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_all; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
start_broker "$T/broker.log" || finish
start_dist_server "$T/server.log" --pipeline-config "$SRC/tests/dist/dist.hcl" || finish
start_worker cpu1 "$T/cpu1.log" --concurrency 2
check "cpu1 registers" until_ok 30 worker_is cpu1 healthy

pk trigger dist/gpu >/dev/null 2>&1
check "the gpu build is pending" until_ok 10 build_is dist/gpu 1 pending
check "workers --pending shows it waiting for a gpu worker" until_ok 10 bash -c "'$BIN' workers --pending | grep 'build:dist/gpu/1' | grep -q gpu"
pk trigger dist/plain --watch >"$T/plain1" 2>&1; rc=$?
check "untagged work runs meanwhile" test $rc -eq 0
check "the gpu build is still pending" build_is dist/gpu 1 pending

start_worker gpu1 "$T/gpu1.log" --tags gpu --exclusive-tags
check "gpu1 registers" until_ok 30 worker_is gpu1 healthy
check "the gpu build runs once gpu1 is up" until_ok 30 build_is dist/gpu 1 succeeded
check "on gpu1" test "$(build_worker dist/gpu/1)" = gpu1
check "its log says so" bash -c "'$BIN' logs dist/gpu/1 | grep -q 'trained on gpu1'"

for i in 2 3 4 5 6; do pk trigger dist/plain >/dev/null 2>&1; done
check "five untagged builds succeed" until_ok 60 build_is dist/plain 6 succeeded
others=0
for i in 2 3 4 5 6; do
    until_ok 30 build_is dist/plain $i succeeded
    [ "$(build_worker dist/plain/$i)" = cpu1 ] || others=$((others + 1))
done
check "the exclusive gpu worker took none of them" test $others -eq 0
pk trigger dist/gpu >/dev/null 2>&1
check "gpu #2 on gpu1 too" until_ok 30 build_is dist/gpu 2 succeeded
check "gpu #2 worker" test "$(build_worker dist/gpu/2)" = gpu1
pk workers >"$T/workers"
check "workers lists both with their tags" bash -c "grep -q cpu1 '$T/workers' && grep gpu1 '$T/workers' | grep -q gpu"
finish
