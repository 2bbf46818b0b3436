#!/usr/bin/env bash
# Public pipelines (issue #18): `pikoci pipelines expose P` makes P readable
# without login -- jobs, builds, logs, resources, versions and its events --
# with its source, variables and webhook tokens never shown; other
# pipelines stay 401 for the anonymous and absent from their lists; `hide`
# undoes it; both need maintain and are audited. Against a real server.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
git_repo "$T/app"
start_http_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/http/actions.hcl" --pipeline-name ci --var repo="file://$T/app.git" \
    || { finish; }
pk pipelines set other "$SRC/tests/http/actions.hcl" --var repo="file://$T/app.git" >/dev/null
echo 'password-of-alice' | pk users create alice >/dev/null
pk teams grant main alice write >/dev/null
A="$HTTP/api/v1"
field() { json "$1" <"$T/body"; }
pk trigger ci/ask >/dev/null
check "ci/ask #1 succeeds" until_ok 30 build_is ci/ask 1 succeeded
pk check ci/app >/dev/null 2>&1
check "ci's git resource has a version" until_ok 30 \
    bash -c "curl -s -H 'Authorization: Bearer $ADMIN_TOKEN' '$A/pipelines/ci/resources/app/versions' | grep -q '\"id\"'"

check "anonymous: the pipeline list is empty" test "$(acode GET "$A/pipelines"; field "d")" = "200[]"
check "anonymous jobs of a private pipeline: 401" test "$(acode GET "$A/pipelines/ci/jobs")" = 401

AC=$(curl -s -X POST "$A/login" -d '{"user":"alice","password":"password-of-alice"}' -c "$T/jar" | json "d['csrf']")
check "expose by a write user: 403" \
    test "$(curl -s -b "$T/jar" -H "X-CSRF-Token: $AC" -o /dev/null -w '%{http_code}' -X POST "$A/pipelines/ci/expose")" = 403
check "expose of no such pipeline: 404" test "$(code POST "$A/pipelines/nope/expose")" = 404
check "pikoci pipelines expose ci" bash -c "'$BIN' pipelines expose ci | grep -q exposed"
check "--help tells of expose and hide" bash -c "'$BIN' pipelines --help | grep -q 'expose NAME | hide NAME'"

check "anonymous: the list shows ci only" test "$(acode GET "$A/pipelines"; field "[p['name'] for p in d]")" = '200["ci"]'
check "  exposed, with its team" test "$(field "d[0]['exposed'] is True and d[0]['team'] == 'main'")" = True
check "admin: both, other not exposed" \
    test "$(code GET "$A/pipelines"; field "' '.join('%s=%s' % (p['name'], p['exposed']) for p in sorted(d, key=lambda p: p['name']))")" = "200ci=True other=False"
# a user of no team sees what the anonymous see, one of another team that
# team's too (they were refused: "pipelines" asked about team main)
echo 'password-of-nomad' | pk users create nomad >/dev/null
echo 'password-of-bobby' | pk users create bob >/dev/null
pk teams create blue >/dev/null
pk teams grant blue bob read >/dev/null
pk pipelines set bluep "$SRC/tests/http/actions.hcl" --var repo="file://$T/app.git" --team blue >/dev/null
session() { curl -s -X POST "$A/login" -d "{\"user\":\"$1\",\"password\":\"$2\"}" -c "$T/jar-$1" >/dev/null
            sed -n 's/.*pikoci_session\t*\(pkt_[^\t]*\)$/\1/p' "$T/jar-$1"; }
NOMAD=$(session nomad password-of-nomad)
BOB=$(session bob password-of-bobby)
check "nomad and bob have sessions" test -n "$NOMAD" -a -n "$BOB"
check "a user of no team: GET pipelines is 200, the exposed ci only" \
    test "$(acode GET "$A/pipelines" -H "Authorization: Bearer $NOMAD"; field "[p['name'] for p in d]")" = '200["ci"]'
check "  and so is pikoci pipelines" \
    test "$(PIKOCI_TOKEN=$NOMAD pk pipelines --json | json "[p['name'] for p in d]")" = '["ci"]'
check "a user of team blue only: blue's and the exposed" \
    test "$(acode GET "$A/pipelines" -H "Authorization: Bearer $BOB"; field "sorted(p['name'] for p in d)")" = '200["bluep", "ci"]'
