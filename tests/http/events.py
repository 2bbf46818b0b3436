#!/usr/bin/python3
# Change streams (/api/events) that do not read while builds make events:
# each stream's queue is bounded -- what does not fit is dropped, counted,
# and told to the stream ("dropped" {dropped: N}) after what it kept -- while
# a stream that reads gets every event and no "dropped".
# Usage: events.py HOST PORT SERVER_PID PIPELINE/JOB BUILDS STALLED
import os, subprocess, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sse import check, failures, Stalled, rss_anon_kb, read_all_parallel, build_status, http_get, wait_until

host, port, pid, pj, builds, n = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4],
                                  int(sys.argv[5]), int(sys.argv[6]))
pipeline, job = pj.split("/")

stalled = [Stalled(host, port, "/api/events", rcvbuf=2048) for _ in range(n)]
reader = Stalled(host, port, "/api/events", rcvbuf=1 << 20)
got = {}
t = threading.Thread(target=lambda: got.update(r=reader.read_all(60 + builds)))
t.start()
time.sleep(0.5)                     # the streams are open (the hub knows them)
for i in range(builds):
    subprocess.run([os.environ["PIKOCI_BIN"], "trigger", pj], check=True,
                   stdout=subprocess.DEVNULL)
check("the %d builds succeed" % builds,
      wait_until(lambda: build_status(host, port, pipeline, job, builds) == "succeeded", 120))
time.sleep(1)
st, metrics = http_get(host, port, "/metrics")
dropped_total = [int(l.split()[1]) for l in metrics.decode().splitlines()
                 if l.startswith("pikoci_http_stream_events_dropped_total ")]
check("/metrics counts dropped events", dropped_total and dropped_total[0] > 0, dropped_total)
reader.s.shutdown(2)                # ends the reader's recv
t.join()
status, events = got["r"]
changes = [d for ev, d in events if ev == "change"]
check("the reading stream got the builds' events (%d)" % len(changes), len(changes) >= 3 * builds)
check("and no \"dropped\"", not [d for ev, d in events if ev == "dropped"])
for c in stalled:
    c.s.settimeout(2)
results = read_all_parallel(stalled, timeout=2)
for status, events in results:
    kept = [d for ev, d in events if ev == "change"]
    drops = [d["dropped"] for ev, d in events if ev == "dropped"]
    if not (status == 200 and drops and drops[0] > 0 and len(kept) < len(changes)
            and len(kept) + drops[0] <= len(changes) + 8):
        check("a stalled stream kept part and was told of the rest", False,
              "status %s, kept %d, dropped %s, of %d" % (status, len(kept), drops, len(changes)))
        break
else:
    check("each stalled stream kept part and was told how many it lost (e.g. %d + %d)"
          % (len([1 for ev, _ in results[0][1] if ev == "change"]),
             [d["dropped"] for ev, d in results[0][1] if ev == "dropped"][0]), True)
sys.exit(1 if failures() else 0)
