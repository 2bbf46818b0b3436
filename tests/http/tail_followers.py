#!/usr/bin/python3
# N log followers that keep up with a chatty build (a line every 20 ms):
# they get every byte, whole and in order, with its multi-byte characters
# intact, and the end -- and cost the server few reads of the store (the
# face copies what they need from the tail of the log it keeps; before, each
# follower read the log through the broker and control every time it grew).
# Usage: tail_followers.py HOST PORT PIPELINE/JOB N LINES
import os, re, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sse import check, failures, Stalled, read_all_parallel, build_status, http_get, wait_until

host, port, pj, n, lines = (sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]),
                            int(sys.argv[5]))
pipeline, job = pj.split("/")

def metric(name):
    st, body = http_get(host, port, "/metrics")
    m = re.search(r"^%s (\d+)" % name, body.decode(), re.M) if st == 200 else None
    return int(m.group(1)) if m else -1

subprocess.run([os.environ["PIKOCI_BIN"], "trigger", pj], check=True, stdout=subprocess.DEVNULL)
check("the build starts", wait_until(lambda: build_status(host, port, pipeline, job, 1) == "started", 30))
reads0 = metric("pikoci_http_log_reads_total")
check("/metrics counts the log streams' store reads", reads0 >= 0)
path = "/api/pipelines/%s/jobs/%s/builds/1/log/stream?offset=0" % (pipeline, job)
followers = [Stalled(host, port, path, rcvbuf=1 << 20) for _ in range(n)]
results = read_all_parallel(followers, timeout=60)
reads = metric("pikoci_http_log_reads_total") - reads0
tail = metric("pikoci_http_log_tail_bytes_total")
want = "".join("line %d: grün, €, 日本, 🦀\n" % i for i in range(1, lines + 1)) + "THE-END\n"
whole = 0
for status, evs in results:
    text, at, err, end = "", 0, None, None
    for ev, d in evs:
        if ev == "message":
            if d["offset"] != at:
                err = "message at %d, expected %d" % (d["offset"], at)
            text += d["text"]
            at = d["next"]
        elif ev == "end":
            end = d
    if status == 200 and not err and text == want and end and end.get("status") == "succeeded":
        whole += 1
    else:
        print("# a follower: status %s, %s, %d of %d chars, end %s" % (status, err, len(text),
                                                                     len(want), end))
check("each of %d followers got the whole log, in order, characters intact, and its end" % n,
      whole == n, "%d of %d" % (whole, n))
check("they sent log bytes from the face's tail of the log", tail > 0, tail)
# a store read when each opens, when the build ends and every 2 s: some
# tens; one per follower each time the log grew was thousands
print("# %d followers, %d lines: %d store reads" % (n, lines, reads))
check("the followers read the store at most %d times" % (n * 12), 0 <= reads <= n * 12, reads)
sys.exit(1 if failures() else 0)
