#!/bin/bash
# bench/run-host.sh BUILD [SECONDS]: the dossier host (carnet-hostd on
# PostgreSQL) against carnetd's embedded SQLite engine, side by side in one
# run, as a clinical application sees them: bench/http-load on carnetd's
# Unix socket (figures in docs/benchmarks.md, "Dossier host: PostgreSQL
# against the embedded engine").  Prints Markdown tables.
#
# In the lab (tests/lab/lab-run: a Vitale on slot 0, a CPS on slot 1) it
# measures three set-ups, one after the other, with the same requests:
#   sqlite  carnetd alone, its embedded engine on a database file;
#   pg-1    carnetd as the agent of one carnet-hostd, on a private
#           PostgreSQL cluster (tests/pg-cluster.sh with PG_FSYNC=on);
#   pg-2    the same cluster, a new database, two carnet-hostd processes
#           on it, the agent listing both (it uses them in turn).
# For each: carnetd starts, logs in with the CPS, opens the Vitale
# holder's dossier with consent and deposits ten documents of 10 KB; then
# http-load runs SECONDS (default 5, after 1 s of warm-up) for the list
# (GET /v1/dossiers/{ins}/documents, audited) and then the deposit (raw
# form: 10 240 random bytes as application/pdf, the metadata in
# X-Carnet-Document) at 1, 4 and 16 connections.  The connections all go
# through the one agent (one CPS card opens one carnetd's session).  The
# CPU column is the whole stack's (carnetd, carnet-hostd, PostgreSQL)
# per request; the memory table is each process's VmHWM from /proc.
# Everything on disk goes to BUILD/bench-data (the SQLite file, the
# PostgreSQL cluster) and is deleted afterwards.  About 2 minutes.
#
# BENCH_SMOKE=1 (bench/run.sh --smoke, what 'make check' runs): 0.3 s runs
# without warm-up, then a check that every set-up has every request at 1,
# 4 and 16 connections with figures and no failed request, and a peak
# memory for each process.
set -euo pipefail
setups="sqlite pg-1 pg-2"
requests="list deposit"
conns_list="1 4 16"

# ---- outside the lab ---------------------------------------------------------
if [ "${1:-}" != --in-lab ]; then
        build=${1:?usage: bench/run-host.sh BUILD [SECONDS]}
        secs=${2:-5}
        warm=1
        [ -z "${BENCH_SMOKE:-}" ] || { secs=0.3; warm=0; }
        case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
        for f in carnetd carnet-hostd carnet-cardsim lab/lab-pcsc bench/http-load; do
                [ -x "$build/$f" ] || { echo "run-host: $build/$f not built" >&2; exit 1; }
        done
        # the cards' PKI, the SQLite file and the cluster: one folder on disk,
        # which the cluster's owner (nobody) must be able to go through
        mkdir -p "$build/bench-data"
        data=$(mktemp -d "$build/bench-data/host.XXXXXX")
        chmod 0755 "$data"
        trap 'rm -rf "$data" "$data.out"' EXIT
        sh tests/pki/mkpki.sh "$data/pki" >/dev/null 2>&1
        CARNET_BUILD=$build tests/lab/lab-run --slot0 tests/profiles/vitale-family.profile --slot1 "$data/pki/cps-rsa.profile" \
                -- bash "$0" --in-lab "$data/pki" "$data" "$secs" "$warm" | tee "$data.out"
        [ -n "${BENCH_SMOKE:-}" ] || exit 0
        out=$data.out
        num='[0-9]+(\.[0-9]+)?'
        for s in $setups; do
                for name in $requests; do
                        for conns in $conns_list; do
                                grep -Eq "^\\| $name \\| $conns \\| $s \\| $num \\| $num \\| $num \\| $num \\| 0 \\| ($num|-) \\| ($num|-) \\| ($num|-) \\|$" "$out" ||
                                        { echo "run-host: no complete row for $name at $conns connections on $s" >&2; exit 1; }
                        done
                done
        done
        for p in "sqlite carnetd" "pg-1 carnetd" "pg-1 carnet-hostd-1" "pg-2 carnet-hostd-1" "pg-2 carnet-hostd-2"; do
                grep -Eq "^\\| ${p% *} \\| ${p#* } \\| $num \\|$" "$out" ||
                        { echo "run-host: no peak memory for ${p#* } on ${p% *}" >&2; exit 1; }
        done
        exit 0
fi

# ---- inside the lab ------------------------------------------------------------
pki=$2 data=$3 secs=$4 warm=$5
. bench/lib.sh
# shellcheck source=tests/lab/host-pki.sh
. tests/lab/host-pki.sh
top=$(pwd)
load=$CARNET_BUILD/bench/http-load
sock=$LAB_DIR/carnetd.sock
res=$LAB_DIR/results
mem=$LAB_DIR/memory
pgdir=$data/pg
hpki=$LAB_DIR/host-pki
: >"$res"
: >"$mem"
trap '"$top/tests/pg-cluster.sh" stop "$pgdir" >/dev/null 2>&1 || true' EXIT

bench_logs="$LAB_DIR/hostd-*.log"

