#!/bin/bash
# tests/lab/h-systemd-units.sh (host test, outside the lab): the units,
# the hardening figure, and make install / make uninstall.
#
# 1. `make install DESTDIR=` with the default PREFIX (/usr/local) places
#    the programs, the units (ExecStart= substituted), sysusers.d,
#    tmpfiles.d, the udev rules, the man pages, the data files, the doc
#    and the bash completion where systemd, udev and man look.
# 2. systemd-analyze verify passes on the installed units (the service
#    copied with ExecStart= pointing at the DESTDIR binary, which verify
#    requires to exist); systemd-analyze security --offline=yes rates
#    carnetd.service at most 1.0 (the "Overall exposure level" line), and
#    the unit bounds carnetd's memory (MemoryMax=).  The same for the
#    PKCS#11 helper's pair, carnet-p11-helper.socket (Accept=yes, owned by
#    carnet, mode 0600) and carnet-p11-helper@.service (the user
#    carnet-p11, carnetd's state invisible), which carnetd.service wants
#    and reaches with --pkcs11-helper-socket.
# 3. what the hardening must keep: AF_UNIX (pcscd, journald, the API),
#    no user namespace (SO_PEERCRED uids), and MemoryDenyWriteExecute=
#    only with a PKCS#11 module free of text relocations and executable
#    stacks, its libraries included.
# 4. sysusers.d creates user and group carnet, and the helper's user
#    carnet-p11 (another uid), tmpfiles.d /run/carnet
#    owned by it (both run with --root into the DESTDIR).
# 5. PREFIX=/usr with Debian's directories; make uninstall leaves no file.
# Writes only under a temporary directory; installs nothing on the host.
set -euo pipefail
# shellcheck source=tests/lab/host.sh
. "$(dirname "$0")/host.sh"
host_setup units
for t in systemd-analyze systemd-sysusers systemd-tmpfiles readelf; do
        command -v $t >/dev/null || fail "$t not installed"
done

# make install/uninstall with the build under test, never rebuilding it
# (-o: the tree may hold someone's work in progress).
mk() { make -s --no-print-directory BUILD="$build" -o "$build/carnetd" -o "$build/carnetctl" "$@"; }

# --- 1. install, default PREFIX -------------------------------------------
d=$tmp/root
mk install DESTDIR="$d" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "make install"; }
expect=(
        usr/local/sbin/carnetd usr/local/bin/carnetctl
        usr/local/lib/systemd/system/carnetd.service usr/local/lib/systemd/system/carnetd.socket
        usr/local/lib/systemd/system/carnet-p11-helper@.service usr/local/lib/systemd/system/carnet-p11-helper.socket
        usr/local/lib/systemd/system/carnet-hostd.service usr/local/sbin/carnet-hostd
        usr/local/lib/sysusers.d/carnet.conf usr/local/lib/tmpfiles.d/carnet.conf
        usr/local/lib/udev/rules.d/60-carnet-readers.rules
        usr/local/share/doc/carnet/operations.md
)
for f in data/*.tsv; do expect+=("usr/local/share/carnet/${f#data/}"); done
for m in man/*.[158]; do expect+=("usr/local/share/man/man${m##*.}/${m#man/}"); done
[ ! -f cli/carnetctl.bash-completion ] || expect+=(usr/local/share/bash-completion/completions/carnetctl)
for f in "${expect[@]}"; do
        [ -f "$d/$f" ] || fail "make install did not place /$f"
done
[ -x "$d/usr/local/sbin/carnetd" ] || fail "carnetd not executable"
[ "$(stat -c %a "$d/usr/local/lib/systemd/system/carnetd.service")" = 644 ] || fail "unit mode"
svc=$d/usr/local/lib/systemd/system/carnetd.service
p11svc=$d/usr/local/lib/systemd/system/carnet-p11-helper@.service
p11sock=$d/usr/local/lib/systemd/system/carnet-p11-helper.socket
hostsvc=$d/usr/local/lib/systemd/system/carnet-hostd.service
grep -qx 'ExecStart=/usr/local/sbin/carnetd --pkcs11-helper-socket /run/carnet/p11.sock' "$svc" ||
        fail "ExecStart not substituted: $(grep ExecStart= "$svc")"
grep -qx 'ExecStart=/usr/local/sbin/carnet-p11-helper --fd 3' "$p11svc" ||
        fail "helper's ExecStart not substituted: $(grep ExecStart= "$p11svc")"
grep -qx 'ExecStart=/usr/local/sbin/carnet-hostd --config /etc/carnet/carnet-hostd.conf' "$hostsvc" ||
        fail "the host's ExecStart not substituted: $(grep ExecStart= "$hostsvc")"
! grep -q '@[A-Z]*@' "$svc" "$p11svc" "$hostsvc" || fail "placeholder left in a service"
echo "ok: make install placed ${#expect[@]} files under /usr/local (units, rules, man, data, doc)"

# --- 2. verify and security ---------------------------------------------
v=$tmp/verify
mkdir -p "$v"
sed "s|^ExecStart=/usr/local/sbin/carnetd|ExecStart=$d/usr/local/sbin/carnetd|" "$svc" >"$v/carnetd.service"
sed "s|^ExecStart=/usr/local/sbin/|ExecStart=$d/usr/local/sbin/|" "$p11svc" >"$v/carnet-p11-helper@.service"
sed "s|^ExecStart=/usr/local/sbin/|ExecStart=$d/usr/local/sbin/|" "$hostsvc" >"$v/carnet-hostd.service"
cp "$d/usr/local/lib/systemd/system/carnetd.socket" "$p11sock" "$v/"
systemd-analyze verify --man=no "$v/carnetd.socket" "$v/carnetd.service" "$v/carnet-p11-helper.socket" \
        "$v/carnet-p11-helper@.service" "$v/carnet-hostd.service" >"$tmp/verify.log" 2>&1 ||
        { cat "$tmp/verify.log"; fail "systemd-analyze verify"; }
[ ! -s "$tmp/verify.log" ] || { cat "$tmp/verify.log"; fail "systemd-analyze verify printed warnings"; }
echo "ok: systemd-analyze verify carnetd.socket carnetd.service carnet-p11-helper.socket carnet-p11-helper@.service carnet-hostd.service"

# exposure FILE NAME: systemd-analyze's figure for the unit FILE (NAME as
# it reports it: a template as its instance "i"), at most 1.0.
exposure() {
        local line level
        systemd-analyze security --offline=yes "$1" >"$tmp/security.log" 2>&1 || true
        line=$(grep -a "Overall exposure level for $2" "$tmp/security.log") ||
                { cat "$tmp/security.log"; fail "no exposure line from systemd-analyze security for $2"; }
        level=$(echo "$line" | sed -n 's/.*service: \([0-9][0-9]*\.[0-9]\).*/\1/p')
        [ -n "$level" ] || fail "cannot read the exposure in: $line"
        awk -v l="$level" 'BEGIN { exit !(l <= 1.0) }' ||
                { grep -a "✗" "$tmp/security.log"; fail "$2: exposure $level > 1.0"; }
        echo "ok: systemd-analyze security --offline=yes: $2 exposure $level (at most 1.0)"
}
exposure "$p11svc" carnet-p11-helper@i.service
cp "$tmp/security.log" "$tmp/p11-security.log"
exposure "$hostsvc" carnet-hostd.service
grep -q '^MemoryMax=[0-9]' "$hostsvc" || fail "carnet-hostd.service sets no MemoryMax="
grep -qx 'IPAddressDeny=any' "$hostsvc" || fail "carnet-hostd.service allows every address by default"
exposure "$svc" carnetd.service
grep -q '^MemoryMax=[0-9]' "$svc" || fail "carnetd.service sets no MemoryMax="
grep -q '^MemoryMax=[0-9]' "$p11svc" || fail "carnet-p11-helper@.service sets no MemoryMax="
echo "ok: $(grep '^MemoryMax=' "$svc"); the helper's $(grep '^MemoryMax=' "$p11svc")"

