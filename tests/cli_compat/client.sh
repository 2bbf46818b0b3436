#!/usr/bin/env bash
# PikoCI's `pikoci client NOUN VERB` lines (its CLI.md) against a real
# server: each does what the pikoci command it maps to does -- the same
# JSON, the same exit code, the same effect -- whichever of PikoCI's
# spellings is used (-p/-pn/--pipeline-name, -j/-jn/--job-name, -n, -t/-tc).
# Forms with no counterpart answer "not available yet" with exit 2.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
D=$SRC/tests/cli_compat
same() {    # same NAME "PIKOCI-FORM-ARGS" "OWN-FORM-ARGS": equal stdout, stderr and exit code
    local name=$1
    eval "pk client $2" >"$T/a" 2>"$T/ae"; local ra=$?
    eval "pk $3" >"$T/b" 2>"$T/be"; local rb=$?
    check "$name: exit $ra = $rb" test $ra -eq $rb
    check "$name: same output" cmp -s "$T/a" "$T/b"
    check "$name: same messages" cmp -s "$T/ae" "$T/be"
}
not_yet() { # not_yet ARGS...: exit 2 and "not available yet"
    pk client "$@" >"$T/out" 2>"$T/err"; local rc=$?
    check "client $*: exit 2" test $rc -eq 2
    check "client $*: not available yet" has "$T/err" "not available yet"
}

git_repo "$T/app"
start_server "$T/server.log" --run-worker --pipeline-config "$D/compat.hcl" \
    --pipeline-name compat --var repo="file://$T/app.git" || finish

# 1. pipelines
same "pipelines list" "pipelines list" "pipelines list --json"
same "pipelines list --table" "pipelines list --table" "pipelines list"
same "pipelines get -n" "pipelines get -n compat" "pipelines get compat --json"
same "pipelines get -p" "pipelines get -p compat" "pipelines get compat --json"
same "pipelines get -pn -tc main" "pipelines get -tc main -pn compat" "pipelines get compat --json"
same "pipelines get --name --team-canonical" "--team-canonical main pipelines get --name compat" \
    "pipelines get compat --json"
same "--opt=VALUE spellings" "--team-canonical=main pipelines get --name=compat --server=\$PIKOCI_SERVER" \
    "pipelines get compat --json"
pk client pipelines create -n p2 -c "$D/compat.hcl" -v "$D/vars.json" >"$T/out" 2>&1; rc=$?
check "pipelines create exits 0" test $rc -eq 0
check "pipelines create set p2 with the vars file" \
    bash -c "'$BIN' pipelines get p2 --json | grep -q bonjour"
pk client pipelines update -n p2 -c "$D/compat.hcl" --var greeting=salut >"$T/out" 2>&1; rc=$?
check "pipelines update exits 0" test $rc -eq 0
check "pipelines update set version 2 with --var" \
    bash -c "'$BIN' pipelines get p2 --json | grep -q salut && '$BIN' pipelines --json | grep -q '\"version\": *2'"
same "pipelines pause -n" "pipelines pause -n p2" "pipelines pause p2 --json"
same "pipelines unpause -n" "pipelines unpause -n p2" "pipelines unpause p2 --json"
pk client pipelines delete -n p2 >"$T/out" 2>&1; rc=$?
check "pipelines delete exits 0" test $rc -eq 0
check "pipelines delete removed p2" bash -c "! '$BIN' pipelines --json | grep -q '\"p2\"'"
same "pipelines get of a removed pipeline: refused alike" "pipelines get -n p2" "pipelines get p2 --json"
pk client pipelines create -c "$D/compat.hcl" >"$T/out" 2>"$T/err"; rc=$?
check "pipelines create without -n exits 2" test $rc -eq 2
check "and says which option is missing" has "$T/err" "needs -p PIPELINE (or -n NAME)"
same "pipelines graph -n (DOT, as PikoCI's)" "pipelines graph -n compat" "graph compat"
same "pipelines graph -f dot" "pipelines graph -p compat -f dot" "graph compat"
not_yet pipelines rename -n compat --new-name other
not_yet pipelines update -n compat -c "$D/compat.hcl" --public

# 2. jobs and builds
pk client jobs trigger -tc main -pn compat -n hello >"$T/out" 2>&1; rc=$?
check "jobs trigger -tc -pn -n exits 0" test $rc -eq 0
check "jobs trigger answers JSON with the build number" has "$T/out" '"number"'
check "hello #1 succeeds" until_ok 60 build_is compat/hello 1 succeeded
same "jobs get" "jobs get -p compat -j hello" "builds compat/hello --json"
same "builds list" "builds list --team-canonical main --pipeline-name compat --job-name hello" \
    "builds compat/hello --json"
same "builds get --build-number" \
    "builds get --team-canonical main --pipeline-name compat --job-name hello --build-number 1" \
    "build compat/hello/1 --json"
