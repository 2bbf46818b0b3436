#!/usr/bin/env bash
# Issue #18's data side end to end, through the real server, the CLI and the
# HTTP API: the pipeline graph (`pikoci graph`, GET .../graph) of a pipeline
# with passed constraints, a put, a paused job, a pinned resource, a gated
# build and a running one; the jobs' inputs, allow_failure and approval in
# `jobs`; marking a failed build as warning (who may, what is refused, and
# downstream `passed` taking it); trigger with a chosen version.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../http/lib.sh"
HERE="$SRC/tests/graph"
export MARKS="$T" PIKOCI_CACHE_DIR="$T/cache"
export XDG_RUNTIME_DIR="$T/run" XDG_CONFIG_HOME="$T/cfg-admin"
mkdir -m 700 "$T/run"
as() { local u=$1; shift; XDG_CONFIG_HOME="$T/cfg-$u" "$BIN" "$@"; }
git_repo "$T/app"
v1=$(git -C "$T/app.wc" rev-parse HEAD)
start_http_server "$T/server.log" --run-worker --concurrency 4 || finish
set_pipeline() { pk pipelines set g "$HERE/graph.hcl" --var repo="file://$T/app.git" "$@" >/dev/null; }
check "set the pipeline" set_pipeline --var lint_allow=false
graph() { pk graph g --json >"$T/g.json" 2>"$T/g.err"; }
# node ID FIELD / edge FROM TO KIND FIELD: a field of the graph's node or edge
node() { json "[n for n in d['nodes'] if n['id']=='$1'][0]['$2']" <"$T/g.json"; }
edge() { json "[e.get('$4') for e in d['edges'] if e['from']=='$1' and e['to']=='$2' and e['kind']=='$3'][0]" <"$T/g.json"; }
node_is() { graph && [ "$(node "$1" "$2")" = "$3" ]; }

# 1. before any build: every node, status none
check "graph exits 0" graph
check "jobs in file order, then resources" test "$(json "[n['id'] for n in d['nodes']]" <"$T/g.json")" \
    = '["job:test", "job:deploy", "job:gated", "job:lint", "res:git.app", "res:trigger.released"]'
check "no build yet: status none, build null" test "$(node job:test status)/$(node job:test build)" = "none/None"
check "a resource without versions has version null" test "$(node res:git.app version)" = None

# 2. test #1 and deploy #1 (passed) succeed; gated waits; lint runs
pk check g/app >/dev/null
check "test #1 succeeds" until_ok 60 build_is g/test 1 succeeded
check "deploy #1 follows through passed" until_ok 60 build_is g/deploy 1 succeeded
pk trigger g/gated >/dev/null
check "gated #1 waits for approval" until_ok 20 build_is g/gated 1 waiting_for_approval
touch "$T/hold-lint"
pk trigger g/lint >/dev/null
check "lint #1 starts" until_ok 30 build_is g/lint 1 started
check "graph: lint is running" until_ok 10 node_is job:lint running True
rm -f "$T/hold-lint"
check "lint #1 succeeds" until_ok 30 build_is g/lint 1 succeeded
check "pause lint" pk pause g/lint
rid=$(pk versions g/released --json | json "d[0]['id']")
check "pin released" pk pin g/released "$rid"
check "graph again" graph
check "test: succeeded, build 1" test "$(node job:test status)/$(node job:test build)" = "succeeded/1"
check "gated: waiting_for_approval, waiting" test "$(node job:gated status)/$(node job:gated waiting)" = "waiting_for_approval/True"
check "lint: paused, no longer running" test "$(node job:lint paused)/$(node job:lint running)" = "True/False"
check "deploy is not paused" test "$(node job:deploy paused)" = False
check "released is pinned, to its version" test "$(node res:trigger.released pinned)/$(node res:trigger.released pinned_id)" = "True/$rid"
check "app: type git, newest version v1" test "$(node res:git.app type)/$(json "[n for n in d['nodes'] if n['id']=='res:git.app'][0]['version']['ref']" <"$T/g.json")" = "git/$v1"
check "get edge app -> test triggers, no passed" test "$(edge res:git.app job:test get trigger)/$(edge res:git.app job:test get passed)" = "True/[]"
check "get edge app -> deploy has passed [test]" test "$(edge res:git.app job:deploy get passed)" = '["test"]'
check "passed edge test -> deploy via app" test "$(edge job:test job:deploy passed resource)/$(edge job:test job:deploy passed trigger)" = "git.app/True"
check "passed edge deploy -> gated does not trigger" test "$(edge job:deploy job:gated passed trigger)" = False
check "put edge deploy -> released" test "$(edge job:deploy res:trigger.released put kind)" = put
check "edge count: 3 gets, 2 passed, 1 put" test "$(json "len(d['edges'])" <"$T/g.json")" = 6
check "pipeline not paused" test "$(json "d['paused']" <"$T/g.json")" = False

