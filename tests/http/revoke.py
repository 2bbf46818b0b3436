#!/usr/bin/python3
# Streams end as soon as their caller loses access (revoke.sh runs this):
# /api/v1/events and log streams of several users, each on its own
# connection read by a thread that notes when the server closed it. Then a
# token revoked (DELETE /tokens/ID), a web logout, a user removed, a user
# removed from the team: each must end that caller's streams within a
# deadline far below the 30 s periodic re-check, while the streams of the
# others -- and of the same user's other token -- stay open.
# Usage: revoke.py HOST PORT (users viewer, stayer, goner, rita of team
# main, passwords "password-of-USER"; build r/long/1 running)
import json, os, socket, subprocess, sys, threading, time, urllib.request, urllib.error
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sse import check, failures, wait_until

host, port = sys.argv[1], int(sys.argv[2])
EVENTS_S = 5            # a change stream re-checks every 30 s by itself
LOG_S = 1.5             # a log stream reads as its caller every 2 s by itself
LOG = "/api/v1/pipelines/r/jobs/long/builds/1/log/stream?tail=100"


def call(method, path, token=None, body=None, cookie=None, csrf=None):
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    if cookie:
        h["Cookie"] = "pikoci_session=" + cookie
    if csrf:
        h["X-CSRF-Token"] = csrf
    req = urllib.request.Request("http://%s:%d/api/v1/%s" % (host, port, path), method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers=h)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null"), r.headers
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), e.headers


def login(user):
    st, d, headers = call("POST", "login", body={"user": user, "password": "password-of-" + user})
    cookie = [c for c in headers.get_all("Set-Cookie") or [] if c.startswith("pikoci_session=")]
    return d["csrf"], cookie[0].split(";")[0].split("=", 1)[1]


class Stream:
    """GET path as token over HTTP/1.0 (the end is a close), read by a
    thread: opened once bytes past the headers came, closed_at when the
    server closed it."""

    def __init__(self, name, path, token):
        self.name, self.opened, self.closed_at, self.body = name, False, None, b""
        self.s = socket.create_connection((host, port), timeout=60)
        self.s.sendall(("GET %s HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                        % (path, token)).encode())
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        try:
            while True:
                b = self.s.recv(65536)
                if not b:
                    break
                self.body += b
                self.opened = self.body.startswith(b"HTTP/1.") and b" 200 " in self.body[:16] \
                    and b"\r\n\r\n" in self.body and len(self.body.split(b"\r\n\r\n", 1)[1]) > 0
        except OSError:
            pass
        self.closed_at = time.time()

    def is_open(self):
        return self.closed_at is None

    def close(self):
        try:
            self.s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.t.join(5)
        self.s.close()


def ends_within(streams, seconds, since):
    """Do all streams close within seconds of since? (polled, no sleep-and-hope)"""
    ok = wait_until(lambda: all(not s.is_open() for s in streams), seconds + 5, step=0.02)
    late = [(s.name, None if s.closed_at is None else round(s.closed_at - since, 2))
            for s in streams if s.closed_at is None or s.closed_at - since > seconds]
    return ok and not late, late


viewer_csrf, viewer = login("viewer")
st, d, _ = call("POST", "tokens", token=viewer, body={"name": "script"})
check("the viewer makes an API token", st == 200 and d["token"].startswith("pkt_"), (st, d))
api, api_id = d["token"], d["id"]
_, stayer = login("stayer")
_, goner = login("goner")
_, rita = login("rita")

streams = {
    "viewer-api-events": Stream("viewer-api-events", "/api/v1/events", api),
    "viewer-api-log": Stream("viewer-api-log", LOG, api),
    "viewer-events": Stream("viewer-events", "/api/v1/events", viewer),
    "viewer-log": Stream("viewer-log", LOG, viewer),
    "stayer-events": Stream("stayer-events", "/api/v1/events", stayer),
    "stayer-log": Stream("stayer-log", LOG, stayer),
    "goner-events": Stream("goner-events", "/api/v1/events", goner),
    "goner-log": Stream("goner-log", LOG, goner),
    "rita-events": Stream("rita-events", "/api/v1/events", rita),
    "rita-log": Stream("rita-log", LOG, rita),
}
S = streams
check("all %d streams are open" % len(S), wait_until(lambda: all(s.opened for s in S.values()), 15),
      [n for n, s in S.items() if not s.opened])


def still_open(names):
    closed = [n for n in names if not S[n].is_open()]
    return not closed, closed


def both_end(prefix, whose, t0):
    """The streams prefix-events and prefix-log end, each within its deadline."""
    for kind, name, deadline in (("event", "events", EVENTS_S), ("log", "log", LOG_S)):
        ok, late = ends_within([S[prefix + "-" + name]], deadline, t0)
        check("%s %s stream ended within %.1f s" % (whose, kind, deadline), ok, late)


# 1. a token revoked: its streams end, the same user's session's stay
t0 = time.time()
st, d, _ = call("DELETE", "tokens/" + api_id, token=viewer)
check("the viewer revokes the API token: 200", st == 200, (st, d))
both_end("viewer-api", "its", t0)
check("the viewer's session streams and the others stay open",
      *still_open([n for n in S if not n.startswith("viewer-api")]))

# 2. a web logout (cookie + CSRF): the session's streams end
t0 = time.time()
st, d, _ = call("POST", "logout", cookie=viewer, csrf=viewer_csrf)
check("the viewer logs out: 200", st == 200, (st, d))
both_end("viewer", "the session's", t0)
check("the other users' streams stay open",
      *still_open([n for n in S if not n.startswith("viewer")]))

# 3. a user removed (their tokens go with them)
pk = os.environ["PIKOCI_BIN"]
t0 = time.time()
r = subprocess.run([pk, "users", "remove", "goner"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
check("pikoci users remove goner", r.returncode == 0, r.stderr)
ok, late = ends_within([S["goner-events"], S["goner-log"]], EVENTS_S, t0)
check("goner's streams ended within %.1f s" % EVENTS_S, ok, late)

# 4. a user removed from the team: the log they may no longer read ends; their
# event stream stays (they may still list, now nothing of team main)
t0 = time.time()
r = subprocess.run([pk, "teams", "revoke", "main", "rita"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
check("pikoci teams revoke main rita", r.returncode == 0, r.stderr)
ok, late = ends_within([S["rita-log"]], LOG_S, t0)
check("rita's log stream ended within %.1f s" % LOG_S, ok, late)
check("  with an end event saying why", b"event: end" in S["rita-log"].body
      and b"not a member" in S["rita-log"].body, S["rita-log"].body[-300:])
check("the stayer's streams are still open", *still_open(["stayer-events", "stayer-log"]))
check("the stayer's log stream still gets lines",
      wait_until(lambda: S["stayer-log"].body.count(b"line ") > 100, 10),
      S["stayer-log"].body.count(b"line "))
check("no stream was told of the revocations (ids and names are for the face only)",
      not any(k in s.body for s in S.values() for k in (b"token.", b"user.changed", api_id.encode())))
for s in S.values():
    s.close()
sys.exit(1 if failures() else 0)
