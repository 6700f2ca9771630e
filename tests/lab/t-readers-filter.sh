#!/bin/bash
# Lab test: the readers key (carnetd.conf).  With the family's Carte Vitale
# in slot 0 and a CPS in slot 1, a carnetd with readers = "Virtual PCD 00 00"
# sees slot 0 only: the other reader is in no list, its card is used for
# nothing; a glob pattern ("*01") picks the other one.  Two carnetd on
# their own sockets share the machine's readers this way.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_cards
CARNETD_SOCK=$LAB_DIR/a.sock carnetd_conf "readers = $LAB_READER0"
cp "$LAB_DIR/carnetd.conf" "$LAB_DIR/a.conf"
CARNETD_SOCK=$LAB_DIR/b.sock carnetd_conf "readers = nothing-like-this, *01"
echo "database = $LAB_DIR/b.db" >>"$LAB_DIR/carnetd.conf"
cp "$LAB_DIR/carnetd.conf" "$LAB_DIR/b.conf"
"$CARNET_BUILD/carnetd" --config "$LAB_DIR/a.conf" 2>>"$LAB_DIR/a.err" &
a=$!
"$CARNET_BUILD/carnetd" --config "$LAB_DIR/b.conf" 2>>"$LAB_DIR/b.err" &
b=$!
trap 'kill $a $b 2>/dev/null || true' EXIT
until_ok test -S "$LAB_DIR/a.sock"
until_ok test -S "$LAB_DIR/b.sock"

export CARNETD_SOCK=$LAB_DIR/a.sock
until_ok eval 'api GET /v1/vitale | grep -q "^200"'
out=$(api GET /v1/readers)
check "A lists its reader" "$out" "200 *\"$LAB_READER0\"*"
[[ $out != *"$LAB_READER1"* ]] || fail "A lists the other reader: $out"
check "A: the other reader is unknown" "$(api GET "/v1/readers/Virtual%20PCD%2000%2001")" '404 *'
check "A: the CPS is not used" "$(api POST /v1/sessions '{"pin": "1234"}')" '503 {"error":{"code":"no_cps_card"*'

export CARNETD_SOCK=$LAB_DIR/b.sock
until_ok cps_ready
out=$(api GET /v1/readers)
[[ $out != *"$LAB_READER0"* ]] || fail "B lists slot 0: $out"
check "B: no Vitale card" "$(api GET /v1/vitale)" '404 *'
check "B: the CPS works" "$(api POST /v1/sessions '{"pin": "1234"}')" '201 {"token":"*'
grep -q "$LAB_READER0" "$LAB_DIR/b.err" && fail "B reports on the reader it ignores"
echo "readers filter ok"
