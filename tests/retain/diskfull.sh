#!/usr/bin/env bash
# A full filesystem under an lmdb store (#19): writes fail cleanly with "No
# space left on device" in the log (never LMDB's "Input/output error" for a
# short write) and a metric, reads and the CLI keep working, nothing
# committed is lost, and the server goes on by itself once space is freed.
# The filesystem is a small tmpfs mounted in a mount namespace of the
# test's own (unshare -m); where that is not allowed the test is skipped.
set -uo pipefail
if [ -z "${PK_IN_MOUNT_NS:-}" ]; then
    PK_IN_MOUNT_NS=1 exec unshare -m --propagation private "$0" "$@" 2>/dev/null
    echo "skipped: cannot make a mount namespace"; exit 77
fi
T=$(mktemp -d)
trap 'stop_server; umount "$T/fs" 2>/dev/null; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
mkdir -p "$T/fs"
mount -t tmpfs -o size=6m tmpfs "$T/fs" || { echo "skipped: cannot mount a tmpfs"; exit 77; }
export PIKOCI_RETAIN_INTERVAL_MS=200
start_server "$T/server.log" --db-system lmdb --db-path "$T/fs/db" --run-worker \
    --http 127.0.0.1:0 || finish
HTTP=$(sed -n 's/.*http on \(http:[^ ]*\).*/\1/p' "$T/server.log" | head -1)
check "pipeline set" pk pipelines set r "$SRC/tests/retain/r.hcl"
pk trigger r/small --watch >/dev/null 2>&1
pk trigger r/small --watch >/dev/null 2>&1
check "two builds before the disk fills" build_is r/small 2 succeeded

# fill the filesystem, then free 3 pages: a write of more than that is cut
# short part way (LMDB's pwrite returns a short count: its EIO), not refused
# outright
dd if=/dev/zero of="$T/fs/filler" bs=64k >/dev/null 2>&1
truncate -s -12K "$T/fs/filler"
check "the filesystem is full" test "$(df --output=avail -B1 "$T/fs" | tail -1)" -lt 65536
for i in 1 2 3; do pk trigger r/big >/dev/null 2>&1; done
check "a write fails with no space left on device (logged)" until_ok 60 grep -q "No space left on device" "$T/server.log"
check "never as Input/output error" bash -c "! grep -q 'Input/output error' '$T/server.log'"
check "reads go on: pikoci builds" test "$(pk builds r/small --json | json "[b['status'] for b in d]")" = '["succeeded", "succeeded"]'
check "reads go on: pikoci logs" bash -c "'$BIN' logs r/small/2 | grep -q 'small 2'"
# the state is the last write's: a small commit may still fit between the
# big builds' failing ones, so it is polled for, not read once
store_failing() { pk store >"$T/store" 2>&1; grep -q "writes: FAILING, no space left on device" "$T/store"; }
check "pikoci store says writes are failing" until_ok 30 store_failing
check "and counts them" grep -qE "no space left on device: [1-9]" "$T/store"
metrics_no_space() { curl -s "$HTTP/metrics" >"$T/metrics"; grep -qx 'pikoci_store_no_space 1' "$T/metrics"; }
check "/metrics: no space now" until_ok 30 metrics_no_space
check "/metrics counts them" grep -qE '^pikoci_store_write_errors_total\{reason="no_space"\} [1-9]' "$T/metrics"

# free the space: the server goes on by itself
rm -f "$T/fs/filler"
check "a new build runs once there is room" bash -c "timeout 60 '$BIN' trigger r/small --watch >/dev/null 2>&1"
check "its log is stored" bash -c "'$BIN' logs r/small/3 | grep -q 'small 3'"
check "the big builds end" until_ok 60 bash -c "test \"\$('$BIN' builds r/big --json | $PY -c 'import json,sys; print(len([b for b in json.load(sys.stdin) if b[\"status\"] in (\"succeeded\",\"failed\",\"errored\")]))')\" = 3"
check "/metrics: no space no longer" until_ok 30 bash -c "curl -s '$HTTP/metrics' | grep -qx 'pikoci_store_no_space 0'"
pk builds r/big >"$T/big" 2>&1; cat "$T/big"
stop_server
start_server "$T/server2.log" --db-system lmdb --db-path "$T/fs/db" --run-worker || finish
check "after a restart nothing committed is lost" test "$(pk builds r/small --json | json "[b['status'] for b in d]")" = '["succeeded", "succeeded", "succeeded"]'
check "and the logs are there" bash -c "'$BIN' logs r/small/1 | grep -q 'small 1'"
finish
