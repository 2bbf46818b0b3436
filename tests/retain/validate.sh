#!/usr/bin/env bash
# build_log_retention in the pipeline language: Concourse's names, each
# mistake reported at file:line:col (#19).
set -uo pipefail
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
F="$SRC/tests/retain/bad_retention.hcl"
"$BIN" validate "$F" >"$T/out" 2>&1; rc=$?
check "validate exits 2" test $rc -eq 2
check "minimum_succeeded_builds above builds" has "$T/out" "bad_retention.hcl:5:32: error: minimum_succeeded_builds (3) cannot exceed builds (2)"
check "a misspelt attribute, with a suggestion" has "$T/out" "bad_retention.hcl:6:5: error: unknown attribute \"dayz\" in build_log_retention; did you mean \"days\"?"
check "an empty block" has "$T/out" "bad_retention.hcl:15:3: error: build_log_retention needs builds or days"
check "a second block" has "$T/out" "bad_retention.hcl:17:3: error: job \"b\" has more than one build_log_retention block"
check "the retention example validates" "$BIN" validate "$SRC/tests/retain/r.hcl"
finish
