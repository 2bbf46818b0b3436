#!/usr/bin/env bash
# The web UI's acceptance test in headless Chromium (Debian's chromium,
# driven by playwright-core installed with npm into the build directory):
# see ui.mjs. A server with the three-job pipeline of ui.hcl on a git
# repository over file://, an admin (alice) and a `read` user (reader) of
# team main. Screenshots stay in the build directory (ui-*.png).
# Skips, saying so, only when chromium is not installed.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
chromium_ready ui.mjs
A="$SRC/actors/http_assets"
size=$(cat "$A"/*.html "$A"/*.js "$A"/*.css | wc -c)
echo "# the whole UI: $size bytes"
check "the whole UI is under 150 KB uncompressed" test "$size" -lt 153600
check "it loads nothing from elsewhere (no CDN, no third-party script)" \
    bash -c "! grep -nE '(src|href|import[^;]*from) *=? *[\"'\''](https?:)?//' '$A'/*.html '$A'/*.js '$A'/*.css"
git_repo "$T/app"
start_http_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/http/ui.hcl" --pipeline-name ui --var repo="file://$T/app.git" \
    || { finish; }
check "alice, a global admin, is created" bash -c "printf 'alice-pw-1\n' | '$BIN' users create alice --admin >/dev/null"
check "reader is created" bash -c "printf 'reader-pw-1\n' | '$BIN' users create reader >/dev/null"
check "reader may read team main" bash -c "'$BIN' teams grant main reader read >/dev/null"
# and team blue: the home page shows both teams' pipelines
printf 'job "hello" {\n  task "hello" {\n    run "shell" {\n      cmd = "echo hello"\n    }\n  }\n}\n' >"$T/blue.hcl"
check "reader may read team blue's pipeline bluep" bash -c "'$BIN' teams create blue >/dev/null \
    && '$BIN' pipelines set bluep '$T/blue.hcl' --team blue >/dev/null && '$BIN' teams grant blue reader read >/dev/null"
pk check ui/git.app >/dev/null 2>&1
check "build #1 succeeds" until_ok 60 build_is ui/build 1 succeeded
check "ship #1 waits for its approval" until_ok 60 build_is ui/ship 1 waiting_for_approval
# what the page calls to push a commit: a new version, checked at once
cat >"$T/push.sh" <<EOS
#!/usr/bin/env bash
export GIT_CONFIG_NOSYSTEM=1 HOME="$HOME"
cd "$T/app.wc" && echo "\$1" >VERSION && git add VERSION \
  && git -c user.name=t -c user.email=t@t commit -qm "\$1" && git push -q origin HEAD 2>/dev/null \
  && "$BIN" check ui/git.app >/dev/null
EOS
chmod +x "$T/push.sh"
check "the UI passes in Chromium" node "$NODE_DIR/ui.mjs" "$HTTP" "$BIN" "$PIKOCI_BUILD_DIR" "$T/push.sh"
check "a retry's build N.M is readable (the page links to it)" \
    test "$(code GET "$HTTP/api/v1/pipelines/ui/jobs/build/builds/3.1")" = 200
for bad in 0 1.0 x 1.x -1; do
    check "builds/$bad is 400" test "$(code GET "$HTTP/api/v1/pipelines/ui/jobs/build/builds/$bad")" = 400
done
check "ship #1 was approved in the browser" until_ok 30 build_is ui/ship 1 succeeded
check "the version pinned in the browser is pinned" \
    test "$(pk resources ui --json | json "[r['pinned'] for r in d if r['name']=='git.app'][0]")" = 1
finish
