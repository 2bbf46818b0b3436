#!/usr/bin/env bash
# Webhooks end to end: a real `pikoci server --http 127.0.0.1:0 --run-worker`
# over a local bare git repository. A push announced by POST /webhooks/TOKEN
# starts a build of the new commit; a bad token is 404, an oversized body
# 413, a bad or missing GitHub signature 401 (the HMAC is computed here by
# Python's hmac, independently of ours); tokens survive a pipeline update and
# a restart, and --regenerate retires the old one.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache"

pk server --http nowhere >"$T/out" 2>"$T/err"; rc=$?
check "--http without a port exits 2" test $rc -eq 2
check "--http without a port says what is expected" has "$T/err" "HOST:PORT"

git_repo "$T/app"
start_http_server "$T/server.log" --run-worker --db-system lmdb --db-path "$T/db" \
    --pipeline-config "$SRC/tests/http/hooks.hcl" --pipeline-name ci --var repo="file://$T/app.git" \
    || { finish; }
check "healthz answers ok" test "$(code GET "$HTTP/healthz")" = 200
pk check ci/app >/dev/null 2>&1
check "test #1 builds the first commit" until_ok 60 build_is ci/test 1 succeeded

# the token: shown by resources (table and JSON) and webhook-token
tok=$(pk webhook-token ci/app)
check "webhook-token prints 64 hex characters" bash -c "[[ '$tok' =~ ^[0-9a-f]{64}$ ]]"
check "resources --json has the same token" \
    test "$(pk resources ci --json | json "[r['webhook_token'] for r in d if r['name']=='git.app'][0]")" = "$tok"
pk resources ci >"$T/res"
check "resources shows a WEBHOOK TOKEN column" has "$T/res" "WEBHOOK TOKEN"
check "resources shows the token" has "$T/res" "$tok"
stok=$(pk webhook-token ci/git.signed)
check "each resource has its own token" test -n "$stok" -a "$stok" != "$tok"
check "/api/pipelines/ci/resources does not show tokens" \
    bash -c "curl -s -H 'Authorization: Bearer $ADMIN_TOKEN' '$HTTP/api/pipelines/ci/resources' | grep -q git && ! curl -s -H 'Authorization: Bearer $ADMIN_TOKEN' '$HTTP/api/pipelines/ci/resources' | grep -q '$tok'"

# a push, announced: the new commit is built
commit "$T/app" v2
v2=$(git -C "$T/app.wc" rev-parse HEAD)
t0=$(date +%s%N)
c=$(code POST "$HTTP/webhooks/$tok" -H 'Content-Type: application/json' -d '{"ref":"refs/heads/main"}')
check "POST /webhooks/TOKEN is 200" test "$c" = 200
check "it names the pipeline and resource" \
    test "$(json "d['pipeline']+'/'+d['resource']" <"$T/body")" = "ci/git.app"
check "test #2 starts after the webhook" until_ok 30 build_status_any ci/test 2
echo "# webhook -> build test #2 visible in $(( ($(date +%s%N) - t0) / 1000000 )) ms (sanitizer build)"
check "test #2 succeeds" until_ok 60 build_is ci/test 2 succeeded
check "test #2 built the pushed commit" \
    test "$(pk build ci/test/2 --json | json "d['versions']['git.app']['ref']")" = "$v2"

# refusals
# another last character than the token's own (a fixed "0" was the token 1 time in 16)
other=0; [ "${tok: -1}" = 0 ] && other=1
check "an unknown token is 404" test "$(code POST "$HTTP/webhooks/${tok%?}$other")" = 404
check "a malformed token is 404" test "$(code POST "$HTTP/webhooks/x'%20or%201=1")" = 404
check "GET on a webhook is 405" test "$(code GET "$HTTP/webhooks/$tok")" = 405
head -c $((1024 * 1024 + 1)) /dev/zero >"$T/big"
check "a body over 1 MiB is 413" test "$(code POST "$HTTP/webhooks/$tok" --data-binary @"$T/big")" = 413
check "a chunked body over 1 MiB is 413" \
    test "$(code POST "$HTTP/webhooks/$tok" -H 'Transfer-Encoding: chunked' --data-binary @"$T/big")" = 413
check "a body of 1 MiB exactly is taken" \
    test "$(code POST "$HTTP/webhooks/$tok" --data-binary @<(head -c $((1024 * 1024)) /dev/zero))" = 200

# GitHub's signature, for the resource with a webhook_secret
sig() { "$PY" -c 'import hmac,hashlib,sys; print("sha256="+hmac.new(sys.argv[1].encode(),open(sys.argv[2],"rb").read(),hashlib.sha256).hexdigest())' "$1" "$2"; }
printf '{"zen":"Design for failure."}' >"$T/payload"
good=$(sig "It's a Secret to Everybody" "$T/payload")
bad=$(sig "not the secret" "$T/payload")
check "no signature is 401" test "$(code POST "$HTTP/webhooks/$stok" --data-binary @"$T/payload")" = 401
check "a wrong signature is 401" \
    test "$(code POST "$HTTP/webhooks/$stok" -H "X-Hub-Signature-256: $bad" --data-binary @"$T/payload")" = 401
check "a signature of another body is 401" \
    test "$(code POST "$HTTP/webhooks/$stok" -H "X-Hub-Signature-256: $good" -d 'other')" = 401
commit "$T/app" v3
check "the right signature is 200" \
    test "$(code POST "$HTTP/webhooks/$stok" -H "X-Hub-Signature-256: $good" --data-binary @"$T/payload")" = 200
check "signed-test builds after the signed webhook" until_ok 60 bash -c \
    "'$BIN' builds ci/signed-test --json | grep -q '\"succeeded\"'"
check "the unsigned resource's hook needs no signature" test "$(code POST "$HTTP/webhooks/$tok")" = 200

# tokens last: a pipeline update, a restart (lmdb); --regenerate replaces one
pk pipelines set ci "$SRC/tests/http/hooks.hcl" --var repo="file://$T/app.git" >/dev/null 2>&1
check "the token survives a pipeline update" test "$(pk webhook-token ci/app)" = "$tok"
stop_server
start_http_server "$T/server2.log" --run-worker --db-system lmdb --db-path "$T/db" || { finish; }
check "the token survives a restart" until_ok 10 test "$(pk webhook-token ci/app 2>/dev/null)" = "$tok"
check "and still works after it" test "$(code POST "$HTTP/webhooks/$tok")" = 200
new=$(pk webhook-token ci/app --regenerate)
check "--regenerate prints a new token" bash -c "[[ '$new' =~ ^[0-9a-f]{64}$ && '$new' != '$tok' ]]"
check "the old token is 404 now" test "$(code POST "$HTTP/webhooks/$tok")" = 404
check "the new token is 200" test "$(code POST "$HTTP/webhooks/$new")" = 200
check "webhook-token shows the new one" test "$(pk webhook-token ci/app)" = "$new"
pk webhook-token ci/apps >/dev/null 2>"$T/err"; rc=$?
check "webhook-token of an unknown resource exits 1" test $rc -eq 1
check "and says did you mean" has "$T/err" "did you mean"
finish
