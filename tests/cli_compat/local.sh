#!/usr/bin/env bash
# PikoCI's local command lines with no server: `pikoci run -p FILE -j JOB -v
# VARS` (and --pipeline-config/--job/--vars) does what `pikoci run FILE --job
# JOB --vars VARS` does, and `pikoci pipeline validate FILE [-v VARS]` what
# `pikoci validate` does -- same output, same exit code.
set -uo pipefail
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
D=$SRC/tests/cli_compat
same() {    # same NAME "CMD1" "CMD2": equal stdout, stderr and exit code
    local name=$1
    eval "$2" >"$T/a" 2>"$T/ae"; local ra=$?
    eval "$3" >"$T/b" 2>"$T/be"; local rb=$?
    check "$name: exit $ra = $rb" test $ra -eq $rb
    check "$name: same output" cmp -s "$T/a" "$T/b"
    check "$name: same messages" cmp -s "$T/ae" "$T/be"
}

# 1. pikoci run
pk run -p "$D/compat.hcl" -j hello -v "$D/vars.json" >"$T/out" 2>&1; rc=$?
check "run -p -j -v exits 0" test $rc -eq 0
check "run -v reads the vars file" has "$T/out" "bonjour from build 1"
same "run -p -j -v = run FILE --job --vars" \
    "pk run -p '$D/compat.hcl' -j hello -v '$D/vars.json'" \
    "pk run '$D/compat.hcl' --job hello --vars '$D/vars.json'"
same "run --pipeline-config --job --vars = run FILE --job --vars" \
    "pk run --pipeline-config '$D/compat.hcl' --job hello --vars '$D/vars.json' --var greeting=hi" \
    "pk run '$D/compat.hcl' --job hello --vars '$D/vars.json' --var greeting=hi"
same "run -j nosuch" \
    "pk run -p '$D/compat.hcl' -j nosuch" "pk run '$D/compat.hcl' --job nosuch"
pk run -p "$D/compat.hcl" "$D/compat.hcl" -j hello >"$T/out" 2>&1; rc=$?
check "run with two pipelines exits 2" test $rc -eq 2
pk run -p >"$T/out" 2>&1; rc=$?
check "run -p without a value exits 2" test $rc -eq 2
check "and says so" has "$T/out" "needs a value"
pk run --help >"$T/out"
check "run --help shows -p and -j" has "$T/out" "-p, --pipeline-config FILE"

# 2. pikoci pipeline validate
same "pipeline validate = validate" "pk pipeline validate '$D/compat.hcl'" "pk validate '$D/compat.hcl'"
same "pipeline validate -v = validate --vars" \
    "pk pipeline validate '$D/compat.hcl' -v '$D/vars.json' --var repo=x" \
    "pk validate '$D/compat.hcl' --vars '$D/vars.json' --var repo=x"
printf 'job "x" {\n  tsk "y" {\n  }\n}\n' >"$T/bad.hcl"
pk pipeline validate "$T/bad.hcl" >"$T/out" 2>"$T/err"; rc=$?
check "pipeline validate of a bad file exits 2" test $rc -eq 2
check "with file:line:col" has "$T/err" "bad.hcl:2:3:"
pk pipeline edit "$T/bad.hcl" >"$T/out" 2>"$T/err"; rc=$?
check "pipeline edit exits 2" test $rc -eq 2
check "pipeline edit: not available yet" has "$T/err" "not available yet"
pk pipeline --help >"$T/out"; rc=$?
check "pipeline --help exits 0" test $rc -eq 0
pk --help >"$T/out"
check "pikoci --help lists client and pipeline" bash -c "grep -q '^  client ' '$T/out' && grep -q '^  pipeline ' '$T/out'"
finish
