#!/usr/bin/env bash
# `pikoci server` as PikoCI's Server.md has it: a worker runs in the server
# unless --run-worker=false (a server without one says so: its log, `pikoci
# workers`, a refused trigger), and every flag also comes from the
# environment ($PIKOCI_DB_PATH; PikoCI's own flags by their bare names too:
# $DB_SYSTEM) and from a --config file, a flag winning over the environment
# and the environment over the file -- seen in the store the server opens
# and the address it listens on.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
D=$SRC/tests/cli_compat
unset PIKOCI_CONFIG PIKOCI_DB_SYSTEM PIKOCI_DB_PATH DB_SYSTEM RUN_WORKER PIKOCI_RUN_WORKER

# 1. a worker by default; --run-worker still accepted
start_server "$T/s1.log" --pipeline-config "$D/compat.hcl" || finish
check "default: the log says with a worker" has "$T/s1.log" "with a worker"
check "default: pikoci workers lists it" bash -c "'$BIN' workers --json | grep -q healthy"
pk trigger compat/hello --watch >"$T/out" 2>&1; rc=$?
check "default: a build runs (exit $rc)" test $rc -eq 0
stop_server
start_server "$T/s2.log" --run-worker --pipeline-config "$D/compat.hcl" || finish
check "--run-worker: with a worker" has "$T/s2.log" "with a worker"
stop_server

# 2. --run-worker=false: no worker, and everyone is told
start_server "$T/s3.log" --run-worker=false --pipeline-config "$D/compat.hcl" || finish
check "--run-worker=false: the log says no worker" has "$T/s3.log" "no worker in this process"
check "--run-worker=false: the log names pikoci worker" has "$T/s3.log" "pikoci worker --broker $PIKOCI_SERVER"
pk workers >"$T/out" 2>&1; rc=$?
check "pikoci workers exits 0" test $rc -eq 0
check "pikoci workers says no worker is connected" has "$T/out" "no worker is connected"
pk trigger compat/use >"$T/out" 2>"$T/err"; rc=$?
check "a trigger waiting for a check is refused (exit 1)" test $rc -eq 1
check "and the refusal says no worker is connected" has "$T/err" "no worker is connected"
stop_server
for how in "RUN_WORKER=false" "PIKOCI_RUN_WORKER=0" "PIKOCI_RUN_WORKER=false RUN_WORKER=true"; do
    env $how "$BIN" server --listen 'tcp://127.0.0.1:*' 2>"$T/s4.log" &
    SERVER_PID=$!
    check "$how: no worker" until_ok 30 grep -q "no worker in this process" "$T/s4.log"
    stop_server
done
echo 'run-worker = false' >"$T/nw.conf"
"$BIN" server --listen 'tcp://127.0.0.1:*' --config "$T/nw.conf" 2>"$T/s5.log" &
SERVER_PID=$!
check "run-worker = false in --config: no worker" until_ok 30 grep -q "no worker in this process" "$T/s5.log"
stop_server
RUN_WORKER=false "$BIN" server --listen 'tcp://127.0.0.1:*' --run-worker 2>"$T/s6.log" &
SERVER_PID=$!
check "--run-worker beats RUN_WORKER=false" until_ok 30 grep -q "with a worker" "$T/s6.log"
stop_server

# 3. flag > environment > file, seen in the store the server opens
mkdir -p "$T/file" "$T/env" "$T/flag"
cat >"$T/srv.conf" <<CONF
# the settings file: HCL/TOML-style and YAML-style lines
db-system = "lmdb"
db_path: $T/file   // the file's store
listen = "tcp://127.0.0.1:*"
run-worker = false
CONF
store() {   # store LOG: the store of the "server ready" line
    sed -n 's/.*server ready (store \([^,]*\),.*/\1/p' "$1" | head -1
}
serve() {   # serve LOG [ENV=V...] -- ARGS...: start pikoci server, wait for ready, stop it
    local log=$1; shift
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
    env "${envs[@]}" "$BIN" server "$@" 2>"$log" &
    SERVER_PID=$!
    until_ok 30 grep -q "server ready" "$log"
    stop_server
}
serve "$T/p1.log" -- --config "$T/srv.conf"
check "the file alone: its db-path ($(store "$T/p1.log"))" test "$(store "$T/p1.log")" = "lmdb $T/file"
check "the file's listen is used" grep -q "listening on tcp://127.0.0.1:" "$T/p1.log"
serve "$T/p2.log" PIKOCI_DB_PATH="$T/env" -- --config "$T/srv.conf"
check "the environment beats the file ($(store "$T/p2.log"))" test "$(store "$T/p2.log")" = "lmdb $T/env"
serve "$T/p3.log" PIKOCI_DB_PATH="$T/env" -- --config "$T/srv.conf" --db-path "$T/flag"
check "a flag beats both ($(store "$T/p3.log"))" test "$(store "$T/p3.log")" = "lmdb $T/flag"
serve "$T/p4.log" PIKOCI_CONFIG="$T/srv.conf" PIKOCI_DB_SYSTEM=mem -- --db-path "$T/flag"
check "\$PIKOCI_CONFIG names the file; \$PIKOCI_DB_SYSTEM beats it ($(store "$T/p4.log"))" \
    test "$(store "$T/p4.log")" = "mem $T/flag"