# 3. DOT: left to right, escaped, styled; valid (dot when installed)
pk graph g >"$T/g.dot"
check "DOT is a digraph laid out left to right" bash -c "head -1 '$T/g.dot' | grep -q '^digraph \"g\" {' && grep -q 'rankdir=LR' '$T/g.dot'"
check "DOT: a paused job has the blue border" grep -q '"job:lint" .*color="#29ADFF", penwidth=3' "$T/g.dot"
check "DOT: a pinned resource has the amber border" grep -q '"res:trigger.released" .*color="#FFA300"' "$T/g.dot"
check "DOT: the passed edge is labelled" grep -q '"job:test" -> "job:deploy" \[style=solid, label="git.app"\]' "$T/g.dot"
check "DOT: a non-triggering edge is dashed" grep -q '"job:deploy" -> "job:gated" \[style=dashed' "$T/g.dot"
check "DOT: the status is in the label" grep -q 'label="test\\n#1 succeeded"' "$T/g.dot"
check "DOT is well formed" "$PY" "$HERE/dotcheck.py" "$T/g.dot"
if command -v dot >/dev/null; then
    check "dot -Tsvg renders it" bash -c "dot -Tsvg '$T/g.dot' | grep -q '<svg'"
fi

# 4. the same graph over HTTP
check "GET /api/pipelines/g/graph is 200" test "$(code GET "$HTTP/api/pipelines/g/graph")" = 200
check "it is the CLI's graph" "$PY" -c "import json,sys; a=json.load(open('$T/body')); b=json.load(open('$T/g.json')); sys.exit(a['nodes']!=b['nodes'] or a['edges']!=b['edges'])"
check "an unknown pipeline's graph is 404" test "$(code GET "$HTTP/api/pipelines/nope/graph")" = 404

# 5. jobs: inputs, allow_failure, approval, paused
pk jobs g --json >"$T/jobs.json"
job() { json "[j for j in d if j['name']=='$1'][0]$2" <"$T/jobs.json"; }
check "deploy's input: name, type, default, options, multiple" test "$(job deploy "['inputs'] == [{'name': 'target', 'type': 'string', 'default': 'staging', 'options': ['staging', 'prod'], 'multiple': False}]")" = True
check "gated's approval label" test "$(job gated "['approval']")" = "ship it"
check "test has no approval, no allow_failure" test "$(job test "['approval']")/$(job test "['allow_failure']")" = "None/False"
check "lint is paused" test "$(job lint "['paused']")" = True

