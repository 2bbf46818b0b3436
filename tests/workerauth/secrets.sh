#!/usr/bin/env bash
# The built-in secret store through a real server (lmdb on disk) and the CLI:
#  1. `pikoci secrets set` at team and pipeline scope; a build's
#     `secret "pikoci"` variable gets the pipeline's value (it shadows the
#     team's), masked in the log; after `secrets rm` of the pipeline's, the team's;
#  2. no value in any LMDB file, in `secrets list` or any other CLI read;
#  3. a server without its key says what is missing, refuses secrets.* with
#     that, fails only the build that needs a store secret, runs plain ones.
set -uo pipefail
T=$(mktemp -d)
[ -z "${KEEP:-}" ] || echo "# keeping $T"
export PIKOCI_RUNTIME_DIR=$T/run
trap 'kill $(jobs -p) 2>/dev/null; wait; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
TEAM_VALUE="team-v4lue-Zq81"
PIPE_VALUE="pipe-v4lue-Kx07"
sha() { printf %s "$1" | sha256sum | cut -c1-16; }

start_server "$T/server.log" --run-worker --db-system lmdb --db-path "$T/db" \
    --pipeline-config "$SRC/tests/workerauth/secrets.hcl" --pipeline-name sec || finish
check "the key file was made 0600 beside the store" test "$(stat -c %a "$T/db.secret-key")" = 600
check "the server says where its key is" has "$T/server.log" "secret store: key from $T/db.secret-key"

# 1. scopes
echo "$TEAM_VALUE" | pk secrets set api_token >"$T/set1" 2>&1; rc=$?
check "set from stdin (team main)" test $rc -eq 0
check "... says the scope" has "$T/set1" "api_token set (t:main)"
pk secrets set api_token --pipeline sec --value "$PIPE_VALUE" >"$T/set2" 2>&1; rc=$?
check "set --value at pipeline scope" test $rc -eq 0
pk trigger sec/use --watch >"$T/watch1" 2>&1; rc=$?
check "the build using the secret succeeds" test $rc -eq 0
pk logs sec/use/1 >"$T/log1" 2>&1
check "the value is masked in the log" has "$T/log1" "token=***"
check "the pipeline's value shadows the team's" has "$T/log1" "sha=$(sha "$PIPE_VALUE")"
pk secrets rm api_token --pipeline sec >"$T/rm" 2>&1; rc=$?
check "rm the pipeline's secret" test $rc -eq 0
pk trigger sec/use --watch >"$T/watch2" 2>&1
pk logs sec/use/2 >"$T/log2" 2>&1
check "then the team's value is used" has "$T/log2" "sha=$(sha "$TEAM_VALUE")"
check "masked too" has "$T/log2" "token=***"
pk secrets rm api_token --pipeline sec >"$T/rm2" 2>&1; rc=$?
check "rm of a missing secret is refused (exit 1)" test $rc -eq 1
check "... saying so" has "$T/rm2" 'no secret "api_token" in p:sec'
printf 'file-v4lue\n' >"$T/valfile"
pk teams create blue >/dev/null 2>&1      # a team's secrets need the team
pk secrets set other --from-file "$T/valfile" --team blue >/dev/null 2>&1; rc=$?
check "set --from-file (team blue)" test $rc -eq 0
pk secrets set "bad name" --value x >"$T/bad" 2>&1; rc=$?
check "a bad name is refused" test $rc -eq 1

# 2. nowhere to be read
pk secrets list >"$T/list" 2>&1
check "list shows the name" has "$T/list" api_token
pk secrets list --json >"$T/list.json" 2>&1
pk secrets list --team blue --json >"$T/list-blue.json" 2>&1
check "list --team blue shows its secret" has "$T/list-blue.json" '"other"'
for f in list list.json list-blue.json; do
    check "no value in secrets $f" bash -c "! grep -qE '$TEAM_VALUE|$PIPE_VALUE|file-v4lue' '$T/$f'"
done
pk build sec/use/1 --json >"$T/build.json" 2>&1
pk pipelines get sec >"$T/pget" 2>&1
pk jobs sec --json >"$T/jobs.json" 2>&1
cat "$T"/log1 "$T"/log2 "$T"/watch1 "$T"/watch2 "$T/build.json" "$T/pget" "$T/jobs.json" >"$T/reads"
check "no value in any CLI read" bash -c "! grep -qE '$TEAM_VALUE|$PIPE_VALUE' '$T/reads'"
check "no value in any LMDB file" bash -c "! grep -a -r -qE '$TEAM_VALUE|$PIPE_VALUE|file-v4lue' '$T/db'"
check "the LMDB files do hold the secrets' names" grep -a -r -q api_token "$T/db"
check "no value in the server's log" bash -c "! grep -qE '$TEAM_VALUE|$PIPE_VALUE' '$T/server.log'"
stop_server

# 3. without the key
start_server "$T/nokey.log" --run-worker --db-system lmdb --db-path "$T/db" \
    --secret-key-file "$T/nope.key" || finish
check "the server says what is missing" has "$T/nokey.log" "secret store off: cannot read $T/nope.key"
pk secrets set x --value y >"$T/nokey-set" 2>&1; rc=$?
check "secrets set is refused (exit 1)" test $rc -eq 1
check "... saying what is missing" has "$T/nokey-set" "the secret store is off: cannot read $T/nope.key"
pk trigger sec/plain --watch >"$T/nokey-plain" 2>&1; rc=$?
check "plain config values still work" test $rc -eq 0
pk logs sec/plain/1 >"$T/nokey-plain-log" 2>&1
check "... with their value" has "$T/nokey-plain-log" plain-hello
pk trigger sec/use --watch >"$T/nokey-use" 2>&1; rc=$?
check "a build needing a store secret fails" test $rc -ne 0
pk logs sec/use/3 >"$T/nokey-use-log" 2>&1
check "... saying the store is off" has "$T/nokey-use-log" "secret store is off"
stop_server
# a wrong key: the boxes do not open
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/other.key"
start_server "$T/wrong.log" --run-worker --db-system lmdb --db-path "$T/db" \
    --secret-key-file "$T/other.key" || finish
pk trigger sec/use --watch >/dev/null 2>&1
pk logs sec/use/4 >"$T/wrong-log" 2>&1
check "another key cannot open the store's secrets" has "$T/wrong-log" "cannot be opened with this server's key"
stop_server
finish
