#!/usr/bin/env bash
# Backup and restore: `pikoci backup` of a running lmdb server while builds
# stream (a job triggered again and again, its log long and paused midway),
# restored on a second server (a new directory with the copy as data.mdb):
# every pipeline, and every build finished in the copy -- at least every one
# finished before the backup was asked for -- with its log, is byte for byte
# what the first server says. Refusals: a relative path, an existing file,
# a second backup while one runs is covered by the one-at-a-time rule in
# control_backup.c. Then a mem server's backup restores as an lmdb store.
set -uo pipefail
T=$(mktemp -d)
trap 'kill $TRIG_PID 2>/dev/null; stop_server; rm -rf "$T"' EXIT
TRIG_PID=
. "$(dirname "$0")/../server/lib.sh"
export XDG_RUNTIME_DIR="$T/run" XDG_CONFIG_HOME="$T/config"
mkdir -p "$T/run" && chmod 700 "$T/run"
J=stream/print
start_server "$T/s1.log" --db-system lmdb --db-path "$T/db" --run-worker --concurrency 2 \
    --pipeline-config "$SRC/tests/ops/stream.hcl" || finish
export PIKOCI_TOKEN=$(cat "$T/db/admin.token")
N=24
( for i in $(seq $N); do "$BIN" trigger $J >/dev/null 2>&1; sleep 0.1; done ) &
TRIG_PID=$!
check "builds run" until_ok 60 build_is $J 3 succeeded
# what had finished before the backup was asked for
pk builds $J --json | json "' '.join(b['number'] for b in d if b['status'] in ('succeeded','failed'))" >"$T/before"
pk backup "$T/backup.mdb" >"$T/backup.out" 2>&1
check "backup succeeds while builds run" test $? -eq 0
check "backup says where and how big" grep -q "^$T/backup.mdb: [0-9]* bytes" "$T/backup.out"
check "the copy is the server user's alone (0600)" test "$(stat -c %a "$T/backup.mdb")" = 600
check "no temporary file is left" test -z "$(ls -A "$T" | grep '^\.pikoci-backup')"
pk builds $J --json | json "' '.join(b['number'] for b in d if b['status'] in ('running','pending'))" >"$T/during"
echo "finished before the backup: $(cat "$T/before"); running or pending after it: $(cat "$T/during")"
pk backup "$T/backup.mdb" >"$T/exists.out" 2>&1; rc=$?
check "an existing file is refused (exit 1)" test $rc -eq 1
check "... saying it exists" grep -q "exists" "$T/exists.out"
pk backup relative.mdb >"$T/rel.out" 2>&1; rc=$?
check "a relative path is refused (exit 2)" test $rc -eq 2
check "... saying the path is the server's" grep -q "absolute path on the server's machine" "$T/rel.out"
pk backup "$T/no/such/dir/x.mdb" >"$T/nodir.out" 2>&1; rc=$?
check "a missing directory is refused (exit 1)" test $rc -eq 1
wait $TRIG_PID
all_done() { [ -z "$(pk builds $J --json | json "' '.join(b['number'] for b in d if b['status'] in ('running','pending','started'))")" ]; }
check "every build of the first server ends" until_ok 120 all_done
check "the backup is in the audit log" bash -c "'$BIN' audit --json | grep -q store.backup"

# the first server's word on everything
snapshot() {   # snapshot DIR: pipelines, the pipeline's text, builds, each build and log
    mkdir -p "$1"
    pk pipelines --json >"$1/pipelines"
    pk pipelines get stream >"$1/pipeline"
    pk builds $J --json >"$1/builds"
    for n in $(json "' '.join(b['number'] for b in d)" <"$1/builds"); do
        pk build $J/$n --json >"$1/build.$n"
        pk logs $J/$n >"$1/log.$n"
    done
}
snapshot "$T/one"
stop_server

mkdir "$T/restored"
cp "$T/backup.mdb" "$T/restored/data.mdb"
start_server "$T/s2.log" --db-system lmdb --db-path "$T/restored" || finish
snapshot "$T/two"
stop_server
check "the pipelines are the same" cmp -s "$T/one/pipelines" "$T/two/pipelines"
check "the pipeline's text is the same" cmp -s "$T/one/pipeline" "$T/two/pipeline"
finished=$(json "' '.join(b['number'] for b in d if b['status'] in ('succeeded','failed'))" <"$T/two/builds")
echo "finished in the copy: $finished"
missing=
for n in $(cat "$T/before"); do
    case " $finished " in *" $n "*) ;; *) missing="$missing $n" ;; esac
done
check "every build finished before the backup is in the copy, finished" test -z "$missing"
differ=
for n in $finished; do
    cmp -s "$T/one/build.$n" "$T/two/build.$n" || differ="$differ build$n"
    cmp -s "$T/one/log.$n" "$T/two/log.$n" || differ="$differ log$n"
    [ -s "$T/two/log.$n" ] || differ="$differ empty-log$n"
done
check "each finished build and its log are byte-identical ($(echo $finished | wc -w) builds)" test -z "$differ"
[ -z "$differ" ] || echo "differ:$differ"
check "some builds had not finished at the copy's moment" test "$(echo $finished | wc -w)" -lt $N
check "no build is in the copy that the first server never had" \
    test -z "$(json "' '.join(b['number'] for b in d)" <"$T/two/builds" | tr ' ' '\n' | while read -r n; do [ -f "$T/one/build.$n" ] || echo "$n"; done)"

# a mem server: its copy is a durable store
unset PIKOCI_TOKEN
start_server "$T/s3.log" --run-worker --pipeline-config "$SRC/tests/ops/stream.hcl" || finish
pk trigger $J --watch >/dev/null 2>&1
pk logs $J/1 >"$T/memlog"
pk backup "$T/mem.mdb" >/dev/null 2>&1
check "a mem server's backup succeeds" test $? -eq 0
tok=$(cat "$XDG_RUNTIME_DIR"/pikoci/server-*.token | head -1)
stop_server
mkdir "$T/fromem" && cp "$T/mem.mdb" "$T/fromem/data.mdb"
start_server "$T/s4.log" --db-system lmdb --db-path "$T/fromem" || finish
export PIKOCI_TOKEN=$tok
check "restored from mem, the build is there" build_is $J 1 succeeded
pk logs $J/1 >"$T/memlog2"
check "... with its log" cmp -s "$T/memlog" "$T/memlog2"
stop_server
finish
