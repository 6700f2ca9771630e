#!/bin/bash
# tests/lab/t-pkcs11-pin-block.sh: three wrong PINs block the simulated CPS,
# and the right PIN then fails, through OpenSC's PKCS#11 module.
#
# The try counter is read two ways after each step: the card's own answer
# to a VERIFY without data (63 CX, 69 83 when blocked, through opensc-tool)
# and the token flags OpenSC derives from it (pkcs11-tool -L).  A right PIN
# puts the counter back to 3; the block survives removal and reinsertion
# (the counter lives in the chip).  Runs inside tests/lab/lab-run with
# CARNET_PKI set.
set -eu
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

PIN=1234

# pin_state: the card's answer to VERIFY without data, as 4 hex digits.
pin_state() {
        opensc-tool -r 1 -s 00:20:00:80 2>&1 |
                sed -n 's/^Received (SW1=0x\(..\), SW2=0x\(..\)).*/\1\2/p' | tail -n 1
}
# login PIN: C_Login's return value name (CKR_OK when it worked).
login() {
        if p11 --login --pin "$1" -O >"$W/login.log" 2>&1; then
                echo CKR_OK
        else
                grep -o 'CKR_[A-Z_]*' "$W/login.log" | head -n 1
        fi
}
flags() {
        p11 -L 2>/dev/null | sed -n 's/^ *token flags *: //p'
}
# step WHAT WANT_LOGIN PIN WANT_SW: one login, then the counter as seen
# (WANT_SW is an extended regex).
step() {
        local got sw
        got=$(login "$3")
        [ "$got" = "$2" ] || { cat "$W/login.log" >&2; fail "$1: C_Login gave '$got', want $2"; }
        sw=$(pin_state)
        echo "$sw" | grep -Eqx "$4" || fail "$1: VERIFY status $sw, want $4"
        echo "ok: $1: $got, card says $sw, token flags: $(flags)"
}

p11_card t-pin cps-rsa

sw=$(pin_state)
[ "$sw" = 63C3 ] || fail "fresh card: VERIFY status $sw, want 63C3"
echo "ok: fresh card, 3 tries (63C3)"

step "wrong PIN" CKR_PIN_INCORRECT 9999 63C2
# Right after a good PIN the card may still be powered and verified (9000):
# pcscd powers it off about 0.5 s after the last handle goes (then 63C3).
# The next wrong PIN showing 63C2, not 63C1, proves the reset.
step "right PIN resets the counter" CKR_OK "$PIN" '9000|63C3'
sim_cmd 1 remove
wait_card 1 absent
sim_cmd 1 insert
wait_card 1 present

step "wrong PIN 1/3" CKR_PIN_INCORRECT 0000 63C2
step "wrong PIN 2/3" CKR_PIN_INCORRECT 1111 63C1
flags | grep -q 'final user PIN try' || fail "OpenSC does not flag the final try"
step "wrong PIN 3/3" CKR_PIN_INCORRECT 2222 6983
flags | grep -q 'user PIN locked' || fail "OpenSC does not flag the PIN as locked"
step "right PIN on a blocked card" CKR_PIN_LOCKED "$PIN" 6983

printf 'x\n' >"$W/doc"
if p11 --sign -m SHA256-RSA-PKCS --id 01 --pin "$PIN" -i "$W/doc" -o "$W/sig" >"$W/sign.log" 2>&1; then
        fail "a blocked card signed"
fi
echo "ok: a blocked card does not sign"

# The block is in the chip: it survives removal and reinsertion.
sim_cmd 1 remove
wait_card 1 absent
sim_cmd 1 insert
wait_card 1 present
step "right PIN after reinsertion" CKR_PIN_LOCKED "$PIN" 6983
