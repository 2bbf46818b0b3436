#!/usr/bin/python3
"""A slow type registry does not stop scheduling.

`pikoci pipelines set` may fetch type definitions (--allow-remote-types
here); control does that in a thread of its own and hands the scheduler
the fetched texts, so the scheduler never waits on the network. The fake
registry on loopback holds its answer for one definition until the test
releases it (a threading.Event, not a delay), and records when it was
asked and whether it has answered -- so each check below knows the fetch
is still in flight rather than guessing from the clock.

Through a real server (--run-worker --allow-remote-types): pipeline A (no
remote types) is set; the set of B (needs the held definition) runs in the
background; while the registry holds the answer, `pikoci pipelines` answers
and `pikoci trigger A/quick --watch` completes with success. Released, the
set of B completes, B's job runs through the fetched runner, and the
definition was asked for once (the scheduler used what control fetched).
Two sets of one pipeline D, the first held at the registry and the second
with nothing to fetch, are applied in the order asked: the second waits.
A definition the registry does not have: the set is refused with the
error at the type's line, as before, and the failed fetch is not repeated.
With the old behaviour (fetching on the scheduler's thread) the trigger
would wait for the held answer and this test would fail."""
import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(__file__))
from fake_registry import Registry
from util import BIN, check, finish, pikoci, start_server, stop_server

T = tempfile.mkdtemp(prefix="pk-reg-slow-")
atexit.register(shutil.rmtree, T, True)

SLOW = r'''runner_type "slow" {
  run {
    path = "/bin/sh"
    args = ["-ec", "$script"]
  }
}
'''
HELD = "/reg/runners/slow.hcl"
HOLD_LIMIT = 120                   # a safety net only: the test releases it


reg = Registry({HELD: (200, SLOW)}, held=HELD, hold_limit=HOLD_LIMIT)
atexit.register(reg.close)
ENV = {"PIKOCI_REMOTE_TYPES_URL": reg.base, "TMPDIR": T,
       "PIKOCI_CACHE_DIR": os.path.join(T, "cache")}

A = r'''job "quick" {
  task "t" {
    run "shell" {
      cmd = "echo quick ran"
    }
  }
}
'''
B = r'''runner_type "slow" {
  source = "pikoci://slow"
}

job "b" {
  task "t" {
    run "slow" {
      script = "echo \"slow runner ran: $((6 * 7))\""
    }
  }
}
'''
# D is set twice: first needing the held runner, then with its own; the
# second, asked for later, must not be overtaken by the first
D1 = B.replace("job \"b\"", "job \"d\"")
D2 = r'''runner_type "slow" {
  run {
    path = "/bin/sh"
    args = ["-ec", "$script"]
  }
}

job "d" {
  task "t" {
    run "slow" {
      script = "echo \"inline runner ran\""
    }
  }
}
'''
C = r'''job "c" {
  task "t" {
    run "gone" {
      script = "true"
    }
  }
}

runner_type "gone" {
  source = "pikoci://gone"
}
'''
files = {}
for name, text in (("A", A), ("B", B), ("C", C), ("D1", D1), ("D2", D2)):
    files[name] = os.path.join(T, name + ".hcl")
    with open(files[name], "w") as f:
        f.write(text)


