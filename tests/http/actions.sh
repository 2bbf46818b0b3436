#!/usr/bin/env bash
# Every action route of the web API does what it says (issue #18), asked
# with a Bearer token against a real server: trigger with inputs (and
# versions passed on), cancel, retry, approve, reject (with its message),
# pin/unpin, pause/unpause of a pipeline and a job, check now; errors are
# {"error"} with 400/404/409.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
git_repo "$T/app"
start_http_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/http/actions.hcl" --pipeline-name ci --var repo="file://$T/app.git" \
    || { finish; }
A="$HTTP/api/v1/pipelines/ci"
field() { json "$1" <"$T/body"; }
post() { code POST "$@" -H 'Content-Type: application/json'; }
bfield() {  # bfield JOB N EXPR: EXPR on build N of JOB (b)
    acurl -s "$A/jobs/$1/builds/$2" | json "(lambda b: $3)(d)"
}

# trigger with inputs (and versions, passed on to the scheduler)
check "trigger with inputs: 200" test "$(post "$A/jobs/ask/trigger" -d '{"inputs":{"target":"prod"}}')" = 200
check "  answers the build" test "$(field "d['number']")" = 1
check "ask #1 succeeds" until_ok 30 build_is ci/ask 1 succeeded
check "  with the input given" test "$(bfield ask 1 "b['inputs']['target']")" = prod
check "  and it is in its log" bash -c "pk() { :; }; curl -s -H 'Authorization: Bearer $ADMIN_TOKEN' '$A/jobs/ask/builds/1/log' | grep -q target=prod"
check "trigger with no body: the default input" test "$(post "$A/jobs/ask/trigger")" = 200
check "ask #2 succeeds with staging" until_ok 30 bash -c "[ \"\$(curl -s -H 'Authorization: Bearer $ADMIN_TOKEN' '$A/jobs/ask/builds/2' | python3 -c 'import json,sys; b=json.load(sys.stdin); print(b[\"status\"], b[\"inputs\"][\"target\"])')\" = 'succeeded staging' ]"
check "inputs that are no object: 400" test "$(post "$A/jobs/ask/trigger" -d '{"inputs":[1]}')" = 400

# cancel
check "trigger slow" test "$(post "$A/jobs/slow/trigger")" = 200
check "slow #1 starts" until_ok 30 build_is ci/slow 1 started
check "cancel: 200" test "$(post "$A/jobs/slow/builds/1/cancel")" = 200
check "slow #1 ends cancelled" until_ok 30 bash -c "s=\$(curl -s -H 'Authorization: Bearer $ADMIN_TOKEN' '$A/jobs/slow/builds/1' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"status\"])'); [ \"\$s\" = aborted ] || [ \"\$s\" = cancelled ]"
check "cancel again: 409" test "$(post "$A/jobs/slow/builds/1/cancel")" = 409

# retry
post "$A/jobs/flaky/trigger" >/dev/null
check "flaky #1 fails" until_ok 30 build_is ci/flaky 1 failed
check "retry: 200" test "$(post "$A/jobs/flaky/builds/1/retry")" = 200
check "  a retry build, 1.1" until_ok 30 bash -c "curl -s -H 'Authorization: Bearer $ADMIN_TOKEN' '$A/jobs/flaky/builds' | grep -q '\"number\":\"1.1\"'"

