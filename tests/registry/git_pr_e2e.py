#!/usr/bin/python3
"""The git type's pull-request mode (pr = true) end to end: a real bare
repository over file:// holding pull-request heads on the forge's refs
(refs/pull/N/head, GitLab's refs/merge-requests/N/head), a fake forge API
on loopback that records every request, and a real pikoci server driven
through the CLI. Asserted: the API calls each forge expects (path, query,
auth header; the token never in a URL or a message), a first check builds
only the most recently updated pull request, a push to a pull request and a
new pull request each make exactly one new build, closed ones none, and each
build's checkout is the pull request's head on branch pr-N. Then GitLab and
Gitea flavours through `pikoci run`, and the errors a user can act on."""
import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import parse_qs, urlsplit

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(__file__))
from fake_http import Fake
from util import BIN, check, finish, git, pikoci

TOKEN = "forge-token-5f3a9c"
T = tempfile.mkdtemp(prefix="pk-reg-gitpr-")
ENV = {"PIKOCI_CACHE_DIR": os.path.join(T, "cache"), "HOME": T, "GIT_CONFIG_NOSYSTEM": "1"}


class Forge(Fake):
    """Answers the pull-request listings of GitHub, GitLab and Gitea from
    self.open: (number, head sha) pairs, most recently updated first."""
    def __init__(self):
        super().__init__()
        self.open = []

    def route(self, rec):
        u = urlsplit(rec["path"])
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        rec["query"] = q
        if u.path == "/gh/repos/acme/app/pulls":
            n = int(q.get("per_page", "30"))
            return 200, [{"number": num, "head": {"sha": sha}, "state": "open"}
                         for num, sha in self.open[:n]], None
        if u.path == "/gl/projects/acme%2Fgroup%2Fapp/merge_requests":
            n = int(q.get("per_page", "20"))
            return 200, [{"iid": num, "sha": sha, "state": "opened"} for num, sha in self.open[:n]], None
        if u.path == "/gt/repos/acme/app/pulls":
            n = int(q.get("limit", "30"))
            return 200, [{"number": num, "head": {"sha": sha}} for num, sha in self.open[:n]], None
        if u.path == "/denied/repos/acme/app/pulls":
            return 401, {"message": "Bad credentials"}, None
        return 404, {"message": "Not Found"}, None


def repo(name, ref_fmt, prs):
    """A bare repo with main and each PR's commits pushed only to ref_fmt % N;
    returns (file:// url, work clone, {N: head sha})."""
    bare, wc = os.path.join(T, name + ".git"), os.path.join(T, name + ".wc")
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", bare], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", wc], check=True)
    with open(os.path.join(wc, "FILE"), "w") as f:
        f.write("main\n")
    git(wc, "add", "FILE")
    git(wc, "commit", "-qm", "main")
    git(wc, "push", "-q", bare, "HEAD:refs/heads/main")
    heads = {}
    for n in prs:
        heads[n] = push_pr(wc, bare, ref_fmt, n, "pr %d first" % n)
    return "file://" + bare, wc, heads


def push_pr(wc, bare, ref_fmt, n, content):
    """A commit on the contributor's branch for PR n, pushed to its ref."""
    branches = git(wc, "branch", "--list", "pr%d" % n)
    git(wc, "checkout", "-q", *([] if branches else ["-b"]), "pr%d" % n)
    with open(os.path.join(wc, "FILE"), "w") as f:
        f.write(content + "\n")
    git(wc, "commit", "-qam", content)
    git(wc, "push", "-q", "-f", bare, "HEAD:" + ref_fmt % n)
    sha = git(wc, "rev-parse", "HEAD")
    git(wc, "checkout", "-q", "main")
    return sha


PIPELINE = """
variable "api" {{ type = string }}
variable "token" {{
  type    = string
  default = ""
}}

resource_type "git" {{
  source = "pikoci://git"
}}

resource "git" "pr" {{
  check_interval = "@every 1h"
  params {{
    url        = "{url}"
    name       = "src"
    pr         = true
    provider   = "{provider}"
    api_url    = var.api
    repository = "{repository}"
    token      = var.token
  }}
}}

job "test" {{
  get "git" "pr" {{
    trigger = true
  }}
  task "show" {{
    run "shell" {{
      cmd = "cd src && echo HEAD=$(git rev-parse HEAD) BRANCH=$(git symbolic-ref HEAD) FILE=$(cat FILE)"
    }}
  }}
}}
"""


def write_pipeline(name, **kw):
    path = os.path.join(T, name + ".hcl")
    with open(path, "w") as f:
        f.write(PIPELINE.format(**kw))
    return path


