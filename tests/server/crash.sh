#!/usr/bin/env bash
# Crash test: `pikoci server --db-system lmdb` is SIGKILLed while commits keep
# arriving and builds run, then restarted on the same directory. Afterwards:
# no version lost (every commit is a version, every version seen before the
# kill kept its id), no duplicate build (each commit built exactly once),
# every build terminal (those cut off by the kill errored, with a reason),
# and the log of every succeeded build complete.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache"
COMMITS=${CRASH_COMMITS:-14}
KILL_AT=${CRASH_KILL_AT:-$(( 4 + RANDOM % 6 ))}
echo "# $COMMITS commits, SIGKILL after commit $KILL_AT"
git_repo "$T/app"
serve() {
    start_server "$T/server$1.log" --db-system lmdb --db-path "$T/db" --run-worker --concurrency 2 --adopt-grace 1s \
        --pipeline-config "$SRC/tests/server/crash.hcl" --var repo="file://$T/app.git"
}
cat >"$T/missing.py" <<'PY'
import json, sys
order = open(sys.argv[1]).read().split()     # newest first
refs = {v['version']['ref'] for v in json.load(open(sys.argv[2]))}
missing = ["%s (%d from the newest)" % (c, i) for i, c in enumerate(order) if c not in refs]
if missing: print("missing versions:", missing)
sys.exit(1 if missing else 0)
PY
all_seen() {   # every commit pushed is a version (else $T/missing.out says which not)
    git -C "$T/app.wc" log --format=%H >"$T/commits"
    pk versions crash/app --json >"$T/after.json" 2>/dev/null && "$PY" "$T/missing.py" "$T/commits" "$T/after.json" >"$T/missing.out"
}
serve 1 || finish
pk check crash/app >/dev/null 2>&1
# the first check takes only the newest commit (as a resource's first check
# does): v2 pushed before it ran would leave v1 no version at all
check "the first commit is a version before the next is pushed" until_ok 60 all_seen
for i in $(seq 2 "$COMMITS"); do
    commit "$T/app" "v$i"
    pk check crash/app >/dev/null 2>&1
    if [ "$i" -eq "$KILL_AT" ]; then
        # the versions so far, then wait until something runs, so the kill
        # cuts a build off
        pk versions crash/app --json >"$T/before.json"
        check "a build is running when the server is killed" \
            until_ok 180 bash -c "'$BIN' builds crash/build --json | grep -q '\"started\"'"
        kill -KILL "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null
        serve 2 || finish
    fi
done
# one more check after the restart: nothing pushed may stay unseen. `pk
# check` returns once the check has started, not once its versions are
# stored and built: wait for every commit to be a version, then for a
# terminal build of each (a snapshot taken at once could miss the last ones)
pk check crash/app >/dev/null 2>&1
t_check=$(date +%s%N)
if ! all_seen; then
    echo "# right after the last check: $(cat "$T/missing.out")"
fi
check "every commit is a version" until_ok 60 all_seen
all_seen || cat "$T/missing.out"
echo "# every commit was a version $(( ($(date +%s%N) - t_check) / 1000000 )) ms after the last check"
all_terminal() {
    pk builds crash/build --json >"$T/builds.json" 2>/dev/null || return 1
    "$PY" - "$T/after.json" "$T/builds.json" <<'PY'
import json, sys
refs = {v['version']['ref'] for v in json.load(open(sys.argv[1]))}
bs = json.load(open(sys.argv[2]))
built = {b['versions']['git.app']['ref'] for b in bs}
terminal = all(b['status'] in ('succeeded', 'failed', 'errored', 'cancelled') for b in bs)
sys.exit(0 if bs and terminal and refs <= built else 1)
PY
}
check "every version has a build and every build reaches a terminal state" until_ok 180 all_terminal
check "versions seen before the kill kept their ids" "$PY" - "$T/before.json" "$T/after.json" <<'PY'
import json, sys
before = {v['id']: v['version'] for v in json.load(open(sys.argv[1]))}
after = {v['id']: v['version'] for v in json.load(open(sys.argv[2]))}
bad = [i for i in before if after.get(i) != before[i]]
if bad: print("changed or lost:", bad)
sys.exit(1 if bad or not before else 0)
PY
check "each version built exactly once" "$PY" - "$T/after.json" "$T/builds.json" <<'PY'
import json, sys, collections
refs = [v['version']['ref'] for v in json.load(open(sys.argv[1]))]
count = collections.Counter(b['versions']['git.app']['ref'] for b in json.load(open(sys.argv[2])))
bad = {r: count[r] for r in refs if count[r] != 1}
if bad: print("builds per version:", bad)
sys.exit(1 if bad else 0)
PY
check "builds cut off by the kill are errored with a reason" "$PY" - "$T/builds.json" <<'PY'
import json, sys
bs = json.load(open(sys.argv[1]))
err = [b for b in bs if b['status'] == 'errored']
bad = [b['number'] for b in err if not b.get('reason')]
print("#", len(bs), "builds,", len(err), "errored:", [b.get('reason') for b in err][:3])
sys.exit(1 if bad or not err else 0)
PY
logs_intact() {
    local ok=0 n ref
    for n in $(json "' '.join(b['number'] for b in d if b['status']=='succeeded')" <"$T/builds.json"); do
        ref=$(json "[b['versions']['git.app']['ref'] for b in d if b['number']=='$n'][0]" <"$T/builds.json")
        pk logs "crash/build/$n" >"$T/log"
        if [ "$(grep -c "^$ref line [0-9]*\$" "$T/log")" -ne 300 ] || ! grep -qx "END $ref" "$T/log"; then
            echo "# build $n: log incomplete"; ok=1
        fi
    done
    return $ok
}
check "logs of succeeded builds are complete" logs_intact
stop_server
finish
