#!/usr/bin/env bash
# Network partitions between a worker and its broker, for real: two network
# namespaces made here (never a real interface), joined by a veth pair with
# addresses that exist only inside them. Namespace A holds a CURVE `pikoci
# broker` (--heartbeat-timeout 2s --worker-grace 12s), the server's actors
# and the CLI; namespace B the worker w1. The link is cut with `ip link set
# down` on B's end.
# 1. A cut shorter than the grace: w1 is shown unreachable within seconds
#    and says in its own log that it lost the broker; its build goes on;
#    when the link is back w1 says so, the build ends succeeded, its log
#    whole, and it ran once.
# 2. A cut longer than the grace: the build is errored ("worker w1 lost at
#    step ..."); a build triggered during the cut waits (no worker can take
#    it) and runs on w2 (in A) once w2 comes; when the link is back w1 is
#    told to stop the errored build, which stays errored, and nothing ran
#    twice.
# Skipped (77) where namespaces cannot be made.
set -uo pipefail
T=$(mktemp -d)
NA=pkA$$
NB=pkB$$
cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    ip netns del "$NA" 2>/dev/null
    ip netns del "$NB" 2>/dev/null
    rm -rf "$T"
}
PIDS=()
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"
ip netns add "$NA" 2>/dev/null && ip netns add "$NB" 2>/dev/null || { echo "# cannot make network namespaces: skipped"; exit 77; }
ip link add "vA$$" netns "$NA" type veth peer name "vB$$" netns "$NB" || exit 77
ip -n "$NA" link set lo up
ip -n "$NB" link set lo up
ip -n "$NA" addr add 10.231.0.1/24 dev "vA$$"
ip -n "$NB" addr add 10.231.0.2/24 dev "vB$$"
ip -n "$NA" link set "vA$$" up
ip -n "$NB" link set "vB$$" up
cut() { ip -n "$NB" link set "vB$$" down; }
mend() { ip -n "$NB" link set "vB$$" up; }

REAL=$BIN
export PIKOCI_CACHE_DIR="$T/cache"
for n in broker server w1 w2 cli; do "$REAL" keygen --output "$T/keys" $n >/dev/null; done
mkdir -p "$T/allow"
cp "$T/keys/server.cert" "$T/keys/w1.cert" "$T/keys/w2.cert" "$T/keys/cli.cert" "$T/allow/"
# the CLI (pk, lib.sh's helpers) runs in A with its keys in the environment
cat >"$T/pikoci-a" <<SH
#!/bin/sh
exec ip netns exec $NA $REAL "\$@"
SH
chmod +x "$T/pikoci-a"
BIN=$T/pikoci-a
export PIKOCI_CURVE_CERT="$T/keys/cli.cert_secret" PIKOCI_CURVE_SERVER_KEY="$T/keys/broker.cert"
GRACE_S=12
ip netns exec "$NA" "$REAL" broker --listen tcp://10.231.0.1:7650 --heartbeat-timeout 2s \
    --worker-grace ${GRACE_S}s --curve-cert "$T/keys/broker.cert_secret" --curve-allow "$T/allow" \
    2>"$T/broker.log" &
PIDS+=($!)
until_ok 30 grep -q "listening on" "$T/broker.log" || { cat "$T/broker.log"; exit 1; }
export PIKOCI_SERVER=tcp://10.231.0.1:7650
cat >"$T/p.hcl" <<HCL
job "long" {
  task "print" {
    run "shell" {
      cmd = "echo \"\$BUILD_NUMBER \$WORKER_NAME\" >>$T/runs; i=1; while [ \$i -le 150 ]; do echo \"line \$i\"; i=\$((i+1)); sleep 0.1; done; echo END"
    }
  }
}
HCL
ip netns exec "$NA" "$REAL" server --run-worker=false --pubsub-system zmq --broker "$PIKOCI_SERVER" \
    --curve-cert "$T/keys/server.cert_secret" --curve-server-key "$T/keys/broker.cert" \
    --pipeline-config "$T/p.hcl" --pipeline-name p 2>"$T/server.log" &
