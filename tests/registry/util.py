"""Shared by the registry's script tests: TAP-ish checks, a bare git
repository with tags, running the pikoci binary, a server on loopback."""
import os
import re
import signal
import subprocess
import sys
import time

BIN = os.environ["PIKOCI_BIN"]
SRC = os.environ["PIKOCI_SOURCE_DIR"]
results = {"pass": 0, "fail": 0}


def check(name, ok, detail=""):
    if ok:
        results["pass"] += 1
        print("ok - " + name)
    else:
        results["fail"] += 1
        print("FAIL - %s%s" % (name, (": " + str(detail)) if detail else ""))
    sys.stdout.flush()


def finish():
    print("%d passed, %d failed" % (results["pass"], results["fail"]))
    sys.exit(1 if results["fail"] else 0)


def git(cwd, *args):
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    return subprocess.run(["git", "-C", cwd] + list(args), env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


def tagged_repo(root, tags):
    """root/app.git with one commit per (tag, VERSION content); the SHAs by tag."""
    bare, wc = os.path.join(root, "app.git"), os.path.join(root, "wc")
    subprocess.run(["git", "init", "-q", "--bare", bare], check=True)
    subprocess.run(["git", "init", "-q", wc], check=True)
    shas = {}
    for tag, content in tags:
        with open(os.path.join(wc, "VERSION"), "w") as f:
            f.write(content + "\n")
        git(wc, "add", "VERSION")
        git(wc, "commit", "-qm", content)
        git(wc, "tag", "-a", tag, "-m", "release " + tag)
        shas[tag] = git(wc, "rev-parse", "HEAD")
    git(wc, "push", "-q", bare, "HEAD:refs/heads/main", "--tags")
    return bare, shas


def pikoci(*args, env=None, timeout=120):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([BIN] + list(args), env=e, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def start_server(log, *args, env=None):
    """pikoci server on a free loopback port; (process, endpoint) once ready."""
    f = open(log, "w")
    e = dict(os.environ, **(env or {}))
    p = subprocess.Popen([BIN, "server", "--listen", "tcp://127.0.0.1:*"] + list(args),
                         stdout=subprocess.DEVNULL, stderr=f, env=e)
    f.close()
    deadline = time.time() + 30
    while time.time() < deadline:
        text = open(log).read()
        m = re.search(r"listening on (tcp://\S+)", text)
        if "server ready" in text and m:
            return p, m.group(1)
        if p.poll() is not None:
            return p, None
        time.sleep(0.02)            # the log is a file: nothing to wait on
    return p, None


def stop_server(p):
    """SIGTERM, then its exit status (killed after 30 s)."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()
