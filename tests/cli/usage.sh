#!/bin/sh
# CLI argument handling without a server: every subcommand's --help (exit 0,
# a usage line naming it), usage errors (exit 2, a message on stderr, nothing
# on stdout), and exit 3 -- quickly -- when nothing listens at --server or
# $PIKOCI_SERVER (a loopback port that was just free).
set -u
BIN=${PIKOCI_BIN:?PIKOCI_BIN must name the pikoci binary}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0

fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

# expect CODE CMD...: run, compare the exit code
expect() {
    want=$1
    shift
    "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    [ "$got" = "$want" ] || fail "pikoci $* exited $got, wanted $want ($(head -c 300 "$TMP/err"))"
}

commands="pipelines jobs pause unpause trigger builds build logs cancel retry approve reject warn graph
          resources versions check pin unpin workers"

expect 0 --help
for c in $commands server; do
    grep -q "^  $c " "$TMP/out" || fail "pikoci --help does not list $c"
done

for c in $commands; do
    expect 0 "$c" --help
    grep -q "^usage: pikoci $c" "$TMP/out" || fail "pikoci $c --help has no usage line"
    grep -q -- "--server" "$TMP/out" || fail "pikoci $c --help does not describe --server"
    grep -q "exit status" "$TMP/out" || fail "pikoci $c --help does not give the exit codes"
done

# usage errors: exit 2, said on stderr, nothing on stdout
usage() {
    expect 2 "$@"
    [ -s "$TMP/err" ] || fail "pikoci $*: no message on stderr"
    [ -s "$TMP/out" ] && fail "pikoci $*: wrote to stdout"
}
usage logs
usage logs a/b/c/d
usage logs p//j
usage logs p/j --bogus
usage logs p/j q/k
usage jobs
usage jobs p/j
usage trigger p
usage trigger p/j --input novalue
usage trigger p/j --input
usage cancel p/j
usage approve p/j/1 --message
usage warn p/j
usage warn p/j/1 --message m
usage trigger p/j --version app
usage trigger p/j --version =1
usage graph
usage graph p q
usage builds p/j --limit
usage build p/j
usage pin p/r
usage pin p/r 1 2
usage versions p
usage pause a/b/c
usage workers extra
usage pipelines frob
usage pipelines set
usage pipelines set a b c
usage pipelines get
usage pipelines list extra
usage jobs p --timeout
usage jobs p --timeout 10parsecs
usage jobs p --server=
usage pipelines set "$TMP/does-not-exist.hcl"

# exit 3 when nothing listens: a port that was free a moment ago, below the
# ephemeral range (an ephemeral one may be taken by another test's bind, or
# by our own connect: a TCP self-connect)
port=$(/usr/bin/python3 -c '
import random, socket
for _ in range(1000):
    p = random.randint(10000, 30000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break')
start=$(date +%s%N)
expect 3 jobs p --server "tcp://127.0.0.1:$port" --timeout 400
grep -q "cannot reach" "$TMP/err" || fail "no 'cannot reach' message: $(cat "$TMP/err")"
PIKOCI_SERVER="tcp://127.0.0.1:$port" expect 3 workers --timeout 400
PIKOCI_SERVER="tcp://127.0.0.1:$port" expect 3 pipelines --timeout 400
printf 'job "x" {\n}\n' >"$TMP/x.hcl"
expect 3 pipelines set "$TMP/x.hcl" --server "tcp://127.0.0.1:$port" --timeout 400
expect 3 logs p/j -f --server "tcp://127.0.0.1:$port" --timeout 400
expect 3 trigger p/j --watch --server "tcp://127.0.0.1:$port" --timeout 400
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
# six attempts of 400 ms each, plus process start-up under the sanitizers
[ "$elapsed_ms" -lt 15000 ] || fail "exit 3 took ${elapsed_ms} ms for 6 commands"

# a heartbeat timeout at one worker beat would call every late beat a lost worker
for c in broker server; do
    expect 2 $c --heartbeat-timeout 1s
    grep -q "at least 2s" "$TMP/err" || fail "pikoci $c --heartbeat-timeout 1s does not say the least"
done

if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s)" >&2
    exit 1
fi
echo "cli usage: all passed"
