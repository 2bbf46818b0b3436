#!/usr/bin/python3
# Raw Server-Sent Event clients for the http hardening tests: connections
# that do not read (a tiny receive buffer, nothing recv'd) and, later, read
# everything and parse it; and check()/failures(), the result lines every
# python test here prints. Imported by the http tests' python scripts.
import json, socket, threading, time


_fails = 0


def check(name, ok, detail=""):
    """One "ok - NAME" or "FAIL - NAME  DETAIL" line; failures() counts the latter."""
    global _fails
    print(("ok - " if ok else "FAIL - ") + name + ("" if ok else "  " + str(detail)), flush=True)
    _fails += 0 if ok else 1


def failures():
    return _fails


def rss_anon_kb(pid):
    """The process's anonymous resident memory (kB): the heap, not LMDB's map."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


class Stalled:
    """GET path over HTTP/1.0 (no chunking: the end is a close), sent at
    once; then nothing is read until read_all()."""

    def __init__(self, host, port, path, source="127.0.0.1", rcvbuf=4096):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.bind((source, 0))
        self.s.settimeout(10)
        self.s.connect((host, port))
        self.s.sendall(("GET %s HTTP/1.0\r\nHost: x\r\n%s\r\n" % (path, auth_header())).encode())
        self.raw = b""

    def read_all(self, timeout=120, keep=True):
        """Everything until the server closes: (status, [(event, data)]).
        Parsed as it comes; with keep=False a log stream's messages are
        folded into a LogTally (returned in place of the list)."""
        self.s.settimeout(timeout)
        status, head, buf = None, True, b""
        out = [] if keep else LogTally()
        try:
            while True:
                b = self.s.recv(1 << 20)
                if not b:
                    break
                buf += b
                if head:
                    if b"\r\n\r\n" not in buf:
                        continue
                    h, _, buf = buf.partition(b"\r\n\r\n")
                    line = h.split(b"\r\n", 1)[0].split(b" ")
                    status = int(line[1]) if len(line) > 1 and line[1].isdigit() else None
                    head = False
                *blocks, buf = buf.split(b"\n\n")
                for blk in blocks:
                    ev = block(blk)
                    if ev:
                        out.append(ev) if keep else out.add(*ev)
        except (socket.timeout, OSError):
            pass
        self.s.close()
        return status, out

    def close(self):
        self.s.close()


def block(blk):
    """One SSE block: (event, data decoded) or None (a comment, retry)."""
    ev, data = "message", None
    for l in blk.decode("utf-8", "replace").split("\n"):
        if l.startswith("event: "):
            ev = l[7:]
        elif l.startswith("data: "):
            data = l[6:]
    return (ev, json.loads(data)) if data is not None else None


class LogTally:
    """A log stream's messages, checked to follow each other, without
    keeping the text: bytes, its tail, the end event's data, an error."""

    def __init__(self):
        self.at, self.size, self.tail, self.end, self.error = None, 0, "", None, None

    def add(self, ev, d):
        if ev == "meta":
            self.at = d["offset"]
        elif ev == "message" and not self.error:
            if d["offset"] != self.at:
                self.error = "message at %d, expected %s" % (d["offset"], self.at)
            self.size += len(d["text"].encode())
            self.tail = (self.tail + d["text"])[-64:]
            self.at = d["next"]
        elif ev == "end":
            self.end = d

    def whole(self, ending):
        return (not self.error and self.end is not None and self.end.get("size") == self.size
                and self.end.get("status") == "succeeded" and self.tail.endswith(ending))


def read_all_parallel(clients, timeout=120, keep=True):
    out = [None] * len(clients)

    def run(i):
        out[i] = clients[i].read_all(timeout, keep)
    ts = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def auth_header():
    """The API acts as its caller: lib.sh exports the admin's token."""
    import os
    t = os.environ.get("PIKOCI_HTTP_TOKEN")
    return "Authorization: Bearer %s\r\n" % t if t else ""


def http_get(host, port, path, timeout=5):
    import os, urllib.request, urllib.error
    t = os.environ.get("PIKOCI_HTTP_TOKEN")
    req = urllib.request.Request("http://%s:%d%s" % (host, port, path),
                                 headers={"Authorization": "Bearer " + t} if t else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except Exception as e:
        return None, str(e).encode()


def build_status(host, port, pipeline, job, number):
    st, body = http_get(host, port, "/api/pipelines/%s/jobs/%s/builds/%d" % (pipeline, job, number))
    try:
        return json.loads(body).get("status") if st == 200 else None
    except ValueError:
        return None


def wait_until(pred, seconds, step=0.1, tick=None):
    end = time.time() + seconds
    while time.time() < end:
        if tick:
            tick()
        if pred():
            return True
        time.sleep(step)
    return False