def until(deadline_s, fn):
    end = time.time() + deadline_s
    while time.time() < end:
        r = fn()
        if r:
            return r
        time.sleep(0.05)
    return fn()


def cli(*args):
    rc, out, err = pikoci(*args, "--json", env=dict(ENV, PIKOCI_SERVER=server_url))
    try:
        return json.loads(out) if rc == 0 else None
    except ValueError:
        return None


def builds():
    return cli("builds", "prs/test") or []


def finished(n):
    """True once n builds exist and all of them finished."""
    b = builds()
    return len(b) == n and all(x["status"] not in ("pending", "started") for x in b)


def checks_done():
    r = [x for x in cli("resources", "prs") or [] if x.get("name") == "git.pr"]
    return r[0].get("checks", 0) if r else 0


def build_log(number):
    rc, out, err = pikoci("logs", "prs/test/%s" % number, env=dict(ENV, PIKOCI_SERVER=server_url))
    return out


def shown(number):
    """What build number's task printed: {HEAD, BRANCH, FILE}."""
    m = re.search(r"^HEAD=(\S*) BRANCH=(\S*) FILE=(.*)$", build_log(number), re.M)
    return dict(zip(("HEAD", "BRANCH", "FILE"), m.groups())) if m else {}


forge = Forge()

# ---------------------------------------------------------------- GitHub, through a server
url, wc, heads = repo("gh", "refs/pull/%d/head", [1, 2])
bare = url[len("file://"):]
forge.open = [(2, heads[2]), (1, heads[1])]        # 2 updated last
hcl = write_pipeline("gh", url=url, provider="github", repository="acme/app")
log = open(os.path.join(T, "server.log"), "w+")
server = subprocess.Popen([BIN, "server", "--listen", "tcp://127.0.0.1:*", "--run-worker",
                           "--pipeline-config", hcl, "--pipeline-name", "prs",
                           "--var", "api=" + forge.url + "/gh", "--var", "token=" + TOKEN],
                          stderr=log, env=dict(os.environ, **ENV))
server_url = None
# a failing assertion must not leave the server running (ctest would wait)
atexit.register(lambda: server.poll() is None and server.kill())


def ready():
    log.seek(0)
    text = log.read()
    for line in text.splitlines():
        if "listening on tcp:" in line:
            global server_url
            server_url = line.split("listening on ")[1].split()[0]
    return "server ready" in text and server_url


check("server starts with the pipeline", until(30, ready), open(log.name).read())

# first check: only the most recently updated pull request
check("first check builds one pull request", until(30, lambda: finished(1)), builds())
b = builds()
check("first build succeeded", b and b[0]["status"] == "succeeded", b)
s = shown(b[0]["number"]) if b else {}
check("first build is PR 2's head on branch pr-2",
      s.get("HEAD") == heads[2] and s.get("BRANCH") == "refs/heads/pr-2"
      and s.get("FILE") == "pr 2 first", s)
reqs = forge.take()
check("first check asked for one pull request", len(reqs) >= 1
      and reqs[0]["query"] == {"state": "open", "sort": "updated", "direction": "desc",
                               "per_page": "1"}, [r["path"] for r in reqs])
check("GitHub: bearer token, JSON, a user agent",
      all(r["headers"].get("authorization") == "Bearer " + TOKEN
          and r["headers"].get("user-agent") == "pikoci" for r in reqs), [r["headers"] for r in reqs])
check("the token is in no URL", all(TOKEN not in r["path"] for r in reqs))

# nothing changed: a check finds nothing new
pikoci("check", "prs/git.pr", env=dict(ENV, PIKOCI_SERVER=server_url))
check("a later check lists up to 100",
      until(15, lambda: [r for r in forge.take() if r["query"].get("per_page") == "100"]))
vers = cli("versions", "prs/git.pr") or []
check("PR 1, older and not yet built, is now a version too", until(15, lambda: finished(2)),
      (vers, builds()))
s = shown(2)
check("...built on pr-1 at its head", s.get("HEAD") == heads[1]
      and s.get("BRANCH") == "refs/heads/pr-1" and s.get("FILE") == "pr 1 first", s)
before = checks_done()
pikoci("check", "prs/git.pr", env=dict(ENV, PIKOCI_SERVER=server_url))
check("a check with nothing new finishes", until(15, lambda: checks_done() > before))
check("...and adds no version, so no build",
      len(cli("versions", "prs/git.pr") or []) == 2 and len(builds()) == 2, builds())

