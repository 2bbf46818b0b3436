#!/usr/bin/env bash
# `pikoci graph --from FILE` without a server: any name gives valid DOT (the
# quotes, backslashes and newlines of names escaped, so the node ids read back
# as they were), usage errors, and a file that is not a graph. Graphviz's
# `dot` checks the output too when it is installed (it is not a dependency).
set -uo pipefail
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
HERE="$SRC/tests/graph"
cat >"$T/g.json" <<'JSON'
{"pipeline": "we\"ird\\p", "paused": true,
 "nodes": [
  {"id": "job:a\"b", "kind": "job", "name": "a\"b", "status": "failed", "build": "3.1",
   "paused": true, "running": true, "waiting": false},
  {"id": "job:c\\d\\", "kind": "job", "name": "c\\d\\", "status": "waiting_for_approval",
   "build": "1", "paused": false, "running": false, "waiting": true},
  {"id": "job:new\nline", "kind": "job", "name": "new\nline", "status": "none", "build": null,
   "paused": false, "running": false, "waiting": false},
  {"id": "res:git.x\\\"y", "kind": "resource", "name": "git.x\\\"y", "type": "git",
   "pinned": true, "version": {"ref": "abc"}, "version_id": 2, "pinned_id": 1,
   "check_error": "boom \"x\""}],
 "edges": [
  {"from": "res:git.x\\\"y", "to": "job:a\"b", "kind": "get", "trigger": true, "passed": []},
  {"from": "res:git.x\\\"y", "to": "job:c\\d\\", "kind": "get", "trigger": false, "passed": ["a\"b"]},
  {"from": "job:a\"b", "to": "job:c\\d\\", "kind": "passed", "resource": "git.x\\\"y", "trigger": false},
  {"from": "job:c\\d\\", "to": "res:git.x\\\"y", "kind": "put"}]}
JSON
check "graph --from exits 0" bash -c "'$BIN' graph --from '$T/g.json' >'$T/g.dot'"
check "the DOT reads back" "$PY" "$HERE/dotcheck.py" "$T/g.dot"
"$PY" "$HERE/dotcheck.py" "$T/g.dot" --nodes >"$T/nodes"
"$PY" -c "import json; [print(json.dumps(n['id'])) for n in json.load(open('$T/g.json'))['nodes']]" >"$T/want"
check "every node id comes back as it was" cmp -s "$T/nodes" "$T/want"
check "a newline in a name is \\n, never a raw newline" bash -c "[ \$(grep -c 'new' '$T/g.dot') -eq 1 ]"
check "the get with passed is drawn as its passed edge only" bash -c "[ \$(grep -c -- '->' '$T/g.dot') -eq 3 ]"
check "the running flag shows for a failed job" grep -q 'failed.npaused.nrunning' "$T/g.dot"
check "stdin works (--from -)" bash -c "'$BIN' graph --from - <'$T/g.json' | cmp -s - '$T/g.dot'"
"$BIN" graph --from "$T/g.json" --json >"$T/back.json"
check "--json prints the graph back" "$PY" -c "import json,sys; sys.exit(json.load(open('$T/back.json')) != json.load(open('$T/g.json')))"
if command -v dot >/dev/null; then
    check "dot -Tsvg renders it" bash -c "dot -Tsvg '$T/g.dot' | grep -q '<svg'"
fi
echo '{"x": 1}' >"$T/bad.json"
"$BIN" graph --from "$T/bad.json" >"$T/out" 2>"$T/err"; rc=$?
check "a file that is not a graph: exit 1, said" test $rc -eq 1 -a -n "$(grep 'is not a graph' "$T/err")"
"$BIN" graph >"$T/out" 2>"$T/err"; rc=$?
check "no pipeline: usage error (exit 2)" test $rc -eq 2 -a ! -s "$T/out"
"$BIN" graph p --from "$T/g.json" >"$T/out" 2>"$T/err"; rc=$?
check "a pipeline and --from: usage error" test $rc -eq 2
"$BIN" graph p q >"$T/out" 2>"$T/err"; rc=$?
check "two pipelines: usage error" test $rc -eq 2
check "--help tells of DOT and --json" bash -c "'$BIN' graph --help | grep -q 'Graphviz DOT' && '$BIN' graph --help | grep -q -- '--json'"
finish
