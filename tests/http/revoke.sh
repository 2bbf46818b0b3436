#!/usr/bin/env bash
# Revoking a token ends its streams at once (revoke.py): control publishes
# token.revoked / user.changed, the face's hub makes the streams of that
# caller ask again, and they end within a short deadline -- not at their
# periodic re-check (30 s for /api/v1/events) -- while other callers'
# streams, and the same user's other token's, stay open. Real server.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
start_http_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/http/revoke.hcl" --pipeline-name r || { finish; }
for u in viewer stayer goner rita; do
    echo "password-of-$u" | pk users create $u >/dev/null
    pk teams grant main $u read >/dev/null
done
pk trigger r/long >/dev/null
check "r/long starts" until_ok 30 build_is r/long 1 started
http_py revoke.py
check "revoke.py's checks pass" test $? -eq 0
pk audit --json --action tokens.revoke >"$T/audit" 2>&1
check "the revocation is audited" grep -q '"ok"' "$T/audit"
pk cancel r/long/1 >/dev/null 2>&1      # the server stops sooner
check "r/long is cancelled" until_ok 30 build_is r/long 1 cancelled
finish
