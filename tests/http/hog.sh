#!/usr/bin/env bash
# One client must not take the whole HTTP face (hog.py): per-address
# connection limits, a deadline for request headers, a cap on streams that
# leaves connections for /healthz. It used to be that 64 slow-header
# connections or 64 event streams made /healthz refuse for the whole run.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
start_http_server "$T/server.log" || { finish; }
http_py hog.py 10
check "hog.py's checks pass" test $? -eq 0
check "the CLI still answers" bash -c "'$BIN' pipelines >/dev/null"
finish