# the helper's pair: a fresh helper per connection, only carnetd connects,
# its own user, carnetd's state out of sight, pcscd's socket in reach
grep -qx 'Accept=yes' "$p11sock" || fail "carnet-p11-helper.socket: no Accept=yes"
listen=$(sed -n 's/^ListenStream=//p' "$p11sock")
[ "$listen" = /run/carnet/p11.sock ] || fail "carnet-p11-helper.socket listens on '$listen'"
for l in SocketUser=carnet SocketMode=0600; do grep -qx "$l" "$p11sock" || fail "carnet-p11-helper.socket: no $l"; done
grep -qx 'Wants=carnet-p11-helper.socket' "$svc" || fail "carnetd.service does not want the helper's socket"
grep -q '^After=.*carnet-p11-helper.socket' "$svc" || fail "carnetd.service not after the helper's socket"
grep -qx 'User=carnet-p11' "$p11svc" || fail "the helper's unit runs as $(grep '^User=' "$p11svc")"
grep -q '^InaccessiblePaths=.*/var/lib/carnet' "$p11svc" || fail "the helper's unit sees /var/lib/carnet"
grep -qx 'ProtectSystem=strict' "$p11svc" && ! grep -q '^ReadWritePaths=' "$p11svc" ||
        fail "the helper's unit may write somewhere"
grep -qx 'RestrictAddressFamilies=AF_UNIX' "$p11svc" || fail "the helper's unit must keep AF_UNIX (pcscd)"
! grep -Eq '^(InaccessiblePaths|TemporaryFileSystem)=.*/run' "$p11svc" || fail "/run (pcscd's socket) hidden from the helper"
grep -qx 'MemoryDenyWriteExecute=yes' "$p11svc" || fail "the helper's unit allows W+X memory"
echo "ok: carnet-p11-helper.socket (Accept=yes, carnet 0600) and carnet-p11-helper@.service (user carnet-p11)"

# --- 3. what the hardening must keep -------------------------------------
grep -qx 'RestrictAddressFamilies=AF_UNIX' "$svc" || fail "AF_UNIX must stay allowed (pcscd, journald, the API)"
grep -q "RestrictAddressFamilies=~AF_UNIX .*may allocate local sockets" "$tmp/security.log" ||
        fail "systemd-analyze does not see AF_UNIX allowed"
