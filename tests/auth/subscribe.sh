#!/usr/bin/env bash
# Event subscriptions and the broker's own ops are authorised (issue #17):
# a network client's subscribe / broker.* goes through control's access
# table before the broker acts. Anonymous clients (a build's task) get a
# refusal and no events; a reader of another team cannot follow a
# pipeline's live log; prefixes that span pipelines need a global admin;
# the admin still follows logs (logs -f, trigger --watch); pikoci workers
# works for any user and is refused anonymously; prune needs an admin.
# Usage: subscribe.sh SUBPEER (tests/auth/subpeer.c)
set -uo pipefail
SUB=${1:?usage: subscribe.sh SUBPEER}
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
HERE="$SRC/tests/auth"
export XDG_RUNTIME_DIR="$T/run" XDG_CONFIG_HOME="$T/cfg-admin"
mkdir -m 700 "$T/run"
as() { local u=$1; shift; XDG_CONFIG_HOME="$T/cfg-$u" "$BIN" "$@"; }
anon() { env -u PIKOCI_TOKEN PIKOCI_IN_BUILD=1 "$BIN" "$@"; }

start_server "$T/server.log" --run-worker --db-system lmdb --db-path "$T/db" || finish
port=${PIKOCI_SERVER##*:}
ADMIN=$(cat "$T/run/pikoci/server-$port.token")
check "admin sets the pipeline" pk pipelines set slow "$HERE/slow.hcl"
pk teams create blue >/dev/null 2>&1
echo otherpass1 | pk users create other >/dev/null 2>&1
pk teams grant blue other read >/dev/null 2>&1
echo otherpass1 | as other login --user other >/dev/null 2>&1
check "other logs in" test -s "$T/cfg-other/pikoci/token-tcp___127.0.0.1_$port"
OTHER=$(cat "$T/cfg-other/pikoci/token-tcp___127.0.0.1_$port")

# 1. raw subscribers while a build writes its log
"$SUB" "$PIKOCI_SERVER" "log." 12 >"$T/anon-all" 2>&1 &
p1=$!
"$SUB" "$PIKOCI_SERVER" "log.build:slow/" 12 >"$T/anon-slow" 2>&1 &
p2=$!
"$SUB" "$PIKOCI_SERVER" "log.build:slow/" 12 "$OTHER" >"$T/other-slow" 2>&1 &
p3=$!
"$SUB" "$PIKOCI_SERVER" "build." 12 "$OTHER" >"$T/other-build" 2>&1 &
p4=$!
"$SUB" "$PIKOCI_SERVER" "log.build:slow/" 12 "$ADMIN" >"$T/admin-slow" 2>&1 &
p5=$!
"$SUB" "$PIKOCI_SERVER" "build." 12 "$ADMIN" >"$T/admin-build" 2>&1 &
p6=$!
check "the admin's subscription is made" until_ok 10 has "$T/admin-slow" subscribed
check "the anonymous one is answered" until_ok 10 grep -q refused "$T/anon-slow"
check "admin triggers slow/x with --watch" bash -c "'$BIN' trigger slow/x --watch >'$T/watch' 2>&1"
check "trigger --watch wrote the live log" has "$T/watch" "slow-line-4"
wait $p1 $p2 $p3 $p4 $p5 $p6
check "anonymous log. is refused" has "$T/anon-all" "denied"
check "anonymous log. got no events" has "$T/anon-all" "events 0"
check "anonymous log.build:slow/ is refused" has "$T/anon-slow" "denied"
check "anonymous log.build:slow/ got no events" has "$T/anon-slow" "events 0"
check "another team's reader is refused slow's log" has "$T/other-slow" "denied"
check "... told it is not a member of team main" has "$T/other-slow" 'not a member of team "main"'
check "... and got no events" has "$T/other-slow" "events 0"
check "another team's reader is refused build. (spans pipelines)" has "$T/other-build" "needs a global admin"
check "... and got no events" has "$T/other-build" "events 0"
check "the admin got slow's log events" has "$T/admin-slow" "event log.build:slow/x/"
check "the admin got build. events" has "$T/admin-build" "event build."

# 2. the CLI: logs -f anonymously refused (exit 4), the admin follows
anon logs -f slow/x/1 >"$T/out" 2>"$T/err"; rc=$?
check "anonymous logs -f exits 4" test $rc -eq 4
pk trigger slow/x >/dev/null 2>&1
check "admin logs -f follows build 2 to its end" bash -c "timeout 60 '$BIN' logs -f slow/x/2 >'$T/follow' 2>&1"
check "... with every line" has "$T/follow" "slow-line-4"
check "a reader of slow's team follows too" bash -c "echo readpass1 | '$BIN' users create rd >/dev/null 2>&1 && '$BIN' teams grant main rd read >/dev/null 2>&1 && echo readpass1 | XDG_CONFIG_HOME='$T/cfg-rd' '$BIN' login --user rd >/dev/null 2>&1 && XDG_CONFIG_HOME='$T/cfg-rd' timeout 60 '$BIN' logs -f slow/x/2 | grep -q slow-line-4"

# 3. the broker's ops: any user, never anonymous; prune needs an admin
check "pikoci workers works for another team's reader" as other workers
check "pikoci workers --pending works for it" as other workers --pending
anon workers >"$T/out" 2>"$T/err"; rc=$?
check "anonymous pikoci workers exits 4" test $rc -eq 4
as other workers prune >"$T/out" 2>"$T/err"; rc=$?
check "a reader's workers prune exits 4" test $rc -eq 4
check "... told it needs a global admin" has "$T/err" "needs a global admin"
check "the admin prunes" pk workers prune
pk audit --json >"$T/audit.json"
check "audit: the refused subscriptions" test "$(json "len([e for e in d if e['action']=='subscribe' and e['result']=='refused'])" <"$T/audit.json")" -ge 4
check "audit: the refused prune" test "$(json "len([e for e in d if e['action']=='broker.workers.prune' and e['result']=='refused'])" <"$T/audit.json")" -ge 1
check "audit: the admin's prune" test "$(json "len([e for e in d if e['action']=='broker.workers.prune' and e['result']=='ok'])" <"$T/audit.json")" -ge 1
finish
