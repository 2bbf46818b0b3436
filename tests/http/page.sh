#!/usr/bin/env bash
# The page in headless Chromium (Debian's chromium, driven by playwright-core
# installed with npm into the build directory at first run): see page.mjs.
# Skips, saying so, only when chromium is not installed.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
if [ ! -x /usr/bin/chromium ]; then
    echo "SKIP: /usr/bin/chromium is not installed (apt-get install chromium chromium-driver)"
    exit 0
fi
NODE_DIR=${PIKOCI_BUILD_DIR:?}/http-node
if [ ! -d "$NODE_DIR/node_modules/playwright-core" ]; then
    mkdir -p "$NODE_DIR"
    ( cd "$NODE_DIR" && npm install --no-audit --no-fund --silent playwright-core@1 >/dev/null 2>&1 ) \
        || { echo "FAIL - npm install playwright-core"; exit 1; }
fi
cp "$SRC/tests/http/page.mjs" "$NODE_DIR/page.mjs"
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
