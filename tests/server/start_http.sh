#!/usr/bin/env bash
# With the web face, "server ready" follows the actors' start at once: the
# http actor answers pk_actor_new's STATUS before its first wait for events
# and hands its port back through its config (it used to answer STATUS and
# PORT only between 100 ms waits, so every start with the web face logged
# "server ready" ~100 ms late). Three starts; the best gap between
# "listening on" and "server ready" is under 50 ms even on a loaded machine.
# The page answers on the port the log names.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export XDG_RUNTIME_DIR="$T/run"     # this test's own first-start token files
mkdir -m 700 "$XDG_RUNTIME_DIR"
ms() { sed -n "s/^[0-9-]*T\([0-9:.]*\)Z.*$1.*/\1/p" "$2" | head -1 |
       awk -F: '{printf "%d\n", ($1 * 3600 + $2 * 60 + $3) * 1000}'; }
best=100000
for i in 1 2 3; do
    start_server "$T/s$i.log" --http 127.0.0.1:0 || finish
    gap=$(( $(ms "server ready" "$T/s$i.log") - $(ms "listening on" "$T/s$i.log") ))
    echo "# start $i: listening -> ready $gap ms"
    [ "$gap" -lt "$best" ] && best=$gap
    port=$(sed -n 's/.*http on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/s$i.log")
    check "start $i: the page answers on the port of the log ($port)" \
        bash -c "curl -sf 'http://127.0.0.1:$port/healthz' >/dev/null"
    stop_server
done
check "listening -> server ready under 50 ms (best of 3: $best ms)" test "$best" -lt 50
finish
