#!/bin/bash
# tests/lab/t-pkcs11-ec.sh: OpenSC's PKCS#11 module signs with the simulated
# CPS's EC P-256 keys, and openssl verifies the signatures.
#
# Checks: both certificates and keys are listed under the token label = CN;
# ECDSA-SHA256 signatures by key 01 (9A) and 02 (9C, a fresh VERIFY before
# the signature) verify against the test PKI's certificates; the card
# refuses 9C without a fresh VERIFY and 9A after a PIN reset.  pkcs11-tool
# writes raw r||s unless told --signature-format openssl (DER), which
# openssl wants.  Runs inside tests/lab/lab-run with CARNET_PKI set.
set -eu
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

PIN=1234

p11_card t-ec cps-ec
p11_token 899700000002

p11 -O --login --pin "$PIN" >"$W/objects" 2>&1
expect_count "$W/objects" '^Certificate Object; type = X.509 cert' 2 "-O: expected two certificates"
expect_count "$W/objects" '^Private Key Object; EC' 2 "-O --login: expected two EC private keys"
expect_count "$W/objects" '^Public Key Object; EC' 2 "-O: expected two EC public keys"

printf 'carnet lab: an EC document to sign\n' >"$W/doc"
for id in 01 02; do
        [ "$id" = 01 ] && use=auth || use=sign
        pem=$CARNET_PKI/cps-ec-$use.pem
        p11_cert "$id" "$pem"

        p11 --sign -m ECDSA-SHA256 --signature-format openssl --id "$id" --pin "$PIN" \
                -i "$W/doc" -o "$W/sig-$id" >"$W/sign.log" 2>&1 ||
                { cat "$W/sign.log" >&2; fail "ECDSA sign with key $id"; }
        openssl dgst -sha256 -verify "$W/pub-$id.pem" -signature "$W/sig-$id" "$W/doc" >/dev/null ||
                fail "ECDSA signature by key $id does not verify"
        echo "ok: key $id P-256 ECDSA-SHA256 signature verifies"
done

# The card itself refuses a signature without a fresh VERIFY: key 9C was
# just used (its "PIN always" consent is spent), and after VERIFY P1=FF
# (reset) key 9A is refused too.  Raw APDUs through opensc-tool.
digest=$(printf '%064d' 0 | sed 's/../&:/g; s/:$//')
ga() { # ga KEYREF: GENERAL AUTHENTICATE P-256 over a zero digest
        echo "00:87:11:$1:26:7C:24:82:00:81:20:$digest:00"
}
last_sw() {
        opensc-tool -r 1 "$@" 2>&1 | sed -n 's/^Received (SW1=0x\(..\), SW2=0x\(..\)).*/\1\2/p' | tail -n 1
}
sw=$(last_sw -s "$(ga 9C)")
[ "$sw" = 6982 ] || fail "9C signature without VERIFY: SW $sw, want 6982"
sw=$(last_sw -s 00:20:FF:80 -s "$(ga 9A)")
[ "$sw" = 6982 ] || fail "9A signature after a PIN reset: SW $sw, want 6982"
sw=$(last_sw -s 00:20:00:80:08:31:32:33:34:FF:FF:FF:FF -s "$(ga 9C)")
[ "$sw" = 9000 ] || fail "9C signature right after VERIFY: SW $sw, want 9000"
echo "ok: no signature without the PIN"
echo "ok: $(apdu_count 1) APDUs"
