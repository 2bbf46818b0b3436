#!/usr/bin/env bash
# PikoCI parity of the runner and the pipeline language (issue #16, #22),
# end to end with the real binary: `pikoci run`, `pikoci validate`, and a
# real server for the names a CLI sets and prints.
set -uo pipefail
. "${PIKOCI_SOURCE_DIR:?}/tests/server/lib.sh"
T=$(mktemp -d)
trap 'stop_server 2>/dev/null; rm -rf "$T"' EXIT
D=$SRC/tests/parity_runner

# 1. fs: a second get, and a get after a task wrote a file, merge into $WORKDIR
mkdir -p "$T/fs/tree/sub"
echo A >"$T/fs/tree/a.txt"; echo B >"$T/fs/tree/sub/b.txt"; printf 'single\n' >"$T/fs/single.txt"
touch -d @1700000000 "$T/fs/single.txt"
pk run "$D/fs.hcl" --job merge --var dir="$T/fs" >"$T/out" 2>"$T/err"; rc=$?
check "fs: two gets and a task share \$WORKDIR (exit 0)" test $rc -eq 0
check "fs: no 'not empty' refusal" bash -c "! grep -q 'not empty' '$T/out' '$T/err'"
check "fs: every file is there" bash -c "grep -q '^A$' '$T/out' && grep -q '^B$' '$T/out' && grep -q '^single$' '$T/out' && grep -q '^mine$' '$T/out'"
check "fs: a file's version has modified and size (fs.hcl)" \
    has "$T/out" "single: modified=1700000000 size=7 path=$T/fs/single.txt"

# 2. nested version fields flatten in pull and push; push sees $version_*
pk run "$D/version.hcl" --job flat >"$T/out" 2>"$T/err"; rc=$?
check "version: exit 0" test $rc -eq 0
check "version: pull sees version_metadata_sha, version_tags_0" \
    has "$T/out" "pull ref=abc123 sha=s1 author=ann tags=t0,t1 raw=unset"
check "version: push sees the build's version" has "$T/out" "push ref=abc123 sha=s1 msg=hi"

# 4. cron: PikoCI's date, printed by the get
pk run "$D/cron.hcl" --job tick >"$T/out" 2>"$T/err"; rc=$?
check "cron: exit 0" test $rc -eq 0
date_re='[A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9] UTC [0-9]{4}'
check "cron: the version is what date prints" grep -Eq "got date=$date_re\$" "$T/out"
check "cron: the get prints it" grep -Eq "date: $date_re\$" "$T/out"

# 5. github-check as a resource type
pk validate "$D/github_check.hcl" --var api=http://127.0.0.1:9 >"$T/out" 2>&1; rc=$?
check "github-check resource type validates" test $rc -eq 0
check "no 'holds no resource_type block'" bash -c "! grep -q 'holds no' '$T/out'"
pk run "$D/github_check.hcl" --job no-status --var api=http://127.0.0.1:9 >"$T/out" 2>"$T/err"; rc=$?
check "github-check put without status or conclusion fails" test $rc -eq 1
check "... saying so" has "$T/out" 'put needs status = "in_progress" or a conclusion'
pk run "$D/github_check.hcl" --job open --var api=http://127.0.0.1:9 >"$T/out" 2>"$T/err"; rc=$?
check "github-check put with status reads \$put_status (gets to the key)" \
    has "$T/out" "cannot read the private key file /nonexistent.pem"

# 6. names: job and resource names, tags
bad() {     # bad NAME HCL EXPECTED: validate fails with file:line:col and the rule
    printf '%s\n' "$2" >"$T/bad.hcl"
    pk validate "$T/bad.hcl" >"$T/out" 2>&1; local rc=$?
    check "$1: refused" test $rc -ne 0
    check "$1: file:line:col and the rule" grep -qF -- "$3" "$T/out"
}
bad "job name with /" 'job "a/b" {
}' "bad.hcl:1:5: error: job name \"a/b\" is not allowed: a name is a lowercase letter or digit"
bad "job name .." 'job ".." {
}' 'job name ".." is not allowed'
bad "job name with an escape" "$(printf 'job "x\\u001b[31my" {\n}')" 'bad.hcl:1:5: error: job name "x\x1b[31my" is not allowed'
check "job name with an escape: no raw ESC in the message" bash -c "! grep -q \$'\\x1b' '$T/out'"
bad "job name with capitals suggests the slug" 'job "Build Test" {
}' '(did you mean "build-test"?)'
bad "resource name with /" 'resource_type "t" {
}
resource "t" "a/b" {
}' 'bad.hcl:3:14: error: resource name "a/b" is not allowed'
bad "job tag not a slug" 'job "j" {
  tags = ["GPU"]
}' 'bad.hcl:2:10: error: tag of job "j" "GPU" is not allowed'
bad "resource tag not a slug" 'resource_type "t" {
}
resource "t" "r" {
  tags = ["with space"]
}' 'tag of resource "t.r" "with space" is not allowed'
printf 'job "build-1_x" {\n  tags = ["gpu", "linux-x86_64"]\n}\n' >"$T/good.hcl"
pk validate "$T/good.hcl" >"$T/out" 2>&1
check "slug names and tags are fine" test $? -eq 0

# pipeline names are slugified (PikoCI 0.1.0), by the CLI and by the server
printf 'job "j" {\n  task "t" {\n    run "shell" {\n      cmd = "true"\n    }\n  }\n}\n' >"$T/p.hcl"
start_server "$T/server.log" --run-worker || exit 1
pk pipelines set "My Pipeline" "$T/p.hcl" >"$T/out" 2>"$T/err"; rc=$?
check "set \"My Pipeline\": exit 0" test $rc -eq 0
check "set says the slug" has "$T/out" "pipeline my-pipeline set"
check "set says the name became a slug" has "$T/err" 'pipeline name "My Pipeline" is set as "my-pipeline"'
check "listed as my-pipeline" bash -c "pk() { \"$BIN\" \"\$@\"; }; pk pipelines | grep -q '^my-pipeline '"
check "addressable as my-pipeline/j" bash -c "'$BIN' trigger my-pipeline/j >/dev/null"
pk pipelines set '!!!' "$T/p.hcl" >"$T/out" 2>&1; rc=$?
check "a name with no letter or digit is refused" test $rc -ne 0
cp "$T/p.hcl" "$T/Other Name.hcl"
pk pipelines set "$T/Other Name.hcl" >"$T/out" 2>&1
check "a file's base name is slugified too" has "$T/out" "pipeline other-name set"

# a table cell never carries raw control bytes to the terminal: a check
# whose output is not JSON has it quoted in its error, escape sequences
# included; `pikoci resources` shows them as \x1b
cat >"$T/esc.hcl" <<'HCL'
resource_type "t" {
  check "exec" {
    path = "/bin/sh"
    args = ["-c", "printf 'boom \\033]0;pwned\\007 \\033[31mred\\n'"]
  }
}
resource "t" "r" {
}
job "j" {
  get "t" "r" {}
}
HCL
pk pipelines set esc "$T/esc.hcl" >/dev/null 2>&1
pk check esc/t.r >/dev/null 2>&1
until_ok 20 bash -c "'$BIN' resources esc | grep -q boom"
"$BIN" resources esc >"$T/out" 2>&1
check "resources table shows the error" has "$T/out" "boom"
check "no raw ESC or BEL in the table" bash -c "! grep -q \$'[\\x1b\\x07]' '$T/out'"
check "escaped as \\x1b" has "$T/out" '\x1b]0;pwned\x07'
finish