head -c 10240 /dev/urandom >"$LAB_DIR/doc.bin"
printf '%s' '{"type_code":"11488-4","class_code":"10","title":"Compte rendu de consultation"}' >"$LAB_DIR/doc.meta"
meta=$(cat "$LAB_DIR/doc.meta")

# ---- the host's side: PostgreSQL, carnet-hostd ------------------------------
host_pki "$hpki"
db=""
hostd_pids=()
hostd_start() { # hostd_start N PORT
        printf '%s\n' "listen = 127.0.0.1:$2" "database = $db" "trust_path = $pki/ca-chain.pem" \
                "tls_cert = $hpki/server.pem" "tls_key = $hpki/server.key" "tls_client_ca = $hpki/ca.pem" \
                "rights_table = $top/data/rights.tsv" "interactions_table = $top/data/interactions.tsv" \
                >"$LAB_DIR/hostd-$1.conf"
        "$CARNET_BUILD/carnet-hostd" -c "$LAB_DIR/hostd-$1.conf" 2>>"$LAB_DIR/hostd-$1.log" &
        hostd_pids[$1]=$!
        until_ok curl -s -o /dev/null --cacert "$hpki/ca.pem" "https://127.0.0.1:$2/v1/status" ||
                die "carnet-hostd $1 did not start"
}
hostd_stop() {
        kill "${hostd_pids[@]}" 2>/dev/null || true
        wait "${hostd_pids[@]}" 2>/dev/null || true
        hostd_pids=()
}

# ---- carnetd, logged in, with a dossier of ten documents --------------------
carnetd_start() { # carnetd_start SETUP
        {
                echo "socket = $sock"
                echo "trust_anchors = $pki/ca-chain.pem"
                echo "workstation = ws-a"
                echo "connections_per_uid = 64"
                echo "rights_table = $top/data/rights.tsv"
                echo "interactions_table = $top/data/interactions.tsv"
                case $1 in
                sqlite) echo "database = $data/carnet.db" ;;
                pg-1) echo "dossier_host = https://127.0.0.1:18543" ;;
                pg-2) echo "dossier_host = https://127.0.0.1:18543 https://127.0.0.1:18544" ;;
                esac
                case $1 in pg-*)
                        echo "host_cert = $hpki/ws-a.pem"
                        echo "host_key = $hpki/ws-a.key"
                        echo "host_ca = $hpki/ca.pem"
                        ;;
                esac
        } >"$LAB_DIR/carnetd.conf"
        : >"$LAB_DIR/carnetd.err"
        "$CARNET_BUILD/carnetd" --config "$LAB_DIR/carnetd.conf" 2>"$LAB_DIR/carnetd.err" &
        carnetd=$!
        until_ok test -S "$sock" || die "carnetd did not start"
        token=""
        # shellcheck disable=SC2016 # for eval
        until_ok eval 'call GET /v1/readers >/dev/null && grep -q "\"type\":\"cps\"" "$LAB_DIR/body"' ||
                die "carnetd sees no CPS"
        local code
        code=$(call POST /v1/sessions -H 'Content-Type: application/json' --data-binary '{"pin": "1234"}')
        [ "$code" = 201 ] || die "login ($1): $code $(cat "$LAB_DIR/body")"
        token=$(sed 's/.*"token":"\([0-9a-f]*\)".*/\1/' "$LAB_DIR/body")
        # the Vitale holder's dossier, on a new store, and ten documents
        code=$(call POST /v1/dossiers -H 'Content-Type: application/json' --data-binary '{"index": 0, "consent": true}')
        [ "$code" = 201 ] || die "dossier ($1): $code $(cat "$LAB_DIR/body")"
        ins=$(sed -n 's/.*"ins":"\([0-9]*\)".*/\1/p' "$LAB_DIR/body")
        for _ in $(seq 10); do
                code=$(call POST "/v1/dossiers/$ins/documents" -H 'Content-Type: application/pdf' \
                        -H "X-Carnet-Document: $meta" --data-binary @"$LAB_DIR/doc.bin")
                [ "$code" = 201 ] || die "deposit ($1): $code $(cat "$LAB_DIR/body")"
        done
}

carnetd_stop() {
        kill "$carnetd" 2>/dev/null || true
        wait "$carnetd" 2>/dev/null || true
        rm -f "$sock"
}

# ticks PID...: the processes' user + system CPU time, in clock ticks.
ticks() {
        local pid t=0 f
        for pid in "$@"; do
                f=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
                # shellcheck disable=SC2086 # the fields, split
                set -- $f
                t=$((t + ${12} + ${13}))
        done
        echo "$t"
}
hz=$(getconf CLK_TCK)

