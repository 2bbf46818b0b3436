#!/usr/bin/env bash
# for_each/matrix end to end through `pikoci server`: a 2x2 matrix job runs
# four instances named test--KEY that see each.key/each.value; a downstream
# `passed = ["test"]` waits until ALL four passed the same commit (not
# while one is held back, not when one failed), then builds that commit;
# a pipeline update that changes the axes adds and removes instance jobs,
# and removed instances get no builds.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
export PIKOCI_CACHE_DIR="$T/cache" MX_GATE="$T/gate" MX_FAIL="$T/fail"
git_repo "$T/app"
v1=$(git -C "$T/app.wc" rev-parse HEAD)
start_server "$T/server.log" --run-worker --concurrency 8 \
    --pipeline-config "$SRC/tests/secrets/matrix.hcl" --pipeline-name mx \
    --var repo="file://$T/app.git" || finish

never_within() { ! until_ok "$@"; }   # never_within SECONDS COMMAND...: it stays false
nbuilds() { pk builds "$1" --json 2>/dev/null | json "len(d)"; }
instances() { pk jobs mx --json | json "' '.join(j['name'] for j in d if j['name'].startswith('test--'))"; }
read -r -a inst <<<"$(instances)"
check "the matrix expands to four instance jobs" test ${#inst[@]} -eq 4
check "the downstream job is there too" bash -c "'$BIN' jobs mx --json | grep -q '\"deploy\"'"
# the instance held back by the gate: its key has bsd and clang, in whichever order
held=""
for j in "${inst[@]}"; do case $j in *bsd*clang*|*clang*bsd*) held=$j;; esac; done
check "one instance is bsd x clang" test -n "$held"

# 1. v1: three instances pass, the fourth is held: deploy must not build
pk check mx/app >/dev/null 2>&1
for j in "${inst[@]}"; do
    [ "$j" = "$held" ] && continue
    check "$j #1 succeeds" until_ok 60 build_is "mx/$j" 1 succeeded
done
check "$held #1 is running" until_ok 30 build_is "mx/$held" 1 started
check "deploy waits while one instance has not passed" never_within 2 build_status_any mx/deploy 1
touch "$MX_GATE"
check "$held #1 succeeds once released" until_ok 60 build_is "mx/$held" 1 succeeded
check "then deploy #1 builds" until_ok 60 build_is mx/deploy 1 succeeded
check "deploy #1 got v1" bash -c "'$BIN' logs mx/deploy/1 | grep -q 'deploying ref=$v1'"

# each instance saw its own key and value; the four (os, cc) pairs differ
for j in "${inst[@]}"; do pk logs "mx/$j/1"; done >"$T/each"
each_ok() {
    "$PY" - "$T/each" <<'PY'
import re, sys
rows = [dict(kv.split("=", 1) for kv in l.split()) for l in open(sys.argv[1]) if l.startswith("instance=")]
pairs = {(r["os"], r["cc"]) for r in rows}
ok = len(rows) == 4 and pairs == {(o, c) for o in ("linux", "bsd") for c in ("gcc", "clang")}
for r in rows:
    ok &= r["instance"] == "test--" + r["key"]                  # job--key
    ok &= sorted(r["key"].split("-")) == sorted([r["os"], r["cc"]])
sys.exit(0 if ok else 1)
PY
}
check "each instance saw each.key and each.value" each_ok

# 2. v2 with one instance failing: deploy does not build v2 until it passes
failing=${inst[0]}
os_cc=$(pk logs "mx/$failing/1" | sed -n 's/.* os=\([^ ]*\) cc=\([^ ]*\) .*/\1.\2/p')
touch "$MX_FAIL.$os_cc"
commit "$T/app" v2
v2=$(git -C "$T/app.wc" rev-parse HEAD)
pk check mx/app >/dev/null 2>&1
for j in "${inst[@]}"; do
    [ "$j" = "$failing" ] && want=failed || want=succeeded
    check "$j #2 $want" until_ok 60 build_is "mx/$j" 2 $want
done
check "deploy does not build what failed in one instance" never_within 2 build_status_any mx/deploy 2
rm "$MX_FAIL.$os_cc"
pk retry "mx/$failing/2" >/dev/null 2>&1
check "the retry of $failing passes v2" until_ok 60 build_is "mx/$failing" 2.1 succeeded
check "then deploy #2 builds" until_ok 60 build_is mx/deploy 2 succeeded
check "deploy #2 got v2" bash -c "'$BIN' logs mx/deploy/2 | grep -q 'deploying ref=$v2'"

# 3. pipeline update: bsd goes, tcc comes; removed instances vanish and get no builds
sed -e 's/os = \["linux", "bsd"\]/os = ["linux"]/' -e 's/cc = \["gcc", "clang"\]/cc = ["gcc", "clang", "tcc"]/' \
    "$SRC/tests/secrets/matrix.hcl" >"$T/matrix2.hcl"
check "the update changed the axes" grep -q '"tcc"' "$T/matrix2.hcl"
pk pipelines set mx "$T/matrix2.hcl" --var repo="file://$T/app.git" >"$T/set.out" 2>&1; rc=$?
check "pipelines set exits 0" test $rc -eq 0
read -r -a inst2 <<<"$(instances)"
check "three instances now" test ${#inst2[@]} -eq 3
check "no bsd instance is listed" bash -c "! '$BIN' jobs mx | grep -q bsd"
check "a tcc instance is listed" bash -c "'$BIN' jobs mx | grep -q tcc"
removed_before=$(nbuilds "mx/$held")
check "the removed instance had its two builds" test "$removed_before" = 2
commit "$T/app" v3
v3=$(git -C "$T/app.wc" rev-parse HEAD)
pk check mx/app >/dev/null 2>&1
for j in "${inst2[@]}"; do
    case $j in *tcc*) n=1;; *) n=3;; esac
    check "$j #$n succeeds on v3" until_ok 60 build_is "mx/$j" $n succeeded
done
check "deploy #3 follows all three" until_ok 60 build_is mx/deploy 3 succeeded
check "deploy #3 got v3" bash -c "'$BIN' logs mx/deploy/3 | grep -q 'deploying ref=$v3'"
for j in "${inst[@]}"; do
    case $j in *bsd*) check "no build for removed $j after the update" test "$(nbuilds "mx/$j")" = 2;; esac
done
finish
