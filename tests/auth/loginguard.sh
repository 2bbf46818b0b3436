#!/usr/bin/env bash
# Login floods and password guessing, with the real server, the real CLI and
# python against the web face:
#  (a) while 30 clients flood the web face with wrong logins, a read-only
#      query at the control port is answered within a deadline (with Argon2
#      on control's thread each query waited behind the whole queue), and
#      logins beyond the queue are refused at once with 429 + Retry-After;
#  (b) after --login-failures failures a user name is refused without its
#      password being checked -- the right one too -- until the backoff
#      ends, then the right password works; audited;
#  (c) per client address at the web face: 429 with Retry-After, and
#      X-Forwarded-For does not move it;
#  (d) an unknown user name gets the same words as a known one, failed and
#      throttled.
set -uo pipefail
T=$(mktemp -d)
trap 'stop_server; rm -rf "$T"' EXIT
. "$(dirname "$0")/../http/lib.sh"
export XDG_RUNTIME_DIR="$T/run" XDG_CONFIG_HOME="$T/cfg-admin"
mkdir -m 700 "$T/run"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wrong USER: a CLI login with a wrong password; its stderr in $T/err
wrong() { echo "not-the-password" | XDG_CONFIG_HOME="$T/cfg-x" "$BIN" login --user "$1" >/dev/null 2>"$T/err"; }
right() { echo "$2" | XDG_CONFIG_HOME="$T/cfg-$1" "$BIN" login --user "$1" >/dev/null 2>"$T/err"; }
# weblogin USER PASSWORD [curl args]: the status; body in $T/body, headers in $T/hdr
weblogin() {
    local u=$1 p=$2; shift 2
    curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data "{\"user\": \"$u\", \"password\": \"$p\"}" "$@" "$HTTP/api/v1/login"
}
retry_after() { tr -d '\r' <"$T/hdr" | sed -n 's/^[Rr]etry-[Aa]fter: *//p'; }