log = os.path.join(T, "server.log")
srv, ep = start_server(log, "--run-worker", "--allow-remote-types", env=ENV)
setting = setting_d1 = setting_d2 = None
try:
    check("server --run-worker --allow-remote-types: ready", ep is not None, open(log).read())
    if not ep:
        raise SystemExit(finish())
    S = ["--server", ep]
    # pipeline names are slugs (a capital would be set lowercased, as PikoCI does)
    rc, out, err = pikoci("pipelines", "set", "a", files["A"], *S, env=ENV)
    check("pipeline A set", rc == 0 and "pipeline a set" in out, out + err)
    check("A needed nothing from the registry", reg.take() == [], reg.paths)

    # B's and D1's sets, in the background: their fetches are held at the
    # registry; D2 (nothing to fetch) comes after D1
    e = dict(os.environ, **ENV)

    def background(name, path):
        return subprocess.Popen([BIN, "pipelines", "set", name, path, "--timeout", "60s"] + S,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=e)
    setting = background("b", files["B"])
    setting_d1 = background("d", files["D1"])
    check("the registry is asked for B's and D's runner", reg.wait_asked(2, 30), reg.paths)
    setting_d2 = background("d", files["D2"])

    rc, out, err = pikoci("pipelines", "--json", *S, env=ENV, timeout=30)
    check("while the fetch is held: `pikoci pipelines` answers (A, not yet B)",
          rc == 0 and '"a"' in out and '"b"' not in out, out + err)
    try:
        rc, out, err = pikoci("trigger", "a/quick", "--watch", *S, env=ENV, timeout=60)
    except subprocess.TimeoutExpired as x:
        rc, out, err = -1, str(x.stdout), "timed out: the scheduler waited on the fetch?"
    check("while the fetch is held: trigger A/quick --watch succeeds",
          rc == 0 and "quick ran" in out, out + err)
    check("... and the registry had still not answered", not reg.answered.is_set()
          and setting.poll() is None and setting_d1.poll() is None, reg.paths)
    check("D's second set waits for its first", setting_d2.poll() is None)

    reg.release.set()
    out, err = setting.communicate(timeout=60)
    check("released: the set of B completes", setting.returncode == 0 and "pipeline b set" in out,
          out + err)
    outs = [p.communicate(timeout=60) for p in (setting_d1, setting_d2)]
    check("D's sets complete in the order asked (version 1, then 2)",
          setting_d1.returncode == 0 and "pipeline d set (version 1)" in outs[0][0]
          and setting_d2.returncode == 0 and "pipeline d set (version 2)" in outs[1][0], outs)
    rc, out, err = pikoci("trigger", "d/d", "--watch", *S, env=ENV, timeout=60)
    check("D is its second text", rc == 0 and "inline runner ran" in out, out + err)
    check("the held runner was fetched once per set: the scheduler used what control fetched",
          reg.take() == [HELD, HELD], reg.paths)
    rc, out, err = pikoci("trigger", "b/b", "--watch", *S, env=ENV, timeout=60)
    check("B/b runs through the fetched runner", rc == 0 and "slow runner ran: 42" in out,
          out + err)

    # a definition the registry does not have: refused as the scheduler words it
    rc, out, err = pikoci("pipelines", "set", "c", files["C"], *S, env=ENV, timeout=60)
    url = reg.base + "/runners/gone.hcl"
    check("a failed fetch: the set is refused (exit 1)",
          rc == 1 and 'pipeline "c" is not valid' in err, out + err)
    check("the error is at the type's line and names the URL",
          'c.hcl:9:1: error: runner_type "gone": "pikoci://gone" is not built in, and '
          'fetching %s: the server answered HTTP 404' % url in err, err)
    check("the failed fetch was not repeated by the scheduler",
          reg.take() == ["/reg/runners/gone.hcl"], reg.paths)
    rc, out, err = pikoci("pipelines", "--json", *S, env=ENV)
    check("C is not on the server, A, B and D are",
          rc == 0 and '"a"' in out and '"b"' in out and '"d"' in out and '"c"' not in out,
          out + err)
finally:
    reg.release.set()
    for p in (setting, setting_d1, setting_d2):
        if p and p.poll() is None:
            p.kill()
            p.wait()
    rc = stop_server(srv)
check("SIGTERM stops the server (exit 0)", rc == 0, open(log).read())

# stopping while a registry hangs: the fetch is told to give up, so the
# server does not wait out the fetch timeout (15 s)
reg.release.clear()
reg.answered.clear()
log = os.path.join(T, "server2.log")
srv, ep = start_server(log, "--run-worker=false", "--allow-remote-types", env=ENV)
asked = reg.held
setting = subprocess.Popen([BIN, "pipelines", "set", "b", files["B"], "--server", ep or "",
                            "--timeout", "60s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=dict(os.environ, **ENV))
try:
    check("a second server's set waits on the held definition", reg.wait_asked(asked + 1, 30),
          reg.paths)
    srv.send_signal(signal.SIGTERM)
    try:
        rc = srv.wait(timeout=10)
    except subprocess.TimeoutExpired:
        rc = None
    check("SIGTERM while a fetch hangs: the server exits (0) with the registry still holding",
          rc == 0 and not reg.answered.is_set(), (rc, open(log).read()))
finally:
    reg.release.set()
    stop_server(srv)
    setting.communicate(timeout=60)
finish()
