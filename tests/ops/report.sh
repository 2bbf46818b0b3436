#!/usr/bin/env bash
# `pikoci build P/J/N --report`: one build as a JSON document -- status,
# times, approvals with who voted, steps with their times, the whole log --
# checked field by field against what `pikoci build --json` and `pikoci logs`
# say; bytes that are not UTF-8 are replaced and flagged.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
export XDG_RUNTIME_DIR="$T/run" XDG_CONFIG_HOME="$T/config"
mkdir -p "$T/run" && chmod 700 "$T/run"
start_server "$T/s.log" --run-worker --pipeline-config "$SRC/tests/ops/report.hcl" || finish
J=report/gated
pk trigger $J >/dev/null
check "the build waits for approval" until_ok 30 build_is $J 1 waiting_for_approval
pk approve $J/1 --message ok >/dev/null
check "approved, it succeeds" until_ok 60 build_is $J 1 succeeded
pk build $J/1 --report >"$T/r.json"
check "--report exits 0" test $? -eq 0
pk build $J/1 --json >"$T/b.json"
pk logs $J/1 >"$T/log"
"$PY" - "$T/r.json" "$T/b.json" "$T/log" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
log = open(sys.argv[3], 'rb').read()
fails = 0
def ok(name, cond):
    global fails
    print(("ok - " if cond else "FAIL - ") + name)
    fails += 0 if cond else 1
ok("report format and version", r["report"]["format"] == "pikoci-build-report" and r["report"]["version"] == 1)
ok("the CLI's version is named", r["report"]["pikoci"] and r["report"]["commit"])
for k in ("pipeline", "job", "number", "status", "created_ms", "started_ms", "finished_ms", "worker", "versions", "inputs"):
    ok("field %s as the build says" % k, r[k] == b[k])
ok("status succeeded", r["status"] == "succeeded")
ok("duration is finished - started", r["duration_ms"] == b["finished_ms"] - b["started_ms"])
ok("triggered by admin", r["triggered_by"] == "admin")
ok("approvals: needed 1, count 1, voted by admin", r["approvals"] == {"needed": 1, "count": 1, "voters": ["admin"]})
names = [s["name"] for s in r["steps"]]
ok("every step, in order (%s)" % names, "first" in names and "second" in names and names.index("first") < names.index("second"))
for s in r["steps"]:
    ok("step %s has its times and duration" % s["name"],
       s["started_ms"] > 0 and s["finished_ms"] >= s["started_ms"] and s["duration_ms"] == s["finished_ms"] - s["started_ms"])
    ok("step %s has status and exit code" % s["name"], "status" in s and "exit_code" in s)
ok("logs.bytes is the log's size", r["logs"]["bytes"] == len(log))
ok("the log's text, with the bad byte replaced", r["logs"]["text"] == log.decode("utf-8", "replace"))
ok("... and flagged lossy", r["logs"]["lossy"] is True)
ok("quotes and accents survive", 'one "quoted" line' in r["logs"]["text"] and "été" in r["logs"]["text"])
print("%d failed" % fails)
sys.exit(1 if fails else 0)
PY
check "the report matches the build and its log" test $? -eq 0
pk build $J/9 --report >/dev/null 2>"$T/err"; rc=$?
check "a build that does not exist: exit 1" test $rc -eq 1
check "... saying so" test -s "$T/err"
finish
