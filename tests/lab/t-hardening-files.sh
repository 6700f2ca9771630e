#!/bin/bash
# Lab test (issue 14, files): under umask 000 carnetd creates its database
# and the database's -wal and -shm files 0600, tightens an existing
# database that was left 0644, and gives its socket the configured group
# and mode.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

db=$LAB_DIR/files/carnet.db
mkdir -p "$LAB_DIR/files"
gid=$(getent group nogroup | cut -d: -f3)
carnetd_conf "database = $db" "socket_mode = 0640" "socket_group = nogroup"

modes() {
        for f in "$db" "$db-wal" "$db-shm"; do
                [ -e "$f" ] || { echo "$f missing"; exit 1; }
                m=$(stat -c %a "$f")
                [ "$m" = 600 ] || { echo "$f has mode $m, expected 600"; exit 1; }
        done
}

umask 000; carnetd_start; umask 022
until_ok test -e "$db-shm"
modes
sock=$LAB_DIR/carnetd.sock
[ "$(stat -c %a "$sock")" = 640 ] || { echo "socket mode $(stat -c %a "$sock"), expected 640"; exit 1; }
[ "$(stat -c %g "$sock")" = "$gid" ] || { echo "socket group $(stat -c %g "$sock"), expected $gid"; exit 1; }
api GET /v1/status | grep -q "^200 " || { echo "status over the socket failed"; exit 1; }
kill "$daemon"; wait "$daemon" || true

# A database left readable by others (an older carnet, a copy) is tightened.
chmod 0644 "$db"
rm -f "$db-wal" "$db-shm"
umask 000; carnetd_start; umask 022
until_ok test -e "$db-shm"
modes
kill "$daemon"; wait "$daemon" || true
echo "database, -wal, -shm 0600; socket 0640 group nogroup"
