#!/usr/bin/python3
"""--allow-remote-types end to end, against a registry on loopback.

A pikoci://NAME that is not built into pikoci is fetched only when the
command is given --allow-remote-types, from $PIKOCI_REMOTE_TYPES_URL laid
out as PikoCI's registry is (resource_types/, runners/, notification_types/,
...). The fake registry here records every request, so the tests assert
what was fetched -- and, as much, what was not: nothing without the flag,
nothing for a built-in name, nothing with --offline.

Checked through the real binary: validate (without the flag: the error at
the type's file:line:col, naming the built-in names -- taken from `pikoci
types`, not copied here -- and the flag; with it: valid, exactly the
expected GETs), run (a remote resource type's check and pull, a remote
runner and a remote notification type really run), the failures a user can
meet (404, not HCL, no block of the kind: each at its type's position,
naming the URL), --offline with the flag (a usage error), and the server:
--pipeline-config with the flag, `pikoci pipelines set` through a server
with the flag (fetched) and through one without (refused with the error,
the server still answering)."""
import atexit
import os
import re
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(__file__))
from fake_registry import Registry
from util import check, finish, pikoci, start_server, stop_server

T = tempfile.mkdtemp(prefix="pk-reg-remote-")
atexit.register(shutil.rmtree, T, True)     # also when a step raises

# The definitions the fake registry serves. counter's check computes its
# version (41 above the last one), so "n=41" in the pull's output proves the
# check ran and its output reached the pull; the marker file proves the
# check saw its param.
COUNTER = r'''# counter: a version that counts, for the remote-types test
resource_type "counter" {
  params = ["marker"]
  check "exec" {
    path = "/bin/sh"
    args = ["-ec", <<-EOT
      echo "counter check ran" > "$param_marker"
      [ -n "$version_n" ] || version_n=0
      printf '[{"n":"%s"}]\n' "$((version_n + 41))"
    EOT
    ]
  }
  pull "exec" {
    path = "/bin/sh"
    args = ["-ec", "echo \"counter pull ran: n=$version_n\"; echo \"$version_n\" > n"]
  }
}
'''
BASH = r'''runner_type "bash" {
  run {
    path = "/bin/sh"
    args = ["-ec", "$script"]
  }
}
'''
SHOUT = r'''notification_type "shout" {
  params = ["file"]
  notify "shell" {
    cmd = "echo \"shout: $NOTIFY_MESSAGE\" >> \"$param_file\""
  }
}
'''
ROUTES = {
    "/reg/resource_types/counter.hcl": (200, COUNTER),
    "/reg/runners/bash.hcl": (200, BASH),
    "/reg/notification_types/shout.hcl": (200, SHOUT),
    "/reg/resource_types/broken.hcl": (200, "<html><body>Rate limited</body></html>\n"),
    "/reg/secret_types/wrongkind.hcl": (200, COUNTER),
    # were these asked for, the built-in-first rule would be broken
    "/reg/notification_types/slack.hcl": (200, SHOUT.replace("shout", "slack")),
    "/reg/resource_types/git.hcl": (200, COUNTER.replace("counter", "git")),
}


reg = Registry(ROUTES)
ENV = {"PIKOCI_REMOTE_TYPES_URL": reg.base, "TMPDIR": T}
marker, notes = os.path.join(T, "check-ran"), os.path.join(T, "notes.log")
VARS = ["--var", "marker=" + marker, "--var", "notes=" + notes]

PIPELINE = r'''variable "marker" {
  type = string
}
variable "notes" {
  type = string
}

resource_type "counter" {
  source = "pikoci://counter"
}
runner_type "bash" {
  source = "pikoci://bash"
}
notification_type "shout" {
  source = "pikoci://shout"
}
# built in: never fetched, whatever the flag says
notification_type "slack" {
  source = "pikoci://slack"
}
resource_type "git" {
  source = "pikoci://git"
}

resource "counter" "c" {
  params {
    marker = var.marker
  }
}

notification "shout" "n" {
  params {
    file = var.notes
  }
}

job "j" {
  get "counter" "c" {
    trigger = true
  }
  task "t" {
    run "bash" {
      script = "echo \"runner bash ran: $((6 * 7)) with n=$(cat n)\""
    }
  }
  notify "shout" "n" {
    message = "remote notify ran"
  }
}
'''
HCL = os.path.join(T, "remote.hcl")
with open(HCL, "w") as f:
    f.write(PIPELINE)
WANT = sorted(["/reg/resource_types/counter.hcl", "/reg/runners/bash.hcl",
               "/reg/notification_types/shout.hcl"])


def where(text, block):
    """"FILE:LINE:1" of the line that opens block in text (the type's position)."""
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith(block):
            return n
    raise AssertionError("no %s in the pipeline" % block)


def builtin_names():
    """kind -> the built-in names `pikoci types` lists: the reference."""
    rc, out, _ = pikoci("types")
    names, kind = {}, None
    for line in out.splitlines():
        m = re.match(r"^(\w+):$", line)
        if m:
            kind = m.group(1)
            names[kind] = []
        m = re.match(r"^  pikoci://(\S+)", line)
        if m and kind:
            names[kind].append(m.group(1))
    return names


