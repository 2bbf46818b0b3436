#!/usr/bin/env bash
# The .deb: scripts/package with this build's binaries (--fast), then what
# dpkg-deb says of it (control, conffiles, contents), the tree dpkg -x
# unpacks (the binary runs, a man page per command renders), the systemd
# units (systemd-analyze verify accepts them, without a warning; a broken
# copy shows the check can fail), /etc/default/pikoci defines what the
# units read, and the maintainer script creates both users once (run with a
# recording adduser/getent/systemctl on PATH: this machine's users are not
# touched). Exit 77 (skipped) only when systemd-analyze is missing.
set -uo pipefail
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/../server/lib.sh"
BDIR=$(dirname "$BIN")
"$SRC/scripts/package" --help >/dev/null; check "package --help exits 0" test $? -eq 0
"$SRC/scripts/package" --nope >/dev/null 2>&1; check "an unknown argument exits 2" test $? -eq 2
deb=$("$SRC/scripts/package" --bin-dir "$BDIR" --out "$T" --fast)
check "the package is built" test -f "$deb"
version=$("$BIN" version | awk '{print $2}')
check "named pikoci_VERSION_ARCH.deb" test "$(basename "$deb")" = "pikoci_${version}_$(dpkg --print-architecture).deb"
dpkg-deb --info "$deb" >"$T/info"
check "control: Package pikoci" grep -q '^ Package: pikoci$' "$T/info"
check "control: Version $version" grep -q "^ Version: $version\$" "$T/info"
# libczmq4, or libzmq5 alone when pikoci-core has libczmq linked in
# (cmake/static_czmq.cmake) and no pikoci-top links the shared one
check "control: depends on adduser and czmq (or zmq), lmdb, libgit2" \
    bash -c "grep '^ Depends:' '$T/info' | grep -q 'adduser' && grep '^ Depends:' '$T/info' | grep -Eq 'libczmq4 \(>=|libzmq5 \(>=' && grep '^ Depends:' '$T/info' | grep -q liblmdb0 && grep '^ Depends:' '$T/info' | grep -q libgit2"
# pikoci-core dlopens these (lib/pk_dl.h): NEEDED does not show them, the
# SONAMEs it names do
for so in $(strings "$BDIR/pikoci-core" | sed -n 's/^pikoci-dlopen: //p'); do
    lib=$(readlink -f "$( { /sbin/ldconfig -p || ldconfig -p; } 2>/dev/null | awk -v s="$so" '$1 == s {print $NF; exit}')")
    pkg=$(dpkg -S "$lib" 2>/dev/null | cut -d: -f1 | head -1)
    check "control: depends on $pkg ($so, dlopen'd)" \
        bash -c "grep '^ Depends:' '$T/info' | grep -q '\b$pkg (>='"
done
check "pikoci-core names four dlopen'd libraries" \
    test "$(strings "$BDIR/pikoci-core" | sed -n 's/^pikoci-dlopen: //p' | wc -w)" -eq 4
check "maintainer scripts are there" bash -c "grep -q postinst '$T/info' && grep -q prerm '$T/info' && grep -q postrm '$T/info'"
dpkg-deb -e "$deb" "$T/ctrl0"
check "/etc/default/pikoci is a conffile" grep -qx /etc/default/pikoci "$T/ctrl0/conffiles"
for s in prerm postrm; do check "$s is valid shell" sh -n "$T/ctrl0/$s"; done
dpkg-deb --contents "$deb" >"$T/contents"
for f in ./usr/bin/pikoci ./lib/systemd/system/pikoci.service ./lib/systemd/system/pikoci-worker@.service \
         ./etc/default/pikoci ./usr/share/man/man1/pikoci.1.gz ./usr/share/man/man1/pikoci-server.1.gz; do
    check "contains $f" grep -q " $f\$" "$T/contents"
done
check "owned by root" bash -c "! grep -v ' root/root ' '$T/contents' | grep -q ."

dpkg-deb -x "$deb" "$T/root"
R=$T/root
check "the unpacked binary runs" test "$("$R/usr/bin/pikoci" version)" = "$("$BIN" version)"
check "the full program is in /usr/libexec/pikoci" test -x "$R/usr/libexec/pikoci/pikoci-core"
check "... and the unpacked front end finds it there" \
    bash -c "'$R/usr/bin/pikoci' server --help | grep -q '^usage: pikoci server'"
missing=
for cmd in $("$BIN" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p'); do
    case $cmd in builtin|version) continue ;; esac
    [ -f "$R/usr/share/man/man1/pikoci-$cmd.1.gz" ] || missing="$missing $cmd"
