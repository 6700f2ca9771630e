#!/bin/bash
# Lab test: carnetctl backup and restore.  A backup taken while carnetd
# keeps depositing documents is a consistent, self-contained file that
# holds every deposit acknowledged before it started; restoring it (refused
# while carnetd runs, refused for a file that is not a sound carnet
# database) gives a database whose audit chain verifies; the previous
# database is kept; nothing is ever overwritten.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sock=$LAB_DIR/carnetd.sock
db=$STATE_DIRECTORY/carnet.db
carnetd_conf
start_daemon() {
        carnetd_start
        until_ok eval 'api GET /v1/readers | grep -q "\"type\":\"cps\""'
        until_ok eval 'api GET /v1/vitale | grep -q "^200"'
}
login() { field token "$(api POST /v1/sessions '{"pin": "1234"}')"; }

lab_cards
start_daemon
doctor=$(login)
[ -n "$doctor" ] || { echo "login failed"; exit 1; }
ins=280057512345674
out=$(api POST /v1/dossiers '{"index": 0, "consent": true, "ins_oid": "1.2.250.1.213.1.4.10"}' "$doctor")
[[ $out == 201* ]] || { echo "create: $out"; exit 1; }

# a write load: deposits one after the other, each acknowledged uid noted
content=$(head -c 3000 /dev/urandom | base64 -w0)
(
        for i in $(seq 1 400); do
                out=$(api POST /v1/dossiers/$ins/documents "{\"type_code\": \"11488-4\", \"class_code\": \"10\",
                        \"mime\": \"text/plain\", \"title\": \"load $i\", \"content_base64\": \"$content\"}" "$doctor")
                [[ $out == 201* ]] && field uid "$out" >>"$LAB_DIR/acked"
                [ -e "$LAB_DIR/stop" ] && break
        done
) &
load=$!
until_ok eval '[ $(wc -l <"$LAB_DIR/acked" 2>/dev/null || echo 0) -ge 20 ]'
acked_before=$(wc -l <"$LAB_DIR/acked")
ctl backup --database "$db" "$LAB_DIR/backup.db" >"$LAB_DIR/backup.out"
cat "$LAB_DIR/backup.out"
touch "$LAB_DIR/stop"
wait "$load"
acked_after=$(wc -l <"$LAB_DIR/acked")
echo "deposits acknowledged: $acked_before before the backup, $acked_after in all"
[ "$acked_after" -gt "$acked_before" ] || echo "(the load ended before the backup did)"
[ "$(stat -c %a "$LAB_DIR/backup.db")" = 600 ]
[ ! -e "$LAB_DIR/backup.db-wal" ] || { echo "the backup is not self-contained"; exit 1; }
[ "$(sqlite3 "$LAB_DIR/backup.db" 'PRAGMA integrity_check')" = ok ]

# nothing is overwritten
if ctl backup --database "$db" "$LAB_DIR/backup.db" 2>"$LAB_DIR/err"; then echo "overwrote a backup"; exit 1; fi
grep -q "exists" "$LAB_DIR/err"

# restore refused while carnetd runs, the database untouched
sum=$(sqlite3 "$db" 'SELECT count(*) FROM documents')
if ctl restore --database "$db" "$LAB_DIR/backup.db" 2>"$LAB_DIR/err"; then echo "restored under a running carnetd"; exit 1; fi
grep -q "carnetd is running" "$LAB_DIR/err"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM documents')" = "$sum" ]

kill "$daemon"
wait "$daemon"

# a file that is not a carnet database, or is damaged, never lands
head -c 8192 /dev/urandom >"$LAB_DIR/junk.db"
if ctl restore --database "$db" "$LAB_DIR/junk.db" 2>"$LAB_DIR/err"; then echo "restored junk"; exit 1; fi
grep -q "restore failed, .* is unchanged" "$LAB_DIR/err"
sqlite3 "$LAB_DIR/other.db" 'CREATE TABLE t(x); INSERT INTO t VALUES (1);'
if ctl restore --database "$db" "$LAB_DIR/other.db" 2>"$LAB_DIR/err"; then echo "restored a foreign database"; exit 1; fi
grep -q "not a carnet database" "$LAB_DIR/err"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM documents')" = "$sum" ]
echo "bad restores refused, database unchanged: ok"

# the real restore
ctl restore --database "$db" "$LAB_DIR/backup.db" | tee "$LAB_DIR/restore.out"
ls "$db".before-restore-* >/dev/null || { echo "previous database not kept"; exit 1; }
start_daemon
doctor=$(login)
out=$(api GET /v1/audit/verify "" "$doctor")
[[ $out == '200 {"intact":true'* ]] || { echo "audit after restore: $out"; exit 1; }
list=$(api GET "/v1/dossiers/$ins/documents?status=approved" "" "$doctor")
missing=0
for uid in $(head -n "$acked_before" "$LAB_DIR/acked"); do
        echo "$list" | grep -q "$uid" || missing=$((missing + 1))
done
[ "$missing" = 0 ] || { echo "$missing deposits acknowledged before the backup are missing"; exit 1; }
echo "restored: audit chain intact, the $acked_before deposits acknowledged before the backup are there"
kill "$daemon"
wait "$daemon"
