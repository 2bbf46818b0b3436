#!/usr/bin/python3
# A soak of the HTTP face: for SECONDS, builds of PIPELINE/stream write logs
# while clients come and go -- followers that read live, followers that
# stall a while then read, followers that stall and leave, event streams
# that never read, idle connections that never send a byte. The server's
# memory (VmRSS, and RssAnon: the heap) must stay under BOUND_MB over its
# start, every follower that read to the end got its build's log whole, and
# every build's stored log is whole: "line B.N" for B < 20, N <= 2000, in
# order, then THE-END.
# Usage: soak.py HOST PORT SERVER_PID PIPELINE SECONDS BOUND_MB
import os, random, re, socket, subprocess, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sse import check, failures, Stalled, http_get, build_status, wait_until

host, port, pid, pipeline, seconds, bound = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                             sys.argv[4], float(sys.argv[5]), int(sys.argv[6]))
random.seed(22)

def mem():
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon"):
                out[k] = int(v.split()[0]) // 1024
    return out

base = mem()
peak = dict(base)
lock = threading.Lock()
results = {"whole": 0, "broken": [], "stalled_left": 0, "idle_cut": 0, "idle_open": 0}
builds = []

def follow(n, stall, leave):
    """A follower of build n: stalls `stall` s, then leaves or reads to the end."""
    path = "/api/pipelines/%s/jobs/stream/builds/%d/log/stream?offset=0" % (pipeline, n)
    try:
        c = Stalled(host, port, path)
    except OSError as e:
        with lock:
            results["broken"].append("connect: %s" % e)
        return
    time.sleep(stall)
    if leave:
        c.close()
        with lock:
            results["stalled_left"] += 1
        return
    status, tally = c.read_all(120, keep=False)
    with lock:
        if status == 200 and tally.whole("THE-END\n"):
            results["whole"] += 1
        else:
            results["broken"].append("build %d: status %s, %s, end %s, %d bytes"
                                     % (n, status, tally.error, tally.end, tally.size))

def idle():
    """A connection that never sends: the server must close it (headers overdue)."""
    s = socket.create_connection((host, port), timeout=30)
    t0 = time.time()
    try:
        cut = s.recv(1) == b""
    except OSError:
        cut = True
    with lock:
        results["idle_cut" if cut and time.time() - t0 < 25 else "idle_open"] += 1
    s.close()

def events_stalled(hold):
    try:
        c = Stalled(host, port, "/api/events", rcvbuf=2048)
        time.sleep(hold)
        c.close()
    except OSError:
        pass

threads = []
def spawn(f, *args):
    t = threading.Thread(target=f, args=args)
    t.start()
    threads.append(t)

end = time.time() + seconds
n = 0
next_build = 0
while time.time() < end:
    now = time.time()
    if now >= next_build:
        subprocess.run([os.environ["PIKOCI_BIN"], "trigger", pipeline + "/stream"], check=True,
                       stdout=subprocess.DEVNULL)
        n += 1
        builds.append(n)
        wait_until(lambda: build_status(host, port, pipeline, "stream", n), 10)
        for _ in range(4):
            kind = random.random()
            spawn(follow, n, 0 if kind < 0.3 else random.uniform(0.5, 4), kind > 0.8)
        next_build = now + 2.5
    r = random.random()
    if r < 0.15:
        spawn(idle)
    elif r < 0.3:
        spawn(events_stalled, random.uniform(1, 6))
    m = mem()
    for k in m:
        peak[k] = max(peak[k], m[k])
    time.sleep(0.25)
check("%d builds succeed" % n,
      wait_until(lambda: build_status(host, port, pipeline, "stream", n) == "succeeded", 120))
for t in threads:
    t.join(150)
m = mem()
for k in m:
    peak[k] = max(peak[k], m[k])
print("# memory MB at start %s, peak %s, end %s" % (base, peak, m))
want = "".join("line %d.%d of the soak, followed while it grows......\n" % (b, i)
               for b in range(20) for i in range(1, 2001)) + "THE-END\n"
logs_mb = len(builds) * len(want) // (1 << 20)
check("the heap (RssAnon) stayed within %d MB of the start (+%d)"
      % (bound, peak["RssAnon"] - base["RssAnon"]), peak["RssAnon"] - base["RssAnon"] < bound)
# VmRSS counts the store's mapped pages too: the logs written are in it
check("VmRSS stayed within %d MB + the logs' %d MB of the start (+%d)"
      % (bound, logs_mb, peak["VmRSS"] - base["VmRSS"]),
      peak["VmRSS"] - base["VmRSS"] < bound + logs_mb)
check("every follower that read got the whole log (%d)" % results["whole"],
      not results["broken"] and results["whole"] > n, results["broken"][:3])
check("stalled followers left (%d) and idle connections were closed (%d, %d not)"
      % (results["stalled_left"], results["idle_cut"], results["idle_open"]),
      results["idle_open"] == 0)
bad = []
for b in builds:
    text, off = b"", 0
    while True:
        st, body = http_get(host, port, "/api/pipelines/%s/jobs/stream/builds/%d/log?offset=%d&max=1048576"
                            % (pipeline, b, off), timeout=30)
        if st != 200 or not body:
            break
        text += body
        off += len(body)
    if not text.decode().endswith(want):
        bad.append(b)
check("every build's stored log is whole (%d builds)" % len(builds), not bad, bad[:5])
sys.exit(1 if failures() else 0)
