#!/usr/bin/env bash
# pikoci server end to end, with the real binary as a separate process and the
# CLI talking to it over tcp on loopback: a git pipeline over a local bare
# repository, check -> build -> downstream passed build with the same commit,
# logs (whole, from an offset, followed), cancel, retry, a rejected pipeline
# update that changes nothing, and the CLI's exit codes.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache"

# 1. options and a bad pipeline stop the server before it starts
pk server --db-system sqlite >"$T/out" 2>"$T/err"; rc=$?
check "unknown --db-system exits 2" test $rc -eq 2
check "unknown --db-system names the choices" has "$T/err" "valid choices: mem, lmdb"
pk server --db-system lmdb >"$T/out" 2>"$T/err"; rc=$?
check "lmdb without --db-path exits 2" test $rc -eq 2
pk server --help >"$T/out"; rc=$?
check "server --help exits 0" test $rc -eq 0
check "server --help tells about SIGQUIT" has "$T/out" "SIGQUIT"
printf 'job "x" {\n  tsk "y" {\n  }\n}\n' >"$T/bad.hcl"
pk server --pipeline-config "$T/bad.hcl" >"$T/out" 2>"$T/err"; rc=$?
check "invalid pipeline-config exits 2" test $rc -eq 2
check "invalid pipeline-config names file:line:col" has "$T/err" "bad.hcl:2:3:"

# 2. start: the pipeline is set, its first check finds v1, test then deploy build it
git_repo "$T/app"
v1=$(git -C "$T/app.wc" rev-parse HEAD)
start_server "$T/server.log" --run-worker --pipeline-config "$SRC/tests/server/ci.hcl" \
    --var repo="file://$T/app.git" || { finish; }
check "server listens on a loopback port" test -n "$PIKOCI_SERVER"
check "pipelines lists ci" bash -c "'$BIN' pipelines --json | grep -q '\"ci\"'"
pk check ci/app >"$T/out" 2>&1; rc=$?
check "check exits 0" test $rc -eq 0
check "test #1 succeeds" until_ok 60 build_is ci/test 1 succeeded
check "deploy #1 follows" until_ok 60 build_is ci/deploy 1 succeeded
check "deploy #1 got v1" bash -c "'$BIN' logs ci/deploy/1 | grep -q 'deploying ref=$v1'"

# 3. a new commit: check -> test #2 within a second -> deploy #2 with the same commit
commit "$T/app" v2
v2=$(git -C "$T/app.wc" rev-parse HEAD)
pk check ci/app >"$T/out" 2>&1
t0=$(date +%s%N)
until_ok 10 build_status_any ci/test 2
t1=$(date +%s%N)
# the latency itself is measured in bench/bench_server.c (Release build);
# here, under the sanitizers, it is printed only
echo "# check -> build test #2 visible in $(( (t1 - t0) / 1000000 )) ms"
check "test #2 is created after the check" build_status_any ci/test 2
check "test #2 succeeds" until_ok 60 build_is ci/test 2 succeeded
check "deploy #2 succeeds" until_ok 60 build_is ci/deploy 2 succeeded
pk build ci/deploy/2 --json >"$T/b.json"
check "deploy #2 has test #2's commit" test "$(json "d['versions']['git.app']['ref']" <"$T/b.json")" = "$v2"
check "deploy #2 log has the commit" bash -c "'$BIN' logs ci/deploy/2 | grep -q 'deploying ref=$v2'"
pk build ci/test/2 >"$T/out"; rc=$?
check "build shows the task step" has "$T/out" "unit"
check "build shows the status" has "$T/out" "succeeded"

# 4. logs: whole and exact, from an offset, and followed
pk logs ci/test/2 >"$T/log2"; rc=$?
check "logs exits 0" test $rc -eq 0
check "log has all 200 lines" test "$(grep -c "^line [0-9]* of $v2\$" "$T/log2")" -eq 200
check "log has the header line" has "$T/log2" "testing v2 ref=$v2"
size=$(stat -c %s "$T/log2")
pk logs ci/test/2 --offset 100 >"$T/log2tail"
check "logs --offset returns the rest, byte-exact" cmp -s "$T/log2tail" <(tail -c +101 "$T/log2")
check "logs --json reports the size" test "$(pk logs ci/test/2 --json | json "d['size']")" = "$size"
pk trigger ci/test --watch >"$T/watch" 2>"$T/watch.err"; rc=$?
check "trigger --watch exits 0 on success" test $rc -eq 0
check "trigger --watch streamed the log" test "$(grep -c "^line [0-9]* of $v2\$" "$T/watch")" -eq 200
check "trigger --watch built #3" until_ok 5 build_is ci/test 3 succeeded
pk logs ci/test/3 -f >"$T/follow"; rc=$?
check "logs -f of a finished build ends" test $rc -eq 0
check "logs -f equals logs" cmp -s "$T/follow" <(pk logs ci/test/3)