same "builds get -b" "builds get -p compat -j hello -b 1" "build compat/hello/1 --json"
same "builds approve (refused alike)" "builds approve -p compat -j hello -b 1 -m ok" \
    "approve compat/hello/1 --message ok --json"
same "builds reject (refused alike)" "builds reject -p compat -j hello -b 1 --message no" \
    "reject compat/hello/1 --message no --json"
pk client builds retry -p compat -j hello -b 1 >"$T/out" 2>&1; rc=$?
check "builds retry exits 0" test $rc -eq 0
check "builds retry made 1.1" until_ok 60 build_is compat/hello 1.1 succeeded
pk client jobs trigger -p compat -j long >"$T/out" 2>&1; rc=$?
check "jobs trigger -p -j exits 0" test $rc -eq 0
check "long #1 starts" until_ok 60 build_is compat/long 1 started
pk client builds cancel -p compat -j long -b 1 >"$T/out" 2>&1; rc=$?
check "builds cancel exits 0" test $rc -eq 0
check "long #1 is cancelled" until_ok 30 build_is compat/long 1 cancelled
same "jobs pause" "jobs pause -p compat -n long" "pause compat/long --json"
same "jobs unpause" "jobs unpause -p compat -j long" "unpause compat/long --json"
not_yet builds delete -p compat -j hello -b 1
pk client builds get -p compat -j hello >"$T/out" 2>"$T/err"; rc=$?
check "builds get without -b exits 2" test $rc -eq 2
check "and names -b NUMBER" has "$T/err" "needs -b NUMBER"
pk client builds get -p compat -j hello -b 1 -r app >"$T/out" 2>"$T/err"; rc=$?
check "an option the verb does not take exits 2" test $rc -eq 2

# 3. resources
pk client resources trigger --team-canonical main --pipeline-name compat \
    --resource-canonical app >"$T/out" 2>&1; rc=$?
check "resources trigger exits 0" test $rc -eq 0
check "the check finds the commit" until_ok 60 bash -c "'$BIN' versions compat/app --json | grep -q '\"id\"'"
same "resources versions" "resources versions -p compat -r git.app" "versions compat/git.app --json"
token() { pk resources compat --json | json "[r['webhook_token'] for r in d if r['name'] in ('app','git.app')][0]"; }
before=$(token)
pk client resources webhook-regenerate -p compat -r app >"$T/out" 2>&1; rc=$?
check "resources webhook-regenerate exits 0" test $rc -eq 0
check "resources webhook-regenerate made a new token" test "$(token)" != "$before"
check "and answered it" has "$T/out" "$(token)"
not_yet resources get -p compat -r app

# 4. teams, urls, nouns pikoci lacks, help
same "-t TEAM is --team TEAM" "jobs get -t main -p compat -j hello" "builds compat/hello --team main --json"
pk client pipelines list -t other >"$T/out" 2>"$T/err"; rc=$?
pk pipelines --team other --json >"$T/out2" 2>"$T/err2"; rc2=$?
check "-t other: the same answer as --team other" bash -c "test $rc -eq $rc2 && cmp -s '$T/out' '$T/out2' && cmp -s '$T/err' '$T/err2'"
endpoint=${PIKOCI_SERVER#tcp://}
env -u PIKOCI_SERVER "$BIN" client -u "$endpoint" pipelines list >"$T/a" 2>&1; rc=$?
check "-u HOST:PORT reaches the server" test $rc -eq 0
check "-u: the same list" bash -c "'$BIN' pipelines --json | cmp -s - '$T/a'"
env -u PIKOCI_SERVER "$BIN" client --url "$PIKOCI_SERVER" pipelines list >"$T/b" 2>&1; rc=$?
check "--url tcp://HOST:PORT reaches the server" bash -c "test $rc -eq 0 && cmp -s '$T/a' '$T/b'"
pk client --url http://localhost:8080 pipelines list >"$T/out" 2>"$T/err"; rc=$?
check "--url http://... exits 2 with the reason" bash -c "test $rc -eq 2 && grep -q 'broker' '$T/err'"
for noun in users teams api-tokens export triggers; do not_yet $noun list; done
not_yet -u localhost:8080 login -u admin -p admin123
not_yet --jwt x pipelines list
pk client nosuch list >"$T/out" 2>"$T/err"; rc=$?
check "an unknown noun exits 2" test $rc -eq 2
pk client pipelines frobnicate >"$T/out" 2>"$T/err"; rc=$?
check "an unknown verb exits 2 and lists the verbs" bash -c "test $rc -eq 2 && grep -q 'create' '$T/err'"
pk client --help >"$T/out"; rc=$?
check "client --help exits 0" test $rc -eq 0
check "client --help maps builds get" has "$T/out" "= pikoci build PIPELINE/JOB/NUMBER"
pk client builds get --help >"$T/out"; rc=$?
check "client builds get --help exits 0 with both helps" \
    bash -c "test $rc -eq 0 && grep -q 'is: pikoci build' '$T/out' && grep -q 'usage: pikoci build ' '$T/out'"
finish
