#!/usr/bin/env bash
# Identity and access end to end, with the real binary over tcp on loopback
# and an lmdb store: the first-start token the CLI finds by itself; a
# build's task that uses the control port is refused (and audited); an
# anonymous CLI gets exit 4 and a clear message; read / write / maintain
# roles and teams; a revoked token stops at once; one vote per user and
# self_approve = false; only hashes in the store files; the audit log
# survives a restart.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
HERE="$SRC/tests/auth"
export XDG_RUNTIME_DIR="$T/run" XDG_CONFIG_HOME="$T/cfg-admin"
mkdir -m 700 "$T/run"
# as USER ARGS...: the CLI with USER's stored login (its own config dir)
as() { local u=$1; shift; XDG_CONFIG_HOME="$T/cfg-$u" "$BIN" "$@"; }
login() { echo "$2" | as "$1" login --user "$1" >/dev/null 2>&1; }

# 1. first start: admin's token for the CLI of this OS user, mode 0600
start_server "$T/server.log" --run-worker --db-system lmdb --db-path "$T/db" || finish
port=${PIKOCI_SERVER##*:}
check "first start says where admin's token is" has "$T/server.log" "server-$port.token"
check "the token file is mode 0600" test "$(stat -c %a "$T/run/pikoci/server-$port.token")" = 600
check "the lmdb directory keeps it, mode 0600" test "$(stat -c %a "$T/db/admin.token")" = 600
check "the CLI finds it: pipelines exits 0" pk pipelines
check "whoami is admin" bash -c "'$BIN' whoami | grep -q 'admin (global admin)'"
pk pipelines set sec "$HERE/sec.hcl" --var ep="$PIKOCI_SERVER" --var bin="$BIN" \
    --var dir="$HERE" >/dev/null 2>&1
check "admin sets a pipeline" test $? -eq 0
check "admin sets another" pk pipelines set vault "$HERE/vault.hcl"

# 2. anonymous: refused, clear message, exit 4
# (pipelines lists only exposed pipelines to the anonymous: none here)
XDG_RUNTIME_DIR="$T/nowhere" pk pipelines --json >"$T/out" 2>"$T/err"; rc=$?
check "anonymous pipelines lists no private pipeline" test "$rc $(cat "$T/out")" = "0 []"
XDG_RUNTIME_DIR="$T/nowhere" pk jobs sec >"$T/out" 2>"$T/err"; rc=$?
check "anonymous jobs exits 4" test $rc -eq 4
check "anonymous is told to log in" has "$T/err" "not logged in: run \`pikoci login"
PIKOCI_IN_BUILD=1 pk trigger vault/secret >"$T/out" 2>"$T/err"; rc=$?
check "with the build marker the CLI finds no token: exit 4" test $rc -eq 4
pk builds vault/secret --token pkt_0000000000000000000000000000000000000000000000000000000000000000 \
    >"$T/out" 2>"$T/err"; rc=$?
check "an unknown token exits 4" test $rc -eq 4
check "an unknown token is called not valid" has "$T/err" "token is not valid"

# 3. a build's task cannot use the control port
pk trigger vault/secret >/dev/null 2>&1
check "secret #1 succeeds" until_ok 60 build_is vault/secret 1 succeeded
pk trigger sec/evil >/dev/null 2>&1
check "evil #1 finishes" until_ok 60 build_is sec/evil 1 succeeded
pk logs sec/evil/1 >"$T/evil.log" 2>&1
check "the build has the marker" has "$T/evil.log" "marker=1"
check "the build got no PIKOCI_TOKEN" has "$T/evil.log" "tokens=0"
check "the build's pipelines set is refused (4)" has "$T/evil.log" "set-rc=4"
check "the build's trigger is refused (4)" has "$T/evil.log" "trigger-rc=4"
check "the build's logs of another pipeline are refused (4)" has "$T/evil.log" "logs-rc=4"
check "the build never read the secret" bash -c "! grep -q the-secret-value '$T/evil.log'"
check "no pipeline evil was made" bash -c "! '$BIN' pipelines | grep -q '^evil '"
check "secret has only the build admin asked for" bash -c "! '$BIN' builds vault/secret | grep -q '^2 '"
pk audit --user anonymous --json >"$T/audit.json"
for a in pipeline.set:evil trigger:vault/secret logs:vault/secret/1; do
    check "audit: the build's ${a%%:*} refused" test "$(json "len([e for e in d if e['action']=='${a%%:*}' and e['target']=='${a#*:}' and e['result']=='refused'])" <"$T/audit.json")" -ge 1
done

# 4. roles: read lists and reads logs, cannot trigger; write triggers, cannot set
echo readerpass1 | pk users create reader >/dev/null 2>&1
echo writerpass1 | pk users create writer >/dev/null 2>&1
pk teams grant main reader read >/dev/null 2>&1
pk teams grant main writer write >/dev/null 2>&1
check "reader logs in" login reader readerpass1
check "writer logs in" login writer writerpass1
check "the login token file is mode 0600" test "$(stat -c %a "$T/cfg-reader/pikoci/token-tcp___127.0.0.1_$port")" = 600
echo wrongpass1 | as writer login --user writer >/dev/null 2>"$T/err"; rc=$?
check "a wrong password exits 4" test $rc -eq 4
check "reader lists pipelines" bash -c "XDG_CONFIG_HOME='$T/cfg-reader' '$BIN' pipelines | grep -q '^sec '"
check "reader reads logs" bash -c "XDG_CONFIG_HOME='$T/cfg-reader' '$BIN' logs vault/secret/1 | grep -q the-secret-value"
as reader trigger vault/secret >"$T/out" 2>"$T/err"; rc=$?
check "reader cannot trigger (4)" test $rc -eq 4
check "reader is told the role needed" has "$T/err" "trigger needs the role write"
check "writer triggers" as writer trigger vault/secret
as writer pipelines set other "$HERE/plain.hcl" >"$T/out" 2>"$T/err"; rc=$?
check "writer cannot set a pipeline (4)" test $rc -eq 4
check "writer is told the role needed" has "$T/err" "pipeline.set needs the role maintain"
as writer users list >/dev/null 2>&1; rc=$?
check "writer cannot list users (4)" test $rc -eq 4

# 5. teams: a pipeline of team other is invisible and out of reach for main's members
pk teams create other >/dev/null 2>&1
check "admin sets a pipeline in team other" pk pipelines set oth "$HERE/plain.hcl" --team other
check "admin sees it with --team other" bash -c "'$BIN' pipelines --team other | grep -q '^oth '"
# without --team a user lists every team they may read: the global admin all
check "the global admin's list shows it" bash -c "'$BIN' pipelines | grep -q '^oth '"
check "main's reader's list does not" bash -c "! XDG_CONFIG_HOME='$T/cfg-reader' '$BIN' pipelines | grep -q '^oth '"
as reader builds oth/x >/dev/null 2>&1; rc=$?
check "reader cannot read team other's builds (4)" test $rc -eq 4
as reader pipelines --team other >/dev/null 2>&1; rc=$?
check "reader cannot list team other (4)" test $rc -eq 4
pk builds oth/x >/dev/null 2>"$T/err"; rc=$?
check "pipeline names are global: admin reaches oth/x without --team" test $rc -eq 0
pk builds oth/x --team main >/dev/null 2>"$T/err"; rc=$?
check "--team main for a pipeline of other is refused" test $rc -eq 4
check "... saying which team it belongs to" has "$T/err" "belongs to team \"other\""
pk teams revoke main admin >/dev/null 2>"$T/err"; rc=$?
check "a team keeps its last admin" has "$T/err" "only admin of team \"main\""

# 6. a token revoked mid-session stops at once
tok=$(as writer tokens create --label ci 2>/dev/null)
check "tokens create prints a token" test -n "$tok"
check "the new token works" as writer builds vault/secret --token "$tok"
id=$(as writer tokens list --json | json "[t['id'] for t in d if t['label']=='ci'][0]")
check "writer revokes it" as writer tokens revoke "$id"
as writer builds vault/secret --token "$tok" >/dev/null 2>&1; rc=$?
check "the revoked token is refused at its next request (4)" test $rc -eq 4
as reader tokens revoke "$id" >/dev/null 2>&1; rc=$?
check "nobody revokes a token twice" test $rc -eq 1

# 7. approvals are people: one vote per user, not the triggerer's
echo m1pass1234 | pk users create m1 >/dev/null 2>&1
echo m2pass1234 | pk users create m2 >/dev/null 2>&1
pk teams grant main m1 maintain >/dev/null 2>&1
pk teams grant main m2 maintain >/dev/null 2>&1
login m1 m1pass1234; login m2 m2pass1234
check "m1 triggers gated" as m1 trigger sec/gated
check "gated #1 waits" until_ok 10 build_is sec/gated 1 waiting_for_approval
as m1 approve sec/gated/1 >"$T/out" 2>"$T/err"; rc=$?
check "the triggerer may not approve (self_approve = false)" test $rc -eq 1
check "... and is told why" has "$T/err" "self_approve = false"
check "m2 approves" as m2 approve sec/gated/1
as m2 approve sec/gated/1 >"$T/out" 2>"$T/err"; rc=$?
check "m2 approving again is refused" test $rc -eq 1
check "... one vote per user" has "$T/err" "one vote per user"
check "gated #1 still waits (1 of 2)" build_is sec/gated 1 waiting_for_approval
check "admin approves: the second person" pk approve sec/gated/1
check "gated #1 then runs" until_ok 60 build_is sec/gated 1 succeeded

# 8. only hashes in the store: no token or password in any LMDB file
rtok=$(cat "$T/cfg-reader/pikoci/token-tcp___127.0.0.1_$port")
atok=$(cat "$T/db/admin.token")
for f in "$T"/db/*.mdb; do
    for s in "$rtok" "$atok" "$tok" readerpass1 writerpass1 m1pass1234; do
        check "$(basename "$f") holds no ${s:0:8}..." bash -c "! grep -qaF -- '$s' '$f'"
    done
done

# 9. the audit log and the users survive a restart
pk audit --json >"$T/before.json"
stop_server
# the same port: stored logins are per server endpoint
start_server "$T/server2.log" --run-worker --db-system lmdb --db-path "$T/db" \
    --listen "$PIKOCI_SERVER" || finish
check "the restarted server has the same endpoint" test "${PIKOCI_SERVER##*:}" = "$port"
check "after a restart the CLI still finds admin's token" pk pipelines
check "after a restart reader's login still works" bash -c "XDG_CONFIG_HOME='$T/cfg-reader' '$BIN' whoami | grep -q '^reader'"
pk audit --user anonymous --action trigger --json >"$T/after.json"
check "the refused build trigger is still in the audit log" test "$(json "len([e for e in d if e['target']=='vault/secret' and e['result']=='refused'])" <"$T/after.json")" -ge 1
pk audit --limit 2 --json >"$T/page1.json"
check "audit --limit 2 gives 2 entries" test "$(json 'len(d)' <"$T/page1.json")" -eq 2
last=$(json 'd[-1]["time_ms"]' <"$T/page1.json")
pk audit --limit 2 --before "$last" --json >"$T/page2.json"
check "the next page is older" test "$(json "all(e['time_ms'] < $last for e in d)" <"$T/page2.json")" = True
check "logins are audited" test "$(pk audit --action login --json | json "len([e for e in d if e['user']=='reader' and e['result']=='ok'])")" -ge 1
as writer logout >/dev/null 2>&1
check "logout forgets the token" test ! -e "$T/cfg-writer/pikoci/token-tcp___127.0.0.1_$port"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; rc=$?
check "the server exits 0 (nothing leaked under ASan)" test $rc -eq 0
check "a stopped server leaves no token file for the CLI" test ! -e "$T/run/pikoci/server-$port.token"
finish
