#!/bin/bash
# tests/lab/t-pkcs11-rsa.sh: OpenSC's PKCS#11 module, unchanged, sees the
# simulated CPS (RSA-2048, PIV applet) and signs with both of its keys.
#
# Checks: opensc-tool lists both virtual readers; pkcs11-tool lists the two
# certificates and keys (the private ones after login) under the token label
# = the certificate's CN; the certificates read through the card are the
# test PKI's; signatures by key 01 (9A, authentication) and 02 (9C,
# signature, "always authenticate") verify with openssl against the PKI's
# certificates, in PKCS#1 v1.5 and PSS; the simulator saw command chaining
# and GET RESPONSE.  Runs inside tests/lab/lab-run with CARNET_PKI set.
set -eu
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

PIN=1234

p11_card t-rsa cps-rsa
p11_token 899700000001

p11 -O >"$W/objects" 2>&1
expect_count "$W/objects" '^Certificate Object; type = X.509 cert' 2 "-O: expected two certificates"
expect_count "$W/objects" '^Public Key Object; RSA 2048 bits' 2 "-O: expected two RSA-2048 public keys"
expect "$W/objects" "CN=899700000001" "-O: certificate subject lacks the national id"

p11 -O --login --pin "$PIN" >"$W/private" 2>&1
expect_count "$W/private" '^Private Key Object; RSA' 2 "-O --login: expected two RSA private keys"
grep -A4 '^Private Key Object' "$W/private" | grep -q 'always authenticate' ||
        { cat "$W/private" >&2; fail "-O --login: the signature key is not 'always authenticate'"; }

printf 'carnet lab: a document to sign\n' >"$W/doc"
for id in 01 02; do
        [ "$id" = 01 ] && use=auth || use=sign
        pem=$CARNET_PKI/cps-rsa-$use.pem

        # The certificate read through PIV GET DATA is the PKI's, byte for byte.
        p11_cert "$id" "$pem"
        openssl verify -CAfile "$CARNET_PKI/ca-chain.pem" "$pem" >/dev/null ||
                fail "$pem does not chain to the test CA"

        p11 --sign -m SHA256-RSA-PKCS --id "$id" --pin "$PIN" -i "$W/doc" -o "$W/sig-$id" \
                >"$W/sign.log" 2>&1 || { cat "$W/sign.log" >&2; fail "RSA sign with key $id"; }
        openssl dgst -sha256 -verify "$W/pub-$id.pem" -signature "$W/sig-$id" "$W/doc" >/dev/null ||
                fail "RSA PKCS#1 signature by key $id does not verify"
        echo "ok: key $id RSA-2048 SHA256-RSA-PKCS signature verifies"

        p11 --sign -m SHA256-RSA-PKCS-PSS --id "$id" --pin "$PIN" -i "$W/doc" -o "$W/pss-$id" \
                >"$W/sign.log" 2>&1 || { cat "$W/sign.log" >&2; fail "RSA-PSS sign with key $id"; }
        openssl dgst -sha256 -verify "$W/pub-$id.pem" -sigopt rsa_padding_mode:pss \
                -sigopt rsa_pss_saltlen:-1 -signature "$W/pss-$id" "$W/doc" >/dev/null ||
                fail "RSA-PSS signature by key $id does not verify"
        echo "ok: key $id RSA-2048 SHA256-RSA-PKCS-PSS signature verifies"
done

# The RSA exchange needs the paths the simulator must get right.
grep -q '^> 1087079C' "$LAB_DIR/slot1.apdu" || fail "no chained GENERAL AUTHENTICATE for 9C"
grep -q '^> 00C00000' "$LAB_DIR/slot1.apdu" || fail "no GET RESPONSE seen"
echo "ok: $(apdu_count 1) APDUs"
