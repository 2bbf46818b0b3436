#!/usr/bin/python3
# One client trying to take the whole HTTP face, over raw sockets from other
# loopback addresses, while /healthz is asked from 127.0.0.1 every 100 ms:
#   A  from 127.0.0.2: 64 connections trickling header lines forever and 64
#      event streams that read nothing -- the per-address limit keeps most
#      out, and the trickling ones are closed when their headers are overdue
#   B  250 event streams from ten addresses: beyond the streams cap they are
#      503 (with Retry-After), the rest of the connections stay free
# /healthz must answer 200 within a second throughout and right after.
# Usage: hog.py HOST PORT HEADER_DEADLINE_S
import os, socket, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sse import check, failures, Stalled, http_get

host, port, deadline = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])

class Probe:
    """/healthz every 100 ms from 127.0.0.1 until stopped."""
    def __init__(self):
        self.bad, self.n, self.worst, self.stop = [], 0, 0.0, threading.Event()
        self.t = threading.Thread(target=self.run)
        self.t.start()
    def run(self):
        while not self.stop.is_set():
            t0 = time.time()
            st, body = http_get(host, port, "/healthz", timeout=5)
            dt = time.time() - t0
            self.worst = max(self.worst, dt)
            self.n += 1
            if st != 200 or dt >= 1:
                self.bad.append((round(t0, 1), st, round(dt, 2), body[:60]))
            self.stop.wait(0.1)
    def end(self):
        self.stop.set()
        self.t.join()

def loris(source, closed_after, stop):
    t0 = time.time()
    try:
        s = socket.socket()
        s.bind((source, 0))
        s.settimeout(2)
        s.connect((host, port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        while not stop.is_set():
            s.sendall(b"X-a: b\r\n")
            try:                    # the server's close shows as EOF (or a reset)
                s.settimeout(0.5)
                if s.recv(1024) == b"":
                    break
            except socket.timeout:
                pass
        else:
            closed_after.append(None)       # still open when told to stop
            s.close()
            return
        s.close()
    except OSError:
        pass
    closed_after.append(time.time() - t0)

def status_of(c):
    try:
        c.s.settimeout(3)
        head = c.s.recv(4096)
        line = head.split(b"\r\n", 1)[0].split(b" ")
        return (int(line[1]) if len(line) > 1 and line[1].isdigit() else None), head
    except OSError:
        return None, b""

def streams(source, n):
    out = []
    for _ in range(n):
        try:
            out.append(Stalled(host, port, "/api/events", source=source))
        except OSError:
            out.append(None)
    return out

# A
probe = Probe()
stop = threading.Event()
closed = []
lorises = [threading.Thread(target=loris, args=("127.0.0.2", closed, stop)) for _ in range(64)]
for t in lorises:
    t.start()
hogs = streams("127.0.0.2", 64)
time.sleep(deadline + 4)
stop.set()
for t in lorises:
    t.join()
probe.end()
check("A: /healthz answered 200 within 1 s throughout (%d asked, worst %.2f s)"
      % (probe.n, probe.worst), not probe.bad, probe.bad[:5])
late = [c for c in closed if c is None or c > deadline + 3]
check("A: every trickling connection was closed by %d s" % (deadline + 3), not late,
      "%d of %d still open or late" % (len(late), len(closed)))
served = sum(1 for c in hogs if c and status_of(c)[0] == 200)
check("A: one address got at most 32 streams (%d)" % served, served <= 32)
for c in hogs:
    if c:
        c.close()
st, _ = http_get(host, port, "/healthz")
check("A: /healthz is 200 right after", st == 200, st)

# B
time.sleep(0.5)
probe = Probe()
conns = []
for i in range(10):
    conns += streams("127.0.0.%d" % (10 + i), 25)
answers = [status_of(c) if c else (None, b"") for c in conns]
ok = sum(1 for st, _ in answers if st == 200)
busy = [h for st, h in answers if st == 503]
time.sleep(1)
probe.end()
check("B: at most 192 streams at once (%d)" % ok, 0 < ok <= 192)
check("B: the rest are 503 with Retry-After (%d)" % len(busy),
      len(busy) >= 250 - 192 and all(b"Retry-After" in h for h in busy))
check("B: /healthz answered 200 within 1 s throughout (%d asked, worst %.2f s)"
      % (probe.n, probe.worst), not probe.bad, probe.bad[:5])
for c in conns:
    if c:
        c.close()
st, _ = http_get(host, port, "/healthz")
check("B: /healthz is 200 right after", st == 200, st)
sys.exit(1 if failures() else 0)
