#!/usr/bin/env bash
# Soak: builds stream large logs while followers come and go -- some read,
# some are stalled (SIGSTOPped `pikoci logs -f`: they never read again),
# some connect and go -- and bare idle TCP connections open and close. The
# server's memory stays within a bound (its broker queues at most
# S_PEER_HWM messages for a peer that does not read, and drops the rest:
# ten stalled followers of a 100 MB log used to cost 439 MB), and every
# build's log is whole. SOAK_MB sets the size of each build's log.
set -uo pipefail
T=$(mktemp -d)
FOLLOWERS=()
IDLE=
cleanup() {
    for p in "${FOLLOWERS[@]}"; do kill -CONT "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
    [ -n "$IDLE" ] && kill "$IDLE" 2>/dev/null
    stop_all
    rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache"
MB=${SOAK_MB:-30}
BOUND_MB=${SOAK_BOUND_MB:-120}
BLOCK=$(( MB * 1024 * 1024 / 8 / 20 ))     # 20 blocks of lines of about 8 bytes
LINES=$(( BLOCK * 20 ))
cat >"$T/p.hcl" <<HCL
job "flood" {
  task "print" {
    run "shell" {
      cmd = "b=0; while [ \$b -lt 20 ]; do seq \$((b * $BLOCK + 1)) \$(((b + 1) * $BLOCK)); b=\$((b + 1)); sleep 0.3; done"
    }
  }
}
HCL
seq 1 "$LINES" >"$T/want"
# memory is measured: ASan's quarantine of freed blocks would hide it
ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=1:thread_local_quarantine_size_kb=64" \
    start_server "$T/server.log" --pipeline-config "$T/p.hcl" --pipeline-name p || finish
PIDS+=("$SERVER_PID")
BROKER=$PIKOCI_SERVER
start_worker w1 "$T/w1.log" --concurrency 2 --work-dir "$T/work"
check "w1 connects" until_ok 30 worker_is w1 healthy
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status"; }
base=$(rss_kb)
# idle connections that come and go, all along
"$PY" - "${PIKOCI_SERVER##*:}" <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
while True:
    socks = []
    for i in range(200):
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        except OSError:
            pass
    time.sleep(2)
    for s in socks:
        s.close()
PY
IDLE=$!
follower() {    # follower N: `pikoci logs -f` of build N into $T/f.N.<pid>, its pid in $F
    "$BIN" logs -f "p/flood/$1" >"$T/f.$1.$RANDOM" 2>/dev/null &
    F=$!
    FOLLOWERS+=("$F")
}
started() { build_is p/flood "$1" started && pk logs "p/flood/$1" >"$T/early" 2>/dev/null && grep -q '^2$' "$T/early"; }
whole() { pk logs "p/flood/$1" >"$T/got" 2>/dev/null && cmp -s "$T/got" "$T/want"; }
for n in 1 2; do
    pk trigger p/flood >/dev/null 2>&1
    check "build $n starts" until_ok 60 started "$n"
    # ten stalled followers: subscribed, then never reading again
    stalled=()
    for i in $(seq 1 "${SOAK_STALLED:-10}"); do follower "$n"; stalled+=("$F"); done
    sleep 1
    for p in "${stalled[@]}"; do kill -STOP "$p"; done
    check "build $n still runs with its followers stalled" build_is p/flood "$n" started
    # two that read to the end, and one that comes and goes
    follower "$n"; reader1=$F
    follower "$n"; reader2=$F
    follower "$n"; sleep 1; kill -KILL "$F" 2>/dev/null
    check "build $n succeeds" until_ok 300 build_is p/flood "$n" succeeded
    check "build $n's log is whole" whole "$n"
    for p in "${stalled[@]}"; do kill -CONT "$p"; kill -KILL "$p"; wait "$p" 2>/dev/null; done
    kill "$reader1" "$reader2" 2>/dev/null
done
peak=$(hwm_kb)
grow=$(( (peak - base) / 1024 ))
echo "# server RSS at start $((base / 1024)) MB, peak $((peak / 1024)) MB: grew by $grow MB (bound $BOUND_MB MB; logs of $MB MB, 10 stalled followers each)"
check "the server's memory stayed within the bound" test "$grow" -le "$BOUND_MB"
stats=$(pk workers --json >/dev/null 2>&1; echo ok)
check "the server still answers" test "$stats" = ok
finish
