#!/bin/bash
# tests/lab/h-debian-package.sh (host test, outside the lab): the Debian
# package.
#
# 1. `dpkg-buildpackage -b` builds carnet_*.deb from a copy of the tree's
#    files (git ls-files: what a clean clone holds, plus this worktree's
#    changes), never touching the tree;
# 2. lintian reports no error (its whole output is kept in the log);
# 3. the package holds the programs, the units, sysusers.d, tmpfiles.d, the
#    udev rules, the man pages, the data tables, the example
#    carnetd.conf, the docs and the bash completion in Debian's places, and
#    does not depend on the test tools (vpcd, softhsm2, cmocka);
# 4. installed into a throw-away root (dpkg --root, maintainer scripts run
#    chrootless with DPKG_ROOT), the postinst creates the user and group
#    carnet and the PKCS#11 helper's user carnet-p11 there, and enables
#    carnetd.socket and carnet-p11-helper.socket; the root's carnetd --version answers and --check-config
#    passes on the example configuration and fails, naming the line, on a
#    bad one.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
tmp=$(mktemp -d /tmp/carnet-h-deb.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
for t in dpkg-buildpackage dh lintian git; do
        command -v $t >/dev/null || fail "$t not installed (make deps)"
done

# --- 1. build from a copy
src=$tmp/carnet
mkdir "$src"
git ls-files -z --cached --others --exclude-standard | grep -zv '^build' |
        (while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
        tar --null -T - -cf - | tar -xf - -C "$src"
(cd "$src" && dpkg-buildpackage -b -us -uc -j2) >"$tmp/build.log" 2>&1 ||
        { tail -n 40 "$tmp/build.log"; fail "dpkg-buildpackage -b"; }
deb=$(ls "$tmp"/carnet_*.deb)
echo "built $(basename "$deb")"

# --- 2. lintian: no error
lintian --tag-display-limit 0 "$deb" >"$tmp/lintian.log" 2>&1 || true
sed 's/^/lintian: /' "$tmp/lintian.log"
! grep -q '^E: ' "$tmp/lintian.log" || fail "lintian reports errors"
echo "lintian: no error ($(grep -c '^W: ' "$tmp/lintian.log" || true) warning(s))"

# --- 3. the contents and the dependencies
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/files"
for f in /usr/sbin/carnetd /usr/bin/carnetctl \
        /lib/systemd/system/carnetd.service /lib/systemd/system/carnetd.socket \
        /usr/sbin/carnet-p11-helper /usr/sbin/carnet-hostd /usr/share/man/man8/carnet-hostd.8.gz \
        /lib/systemd/system/carnet-p11-helper@.service /lib/systemd/system/carnet-p11-helper.socket \
        /usr/lib/sysusers.d/carnet.conf /usr/lib/tmpfiles.d/carnet.conf \
        /lib/udev/rules.d/60-carnet-readers.rules \
        /usr/share/man/man8/carnetd.8.gz /usr/share/man/man5/carnetd.conf.5.gz /usr/share/man/man1/carnetctl.1.gz \
        /usr/share/carnet/rights.tsv /usr/share/carnet/interactions.tsv \
        /usr/share/doc/carnet/examples/carnetd.conf.example /usr/share/doc/carnet/api.md.gz \
        /usr/share/doc/carnet/clients.md.gz /usr/share/doc/carnet/openapi.yaml.gz \
        /usr/share/doc/carnet/operations.md.gz /usr/share/doc/carnet/copyright \
        /usr/share/bash-completion/completions/carnetctl; do
        grep -qx "$f" "$tmp/files" || fail "the package lacks $f"
done
grep -q '/usr/sbin/carnetd$' <(dpkg-deb -c "$deb" | grep -- '-rwxr-xr-x') || fail "carnetd not 0755"
deps=$(dpkg-deb -f "$deb" Depends Recommends Suggests)
echo "$deps"
for t in vpcd vsmartcard softhsm cmocka; do
        [[ $deps != *$t* ]] || fail "the package depends on the test tool $t"
done
[[ $deps == *pcscd* ]] || fail "no dependency on pcscd"
dpkg-deb -e "$deb" "$tmp/control"
grep -q 'systemd-sysusers' "$tmp/control/postinst" || fail "postinst does not create the user"
grep -q 'udevadm control --reload-rules' "$tmp/control/postinst" || fail "postinst does not reload udev"
echo "contents: ok"

# --- 4. a throw-away root
root=$tmp/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
touch "$root/var/lib/dpkg/status"
: >"$root/etc/passwd"; : >"$root/etc/group"; : >"$root/etc/shadow"; : >"$root/etc/gshadow"
# chrootless: the maintainer scripts run on the host with DPKG_ROOT=$root
# (systemd-sysusers, systemd-tmpfiles and deb-systemd-helper write into the
# root); in a private mount namespace with an empty /run, so that the
# snippets that talk to a running systemd or udev (systemctl, udevadm)
# find none and the host is left alone
unshare --mount --propagation private -- sh -c 'mount -t tmpfs tmpfs /run && exec "$@"' sh \
        dpkg --root="$root" --log=/dev/null --force-depends --force-script-chrootless --force-not-root \
        -i "$deb" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "dpkg --root -i"; }
[ -L "$root/etc/systemd/system/sockets.target.wants/carnetd.socket" ] || fail "carnetd.socket not enabled in the root"
[ -L "$root/etc/systemd/system/sockets.target.wants/carnet-p11-helper.socket" ] ||
        fail "carnet-p11-helper.socket not enabled in the root"
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/carnetd.service" ] || fail "carnetd.service enabled at install"
grep -q '^carnet:' "$root/etc/passwd" || { cat "$tmp/install.log"; fail "postinst did not create the user carnet"; }
grep -q '^carnet:' "$root/etc/group" || fail "postinst did not create the group carnet"
grep -q '^carnet-p11:' "$root/etc/passwd" || fail "postinst did not create the helper's user carnet-p11"
v=$(env -u CARNET_DATA_DIR "$root/usr/sbin/carnetd" --version)
[ "$v" = "carnetd $(cat VERSION)" ] || fail "carnetd --version: $v"
ex=$root/usr/share/doc/carnet/examples/carnetd.conf.example
env -u CARNET_DATA_DIR "$root/usr/sbin/carnetd" --config "$ex" --check-config >"$tmp/check.out" 2>"$tmp/check.err" ||
        { cat "$tmp/check.out" "$tmp/check.err"; fail "carnetd --check-config on the example"; }
grep -qx "rights table: $root/usr/share/carnet/rights.tsv" "$tmp/check.out" || { cat "$tmp/check.out"; fail "tables"; }
grep -qx usable "$tmp/check.out" || fail "--check-config did not say usable"
printf 'socket_mode = 0660\nsession_idle_timeout = 5\n' >"$tmp/bad.conf"
rc=0
env -u CARNET_DATA_DIR "$root/usr/sbin/carnetd" --config "$tmp/bad.conf" --check-config >/dev/null 2>"$tmp/check.err" || rc=$?
[ "$rc" = 1 ] || fail "--check-config on a bad file: exit $rc"
grep -q "$tmp/bad.conf:2: session_idle_timeout" "$tmp/check.err" || { cat "$tmp/check.err"; fail "no line named"; }
echo "installed in a throw-away root: $v, --check-config ok"
