#!/usr/bin/env bash
# Server roles and worker registration cannot be taken over the network.
# A real `pikoci server` (no worker of its own) on loopback, and rawpeer
# (tests/workerauth/rawpeer.c), a bare DEALER playing an intruder:
#  1. HELLO{role control|scheduler|logsink} gets it nothing, the CLI is still
#     answered, the server logs the refusal and counts it (broker.stats);
#  2. READY without a token, or with a wrong one, is refused (DISCONNECT
#     "refused: ...") and never gets a build; a `pikoci worker` with the
#     server's token (found in the runtime dir, or --worker-token FILE) runs it;
#     one with a token of `pikoci worker-token new --team blue` never gets the
#     main team's build (team dispatch in depth: tests/test_workerauth.c);
#  3. a standalone `pikoci broker`: a HELLO{control} with a wrong server token
#     is refused, the server (sharing the runtime dir's token) takes its roles.
set -uo pipefail
RAWPEER=${1:?rawpeer binary}
T=$(mktemp -d)
[ -z "${KEEP:-}" ] || echo "# keeping $T"
export PIKOCI_RUNTIME_DIR=$T/run
trap 'kill $(jobs -p) 2>/dev/null; wait; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"

start_server "$T/server.log" --run-worker=false --worker-grace 0s --pipeline-config "$SRC/tests/dist/dist.hcl" --http 127.0.0.1:0 || finish
HTTP=$(sed -n 's/.*http on \(http:[^ ]*\).*/\1/p' "$T/server.log" | head -1)
check "the runtime dir holds the default tokens, 0600" \
    test "$(stat -c %a "$T/run/worker.token") $(stat -c %a "$T/run/worker-tokens")" = "600 600"

# 1. roles
PEERS=()
for role in control scheduler logsink; do
    "$RAWPEER" hello "$PIKOCI_SERVER" $role 4 >"$T/hello-$role.out" 2>&1 &
    PEERS+=($!)
done
sleep 0.5   # the intruders' HELLOs are in before the CLI asks (they repeat every second)
pk pipelines >"$T/pipelines.out" 2>&1; rc=$?
check "the CLI is answered while intruders claim control" test $rc -eq 0
check "... and the answer is right" has "$T/pipelines.out" dist
pk trigger dist/plain >/dev/null 2>&1; rc=$?
check "a command still reaches the scheduler" test $rc -eq 0
wait "${PEERS[@]}"
for role in control scheduler logsink; do
    check "HELLO{role $role} over tcp receives nothing" has "$T/hello-$role.out" "received 0"
    check "the server logs the refused $role" has "$T/server.log" "refused HELLO{role $role} from 127.0.0.1"
done
check "logged once per peer" test "$(grep -c 'refused HELLO{role control}' "$T/server.log")" -eq 1
"$PY" -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('$HTTP/metrics').read().decode())" >"$T/metrics"
refused=$(sed -n 's/^pikoci_broker_refused \([0-9]*\)$/\1/p' "$T/metrics")
check "broker.stats counts the refusals (/metrics: $refused)" test "${refused:-0}" -ge 3

# 2. workers
check "the build waits for a worker" until_ok 10 build_is dist/plain 1 pending
"$RAWPEER" ready "$PIKOCI_SERVER" intruder 3 >"$T/ready-none.out" 2>&1 &
P1=$!
"$RAWPEER" ready "$PIKOCI_SERVER" guesser 3 pkw_0123456789abcdef >"$T/ready-bad.out" 2>&1 &
P2=$!
wait $P1 $P2
check "READY without a token never gets work" bash -c "! grep -q WORK '$T/ready-none.out'"
check "... and is told it was refused" has "$T/ready-none.out" "DISCONNECT refused: no worker token"
check "READY with a wrong token never gets work" bash -c "! grep -q WORK '$T/ready-bad.out'"
check "... and is told why" has "$T/ready-bad.out" "DISCONNECT refused: the worker token is not in the broker's list"
check "the server logs the refused READY" has "$T/server.log" "refused READY from worker guesser"
check "neither is listed as a worker" bash -c "! '$BIN' workers | grep -qE 'intruder|guesser'"
check "the build is still pending" build_is dist/plain 1 pending