# approve / reject
post "$A/jobs/gate/trigger" >/dev/null
check "gate #1 waits for approval" until_ok 30 build_is ci/gate 1 waiting_for_approval
check "approve with a message: 200" test "$(post "$A/jobs/gate/builds/1/approve" -d '{"message":"ship it"}')" = 200
check "gate #1 succeeds" until_ok 30 build_is ci/gate 1 succeeded
post "$A/jobs/gate/trigger" >/dev/null
check "gate #2 waits" until_ok 30 build_is ci/gate 2 waiting_for_approval
check "reject without a message: 400" test "$(post "$A/jobs/gate/builds/2/reject")" = 400
check "reject with one: 200" test "$(post "$A/jobs/gate/builds/2/reject" -d '{"message":"not today"}')" = 200
check "gate #2 ends, not succeeded" until_ok 30 bash -c "s=\$(curl -s -H 'Authorization: Bearer $ADMIN_TOKEN' '$A/jobs/gate/builds/2' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"status\"])'); [ -n \"\$s\" ] && [ \"\$s\" != waiting_for_approval ] && [ \"\$s\" != succeeded ]"
check "  the reason is in the build" bash -c "curl -s -H 'Authorization: Bearer $ADMIN_TOKEN' '$A/jobs/gate/builds/2' | grep -q 'not today'"
check "approve a finished build: 409" test "$(post "$A/jobs/gate/builds/2/approve")" = 409

# check, pin, unpin
check "check now: 200" test "$(post "$A/resources/app/check")" = 200
check "the check finds version 1" until_ok 30 bash -c "curl -s -H 'Authorization: Bearer $ADMIN_TOKEN' '$A/resources/app/versions' | grep -q '\"id\"'"
commit "$T/app" v2
post "$A/resources/app/check" >/dev/null
check "a second check finds version 2" until_ok 30 bash -c "[ \"\$(curl -s -H 'Authorization: Bearer $ADMIN_TOKEN' '$A/resources/app/versions' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')\" -ge 2 ]"
V1=$(acurl -s "$A/resources/app/versions" | json "min(int(v['id']) for v in d)")
check "pin without a version: 400" test "$(post "$A/resources/app/pin")" = 400
check "pin {version}: 200" test "$(post "$A/resources/app/pin" -d "{\"version\": $V1}")" = 200
check "  resources shows the pin" test "$(acurl -s "$A/resources" | json "str([r['pinned'] for r in d if r['name'].endswith('app')][0])")" = "$V1"
check "pin of a version that is not there: 404" test "$(post "$A/resources/app/pin" -d '{"version": 999}')" = 404
check "unpin: 200" test "$(post "$A/resources/app/unpin")" = 200
check "  the pin is gone" test "$(acurl -s "$A/resources" | json "str([r['pinned'] for r in d if r['name'].endswith('app')][0])")" = None
check "unpin again: 409" test "$(post "$A/resources/app/unpin")" = 409
check "trigger with a version passes it on" test "$(post "$A/jobs/show/trigger" -d "{\"versions\": {\"app\": $V1}}")" = 200

# pause / unpause
check "pause a job: 200" test "$(post "$A/jobs/ask/pause")" = 200
check "  jobs shows it paused" test "$(acurl -s "$A/jobs" | json "[j['paused'] for j in d if j['name']=='ask'][0]")" = True
check "trigger a paused job: 409" test "$(post "$A/jobs/ask/trigger")" = 409
check "unpause it: 200" test "$(post "$A/jobs/ask/unpause")" = 200
check "pause the pipeline: 200" test "$(post "$A/pause")" = 200
check "  pipelines shows it paused" test "$(acurl -s "$HTTP/api/v1/pipelines" | json "d[0]['paused']")" = True
check "trigger in a paused pipeline: 409" test "$(post "$A/jobs/ask/trigger")" = 409
check "unpause the pipeline: 200" test "$(post "$A/unpause")" = 200
check "trigger works again" test "$(post "$A/jobs/ask/trigger")" = 200

# mark as warning: the op is build.warning (the graph work adds it); here it answers, in JSON
st=$(post "$A/jobs/flaky/builds/1/warning")
check "warning answers ($st) with JSON" bash -c "[ '$st' = 200 ] || grep -q '\"error\"' '$T/body'"
pk audit --json >"$T/audit"
for a in trigger cancel retry approve reject pin unpin check job.pause pipeline.pause; do
    check "audited: $a" grep -q "\"action\": *\"$a\"" "$T/audit"
done
finish
