#!/usr/bin/python3
# N log followers that do not read while a build writes a big log: the
# server's heap must not grow by the log N times over (it did: each
# follower's events queued on the bus), and afterwards each follower, read
# at last, gets the whole log from the store, in order, and its end.
# Usage: followers.py HOST PORT SERVER_PID PIPELINE/JOB N BOUND_MB
import os, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sse import check, failures, Stalled, rss_anon_kb, read_all_parallel, build_status, wait_until

host, port, pid, pj, n, bound = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4],
                                 int(sys.argv[5]), int(sys.argv[6]))
pipeline, job = pj.split("/")

base = rss_anon_kb(pid)
subprocess.run([os.environ["PIKOCI_BIN"], "trigger", pj], check=True, stdout=subprocess.DEVNULL)
check("the build exists", wait_until(lambda: build_status(host, port, pipeline, job, 1), 30))
path = "/api/pipelines/%s/jobs/%s/builds/1/log/stream?offset=0" % (pipeline, job)
followers = [Stalled(host, port, path) for _ in range(n)]
peak = [base]
def sample():
    peak[0] = max(peak[0], rss_anon_kb(pid))
done = wait_until(lambda: build_status(host, port, pipeline, job, 1) == "succeeded", 120, tick=sample)
check("the build succeeds while %d followers read nothing" % n, done)
wait_until(lambda: False, 2, tick=sample)           # what queues after the end
grown = (peak[0] - base) // 1024
print("# heap (RssAnon) %d MB before, peak %d MB: +%d MB" % (base // 1024, peak[0] // 1024, grown))
check("the heap grew by less than %d MB" % bound, grown < bound, "+%d MB" % grown)
results = read_all_parallel(followers, keep=False)
whole = 0
for status, tally in results:
    if status == 200 and tally.whole("THE-END\n"):
        whole += 1
    else:
        print("# a follower: status %s, error %s, end %s, %d bytes" %
              (status, tally.error, tally.end, tally.size))
check("each follower, read at last, got the whole log and its end", whole == n,
      "%d of %d" % (whole, n))
sys.exit(1 if failures() else 0)