def listed_names(err, kind, name):
    """The names of the "(built in: a, b; ...)" part of the error for name."""
    m = re.search(r'"pikoci://%s" is not a built-in %s \(built in: ([^;]*);' % (name, kind), err)
    return set(m.group(1).split(", ")) if m else None


names = builtin_names()
check("pikoci types lists the built-in names of each kind",
      all(names.get(k) for k in ("resource_type", "runner_type", "notification_type")), names)

# 1. validate without the flag: an error per remote type, nothing fetched
rc, out, err = pikoci("validate", HCL, *VARS, env=ENV)
check("validate without --allow-remote-types: exit 2", rc == 2, out + err)
for kind, name, d in (("resource_type", "counter", "resource_types"), ("runner_type", "bash", "runners"),
                      ("notification_type", "shout", "notification_types")):
    line = where(PIPELINE, '%s "%s"' % (kind, name))
    head = '%s:%d:1: error: %s "%s": "pikoci://%s" is not a built-in %s' % (HCL, line, kind, name, name, kind)
    check("%s: the error is at the type's file:line:col" % kind, head in err, err)
    check("%s: the error lists the built-in names" % kind,
          listed_names(err, kind, name) == set(names.get(kind, [])), (names.get(kind), err))
    url = "%s/%s/%s.hcl" % (reg.base, d, name)
    check("%s: the error names --allow-remote-types and the URL" % kind,
          "pass --allow-remote-types to fetch it from " + url in err, err)
check("validate: exactly three errors (slack and git are built in)", "invalid: 3 errors" in err, err)
check("validate without the flag fetches nothing", reg.take() == [], reg.paths)

# 2. validate with the flag: valid, exactly the three definitions fetched
rc, out, err = pikoci("validate", HCL, *VARS, "--allow-remote-types", env=ENV)
check("validate --allow-remote-types: valid", rc == 0 and "valid: 1 resource, 1 job" in out, out + err)
got = reg.take()
check("validate --allow-remote-types: exactly the expected GETs", sorted(got) == WANT, got)
check("a built-in name is never requested", not [p for p in got if "slack" in p or "git" in p], got)

# 3. --offline with the flag: a usage error, nothing fetched
rc, out, err = pikoci("validate", HCL, *VARS, "--offline", "--allow-remote-types", env=ENV)
check("validate --offline --allow-remote-types: exit 2, a usage error",
      rc == 2 and "--offline and --allow-remote-types" in err and "usage:" in err, err)
check("--offline fetches nothing", reg.take() == [], reg.paths)

# 4. run: the remote types' commands really run
rc, out, err = pikoci("run", "--allow-remote-types", HCL, "--job", "j", *VARS, env=ENV)
check("run --allow-remote-types: the build succeeds", rc == 0 and "build succeeded" in out, out + err)
check("the remote check ran (with its param)",
      os.path.exists(marker) and open(marker).read() == "counter check ran\n", out + err)
check("the remote pull ran, with the version the check computed", "counter pull ran: n=41" in out, out)
check("the remote runner ran the task", "runner bash ran: 42 with n=41" in out, out)
check("the remote notification type ran",
      os.path.exists(notes) and open(notes).read() == "shout: remote notify ran\n", out + err)
got = reg.take()
check("run fetched each definition once", sorted(got) == WANT, got)
rc, out, err = pikoci("run", HCL, "--job", "j", *VARS, env=ENV)
check("run without the flag: exit 2 with the hint",
      rc == 2 and "pass --allow-remote-types" in err and "build" not in out, out + err)
check("run without the flag fetches nothing", reg.take() == [], reg.paths)

# 5. what goes wrong at the registry: each at its type's line, naming the URL
BAD = r'''resource_type "gone" {
  source = "pikoci://gone"
}
resource_type "broken" {
  source = "pikoci://broken"
}
secret_type "wrongkind" {
  source = "pikoci://wrongkind"
}
resource_type "sneaky" {
  source = "pikoci://../runners/bash"
}
'''
bad = os.path.join(T, "bad.hcl")
with open(bad, "w") as f:
    f.write(BAD)
rc, out, err = pikoci("validate", bad, "--allow-remote-types", env=ENV)
check("registry failures: exit 2", rc == 2, out + err)
url = reg.base + "/resource_types/gone.hcl"
check("404: at the type, naming the URL and the status",
      '%s:1:1: error: resource_type "gone": "pikoci://gone" is not built in, and fetching %s: '
      'the server answered HTTP 404' % (bad, url) in err, err)
url = reg.base + "/resource_types/broken.hcl"
check("not HCL: at the type, naming the URL",
      '%s:4:1: error: resource_type "broken": %s is not a valid HCL definition' % (bad, url) in err, err)
check("not HCL: the syntax error points into the fetched text", url + ":1:" in err, err)
url = reg.base + "/secret_types/wrongkind.hcl"
check("no block of the kind: at the type, naming the URL",
      '%s:7:1: error: secret_type "wrongkind": %s holds no secret_type block' % (bad, url) in err, err)
