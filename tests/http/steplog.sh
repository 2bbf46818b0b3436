#!/usr/bin/env bash
# Step log ranges through a real server (issue #18): a three-step build's
# steps, as the `build` route returns them, carry log_from/log_to that
# partition the log the server stored -- each slice, read back with
# /log?offset=&max=, is that step's own output, with the secret the middle
# step printed masked (offsets count the stored bytes, not the ones printed).
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/s"
printf '{"token": "a-secret-value-much-longer-than-its-mask-0123456789"}' >"$T/s/creds.json"
start_http_server "$T/server.log" --run-worker \
    --pipeline-config "$SRC/tests/http/steplog.hcl" --pipeline-name sl --var creds_file="$T/s/creds.json" \
    || { finish; }
A="$HTTP/api/v1/pipelines/sl/jobs/three/builds"
pk trigger sl/three >/dev/null 2>&1
check "three #1 succeeds" until_ok 60 build_is sl/three 1 succeeded
acurl -s "$A/1" >"$T/build.json"
acurl -s "$A/1/log" >"$T/log"
check "the stored log is masked" bash -c "! grep -q a-secret-value '$T/log'"
slice() {   # slice NAME: the step's range, read back through the log route
    local r
    r=$(json "[(s['log_from'], s['log_to']) for s in d['steps'] if s['name']=='$1'][0]" <"$T/build.json" | tr -d '() ')
    acurl -s "$A/1/log?offset=${r%,*}&max=$(( ${r#*,} - ${r%,*} ))"
}
check "step one's slice is its output" test "$(slice one | od -c)" = "$(printf 'one-a\none-b\n' | od -c)"
check "step two's slice is its output, masked" test "$(slice two | od -c)" = "$(printf 'two=***\n*** ***\n' | od -c)"
check "step three's slice is its output" test "$(slice three | od -c)" = "$(printf 'three\nno newline at the end' | od -c)"
check "the ranges partition the whole log, in order" "$PY" - "$T/build.json" "$T/log" <<'EOP'
import json, sys
b = json.load(open(sys.argv[1])); size = len(open(sys.argv[2], 'rb').read())
r = sorted((s['log_from'], s['log_to']) for s in b['steps'])
assert len(r) == 3 and r[0][0] == 0 and r[-1][1] == size, (r, size)
assert all(r[i][1] == r[i + 1][0] for i in range(2)), r
EOP
finish
