#!/bin/bash
# bench/lib.sh: what the lab benchmarks (bench/run-http.sh, run-upload.sh,
# run-mixed.sh) share; sourced, from the top of the source tree, by both
# halves of each script: outside the lab (bench_prepare, bench_lab), then
# inside it (bench_carnetd, call, bench_dossier, raw_deposit, ...).
#
# Each script names itself in its messages ("run-http: ...") and its data
# folder (BUILD/bench-data/http.XXXXXX) after its file name.

# shellcheck source=tests/lab/lib.sh
. tests/lab/lib.sh

bench_name=$(basename "$0" .sh)
# the family's Carte Vitale (slot 0): the holder is index 0, a child index 1
bench_vitale=tests/profiles/vitale-family.profile

# ---- outside the lab -----------------------------------------------------------

# bench_prepare BUILD TOOL...: sets $build (made absolute) and checks that
# each TOOL is built in it; makes the test PKI in $pki (under /tmp), the
# folder of carnetd's database in $data (BUILD/bench-data, on disk, so that
# fsync costs what it costs) and names $out for the lab's output: all
# three removed when the script exits.
bench_prepare() {
        build=$1
        shift
        case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
        local f
        for f in "$@"; do
                [ -x "$build/$f" ] || { echo "$bench_name: $build/$f not built" >&2; exit 1; }
        done
        pki=$(mktemp -d /tmp/carnet-bench-pki.XXXXXX)
        mkdir -p "$build/bench-data"
        data=$(mktemp -d "$build/bench-data/${bench_name#run-}.XXXXXX")
        out=$data.out
        trap 'rm -rf "$pki" "$data" "$out"' EXIT
        sh tests/pki/mkpki.sh "$pki" >/dev/null 2>&1
}

# bench_expect REGEX MESSAGE: the lab's output ($out) has a line matching
# the extended regular expression REGEX, or the benchmark fails saying
# MESSAGE (the smoke run's checks).
bench_expect() {
        grep -Eq "$1" "$out" || { echo "$bench_name: $2" >&2; exit 1; }
}

# bench_lab ARG...: runs this script again in the lab (tests/lab/lab-run,
# the family's Vitale in slot 0, the CPS in slot 1) as
# "SCRIPT --in-lab PKI DATA ARG...": its output on stdout and in $out.
bench_lab() {
        CARNET_BUILD=$build tests/lab/lab-run --slot0 "$bench_vitale" --slot1 "$pki/cps-rsa.profile" \
                -- bash "$0" --in-lab "$pki" "$data" "$@" | tee "$out"
}

# ---- inside the lab ------------------------------------------------------------

# die MESSAGE: the benchmark fails, saying why on stderr, with the tail of
# carnetd's standard error and of each file named in $bench_logs (names
# or patterns, "$LAB_DIR/hostd-*.log").
die() {
        echo "$bench_name: $*" >&2
        local f
        # shellcheck disable=SC2086 # the patterns are expanded here
        for f in "$LAB_DIR/carnetd.err" ${bench_logs:-}; do
                [ ! -s "$f" ] || { echo "-- $f" >&2; tail -n 20 "$f" >&2; }
        done
        exit 1
}

# call METHOD PATH [CURL-ARGS...]: carnetd's answer body in $LAB_DIR/body,
# its HTTP status on stdout; with the session $token when there is one.
call() {
        local m=$1 p=$2
        shift 2
        curl -s -o "$LAB_DIR/body" -w '%{http_code}' --unix-socket "$sock" -X "$m" \
                ${token:+-H "X-Carnet-Session: $token"} "$@" "http://localhost$p"
}

# bench_carnetd PKI DATA: starts carnetd ($carnetd, on $sock) with a
# temporary configuration, its database in DATA, waits until it sees the
# CPS and has read the Vitale, and logs in with the CPS (PIN 1234): the
# session in $token, and as a header in $auth.
bench_carnetd() {
        sock=$LAB_DIR/carnetd.sock
        CARNET_PKI=$1
        carnetd_conf "workstation = bench-ws-1" "database = $2/carnet.db" "connections_per_uid = 64"
        carnetd_start >/dev/null || die "carnetd did not start"
        # shellcheck disable=SC2034 # for the scripts
        carnetd=$daemon
        until_ok cps_ready >/dev/null || die "no CPS seen"
        until_ok eval 'api GET /v1/vitale | grep -q "^200"' >/dev/null || die "no Vitale read"
        token=""
        local code
        code=$(call POST /v1/sessions -H 'Content-Type: application/json' --data-binary '{"pin": "1234"}')
        [ "$code" = 201 ] || die "login: $code $(cat "$LAB_DIR/body")"
        token=$(sed 's/.*"token":"\([0-9a-f]*\)".*/\1/' "$LAB_DIR/body")
        # shellcheck disable=SC2034 # for the scripts' http-load runs
        auth="X-Carnet-Session: $token"
}

# bench_dossier INDEX: opens the dossier of person INDEX of the Vitale
# (the patient's consent recorded); its INS in $ins.
bench_dossier() {
        local code
        code=$(call POST /v1/dossiers -H 'Content-Type: application/json' \
                --data-binary "{\"index\": $1, \"consent\": true}")
        [ "$code" = 201 ] || die "dossier: $code $(cat "$LAB_DIR/body")"
        ins=$(sed -n 's/.*"ins":"\([0-9]*\)".*/\1/p' "$LAB_DIR/body")
}

# raw_deposit INS FILE REPLY [CURL-ARGS...]: deposits FILE raw
# (application/pdf, the metadata $meta in X-Carnet-Document) in dossier
# INS; carnetd's answer in REPLY, its HTTP status on stdout (or what a -w
# among the curl arguments asks for instead).  Safe to run several at once.
raw_deposit() {
        local ins=$1 file=$2 reply=$3
        shift 3
        # shellcheck disable=SC2154 # $meta: set by each script
        curl -s -o "$reply" -w '%{http_code}' --unix-socket "$sock" -X POST -H "X-Carnet-Session: $token" \
                -H 'Content-Type: application/pdf' -H "X-Carnet-Document: $meta" --data-binary @"$file" \
                "$@" "http://localhost/v1/dossiers/$ins/documents"
}

# gen SEED BYTES: BYTES pseudo-random bytes, the same for the same SEED.
gen() { (openssl enc -aes-128-ctr -nosalt -pass "pass:bench-$1" -pbkdf2 -in /dev/zero 2>/dev/null || true) | head -c "$2"; }

# hwm PID: the peak resident memory (VmHWM) of PID in MiB, one decimal;
# the peak is reset with: echo 5 >/proc/PID/clear_refs
hwm() { awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# bench_machine: "N CPUs (model), Linux release", for the table's heading.
bench_machine() {
        echo "$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), Linux $(uname -r)"
}

# fs_of DIR: the type of the file system holding DIR (ext4, tmpfs...).
fs_of() { df -T "$1" | awk 'NR == 2 {print $2}'; }
