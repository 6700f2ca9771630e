#!/bin/bash
# tests/lab/host-pki.sh: the dossier host's TEST ONLY TLS PKI, a bash
# function for the tests that source this file.
#
# host_pki DIR makes, with the openssl command, in DIR:
#   ca.pem, ca.key           the workstation CA (the host's tls_client_ca;
#                            it also issues the host's server certificate,
#                            so agents use ca.pem as host_ca)
#   server.pem, server.key   the host, for 127.0.0.1, ::1 and localhost
#   ws-a.pem/.key, ws-b.pem/.key  workstations (subject CN ws-a, ws-b;
#                            extendedKeyUsage clientAuth)
#   rogue-ca.pem, rogue-ca.key, rogue.pem/.key  a CA the host does not
#                            know, and a workstation "rogue" it issued
# P-256 keys, valid for 30 days from now.  Running again remakes all.

# _host_leaf DIR NAME CA SUBJECT EXT: a key and a certificate NAME signed by CA.
_host_leaf() {
        local d=$1 name=$2 ca=$3 subj=$4 ext=$5
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/$name.key" \
                -subj "$subj" -out "$d/$name.csr" 2>/dev/null
        printf '%s\n' "$ext" >"$d/$name.ext"
        openssl x509 -req -in "$d/$name.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca.key" -CAcreateserial \
                -days 30 -sha256 -extfile "$d/$name.ext" -out "$d/$name.pem" 2>/dev/null
        rm -f "$d/$name.csr" "$d/$name.ext"
}

# _host_ca DIR NAME CN: a self-signed CA.
_host_ca() {
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1/$2.key" \
                -subj "/O=carnet TEST ONLY/CN=$3" -days 30 -sha256 \
                -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" \
                -out "$1/$2.pem" 2>/dev/null
}

host_pki() {
        local d=$1
        mkdir -p "$d"
        _host_ca "$d" ca "carnet TEST ONLY workstation CA" || return 1
        _host_ca "$d" rogue-ca "carnet TEST ONLY rogue CA" || return 1
        _host_leaf "$d" server ca "/O=carnet TEST ONLY/CN=localhost" \
                "basicConstraints=critical,CA:false
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost" || return 1
        local client="basicConstraints=critical,CA:false
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
        _host_leaf "$d" ws-a ca "/O=carnet TEST ONLY/CN=ws-a" "$client" || return 1
        _host_leaf "$d" ws-b ca "/O=carnet TEST ONLY/CN=ws-b" "$client" || return 1
        _host_leaf "$d" rogue rogue-ca "/O=carnet TEST ONLY/CN=rogue" "$client" || return 1
        chmod 0600 "$d"/*.key
}
