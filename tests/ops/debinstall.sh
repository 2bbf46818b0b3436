#!/usr/bin/env bash
# The .deb on a clean Debian 12 (#19): a debootstrap'd minbase root (made
# once from the Debian mirror and cached under the build directory, copied
# fresh for each run), `apt-get install ./pikoci_*.deb` in a chroot -- the
# dependencies come from the mirror, so a missing Depends shows -- then what
# the units do, run in the chroot as the units say (no systemd there): the
# server's ExecStart as user pikoci on /var/lib/pikoci, the worker's as
# root with --run-as pikoci-build, both reading /etc/default/pikoci; a
# build runs as pikoci-build and cannot read the store. The listen address
# is moved to a free port (other tests share this machine's 7650).
# Exit 77 (skipped) when not root, without debootstrap or chroot, or when
# the mirror cannot be reached.
set -uo pipefail
. "$(dirname "$0")/../server/lib.sh"
skip() { echo "# skipped: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (chroot)"
command -v debootstrap >/dev/null || skip "debootstrap is missing (scripts/deps installs it)"
BUILD=$(cd "$(dirname "$BIN")/.." && pwd)
CACHE=${PIKOCI_DEBROOT_CACHE:-$BUILD/debroot-cache}
MIRROR=${PIKOCI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
T=$(mktemp -d)
R=$T/root
cleanup() {
    [ -n "${WPID:-}" ] && kill -TERM "$WPID" 2>/dev/null
    [ -n "${SPID:-}" ] && kill -TERM "$SPID" 2>/dev/null
    wait 2>/dev/null
    mountpoint -q "$R/proc" && umount "$R/proc"
    rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$CACHE"
(
    flock 9
    if [ ! -x "$CACHE/root/usr/bin/apt-get" ]; then
        rm -rf "$CACHE/root.new"
        echo "# debootstrap --variant=minbase bookworm (once; cached in $CACHE)"
        debootstrap --variant=minbase bookworm "$CACHE/root.new" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
            && mv "$CACHE/root.new" "$CACHE/root"
    fi
) 9>"$CACHE/lock"
[ -x "$CACHE/root/usr/bin/apt-get" ] || { tail -5 "$CACHE/debootstrap.log"; skip "debootstrap failed (no mirror?)"; }
cp -a "$CACHE/root" "$R"
deb=$("$SRC/scripts/package" --bin-dir "$(dirname "$BIN")" --out "$T" --fast)
check "the package is built" test -f "$deb"
cp "$deb" "$R/tmp/"
cp /etc/resolv.conf "$R/etc/resolv.conf"
mount -t proc proc "$R/proc" || skip "cannot mount /proc in the chroot"
in_root() { chroot "$R" "$@"; }
in_root apt-get update -qq >"$T/update.log" 2>&1 || { cat "$T/update.log"; skip "the mirror cannot be reached"; }
# the README's first command
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "/tmp/$(basename "$deb")" >"$T/install.log" 2>&1
check "apt-get install ./pikoci_*.deb on a clean Debian 12" test $? -eq 0
tail -3 "$T/install.log"
check "installed" bash -c "chroot '$R' dpkg-query -W -f='\${Status}' pikoci | grep -q 'install ok installed'"
check "the binary runs there (its libraries came with Depends)" bash -c "chroot '$R' pikoci version | grep -q '^pikoci '"
check "user pikoci (the server)" in_root getent passwd pikoci
check "user pikoci-build (the builds)" in_root getent passwd pikoci-build
check "the units are installed" test -f "$R/lib/systemd/system/pikoci.service" -a -f "$R/lib/systemd/system/pikoci-worker@.service"
check "man pikoci-server is installed" test -f "$R/usr/share/man/man1/pikoci-server.1.gz"

# the ExecStart lines, /etc/default/pikoci read as EnvironmentFile= does,
# the units' Environment= lines given to the process
unit_cmd() {    # unit_cmd UNIT INSTANCE: env KEY=VALUE... and its ExecStart, expanded
    local line
    line=$(sed -n 's/^ExecStart=//p' "$R/lib/systemd/system/$1")
    line=${line//%H/$(hostname)}
    line=${line//%i/$2}
    echo "env $(sed -n 's/^Environment=//p' "$R/lib/systemd/system/$1" | tr '\n' ' ')" \
         "$( set -a; . "$R/etc/default/pikoci"; PIKOCI_LISTEN='tcp://127.0.0.1:*'; eval "echo $line" )"
}
# StateDirectory=pikoci, mode 0700, owned by User=
mkdir -p "$R/var/lib/pikoci" && in_root chown pikoci:pikoci /var/lib/pikoci && chmod 0700 "$R/var/lib/pikoci"
pre=$(sed -n 's/^ExecStartPre=//p' "$R/lib/systemd/system/pikoci.service")
umask_of_unit=$(sed -n 's/^UMask=//p' "$R/lib/systemd/system/pikoci.service")
[ -z "$pre" ] || ( umask "${umask_of_unit:-0022}"; eval "chroot --userspec=pikoci:pikoci '$R' $pre" )
check "ExecStartPre succeeds" test $? -eq 0
scmd=$(unit_cmd pikoci.service "")
echo "# server: $scmd"
( umask "${umask_of_unit:-0022}"; exec chroot --userspec=pikoci:pikoci "$R" $scmd 2>"$T/server.log" ) &
SPID=$!
check "the server starts as pikoci" until_ok 60 grep -q "server ready" "$T/server.log"
PIKOCI_SERVER=$(sed -n 's/.*listening on \(tcp:[^ ]*\).*/\1/p' "$T/server.log" | head -1)
check "the store is in /var/lib/pikoci" test -f "$R/var/lib/pikoci/data.mdb"
check "and the admin token" test -f "$R/var/lib/pikoci/admin.token"
check "and the secret store's key (64 hex digits, 0600)" \
    bash -c "grep -qxE '[0-9a-f]{64}' '$R/var/lib/pikoci/secret.key' && test \"\$(stat -c %a '$R/var/lib/pikoci/secret.key')\" = 600"
check "the secret store is on" bash -c "! grep -q 'secret store off' '$T/server.log'"
check "no build runs in the server's process" bash -c "! grep -q 'with a worker' '$T/server.log'"
check "the worker token is made where the worker unit reads it" test -f "$R/var/lib/pikoci/run/worker.token"
wcmd=$(unit_cmd pikoci-worker@.service 1 | sed "s#--broker [^ ]*#--broker $PIKOCI_SERVER#")
echo "# worker: $wcmd"
chroot "$R" $wcmd 2>"$T/worker.log" &
WPID=$!
export PIKOCI_SERVER PIKOCI_TOKEN=$(cat "$R/var/lib/pikoci/admin.token")
cat >"$T/p.hcl" <<'HCL'
job "who" {
  task "id" {
    run "shell" {
      cmd = "id -un; cat /var/lib/pikoci/admin.token && echo READ || echo cannot read the store"
    }
  }
}
HCL
check "a pipeline is set" pk pipelines set deb "$T/p.hcl"
workers_up() { pk workers --json 2>/dev/null | grep -q "$(hostname)-1"; }
check "the worker joins" until_ok 60 workers_up
pk trigger deb/who --watch >"$T/build.log" 2>&1
check "a build runs on it" test $? -eq 0
check "as pikoci-build" grep -qx pikoci-build "$T/build.log"
check "which cannot read the store" bash -c "grep -q 'cannot read the store' '$T/build.log' && ! grep -q READ '$T/build.log'"
[ $fails -eq 0 ] || { echo "# server:"; tail -20 "$T/server.log"; echo "# worker:"; tail -20 "$T/worker.log"; cat "$T/build.log"; }
finish