# --- server F, for the flood: no throttle (every attempt wants a
# verification; the flood comes from one address)
start_http_server "$T/f.log" --login-failures 0 --login-address-failures 0 || finish
check "admin's CLI works" pk whoami
# the verifier threads (and the unknown users' hash, an Argon2id of 64 MB)
# come with the first password login, not with every start
verifiers() { cat /proc/"$SERVER_PID"/task/*/comm 2>/dev/null | grep -c '^pk-ctl-login' || true; }
check "no verifier thread before the first login" test "$(verifiers)" -eq 0
wrong nobody
check "... two after it" until_ok 10 test "$(verifiers)" -eq 2
echo alicepass1 | pk users create alice >/dev/null 2>&1
check "alice exists" bash -c "'$BIN' users list | grep -q '^alice'"

# (a) the flood: 30 threads (the face takes 32 connections per address),
# each with its own connection, posting wrong
# logins of alice's (a known user) and of names that never repeat (unknown
# ones, which cost the same) until told to stop
cat >"$T/flood.py" <<'EOF'
import http.client, json, os, sys, threading, time, urllib.parse
url = urllib.parse.urlparse(sys.argv[1]); stop = sys.argv[2]; started = sys.argv[3]
counts = {}; lock = threading.Lock()
def one(n):
    i = 0; c = None
    while not os.path.exists(stop):
        try:
            if c is None:
                c = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
            c.request("POST", "/api/v1/login", json.dumps({"user": "alice" if i % 2 else "flood%d-%d" % (n, i), "password": "guess"}),
                      {"Content-Type": "application/json"})
            r = c.getresponse(); body = r.read()
            key = (r.status, r.getheader("Retry-After") is not None, json.loads(body).get("error", "")[:30])
        except Exception as e:
            key = ("exception", False, type(e).__name__); c = None
        i += 1
        with lock:
            counts[key] = counts.get(key, 0) + 1
            if sum(counts.values()) == 80:
                open(started, "w").close()
ts = [threading.Thread(target=one, args=(n,)) for n in range(30)]
for t in ts: t.start()
for t in ts: t.join()
for k, v in sorted(counts.items(), key=str): print(k[0], k[1], k[2], v, sep="|")
EOF
"$PY" "$T/flood.py" "$HTTP" "$T/stop" "$T/started" >"$T/flood.out" 2>&1 &
flood=$!
check "the flood is under way" until_ok 30 test -e "$T/started"
lat=()
for i in 1 2 3 4 5 6 7; do
    t0=$(now_ms)
    pk whoami >/dev/null 2>&1 || lat+=(99999)
    lat+=($(( $(now_ms) - t0 )))
done
touch "$T/stop"
wait "$flood"
median=$(printf '%s\n' "${lat[@]}" | sort -n | sed -n 4p)
echo "# whoami during the flood (ms): ${lat[*]}; median $median"
echo "# the flood's answers (status|retry-after|error|count):"; sed 's/^/#   /' "$T/flood.out"
check "a query during the flood is answered within 1 s (median)" test "$median" -lt 1000
check "flooded logins are refused: wrong user or password (401)" \
    grep -q "^401|False|wrong user or password" "$T/flood.out"
check "logins beyond the queue are refused at once: 429 + Retry-After" \
    grep -q "^429|True|too many login attempts; retry" "$T/flood.out"
check "alice logs in after the flood" right alice alicepass1
stop_server

# --- server A: per user name, a short backoff
start_http_server "$T/a.log" --login-failures 3 --login-backoff 2s --login-backoff-max 4s \
    --login-address-failures 0 || finish
echo alicepass1 | pk users create alice >/dev/null 2>&1

# (b) backoff per user name, at the control port (the CLI)
for i in 1 2 3; do
    wrong alice; rc=$?
    check "alice's wrong password #$i: exit 4" test $rc -eq 4
    check "alice's wrong password #$i: wrong user or password" has "$T/err" "wrong user or password"
done
cp "$T/err" "$T/err-known"
t0=$(now_ms)
right alice alicepass1; rc=$?
check "the right password is refused during the backoff (exit 4)" test $rc -eq 4
check "... saying too many failed logins, and when to retry" \
    grep -q "too many failed logins for this user; retry in [0-9]* s" "$T/err"
cp "$T/err" "$T/err-throttled-known"
check "the web face says 429 + Retry-After for alice meanwhile" \
    test "$(weblogin alice alicepass1)" = 429 -a -n "$(retry_after)"
check "the right password works once the backoff is over" until_ok 10 right alice alicepass1
waited=$(( $(now_ms) - t0 ))
echo "# alice's backoff lasted about $waited ms (--login-backoff 2s)"
check "... not before it (>= 1.5 s)" test "$waited" -ge 1500
# a success resets: three more failures before the next backoff
wrong alice
check "after a success, a wrong password is just wrong again" has "$T/err" "wrong user or password"

# (d) an unknown name: the same words and the same backoff
for i in 1 2 3; do
    wrong mallory
done
check "an unknown user's failure has the same words as a known one's" cmp -s "$T/err" "$T/err-known"
wrong mallory
check "an unknown user is throttled the same way" \
    grep -q "too many failed logins for this user; retry in [0-9]* s" "$T/err"
check "... with the same words" \
    test "$(sed 's/[0-9]* s/N s/' "$T/err")" = "$(sed 's/[0-9]* s/N s/' "$T/err-throttled-known")"
check "the web face: an unknown user's failure is a 401 like a known one's" \
    test "$(weblogin nobody-at-all x)" = 401
check "... with the same error" grep -q '"wrong user or password"' "$T/body"

# the audit log: failures, and the backoff starting
pk audit --user alice --json >"$T/audit.json" 2>/dev/null
check "audit: alice's failed logins" \
    test "$(json "len([e for e in d if e['action']=='login' and e['result']=='refused' and e['detail']=='wrong user or password'])" <"$T/audit.json")" -ge 3
check "audit: alice's backoff" \
    test "$(json "len([e for e in d if e['action']=='login' and e['result']=='throttled'])" <"$T/audit.json")" -ge 1
pk audit --user mallory --json >"$T/audit-m.json" 2>/dev/null
check "audit: the unknown user's backoff too" \
    test "$(json "len([e for e in d if e['action']=='login' and e['result']=='throttled'])" <"$T/audit-m.json")" -ge 1
stop_server

# --- server B: per client address at the web face (per user off)
start_http_server "$T/b.log" --login-failures 0 --login-address-failures 4 --login-backoff 2s \
    --login-backoff-max 4s || finish
echo bobpass123 | pk users create bob >/dev/null 2>&1
for i in 1 2 3 4; do
    check "web login failure #$i from 127.0.0.1: 401" test "$(weblogin "guess$i" x)" = 401
done
check "the next one from that address: 429" test "$(weblogin bob bobpass123)" = 429
check "... with Retry-After in seconds" bash -c "[[ '$(retry_after)' =~ ^[1-9][0-9]*$ ]]"
check "... and the reason" grep -q "too many failed logins from this address; retry in" "$T/body"
check "X-Forwarded-For does not make another address" \
    test "$(weblogin bob bobpass123 -H 'X-Forwarded-For: 10.9.8.7')" = 429
check "the CLI (control port) is not this address's throttle" right bob bobpass123
bob_web() { [ "$(weblogin bob bobpass123)" = 200 ]; }
t0=$(now_ms)
check "bob logs in at the web face once the backoff is over" until_ok 10 bob_web
waited=$(( $(now_ms) - t0 ))
check "... not much before it (>= 1 s)" test "$waited" -ge 1000
finish