! grep -Eq '^PrivateUsers=(yes|true|1)' "$svc" || fail "PrivateUsers= would hide callers' uids from SO_PEERCRED"
! grep -Eq '^(InaccessiblePaths|TemporaryFileSystem)=.*/run' "$svc" || fail "/run (pcscd's socket) hidden"
! grep -Eq '^(DynamicUser=yes|SystemCallFilter=.*~@network-io)' "$svc" || fail "socket calls filtered out"
if grep -qx 'MemoryDenyWriteExecute=yes' "$svc"; then
        module=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
        [ -e "$module" ] || fail "$module not installed (package opensc-pkcs11)"
        for lib in "$module" $(ldd "$module" | awk '/=>/ { print $3 }'); do
                [ -f "$lib" ] || continue
                ! readelf -dW "$lib" | grep -q TEXTREL || fail "$lib has text relocations: MemoryDenyWriteExecute= would break it"
                readelf -lW "$lib" | awk '/GNU_STACK/ { if ($7 ~ /E/) exit 1 }' ||
                        fail "$lib wants an executable stack: MemoryDenyWriteExecute= would break it"
        done
        echo "ok: MemoryDenyWriteExecute=yes: $(basename "$module") and its libraries need no W+X memory"
fi

# --- 4. sysusers.d and tmpfiles.d ---------------------------------------
mkdir -p "$d/etc"
systemd-sysusers --root="$d" "$d/usr/local/lib/sysusers.d/carnet.conf" >"$tmp/sysusers.log" 2>&1 ||
        { cat "$tmp/sysusers.log"; fail "systemd-sysusers"; }
grep -q '^carnet:x:[0-9]*:[0-9]*:[^:]*:/var/lib/carnet:/usr/sbin/nologin$' "$d/etc/passwd" ||
        fail "no user carnet: $(cat "$d/etc/passwd")"
grep -q '^carnet:x:' "$d/etc/group" || fail "no group carnet"
p11uid=$(awk -F: '$1 == "carnet-p11" { print $3 }' "$d/etc/passwd")
[ -n "$p11uid" ] || fail "no user carnet-p11: $(cat "$d/etc/passwd")"
grep -q '^carnet-p11:x:[0-9]*:[0-9]*:[^:]*:[^:]*:/usr/sbin/nologin$' "$d/etc/passwd" || fail "carnet-p11 may log in"
systemd-tmpfiles --root="$d" --create "$d/usr/local/lib/tmpfiles.d/carnet.conf" >"$tmp/tmpfiles.log" 2>&1 ||
        { cat "$tmp/tmpfiles.log"; fail "systemd-tmpfiles"; }
uid=$(awk -F: '$1 == "carnet" { print $3 }' "$d/etc/passwd")
[ "$(stat -c '%u %a' "$d/run/carnet")" = "$uid 755" ] || fail "/run/carnet: $(stat -c '%u %a' "$d/run/carnet")"
[ "$p11uid" != "$uid" ] && [ "$p11uid" != 0 ] || fail "carnet-p11's uid $p11uid is not its own"
echo "ok: sysusers.d creates user and group carnet, and the helper's user carnet-p11; tmpfiles.d creates /run/carnet"
rm -rf "$d/etc" "$d/run"

# --- 5. Debian's directories, then uninstall ----------------------------
p=$tmp/pkg
mk install DESTDIR="$p" PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system UDEVRULESDIR=/lib/udev/rules.d \
        >"$tmp/install2.log" 2>&1 || { cat "$tmp/install2.log"; fail "make install PREFIX=/usr"; }
for f in usr/sbin/carnetd lib/systemd/system/carnetd.service lib/udev/rules.d/60-carnet-readers.rules \
        lib/systemd/system/carnet-p11-helper@.service lib/systemd/system/carnet-p11-helper.socket \
        usr/lib/sysusers.d/carnet.conf usr/share/carnet/rights.tsv; do
        [ -f "$p/$f" ] || fail "PREFIX=/usr: no /$f"
done
grep -qx 'ExecStart=/usr/sbin/carnetd --pkcs11-helper-socket /run/carnet/p11.sock' \
        "$p/lib/systemd/system/carnetd.service" || fail "PREFIX=/usr: ExecStart"
grep -qx 'ExecStart=/usr/sbin/carnet-p11-helper --fd 3' "$p/lib/systemd/system/carnet-p11-helper@.service" ||
        fail "PREFIX=/usr: the helper's ExecStart"
mk uninstall DESTDIR="$p" PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system UDEVRULESDIR=/lib/udev/rules.d \
        >/dev/null 2>&1 || fail "make uninstall PREFIX=/usr"
[ -z "$(find "$p" -type f)" ] || fail "make uninstall left: $(find "$p" -type f)"
mk uninstall DESTDIR="$d" >"$tmp/uninstall.log" 2>&1 || { cat "$tmp/uninstall.log"; fail "make uninstall"; }
left=$(find "$d" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "ok: PREFIX=/usr with /lib/systemd/system and /lib/udev/rules.d; make uninstall removes every file"