# 5. cancel a running build; its processes go; retry a finished one
pk trigger ci/slow >"$T/out" 2>&1; rc=$?
check "trigger exits 0" test $rc -eq 0
check "trigger prints the build" has "$T/out" "ci/slow #1"
pk logs ci/slow/1 -f >"$T/slowlog" 2>&1 &
follower=$!
check "slow #1 starts" until_ok 30 build_is ci/slow 1 started
check "its task runs" until_ok 30 pgrep -f 'slee[p] 313.5'
check "followed log shows the running task" until_ok 30 has "$T/slowlog" "started"
pk cancel ci/slow/1 >"$T/out" 2>&1; rc=$?
check "cancel exits 0" test $rc -eq 0
check "slow #1 is cancelled" until_ok 30 build_is ci/slow 1 cancelled
check "its processes are gone" until_ok 30 bash -c "! pgrep -f 'slee[p] 313.5'"
wait $follower; rc=$?
check "logs -f ends when the build is cancelled" test $rc -eq 0
check "followed log never saw the end of the task" bash -c "! grep -q SHOULD-NOT-PRINT '$T/slowlog'"
pk retry ci/test/2 >"$T/out" 2>&1; rc=$?
check "retry exits 0" test $rc -eq 0
check "retry prints 2.1" has "$T/out" "2.1"
check "retry 2.1 succeeds" until_ok 60 build_is ci/test 2.1 succeeded
check "retry 2.1 used the original commit" bash -c "'$BIN' logs ci/test/2.1 | grep -q 'testing v2 ref=$v2'"

# 6. a pipeline update that does not validate changes nothing
ver=$(pk pipelines --json | json "[p['version'] for p in d if p['name']=='ci'][0]")
pk pipelines set ci "$T/bad.hcl" >"$T/out" 2>"$T/err"; rc=$?
check "invalid pipelines set exits 1" test $rc -eq 1
check "invalid pipelines set prints file:line:col" has "$T/err" ":2:3:"
check "the running pipeline is untouched" test "$(pk pipelines --json | json "[p['version'] for p in d if p['name']=='ci'][0]")" = "$ver"
check "its jobs still run" bash -c "'$BIN' trigger ci/test --watch >/dev/null 2>&1"

# 7. exit codes
pk builds ci/tset >"$T/out" 2>"$T/err"; rc=$?
check "unknown job exits 1" test $rc -eq 1
check "unknown job suggests" has "$T/err" 'did you mean "test"'
pk builds >"$T/out" 2>"$T/err"; rc=$?
check "missing argument exits 2" test $rc -eq 2
pk bogus-command >"$T/out" 2>"$T/err"; rc=$?
check "unknown command exits 2" test $rc -eq 2
pk trigger ci/test --server tcp://127.0.0.1:1 --timeout 1s >"$T/out" 2>"$T/err"; rc=$?
check "unreachable server exits 3" test $rc -eq 3

# 8. SIGTERM stops the server cleanly
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"; rc=$?
check "SIGTERM: the server exits 0" test $rc -eq 0
check "no task process left" bash -c "! pgrep -f 'slee[p] 313.5'"

# 9. SIGQUIT drains: the running build finishes, a new one is not started
export NAP_DIR="$T"     # the nap task marks each build that ran there
start_server "$T/server2.log" --run-worker --pipeline-config "$SRC/tests/server/ci.hcl" \
    --var repo="file://$T/app.git" --drain-timeout 60s || finish
pk trigger ci/nap >/dev/null 2>&1
check "nap #1 starts" until_ok 30 build_is ci/nap 1 started
pk logs -f ci/nap/1 >"$T/naplog" 2>&1 &
follower=$!
kill -QUIT "$SERVER_PID"
check "the server logs that it drains" until_ok 10 has "$T/server2.log" "draining"
pk trigger ci/nap >/dev/null 2>&1
check "while draining, a new build stays pending" build_is ci/nap 2 pending
touch "$T/wake"         # nap #1 may end now
wait "$SERVER_PID"; rc=$?
check "drained server exits 0" test $rc -eq 0
check "it waited for the running build" has "$T/server2.log" "drained: no build running"
wait $follower
check "the running build's log is complete" has "$T/naplog" "woke"
check "nap #1 ran" test -e "$T/nap-1"
check "nap #2 never started" test ! -e "$T/nap-2"
finish
