#!/bin/bash
# Lab test: carnetd reads Carte Vitale cards that follow the norms in ways
# the family card does not (docs/card-io.md): GET RESPONSE in 3-byte
# pieces, fixed-size EFs padded with FF whose end is answered 6A86,
# transient status words (6581 once: read; 6F00 twice:
# card_unreadable), BER-TLV with unknown, constructed and multi-byte tags
# and long-form lengths (one overrunning its parent: card_malformed),
# names in ISO 8859-1 padded with spaces (shown as UTF-8, trimmed),
# identity and NIR files that disagree (card_inconsistent, no NIR shown),
# NIRs under the other AID, MF_VITALE (read), a card whose MF_VITALE is
# the master file and that has no VITALE (card_unreadable),
# and birth dates that are not calendar dates: shown, flagged, and a
# dossier opened from them only with a corrected birth_date.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

carnetd_conf
sim_start 1 "$CARNET_PKI/cps-rsa.profile"
wait_card 1 present
carnetd_start
until_ok cps_ready

vitale_read() { [[ $(api GET /v1/vitale) != 404* ]]; }
# vitale PROFILE: the card in slot 0, read by carnetd; the reply in $out
vitale() {
        sim_start 0 "tests/profiles/$1.profile"
        wait_card 0 present
        until_ok vitale_read
        out=$(api GET /v1/vitale)
}
eject() { sim_stop 0; wait_card 0 absent; until_ok eval '[[ $(api GET /v1/vitale) == 404* ]]'; }

vitale vitale-chunks
check "GET RESPONSE in pieces" "$out" '200 *"first_name":"CLAIRE"*"nir":"280057512345674"*"first_name":"EMMA"*'
n=$(grep -c '^> 00C0000003' "$LAB_DIR/slot0.apdu")
[ "$n" -gt 20 ] || { echo "only $n GET RESPONSE of 3 bytes"; exit 1; }
echo "  ($n GET RESPONSE of 3 bytes)"
eject

: >"$LAB_DIR/slot0.apdu" # this card's APDUs only
vitale vitale-fixed-size
check "512-byte EFs, 6A86 past the end" "$out" '200 *"first_name":"CLAIRE"*"nir":"280057512345674"*"first_name":"EMMA"*'
n=$(grep -c '^> 00B0' "$LAB_DIR/slot0.apdu")
grep -q '^< 6A86' "$LAB_DIR/slot0.apdu" || { echo "the card never answered 6A86"; exit 1; }
[ "$n" -ge 6 ] || { echo "only $n READ BINARY for two 512-byte files"; exit 1; }
eject

vitale vitale-transient
check "6581 once, then read" "$out" '200 *"first_name":"LUCAS"*"nir":"112037512345629"*'
grep -q '^< 6581' "$LAB_DIR/slot0.apdu" || { echo "the card never answered 6581"; exit 1; }
eject

vitale vitale-transient-twice
check "6F00 twice: unreadable" "$out" '503 *"code":"card_unreadable"*'
eject

vitale vitale-tlv
check "BER-TLV as the norm has it" "$out" \
        '200 *"surname":"MARTIN","first_name":"LUCAS","birth_date":"2012-03-09","birth_date_valid":true*"nir":"280057512345674","nir_valid":true*'
eject
vitale vitale-tlv-overrun
check "an object overrunning its parent" "$out" '422 *"code":"card_malformed"*'
eject
vitale vitale-latin1
check "names in ISO 8859-1, padded" "$out" '200 *"surname":"LEFÈVRE","first_name":"LÉA"*'
eject

vitale vitale-disagree
check "files that disagree" "$out" '422 *"code":"card_inconsistent"*'
[[ $out != *280057512345674* ]] || { echo "a NIR shown from a card whose files disagree"; exit 1; }
eject

# ---- the NIR application under the other name seen on real cards
: >"$LAB_DIR/slot0.apdu"
vitale vitale-mf-aid
want='200 *"first_name":"CLAIRE"*"nir":"280057512345674","nir_valid":true*"first_name":"LUCAS"*'
check "NIRs under MF_VITALE" "$out" "$want"'"nir":"112037512345629"*'
# VITALE said "not found", then MF_VITALE was selected and read
grep -A1 '^> 00A404000BD250000002564954414C45$' "$LAB_DIR/slot0.apdu" | grep -q '^< 6A82$' ||
        { echo "VITALE was not refused"; exit 1; }
grep -A1 '^> 00A404000ED2500000024D465F564954414C45$' "$LAB_DIR/slot0.apdu" | grep -q '^< 9000$' ||
        { echo "MF_VITALE was never selected"; exit 1; }
eject
vitale vitale-no-app
check "neither holds NIRs: unreadable" "$out" '503 *"code":"card_unreadable"*'
[[ $out != *MARTIN* ]] || { echo "persons shown from a card without NIR file: $out"; exit 1; }
eject

# ---- birth dates that are not calendar dates
vitale vitale-bad-date
check "30 February shown as given" "$out" '200 *"birth_date":"19800230","birth_date_valid":false*'
check "a letter shown as given" "$out" '200 *"birth_date":"2O120309","birth_date_valid":false*'
run 0 vitale
has out "birth date '19800230' is not a calendar date: open the dossier with --birth-date"
out=$(api POST /v1/sessions '{"pin": "1234"}')
[[ $out == 201* ]] || { echo "login: $out"; exit 1; }
doctor=$(field token "$out")
ins=280057512345674
absent() { check "$1: nothing stored" "$(api GET /v1/dossiers/$ins "" "$doctor")" '404 *"code":"no_dossier"*'; }
check "no date: refused" "$(api POST /v1/dossiers '{"index": 0, "consent": true}' "$doctor")" \
        '422 *"code":"birth_date_required"*"field":"birth_date"*'
absent "no date"
for bad in '"1980-02-30"' '"1980-13-01"' '"19800229"' '"1980-02-2x"' '"1981-02-29"' '19800229' '""'; do
        check "birth_date $bad refused" \
                "$(api POST /v1/dossiers "{\"index\": 0, \"consent\": true, \"birth_date\": $bad}" "$doctor")" \
                '422 *"code":"bad_birth_date"*"field":"birth_date"*'
done
# carnetctl passes the date on, and shows carnetd's refusal
run 1 --session "$doctor" dossier create --consent --index 0 --birth-date 1980-02-30
has err bad_birth_date
absent "bad dates"
check "a corrected date: created" \
        "$(api POST /v1/dossiers '{"index": 0, "consent": true, "birth_date": "1980-02-29"}' "$doctor")" \
        '201 *"birth_date":"1980-02-29"*'
check "stored with the corrected date" "$(api GET /v1/dossiers/$ins "" "$doctor")" '200 *"birth_date":"1980-02-29"*'
eject

# a valid date on the card cannot be replaced by another
vitale vitale-family
check "another date beside a valid one" \
        "$(api POST /v1/dossiers '{"index": 1, "consent": true, "birth_date": "2012-03-10"}' "$doctor")" \
        '422 *"code":"birth_date_conflict"*'
check "the card's own date" \
        "$(api POST /v1/dossiers '{"index": 1, "consent": true, "birth_date": "2012-03-09"}' "$doctor")" \
        '201 *"birth_date":"2012-03-09"*'
echo "vitale cards ok"