# a worker of the same user finds the token itself
"$BIN" worker --broker "$PIKOCI_SERVER" --name good 2>"$T/good.log" &
GOOD=$!
check "a worker with the server's token runs the build" until_ok 30 build_is dist/plain 1 succeeded
kill -TERM $GOOD; wait $GOOD
# until the broker has given it up, new work could still be sent its way
check "the stopped worker is lost" until_ok 20 bash -c "'$BIN' workers --json | grep -q '\"lost\"'"
# a wrong --worker-token: refused, said on the worker's side too
echo pkw_wrong >"$T/wrong.token"
"$BIN" worker --broker "$PIKOCI_SERVER" --name wrong --worker-token "$T/wrong.token" 2>"$T/wrong.log" &
WRONG=$!
check "a worker with a wrong token logs the refusal" until_ok 10 grep -q "the broker refused this worker" "$T/wrong.log"
pk trigger dist/plain >/dev/null 2>&1
sleep 1
check "... and gets no build" build_is dist/plain 2 pending
kill -TERM $WRONG; wait $WRONG
# a worker bound to team blue never gets the main team's build
pk worker-token new --team blue --label test --output "$T/blue.token" 2>"$T/wt.err"; rc=$?
check "worker-token new --team blue exits 0" test $rc -eq 0
check "... writes the token 0600" test "$(stat -c %a "$T/blue.token")" = 600
check "... adds its hash bound to blue" grep -q " blue test$" "$T/run/worker-tokens"
check "... and never the token itself" bash -c "! grep -qF \"\$(cat '$T/blue.token')\" '$T/run/worker-tokens'"
"$BIN" worker --broker "$PIKOCI_SERVER" --name blue1 --worker-token "$T/blue.token" 2>"$T/blue.log" &
BLUE=$!
check "the blue worker registers" until_ok 20 bash -c "'$BIN' workers --json | grep -q blue1"
blue_team() { pk workers --json 2>/dev/null | json "[w['team'] for w in d if w['name']=='blue1'] == ['blue']" | grep -q True; }
check "workers shows its team" blue_team
sleep 1
check "the main team's build is not given to it" build_is dist/plain 2 pending
kill -TERM $BLUE; wait $BLUE
"$BIN" worker --broker "$PIKOCI_SERVER" --name byfile --worker-token "$T/run/worker.token" 2>"$T/byfile.log" &
BYFILE=$!
check "--worker-token FILE with the right token works" until_ok 30 build_is dist/plain 2 succeeded
kill -TERM $BYFILE; wait $BYFILE
check "the token is not in a build's environment" bash -c "! grep -rq pkw_ '$T'/*.log"
stop_server

# 3. a standalone broker: server roles need the server token
"$BIN" broker --listen 'tcp://127.0.0.1:*' 2>"$T/broker.log" &
until_ok 30 grep -q "listening on tcp:" "$T/broker.log" || { cat "$T/broker.log"; finish; }
BROKER=$(sed -n 's/.*listening on \(tcp:[^ ]*\).*/\1/p' "$T/broker.log" | head -1)
"$RAWPEER" hello "$BROKER" control 2 pks_guess >"$T/hello-guess.out" 2>&1
check "a wrong server token gets nothing" has "$T/hello-guess.out" "received 0"
check "the broker logs it" has "$T/broker.log" "a server role needs the server token"
"$BIN" server --run-worker=false --pubsub-system zmq --broker "$BROKER" --pipeline-config "$SRC/tests/dist/dist.hcl" 2>"$T/dist-server.log" &
check "a server with the runtime dir's server token takes its roles" until_ok 30 grep -q "server ready" "$T/dist-server.log"
PIKOCI_SERVER=$BROKER pk pipelines >"$T/dist-pipelines" 2>&1
check "the CLI reaches it through the broker" has "$T/dist-pipelines" dist
finish
