#!/usr/bin/env bash
# The front end (tools/pikoci.c built as `pikoci`): it links none of the
# server's libraries, answers client commands itself and execs pikoci-core
# (found next to it) for server-side commands and for CURVE. A copy of the
# front end beside a pikoci-core that notes each exec and runs the real one
# tells which program ran what.
set -u
. "$(dirname "$0")/../server/lib.sh"
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
CORE=$(dirname "$BIN")/pikoci-core

check "pikoci-core is built next to pikoci" test -x "$CORE"
ldd "$BIN" >"$T/ldd"
for lib in libgit2 libcurl libzmq libczmq libmicrohttpd liblmdb libcrypto libsodium libsystemd libstdc++; do
    check "the front end does not link $lib" bash -c "! grep -q '$lib' '$T/ldd'"
done

mkdir "$T/bin"
cp "$BIN" "$T/bin/pikoci"
cat >"$T/bin/pikoci-core" <<SH
#!/bin/sh
echo "\$*" >>"$T/execs"
exec "$CORE" "\$@"
SH
chmod +x "$T/bin/pikoci-core"
FE=$T/bin/pikoci
execs() { cat "$T/execs" 2>/dev/null; }

"$FE" --help >"$T/help"
check "--help lists the client commands and the server's" \
    bash -c "grep -q '^  jobs ' '$T/help' && grep -q '^  server ' '$T/help' && grep -q '^  worker ' '$T/help'"
check "--help is the front end's own" test -z "$(execs)"
"$FE" server --help >"$T/out" 2>&1
check "server --help works through the dispatch" grep -q '^usage: pikoci server' "$T/out"
check "... run by pikoci-core" grep -qx 'server --help' "$T/execs"
"$FE" version >"$T/v1"; "$CORE" version >"$T/v2"
check "both say the same version" cmp -s "$T/v1" "$T/v2"
rm -f "$T/execs"

start_server "$T/server.log" || exit 1
cat >"$T/p.hcl" <<'HCL'
job "hello" {
  task "t" {
    run "shell" {
      cmd = "echo hi from the front end"
    }
  }
}
HCL
check "pipelines set" "$FE" pipelines set demo "$T/p.hcl"
check "trigger --watch follows the build to its end" bash -c "'$FE' trigger --watch demo/hello >'$T/watch' 2>&1"
check "... and shows its log" grep -q 'hi from the front end' "$T/watch"
check "builds lists it" bash -c "'$FE' builds demo/hello --json | grep -q succeeded"
check "whoami" "$FE" whoami
check "logs" bash -c "'$FE' logs demo/hello/1 | grep -q 'hi from the front end'"
check "the client commands never ran pikoci-core" test -z "$(execs)"
# unreachable: exit 3, as before
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$FE" jobs demo --server "tcp://127.0.0.1:$PORT" --timeout 300ms >/dev/null 2>"$T/err"
check "a server nothing listens at: exit 3" test $? -eq 3
check "... said so" grep -q 'cannot reach' "$T/err"
check "... by the front end itself" test -z "$(execs)"

# CURVE and other transports are the full program's
"$FE" jobs demo --curve-cert "$T/none.cert" --curve-server-key "$T/none.cert" >/dev/null 2>"$T/err"
check "--curve-cert goes to pikoci-core" grep -q 'jobs demo --curve-cert' "$T/execs"
check "... which judges the certificate (exit 2)" grep -q 'none.cert' "$T/err"
rm -f "$T/execs"
PIKOCI_CURVE_CERT=$T/none.cert "$FE" whoami >/dev/null 2>&1
check "\$PIKOCI_CURVE_CERT goes to pikoci-core" grep -qx 'whoami' "$T/execs"
rm -f "$T/execs"
"$FE" workers --server inproc://nothing --timeout 100ms >/dev/null 2>&1
check "an inproc:// server goes to pikoci-core" grep -q 'workers --server inproc://nothing' "$T/execs"

# no pikoci-core anywhere: a clear error, exit 2 (not for the client commands)
rm "$T/bin/pikoci-core"
if [ ! -x /usr/local/libexec/pikoci/pikoci-core ] && [ ! -x /usr/libexec/pikoci/pikoci-core ]; then
    "$FE" server --help >/dev/null 2>"$T/err"
    check "no pikoci-core: exit 2" test $? -eq 2
    check "... saying where it looked" grep -q 'cannot run pikoci-core' "$T/err"
fi
check "client commands need no pikoci-core" "$FE" jobs demo
finish
