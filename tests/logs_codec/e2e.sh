#!/usr/bin/env bash
# A build printing 20 MB of typical log text on a durable (lmdb) server: the
# store grows by a fraction of the log (chunks are compressed), and `pikoci
# logs` gives the log back byte for byte, whole, from offsets inside it and
# after a restart (the CLI reads with two requests in flight). Also: a log
# trickling in a line at a time reads back exact.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
BYTES=20000000
AWK="$SRC/bench/typical_log.awk"
awk -v bytes=$BYTES -f "$AWK" >"$T/want"
start_server "$T/server.log" --db-system lmdb --db-path "$T/db" --run-worker \
    --pipeline-config "$SRC/tests/logs_codec/big.hcl" --var awk="$AWK" --var bytes=$BYTES || finish
empty=$(stat -c %s "$T/db/data.mdb")
check "the build succeeds" bash -c "'$BIN' trigger big/print --watch >/dev/null 2>&1"
check "it is build 1" build_is big/print 1 succeeded
pk logs big/print/1 >"$T/got"
check "the log reads back byte for byte" cmp "$T/want" "$T/got"
pk logs big/print >"$T/got_newest"
check "and as the job's newest build (its number learnt from the first piece)" \
    cmp "$T/want" "$T/got_newest"
grown=$(( $(stat -c %s "$T/db/data.mdb") - empty ))
echo "# data.mdb grew by $grown bytes for a $BYTES-byte log"
check "the store grew by under a third of the log" test "$grown" -lt $(( BYTES / 3 ))
for off in 1 65535 65536 131071 131072 131073 9999999 $((BYTES - 1)) $BYTES; do
    pk logs big/print/1 --offset $off >"$T/part"
    tail -c +$((off + 1)) "$T/want" >"$T/want_part"
    check "--offset $off gives the rest of the log" cmp "$T/want_part" "$T/part"
done
check "the trickling build succeeds" bash -c "'$BIN' trigger big/trickle --watch >/dev/null 2>&1"
for i in $(seq 1 400); do echo "step $i of 400: compiling module_$i.c ok"; done >"$T/want_trickle"
pk logs big/trickle/1 >"$T/got_trickle"
check "the trickled log reads back byte for byte" cmp "$T/want_trickle" "$T/got_trickle"
pk logs big/trickle/1 --offset 1000 >"$T/part"
tail -c +1001 "$T/want_trickle" >"$T/want_part"
check "and from an offset" cmp "$T/want_part" "$T/part"
stop_server
start_server "$T/server2.log" --db-system lmdb --db-path "$T/db" --run-worker || finish
pk logs big/print/1 >"$T/got2"
check "after a restart the log is the same" cmp "$T/want" "$T/got2"
pk logs big/trickle/1 >"$T/got_trickle2"
check "and the trickled one" cmp "$T/want_trickle" "$T/got_trickle2"
stop_server
finish