done
check "a man page for every command" test -z "$missing"
MANWIDTH=100 man -l "$R/usr/share/man/man1/pikoci-server.1.gz" >"$T/man" 2>"$T/man.err"
check "pikoci-server(1) renders" grep -q -- "--db-path" "$T/man"
check "... without complaint" test ! -s "$T/man.err"
check "pikoci-backup(1) tells how to restore" bash -c "MANWIDTH=100 man -l '$R/usr/share/man/man1/pikoci-backup.1.gz' | grep -q data.mdb"

U=$R/lib/systemd/system
check "server: a dedicated user" grep -qx 'User=pikoci' "$U/pikoci.service"
check "server: state in /var/lib/pikoci" bash -c "grep -qx 'StateDirectory=pikoci' '$U/pikoci.service' && grep -q -- '--db-path /var/lib/pikoci' '$U/pikoci.service'"
check "worker: builds run as PIKOCI_RUN_AS" grep -q -- '--run-as ${PIKOCI_RUN_AS}' "$U/pikoci-worker@.service"
for u in pikoci.service pikoci-worker@.service; do
    for line in 'Restart=on-failure' 'EnvironmentFile=-/etc/default/pikoci' 'NoNewPrivileges=yes' 'PrivateTmp=yes'; do
        check "$u: $line" grep -qx "$line" "$U/$u"
    done
    check "$u: ProtectSystem" grep -q '^ProtectSystem=' "$U/$u"
    # every variable a unit reads is set in /etc/default/pikoci
    for v in $(grep '^ExecStart=' "$U/$u" | grep -o '\$[{]*[A-Z_]*' | tr -d '${'); do
        check "$u: $v is in /etc/default/pikoci" grep -q "^$v=" "$R/etc/default/pikoci"
    done
done
check "/etc/default/pikoci is valid shell" sh -n "$R/etc/default/pikoci"

# the maintainer script, with recording stand-ins for the user tools
mkdir "$T/fake"
cat >"$T/fake/adduser" <<'SH'
#!/bin/sh
echo "adduser $*" >>"$FAKE_LOG"
SH
cat >"$T/fake/getent" <<'SH'
#!/bin/sh
[ -n "$FAKE_USERS_EXIST" ]
SH
cat >"$T/fake/systemctl" <<'SH'
#!/bin/sh
echo "systemctl $*" >>"$FAKE_LOG"
SH
chmod +x "$T/fake/"*
export FAKE_LOG=$T/calls
dpkg-deb -e "$deb" "$T/ctrl"
PATH="$T/fake:$PATH" sh "$T/ctrl/postinst" configure
check "postinst succeeds" test $? -eq 0
check "postinst creates the server's system user pikoci" grep -q 'adduser --system --group .* pikoci$' "$T/calls"
check "postinst creates the builds' system user pikoci-build" grep -q 'adduser --system --group .* pikoci-build$' "$T/calls"
: >"$T/calls"
PATH="$T/fake:$PATH" FAKE_USERS_EXIST=1 sh "$T/ctrl/postinst" configure
check "postinst again: no user created twice" bash -c "! grep -q adduser '$T/calls'"

if ! command -v systemd-analyze >/dev/null; then
    echo "systemd-analyze is missing (apt-get install systemd): the units are not verified"
    [ $fails -eq 0 ] && exit 77
    finish
fi
# verify runs the unit's binary check on this machine: point it at the unpacked one
mkdir "$T/units"
for u in pikoci.service pikoci-worker@.service; do
    sed "s#/usr/bin/pikoci#$R/usr/bin/pikoci#g" "$U/$u" >"$T/units/$u"
done
cp "$T/units/pikoci-worker@.service" "$T/units/pikoci-worker@1.service"
systemd-analyze verify --man=no "$T/units/pikoci.service" >"$T/v1" 2>&1
check "systemd-analyze verify accepts pikoci.service" test $? -eq 0 -a ! -s "$T/v1"
cat "$T/v1"
rm "$T/units/pikoci-worker@1.service"
systemd-analyze verify --man=no "$T/units/pikoci-worker@1.service" >"$T/v2" 2>&1
check "systemd-analyze verify accepts pikoci-worker@1.service" test $? -eq 0 -a ! -s "$T/v2"
cat "$T/v2"
sed 's/^NoNewPrivileges=yes/NoNewPrivilegez=yes/' "$T/units/pikoci.service" >"$T/units/broken.service"
systemd-analyze verify --man=no "$T/units/broken.service" >"$T/v3" 2>&1
check "... and would say so of a broken unit" grep -q "Unknown key" "$T/v3"
finish
