# Shared by the server end-to-end scripts: a TAP-ish check, a poll with a
# deadline, JSON field extraction, a bare git repository and a server
# started on a free loopback port (the broker picks it: --listen ...:*).
BIN=${PIKOCI_BIN:?}
SRC=${PIKOCI_SOURCE_DIR:?}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
fails=0
passes=0
check() {   # check NAME COMMAND...
    local name=$1; shift
    if "$@"; then echo "ok - $name"; passes=$((passes + 1)); else echo "FAIL - $name"; fails=$((fails + 1)); fi
}
has() { grep -qF -- "$2" "$1"; }
# until SECONDS COMMAND...: run COMMAND until it succeeds or the deadline passes
until_ok() {
    local end=$(( $(date +%s%N) + $1 * 1000000000 )); shift
    while ! "$@" >/dev/null 2>&1; do
        [ "$(date +%s%N)" -lt $end ] || return 1
        sleep 0.02
    done
}
# json EXPR: evaluate a Python expression on stdin's JSON document (d)
json() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); r=eval(sys.argv[1]); print(r if not isinstance(r,(dict,list)) else json.dumps(r))' "$1"; }
pk() { "$BIN" "$@"; }

git_repo() {    # git_repo DIR: a bare repo DIR.git and a working copy DIR.wc with one commit
    export GIT_CONFIG_NOSYSTEM=1 HOME="$T/home"
    mkdir -p "$HOME"
    git init -q --bare "$1.git"
    git clone -q "$1.git" "$1.wc" 2>/dev/null
    commit "$1" v1
}
commit() {      # commit DIR CONTENT: a new commit of VERSION, pushed
    ( cd "$1.wc" && echo "$2" >VERSION && git add VERSION \
      && git -c user.name=t -c user.email=t@t commit -qm "$2" && git push -q origin HEAD 2>/dev/null )
}

# start_server LOG ARGS...: starts pikoci server in the background ($SERVER_PID),
# waits until it is ready and exports PIKOCI_SERVER. Without the web face
# (--http off; ARGS may give --http) unless HTTP_DEFAULT=1: the default
# 127.0.0.1:8080 is one port for every test running at once.
start_server() {
    local log=$1; shift
    local off=(--http off)
    [ "${HTTP_DEFAULT:-}" = 1 ] && off=()
    "$BIN" server --listen 'tcp://127.0.0.1:*' "${off[@]}" "$@" 2>"$log" &
    SERVER_PID=$!
    # a start that fails is a failed check: `start_server ... || finish` must not pass
    until_ok 30 grep -q "server ready" "$log" || { echo "FAIL - server did not start:"; cat "$log"; fails=$((fails + 1)); return 1; }
    PIKOCI_SERVER=$(sed -n 's/.*listening on \(tcp:[^ ]*\).*/\1/p' "$log" | head -1)
    export PIKOCI_SERVER
}
stop_server() { kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; }
# build_status P/J N: the status of build N (empty when there is none)
build_status() { pk builds "$1" --json 2>/dev/null | json "[b['status'] for b in d if b['number']=='$2'][0] if [b for b in d if b['number']=='$2'] else ''"; }
build_is() { [ "$(build_status "$1" "$2")" = "$3" ]; }
build_status_any() { [ -n "$(build_status "$1" "$2")" ]; }
finish() { echo "$passes passed, $fails failed"; exit $((fails > 0)); }
