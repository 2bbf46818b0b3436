#!/usr/bin/env bash
# pikoci-top end to end: the real binary in a tmux pane against a real
# `pikoci server --run-worker` on a free loopback port (lmdb, so a restart
# keeps the history). What the operator sees is read with capture-pane,
# always by polling with a deadline:
#   the worker and the resource show up; a triggered build shows as running
#   (with its step and worker), then with its final status; a build waiting
#   behind `concurrency = 1` says so; keys cancel, trigger and pause; Enter
#   follows a running build's log to its end and scrolls back; the layout
#   survives resizing; a killed server shows "disconnected" and a server
#   started again on the same port brings the view back; q quits cleanly.
set -uo pipefail
T=$(mktemp -d)
SOCK=pktop-$$
tm() { tmux -L "$SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null; stop_server; rm -rf "$T"' EXIT
. "${PIKOCI_SOURCE_DIR:?}/tests/server/lib.sh"
TOP=${PIKOCI_TOP_BIN:-$(dirname "$BIN")/pikoci-top}
export PIKOCI_CACHE_DIR="$T/cache" LANG=C.UTF-8
unset LC_ALL

screen() { tm capture-pane -t top -p; }
shows() { screen | grep -qF -- "$1"; }
shows_re() { screen | grep -qE -- "$1"; }
hides() { ! screen | grep -qF -- "$1"; }
keys() { tm send-keys -t top "$@"; }
dump() { echo "# screen:"; screen | sed 's/^/# |/'; }
checks() {  # checks NAME SECONDS COMMAND...: check with a deadline, the screen on failure
    local name=$1 secs=$2; shift 2
    if until_ok "$secs" "$@"; then check "$name" true; else check "$name" false; dump; fi
}

# 1. outside a terminal: usage and refusals, no curses
"$TOP" --help >"$T/out"; rc=$?
check "--help exits 0" test $rc -eq 0
check "--help names the keys" has "$T/out" "Enter follow the build's log"
"$TOP" --bogus >"$T/out" 2>"$T/err"; rc=$?
check "an unknown option exits 2" test $rc -eq 2
check "an unknown option is named" has "$T/err" "unknown argument '--bogus'"
"$TOP" --server >"$T/out" 2>"$T/err"; rc=$?
check "--server without a value exits 2" test $rc -eq 2
"$TOP" </dev/null >"$T/out" 2>"$T/err"; rc=$?
check "no terminal: exits 2" test $rc -eq 2
check "no terminal: says so" has "$T/err" "needs a terminal"

# 2. a server, and pikoci-top watching it
git_repo "$T/app"
serve() {       # serve LOG LISTEN
    start_server "$1" --db-system lmdb --db-path "$T/db" --run-worker \
        --pipeline-config "$SRC/tests/top/top.hcl" --var repo="file://$T/app.git" \
        ${2:+--listen "$2"}
}
serve "$T/server1.log" || finish
ENDPOINT=$PIKOCI_SERVER
tm -f /dev/null new-session -d -s top -x 100 -y 30 \
    "env LANG=C.UTF-8 '$TOP' --server '$ENDPOINT' 2>'$T/top.err'; echo \$? >'$T/top.rc'"
checks "the header says connected" 20 shows "connected"
checks "the worker shows" 20 shows_re "WORKERS \(1\)"
pk check top/app >/dev/null 2>&1
checks "the resource shows its check" 20 shows_re "top/git.app +checked +[0-9.]+[smh]"

# 3. a triggered build: running (step, worker), then its final status
pk trigger top/hello >/dev/null 2>&1
checks "the triggered build shows as running" 20 shows_re "top/hello #1 +running"
checks "the build finishes as succeeded" 30 shows_re "top/hello #1 +succeeded"
check "builds per minute counts it" shows_re "[1-9][0-9.]* builds/min"
pk trigger top/forever >/dev/null 2>&1
checks "a running build shows its step and worker" 20 \
    shows_re "top/forever #1 +running +[0-9.]+[smh] +[^ ]+ +task wait"

# 4. the queue says why a build waits
pk trigger top/one >/dev/null 2>&1
pk trigger top/one >/dev/null 2>&1
checks "a build behind concurrency 1 says so" 20 shows_re "top/one #2 +pending .*concurrency 1 reached"
screen >"$T/capture.txt"
[ -n "${PIKOCI_TOP_CAPTURE:-}" ] && cp "$T/capture.txt" "$PIKOCI_TOP_CAPTURE"

# 5. keys: c cancels the selected build, t triggers its job, p pauses it
keys g
checks "the first running build is selected" 10 shows_re "^>top/forever #1"
keys c
checks "c cancels it" 20 shows_re "top/forever #1 +cancelled"
check "the server agrees" until_ok 10 build_is top/forever 1 cancelled
keys t
checks "t triggers its job again" 20 shows_re "top/forever #2 +running"
keys p
checks "p pauses its job" 20 shows "job.pause: top/forever"
job_paused() { [ "$(pk jobs top --json | json "[j['paused'] for j in d if j['name']=='$1'][0]")" = "$2" ]; }
check "the server has the job paused" until_ok 10 job_paused forever True
keys p
checks "p again unpauses it" 20 shows "job.unpause: top/forever"
check "the server has the job unpaused" until_ok 10 job_paused forever False
pk cancel top/forever/2 >/dev/null 2>&1
checks "a cancel from the CLI shows too" 20 shows_re "top/forever #2 +cancelled"
check "both one builds ran" until_ok 30 build_is top/one 2 succeeded

# 6. Enter follows a running build's log to its end; scrolling back
pk trigger top/hello >/dev/null 2>&1
checks "hello #2 runs" 20 shows_re "top/hello #2 +running"
keys g Enter
checks "Enter opens the log pane" 10 shows "LOG top/hello #2"
checks "the log's lines show while it runs" 20 shows "top-line-39"
check "the pane follows the running build" shows "(following)"
checks "the log is followed to its end" 20 shows "hello-done"
checks "the pane says the build succeeded" 20 shows_re "LOG top/hello #2 +succeeded"
keys k k k
checks "k scrolls back" 10 shows "3 lines back"
check "scrolled back, the end is out of sight" hides "hello-done"
keys G
checks "G goes back to the tail" 10 shows "hello-done"
keys q
checks "q closes the pane" 10 shows_re "^FINISHED \([0-9]+\)"

# 7. resizing keeps the layout readable
layout_ok() {   # layout_ok WIDTH HEIGHT
    local s; s=$(screen)
    [ "$(printf '%s\n' "$s" | wc -l)" -eq "$2" ] || return 1
    printf '%s\n' "$s" | head -1 | grep -q '^ pikoci-top' || return 1
    printf '%s\n' "$s" | tail -1 | grep -qE '^ [^ ]' || return 1     # the footer
    printf '%s\n' "$s" | grep -q '^RUNNING' || return 1
    printf '%s\n' "$s" | grep -q '^FINISHED' || return 1
    # no line wider than the window (in characters: the sparkline is UTF-8)
    printf '%s\n' "$s" | "$PY" -c 'import sys; sys.exit(any(len(l.rstrip("\n")) > int(sys.argv[1]) for l in sys.stdin))' "$1"
}
clock_at_right() {  # the header's clock ends the first line: a full redraw at the new width
    screen | head -1 | grep -qE "[0-9]{2}:[0-9]{2} *$" \
        && [ "$(screen | head -1 | sed 's/ *$//' | wc -c)" -ge "$1" ]
}
tm resize-window -t top -x 60 -y 14
checks "60x14: header, panels and footer in place" 10 layout_ok 60 14
tm resize-window -t top -x 120 -y 40
checks "120x40: header, panels and footer in place" 10 layout_ok 120 40
checks "120x40: the header is laid out again to the new width" 10 clock_at_right 110
checks "120x40: the resources panel has room again" 10 shows_re "^RESOURCES \(1\)"
tm resize-window -t top -x 100 -y 30

# 8. the server goes away, and comes back on the same port
stop_server
checks "a stopped server shows as disconnected" 20 shows "disconnected"
serve "$T/server2.log" "$ENDPOINT" || finish
check "the server came back on the same port" test "$PIKOCI_SERVER" = "$ENDPOINT"
checks "pikoci-top reconnects" 30 hides "disconnected"
checks "the view is back: the finished builds" 20 shows_re "top/hello #2 +succeeded"
checks "the view is back: the worker" 20 shows_re "WORKERS \(1\)"
pk trigger top/hello >/dev/null 2>&1
checks "events flow again after the reconnect" 20 shows_re "top/hello #3 +(running|succeeded)"

# 9. q quits and the terminal is given back
keys q
check "q ends pikoci-top" until_ok 10 bash -c "! tmux -L '$SOCK' has-session -t top 2>/dev/null"
check "pikoci-top exited 0" test "$(cat "$T/top.rc" 2>/dev/null)" = 0
check "no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error' '$T/top.err'"
[ -s "$T/top.err" ] && { echo "# pikoci-top stderr:"; sed 's/^/# /' "$T/top.err" | head -40; }
finish
