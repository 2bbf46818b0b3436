#!/usr/bin/env bash
# The store's format version (#19): a store written by format 1 (before the
# history indexes) is upgraded at start in one transaction with a log line,
# and only once; a store of a newer format is refused with a clear error
# instead of being misread.
set -uo pipefail
FILL=${1:?usage: format.sh HISTORY_FILL}
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
HCL="$SRC/tests/history/big.hcl"

check "a format-1 store is written" "$FILL" "$T/old" big "$HCL" say 20 --old
start_server "$T/s1.log" --db-system lmdb --db-path "$T/old" || finish
check "the upgrade is logged" grep -q "store migrated from format 1 to 4: 20 builds indexed" "$T/s1.log"
check "its builds are listed" test "$(pk builds big/say --json | json 'len(d)')" = 20
check "its logs are read" bash -c "'$BIN' logs big/say/7 | grep -qx 'filled build 7'"
stop_server
start_server "$T/s2.log" --db-system lmdb --db-path "$T/old" || finish
check "a second start has nothing to upgrade" bash -c "! grep -q 'store migrated' '$T/s2.log'"
stop_server

check "a new store" start_server "$T/s3.log" --db-system lmdb --db-path "$T/new"
check "a new store is marked with the current format" grep -q "store format 4 (a new store)" "$T/s3.log"
stop_server

check "a store of format 5 is written" "$FILL" "$T/newer" big "$HCL" say 3 --format=5
"$BIN" server --listen 'tcp://127.0.0.1:*' --db-system lmdb --db-path "$T/newer" >"$T/s4.out" 2>"$T/s4.log" &
PID=$!
for _ in $(seq 1 300); do kill -0 $PID 2>/dev/null || break; sleep 0.1; done
if kill -0 $PID 2>/dev/null; then kill -KILL $PID; fi
wait $PID; rc=$?
check "the older binary refuses it (exit 2)" test $rc -eq 2
check "with the clear error" grep -q "store format 5 is newer than this pikoci understands (4): upgrade pikoci" "$T/s4.log"
check "and does not report ready" bash -c "! grep -q 'server ready' '$T/s4.log'"
finish
