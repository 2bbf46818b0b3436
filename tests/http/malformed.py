#!/usr/bin/python3
# Malformed and hostile HTTP against `pikoci server --http`, over raw
# sockets: an oversized header, an unknown method, bytes that are not HTTP,
# a Content-Length far over the cap, and slowloris connections trickling
# header bytes -- while /healthz must keep answering within a second.
# Usage: malformed.py HOST PORT SECONDS; TAP-ish output, exit 1 on a failure.
import os, socket, sys, threading, time, urllib.request
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sse import check, failures

host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])

def exchange(data, timeout=10):
    """Send data, return what the server answers until it closes (or timeout)."""
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(data)
    except OSError:
        pass                        # it may close while we still send
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
            if b"\r\n\r\n" in out and b"Content-Length: 0" in out:
                break
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return out

def status(resp):
    line = resp.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None

r = exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n")
check("an oversized header gets a 4xx", status(r) is not None and 400 <= status(r) < 500, r[:80])
r = exchange(b"BREW /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
check("an unknown method gets 405", status(r) == 405, r[:80])
r = exchange(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")
check("bytes that are not HTTP get a 400 or a close", status(r) in (None, 400), r[:80])
r = exchange(b"POST /webhooks/abc HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n")
check("a Content-Length over the cap gets 413 at once", status(r) == 413, r[:80])
r = exchange(b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
check("a path outside the page is 404", status(r) == 404, r[:80])

# slowloris: connections that never finish their headers
stop = threading.Event()
def loris():
    try:
        s = socket.create_connection((host, port), timeout=5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        while not stop.is_set():
            s.sendall(b"X-a: b\r\n")
            stop.wait(0.5)
        s.close()
    except OSError:
        pass                        # closed by the server: fine
threads = [threading.Thread(target=loris) for _ in range(24)]
for t in threads:
    t.start()
worst, n, bad = 0.0, 0, 0
end = time.time() + seconds
while time.time() < end:
    t0 = time.time()
    try:
        with urllib.request.urlopen("http://%s:%d/healthz" % (host, port), timeout=5) as resp:
            bad += resp.status != 200
    except Exception as e:
        bad += 1
    worst = max(worst, time.time() - t0)
    n += 1
    time.sleep(0.1)
stop.set()
for t in threads:
    t.join()
print("# /healthz during slowloris: %d requests, worst %.0f ms" % (n, worst * 1000))
check("/healthz kept answering during slowloris", bad == 0 and n > 5, "%d of %d failed" % (bad, n))
check("/healthz answered within a second", worst < 1.0, worst)
print("%d failed" % failures())
sys.exit(1 if failures() else 0)
