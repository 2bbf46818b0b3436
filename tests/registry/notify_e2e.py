#!/usr/bin/python3
"""The acceptance pipeline (examples/pikoci-style.hcl) validates, and its
"unit" job runs with `pikoci run` -- git in tag mode, a secret from an env
file (masked), an artifact put -- with its slack, discord and github-check
notifications sent to a recording server on loopback: the payloads, the
headers and the GitHub App JWT (verified with the public key) are checked,
on success and on failure. Then the github-check notify steps' two-phase
protocol (in_progress opens a run, conclusion completes it by id) and the
errors a user sees (bad key, HTTP 500 webhook)."""
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(__file__))
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fake_http import CHECK_RUN_ID, INSTALL_TOKEN, Fake
from util import SRC, check, finish, pikoci, tagged_repo

T = tempfile.mkdtemp(prefix="pk-reg-notify-")
HCL = os.path.join(SRC, "examples", "pikoci-style.hcl")
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
pem = os.path.join(T, "app.pem")
with open(pem, "wb") as f:
    f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption()))
fake = Fake(public_key=key.public_key())
bare, shas = tagged_repo(T, [("v1.0", "1.0"), ("v1.1", "1.1")])
envfile = os.path.join(T, "app.env")
with open(envfile, "w") as f:
    f.write("# the deploy token\nDEPLOY_TOKEN=tok-5ecret-value\n")
env = {"PIKOCI_CACHE_DIR": os.path.join(T, "cache")}
common = ["--var", "repo=" + bare, "--var", "secrets_file=" + envfile,
          "--var", "slack_webhook=%s/slack" % fake.url, "--var", "discord_webhook=%s/discord" % fake.url,
          "--var", "github_api=%s/gh" % fake.url, "--var", "github_app_key=" + pem]

# every pikoci:// name the example declares is listed by `pikoci types`
import re
rc, types_out, err = pikoci("types")
used = set(re.findall(r'source\s*=\s*"pikoci://([^"]+)"', open(HCL).read()))
listed = set(re.findall(r"pikoci://(\S+)", types_out))
check("pikoci types lists every name the example uses", rc == 0 and len(used) == 20 and used <= listed,
      (sorted(used), sorted(used - listed)))
rc, one, err = pikoci("types", "github-check")
check("pikoci types NAME: that type and its params",
      rc == 0 and "notification_type:" in one and "app_id, installation_id, private_key" in one, one)
rc, out, err = pikoci("types", "nope")
check("pikoci types NAME for an unknown name: exit 1", rc == 1 and "nope" in err, err)

rc, out, err = pikoci("validate", HCL)
check("the acceptance pipeline validates", rc == 0, out + err)
check("no warning about types not built in", "not built into" not in out + err, out + err)

# 1. success: slack, no discord, github-check completed with success
t0 = time.time()
rc, out, err = pikoci("run", HCL, "--job", "unit", *common, env=env)
check("unit succeeds", rc == 0, out + err)
check("tag mode: the newest tag was got", "testing 1.1" in out, out)
check("the env-file secret reached the task, masked", "with token ***" in out and "5ecret" not in out, out)
reqs = fake.take()
slack = [r for r in reqs if r["path"] == "/slack"]
check("one slack POST", len(slack) == 1, reqs)
if slack:
    s = slack[0]
    check("slack: JSON content type", s["headers"].get("content-type") == "application/json", s["headers"])
    check("slack: {text} with the interpolated message",
          s["body"] == {"text": "[pikoci-style/unit] build #1 of v1.1: succeeded"}, s["body"])
check("no discord message on success", not [r for r in reqs if r["path"] == "/discord"], reqs)
tok = [r for r in reqs if r["path"].endswith("/access_tokens")]
check("one installation token request", len(tok) == 1 and tok[0]["path"] == "/gh/app/installations/678/access_tokens", tok)
if tok:
    c = tok[0]["jwt_claims"]
    check("the JWT verifies with the app's public key", c is not None, tok[0]["headers"].get("authorization"))
    if c:
        check("JWT iss is the app id", c.get("iss") == "12345", c)
        check("JWT iat backdated, exp within 10 minutes",
              c["iat"] <= t0 and c["exp"] > time.time() and c["exp"] - c["iat"] <= 600, c)
    check("token request: GitHub accept and API version headers",
          tok[0]["headers"].get("accept") == "application/vnd.github+json"
          and tok[0]["headers"].get("x-github-api-version") == "2022-11-28", tok[0]["headers"])
runs = [r for r in reqs if "/check-runs" in r["path"]]
check("one check run created", len(runs) == 1 and runs[0]["method"] == "POST"
      and runs[0]["path"] == "/gh/repos/example/app/check-runs", runs)
