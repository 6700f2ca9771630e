#!/bin/sh
# tests/pki/mkpki.sh DIR: makes carnet's throw-away test PKI in DIR.
#
# Everything here is TEST ONLY: a root CA and an issuing CA whose names say
# so, and professional certificates shaped like CPS ones, generated fresh
# with the openssl command.  No key of any real system is ever involved.
#
# Subject of a professional certificate (single-valued RDNs, in this order):
#   C=FR, O=carnet TEST ONLY, OU=<specialty code, when any>,
#   title=<profession code (TRE_G15)>, SN=<surname>, GN=<given name>,
#   CN=<national id: "8" + 11-digit RPPS>
# The card type (0 CPS, 1 CPF, 2 CPE, 3 CPA) is in the non-critical
# extension 1.2.250.1.71.1.2.2 as a UTF8String holding the digit.
# Authentication certificate (PIV key 9A): keyUsage digitalSignature,
# extendedKeyUsage clientAuth.  Signature certificate (PIV key 9C): keyUsage
# nonRepudiation.  docs/lab.md describes the layout and the profiles.
#
# Output (all in DIR; running again remakes everything):
#   root.pem, issuing.pem, ca-chain.pem (issuing then root)
#   cps-rsa.profile   RSA-2048 doctor (10, SM26), card type 0
#   cps-ec.profile    P-256 nurse (60, no specialty), card type 0
#   cps-pharma.profile  RSA-2048 pharmacist (21, no specialty), card type 0
#   cps-dentist.profile P-256 dentist (40, no specialty), card type 0
#   cps-cpf.profile   P-256 doctor in training (CPF, type 1)
#   cps-cpe.profile   P-256 establishment staff (CPE, type 2, no profession)
#   cps-expired.profile     P-256, both certificates expired in 2021
#   cps-unknown-ca.profile  P-256, issued by a CA outside ca-chain.pem
#   cps-badusage.profile    P-256, wrong keyUsage/EKU on both certificates
#   cps-revoked.profile     P-256 doctor whose authentication certificate is revoked
#   cps-clinic-a.profile, cps-clinic-b.profile  P-256 doctors of one establishment:
#                     a second O ("Clinique des Tests") after the first
#   crl.pem (lists cps-revoked), crl-empty.pem, crl-expired.pem (nextUpdate
#   in 2020), crl-rogue.pem (signed by the rogue CA): the issuing CA's CRLs
#   <name>-auth.pem/.key, <name>-sign.pem/.key for each profile
# Every card has PIN 1234 and 3 tries.
set -eu

