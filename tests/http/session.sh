#!/usr/bin/env bash
# The web face acts as its caller (issue #18): login sets an HttpOnly,
# SameSite=Strict session cookie; GET /session says who; a cookie POST needs
# the X-CSRF-Token (403 without, 200 with); a foreign Origin is 403; a
# Bearer token works without CSRF; a read user's trigger is 403; no login is
# 401; logout revokes the session; bad JSON 400, too big 413, unknown 404,
# a state conflict 409 -- against a real `pikoci server --http`.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
git_repo "$T/app"
start_http_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/http/actions.hcl" --pipeline-name ci --var repo="file://$T/app.git" \
    || { finish; }
A="$HTTP/api/v1"
echo 'password-of-alice' | pk users create alice >/dev/null
echo 'password-of-rita!' | pk users create rita >/dev/null
pk teams grant main alice write >/dev/null
pk teams grant main rita read >/dev/null
J='Content-Type: application/json'
field() { json "$1" <"$T/body"; }

# no login
check "anonymous session: user null" test "$(acode GET "$A/session")" = 200
check "  and no csrf" test "$(field "d['user'] is None and d['csrf'] is None")" = True
check "anonymous read of a private pipeline: 401" test "$(acode GET "$A/pipelines/ci/jobs")" = 401
check "  with {\"error\"}" test "$(field "len(d['error']) > 0")" = True
check "anonymous trigger: 401" test "$(acode POST "$A/pipelines/ci/jobs/ask/trigger")" = 401

# login
check "wrong password: 401" \
    test "$(acode POST "$A/login" -H "$J" -d '{"user":"alice","password":"nope-nope"}')" = 401
check "login without a body: 400" test "$(acode POST "$A/login")" = 400
check "login with bad JSON: 400" test "$(acode POST "$A/login" -H "$J" -d '{"user":')" = 400
st=$(curl -s -D "$T/head" -o "$T/body" -w '%{http_code}' -c "$T/jar" -X POST "$A/login" \
     -H "$J" -d '{"user":"alice","password":"password-of-alice"}')
check "login: 200" test "$st" = 200
CSRF=$(field "d['csrf']")
check "login answers user, admin, csrf" test "$(field "d['user'] == 'alice' and d['admin'] is False and len(d['csrf']) == 64")" = True
cookie=$(grep -i '^set-cookie:' "$T/head" | tr -d '\r')
for flag in 'pikoci_session=pkt_' 'HttpOnly' 'SameSite=Strict' 'Path=/'; do
    check "the cookie has $flag" bash -c "grep -qF -- '$flag' <<<'$cookie'"
done
check "no Secure flag over plain HTTP" bash -c "! grep -qi 'secure' <<<'$cookie'"
SESSION=$(sed -n 's/.*pikoci_session=\([^;]*\).*/\1/p' <<<"$cookie")
check "the csrf token is SHA-256(csrf: + token)" \
    test "$CSRF" = "$(printf 'csrf:%s' "$SESSION" | sha256sum | cut -d' ' -f1)"