# a push to PR 1, a new PR 3, PR 2 closed
h1b = push_pr(wc, bare, "refs/pull/%d/head", 1, "pr 1 second")
h3 = push_pr(wc, bare, "refs/pull/%d/head", 3, "pr 3 first")
forge.open = [(3, h3), (1, h1b)]
pikoci("check", "prs/git.pr", env=dict(ENV, PIKOCI_SERVER=server_url))
check("a push and a new PR: two new builds", until(30, lambda: finished(4)), builds())
got = {shown(n).get("BRANCH"): shown(n) for n in ("3", "4")}
check("the push to PR 1 is built at its new head",
      got.get("refs/heads/pr-1", {}).get("HEAD") == h1b
      and got["refs/heads/pr-1"].get("FILE") == "pr 1 second", got)
check("PR 3 is built at its head", got.get("refs/heads/pr-3", {}).get("HEAD") == h3, got)
vers = cli("versions", "prs/git.pr") or []
check("versions carry ref and pr", sorted((v["version"]["pr"], v["version"]["ref"]) for v in vers)
      == sorted([("2", heads[2]), ("1", heads[1]), ("1", h1b), ("3", h3)]), vers)

# a refused token: the check fails with the forge's words, no token shown
forge.take()
server.terminate()
server.wait(timeout=30)
log.close()
check("server stops on SIGTERM", server.returncode == 0, server.returncode)

# ---------------------------------------------------------------- GitLab and Gitea, through pikoci run
FLAVOURS = [
    # name, provider, repository, the PR ref, PRs newest first, auth header, query
    ("gitlab", "gitlab", "acme/group/app", "refs/merge-requests/%d/head", [5, 6],
     ("private-token", TOKEN),
     {"state": "opened", "order_by": "updated_at", "sort": "desc", "per_page": "1"}),
    ("forgejo", "forgejo", "acme/app", "refs/pull/%d/head", [9],
     ("authorization", "token " + TOKEN),
     {"state": "open", "sort": "recentupdate", "limit": "1"}),
]
for name, provider, repository, ref_fmt, prs, (header, value), query in FLAVOURS:
    f_url, f_wc, f_heads = repo(name, ref_fmt, prs)
    forge.open = [(n, f_heads[n]) for n in prs]
    hcl = write_pipeline(name, url=f_url, provider=provider, repository=repository)
    api = forge.url + ("/gl" if provider == "gitlab" else "/gt")
    rc, out, err = pikoci("run", hcl, "--job", "test", "--var", "api=" + api,
                          "--var", "token=" + TOKEN, env=ENV)
    n = prs[0]
    check("%s: the newest pull request is checked out on pr-%d" % (name, n),
          rc == 0 and "HEAD=%s BRANCH=refs/heads/pr-%d FILE=pr %d first" % (f_heads[n], n, n) in out,
          out + err)
    reqs = forge.take()
    check("%s: the token in %s, the project's path, open ones by update" % (name, header),
          reqs and reqs[0]["headers"].get(header) == value and reqs[0]["query"] == query
          and len([h for h in ("authorization", "private-token") if h in reqs[0]["headers"]]) == 1,
          reqs)

# ---------------------------------------------------------------- errors
hcl = write_pipeline("denied", url=url, provider="github", repository="acme/app")
rc, out, err = pikoci("run", hcl, "--job", "test", "--var", "api=" + forge.url + "/denied",
                      "--var", "token=" + TOKEN, env=ENV)
check("a refused token: the run stops with HTTP 401 and the forge's words, no token",
      rc == 2 and "HTTP 401" in out + err and "Bad credentials" in out + err
      and TOKEN not in out + err, out + err)
hcl = write_pipeline("noforge", url=url, provider="bitbucket", repository="acme/app")
rc, out, err = pikoci("run", hcl, "--job", "test", "--var", "api=" + forge.url, env=ENV)
check("an unknown provider names the ones there are",
      rc == 2 and "github, gitlab, gitea, forgejo" in out + err, out + err)
forge.open = []
forge.take()
hcl = write_pipeline("none", url=url, provider="github", repository="acme/app")
rc, out, err = pikoci("run", hcl, "--job", "test", "--var", "api=" + forge.url + "/gh", env=ENV)
check("no open pull request: nothing to run, said so",
      rc == 2 and "has no version" in err, out + err)
reqs = forge.take()
check("without a token no auth header is sent",
      reqs and "authorization" not in reqs[0]["headers"], reqs)

forge.close()
shutil.rmtree(T, ignore_errors=True)
finish()
