#!/usr/bin/env bash
# Idle connections do not lock the server out. A `pikoci server` started
# under the usual soft limit of 1,024 descriptors gets 1,100 bare TCP
# connections on its broker port that never say a word:
# 1. with a hard limit above that, the server takes it at start: the CLI
#    and /healthz answer while the 1,100 are open;
# 2. with a hard limit of 1,024 (nothing to take), the silent connections
#    are closed once the handshake interval ends (5 s) and the CLI answers
#    again; either way the server's log stays small (libmicrohttpd's "out
#    of descriptors" lines are rate-limited: they used to grow it by
#    hundreds of megabytes a minute).
set -uo pipefail
T=$(mktemp -d)
FLOOD=
trap '[ -n "$FLOOD" ] && kill "$FLOOD" 2>/dev/null; stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 4096 ] || { echo "# hard limit below 4096: skipped"; exit 77; }
HPORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
flood() {   # flood PORT N: N idle connections, held until killed; "up" in $T/flood.up
    "$PY" - "$1" "$2" "$T/flood.up" <<'PY' &
import resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
for i in range(n):
    try:
        socks.append(socket.create_connection(("127.0.0.1", port), timeout=2))
    except OSError:
        pass
open(sys.argv[3], "w").write("%d\n" % len(socks))
time.sleep(600)
PY
    FLOOD=$!
}
port_of() { echo "${PIKOCI_SERVER##*:}"; }
healthz() { curl -sf -m 3 "http://127.0.0.1:$HPORT/healthz" >/dev/null; }
cli_ok() { pk workers --timeout 3s >/dev/null 2>&1; }
log_small() { [ "$(stat -c %s "$1")" -lt 1000000 ]; }

# 1. soft 1024, hard above: taken at start
ulimit -Sn 1024
start_server "$T/s1.log" --http "127.0.0.1:$HPORT" || finish
flood "$(port_of)" 1100
check "1,100 idle connections are open" until_ok 30 test -s "$T/flood.up"
echo "# $(cat "$T/flood.up") connections made"
check "the CLI answers meanwhile" cli_ok
check "/healthz answers meanwhile" healthz
check "the server's log stays small" log_small "$T/s1.log"
kill "$FLOOD"; wait "$FLOOD" 2>/dev/null; FLOOD=
stop_server

# 2. soft = hard = 1024: the silent connections are closed after the handshake interval
(
    ulimit -Hn 1024
    start_server "$T/s2.log" --http "127.0.0.1:$HPORT" || exit 1
    echo "$SERVER_PID $PIKOCI_SERVER" >"$T/s2.pid"
    wait "$SERVER_PID"
) &
until_ok 30 test -s "$T/s2.pid" || { cat "$T/s2.log"; finish; }
read -r SERVER_PID PIKOCI_SERVER <"$T/s2.pid"
export PIKOCI_SERVER
rm -f "$T/flood.up"
flood "$(port_of)" 1100
check "the flood is held" until_ok 30 test -s "$T/flood.up"
sleep 3
check "the server's log stays small while out of descriptors" log_small "$T/s2.log"
check "the CLI answers again once the silent connections are closed" until_ok 20 cli_ok
check "/healthz answers" until_ok 10 healthz
check "the server's log stays small" log_small "$T/s2.log"
finish
