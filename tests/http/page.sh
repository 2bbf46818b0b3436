#!/usr/bin/env bash
# The page in headless Chromium (Debian's chromium, driven by playwright-core
# installed with npm into the build directory at first run): see page.mjs.
# Skips, saying so, only when chromium is not installed.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
chromium_ready page.mjs
git_repo "$T/app"
start_http_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/http/hooks.hcl" --pipeline-name ci --var repo="file://$T/app.git" \
    || { finish; }
check "a web user is created" bash -c "printf 'page-pw-1\n' | '$BIN' users create web --admin >/dev/null"
pk check ci/app >/dev/null 2>&1
check "test #1 succeeds" until_ok 60 build_is ci/test 1 succeeded
pk trigger ci/huge >/dev/null
check "huge #1 (100 MB of log) succeeds" until_ok 300 build_is ci/huge 1 succeeded
check "its log is 100 MB" test "$(pk logs ci/huge/1 --json | json "d['size']")" -gt 100000000
check "the page passes in Chromium" node "$NODE_DIR/page.mjs" "$HTTP" "$BIN" "$PIKOCI_BUILD_DIR" 1 web page-pw-1
finish