if runs:
    b = runs[0]["body"]
    check("check run: authorised with the installation token",
          runs[0]["headers"].get("authorization") == "Bearer " + INSTALL_TOKEN, runs[0]["headers"])
    check("check run: name, head_sha of the tag got, completed/success",
          b.get("name") == "pikoci-style/unit" and b.get("head_sha") == shas["v1.1"]
          and b.get("status") == "completed" and b.get("conclusion") == "success", b)
    check("check run: details_url and summary",
          b.get("details_url") == "https://ci.example.org/pipelines/pikoci-style/jobs/unit/builds/1"
          and b.get("output", {}).get("summary") == "build 1: succeeded", b)
check("the private key never shows in the log", "PRIVATE KEY" not in out + err)

# 2. failure: slack and discord (default message), github-check failure
rc, out, err = pikoci("run", HCL, "--job", "unit", "--var", "fail=true", *common, env=env)
check("unit fails with fail=true", rc == 1, out + err)
reqs = fake.take()
disc = [r for r in reqs if r["path"] == "/discord"]
check("one discord POST on failure, PikoCI's default message",
      len(disc) == 1 and disc[0]["body"] == {"content": "\u274c [pikoci-style/unit] Build #1 - failure"}, disc)
slack = [r for r in reqs if r["path"] == "/slack"]
check("slack says failed", len(slack) == 1 and slack[0]["body"]["text"].endswith(": failed"), slack)
runs = [r for r in reqs if "/check-runs" in r["path"]]
check("check run concluded failure", len(runs) == 1 and runs[0]["body"].get("conclusion") == "failure", runs)

# 3. the two-phase protocol of notify steps, through `pikoci builtin` as the runner runs it
wd = os.path.join(T, "wd")
os.makedirs(wd)
genv = dict(env, WORKDIR=wd, BUILD_PIPELINE_NAME="p", BUILD_JOB_NAME="j", BUILD_NUMBER="7",
            param_app_id="12345", param_installation_id="678", param_repository="example/app",
            param_api_url=fake.url + "/gh", param_private_key=open(pem).read(),
            notify_head_sha=shas["v1.0"], notify_name="publish", notify_status="in_progress")
rc, out, err = pikoci("builtin", "github-check", env=genv)
check("in_progress: exits 0", rc == 0, out + err)
idfile = os.path.join(wd, ".github-check-publish.id")
check("in_progress: the run's id is kept in $WORKDIR", os.path.exists(idfile)
      and open(idfile).read().strip() == str(CHECK_RUN_ID))
reqs = fake.take()
runs = [r for r in reqs if "/check-runs" in r["path"]]
check("in_progress: created with status in_progress (PEM text key)",
      len(runs) == 1 and runs[0]["body"].get("status") == "in_progress"
      and "conclusion" not in runs[0]["body"], runs)
del genv["notify_status"]
genv["notify_conclusion"] = "success"
rc, out, err = pikoci("builtin", "github-check", env=genv)
reqs = fake.take()
runs = [r for r in reqs if "/check-runs" in r["path"]]
check("conclusion: PATCHes the open run by id", rc == 0 and len(runs) == 1
      and runs[0]["method"] == "PATCH" and runs[0]["path"].endswith("/check-runs/%d" % CHECK_RUN_ID)
      and runs[0]["body"].get("conclusion") == "success" and runs[0]["body"].get("status") == "completed", runs)
check("conclusion: the id file is gone", not os.path.exists(idfile))

# 4. errors a user can act on
bad = dict(genv, param_private_key="-----BEGIN RSA PRIVATE KEY-----\nnope\n-----END RSA PRIVATE KEY-----\n")
rc, out, err = pikoci("builtin", "github-check", env=bad)
check("a bad key: exit 1 with a message, nothing sent",
      rc == 1 and "not a PEM private key" in out and not fake.take(), out + err)
other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
rc, out, err = pikoci("builtin", "github-check", env=dict(genv, param_private_key=other))
check("a key GitHub does not know: refused token, exit 1", rc == 1 and "HTTP 401" in out, out + err)
fake.take()
rc, out, err = pikoci("builtin", "slack", env=dict(env, param_webhook_url=fake.url + "/broken",
                                                  NOTIFY_MESSAGE="hi"))
check("a webhook answering 500: exit 1, the answer shown, the URL not",
      rc == 1 and "HTTP 500" in out and "/broken" not in out, out + err)
rc, out, err = pikoci("builtin", "discord", env=dict(env, param_webhook_url=""))
check("no webhook_url: exit 2 saying so", rc == 2 and "webhook_url" in out, out + err)
rc, out, err = pikoci("builtin", "nope")
check("an unknown builtin: exit 2", rc == 2, out + err)
fake.close()
shutil.rmtree(T, ignore_errors=True)
finish()