PIKOCI_TOKEN=$BOB pk pipelines --team main >/dev/null 2>"$T/err"; rc=$?
check "  but pikoci pipelines --team main is still refused to them" \
    test "$([ $rc -ne 0 ] && echo refused) $(grep -c 'not a member of team "main"' "$T/err")" = "refused 1"
check "alice (of main) still lists main's" \
    test "$(acode GET "$A/pipelines" -b "$T/jar"; field "sorted(p['name'] for p in d)")" = '200["ci", "other"]'
check "anonymous overview shows ci only" \
    bash -c "curl -s '$A/overview' | grep -q '\"ci\"' && ! curl -s '$A/overview' | grep -q '\"other\"'"
for path in jobs resources resources/app/versions jobs/ask/builds jobs/ask/builds/1 \
            "jobs/ask/builds/1/log?offset=0"; do
    check "anonymous GET ci/$path: 200" test "$(acode GET "$A/pipelines/ci/$path")" = 200
    check "  with no repository URL in it" bash -c "! grep -q 'app.git' '$T/body'"
    cat "$T/body" >>"$T/all"
done
check "the log is there" grep -q 'target=staging' "$T/all"
tok=$(pk resources ci --json | json "[r.get('webhook_token') or '' for r in d][0]" 2>/dev/null)
check "no webhook token in what the public saw" bash -c "[ -z '$tok' ] || ! grep -q '$tok' '$T/all'"
check "anonymous: the other pipeline still 401" test "$(acode GET "$A/pipelines/other/jobs")" = 401
check "anonymous trigger of the exposed pipeline: 401" \
    test "$(acode POST "$A/pipelines/ci/jobs/ask/trigger")" = 401
PIKOCI_IN_BUILD=1 PIKOCI_TOKEN= "$BIN" pipelines get ci --json >"$T/get" 2>&1
check "anonymous pipeline.get: no source, no vars" \
    bash -c "grep -q '\"source\": *null' '$T/get' && grep -q '\"vars\": *null' '$T/get' && ! grep -q 'app.git' '$T/get'"
check "the admin's pipeline.get has them" bash -c "pk() { '$BIN' \"\$@\"; }; '$BIN' pipelines get ci | grep -q 'resource \"git\"'"

# a live log and the change events, anonymous
check "anonymous log stream of an exposed build ends" \
    bash -c "curl -s -N --max-time 10 '$A/pipelines/ci/jobs/ask/builds/1/log/stream' | grep -q 'event: end'"
curl -s -N --max-time 12 "$A/events" >"$T/anon.sse" &
anon=$!
acurl -s -N --max-time 12 "$A/events" >"$T/admin.sse" &
admin=$!
curl -s -N --max-time 12 -H "Authorization: Bearer $NOMAD" "$A/events" >"$T/nomad.sse" &
nomad=$!
sleep 1      # the streams join the hub (nothing to wait on from here)
pk trigger ci/ask >/dev/null; pk trigger other/ask >/dev/null
check "ci/ask #2 and other/ask #1 succeed" until_ok 30 \
    bash -c "build_is() { [ \"\$('$BIN' builds \$1 --json | python3 -c 'import json,sys; print(\"\".join(b[\"status\"] for b in json.load(sys.stdin) if b[\"number\"] == sys.argv[1]))' \$2)\" = succeeded ]; }; build_is ci/ask 2 && build_is other/ask 1"
wait $anon $admin $nomad
check "the admin's events tell of both pipelines" \
    bash -c "grep -q '\"pipeline\":\"ci\"' '$T/admin.sse' && grep -q '\"pipeline\":\"other\"' '$T/admin.sse'"
check "the anonymous events tell of ci only" \
    bash -c "grep -q '\"pipeline\":\"ci\"' '$T/anon.sse' && ! grep -q '\"pipeline\":\"other\"' '$T/anon.sse'"

check "the events of a user of no team tell of ci only" \
    bash -c "grep -q '\"pipeline\":\"ci\"' '$T/nomad.sse' && ! grep -q '\"pipeline\":\"other\"' '$T/nomad.sse'"

check "POST /pipelines/ci/hide" test "$(code POST "$A/pipelines/ci/hide"; field "d['exposed']")" = 200False
check "anonymous: ci is 401 again" test "$(acode GET "$A/pipelines/ci/jobs")" = 401
check "anonymous: the list is empty again" test "$(acode GET "$A/pipelines"; field "d")" = "200[]"
pk audit --json >"$T/audit"
check "the audit log has expose and hide" \
    bash -c "grep -q 'pipeline.expose' '$T/audit' && grep -q 'pipeline.hide' '$T/audit'"
finish
