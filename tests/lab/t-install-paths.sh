#!/bin/bash
# Lab test: install paths and the folders carnetd needs.
#
# 1. `make install PREFIX=/usr` into a DESTDIR: the installed carnetd, run
#    from there without CARNET_DATA_DIR, finds its tables in
#    PREFIX/share/carnet beside it (not in the build's /usr/local), as
#    `carnetd --check-config` shows; without them it says which file is
#    missing and exits 1.
# 2. carnetd run by hand as the README shows (--socket /run/carnet/...,
#    the default database /var/lib/carnet/carnet.db) creates both folders
#    and answers; /run and /var/lib are private tmpfs mounts of this lab.
# 3. a state folder it may not create: carnetd (as nobody) names the
#    folder, the reason and the fix, and exits 1.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

# --- 1. PREFIX=/usr, never rebuilding the build under test
root=$LAB_DIR/root
make -s --no-print-directory -C "$top" BUILD="$CARNET_BUILD" -o "$CARNET_BUILD/carnetd" -o "$CARNET_BUILD/carnetctl" \
        install PREFIX=/usr DESTDIR="$root" >"$LAB_DIR/install.log" 2>&1 || { cat "$LAB_DIR/install.log"; exit 1; }
env -u CARNET_DATA_DIR "$root/usr/sbin/carnetd" --check-config >"$LAB_DIR/out" 2>"$LAB_DIR/err" ||
        { cat "$LAB_DIR/out" "$LAB_DIR/err"; fail "installed carnetd --check-config"; }
has out "^rights table: $root/usr/share/carnet/rights.tsv$"
has out "^interactions table: $root/usr/share/carnet/interactions.tsv$"
has out "^usable$"
echo "PREFIX=/usr: the tables beside the program: ok"
rm "$root/usr/share/carnet/interactions.tsv"
rc=0
env -u CARNET_DATA_DIR "$root/usr/sbin/carnetd" --check-config >"$LAB_DIR/out" 2>"$LAB_DIR/err" || rc=$?
[ "$rc" = 1 ] || { cat "$LAB_DIR/err"; fail "--check-config without interactions.tsv: exit $rc"; }
has err "interactions table: $root/usr/share/carnet/interactions.tsv: No such file or directory"
! grep -q usable "$LAB_DIR/out" || fail "--check-config said usable without a table"
echo "a missing table: ok"

# --- 2. by hand, as the README shows: both folders are created
mount -t tmpfs -o mode=0755 tmpfs /var/lib
[ ! -e /run/carnet ] && [ ! -e /var/lib/carnet ] || fail "the folders exist already"
env -u STATE_DIRECTORY "$CARNET_BUILD/carnetd" --socket /run/carnet/carnetd.sock 2>"$LAB_DIR/hand.err" &
hand=$!
until_ok test -S /run/carnet/carnetd.sock
"$CARNET_BUILD/carnetctl" status >"$LAB_DIR/out" || { cat "$LAB_DIR/hand.err"; fail "carnetctl status"; }
[ -f /var/lib/carnet/carnet.db ] || fail "no database in /var/lib/carnet"
[ "$(stat -c %a /var/lib/carnet)" = 750 ] || fail "state folder mode $(stat -c %a /var/lib/carnet)"
[ "$(stat -c %a /run/carnet)" = 755 ] || fail "socket folder mode $(stat -c %a /run/carnet)"
kill "$hand"
wait "$hand" || true
echo "by hand: /run/carnet and /var/lib/carnet created: ok"

# --- 3. a state folder carnetd may not create
rm -rf /var/lib/carnet
rc=0
env -u STATE_DIRECTORY setpriv --reuid=nobody --regid=nogroup --clear-groups \
        "$CARNET_BUILD/carnetd" --socket "$LAB_DIR/nobody.sock" 2>"$LAB_DIR/err" || rc=$?
[ "$rc" = 1 ] || { cat "$LAB_DIR/err"; fail "carnetd as nobody without its state folder: exit $rc"; }
has err "the folder /var/lib/carnet is missing and carnetd (uid $(id -u nobody)) cannot create it: Permission denied"
has err "systemd-tmpfiles --create"
! grep -qi "unable to open\|cannot open" "$LAB_DIR/err" || fail "SQLite's message instead of the folder's"
# one that exists but is not writable for it
mkdir -m 0755 /var/lib/carnet
rc=0
env -u STATE_DIRECTORY setpriv --reuid=nobody --regid=nogroup --clear-groups \
        "$CARNET_BUILD/carnetd" --socket "$LAB_DIR/nobody.sock" 2>"$LAB_DIR/err" || rc=$?
[ "$rc" = 1 ] || { cat "$LAB_DIR/err"; fail "carnetd as nobody, state folder root's: exit $rc"; }
has err "may not write in the folder /var/lib/carnet: Permission denied"
echo "a state folder it may not use: named, with the fix: ok"

# --- 4. the installed man pages' paths follow the prefix
grep -q '/usr/share/carnet/rights.tsv' "$root/usr/share/man/man8/carnetd.8" || fail "carnetd.8 FILES: not PREFIX=/usr"
! grep -rq '/usr/local' "$root/usr/share/man" || fail "an installed man page still says /usr/local"
echo "man pages follow PREFIX: ok"
