#!/usr/bin/env bash
# A user in several teams lists them all: `GET /api/v1/pipelines` and
# `pikoci pipelines` without a team give every pipeline the caller may read
# -- of each team they are a member of, the exposed ones, a global admin's
# all -- each with its team (the CLI adds a TEAM column then); `?team=T` /
# `--team T` narrow to one (400 a malformed name, 404 no team T, 403 no
# member of T); a team the caller has no role in shows neither its private
# pipelines nor its name. Against a real `pikoci server --http`.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
git_repo "$T/app"
start_http_server "$T/server.log" \
    --pipeline-config "$SRC/tests/http/actions.hcl" --pipeline-name ci --var repo="file://$T/app.git" \
    || { finish; }
A="$HTTP/api/v1"
field() { json "$1" <"$T/body"; }
setp() { pk pipelines set "$1" "$SRC/tests/http/actions.hcl" --var repo="file://$T/app.git" --team "$2" >/dev/null; }
for t in blue red green; do pk teams create $t >/dev/null; done
setp bluep blue
setp redp red
setp greenp green
pk pipelines expose greenp >/dev/null
echo 'password-of-carol' | pk users create carol >/dev/null
echo 'password-of-dave!' | pk users create dave >/dev/null
pk teams grant main carol read >/dev/null
pk teams grant blue carol write >/dev/null
pk teams grant red dave read >/dev/null
session() { curl -s -X POST "$A/login" -d "{\"user\":\"$1\",\"password\":\"$2\"}" -c "$T/jar-$1" >/dev/null
            sed -n 's/.*pikoci_session\t*\(pkt_[^\t]*\)$/\1/p' "$T/jar-$1"; }
CAROL=$(session carol password-of-carol)
DAVE=$(session dave 'password-of-dave!')
check "carol and dave have sessions" test -n "$CAROL" -a -n "$DAVE"
as() { local tok=$1; shift; curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $tok" "$@"; }
names='" ".join(sorted("%s:%s" % (p["team"], p["name"]) for p in d))'

# the listing without a team: every team the caller may read
check "carol (main read, blue write): main's, blue's and the exposed green one" \
    test "$(as "$CAROL" "$A/pipelines"; field "$names")" = "200blue:bluep green:greenp main:ci"
check "  and not a word of team red" bash -c "! grep -q red '$T/body'"
check "the cookie session lists the same" \
    test "$(curl -s -b "$T/jar-carol" "$A/pipelines" | json "$names")" = "blue:bluep green:greenp main:ci"
check "dave (red only): red's and the exposed one" \
    test "$(as "$DAVE" "$A/pipelines"; field "$names")" = "200green:greenp red:redp"
check "the global admin: every team's" \
    test "$(code GET "$A/pipelines"; field "$names")" = "200blue:bluep green:greenp main:ci red:redp"
check "anonymous: the exposed one only" \
    test "$(acode GET "$A/pipelines"; field "$names")" = "200green:greenp"

# ?team=T narrows
check "carol ?team=blue: bluep only" test "$(as "$CAROL" "$A/pipelines?team=blue"; field "$names")" = "200blue:bluep"
check "carol ?team=main: ci only" test "$(as "$CAROL" "$A/pipelines?team=main"; field "$names")" = "200main:ci"
check "carol ?team=red: 403" test "$(as "$CAROL" "$A/pipelines?team=red")" = 403
check "  saying she is no member of it" bash -c "grep -q 'not a member of team' '$T/body'"
check "carol ?team=green (exposed greenp, no member): 403 as the CLI" \
    test "$(as "$CAROL" "$A/pipelines?team=green")" = 403
check "?team=nope: 404 no team" test "$(as "$CAROL" "$A/pipelines?team=nope"; field "d['error'].startswith('no team \"nope\"')")" = 404True
check "?team=a%20b: 400" test "$(as "$CAROL" "$A/pipelines?team=a%20b")" = 400
check "?team= (empty): 400" test "$(as "$CAROL" "$A/pipelines?team=")" = 400
check "?team=../x: 400" test "$(as "$CAROL" "$A/pipelines?team=..%2Fx")" = 400
check "the admin ?team=red: redp" test "$(code GET "$A/pipelines?team=red"; field "$names")" = "200red:redp"
check "anonymous ?team=green: greenp" test "$(acode GET "$A/pipelines?team=green"; field "$names")" = "200green:greenp"
check "anonymous ?team=red: nothing" test "$(acode GET "$A/pipelines?team=red"; field "d")" = "200[]"

# the CLI: the same rows, a TEAM column when they are of several teams
PIKOCI_TOKEN=$CAROL pk pipelines >"$T/out" 2>&1
check "pikoci pipelines as carol: a TEAM column" bash -c "head -1 '$T/out' | grep -q '^NAME  *TEAM  *VERSION'"
check "  with bluep of blue, ci of main, greenp of green" \
    bash -c "grep -q '^bluep  *blue ' '$T/out' && grep -q '^ci  *main ' '$T/out' && grep -q '^greenp  *green ' '$T/out'"
check "  and no redp" bash -c "! grep -q red '$T/out'"
check "  --json: the same rows" \
    test "$(PIKOCI_TOKEN=$CAROL pk pipelines --json | json "$names")" = "blue:bluep green:greenp main:ci"
PIKOCI_TOKEN=$CAROL pk pipelines --team blue >"$T/out" 2>&1
check "--team blue: bluep, no TEAM column" \
    bash -c "head -1 '$T/out' | grep -q '^NAME  *VERSION' && grep -q '^bluep ' '$T/out' && ! grep -q '^ci ' '$T/out'"
PIKOCI_TOKEN=$CAROL pk pipelines --team red >/dev/null 2>"$T/err"; rc=$?
check "--team red is refused to carol (4)" test $rc -eq 4
check "  saying she is no member" has "$T/err" 'not a member of team "red"'
pk pipelines --team nope >/dev/null 2>"$T/err"; rc=$?
check "--team nope: no team" has "$T/err" 'no team "nope"'
check "the admin's pikoci pipelines lists redp" bash -c "'$BIN' pipelines | grep -q '^redp  *red '"
check "--help tells the rule" bash -c "'$BIN' pipelines --help | grep -q 'every team you are a member of'"
finish
