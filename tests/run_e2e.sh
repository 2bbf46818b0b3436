#!/usr/bin/env bash
# pikoci run, end to end, with the real binary: exit codes (0 succeeded,
# 1 failed or cancelled, 2 cannot run), the example pipeline, a git resource
# over a local bare repository (file://), --resource, and Ctrl-C.
set -uo pipefail
BIN=${PIKOCI_BIN:?}
SRC=${PIKOCI_SOURCE_DIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
passes=0
check() {   # check NAME CONDITION...
    local name=$1; shift
    if "$@"; then echo "ok - $name"; passes=$((passes + 1)); else echo "FAIL - $name"; fails=$((fails + 1)); fi
}
has() { grep -qF -- "$2" "$1"; }

# 1. the README example
"$BIN" run "$SRC/examples/hello.hcl" --job hello >"$T/out" 2>"$T/err"; rc=$?
check "hello exits 0" test $rc -eq 0
check "hello greets" has "$T/out" "hello from build 1"
check "hello passes TASK_ exports" has "$T/out" "greet said WHO=world"

# 2. a failing job
"$BIN" run "$SRC/tests/run/fail.hcl" --job broken >"$T/out" 2>"$T/err"; rc=$?
check "failing job exits 1" test $rc -eq 1
check "failing job stops at the failure" bash -c "! grep -q SHOULD-NOT-RUN '$T/out'"
check "job on_failure sees BUILD_STATUS" has "$T/out" "job status failed"
check "build status printed" has "$T/out" "build failed"

# 3. cannot run: bad pipeline, unknown job, bad option
printf 'job "x" {\n  tsk "y" {\n  }\n}\n' >"$T/bad.hcl"
"$BIN" run "$T/bad.hcl" --job x >"$T/out" 2>"$T/err"; rc=$?
check "invalid pipeline exits 2" test $rc -eq 2
check "invalid pipeline names file:line:col" has "$T/err" "bad.hcl:2:3:"
"$BIN" run "$SRC/examples/hello.hcl" --job helo >"$T/out" 2>"$T/err"; rc=$?
check "unknown job exits 2" test $rc -eq 2
check "unknown job suggests" has "$T/err" 'did you mean "hello"'
"$BIN" run "$SRC/examples/hello.hcl" --job hello --bogus >"$T/out" 2>"$T/err"; rc=$?
check "unknown option exits 2" test $rc -eq 2
"$BIN" run --help >"$T/out"; rc=$?
check "--help exits 0" test $rc -eq 0
check "--help documents exit status" has "$T/out" "exit status"

# 4. git over file:// -- the newest commit is checked out
export GIT_CONFIG_NOSYSTEM=1 HOME="$T/home"
mkdir -p "$HOME"
git init -q --bare "$T/repo.git"
git clone -q "$T/repo.git" "$T/wc" 2>/dev/null
( cd "$T/wc" && echo v1 >VERSION && git add VERSION && git -c user.name=t -c user.email=t@t commit -qm one \
  && echo v2 >VERSION && git -c user.name=t -c user.email=t@t commit -qam two && git push -q origin HEAD )
head=$(git -C "$T/wc" rev-parse HEAD)
PIKOCI_CACHE_DIR="$T/cache" "$BIN" run "$SRC/tests/run/git.hcl" --job test --var repo="file://$T/repo.git" \
    >"$T/out" 2>"$T/err"; rc=$?
check "git job exits 0" test $rc -eq 0
check "git job sees the newest commit's file" has "$T/out" "v2"
check "git job exports GET_APP_REF" has "$T/out" "ref=$head"

# 4b. the same repository behind a secret url: native git sees the value, the log only ***
printf '{"url": "file://%s"}' "$T/repo.git" >"$T/creds.json"
PIKOCI_CACHE_DIR="$T/cache2" "$BIN" run "$SRC/tests/run/git_secret.hcl" --job test \
    --var creds_file="$T/creds.json" >"$T/out" 2>"$T/err"; rc=$?
check "git with a secret url exits 0" test $rc -eq 0
check "git with a secret url got the newest commit" has "$T/out" "v2"
check "the secret url is masked in the log" bash -c "! grep -qF '$T/repo.git' '$T/out' && grep -q '\*\*\*' '$T/out'"

# 5. --resource: a local directory instead of the repository
mkdir -p "$T/local" && echo local-copy >"$T/local/VERSION"
"$BIN" run "$SRC/tests/run/git.hcl" --job test --var repo="file:///nonexistent" \
    --resource git.app="$T/local" >"$T/out" 2>"$T/err"; rc=$?
check "--resource exits 0" test $rc -eq 0
check "--resource content used" has "$T/out" "local-copy"

# 6. Ctrl-C: the build is cancelled, hooks run, the process group is gone
"$BIN" run "$SRC/tests/run/cancel.hcl" --job long >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 200); do has "$T/out" "started" && break; sleep 0.05; done
check "long task started" has "$T/out" "started"
kill -INT $pid
wait $pid; rc=$?
check "cancelled run exits 1" test $rc -eq 1
check "step on_cancel ran" has "$T/out" "STEP-ON-CANCEL"
check "job ensure ran" has "$T/out" "JOB-ENSURE"
check "build reported cancelled" has "$T/out" "build cancelled"
check "no task process left" bash -c "! pgrep -f 'slee[p] 313.25' >/dev/null"

# 7. the embedded artifact type: put in one run, get in the next ($CACHE_DIR)
export PIKOCI_CACHE_DIR="$T/cache"
"$BIN" run "$SRC/tests/run/artifact.hcl" --job produce >"$T/out" 2>"$T/err"; rc=$?
check "artifact put exits 0" test $rc -eq 0
"$BIN" run "$SRC/tests/run/artifact.hcl" --job consume >"$T/out" 2>"$T/err"; rc=$?
check "artifact get exits 0" test $rc -eq 0
check "artifact content came back" has "$T/out" "built-by-produce"
check "artifact version exported" grep -qE 'sha=[0-9a-f]{64}' "$T/out"

# 8. a type definition fetched over http when the pipeline is loaded
mkdir -p "$T/www"
cat >"$T/www/remote.hcl" <<'DEF'
resource_type "remote" {
  check "exec" {
    path = "/bin/sh"
    args = ["-c", "echo '[{\"n\":\"1\"}]'"]
  }
  pull "exec" {
    path = "/bin/sh"
    args = ["-c", "echo \"$param_greeting n=$version_n\" > $WORKDIR/thing.txt"]
  }
}
DEF
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/python3 -m http.server "$port" --bind 127.0.0.1 --directory "$T/www" >/dev/null 2>&1 &
http=$!
for _ in $(seq 100); do /usr/bin/python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/remote.hcl')" 2>/dev/null && break; sleep 0.05; done
"$BIN" run "$SRC/tests/run/remote.hcl" --job use --var definition="http://127.0.0.1:$port/remote.hcl" >"$T/out" 2>"$T/err"; rc=$?
check "remote definition exits 0" test $rc -eq 0
check "remote definition ran" has "$T/out" "hi-from-params n=1"
"$BIN" run "$SRC/tests/run/remote.hcl" --job use --var definition="http://127.0.0.1:$port/missing.hcl" >"$T/out" 2>"$T/err"; rc=$?
check "missing remote definition exits 2" test $rc -eq 2
check "missing remote definition says HTTP 404" has "$T/err" "HTTP 404"
kill $http 2>/dev/null; wait $http 2>/dev/null

echo "$passes passed, $fails failed"
exit $((fails > 0))
