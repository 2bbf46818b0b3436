#!/usr/bin/env bash
# Revocation cuts sessions already in: a CURVE `pikoci broker` on loopback,
# the server's actors, a worker w1 and a follower (`pikoci logs -f` with a
# key of its own) connected and working. The follower's key is taken out of
# the --curve-allow directory: it hears no more lines while the build goes
# on printing. Then w1's: within a few seconds (as long as admission takes)
# it is lost and takes no more builds. Put back, w1 is let in again and
# runs the build that waited.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_all; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache"
for n in broker server w1 w2 cli follower; do pk keygen --output "$T/keys" $n >/dev/null; done
mkdir -p "$T/allow"
cp "$T/keys/"{server,w1,w2,cli,follower}.cert "$T/allow/"
start_broker "$T/broker.log" --curve-cert "$T/keys/broker.cert_secret" --curve-allow "$T/allow" \
    --worker-grace 1m || finish
export PIKOCI_CURVE_CERT="$T/keys/cli.cert_secret" PIKOCI_CURVE_SERVER_KEY="$T/keys/broker.cert"
cat >"$T/p.hcl" <<HCL
job "long" {
  task "print" {
    run "shell" {
      cmd = "echo \"\$BUILD_NUMBER \$WORKER_NAME\" >>$T/runs; i=1; while [ \$i -le 150 ]; do echo \"line \$i\"; i=\$((i+1)); sleep 0.1; done"
    }
  }
}
HCL
start_dist_server "$T/server.log" --pipeline-config "$T/p.hcl" --pipeline-name p \
    --curve-cert "$T/keys/server.cert_secret" --curve-server-key "$T/keys/broker.cert" || finish
start_worker w1 "$T/w1.log" --concurrency 1 --work-dir "$T/work" \
    --curve-cert "$T/keys/w1.cert_secret" --curve-server-key "$T/keys/broker.cert"
check "w1 connects" until_ok 30 worker_is w1 healthy
log_has() { pk logs "$1" 2>/dev/null | grep -q "^$2\$"; }
lines_in() { grep -c '^line ' "$1" 2>/dev/null; }

pk trigger p/long >/dev/null 2>&1
check "build 1 runs on w1" until_ok 30 log_has p/long/1 "line 3"
PIKOCI_CURVE_CERT="$T/keys/follower.cert_secret" "$BIN" logs -f p/long/1 >"$T/follow" 2>&1 &
FOLLOWER=$!
PIDS+=("$FOLLOWER")
check "the follower hears lines" until_ok 20 bash -c "[ \$(grep -c '^line ' '$T/follow') -ge 5 ]"
rm "$T/allow/follower.cert"
sleep 2
n=$(lines_in "$T/follow")
sleep 2
check "once its key is removed the follower hears nothing more" test "$(lines_in "$T/follow")" = "$n"
pk logs p/long/1 >"$T/all" 2>/dev/null
check "... while the build goes on printing" test "$(lines_in "$T/all")" -gt "$((n + 10))"
check "the broker says the key is no longer allowed" has "$T/broker.log" "no longer allowed"
rm "$T/allow/w1.cert"
t0=$(date +%s%N)
check "w1 is lost within 5 s of its key's removal" until_ok 5 worker_is w1 lost
echo "# lost $(( ($(date +%s%N) - t0) / 1000000 )) ms after the removal"
check "its build is errored" until_ok 10 build_is p/long 1 errored
pk trigger p/long >/dev/null 2>&1
sleep 2
check "a new build is not taken by the revoked worker" build_is p/long 2 pending
cp "$T/keys/w1.cert" "$T/allow/"
check "w1 is let in again once its key is back" until_ok 15 worker_is w1 healthy
check "and runs the build that waited" until_ok 30 log_has p/long/2 "line 3"
finish
