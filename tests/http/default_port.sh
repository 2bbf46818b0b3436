#!/usr/bin/env bash
# `pikoci server` serves the web face on 127.0.0.1:8080 by default and ends
# its start-up output with the URL to open. When that default port is taken
# (another server, another program -- tests run many servers at once) it
# warns and runs without the web face; a --http the user gave that cannot
# be bound stays fatal; --http off turns it off quietly.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; [ -n "${HOLD:-}" ] && kill $HOLD 2>/dev/null; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
# hold 127.0.0.1:8080 (or find it held by someone else already)
"$PY" -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", 8080)); s.listen(1); print("held", flush=True)
except OSError:
    print("busy", flush=True)
    sys.exit(0)
time.sleep(120)' >"$T/hold" &
HOLD=$!
until_ok 10 grep -q . "$T/hold"
check "127.0.0.1:8080 is taken (by us or another)" bash -c "exec 3<>/dev/tcp/127.0.0.1/8080"
HTTP_DEFAULT=1 start_server "$T/busy.log" || finish
check "the default port taken: the server still starts" grep -q "server ready" "$T/busy.log"
check "  with a clear warning" grep -q "127.0.0.1:8080 is in use.*WITHOUT the web face" "$T/busy.log"
check "  and no web face" bash -c "! grep -q 'http on' '$T/busy.log'"
check "  the CLI works" pk pipelines
stop_server

timeout 20 "$BIN" server --listen 'tcp://127.0.0.1:*' --http 127.0.0.1:8080 >"$T/explicit.log" 2>&1; rc=$?
check "an explicit --http on a taken port exits 2" test $rc -eq 2
check "  saying it cannot serve there" grep -q "cannot serve http on 127.0.0.1:8080" "$T/explicit.log"

start_server "$T/off.log" --http off || finish
check "--http off: no web face, no warning" \
    bash -c "! grep -q 'http on' '$T/off.log' && ! grep -q 'WITHOUT the web face' '$T/off.log'"
stop_server

start_http_server "$T/on.log" || finish
check "with a web face the start-up output ends with its URL" \
    bash -c "tail -1 '$T/on.log' | grep -q 'web UI: open http://127.0.0.1:[0-9]*/'"
check "--help tells of the default and of off" \
    bash -c "'$BIN' server --help | grep -q 'default 127.0.0.1:8080' && '$BIN' server --help | grep -q '\"off\"'"
finish
