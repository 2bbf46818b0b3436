#!/bin/sh
# validate/run.sh: end-to-end test of the real `pikoci validate` binary
# ($PIKOCI_BIN). Every examples/*.hcl must be valid (exit 0, one summary line
# on stdout, nothing on stderr). Every tests/validate/invalid/NAME.hcl must
# exit 2 and print each line of NAME.expected on stderr, exactly (a line
# ending in " ..." matches as a prefix, for wording owned by other modules);
# the expected summary line pins the error count. Then the command line:
# --var/--vars, --help, usage errors, unreadable and hostile files.
set -u
BIN=${PIKOCI_BIN:?PIKOCI_BIN must name the pikoci binary}
SRC=${PIKOCI_SOURCE_DIR:?PIKOCI_SOURCE_DIR must name the source tree}
[ -x "$BIN" ] || { echo "FAIL: $BIN is not built"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# run ARGS...: runs the binary, leaving exit status in $rc, output in files
run() {
    "$BIN" validate "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
}

# has_line FILE LINE: LINE is a whole line of FILE (or a prefix if it ends in " ...")
has_line() {
    case "$2" in
    *" ...") prefix=${2%...}
             while IFS= read -r got; do
                 case "$got" in "$prefix"*) return 0 ;; esac
             done <"$1"
             return 1 ;;
    *) grep -qxF -- "$2" "$1" ;;
    esac
}

cd "$SRC/examples" || exit 1
for f in *.hcl; do
    run "$f"
    [ "$rc" -eq 0 ] || { fail "examples/$f: exit $rc"; cat "$TMP/err"; continue; }
    grep -qx "$f: valid: [0-9]* resources*, [0-9]* jobs*, [0-9]* variables*" "$TMP/out" \
        || fail "examples/$f: unexpected summary: $(cat "$TMP/out")"
    [ -s "$TMP/err" ] && { fail "examples/$f: printed on stderr:"; cat "$TMP/err"; }
done

cd "$SRC/tests/validate/invalid" || exit 1
for f in *.hcl; do
    name=${f%.hcl}
    [ -f "$name.expected" ] || { fail "$f has no $name.expected"; continue; }
    run "$f"
    [ "$rc" -eq 2 ] || fail "$f: exit $rc, want 2"
    [ -s "$TMP/out" ] && fail "$f: printed on stdout: $(cat "$TMP/out")"
    while IFS= read -r want; do
        has_line "$TMP/err" "$want" || { fail "$f: missing line: $want"; echo "--- got:"; cat "$TMP/err"; }
    done <"$name.expected"
done

# --var / --vars give a required variable its value, converted to its type.
run needs-var.hcl --var replicas=3
[ "$rc" -eq 0 ] && grep -qx "needs-var.hcl: valid: 1 resource, 1 job, 2 variables" "$TMP/out" \
    || fail "--var replicas=3: exit $rc: $(cat "$TMP/out" "$TMP/err")"
run needs-var.hcl --var=replicas=abc
[ "$rc" -eq 2 ] && has_line "$TMP/err" \
    'needs-var.hcl:3:10: error: variable "replicas" must be a number; the value given is "abc"' \
    || fail "--var replicas=abc: exit $rc: $(cat "$TMP/err")"
echo '{"replicas": 2}' >"$TMP/vars.json"
run --vars "$TMP/vars.json" needs-var.hcl
[ "$rc" -eq 0 ] || fail "--vars: exit $rc: $(cat "$TMP/err")"
run needs-var.hcl --vars "$TMP/vars.json" --var replicas=x
[ "$rc" -eq 2 ] || fail "--var must win over --vars: exit $rc"
echo '{"replicas": ' >"$TMP/bad.json"
run needs-var.hcl --vars "$TMP/bad.json"
[ "$rc" -eq 2 ] && grep -q "^pikoci validate: --vars $TMP/bad.json: not valid JSON" "$TMP/err" \
    || fail "bad --vars file: exit $rc: $(cat "$TMP/err")"
run needs-var.hcl --var replicas
[ "$rc" -eq 2 ] && has_line "$TMP/err" 'pikoci validate: --var "replicas": expected NAME=VALUE' \
    || fail "--var without =: exit $rc: $(cat "$TMP/err")"

# Usage.
"$BIN" validate --help >"$TMP/out" 2>&1 && grep -q "^usage: pikoci validate FILE" "$TMP/out" \
    && grep -q -- "--vars FILE" "$TMP/out" || fail "--help: $(cat "$TMP/out")"
run
[ "$rc" -eq 2 ] && grep -q "no pipeline file given" "$TMP/err" || fail "no file: exit $rc"
run a.hcl b.hcl
[ "$rc" -eq 2 ] || fail "two files: exit $rc"
run --frobnicate needs-var.hcl
[ "$rc" -eq 2 ] && grep -q "unknown option '--frobnicate'" "$TMP/err" || fail "bad option: exit $rc"
run needs-var.hcl --var
[ "$rc" -eq 2 ] && grep -q -- "--var needs a value" "$TMP/err" || fail "--var at the end: exit $rc"

# Files that cannot be read, and bytes that are not a pipeline at all.
run "$TMP/missing.hcl"
[ "$rc" -eq 2 ] && has_line "$TMP/err" \
    "pikoci validate: cannot open $TMP/missing.hcl: No such file or directory" \
    || fail "missing file: exit $rc: $(cat "$TMP/err")"
run "$TMP"
[ "$rc" -eq 2 ] && grep -q "cannot read" "$TMP/err" || fail "directory: exit $rc: $(cat "$TMP/err")"
awk 'BEGIN { for (i = 0; i < 4096; i++) printf "%c", (i * 7919 + 13) % 256 }' >"$TMP/noise.hcl"
run "$TMP/noise.hcl"
[ "$rc" -eq 2 ] || fail "binary noise: exit $rc (a crash is 134 or 1)"
: >"$TMP/empty.hcl"
run "$TMP/empty.hcl"
[ "$rc" -eq 0 ] && grep -qx "$TMP/empty.hcl: valid: 0 resources, 0 jobs, 0 variables" "$TMP/out" \
    || fail "empty file: exit $rc: $(cat "$TMP/out" "$TMP/err")"

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "validate_cli: all passed"
