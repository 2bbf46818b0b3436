#!/usr/bin/env bash
# --run-as USER (#17 "Builds never hold the keys"): a task run by
# `pikoci server --run-worker --run-as USER` and by `pikoci worker --run-as
# USER` runs as USER: not root, its $WORKDIR its own, the lmdb store
# directory (made private even if it was not), a secret key and a token
# file unreadable, no credential variable inherited; its workdir and its
# background job are cleaned up as before. Root and unknown users are
# refused at start. Needs root (it creates a system user): skips with 77.
set -uo pipefail
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: --run-as needs root (to create a user and to drop to it)"
    exit 77
fi
U=pikoci-build-test
if ! id -u "$U" >/dev/null 2>&1; then
    useradd --system --no-create-home "$U" || { echo "SKIP: cannot create user $U"; exit 77; }
fi
T=$(mktemp -d)
trap 'stop_server; [ -n "${WORKER_PID:-}" ] && kill "$WORKER_PID" 2>/dev/null; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
# the build user passes through (never lists) the directories above its workdir
chmod 0711 "$T"
export TMPDIR="$T/tmp"
mkdir -m 0711 "$TMPDIR"
mkdir -m 0755 "$T/db"                   # left open on purpose: the server closes it
( umask 077; echo "tok-secret-123" >"$T/token" )
pk keygen --output "$T/keys" server >/dev/null
KEY="$T/keys/server.cert_secret"
( umask 077; echo "SECRET=leaked" >"$T/rootonly" )
git_repo "$T/app"
chmod 0711 "$T/home"
UID_B=$(id -u "$U")

refused() {     # refused PATTERN COMMAND...: exit status 2 and PATTERN in the message
    local pat=$1; shift
    "$@" >"$T/refused.out" 2>&1
    [ $? -eq 2 ] && grep -q -- "$pat" "$T/refused.out"
}
check "--run-as root is refused" refused "uid/gid 0 is root" "$BIN" server --run-worker --run-as root
check "--run-as an unknown user is refused" refused "no such user" "$BIN" server --run-worker --run-as no-such-user-pikoci
check "--run-as with --run-worker=false is refused" refused "run-worker" timeout 20 "$BIN" server --run-worker=false --run-as "$U"
check "pikoci worker --run-as root is refused" refused "is root" "$BIN" worker --broker tcp://127.0.0.1:1 --run-as root
check "--help tells of --run-as" bash -c "'$BIN' worker --help | grep -q -- --run-as && '$BIN' server --help | grep -q -- --run-as"

PIKOCI_TOKEN=tok-secret-123 PIKOCI_WORKER_TOKEN=w-secret PIKOCI_SECRET_KEY=k-secret \
PIKOCI_REGISTRY_PASSWORD=pw-secret PIKOCI_HARMLESS=kept \
    start_server "$T/server.log" --db-system lmdb --db-path "$T/db" --run-worker --run-as "$U" \
    --pipeline-config "$SRC/tests/proc/run_as.hcl" --var db="$T/db" --var key="$KEY" \
    --var token="$T/token" --var repo="file://$T/app.git" --var rootonly="$T/rootonly" || finish
check "the store directory was made private" test "$(stat -c %a "$T/db")" = 700
P=run_as
pk trigger "$P/who" >/dev/null
check "the build succeeds" until_ok 60 build_is "$P/who" 1 succeeded
pk logs "$P/who/1" >"$T/log" 2>&1
sed 's/^/# /' "$T/log"
check "the task runs as $U" grep -q "^uid=$UID_B " "$T/log"
check "not in root's group" bash -c "! grep -E '^uid=.* groups=(.* )?0( |$)' '$T/log'"
check "its \$HOME and \$USER are $U's" grep -q "user=$U\$" "$T/log"
check "its workdir is its own" grep -q "owner=$U mode=700" "$T/log"
check "it cannot read the store directory" grep -q "^store=denied" "$T/log"
check "nor the store's data file" grep -q "^data=denied" "$T/log"
check "nor a secret key file" grep -q "^key=denied" "$T/log"
check "nor a token file" grep -q "^token=denied" "$T/log"
check "no credential variable reaches it" grep -q "^credentials=0" "$T/log"
check "other variables still do" grep -q "^other=kept" "$T/log"
check "no credential value in the log" bash -c "! grep -q -e tok-secret -e w-secret -e k-secret -e pw-secret '$T/log'"
WD=$(sed -n 's/^workdir=\([^ ]*\) .*/\1/p' "$T/log")
BG=$(sed -n 's/^bg=\([0-9]*\) .*/\1/p' "$T/log")
check "its workdir is removed after the build" until_ok 10 test ! -e "$WD"
zombie_or_gone() { [ ! -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status"; }
check "its background job is killed after the build" until_ok 10 zombie_or_gone "$BG"

pk check "$P/app" >/dev/null 2>&1
# (check answers when the check is asked for, not when its version is stored)
has_version() { pk resources "$P" 2>/dev/null | awk -v r="$1" '$1 == r && $6 ~ /^[0-9]+$/ { f = 1 } END { exit !f }'; }
check "the git resource has a version" until_ok 30 has_version git.app
pk trigger "$P/checkout" >/dev/null
check "a build with a native git get succeeds" until_ok 60 build_is "$P/checkout" 1 succeeded
pk logs "$P/checkout/1" >"$T/log3" 2>&1
sed 's/^/# /' "$T/log3"
check "the task may change the runner's checkout" grep -q "^edited-checkout" "$T/log3"
check "the runner does not read a root-only file through the task's output link" \
    grep -q "^leak=none" "$T/log3"
check "git works in the checkout as the build user" grep -q "^git-log-ok" "$T/log3"
MIRROR="${PIKOCI_CACHE_DIR:-/tmp/pikoci-cache}/git/$(printf '%s' "file://$T/app.git" | sed 's/[^A-Za-z0-9.-]/_/g')/repo"
check "the runner's mirror has packs" bash -c "ls '$MIRROR'/objects/pack/*.pack >/dev/null"
check "the mirror's objects stay the runner's (the checkout's are links of them)" \
    test -z "$(find "$MIRROR/objects" -type f ! -user root)"

pk check "$P/store" >/dev/null 2>&1
check "the fs resource has a version" until_ok 30 has_version fs.store
pk trigger "$P/steal" >/dev/null
check "a get of the store's file as the build user fails" until_ok 60 build_is "$P/steal" 1 failed
pk logs "$P/steal/1" >"$T/log4" 2>&1
sed 's/^/# /' "$T/log4"
check "for want of permission" grep -qi "permission denied" "$T/log4"
check "and the task never saw it" bash -c "! grep -q stolen '$T/log4'"

# a worker of its own, taking the tagged job
"$BIN" worker --broker "$PIKOCI_SERVER" --tags ext --exclusive-tags --concurrency 1 \
    --work-dir "$TMPDIR" --run-as "$U" 2>"$T/worker.log" &
WORKER_PID=$!
pk trigger "$P/who_ext" >/dev/null
check "a worker's build succeeds" until_ok 60 build_is "$P/who_ext" 1 succeeded
pk logs "$P/who_ext/1" >"$T/log2" 2>&1
sed 's/^/# /' "$T/log2"
check "the worker's task runs as $U" grep -q "^uid=$UID_B\$" "$T/log2"
check "in a workdir of its own" grep -q "owner=$U\$" "$T/log2"
check "and cannot read the store" grep -q "^store=denied" "$T/log2"
finish
