#!/usr/bin/env bash
# The libraries pikoci-core loads at first use (lib/pk_dl.h) are not in an
# idle server: with --http off none of libgit2, libcurl, libmicrohttpd,
# libcrypto is mapped and queries are answered; the http face maps
# libmicrohttpd only; the first git check maps libgit2 and works.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache"
export XDG_RUNTIME_DIR="$T/run"     # this test's own first-start token files
mkdir -m 700 "$XDG_RUNTIME_DIR"
maps_has() { grep -q "/$2" "/proc/$1/maps"; }
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

check "pikoci-core does not link them" \
    bash -c "! objdump -p '$(dirname "$BIN")/pikoci-core' | grep NEEDED | grep -E 'git2|curl|microhttpd|crypto'"

git_repo "$T/app"
# the git pipeline comes after the idle checks: its resource's first check
# runs at a random moment of its first 10 s, and would map libgit2
start_server "$T/server.log" --run-worker || finish
check "queries are answered" bash -c "'$BIN' pipelines --json >/dev/null"
for lib in libgit2 libcurl libmicrohttpd libcrypto; do
    check "--http off, idle: no $lib mapped" bash -c "! grep -q '/$lib\.so' /proc/$SERVER_PID/maps"
done
pk pipelines set ci "$SRC/tests/server/ci.hcl" --var repo="file://$T/app.git" >/dev/null
pk check ci/app >"$T/out" 2>&1; rc=$?
check "a git check works" test $rc -eq 0
check "... and has mapped libgit2" maps_has "$SERVER_PID" "libgit2.so"
check "... but not libmicrohttpd" bash -c "! grep -q '/libmicrohttpd\.so' /proc/$SERVER_PID/maps"
stop_server

port=$(free_port)
start_server "$T/http.log" --http "127.0.0.1:$port" || finish
check "with --http: the page answers" until_ok 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
check "with --http: libmicrohttpd is mapped" maps_has "$SERVER_PID" "libmicrohttpd.so"
for lib in libgit2 libcurl libcrypto; do
    check "with --http, idle: no $lib mapped" bash -c "! grep -q '/$lib\.so' /proc/$SERVER_PID/maps"
done
stop_server
finish
