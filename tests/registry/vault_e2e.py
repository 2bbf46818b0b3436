#!/usr/bin/python3
"""The built-in vault secret type, read natively over Vault's HTTP API from
a fake Vault on loopback: KV v2 (with and without the data/ segment) and
KV v1 values reach the task and are masked, the token travels as
X-Vault-Token and never shows; a missing path and a refused token fail the
build with a message that names neither value nor token."""
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(__file__))
from fake_http import VAULT_TOKEN, Fake
from util import SRC, check, finish, pikoci

T = tempfile.mkdtemp(prefix="pk-reg-vault-")
HCL = os.path.join(SRC, "tests", "registry", "vault.hcl")
fake = Fake(vault={
    "secret/data/app": {"data": {"data": {"db_password": "pw-v2-value", "api_key": "api-v2-value"},
                                 "metadata": {"version": 3}}},
    "kv/app": {"data": {"user": "user-v1-value"}, "lease_duration": 0},
})
env = {"PIKOCI_CACHE_DIR": os.path.join(T, "cache")}
args = ["--var", "vault_addr=" + fake.url, "--var", "vault_token=" + VAULT_TOKEN]

rc, out, err = pikoci("validate", HCL, *args)
check("the pipeline validates", rc == 0, out + err)
rc, out, err = pikoci("run", HCL, "--job", "read", *args, env=env)
check("read: succeeds, the three values as expected", rc == 0 and "all three match" in out, out + err)
check("read: the values are masked in the log",
      "db *** api *** user ***" in out and "-value" not in out + err, out)
reqs = fake.take()
paths = [r["path"] for r in reqs]
check("read: KV v2 short path retried with data/, v1 read as is",
      "/v1/secret/app" in paths and "/v1/secret/data/app" in paths and "/v1/kv/app" in paths, paths)
check("read: every request carries the token header",
      all(r["headers"].get("x-vault-token") == VAULT_TOKEN for r in reqs), reqs)
check("read: the token never shows", VAULT_TOKEN not in out + err)

rc, out, err = pikoci("run", HCL, "--job", "missing", *args, env=env)
check("missing: the build fails saying there is no secret there",
      rc != 0 and "no secret at \"secret/nothing\"" in out + err, out + err)
fake.take()
rc, out, err = pikoci("run", HCL, "--job", "read", "--var", "vault_addr=" + fake.url,
                      "--var", "vault_token=wrong-token-123", env=env)
check("refused token: fails with Vault's HTTP status, no token shown",
      rc != 0 and "HTTP 403" in out + err and "wrong-token-123" not in out + err, out + err)
# the file secret type reading YAML, the path given per variable
yml = os.path.join(T, "secrets.yaml")
with open(yml, "w") as f:
    f.write("# app secrets\ndb:\n  user: app\n  password: 'y-4ml pass'\n")
rc, out, err = pikoci("run", HCL, "--job", "yaml", *args, "--var", "yaml_file=" + yml, env=env)
check("yaml file secret: nested key read, masked", rc == 0 and "pw ***" in out and "y-4ml" not in out,
      out + err)
fake.close()
shutil.rmtree(T, ignore_errors=True)
finish()
