#!/usr/bin/env bash
# Garbage on the broker port does not disturb running builds. A real
# `pikoci server --run-worker` (loopback only) runs a build that prints a
# line every 100 ms for a few seconds; meanwhile a Python client throws at
# its --listen port: random bytes, a ZMTP greeting followed by garbage, a
# stalled half greeting, a completed NULL handshake followed by a frame
# header announcing more than 4 MiB (and the bytes), well-framed messages
# of nonsense, and a CURVE greeting with garbage for its HELLO. The build
# must still succeed with its whole log, and the server keep answering.
# Done twice: a plain loopback listener, and a CURVE one (the CLI then
# talks CURVE through PIKOCI_CURVE_CERT / PIKOCI_CURVE_SERVER_KEY).
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
LINES=100

cat >"$T/garbage.hcl" <<EOF
job "slow" {
  task "print" {
    run "shell" {
      cmd = "i=0; while [ \$i -lt $LINES ]; do echo \"line \$i\"; i=\$((i+1)); sleep 0.1; done; echo END"
    }
  }
}
EOF

cat >"$T/garbage.py" <<'EOF'
# garbage.py HOST PORT: every kind of bad input, several rounds; prints what it sent
import os, socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])

def greeting(mech=b"NULL"):
    return b"\xff" + b"\x00" * 8 + b"\x7f" + bytes([3, 0]) + mech.ljust(20, b"\x00") + b"\x00" + b"\x00" * 31

def ready(sock_type=b"DEALER"):
    body = b"\x05READY" + bytes([11]) + b"Socket-Type" + len(sock_type).to_bytes(4, "big") + sock_type
    return bytes([0x04, len(body)]) + body

def frame(data, more=False):
    flags = 0x01 if more else 0x00
    if len(data) > 255:
        return bytes([flags | 0x02]) + len(data).to_bytes(8, "big") + data
    return bytes([flags, len(data)]) + data

def send(payload, stall=0.0):
    s = socket.create_connection((host, port), timeout=5)
    try:
        s.sendall(payload)
        if stall:
            time.sleep(stall)
        s.settimeout(0.2)
        try:
            s.recv(65536)
        except (socket.timeout, OSError):
            pass
    except OSError:
        pass                            # the broker may hang up first: that is the point
    finally:
        s.close()

sent = 0
held = socket.create_connection((host, port), timeout=5)
held.sendall(greeting()[:10])           # a half greeting, held open for the whole run
for round in range(3):
    send(os.urandom(65536)); sent += 1
    send(greeting() + os.urandom(4096)); sent += 1
    huge = 5 * 1024 * 1024 + 4096       # above the 4 MiB + header cap
    send(greeting() + ready() + b"\x02" + huge.to_bytes(8, "big") + b"\x00" * huge); sent += 1
    junk = b"".join(frame(os.urandom(n), more=(i < 3)) for i, n in enumerate((5, 300, 17, 1)))
    junk += frame(b"WORK", more=True) + frame(b"\xdd\xff\xff\xff\xff")
    junk += frame(b"LOG", more=True) + frame(b"\xc1")
    send(greeting() + ready() + junk, stall=0.2); sent += 1
    send(greeting(b"CURVE") + frame(os.urandom(200))); sent += 1
    send(greeting(b"CURVE") + bytes([0x04, 200]) + b"\x05HELLO" + os.urandom(194)); sent += 1
held.close()
print("sent", sent, "bad connections")
EOF

# phase NAME ARGS...: a server with ARGS, a build, garbage during it
CLI_ENV=()
phase() {
    local name=$1; shift
    start_server "$T/$name.log" --run-worker --concurrency 2 --pipeline-config "$T/garbage.hcl" \
        "$@" || finish
    # the CLI's own variables come after the start: the server would take
    # PIKOCI_CURVE_* as its client side's and refuse them beside --curve-cert
    [ ${#CLI_ENV[@]} -eq 0 ] || export "${CLI_ENV[@]}"
    local hostport=${PIKOCI_SERVER#tcp://}
    pk trigger garbage/slow >"$T/trigger.out" 2>&1
    check "$name: the build starts" until_ok 30 build_is garbage/slow 1 started
    local t0; t0=$(date +%s%N)
    "$PY" "$T/garbage.py" "${hostport%:*}" "${hostport##*:}" >"$T/py.out" 2>&1
    echo "# $name: $(cat "$T/py.out") in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    check "$name: the garbage was all sent" has "$T/py.out" "sent 18 bad connections"
    check "$name: ... while the build ran" build_is garbage/slow 1 started
    check "$name: the server still runs" kill -0 "$SERVER_PID"
    check "$name: the server answers during the build" bash -c "'$BIN' builds garbage/slow >/dev/null"
    check "$name: the build succeeds" until_ok 60 build_is garbage/slow 1 succeeded
    pk logs garbage/slow/1 >"$T/$name.build.log"
    check "$name: the whole log is there ($LINES lines and END)" \
        test "$(grep -c '^line [0-9]*$' "$T/$name.build.log")" -eq "$LINES" -a "$(tail -1 "$T/$name.build.log")" = END
    check "$name: a second build still runs" bash -c "'$BIN' trigger garbage/slow >/dev/null"
    check "$name: ... and succeeds" until_ok 60 build_is garbage/slow 2 succeeded
    check "$name: no crash report in the server log" bash -c "! grep -q 'AddressSanitizer\|runtime error' '$T/$name.log'"
    stop_server
}

phase plain

# the same against a CURVE listener; the CLI talks CURVE
"$BIN" keygen --output "$T/keys" server >/dev/null
"$BIN" keygen --output "$T/keys" cli >/dev/null
mkdir -p "$T/allow" && cp "$T/keys/cli.cert" "$T/allow/"
CLI_ENV=(PIKOCI_CURVE_CERT="$T/keys/cli.cert_secret" PIKOCI_CURVE_SERVER_KEY="$T/keys/server.cert")
phase curve --curve-cert "$T/keys/server.cert_secret" --curve-allow "$T/allow"
finish
