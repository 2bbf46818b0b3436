#!/usr/bin/env bash
# A webhook_secret from a secret-backed variable: secrets resolve only on a
# runner, so the http face would compare signatures against the placeholder
# "((pikoci_secret:NAME))" -- forgeable by anyone who knows the name, and
# never GitHub's. Such a pipeline is refused when it is set (and by
# validate); with the value given by --var it works, and a signature made
# with the placeholder as the key is 401.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache"
P="$SRC/tests/http/secret_hooks.hcl"
git_repo "$T/app"

pk validate "$P" --var repo=x >"$T/out" 2>&1; rc=$?
check "validate refuses it" test $rc -ne 0
check "and says why" has "$T/out" "webhook_secret cannot come from a secret-backed variable"
pk validate "$P" --var repo=x --var hook_key=k >"$T/out" 2>&1
check "validate takes it with --var hook_key" test $? -eq 0

start_http_server "$T/server.log" --run-worker || { finish; }
pk pipelines set ci "$P" --var repo="file://$T/app.git" >"$T/out" 2>&1; rc=$?
check "pipelines set refuses it" test $rc -ne 0
check "and says why" has "$T/out" "webhook_secret cannot come from a secret-backed variable"
check "no pipeline was set" bash -c "! '$BIN' pipelines --json | grep -q '\"ci\"'"
sig() { "$PY" -c 'import hmac,hashlib,sys; print("sha256="+hmac.new(sys.argv[1].encode(),open(sys.argv[2],"rb").read(),hashlib.sha256).hexdigest())' "$1" "$2"; }
printf '{"zen":"Keep it logically awesome."}' >"$T/payload"
forged=$(sig "((pikoci_secret:hook_key))" "$T/payload")
tok0=$(pk webhook-token ci/git.signed 2>/dev/null)
check "a signature made with the placeholder as the key opens nothing" \
    test "$(code POST "$HTTP/webhooks/${tok0:-none}" -H "X-Hub-Signature-256: $forged" --data-binary @"$T/payload")" != 200

pk pipelines set ci "$P" --var repo="file://$T/app.git" --var "hook_key=real key" >"$T/out" 2>&1
check "pipelines set takes it with --var hook_key" test $? -eq 0 || cat "$T/out"
stok=$(pk webhook-token ci/git.signed)
good=$(sig "real key" "$T/payload")
check "a signature under the placeholder is 401" \
    test "$(code POST "$HTTP/webhooks/$stok" -H "X-Hub-Signature-256: $forged" --data-binary @"$T/payload")" = 401
check "a signature under the real value is 200" \
    test "$(code POST "$HTTP/webhooks/$stok" -H "X-Hub-Signature-256: $good" --data-binary @"$T/payload")" = 200
finish