serve "$T/p5.log" DB_SYSTEM=lmdb PIKOCI_DB_PATH="$T/env" -- --listen 'tcp://127.0.0.1:*' --run-worker=false
check "PikoCI's bare \$DB_SYSTEM is read ($(store "$T/p5.log"))" test "$(store "$T/p5.log")" = "lmdb $T/env"
serve "$T/p6.log" DB_SYSTEM=lmdb PIKOCI_DB_SYSTEM=mem -- --listen 'tcp://127.0.0.1:*' --run-worker=false
check "\$PIKOCI_DB_SYSTEM beats \$DB_SYSTEM ($(store "$T/p6.log"))" test "$(store "$T/p6.log")" = "mem"
printf 'pipeline-config = "%s"\nvar = ["greeting=salut", "repo=file:///x"]\nlisten = "tcp://127.0.0.1:*"\n' \
    "$D/compat.hcl" >"$T/p.conf"
"$BIN" server -c "$T/p.conf" 2>"$T/p7.log" &
SERVER_PID=$!
until_ok 30 grep -q "server ready" "$T/p7.log"
PIKOCI_SERVER=$(sed -n 's/.*listening on \(tcp:[^ ]*\).*/\1/p' "$T/p7.log" | head -1)
check "-c: the file's pipeline and its list of vars" \
    bash -c "'$BIN' pipelines get compat --json --server '$PIKOCI_SERVER' | grep -q salut"
stop_server

# 4. bad settings stop the server before it starts, naming where they came from
pk server --config "$T/nosuch.conf" >"$T/out" 2>"$T/err"; rc=$?
check "a missing --config file exits 2" bash -c "test $rc -eq 2 && grep -q nosuch.conf '$T/err'"
printf 'db-system = "lmdb"\nbogus = 1\n' >"$T/bad.conf"
pk server --config "$T/bad.conf" >"$T/out" 2>"$T/err"; rc=$?
check "an unknown setting exits 2 with FILE:LINE" bash -c "test $rc -eq 2 && grep -q 'bad.conf:2: unknown setting' '$T/err'"
PIKOCI_DB_SYSTEM=sqlite "$BIN" server >"$T/out" 2>"$T/err"; rc=$?
check "a bad \$PIKOCI_DB_SYSTEM exits 2 naming it" \
    bash -c "test $rc -eq 2 && grep -q 'PIKOCI_DB_SYSTEM=sqlite: unknown value' '$T/err'"
PIKOCI_RUN_WORKER=maybe "$BIN" server >"$T/out" 2>"$T/err"; rc=$?
check "a bad switch value exits 2" bash -c "test $rc -eq 2 && grep -q 'expected true or false' '$T/err'"
pk server --port 8080 >"$T/out" 2>"$T/err"; rc=$?
check "--port exits 2 pointing at --http and --listen" bash -c "test $rc -eq 2 && grep -q -- '--http' '$T/err'"

# 5. Getting-Started's command line runs as it is (--jwt-secret is accepted and ignored)
start_server "$T/g.log" --db-system mem --pubsub-system mem --jwt-secret my-secret \
    --run-worker --pipeline-name my-pipeline --pipeline-config "$D/compat.hcl" || finish
check "Getting-Started's server starts" has "$T/g.log" "with a worker"
check "--jwt-secret: said to be ignored" has "$T/g.log" "ignored"
check "with the pipeline named by --pipeline-name" bash -c "'$BIN' pipelines --json | grep -q my-pipeline"
stop_server
pk server --help >"$T/out"; rc=$?
check "server --help exits 0" test $rc -eq 0
check "server --help tells --run-worker=false" has "$T/out" "--run-worker=false"
check "server --help tells the environment and file" bash -c "grep -q 'PIKOCI_DB_PATH' '$T/out' && grep -q -- '--config FILE' '$T/out'"
finish
