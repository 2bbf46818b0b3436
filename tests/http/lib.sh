# The http tests' shared part, on top of the server tests' lib.sh: a server
# with --http on a free loopback port ($HTTP is its base URL) and curl
# helpers that print the status code.
. "$(dirname "${BASH_SOURCE[0]}")/../server/lib.sh"

# start_http_server LOG ARGS...: start_server with --http 127.0.0.1:0; sets HTTP
start_http_server() {
    local log=$1; shift
    start_server "$log" --http 127.0.0.1:0 "$@" || return 1
    HTTP=$(sed -n 's/.*http on \(http:[^ ]*\).*/\1/p' "$log" | head -1)
    [ -n "$HTTP" ] || { echo "no 'http on' line:"; cat "$log"; return 1; }
}
# code METHOD URL [curl args...]: the status code, the body in $T/body
code() { local m=$1 u=$2; shift 2; curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$u"; }
