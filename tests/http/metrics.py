#!/usr/bin/python3
# /metrics parsed by Prometheus' own text-format parser (Debian's
# python3-prometheus-client) and compared with what the CLI's --json says.
# Usage: metrics.py HTTP_BASE PIKOCI_BIN PIPELINE; prints TAP-ish lines,
# exits 1 on a mismatch.
import os, json, subprocess, sys, urllib.request
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sse import check, failures
from prometheus_client.parser import text_string_to_metric_families

base, pk, pipeline = sys.argv[1:4]
def cli(*args):
    return json.loads(subprocess.check_output([pk, *args, "--json"]))

with urllib.request.urlopen(base + "/metrics", timeout=30) as r:
    ctype = r.headers.get("Content-Type", "")
    text = r.read().decode()
check("Content-Type is the text format 0.0.4", ctype.startswith("text/plain; version=0.0.4"), ctype)
families = {f.name: f for f in text_string_to_metric_families(text)}   # raises when malformed
check("the exposition parses", len(families) > 10, str(len(families)))
def samples(name):
    # the parser names a counter's family without "_total"; samples keep it
    return [s for f in families.values() for s in f.samples if s.name == name]
def value(name, **labels):
    for s in samples(name):
        if all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None

jobs = [j["name"] for j in cli("jobs", pipeline)]
for job in jobs:
    want = {}
    for b in cli("builds", pipeline + "/" + job):
        want[b["status"]] = want.get(b["status"], 0) + 1
    got = {s.labels["status"]: int(s.value) for s in samples("pikoci_builds")
           if s.labels.get("pipeline") == pipeline and s.labels.get("job") == job}
    check("builds of %s by status match pikoci builds" % job, got == want, "%r != %r" % (got, want))
workers = cli("workers")
for state in ("healthy", "lost"):
    n = sum(1 for w in workers if w.get("state") == state)
    check("workers %s match pikoci workers" % state, value("pikoci_workers", state=state) == n,
          "%r != %r" % (value("pikoci_workers", state=state), n))
for w in workers:
    check("slots of %s match" % w["name"], value("pikoci_worker_slots", worker=w["name"]) == w["slots"])
running = sum(1 for job in jobs for b in cli("builds", pipeline + "/" + job) if b["status"] == "started")
check("running builds match pikoci builds", value("pikoci_builds_running") == running,
      "%r != %r" % (value("pikoci_builds_running"), running))
waiting = len(cli("workers", "--pending"))
check("queue length matches pikoci workers --pending", value("pikoci_queue_length") == waiting,
      "%r != %r" % (value("pikoci_queue_length"), waiting))
check("pipelines match", value("pikoci_pipelines") == len(cli("pipelines")))
checked = cli("resources", pipeline)
check("checks were counted", (value("pikoci_checks_total") or 0) >= sum(1 for r in checked if r["last_check_ms"]))
check("check failures are a number", value("pikoci_check_failures_total") is not None)
check("check lag is there", value("pikoci_check_lag_seconds") is not None)
check("log bytes were counted", (value("pikoci_log_bytes_total") or 0) > 0)
check("RSS is there", (value("process_resident_memory_bytes") or 0) > 1 << 20)
check("start time is recent", (value("process_start_time_seconds") or 0) > 1.6e9)
print("%d failed" % failures())
sys.exit(1 if failures() else 0)
