# The http tests' shared part, on top of the server tests' lib.sh: a server
# with --http on a free loopback port ($HTTP is its base URL) and curl
# helpers that print the status code.
. "$(dirname "${BASH_SOURCE[0]}")/../server/lib.sh"

# start_http_server LOG ARGS...: start_server with --http 127.0.0.1:0; sets HTTP
start_http_server() {
    local log=$1; shift
    start_server "$log" --http 127.0.0.1:0 "$@" || return 1
    HTTP=$(sed -n 's/.*http on \(http:[^ ]*\).*/\1/p' "$log" | head -1)
    [ -n "$HTTP" ] || { echo "FAIL - no 'http on' line:"; cat "$log"; fails=$((fails + 1)); return 1; }
    # the API acts as its caller: the tests read as the first-start admin
    local tf
    tf=$(sed -n 's/.*API token for it in \([^ ]*\).*/\1/p; s/.*first-start token is in \([^ ]*\).*/\1/p' "$log" | head -1)
    ADMIN_TOKEN=$(cat "$tf" 2>/dev/null)
    [ -n "$ADMIN_TOKEN" ] || { echo "no admin token in the log:"; cat "$log"; return 1; }
    export ADMIN_TOKEN PIKOCI_HTTP_TOKEN=$ADMIN_TOKEN
}
# http_py SCRIPT.py ARGS...: a Python client of tests/http against the server,
# given its host and port first
http_py() { local hp=${HTTP#http://} py=$1; shift; "$PY" "$SRC/tests/http/$py" "${hp%:*}" "${hp##*:}" "$@"; }
# code METHOD URL [curl args...]: the status code, the body in $T/body (as admin)
code() { local m=$1 u=$2; shift 2; curl -s -o "$T/body" -w '%{http_code}' -X "$m" -H "Authorization: Bearer $ADMIN_TOKEN" "$@" "$u"; }
# acode METHOD URL [curl args...]: the same, anonymous
acode() { local m=$1 u=$2; shift 2; curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$u"; }
# acurl ARGS...: curl as admin
acurl() { curl -H "Authorization: Bearer $ADMIN_TOKEN" "$@"; }

# chromium_ready SCRIPT.mjs: Debian's chromium and playwright-core (npm,
# installed once into the build directory, under a lock: the browser tests
# run side by side), with SCRIPT copied next to it; sets NODE_DIR. Exits 0
# with SKIP only when chromium is not installed.
chromium_ready() {
    if [ ! -x /usr/bin/chromium ]; then
        echo "SKIP: /usr/bin/chromium is not installed (apt-get install chromium chromium-driver)"
        exit 0
    fi
    NODE_DIR=${PIKOCI_BUILD_DIR:?}/http-node
    mkdir -p "$NODE_DIR"
    (
        flock 9
        [ -d "$NODE_DIR/node_modules/playwright-core" ] \
            || ( cd "$NODE_DIR" && npm install --no-audit --no-fund --silent playwright-core@1 >/dev/null 2>&1 )
    ) 9>"$NODE_DIR/.install.lock" || { echo "FAIL - npm install playwright-core"; exit 1; }
    cp "$SRC/tests/http/$1" "$NODE_DIR/$1"
}
