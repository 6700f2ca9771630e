#!/bin/bash
# tests/lab/lib.sh: helpers for commands run inside tests/lab/lab-run.
# Needs LAB_DIR and CARNET_BUILD (set by lab-run).

LAB_READER0="Virtual PCD 00 00"
LAB_READER1="Virtual PCD 00 01"

# sim_start SLOT PROFILE [cardsim options...]: starts a simulated card on
# slot 0 or 1; its control FIFO is $LAB_DIR/slotN.ctl and its APDU log
# $LAB_DIR/slotN.apdu.
sim_start() {
        local slot=$1 profile=$2
        shift 2
        "$CARNET_BUILD/carnet-cardsim" --profile "$profile" --port $((35963 + slot)) \
                --control "$LAB_DIR/slot$slot.ctl" --log "$LAB_DIR/slot$slot.apdu" "$@" \
                2>>"$LAB_DIR/slot$slot.err" &
        echo $! >"$LAB_DIR/slot$slot.pid"
        # wait for the FIFO so that sim_cmd cannot race the start
        local i
        for i in $(seq 1 100); do
                [ -p "$LAB_DIR/slot$slot.ctl" ] && return 0
                kill -0 "$(cat "$LAB_DIR/slot$slot.pid")" 2>/dev/null || break
                sleep 0.05
        done
        echo "sim_start: simulator on slot $slot did not start:" >&2
        cat "$LAB_DIR/slot$slot.err" >&2
        return 1
}

# sim_cmd SLOT COMMAND: insert | remove | pull-after N | stall INS MS | quit
# (stall: the next APDU with data of instruction INS, hex, is answered MS
# milliseconds late; the APDU log says "# stalling")
sim_cmd() {
        local slot=$1
        shift
        echo "$*" >"$LAB_DIR/slot$slot.ctl"
}

# sim_stop SLOT: ends the simulator (the card is removed).
sim_stop() {
        local pid
        pid=$(cat "$LAB_DIR/slot$1.pid" 2>/dev/null) || return 0
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        rm -f "$LAB_DIR/slot$1.pid" "$LAB_DIR/slot$1.ctl"
}

# apdu_count SLOT: how many command APDUs the card on SLOT has received.
apdu_count() {
        grep -c "^>" "$LAB_DIR/slot$1.apdu" 2>/dev/null || true
}

# wait_card SLOT present|absent [SECONDS]: waits for pcscd to see it.
wait_card() {
        local reader
        [ "$1" = 0 ] && reader=$LAB_READER0 || reader=$LAB_READER1
        "$CARNET_BUILD/lab/lab-pcsc" wait "$reader" "$2" "${3:-10}"
}

lab_wait_pcscd() {
        local i
        for i in $(seq 1 100); do
                [ -S /run/pcscd/pcscd.comm ] && "$CARNET_BUILD/lab/lab-pcsc" list >/dev/null 2>&1 && return 0
                sleep 0.1
        done
        return 1
}

# ---- helpers for tests that talk to carnetd ---------------------------------

