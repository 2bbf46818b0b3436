#!/usr/bin/env bash
# The version and the git commit baked in at configure time: `pikoci version`,
# `pikoci --version` and the http face's /api/v1/version agree with git.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../http/lib.sh"
want_version=$(sed -n 's/^project(pikoci VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
pk version >"$T/v" 2>&1
check "version exits 0" test $? -eq 0
check "version says the project's VERSION ($want_version)" grep -q "^pikoci $want_version " "$T/v"
pk --version >"$T/v2"
check "--version says the same" cmp -s "$T/v" "$T/v2"
commit=$(sed -n 's/.*(commit \(.*\))$/\1/p' "$T/v")
check "a commit is named" test -n "$commit"
if git -C "$SRC" rev-parse HEAD >/dev/null 2>&1; then
    # the describe of the configure time: its hash is an ancestor of (or is) HEAD
    hash=${commit%-dirty}; hash=${hash##*-g}
    check "the commit is this checkout's ($commit)" git -C "$SRC" merge-base --is-ancestor "$hash" HEAD
else
    check "outside git the commit is unknown" test "$commit" = unknown
fi
pk help | grep -q "version" ; check "help lists version" test $? -eq 0

start_http_server "$T/server.log" || finish
for path in /api/v1/version /api/version; do
    check "$path answers 200" test "$(code GET "$HTTP$path")" = 200
    check "$path has the version" test "$(json "d['version']" <"$T/body")" = "$want_version"
    check "$path has the commit" test "$(json "d['commit']" <"$T/body")" = "$commit"
done
finish
