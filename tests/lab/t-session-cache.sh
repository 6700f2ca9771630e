#!/bin/bash
# Lab test: the CPS card read at insertion (session/card-cache.h), through
# carnetd's session manager, OpenSC's PKCS#11 module and the simulated CPS:
#  - the card is read once, at insertion: the opening sends no certificate
#    read, only the PIN check and the signature;
#  - a CPS removed and another inserted in the same reader between the read
#    at insertion and the login opens the second card's session, never the
#    first's identity (at once after the swap, and once the second card is
#    read);
#  - what was read is dropped when the card leaves, and a session on the
#    card that left cannot be opened.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

CA=$CARNET_PKI/ca-chain.pem
. "$(dirname "$0")/session-probe.sh"
RSA_ID=899700000001 # tests/pki/mkpki.sh: cps-rsa
EC_ID=899700000002  # cps-ec

swap_to() { # swap_to PROFILE: another simulated CPS in slot 1
        sim_stop 1
        wait_card 1 absent
        sim_start 1 "$CARNET_PKI/$1.profile"
        wait_card 1 present
}
settle() { # settle SLOT: until the card on SLOT has had no APDU for a second (at most 10 s)
        local n=-1 i
        for i in $(seq 1 20); do
                [ "$(apdu_count "$1")" = "$n" ] && return 0
                n=$(apdu_count "$1")
                sleep 1
        done
        echo "slot $1 never settled"
        exit 1
}
cert_reads_since() { # cert_reads_since N: authentication certificate reads after APDU N
        grep '^>' "$LAB_DIR/slot1.apdu" | tail -n +$(($1 + 1)) | grep -c '^> 00CB3FFF055C035FC1' || true
}

# --- read once, at insertion
sim_stop 1
wait_card 1 absent
: >"$LAB_DIR/slot1.apdu"
sim_start 1 "$CARNET_PKI/cps-rsa.profile"
wait_card 1 present
probe_start
expect "read at insertion" "$(probe "card-ready 10")" "card-ready ok national_id=$RSA_ID insertion=*"
expect "held" "$(probe cached)" "cached 1"
[ "$(cert_reads_since 0)" -ge 1 ] || { echo "the certificate was not read at insertion"; exit 1; }
c0=$(apdu_count 1)
out=$(probe "open 1234")
expect "opening with what was read" "$out" "open ok id=* national_id=$RSA_ID *"
[ "$(cert_reads_since "$c0")" = 0 ] || { echo "the opening read the certificate again"; exit 1; }
grep '^>' "$LAB_DIR/slot1.apdu" | tail -n +$((c0 + 1)) | grep -q '^> 0020008008' ||
        { echo "the opening did not verify the PIN"; exit 1; }
expect "the session's handle left the cache" "$(probe cached)" "cached 0"
expect "logout" "$(probe close)" "close ok"
# the card stays: it is read again for the next opening
expect "read again after the logout" "$(probe "wait-cached 1 5")" "wait-cached 1"

# --- swap between the read and the login, opening at once
first=$(probe "card-ready 1")
swap_to cps-ec
expect "the monitor sees the second card" "$(probe "wait-cps 5")" "wait-cps ok"
out=$(probe "open 1234")
expect "swap, opening at once: the second card" "$out" "open ok id=* national_id=$EC_ID *"
[[ $out != *"national_id=$RSA_ID"* ]] || { echo "the first card's identity was used"; exit 1; }
expect "logout" "$(probe close)" "close ok"

# --- swap, opening once the second card is read
expect "first card held" "$(probe "wait-cached 1 5")" "wait-cached 1"
swap_to cps-rsa
second=$(probe "card-ready 10")
expect "the new card read at its insertion" "$second" "card-ready ok national_id=$RSA_ID *"
[ "$second" != "$first" ] || { echo "the same insertion after a swap: '$second'"; exit 1; }
swap_to cps-ec
expect "the newest card read" "$(probe "card-ready 10")" "card-ready ok national_id=$EC_ID *"
expect "one card held, the newest" "$(probe cached)" "cached 1"
out=$(probe "open 1234")
expect "swap, opening after the read: the second card" "$out" "open ok id=* national_id=$EC_ID *"
expect "logout" "$(probe close)" "close ok"

# --- dropped when the card leaves
expect "held before the removal" "$(probe "wait-cached 1 5")" "wait-cached 1"
sim_cmd 1 remove
wait_card 1 absent
expect "dropped with the card" "$(probe "wait-cached 0 5")" "wait-cached 0"
expect "no identity without the card" "$(probe "card-ready 1")" "card-ready error ENODEV"
expect "no session without the card" "$(probe "open 1234")" "open error code=no_cps_card *"
c1=$(apdu_count 1)
sim_cmd 1 insert
wait_card 1 present
expect "read again at the new insertion" "$(probe "card-ready 10")" "card-ready ok national_id=$EC_ID *"
[ "$(cert_reads_since "$c1")" -ge 1 ] || { echo "the card was not read again at its new insertion"; exit 1; }

# --- the read at insertion leaves the other readers' cards alone: with the
# slot found empty once the CPS left, the next insertion is read without
# C_GetSlotInfo, where OpenSC would try to bind the Vitale again
sim_start 0 tests/profiles/vitale-family.profile
wait_card 0 present
settle 0 # the monitor's own read of the Vitale
vb=$(apdu_count 0)
sim_cmd 1 remove
wait_card 1 absent
settle 0 # the module asked about the CPS's slot: OpenSC looked at every reader
v0=$(apdu_count 0)
[ "$v0" -gt "$vb" ] || { echo "OpenSC never looked at the Vitale: this part would prove nothing"; exit 1; }
sim_cmd 1 insert
wait_card 1 present
expect "read at the insertion after the Vitale's" "$(probe "card-ready 10")" "card-ready ok national_id=$EC_ID *"
[ "$(apdu_count 0)" = "$v0" ] ||
        { echo "the read at insertion sent the Vitale $(($(apdu_count 0) - v0)) APDUs"; exit 1; }
out=$(probe "open 1234")
expect "and opens that card's session" "$out" "open ok id=* national_id=$EC_ID *"
expect "logout" "$(probe close)" "close ok"
probe_stop
no_pin "$LAB_DIR/probe.err"
echo "session cache ok"