# until_ok [-t SECONDS] CMD...: retries CMD (quietly) every 0.1 s until it
# succeeds, 10 s by default; says what it gave up on.
until_ok() {
        local t=10 i
        if [ "$1" = -t ]; then
                t=$2
                shift 2
        fi
        for i in $(seq $((t * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
        echo "gave up after ${t}s: $*"
        return 1
}

# api METHOD PATH [BODY [TOKEN [CURL ARGS...]]]: one request to carnetd on
# $CARNETD_SOCK (default $LAB_DIR/carnetd.sock); prints "HTTP-code body".
# A body is sent as application/json unless the curl arguments name
# another Content-Type; TOKEN goes in X-Carnet-Session.  Safe to run from
# several processes at once (one reply file each).
api() {
        local m=$1 p=$2 b=${3:-} t=${4:-}
        shift $(($# < 4 ? $# : 4))
        local out=$LAB_DIR/reply.$BASHPID code a json=1
        for a in "$@"; do [[ $a == [Cc]ontent-[Tt]ype:* ]] && json=0; done
        local args=(-s -o "$out" -w '%{http_code}' --unix-socket "${CARNETD_SOCK:-$LAB_DIR/carnetd.sock}" -X "$m")
        if [ -n "$b" ]; then
                [ "$json" = 0 ] || args+=(-H 'Content-Type: application/json')
                args+=(--data-binary "$b")
        fi
        [ -z "$t" ] || args+=(-H "X-Carnet-Session: $t")
        code=$(curl "${args[@]}" "$@" "http://localhost$p")
        echo "$code $(cat "$out")"
}

# check WHAT GOT PATTERN: GOT must match the glob PATTERN, or the test fails.
check() {
        [[ $2 == $3 ]] || { echo "$1: got '$2', expected '$3'"; exit 1; }
        echo "$1: ok"
}

# field NAME JSON: the first string member NAME of a JSON text.
field() {
        echo "$2" | grep -o "\"$1\":\"[^\"]*\"" | head -1 | sed 's/.*:"\(.*\)"/\1/'
}

b64() { printf '%s' "$1" | base64 -w0; }

# no_body_fields HEADERS WHAT: the reply whose header section curl wrote to
# the file HEADERS (-D) is a 304 with no field of a body, neither
# Content-Length nor Transfer-Encoding (RFC 9110 8.6) nor Content-Type,
# and closes its connection (libmicrohttpd 0.9.75 ends such a reply so).
no_body_fields() {
        grep -q '^HTTP/1.1 304 ' "$1" && ! grep -qiE '^(content-length|transfer-encoding|content-type):' "$1" &&
                grep -qi '^connection: close'$'\r''$' "$1" ||
                { cat "$1"; echo "$2: fields of a body on a 304"; exit 1; }
        echo "$2: no Content-Length, Transfer-Encoding nor Content-Type: ok"
}

# ---- helpers for tests that drive OpenSC's tools ---------------------------

OPENSC_MODULE=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so

fail() {
        echo "FAIL: $*" >&2
        exit 1
}

# p11 ARGS...: pkcs11-tool on OpenSC's module
p11() {
        pkcs11-tool --module "$OPENSC_MODULE" "$@"
}

# expect FILE PATTERN WHAT: FILE must match the extended regex PATTERN.
expect() {
        grep -Eq "$2" "$1" || { cat "$1" >&2; fail "$3"; }
}

# p11_card NAME PROFILE: makes the work folder W=$LAB_DIR/NAME and puts the
# simulated CPS $CARNET_PKI/PROFILE.profile in slot 1, waiting for pcscd.
p11_card() {
        W=$LAB_DIR/$1
        mkdir -p "$W"
        sim_start 1 "$CARNET_PKI/$2.profile"
        wait_card 1 present
}

# expect_count FILE PATTERN N WHAT: exactly N lines of FILE match PATTERN
# (a basic regex).
expect_count() {
        [ "$(grep -c "$2" "$1")" = "$3" ] || { cat "$1" >&2; fail "$4"; }
}

# p11_cert ID PEM: the certificate ID read through the card is PEM, byte
# for byte; its public key goes to $W/pub-ID.pem.
p11_cert() {
        p11 --read-object --type cert --id "$1" -o "$W/card-$1.der" >/dev/null 2>&1 ||
                fail "cannot read certificate $1"
        openssl x509 -in "$2" -outform DER -out "$W/pki-$1.der"
        cmp -s "$W/card-$1.der" "$W/pki-$1.der" || fail "certificate $1 differs from $2"
        openssl x509 -in "$2" -pubkey -noout >"$W/pub-$1.pem"
}

# p11_token LABEL: opensc-tool lists both virtual readers, and pkcs11-tool a
# token labelled LABEL (the certificate's CN); the lists stay in $W.
p11_token() {
        opensc-tool -l >"$W/readers"
        expect "$W/readers" "Virtual PCD 00 00" "opensc-tool -l: no slot 0 reader"
        expect "$W/readers" "Virtual PCD 00 01" "opensc-tool -l: no slot 1 reader"
        p11 -L >"$W/slots" 2>&1
        expect "$W/slots" "token label +: $1\$" "token label is not the CN"
}

# ---- helpers for tests that drive carnetctl --------------------------------

# ctl ARGS...: carnetctl on $CARNETD_SOCK (default $LAB_DIR/carnetd.sock)
ctl() {
        "$CARNET_BUILD/carnetctl" --socket "${CARNETD_SOCK:-$LAB_DIR/carnetd.sock}" "$@"
}

# run EXPECTED-EXIT ARGS...: carnetctl with standard input from $STDIN
# (default /dev/null), output in $LAB_DIR/out and $LAB_DIR/err; the test
# fails, showing both, on any other exit status.
run() {
        local want=$1 rc=0
        shift
        ctl "$@" >"$LAB_DIR/out" 2>"$LAB_DIR/err" <"${STDIN:-/dev/null}" || rc=$?
        if [ "$rc" != "$want" ]; then
                echo "carnetctl $*: exit $rc, expected $want"
                sed 's/^/  out: /' "$LAB_DIR/out"
                sed 's/^/  err: /' "$LAB_DIR/err"
                exit 1
        fi
}

# has out|err TEXT: the last run's output holds TEXT, or the test fails.
has() {
        grep -q -- "$2" "$LAB_DIR/$1" || { echo "expected '$2' in $1:"; cat "$LAB_DIR/$1"; exit 1; }
}

# ---- starting carnetd in a test --------------------------------------------

# carnetd_conf [LINE...]: writes $LAB_DIR/carnetd.conf: the socket
# ($CARNETD_SOCK, default $LAB_DIR/carnetd.sock), the test PKI's CAs as
# trust anchors, then each LINE ("key = value").
carnetd_conf() {
        {
                echo "socket = ${CARNETD_SOCK:-$LAB_DIR/carnetd.sock}"
                echo "trust_anchors = $CARNET_PKI/ca-chain.pem"
                [ $# = 0 ] || printf '%s\n' "$@"
        } >"$LAB_DIR/carnetd.conf"
}

# carnetd_start: starts carnetd on $LAB_DIR/carnetd.conf, its standard
# error appended to $LAB_DIR/carnetd.err and its pid in $daemon, and waits
# for its socket.
carnetd_start() {
        "$CARNET_BUILD/carnetd" --config "$LAB_DIR/carnetd.conf" 2>>"$LAB_DIR/carnetd.err" &
        daemon=$!
        until_ok test -S "${CARNETD_SOCK:-$LAB_DIR/carnetd.sock}"
}

# cps_login NAME [PATTERN]: logs in with the CPS's PIN 1234 and checks the
# reply (PATTERN, default a 201 with a token) as NAME; sets $token and $id.
cps_login() {
        local out want='201 {"token":"*'
        [ $# -lt 2 ] || want=$2
        out=$(api POST /v1/sessions '{"pin": "1234"}')
        check "$1" "$out" "$want"
        token=$(echo "$out" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')
        id=$(echo "$out" | sed 's/.*"session":{"id":"\([0-9a-f]*\)".*/\1/')
}

# helper_killed_in_login PID: a CPS login (slot 1) whose card stalls its
# VERIFY while the PKCS#11 helper PID is killed (SIGKILL): checks the
# clear 503 pkcs11_helper_failed for that login, that carnetd ($daemon)
# lives on and answers, then waits for the stalled VERIFY to end.
helper_killed_in_login() {
        local login
        : >"$LAB_DIR/slot1.apdu"
        sim_cmd 1 stall 20 3000
        api POST /v1/sessions '{"pin": "1234"}' >"$LAB_DIR/killed.out" &
        login=$!
        until_ok grep -q '^# stalling' "$LAB_DIR/slot1.apdu"
        kill -KILL "$1"
        wait "$login"
        check "helper killed during the login" "$(cat "$LAB_DIR/killed.out")" \
                '503 {"error":{"code":"pkcs11_helper_failed"*'
        kill -0 "$daemon" || { echo "carnetd died with its helper"; exit 1; }
        check "carnetd still answers" "$(api GET /v1/readers)" '200 *'
        sleep 3 # the stalled VERIFY ends
}

# ---- a dossier to work on -------------------------------------------------

# holder_dossier TOKEN: the professional of TOKEN opens the dossier of the
# Vitale card's holder (index 0), the patient's consent recorded; sets
# $ins and the patient's $secret.
holder_dossier() {
        local out
        out=$(api POST /v1/dossiers '{"index": 0, "consent": true}' "$1")
        check "the holder's dossier" "$out" '201 *'
        ins=$(field ins "$out")
        secret=$(field secret "$out")
}

# deposit_note TOKEN TITLE: the professional of TOKEN deposits a text
# consultation report (11488-4, class 10) titled TITLE in $ins; sets $doc.
deposit_note() {
        local out
        out=$(api POST /v1/dossiers/$ins/documents "{\"type_code\": \"11488-4\", \"class_code\": \"10\",
                \"mime\": \"text/plain\", \"title\": \"$2\", \"content_base64\": \"$(b64 "$2")\"}" "$1")
        check "deposit $2" "$out" '201 *'
        doc=$(field uid "$out")
}

# ---- the usual cards: the family's Carte Vitale and a CPS ------------------

# lab_cards [CPS]: the family's Carte Vitale in slot 0 and the CPS
# $CARNET_PKI/CPS.profile (default cps-rsa) in slot 1, both seen by pcscd.
lab_cards() {
        sim_start 0 tests/profiles/vitale-family.profile
        sim_start 1 "$CARNET_PKI/${1:-cps-rsa}.profile"
        wait_card 0 present
        wait_card 1 present
}

# doctor_start: the usual cards, carnetd started with the default
# configuration, and the doctor's session on the CPS in $doctor.
doctor_start() {
        lab_cards
        carnetd_conf
        carnetd_start
        cards_ready
        doctor=$(field token "$(api POST /v1/sessions '{"pin": "1234"}')")
}

# lab_end TOKEN NAME: the trail's hash chain holds (asked with TOKEN's
# session), carnetd stops, and the test says "NAME ok".
lab_end() {
        check "the chain holds" "$(api GET /v1/audit/verify "" "$1")" '200 {"intact":true*'
        kill "$daemon"
        wait "$daemon"
        echo "$2 ok"
}

# cps_ready: carnetd sees a CPS in slot 1.
cps_ready() { api GET /v1/readers | grep -q '"Virtual PCD 00 01","card_present":true[^}]*"type":"cps"'; }

# cards_ready: waits until carnetd sees the CPS and has read the Vitale.
cards_ready() {
        until_ok cps_ready
        until_ok eval 'api GET /v1/vitale | grep -q "^200"'
}

# swap_cps CPS: takes the card out of slot 1, puts $CARNET_PKI/CPS.profile
# in, and waits until carnetd sees it.
swap_cps() {
        sim_stop 1
        wait_card 1 absent
        sim_start 1 "$CARNET_PKI/$1.profile"
        wait_card 1 present
        until_ok cps_ready
}

# lab_login: opens a professional session on the CPS in slot 1 (PIN 1234)
# and prints its token; fails the test when carnetd refuses.
lab_login() {
        local out
        out=$(api POST /v1/sessions '{"pin": "1234"}')
        [[ $out == 201* ]] || { echo "login: $out" >&2; return 1; }
        field token "$out"
}

# no_pin FILE: fails (exit 1, saying where) when the simulated cards' PIN,
# 1234, appears in FILE as a token of its own.  A word match, so that a
# session id or a hash that happens to hold the four digits (hex: "…a1234f…")
# is not taken for it; the PIN sent as "pin":"1234", pin=1234 or alone is.
no_pin() {
        if grep -qw 1234 "$1"; then
                echo "the PIN appears in $1:"
                grep -nw 1234 "$1" | sed 's/1234/<PIN>/g'
                exit 1
        fi
}