if [ $# -ne 1 ]; then
        echo "usage: mkpki.sh DIR" >&2
        exit 2
fi
mkdir -p "$1"
cd "$1"
umask 022

PIN=1234
O="carnet TEST ONLY"
# Serials are fixed so that a run is reproducible apart from keys and dates.
serial=4096

# leaf_ext SECTION KEYUSAGE [EKU]: the extensions of a professional
# certificate, which differ only by their usages.
leaf_ext() {
        echo "[ $1 ]"
        echo "basicConstraints = critical,CA:false"
        echo "keyUsage = critical,$2"
        [ -z "${3:-}" ] || echo "extendedKeyUsage = $3"
        echo "subjectKeyIdentifier = hash"
        echo "authorityKeyIdentifier = keyid"
        echo '1.2.250.1.71.1.2.2 = ASN1:UTF8String:${ENV::CARNET_CARD_TYPE}'
}

{
        cat <<'EOF'
# carnet TEST ONLY PKI: extension profiles used by mkpki.sh.
[ req ]
distinguished_name = req_dn
[ req_dn ]

[ ext_root ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[ ext_issuing ]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

EOF
        leaf_ext ext_auth digitalSignature clientAuth
        echo
        leaf_ext ext_sign nonRepudiation
        echo
        echo "# Wrong usages, for negative tests: an authentication certificate that may"
        echo "# only encipher keys, a signature certificate without nonRepudiation."
        leaf_ext ext_auth_bad keyEncipherment emailProtection
        echo
        leaf_ext ext_sign_bad digitalSignature
        cat <<'EOF'

# 'openssl ca' is used only for the expired certificates (past dates) and
# the revocation lists.
[ ca_issuing ]
database = ca-db/index.txt
new_certs_dir = ca-db
serial = ca-db/serial
crlnumber = ca-db/crlnumber
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[ policy_any ]
commonName = supplied
EOF
} >openssl.cnf
CARNET_CARD_TYPE=0
export CARNET_CARD_TYPE

# genkey FILE rsa|ec
genkey() {
        if [ "$2" = rsa ]; then
                openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null
        else
                openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
        fi
        chmod 600 "$1"
}

# cert OUT KEY SUBJECT EXT CA_CERT CA_KEY [DAYS]: signs KEY's request.
cert() {
        serial=$((serial + 1))
        openssl req -new -config openssl.cnf -key "$2" -subj "$3" -out "$1.csr"
        openssl x509 -req -in "$1.csr" -CA "$5" -CAkey "$6" -set_serial "$serial" \
                -days "${7:-825}" -sha256 -extfile openssl.cnf -extensions "$4" -out "$1"
        rm -f "$1.csr"
}

# subject SURNAME GIVEN IDNAT PROFESSION SPECIALTY (the last two may be "")
subject() {
        s="/C=FR/O=$O"
        [ -z "$5" ] || s="$s/OU=$5"
        [ -z "$4" ] || s="$s/title=$4"
        echo "$s/SN=$1/GN=$2/CN=$3"
}

# profile NAME COMMENT: writes NAME.profile for the simulator.
profile() {
        cat >"$1.profile" <<EOF
# $2
# carnet TEST ONLY card made by tests/pki/mkpki.sh; paths are relative to
# this file's folder.
type = cps
pin = $PIN
pin_tries = 3
cert.9a = $1-auth.pem
key.9a = $1-auth.key
cert.9c = $1-sign.pem
key.9c = $1-sign.key
EOF
}

# card NAME KEYTYPE CARDTYPE SUBJECT AUTH_EXT SIGN_EXT CA COMMENT
card() {
        CARNET_CARD_TYPE=$3
        genkey "$1-auth.key" "$2"
        genkey "$1-sign.key" "$2"
        cert "$1-auth.pem" "$1-auth.key" "$4" "$5" "$7.pem" "$7.key"
        cert "$1-sign.pem" "$1-sign.key" "$4" "$6" "$7.pem" "$7.key"
        profile "$1" "$8"
}

# ---- certification authorities --------------------------------------------
genkey root.key rsa
openssl req -new -x509 -config openssl.cnf -key root.key -sha256 -days 3650 \
        -subj "/C=FR/O=$O/CN=carnet TEST ONLY Root CA" -set_serial 1 \
        -extensions ext_root -out root.pem
genkey issuing.key rsa
cert issuing.pem issuing.key "/C=FR/O=$O/CN=carnet TEST ONLY Issuing CA" ext_issuing root.pem root.key 1825
cat issuing.pem root.pem >ca-chain.pem

# A CA that no one trusts, for the "unknown issuer" case.
genkey rogue.key ec
openssl req -new -x509 -config openssl.cnf -key rogue.key -sha256 -days 3650 \
        -subj "/C=FR/O=$O/CN=carnet TEST ONLY Rogue CA (not in ca-chain.pem)" \
        -set_serial 1 -extensions ext_root -out rogue.pem

# ---- professional cards -------------------------------------------------------
card cps-rsa rsa 0 "$(subject LAMBERT CAMILLE 899700000001 10 SM26)" ext_auth ext_sign issuing \
        "CPS, RSA-2048: doctor (10), general practice (SM26)"
card cps-ec ec 0 "$(subject MOREAU ANTOINE 899700000002 60 '')" ext_auth ext_sign issuing \
        "CPS, P-256: nurse (60), no specialty"
card cps-pharma rsa 0 "$(subject DUBOIS NADIA 899700000008 21 '')" ext_auth ext_sign issuing \
        "CPS, RSA-2048: pharmacist (21), no specialty"
card cps-dentist ec 0 "$(subject LEROY PAUL 899700000009 40 '')" ext_auth ext_sign issuing \
        "CPS, P-256: dentist (40), no specialty"
card cps-cpf ec 1 "$(subject PETIT LINA 899700000003 10 '')" ext_auth ext_sign issuing \
        "CPF (card type 1), P-256: doctor in training"
card cps-cpe ec 2 "$(subject GARNIER LUC 899700000004 '' '')" ext_auth ext_sign issuing \
        "CPE (card type 2), P-256: establishment staff, no profession"
card cps-clinic-a ec 0 "$(subject GIRARD ALICE 899700000011 10 SM26 | sed 's|/O=[^/]*|&/O=Clinique des Tests|')" \
        ext_auth ext_sign issuing "CPS, P-256: doctor (10) of the Clinique des Tests (second O)"
card cps-clinic-b ec 0 "$(subject BONNET MARC 899700000012 10 SM26 | sed 's|/O=[^/]*|&/O=Clinique des Tests|')" \
        ext_auth ext_sign issuing "CPS, P-256: another doctor (10) of the Clinique des Tests"
card cps-unknown-ca ec 0 "$(subject ROUX EMMA 899700000005 10 SM26)" ext_auth ext_sign rogue \
        "CPS, P-256, issued by the rogue CA (not in ca-chain.pem)"
card cps-badusage ec 0 "$(subject FAURE HUGO 899700000006 10 SM26)" ext_auth_bad ext_sign_bad issuing \
        "CPS, P-256, wrong key usages (auth: keyEncipherment; sign: digitalSignature)"

# Expired: valid 2020-2021, signed by the issuing CA through 'openssl ca'.
rm -rf ca-db
mkdir ca-db
: >ca-db/index.txt
CARNET_CARD_TYPE=0
for use in auth sign; do
        genkey "cps-expired-$use.key" ec
        serial=$((serial + 1))
        printf '%X\n' "$serial" | sed 's/^\(.\(..\)*\)$/0\1/' >ca-db/serial
        openssl req -new -config openssl.cnf -key "cps-expired-$use.key" \
                -subj "$(subject BLANC JULES 899700000007 10 SM26)" -out "cps-expired-$use.csr"
        openssl ca -batch -config openssl.cnf -name ca_issuing -cert issuing.pem \
                -keyfile issuing.key -preserveDN -notext -extfile openssl.cnf \
                -extensions "ext_$use" -startdate 20200101000000Z -enddate 20210101000000Z \
                -in "cps-expired-$use.csr" -out "cps-expired-$use.pem" 2>/dev/null
        rm -f "cps-expired-$use.csr"
done
rm -rf ca-db
profile cps-expired "CPS, P-256, both certificates expired on 2021-01-01"

# Revocation: cps-revoked's authentication certificate is revoked by the
# issuing CA.  crl.pem: the issuing CA's current CRL (30 days) listing it;
# crl-empty.pem: a current CRL listing nothing; crl-expired.pem: one whose
# nextUpdate passed in 2020; crl-rogue.pem: a CRL of the rogue CA (no anchor
# signed it).  'openssl ca' keeps its database in ca-db for the while.
card cps-revoked ec 0 "$(subject NOEL IRIS 899700000010 10 SM26)" ext_auth ext_sign issuing \
        "CPS, P-256: doctor whose authentication certificate the issuing CA revoked"
rm -rf ca-db
mkdir ca-db
: >ca-db/index.txt
echo 1000 >ca-db/crlnumber
gencrl() { # gencrl CA OUT [openssl ca options]: a CRL of CA's database
        ca=$1 out=$2
        shift 2
        openssl ca -batch -config openssl.cnf -name ca_issuing -cert "$ca.pem" -keyfile "$ca.key" -gencrl \
                -out "$out" "$@" 2>/dev/null
}
gencrl issuing crl-empty.pem -crldays 30
openssl ca -batch -config openssl.cnf -name ca_issuing -cert issuing.pem -keyfile issuing.key \
        -revoke cps-revoked-auth.pem -crl_reason keyCompromise 2>/dev/null
gencrl issuing crl.pem -crldays 30
gencrl issuing crl-expired.pem -crl_lastupdate 20200101000000Z -crl_nextupdate 20200201000000Z
: >ca-db/index.txt
gencrl rogue crl-rogue.pem -crldays 30
rm -rf ca-db

echo "mkpki: carnet TEST ONLY PKI ready in $(pwd)"
