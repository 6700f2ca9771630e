#!/bin/bash
# Lab test: revocation lists.  With crl_path set, a CPS card whose
# authentication certificate the issuing CA revoked is refused (403
# revoked) before its PIN is sent, and the refusal is in the trail; a CRL
# replaced while carnetd runs takes effect at the next opening, and SIGHUP
# reads the lists again; a CRL past its nextUpdate refuses every card
# (crl_expired) unless crl_stale = accept; a CRL that no trust anchor signed
# is left out, so the issuer has no CRL and cards are refused
# (revocation_unknown).  The test PKI (tests/pki/mkpki.sh) makes the cards
# and the CRLs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

crls=$LAB_DIR/crls
db=$LAB_DIR/carnet.db
mkdir -p "$crls"
publish() { # publish CRL: the issuing CA's list in the folder is now CRL
        cp "$CARNET_PKI/$1" "$crls/issuing.pem.new"
        mv "$crls/issuing.pem.new" "$crls/issuing.pem"
}
login() { api POST /v1/sessions '{"pin": "1234"}'; }
logout() { # logout OUT: ends the session that login printed
        local id token
        id=$(echo "$1" | sed 's/.*"session":{"id":"\([0-9a-f]*\)".*/\1/')
        token=$(echo "$1" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')
        check "logout" "$(api DELETE "/v1/sessions/$id" "" "$token")" '200 *"closed":true*'
}
restart() { # restart [LINE...]: carnetd again, with these extra lines
        kill "$daemon"
        wait "$daemon" || true
        carnetd_conf "database = $db" "crl_path = $crls" "$@"
        carnetd_start
        until_ok cps_ready
}

# --- the revoked card is allowed while the CA's list does not name it
publish crl-empty.pem
carnetd_conf "database = $db" "crl_path = $crls"
sim_start 1 "$CARNET_PKI/cps-revoked.profile"
wait_card 1 present
carnetd_start
until_ok cps_ready
grep -q "revocation lists from $crls: 1 in use" "$LAB_DIR/carnetd.err"
out=$(login)
check "not yet revoked" "$out" '201 *"national_id":"899700000010"*'
logout "$out"

# --- the CA revokes it: the new list counts at the next opening, no restart
publish crl.pem
: >"$LAB_DIR/slot1.apdu"
check "revoked" "$(login)" '403 {"error":{"code":"revoked"*'
! grep -q '^> 0020008008' "$LAB_DIR/slot1.apdu" || { echo "a PIN was sent to a revoked card"; exit 1; }
trail=$(sqlite3 "$db" "SELECT actor, outcome, code FROM audit WHERE action = 'open-session' ORDER BY seq DESC LIMIT 1")
[ "$trail" = "899700000010|deny|deny-revoked" ] || { echo "trail: $trail"; exit 1; }

# --- another card of the same CA still opens
swap_cps cps-rsa
out=$(login)
check "not revoked" "$out" '201 *"national_id":"899700000001"*'
logout "$out"

# --- SIGHUP reads the lists again
kill -HUP "$daemon"
until_ok grep -q "reload: applied .*revocation lists" "$LAB_DIR/carnetd.err"

# --- a stale list: refused by default, used when configured so
publish crl-expired.pem
check "stale CRL" "$(login)" '403 {"error":{"code":"crl_expired"*'
restart "crl_stale = accept"
out=$(login)
check "stale CRL accepted" "$out" '201 *"national_id":"899700000001"*'
logout "$out"
swap_cps cps-revoked
check "stale CRL still revokes" "$(login)" '403 {"error":{"code":"revoked"*'

# --- a list no anchor signed: left out, so the issuer has none
rm -f "$crls/issuing.pem"
cp "$CARNET_PKI/crl-rogue.pem" "$crls/rogue.pem"
swap_cps cps-rsa
check "foreign CRL" "$(login)" '403 {"error":{"code":"revocation_unknown"*'

kill "$daemon"
wait "$daemon" || true
no_pin "$LAB_DIR/carnetd.err"
echo "revocation: ok"
