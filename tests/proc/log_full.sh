#!/usr/bin/env bash
# A build is never reported succeeded without its log (#22): an lmdb server
# whose store lives on a 2 MB tmpfs (in a mount namespace of its own) runs
# a build that prints 7 MB. The log sink cannot commit it (ENOSPC), so no
# credit reaches the runner: the sink cancels the build after a few seconds
# of failing commits and the runner reports it errored with the reason --
# never succeeded with a partial log. Needs root and mount namespaces:
# skips with 77 otherwise.
set -uo pipefail
if [ -z "${PK_LOG_FULL_NS:-}" ]; then
    if [ "$(id -u)" != 0 ] || ! unshare -m --propagation private true 2>/dev/null; then
        echo "SKIP: needs root and mount namespaces (unshare -m) for a small tmpfs"
        exit 77
    fi
    PK_LOG_FULL_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
T=$(mktemp -d)
trap 'stop_server; umount "$T/db" 2>/dev/null; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
mkdir "$T/db"
mount -t tmpfs -o size=2m tmpfs "$T/db" || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
start_server "$T/server.log" --db-system lmdb --db-path "$T/db" --run-worker \
    --pipeline-config "$SRC/tests/proc/log_full.hcl" || finish
pk trigger log_full/big >/dev/null
ended() { build_status_any log_full/big 1 && ! build_is log_full/big 1 started \
          && ! build_is log_full/big 1 pending; }
check "the build ends" until_ok 90 ended
pk build log_full/big/1 >"$T/build.txt" 2>&1
sed 's/^/# /' "$T/build.txt"
check "it is errored, not succeeded" build_is log_full/big 1 errored
check "with a reason about its log" grep -q "log could not be stored" "$T/build.txt"
check "the sink said why" grep -q "logsink: cancelling .*cannot commit" "$T/server.log"
check "the runner did not report it anyway" bash -c "! grep -q 'reporting anyway' '$T/server.log'"
finish
