#!/usr/bin/python3
"""The docker-based built-in service types, run by `pikoci run` with a
recording docker on PATH (tests/registry/fake_docker; no engine needed):
the exact commands of start, ready_check and stop for each type, params
overriding the defaults, the stable container name and its pre-start
cleanup (a leftover container from a dead build is removed, not collided
with), and every container removed on each way a build ends: success, a
failing task, a failing start, a service never ready, Ctrl-C."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(__file__))
from util import BIN, SRC, check, finish, pikoci

T = tempfile.mkdtemp(prefix="pk-reg-svc-")
HCL = os.path.join(SRC, "tests", "registry", "services.hcl")
bindir = os.path.join(T, "bin")
os.makedirs(bindir)
shutil.copy(os.path.join(SRC, "tests", "registry", "fake_docker"), os.path.join(bindir, "docker"))
ENV = {"PATH": bindir + ":" + os.environ["PATH"], "PIKOCI_CACHE_DIR": os.path.join(T, "cache")}

# name -> (docker run arguments after the name, ready check command), defaults
RUN = {
    "postgresql": ("-p 5432:5432 -e POSTGRES_PASSWORD=postgres postgres:16",
                   "exec {c} pg_isready -U postgres -h 127.0.0.1"),
    "mariadb": ("-p 3306:3306 -e MARIADB_ROOT_PASSWORD=root mariadb:11",
                "exec {c} mariadb-admin ping -h 127.0.0.1 -uroot -proot --silent"),
    "redis": ("-p 6379:6379 redis:7", "exec {c} redis-cli ping"),
    "nats": ("-p 4222:4222 nats:2", "logs {c}"),
    "rabbitmq": ("-p 5672:5672 rabbitmq:3", "exec {c} rabbitmq-diagnostics -q ping"),
    "kafka": ("-p 9092:9092 apache/kafka:3.7.0",
              "exec {c} /opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092"),
    "vault": ("-p 8200:8200 --cap-add IPC_LOCK -e VAULT_DEV_ROOT_TOKEN_ID=root "
              "-e VAULT_DEV_LISTEN_ADDRESS=0.0.0.0:8200 hashicorp/vault:1.15",
              "exec -e VAULT_ADDR=http://127.0.0.1:8200 {c} vault status"),
    "keycloak": ("-p 8080:8080 -e KEYCLOAK_ADMIN=admin -e KEYCLOAK_ADMIN_PASSWORD=admin "
                 "quay.io/keycloak/keycloak:24.0 start-dev", "logs {c}"),
}
ORDER = ["postgresql", "mariadb", "redis", "nats", "rabbitmq", "kafka", "vault", "keycloak"]


def name(job, svc):
    return "pikoci-services-%s-%s" % (job, svc)


def expected(job, svcs, runs=None):
    """The docker calls of a build that starts svcs in order and stops them."""
    lines = []
    for s in svcs:
        c = name(job, s)
        args, ready = (runs or RUN)[s]
        lines += ["rm -f " + c, "run -d --name %s %s" % (c, args), ready.format(c=c)]
    lines += ["rm -f " + name(job, s) for s in reversed(svcs)]
    return lines


def run(job, extra_env=None, *args):
    d = tempfile.mkdtemp(dir=T)
    env = dict(ENV, FAKE_DOCKER_DIR=d, **(extra_env or {}))
    rc, out, err = pikoci("run", HCL, "--job", job, *args, env=env)
    return rc, out + err, d


def log(d):
    p = os.path.join(d, "log")
    return open(p).read().splitlines() if os.path.exists(p) else []


def left(d):
    p = os.path.join(d, "containers")
    return sorted(os.listdir(p)) if os.path.isdir(p) else []


# 1. success: every type's exact commands, stopped newest first
rc, out, d = run("all")
check("all eight services: the build succeeds", rc == 0, out)
check("all eight: exactly the expected docker calls, in order", log(d) == expected("all", ORDER),
      "\n".join(log(d)))
check("all eight: no container left", left(d) == [], left(d))

# 2. params override the defaults
rc, out, d = run("params")
runs = dict(RUN, postgresql=("-p 15432:5432 -e POSTGRES_PASSWORD=s3cret postgres:15", RUN["postgresql"][1]),
            redis=("-p 16379:6379 redis:6", RUN["redis"][1]))
check("params: version, port and password reach docker run",
      rc == 0 and log(d) == expected("params", ["postgresql", "redis"], runs), "\n".join(log(d)))

# 3. a leftover container of a dead build: removed before the run, no conflict
d = tempfile.mkdtemp(dir=T)
os.makedirs(os.path.join(d, "containers"))
open(os.path.join(d, "containers", name("params", "redis")), "w").close()
env = dict(ENV, FAKE_DOCKER_DIR=d)
rc, out, err = pikoci("run", HCL, "--job", "params", "--var", "fail=false", env=env)
check("leftover: the build succeeds (pre-start cleanup)", rc == 0, out + err)
check("leftover: removed first, and never probed as if it were ready",
      log(d) == expected("params", ["postgresql", "redis"], runs), "\n".join(log(d)))
check("leftover: nothing left afterwards", left(d) == [], left(d))

# 4. a failing task: every service stopped
rc, out, d = run("all", None, "--var", "fail=true")
check("failing task: the build fails", rc == 1, out)
check("failing task: all started, all stopped", log(d) == expected("all", ORDER) and left(d) == [],
      "\n".join(log(d)))

# 5. a start that fails (the image cannot be pulled): the build fails at it,
# the services before it are stopped, later ones never start
rc, out, d = run("all", {"FAKE_DOCKER_FAIL_RUN": name("all", "redis")})
calls = log(d)
check("failing start: the build fails", rc == 1, out)
check("failing start: later services never started",
      not [l for l in calls if "run -d" in l and ("nats" in l or "keycloak" in l)], "\n".join(calls))
check("failing start: the earlier ones and the failed one are removed",
      calls[-3:] == ["rm -f " + name("all", s) for s in ["redis", "mariadb", "postgresql"]]
      and left(d) == [], "\n".join(calls))

# 6. a service never ready: fails at its ready timeout (60 s for nats), all removed
t0 = time.time()
rc, out, d = run("all", {"FAKE_DOCKER_NEVER_READY": name("all", "nats")})
calls = log(d)
check("never ready: the build fails after the ready timeout", rc == 1 and time.time() - t0 >= 55, out)
check("never ready: the ready check was polled", calls.count("logs " + name("all", "nats")) >= 10,
      len(calls))
check("never ready: everything started is removed", left(d) == [] and calls[-1] == "rm -f " + name("all", "postgresql"),
      "\n".join(calls[-6:]))

# 7. Ctrl-C while the task runs: the service is stopped
d = tempfile.mkdtemp(dir=T)
p = subprocess.Popen([BIN, "run", HCL, "--job", "held"], env=dict(os.environ, **ENV, FAKE_DOCKER_DIR=d),
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
deadline = time.time() + 30
while time.time() < deadline and name("held", "redis") not in left(d):
    time.sleep(0.05)
seen = ""
while time.time() < deadline and "waiting" not in seen:
    seen += p.stdout.readline()
p.send_signal(signal.SIGINT)
try:
    rest, _ = p.communicate(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    rest, _ = p.communicate()
check("Ctrl-C: the build is cancelled", p.returncode == 1, seen + rest)
check("Ctrl-C: the container is removed", left(d) == [] and log(d)[-1] == "rm -f " + name("held", "redis"),
      "\n".join(log(d)))
shutil.rmtree(T, ignore_errors=True)
finish()