# 6. mark as warning: test #2 fails, deploy waits; warned, deploy takes v2
touch "$T/fail-test"
commit "$T/app" v2
v2=$(git -C "$T/app.wc" rev-parse HEAD)
pk check g/app >/dev/null
check "test #2 fails" until_ok 60 build_is g/test 2 failed
sleep 0.5
check "no deploy #2 after a failure" test -z "$(build_status g/deploy 2)"
check "graph: test failed" node_is job:test status failed
pk warn g/deploy/1 >"$T/out" 2>"$T/err"; rc=$?
check "warn refuses a succeeded build (exit 1)" test $rc -eq 1
check "... saying only a failed build" has "$T/err" "only a failed build can be marked as warning"
pk reject g/gated/1 --message "not now" >/dev/null
pk warn g/gated/1 >"$T/out" 2>"$T/err"; rc=$?
check "warn refuses a rejected build that never ran" test $rc -eq 1 -a -n "$(grep 'never ran' "$T/err")"
pk warn g/test/9 >"$T/out" 2>"$T/err"; rc=$?
check "warn of an unknown build: exit 1, no such build" test $rc -eq 1 -a -n "$(grep 'no build #9' "$T/err")"
echo writerpass1 | pk users create writer >/dev/null 2>&1
pk teams grant main writer write >/dev/null 2>&1
echo writerpass1 | as writer login --user writer >/dev/null 2>&1
as writer warn g/test/2 >"$T/out" 2>"$T/err"; rc=$?
check "a writer may not warn a job without allow_failure (exit 4)" test $rc -eq 4
check "... told maintain is needed" has "$T/err" "needs the role maintain"
check "warn test #2 as admin" bash -c "'$BIN' warn g/test/2 | grep -q 'g/test #2 warning'"
check "test #2 is warning" build_is g/test 2 warning
check "deploy #2 follows the warned build" until_ok 60 build_is g/deploy 2 succeeded
check "deploy #2 used v2" bash -c "'$BIN' logs g/deploy/2 | grep -q 'deployed=$v2'"
check "warn again: it is warning now (exit 1)" bash -c "! '$BIN' warn g/test/2 2>/dev/null"
check "the audit log has the warning" bash -c "'$BIN' audit --action build.warning --json | grep -q 'g/test/2'"
# write suffices once the job has allow_failure
pk unpause g/lint >/dev/null
touch "$T/fail-lint"
pk trigger g/lint >/dev/null
check "lint #2 fails (no allow_failure yet)" until_ok 30 build_is g/lint 2 failed
as writer warn g/lint/2 >/dev/null 2>&1; rc=$?
check "a writer may not warn it yet (exit 4)" test $rc -eq 4
check "set allow_failure on lint" set_pipeline --var lint_allow=true
check "now the writer may" as writer warn g/lint/2
check "lint #2 is warning" build_is g/lint 2 warning
rm -f "$T/fail-lint"

# 7. trigger with a version
rm -f "$T/fail-test"
id1=$(pk versions g/app --json | json "[v['id'] for v in d if v['version']['ref']=='$v1'][0]")
check "trigger test with v1: the build got v1" bash -c "'$BIN' trigger g/test --version app=$id1 --watch 2>&1 | grep -q 'ref=$v1'"
check "by its canonical name too" bash -c "'$BIN' trigger g/test --version git.app=$id1 --watch 2>&1 | grep -q 'ref=$v1'"
pk trigger g/test --version nope=1 >"$T/out" 2>"$T/err"; rc=$?
check "an unknown resource is refused (exit 1)" test $rc -eq 1
check "... by name" has "$T/err" 'no resource "nope"'
pk trigger g/test --version app=999 >"$T/out" 2>"$T/err"; rc=$?
check "an unknown version is refused (exit 1)" test $rc -eq 1 -a -n "$(grep 'has no version 999' "$T/err")"
pk trigger g/lint --version app=$id1 >"$T/out" 2>"$T/err"; rc=$?
check "a resource the job does not get is refused" test $rc -eq 1 -a -n "$(grep 'does not get resource' "$T/err")"
pk trigger g/test --version app >"$T/out" 2>"$T/err"; rc=$?
check "--version without an id is a usage error (exit 2)" test $rc -eq 2
touch "$T/fail-test"
commit "$T/app" v3
v3=$(git -C "$T/app.wc" rev-parse HEAD)
pk check g/app >/dev/null
# v3 itself, once recorded (the newest version may still be v2 right after
# the check), and test's build of it failed (test #2 failed already)
v3_id() { pk versions g/app --json | json "([v['id'] for v in d if v['version']['ref']=='$v3'] or [''])[0]"; }
v3_recorded() { [ -n "$(v3_id)" ]; }
check "v3 is recorded" until_ok 60 v3_recorded
id3=$(v3_id)
test_failed() { pk builds g/test --json | json "any(b['status'] == 'failed' and (b['versions'].get('git.app') or {}).get('ref') == '$v3' for b in d) and all(b['status'] not in ('pending', 'started') for b in d)" | grep -q True; }
check "test fails v3" until_ok 60 test_failed
pk trigger g/deploy --version app=$id3 >"$T/out" 2>"$T/err"; rc=$?
check "deploy with v3 that has not passed test is refused" test $rc -eq 1 -a -n "$(grep 'has not passed' "$T/err")"
check "deploy with v1 (it passed) deploys v1" bash -c "'$BIN' trigger g/deploy --version app=$id1 --input target=prod --watch 2>&1 | grep -q 'deployed=$v1 to prod'"
finish
