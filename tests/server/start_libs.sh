#!/usr/bin/env bash
# pikoci-core with libczmq linked in (cmake/static_czmq.cmake, argument
# "static"): it needs neither libczmq.so nor libsystemd and the libraries
# libsystemd brings, an idle server maps none of them, and zsock_bind's
# socket activation answered "none" (tools/pk_sd_none.c) leaves the server
# binding its own port even with systemd's LISTEN_FDS in its environment.
# Skipped (77) in a build with the shared libczmq.
set -uo pipefail
[ "${1:-}" = static ] || { echo "# libczmq is shared in this build"; exit 77; }
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export XDG_RUNTIME_DIR="$T/run"     # this test's own first-start token files
mkdir -m 700 "$XDG_RUNTIME_DIR"
CORE="$(dirname "$BIN")/pikoci-core"
for lib in libczmq libsystemd libgcrypt liblz4; do
    check "pikoci-core does not need $lib" \
        bash -c "! objdump -p '$CORE' | grep NEEDED | grep -q '$lib\.so'"
done
# systemd's variables for a socket it did not hand over: nothing to adopt
LISTEN_FDS=1 LISTEN_PID=$$ start_server "$T/server.log" || finish
check "queries are answered" bash -c "'$BIN' pipelines --json >/dev/null"
for lib in libczmq libsystemd; do
    check "idle: no $lib mapped" bash -c "! grep -q '/$lib\.so' /proc/$SERVER_PID/maps"
done
stop_server
finish
