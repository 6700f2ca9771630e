#!/bin/bash
# Lab test: the time-driven rules against a running carnetd whose clock is
# moved with libfaketime (Debian's faketime), not only in unit tests
# (docs/rules.md §3).  A document held back from the patient: at two weeks
# the patient is told to consult (hold-consult notice) and still cannot see
# it; at one month it is visible by itself (a calendar month in Paris:
# 28 to 31 days, an hour more or less across a switch of summer time, so
# the test looks on day 32).  A closed dossier: still there
# short of ten years, destroyed once they have passed (the retention
# purge), the tombstone and the chain kept.  carnetd runs its dossier jobs
# when it starts, so each step restarts it at a later fake time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

libfaketime=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
[ -n "$libfaketime" ] || { echo "libfaketime is missing: install Debian's faketime (make deps)"; exit 1; }
db=$LAB_DIR/carnet.db
carnetd_conf "database = $db"
# at OFFSET: (re)starts carnetd with its clock moved by OFFSET ("+15d")
at() {
        if [ -n "${daemon:-}" ]; then
                kill "$daemon"
                wait "$daemon" || true
        fi
        env LD_PRELOAD="$libfaketime" FAKETIME="$1" FAKETIME_DONT_FAKE_MONOTONIC=1 \
                "$CARNET_BUILD/carnetd" --config "$LAB_DIR/carnetd.conf" 2>>"$LAB_DIR/carnetd.err" &
        daemon=$!
        until_ok test -S "$LAB_DIR/carnetd.sock"
        until_ok eval 'api GET /v1/vitale | grep -q "^200"'
}
patient_login() {
        local out
        out=$(api POST /v1/patient-sessions "{\"index\": 0, \"secret\": \"$secret\"}")
        [[ $out == 201* ]] || { echo "patient session: $out" >&2; return 1; }
        field token "$out"
}
status_in_db() { sqlite3 "$db" "SELECT status FROM dossiers WHERE ins = '$ins'"; }

lab_cards
at "+0d"
cards_ready
ins=280057512345674
doctor=$(field token "$(api POST /v1/sessions '{"pin": "1234"}')")
out=$(api POST /v1/dossiers '{"index": 0, "consent": true}' "$doctor")
check "create" "$out" '201 *'
secret=$(field secret "$out")
out=$(api POST /v1/dossiers/$ins/documents '{"type_code": "11488-4", "class_code": "10", "mime": "text/plain",
        "title": "Annonce", "hidden_from_patient": true, "content_base64": "QW5ub25jZQ=="}' "$doctor")
check "deposit held back" "$out" '201 *'
held=$(field uid "$out")
patient=$(patient_login)
check "day 0: the patient cannot see it" "$(api GET /v1/dossiers/$ins/documents/$held "" "$patient")" '404 *'
out=$(api GET /v1/dossiers/$ins/notifications "" "$patient")
[[ $out == 200* && $out != *hold-consult* ]] || { echo "day 0: $out"; exit 1; }
echo "day 0: no notice to consult: ok"
check "the patient closes the dossier" "$(api POST /v1/dossiers/$ins/close "" "$patient")" '200 *"status":"closed"*'

at "+13d"
patient=$(patient_login)
out=$(api GET /v1/dossiers/$ins/notifications "" "$patient")
[[ $out != *hold-consult* ]] || { echo "day 13: a notice already: $out"; exit 1; }
echo "day 13: no notice yet: ok"

at "+15d"
patient=$(patient_login)
check "day 15: told to consult" "$(api GET /v1/dossiers/$ins/notifications "" "$patient")" '200 *"kind":"hold-consult"*'
check "day 15: still held back" "$(api GET /v1/dossiers/$ins/documents/$held "" "$patient")" '404 *'

at "+32d"
patient=$(patient_login)
check "day 32: visible by itself" "$(api GET /v1/dossiers/$ins/documents/$held/content "" "$patient")" '200 Annonce'
check "day 32: the release is in the trail" "$(api GET /v1/dossiers/$ins/audit "" "$patient")" \
        '200 *"actor_kind":"system"*"action":"release-hold"*'
check "day 32: closed, kept" "$(status_in_db)" 2

at "+3650d"
check "ten years less three days: kept" "$(status_in_db)" 2

at "+3654d"
check "ten years on: destroyed" "$(status_in_db)" 3
check "no documents left" "$(sqlite3 "$db" "SELECT count(*) FROM documents")" 0
grep -q "1 dossier(s) purged" "$LAB_DIR/carnetd.err" || { echo "no purge in the log"; cat "$LAB_DIR/carnetd.err"; exit 1; }
check "the patient's secret is gone with it" \
        "$(api POST /v1/patient-sessions "{\"index\": 0, \"secret\": \"$secret\"}")" '404 *"no_dossier"*'
check "the chain holds" "$(api GET /v1/audit/verify)" '200 {"intact":true*'

kill "$daemon"
wait "$daemon" || true
echo "time-driven rules ok"