ccode() { local m=$1 u=$2; shift 2; curl -s -b "$T/jar" -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$u"; }
check "session with the cookie: 200" test "$(ccode GET "$A/session")" = 200
check "  says alice, her team role and the csrf" \
    test "$(field "d['user'] == 'alice' and d['teams'] == {'main': 'write'} and d['csrf'] == '$CSRF'")" = True
check "the cookie reads the private pipeline" test "$(ccode GET "$A/pipelines/ci/jobs")" = 200

# CSRF and Origin
check "a cookie POST without X-CSRF-Token: 403" \
    test "$(ccode POST "$A/pipelines/ci/jobs/ask/trigger")" = 403
check "  saying so" bash -c "grep -q 'CSRF' '$T/body'"
check "with a wrong X-CSRF-Token: 403" \
    test "$(ccode POST "$A/pipelines/ci/jobs/ask/trigger" -H "X-CSRF-Token: ${CSRF/a/b}0")" = 403
check "nothing was triggered" test -z "$(build_status ci/ask 1)"
check "with X-CSRF-Token: 200" \
    test "$(ccode POST "$A/pipelines/ci/jobs/ask/trigger" -H "X-CSRF-Token: $CSRF")" = 200
check "  answering the build's number" test "$(field "d['number']")" = 1
check "a foreign Origin: 403 even with the CSRF token" \
    test "$(ccode POST "$A/pipelines/ci/jobs/ask/trigger" -H "X-CSRF-Token: $CSRF" -H 'Origin: http://evil.example')" = 403
host=${HTTP#http://}
check "our own Origin: 200" \
    test "$(ccode POST "$A/pipelines/ci/jobs/ask/trigger" -H "X-CSRF-Token: $CSRF" -H "Origin: $HTTP")" = 200
check "a cross-site login attempt: 403" \
    test "$(acode POST "$A/login" -H "$J" -H 'Origin: http://evil.example' -d '{"user":"alice","password":"password-of-alice"}')" = 403

# Bearer tokens
st=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar" -X POST "$A/tokens" -H "X-CSRF-Token: $CSRF" -H "$J" -d '{"name":"script","expires":"1h"}')
check "POST /tokens: 200" test "$st" = 200
TOK=$(field "d['token']"); TID=$(field "d['id']")
check "  a pkt_ token and its id" bash -c "[[ '$TOK' == pkt_* && -n '$TID' ]]"
bcode() { local m=$1 u=$2 t=$3; shift 3; curl -s -o "$T/body" -w '%{http_code}' -X "$m" -H "Authorization: Bearer $t" "$@" "$u"; }
check "Bearer POST needs no CSRF: 200" test "$(bcode POST "$A/pipelines/ci/jobs/ask/trigger" "$TOK")" = 200
check "Bearer session says alice, no csrf" \
    test "$(bcode GET "$A/session" "$TOK"; field "d['user'] == 'alice' and d['csrf'] is None")" = "200True"
st=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar" -X POST "$A/tokens" -H "X-CSRF-Token: $CSRF" -H "$J" -d '{"name":"month","expires":"30d"}')
check "POST /tokens expiring in 30d: 200, expiring in 30 days" \
    test "$st$(field "abs(d['expires_ms'] / 1000 - __import__('time').time() - 30 * 86400) < 600")" = 200True
st=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar" -X POST "$A/tokens" -H "X-CSRF-Token: $CSRF" -H "$J" -d '{"name":"bad","expires":"soon"}')
check "POST /tokens expiring 'soon': 400" test "$st" = 400
check "GET /tokens lists it" bash -c "[ \$(curl -s -b '$T/jar' '$A/tokens' | grep -c '$TID') = 1 ]"
check "DELETE /tokens/ID: 200" test "$(ccode DELETE "$A/tokens/$TID" -H "X-CSRF-Token: $CSRF")" = 200
check "the revoked token: 401" test "$(bcode GET "$A/pipelines/ci/jobs" "$TOK")" = 401
check "a made-up Bearer token: 401" test "$(bcode GET "$A/session" pkt_nonsense)" = 401

# a read user
echo '{"user":"rita","password":"password-of-rita!"}' >"$T/rita.json"
RT=$(curl -s -X POST "$A/login" -H "$J" -d @"$T/rita.json" -c "$T/rjar" | json "d['csrf']")
check "rita (read) reads: 200" test "$(curl -s -b "$T/rjar" -o /dev/null -w '%{http_code}' "$A/pipelines/ci/jobs")" = 200
check "rita's trigger: 403" \
    test "$(curl -s -b "$T/rjar" -o "$T/body" -w '%{http_code}' -X POST -H "X-CSRF-Token: $RT" "$A/pipelines/ci/jobs/ask/trigger")" = 403
check "  saying the role needed" bash -c "grep -q 'write' '$T/body'"
check "rita may not read the audit log: 403" \
    test "$(curl -s -b "$T/rjar" -o /dev/null -w '%{http_code}' "$A/audit")" = 403
check "admin reads the audit log" test "$(code GET "$A/audit?limit=5")" = 200
check "  newest first, 5 at most" test "$(field "len(d) <= 5 and len(d) > 0")" = True
check "teams: 200 for rita" test "$(curl -s -b "$T/rjar" -o /dev/null -w '%{http_code}' "$A/teams")" = 200

# error codes
check "bad JSON body: 400" \
    test "$(code POST "$A/pipelines/ci/jobs/ask/trigger" -H "$J" -d '{"inputs":')" = 400
check "a body that is no object: 400" test "$(code POST "$A/pipelines/ci/jobs/ask/trigger" -d '[1]')" = 400
check "an input out of its options: 400" \
    test "$(code POST "$A/pipelines/ci/jobs/ask/trigger" -d '{"inputs":{"target":"moon"}}')" = 400
check "unknown pipeline: 404" test "$(code POST "$A/pipelines/nope/jobs/ask/trigger")" = 404
check "unknown job: 404" test "$(code POST "$A/pipelines/ci/jobs/nope/trigger")" = 404
check "unknown action: 404" test "$(code POST "$A/pipelines/ci/jobs/ask/explode")" = 404
check "unknown build: 404" test "$(code POST "$A/pipelines/ci/jobs/ask/builds/99/retry")" = 404
head -c 2000000 /dev/zero | tr '\0' 'a' >"$T/big"
check "a body over 1 MiB: 413" \
    test "$(code POST "$A/pipelines/ci/jobs/ask/trigger" --data-binary @"$T/big")" = 413
check "approving a build that is not waiting: 409" \
    test "$(code POST "$A/pipelines/ci/jobs/ask/builds/1/approve")" = 409
check "PUT is not an action: 405" test "$(code PUT "$A/pipelines/ci/jobs/ask/trigger")" = 405
check "the old /api/ prefix answers too" test "$(code GET "$HTTP/api/pipelines/ci/jobs")" = 200

# logout
check "logout without CSRF: 403" test "$(ccode POST "$A/logout")" = 403
check "logout: 200" test "$(curl -s -b "$T/jar" -D "$T/head" -o /dev/null -w '%{http_code}' -X POST -H "X-CSRF-Token: $CSRF" "$A/logout")" = 200
check "  clears the cookie" bash -c "grep -i '^set-cookie:' '$T/head' | grep -q 'Max-Age=0'"
check "the old session token is revoked: 401" \
    test "$(bcode GET "$A/pipelines/ci/jobs" "$SESSION")" = 401
check "an expired cookie's session: user null" \
    test "$(ccode GET "$A/session"; field "d['user'] is None")" = "200True"
pk audit --json >"$T/audit" 2>&1
check "the audit log has the web login" grep -q '"login"' "$T/audit"
finish