PIDS+=($!)
until_ok 30 grep -q "server ready" "$T/server.log" || { cat "$T/server.log"; exit 1; }
worker() {  # worker NAME NS
    WORKER_NAME=$1 ip netns exec "$2" "$REAL" worker --broker "$PIKOCI_SERVER" --name "$1" \
        --concurrency 2 --work-dir "$T/work-$1" --curve-cert "$T/keys/$1.cert_secret" \
        --curve-server-key "$T/keys/broker.cert" 2>"$T/$1.log" &
    PIDS+=($!)
}
log_has() { pk logs "$1" 2>/dev/null | grep -q "^$2\$"; }
whole_log() {   # line 1..150 then END, each once, in order
    pk logs "$1" 2>/dev/null | grep -E '^(line [0-9]+|END)$' >"$T/got"
    { seq 1 150 | sed 's/^/line /'; echo END; } >"$T/want"
    cmp -s "$T/got" "$T/want"
}
runs_of() { grep -c "^$1 " "$T/runs" 2>/dev/null; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

worker w1 "$NB"
check "w1 connects across the veth" until_ok 30 worker_is w1 healthy

# 1. shorter than the grace
pk trigger p/long >/dev/null 2>&1
check "build 1 runs on w1" until_ok 30 log_has p/long/1 "line 10"
cut
t0=$(date +%s%N)
check "w1 is shown unreachable within 5 s" until_ok 5 worker_is w1 unreachable
echo "# unreachable after $(ms_since "$t0") ms"
check "w1's log says it lost the broker" until_ok 10 grep -q "lost the broker" "$T/w1.log"
sleep 1
check "build 1 is still started during the cut" build_is p/long 1 started
mend
echo "# link down for $(ms_since "$t0") ms (grace ${GRACE_S} s)"
check "w1 is healthy again" until_ok 20 worker_is w1 healthy
check "build 1 ends succeeded" until_ok 40 build_is p/long 1 succeeded
check "build 1's log is whole" whole_log p/long/1
check "build 1 ran once" test "$(runs_of 1)" = 1
check "w1's log says the broker is back and what it reported" \
    grep -q "the broker is back after .* reporting" "$T/w1.log"

# 2. longer than the grace
pk trigger p/long >/dev/null 2>&1
check "build 2 runs on w1" until_ok 30 log_has p/long/2 "line 10"
cut
t0=$(date +%s%N)
check "w1 is shown unreachable" until_ok 5 worker_is w1 unreachable
pk trigger p/long >/dev/null 2>&1
check "build 3, triggered during the cut, waits" until_ok 10 build_is p/long 3 pending
check "build 2 is errored after the grace" until_ok $((GRACE_S + 15)) build_is p/long 2 errored
echo "# errored $(ms_since "$t0") ms after the cut (grace ${GRACE_S} s)"
check "not before the grace" test "$(ms_since "$t0")" -ge $((GRACE_S * 1000))
reason=$(pk build p/long/2 --json 2>/dev/null | json "d.get('reason') or ''")
check "its reason says w1 was lost at its step" test "$reason" = "worker w1 lost at step print"
check "w1 is shown lost" worker_is w1 lost
check "build 3 still waits" build_is p/long 3 pending
worker w2 "$NA"
check "build 3 runs on w2" until_ok 30 log_has p/long/3 "line 5"
mend
check "w1 comes back" until_ok 30 worker_is w1 healthy
check "build 2 stays errored" build_is p/long 2 errored
check "w1's log says it stops build 2, and why" \
    until_ok 10 grep -q "stopping build:p/long/2: the worker was declared lost" "$T/w1.log"
check "build 3 ends succeeded with its whole log" until_ok 40 build_is p/long 3 succeeded
check "build 3's log is whole" whole_log p/long/3
check "build 2 ran once" test "$(runs_of 2)" = 1
check "build 3 ran once, on w2" test "$(grep '^3 ' "$T/runs")" = "3 w2"
pk logs p/long/2 >"$T/log2" 2>/dev/null
check "build 2's log ends with the reason" test "$(tail -n 1 "$T/log2")" = "$reason"
finish
