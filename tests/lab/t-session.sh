#!/bin/bash
# Lab test: card-signed professional sessions through carnetd's session
# manager, OpenSC's PKCS#11 module and the simulated CPS:
#  - RSA and EC cards open a session whose record the card signed and
#    OpenSSL verified; identity from the certificate; bound to the uid;
#    one session per card; logout ends it;
#  - wrong PINs: the tries shown go down, the card blocks, the right PIN
#    then fails;
#  - certificates from an unknown CA, expired, or without the
#    authentication usage are refused before any PIN is spent;
#  - removal of the card and the idle timeout end the session;
#  - a card pulled while its certificates are read at insertion leaves
#    nothing kept and no session; during the PIN check or the signature it
#    gives card_removed, no session.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

CA=$CARNET_PKI/ca-chain.pem
. "$(dirname "$0")/session-probe.sh"

card() { # card PROFILE: a fresh simulated CPS in slot 1
        sim_stop 1
        wait_card 1 absent
        : >"$LAB_DIR/slot1.apdu"
        sim_start 1 "$CARNET_PKI/$1.profile"
        wait_card 1 present
}

# --- RSA: the whole path
card cps-rsa
probe_start
out=$(probe "open 1234")
expect "rsa open" "$out" "open ok id=* national_id=899700000001 surname=LAMBERT given_name=CAMILLE profession=10 specialty=SM26 card_type=CPS *"
expect "same uid" "$(probe lookup)" "lookup ok"
expect "other uid" "$(probe lookup-other-uid)" "lookup EPERM"
expect "one session per card" "$(probe "open 1234")" "open error code=session_exists *"
rec=$(probe record)
expect "signed record" "$rec" 'record {"card_serial":*"national_id":"899700000001","nonce":"*","session_id":"*","time":*,"uid":0,"version":1,"workstation":"lab-workstation"}'
grep -q 'GENERAL\|^> 0087\|^> 1087' "$LAB_DIR/slot1.apdu" || { echo "the card never signed"; exit 1; }
expect "logout" "$(probe close)" "close ok"
expect "after logout" "$(probe lookup)" "lookup ENOENT"
no_pin "$LAB_DIR/probe.err"
probe_stop

# --- EC
card cps-ec
probe_start
expect "ec open" "$(probe "open 1234")" "open ok id=* national_id=899700000002 * profession=60 *"
probe_stop

# --- wrong PINs, then a blocked card
card cps-rsa
probe_start
expect "wrong PIN 1" "$(probe "open 0000")" "open error code=pin_incorrect tries=-1 *"
expect "wrong PIN 2" "$(probe "open 0000")" "open error code=pin_incorrect tries=1 *"
expect "wrong PIN 3" "$(probe "open 0000")" "open error code=pin_locked tries=0 *"
expect "right PIN on a blocked card" "$(probe "open 1234")" "open error code=pin_locked tries=0 *"
expect "no session left" "$(probe count)" "count 0"
probe_stop

# --- certificates that must not be trusted, refused before the PIN
for c in "cps-unknown-ca unknown_ca" "cps-expired expired" "cps-badusage wrong_key_usage"; do
        set -- $c
        card "$1"
        probe_start
        expect "$1" "$(probe "open 1234")" "open error code=$2 *"
        expect "$1: no session" "$(probe count)" "count 0"
        probe_stop
done
# an untrusted card never sees the PIN (VERIFY with data; OpenSC's
# empty VERIFY only asks the PIN state)
card cps-unknown-ca
probe_start
probe "open 1234" >/dev/null
! grep -q '^> 0020008008' "$LAB_DIR/slot1.apdu" || { echo "a PIN was sent to an untrusted card"; exit 1; }
probe_stop

# --- removal ends the session
card cps-rsa
probe_start
expect "open before removal" "$(probe "open 1234")" "open ok *"
sim_cmd 1 remove
expect "removal ends it" "$(probe "wait-ended 10")" "wait-ended count=0"
expect "token dead" "$(probe lookup)" "lookup ENOENT"
probe_stop

# --- idle timeout (the probe's clock is moved, nobody waits)
card cps-rsa
probe_start 60
expect "open before idling" "$(probe "open 1234")" "open ok *"
probe "advance 30" >/dev/null
expect "30 s idle" "$(probe lookup)" "lookup ok"
probe "advance 61" >/dev/null
expect "61 s idle" "$(probe lookup)" "lookup ENOENT"
probe_stop

# --- a card pulled while it is read at insertion, during the PIN check or
# during the signature.  First a clean run to learn after how many APDUs
# each step starts: the certificates are read at insertion (counted from
# the insertion), the PIN check and the signature by the opening.
card cps-rsa
probe_start
sim_cmd 1 remove
wait_card 1 absent
c0=$(apdu_count 1)
sim_cmd 1 insert
expect "reference read at insertion" "$(probe "card-ready 10")" "card-ready ok national_id=899700000001 *"
c1=$(apdu_count 1)
expect "reference run" "$(probe "open 1234")" "open ok *"
nth() { # nth FROM PATTERN: index of the first APDU after FROM matching PATTERN
        grep '^>' "$LAB_DIR/slot1.apdu" | tail -n +$(($1 + 1)) | grep -n "^> $2" | head -1 | cut -d: -f1 || true
}
n_cert=$(nth "$c0" 00CB3FFF055C035FC1)
n_pin=$(nth "$c1" 0020008008)
n_sign=$(nth "$c1" '[01]087')
[ -n "$n_sign" ] && [ -n "$n_pin" ] || { echo "no VERIFY or GENERAL AUTHENTICATE seen"; exit 1; }
[ -n "$n_cert" ] || { echo "the authentication certificate was not read at insertion"; exit 1; }
[ -z "$(nth "$c1" 00CB3FFF055C035FC1)" ] || { echo "the opening read the certificate again"; exit 1; }
probe_stop
last_apdu_is() { # last_apdu_is PATTERN WHAT
        local last
        last=$(grep '^>' "$LAB_DIR/slot1.apdu" | tail -1)
        [[ $last =~ ^\>\ $1 ]] || { echo "the card left at '$last', not during the $2"; exit 1; }
}
# pulled during the read at insertion: nothing is kept, no session opens
card cps-rsa
probe_start
sim_cmd 1 remove
wait_card 1 absent
expect "nothing kept after the removal" "$(probe "wait-cached 0 5")" "wait-cached 0"
sim_cmd 1 "pull-after $n_cert"
sim_cmd 1 insert
wait_card 1 absent
expect "pulled during the read at insertion" "$(probe "wait-cached 0 5")" "wait-cached 0"
last_apdu_is 00CB3FFF055C035FC1 "certificate read"
expect "no session on a pulled card" "$(probe "open 1234")" "open error code=no_cps_card *"
probe_stop
# then the card leaving at the first APDU of the PIN check (where OpenSC's
# own locking would deadlock) and of the signature: card_removed
for at in "$n_pin 0020008008 PIN" "$n_sign [01]087 signature"; do
        set -- $at
        card cps-rsa
        probe_start
        expect "read at insertion" "$(probe "card-ready 10")" "card-ready ok *"
        sim_cmd 1 "pull-after $1"
        what=${*:3}
        expect "pulled during the $what" "$(probe "open 1234")" "open error code=card_removed *"
        last_apdu_is "$2" "$what"
        expect "no session after the pull" "$(probe count)" "count 0"
        probe_stop
done
echo "sessions ok"