check("a name with a path in it: refused, not fetched",
      '%s:10:1: error: resource_type "sneaky": "pikoci://../runners/bash" is not a built-in '
      'resource_type' % bad in err and "not a name that can be fetched" in err, err)
got = reg.take()
check("registry failures: only the three fetchable names requested",
      sorted(got) == sorted(["/reg/resource_types/gone.hcl", "/reg/resource_types/broken.hcl",
                             "/reg/secret_types/wrongkind.hcl"]), got)


# 6. the server
log = os.path.join(T, "server1.log")
srv, ep = start_server(log, "--run-worker=false", "--allow-remote-types", "--pipeline-config", HCL, *VARS, env=ENV)
try:
    check("server --allow-remote-types --pipeline-config: ready", ep is not None, open(log).read())
    check("the server set the pipeline", "pipeline remote set" in open(log).read(), open(log).read())
    got = reg.take()
    # the file is checked before the server starts, then control (in a fetch thread)
    # decodes it again when it is set: each definition twice
    check("server start: the definitions fetched (validation, then control)",
          sorted(got) == sorted(WANT * 2), got)
    if ep:
        rc, out, err = pikoci("pipelines", "set", "again", HCL, *VARS, "--server", ep, env=ENV)
        check("pipelines set through a server with the flag: accepted",
              rc == 0 and "pipeline again set" in out, out + err)
        got = reg.take()
        check("control fetched the definitions for the set", sorted(got) == WANT, got)
        rc, out, err = pikoci("pipelines", "--json", "--server", ep, env=ENV)
        check("both pipelines are on the server", rc == 0 and '"again"' in out and '"remote"' in out,
              out + err)
finally:
    rc = stop_server(srv)
check("SIGTERM stops the server (exit 0)", rc == 0, open(log).read())

log = os.path.join(T, "server2.log")
srv, ep = start_server(log, "--run-worker=false", env=ENV)
try:
    check("server without the flag: ready", ep is not None, open(log).read())
    if ep:
        rc, out, err = pikoci("pipelines", "set", HCL, *VARS, "--server", ep, env=ENV)
        line = where(PIPELINE, 'resource_type "counter"')
        check("pipelines set through a server without the flag: refused (exit 1)",
              rc == 1 and 'pipeline "remote" is not valid' in err, out + err)
        check("the refusal carries the error and the hint",
              'remote.hcl:%d:1: error: resource_type "counter": "pikoci://counter" is not a '
              'built-in resource_type' % line in err and "--allow-remote-types" in err, err)
        check("the server without the flag fetched nothing", reg.take() == [], reg.paths)
        check("the server keeps running", srv.poll() is None, open(log).read())
        rc, out, err = pikoci("pipelines", "--json", "--server", ep, env=ENV)
        check("and still answers, with no pipeline set", rc == 0 and out.strip() == "[]", out + err)
finally:
    rc = stop_server(srv)
check("SIGTERM stops the second server (exit 0)", rc == 0, open(log).read())

log = os.path.join(T, "server3.log")
rc, out, err = pikoci("server", "--listen", "tcp://127.0.0.1:*", "--pipeline-config", HCL, *VARS,
                      env=ENV, timeout=60)
check("server --pipeline-config without the flag: exit 2 with the error",
      rc == 2 and "pass --allow-remote-types" in err, err)
check("and nothing fetched", reg.take() == [], reg.paths)

# 7. resolved once: an lmdb server sets the pipeline with the flag; with the
# registry gone, a restart without the flag still has it, whole, from what
# was stored when it was set -- and a build through the fetched types runs
db = os.path.join(T, "db")
log = os.path.join(T, "server4.log")
srv, ep = start_server(log, "--run-worker=false", "--db-system", "lmdb", "--db-path", db, "--allow-remote-types",
                       "--pipeline-config", HCL, *VARS, env=ENV)
rc = stop_server(srv)
check("lmdb server with the flag: set the pipeline, stopped",
      ep is not None and rc == 0 and "pipeline remote set" in open(log).read(), open(log).read())
reg.take()
reg.close()
log = os.path.join(T, "server5.log")
srv, ep = start_server(log, "--db-system", "lmdb", "--db-path", db, "--run-worker", env=ENV)
try:
    check("restarted without the flag and no registry: ready", ep is not None, open(log).read())
    if ep:
        check("the stored pipeline is loaded, not skipped",
              "no longer decodes" not in open(log).read(), open(log).read())
        def built():
            rc, out, err = pikoci("builds", "remote/j", "--json", "--server", ep, env=ENV)
            return rc == 0 and '"succeeded"' in out
        deadline = time.time() + 60
        while not built() and time.time() < deadline:
            time.sleep(0.05)        # polled: the CLI has no wait for "a build exists"
        rc, out, err = pikoci("logs", "remote/j/1", "--server", ep, env=ENV)
        check("its check found a version and the build through the kept types succeeded",
              built() and "runner bash ran: 42" in out, out + err)
finally:
    rc = stop_server(srv)
check("SIGTERM stops the restarted server (exit 0)", rc == 0, open(log).read())

finish()