# run SETUP NAME CONNS: one http-load run against carnetd (after its
# warm-up, a run of its own), with the CPU time of the whole stack over
# the measured window (http-load -P), and of each part (agent: carnetd,
# host: carnet-hostd, pg: PostgreSQL's processes) from /proc around it.
run() {
        local setup=$1 name=$2 conns=$3 p pids="" out m=GET
        local args=(-c "$conns" -l "$name" -H "X-Carnet-Session: $token")
        [ "$name" = list ] || {
                m=POST
                args+=(-b "$LAB_DIR/doc.bin" -H 'Content-Type: application/pdf' -H "X-Carnet-Document: $meta")
        }
        for p in $carnetd ${hostd_pids[@]+"${hostd_pids[@]}"} $pgpids; do pids="$pids -P $p"; done
        [ "$warm" = 0 ] || "$load" "${args[@]}" -d "$warm" "$sock" "$m" "/v1/dossiers/$ins/documents" >/dev/null 2>&1 || true
        local a0 h0 g0
        # shellcheck disable=SC2086 # $pgpids: a list
        a0=$(ticks "$carnetd") h0=$(ticks ${hostd_pids[@]+"${hostd_pids[@]}"}) g0=$(ticks $pgpids)
        # shellcheck disable=SC2086
        out=$("$load" "${args[@]}" -d "$secs" $pids "$sock" "$m" "/v1/dossiers/$ins/documents" 2>"$LAB_DIR/load.err") || true
        [ -n "$out" ] || die "http-load: $(cat "$LAB_DIR/load.err")"
        [ ! -s "$LAB_DIR/load.err" ] || sed "s/^/  $setup $name $conns: /" "$LAB_DIR/load.err" >&2
        # shellcheck disable=SC2086
        echo "setup=$setup $out agent_ticks=$(($(ticks "$carnetd") - a0))" \
                "host_ticks=$(($(ticks ${hostd_pids[@]+"${hostd_pids[@]}"}) - h0)) pg_ticks=$(($(ticks $pgpids) - g0)) hz=$hz" >>"$res"
}

# measure SETUP: every request at every connection count, then the peaks.
measure() {
        local setup=$1 name conns i pm
        carnetd_start "$setup"
        pgpids=""
        [ "$setup" = sqlite ] || {
                pm=$(head -n 1 "$pgdir/data/postmaster.pid")
                pgpids="$pm $(pgrep -P "$pm" | tr '\n' ' ')"
        }
        for name in $requests; do
                for conns in $conns_list; do run "$setup" "$name" "$conns"; done
        done
        echo "$setup carnetd $(hwm "$carnetd")" >>"$mem"
        for i in "${!hostd_pids[@]}"; do
                echo "$setup carnet-hostd-$i $(hwm "${hostd_pids[$i]}")" >>"$mem"
        done
        carnetd_stop
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
measure sqlite
# pg-1 and pg-2 each on a new database of one cluster, with fsync on
db=$(PG_FSYNC=on "$top/tests/pg-cluster.sh" start "$pgdir")
psql "$db" -XAtq -v ON_ERROR_STOP=1 -c "CREATE DATABASE carnet2 TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'"
[ "$(psql "$db" -XAtq -c 'SHOW fsync')" = on ] || die "PostgreSQL runs with fsync off"
hostd_start 1 18543
measure pg-1
pg_docs="$(psql "$db" -XAtq -c "SELECT count(*) FROM documents") (pg-1)"
hostd_stop
db=${db/dbname=carnet/dbname=carnet2}
hostd_start 1 18543
hostd_start 2 18544
measure pg-2
pg_docs="$pg_docs, $(psql "$db" -XAtq -c "SELECT count(*) FROM documents") (pg-2)"
hostd_stop
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the tables ----------------------------------------------------------------
echo "## Dossier host: PostgreSQL against the embedded engine, ${secs} s a run"
echo
echo "$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), Linux $(uname -r);" \
        "SQLite $(sqlite3 --version | cut -d' ' -f1), PostgreSQL $(psql --version | awk '{print $3}'), fsync on;" \
        "databases on $(df -T "$data" | awk 'NR == 2 {print $2 " (" $1 ")"}');" \
        "load average $load_before before, $load_after after; documents on the host at the end: $pg_docs"
echo
awk '
function v(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
# per(TICKS, PART): µs of CPU per request; the host and PostgreSQL are
# not there with the embedded engine
function per(t, part,   ok) {
        ok = v("ok")
        return ok > 0 && (v("setup") != "sqlite" || part == "agent") ? sprintf("%.0f", t * 1e6 / v("hz") / ok) : "-"
}
BEGIN {
        print "| request | conns | setup | req/s | p50 ms | p99 ms | stack CPU µs/req | failed | agent µs/req | host µs/req | PostgreSQL µs/req |"
        print "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|"
}
{
        ok = v("ok")
        cpu = ok > 0 && v("server_cpu_ms") >= 0 ? sprintf("%.0f", v("server_cpu_ms") * 1000 / ok) : "-"
        print "| " v("label") " | " v("conns") " | " v("setup") " | " v("rps") " | " v("p50_ms") " | " v("p99_ms") \
                " | " cpu " | " v("non2xx") + v("errors") " | " per(v("agent_ticks"), "agent") " | " per(v("host_ticks")) \
                " | " per(v("pg_ticks")) " |"
}' "$res"
echo
echo "| setup | process | VmHWM MiB |"
echo "|---|---|--:|"
awk '{print "| " $1 " | " $2 " | " $3 " |"}' "$mem"
echo
echo "Raw http-load lines:"
sed 's/^/    /' "$res"
