#!/bin/bash
# bench/run-http.sh BUILD [SECONDS]: carnetd's HTTP API against nginx on a
# Unix socket, side by side in one run (bench/http-load.c; figures in
# docs/benchmarks.md, "HTTP API").  Prints a Markdown table.
#
# In the lab (tests/lab/lab-run: a Vitale on slot 0, a CPS on slot 1) it
# starts carnetd with a temporary configuration and database, logs in with
# the CPS, creates a dossier and deposits documents (when carnetd has the
# document routes), saves carnetd's own answers as files, and starts nginx
# serving those files.  Then for each request (status, document list,
# document content of 100 KB, deposit of 100 KB) and 1 and 16 keep-alive
# connections, http-load runs SECONDS (default 5, after 1 s of warm-up)
# against carnetd, then at once against nginx.  About 2 minutes in all.
#
# nginx is installed when missing (Debian's nginx-light): at bench time
# only, or by 'make deps' for the smoke run.  carnetd's database goes to
# BUILD/bench-data (on disk, so that fsync costs what it costs) and is
# deleted afterwards.
#
# BENCH_SMOKE=1 (bench/run.sh --smoke, what 'make check' runs): 0.3 s runs
# without warm-up, then a check that the table has every request at 1 and
# 16 connections for both servers, with figures and no failed request.
set -euo pipefail

# ---- outside the lab ---------------------------------------------------------
if [ "${1:-}" != --in-lab ]; then
        build=${1:?usage: bench/run-http.sh BUILD [SECONDS]}
        secs=${2:-5}
        warm=1
        [ -z "${BENCH_SMOKE:-}" ] || { secs=0.3; warm=0; }
        case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
        for f in carnetd carnet-p11-helper carnet-cardsim lab/lab-pcsc bench/http-load; do
                [ -x "$build/$f" ] || { echo "run-http: $build/$f not built" >&2; exit 1; }
        done
        command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || sh tests/deps.sh nginx-light >&2

        pki=$(mktemp -d /tmp/carnet-bench-pki.XXXXXX)
        mkdir -p "$build/bench-data"
        data=$(mktemp -d "$build/bench-data/http.XXXXXX")
        out=$data.out
        trap 'rm -rf "$pki" "$data" "$out"' EXIT
        sh tests/pki/mkpki.sh "$pki" >/dev/null 2>&1
        CARNET_BUILD=$build tests/lab/lab-run --slot0 tests/profiles/vitale-family.profile \
                --slot1 "$pki/cps-rsa.profile" -- bash "$0" --in-lab "$pki" "$data" "$secs" "$warm" | tee "$out"
        [ -n "${BENCH_SMOKE:-}" ] || exit 0
        num='[0-9]+(\.[0-9]+)?'
        cell="$num \\| $num \\| $num \\| ([0-9]+|-)"
        for name in status list content deposit; do
                for conns in 1 16; do
                        grep -Eq "^\\| $name \\| $conns \\| $cell \\| $cell \\| $num \\|$" "$out" ||
                                { echo "run-http: no complete row for $name at $conns connections" >&2; exit 1; }
                done
        done
        exit 0
fi

# ---- inside the lab ------------------------------------------------------------
pki=$2 data=$3 secs=$4 warm=$5
# shellcheck source=tests/lab/lib.sh
. tests/lab/lib.sh
PATH=$PATH:/usr/sbin
load=$CARNET_BUILD/bench/http-load
sock=$LAB_DIR/carnetd.sock
ng=$LAB_DIR/nginx
www=$ng/www
res=$LAB_DIR/results
mkdir -p "$www" "$ng/tmp"
: >"$res"

die() {
        echo "run-http: $*" >&2
        [ ! -s "$LAB_DIR/carnetd.err" ] || tail -n 20 "$LAB_DIR/carnetd.err" >&2
        [ ! -s "$ng/error.log" ] || tail -n 20 "$ng/error.log" >&2
        exit 1
}

# call METHOD PATH [CURL-ARGS...]: carnetd's answer body in $LAB_DIR/body,
# its HTTP status on stdout.
call() {
        m=$1 p=$2
        shift 2
        curl -s -o "$LAB_DIR/body" -w '%{http_code}' --unix-socket "$sock" -X "$m" \
                ${token:+-H "X-Carnet-Session: $token"} "$@" "http://localhost$p"
}

# ---- carnetd -----------------------------------------------------------------
cat >"$LAB_DIR/carnetd.conf" <<CONF
socket = $sock
trust_anchors = $pki/ca-chain.pem
workstation = bench-ws-1
database = $data/carnet.db
connections_per_uid = 64
CONF
"$CARNET_BUILD/carnetd" --config "$LAB_DIR/carnetd.conf" 2>"$LAB_DIR/carnetd.err" &
carnetd=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || die "carnetd did not start"
for _ in $(seq 100); do
        call GET /v1/readers >/dev/null && grep -q '"type":"cps"' "$LAB_DIR/body" && break
        sleep 0.1
done
token=""
code=$(call POST /v1/sessions -H 'Content-Type: application/json' --data-binary '{"pin": "1234"}')
[ "$code" = 201 ] || die "login: $code $(cat "$LAB_DIR/body")"
token=$(sed 's/.*"token":"\([0-9a-f]*\)".*/\1/' "$LAB_DIR/body")
auth="X-Carnet-Session: $token"

# What each request is, one a line: NAME METHOD CARNETD-PATH NGINX-PATH
# BODY-FILE CONTENT-TYPE META-FILE ('-': none); META-FILE holds the
# X-Carnet-Document header of a raw deposit.  carnetd's answers are saved
# as nginx's static files.
code=$(call GET /v1/status)
[ "$code" = 200 ] || die "status: $code"
cp "$LAB_DIR/body" "$www/status.json"
echo "status GET /v1/status /status.json - - -" >"$LAB_DIR/requests"
nginx_locations=""

# Documents: a dossier for the Vitale holder, ten deposits of 100 KB (so
# that the list has ten entries, as a dossier has about ten in the dossier
# benchmark), then the list, one content and a deposit as requests.
if "$CARNET_BUILD/carnetd" --list-routes | grep -q '^POST /v1/dossiers/{ins}/documents$'; then
        code=$(call POST /v1/dossiers -H 'Content-Type: application/json' \
                --data-binary '{"index": 0, "consent": true}')
        [ "$code" = 201 ] || die "dossier: $code $(cat "$LAB_DIR/body")"
        ins=$(sed -n 's/.*"ins":"\([0-9]*\)".*/\1/p' "$LAB_DIR/body")
        head -c 102400 /dev/urandom >"$LAB_DIR/doc.bin"
        printf '%s' '{"type_code":"11488-4","class_code":"10","title":"Compte rendu de consultation"}' \
                >"$LAB_DIR/doc.meta"
        uid=""
        for _ in $(seq 10); do
                code=$(call POST "/v1/dossiers/$ins/documents" -H 'Content-Type: application/pdf' \
                        -H "X-Carnet-Document: $(cat "$LAB_DIR/doc.meta")" --data-binary @"$LAB_DIR/doc.bin")
                [ "$code" = 201 ] || die "deposit: $code $(cat "$LAB_DIR/body")"
                [ -n "$uid" ] || uid=$(sed -n 's/.*"uid":"\([^"]*\)".*/\1/p' "$LAB_DIR/body")
        done
        deposit_answer=$(cat "$LAB_DIR/body")
        case "$deposit_answer" in *"'"* | *'$'* | *\\*) die "deposit answer unfit for nginx's return: $deposit_answer" ;; esac
        code=$(call GET "/v1/dossiers/$ins/documents")
        [ "$code" = 200 ] || die "list: $code $(cat "$LAB_DIR/body")"
        cp "$LAB_DIR/body" "$www/list.json"
        code=$(call GET "/v1/dossiers/$ins/documents/$uid/content")
        [ "$code" = 200 ] || die "content: $code $(cat "$LAB_DIR/body")"
        cmp -s "$LAB_DIR/body" "$LAB_DIR/doc.bin" || die "content: not the deposited bytes"
        cp "$LAB_DIR/body" "$www/content.pdf"
        cat >>"$LAB_DIR/requests" <<REQ
list GET /v1/dossiers/$ins/documents /list.json - - -
content GET /v1/dossiers/$ins/documents/$uid/content /content.pdf - - -
deposit POST /v1/dossiers/$ins/documents /deposit $LAB_DIR/doc.bin application/pdf $LAB_DIR/doc.meta
REQ
        nginx_locations="
                location = /content.pdf { default_type application/pdf; }
                location = /deposit { default_type application/json; return 201 '$deposit_answer\\n'; }"
else
        echo "run-http: carnetd has no document routes yet: status only" >&2
fi

# ---- nginx -------------------------------------------------------------------
cat >"$ng/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 2;
pid $ng/nginx.pid;
error_log $ng/error.log warn;
events { worker_connections 1024; }
http {
        access_log off;
        sendfile on;
        tcp_nopush on;
        open_file_cache max=64;
        keepalive_timeout 65;
        keepalive_requests 100000000;
        client_max_body_size 20m;
        client_body_temp_path $ng/tmp/body;
        proxy_temp_path $ng/tmp/proxy;
        fastcgi_temp_path $ng/tmp/fastcgi;
        uwsgi_temp_path $ng/tmp/uwsgi;
        scgi_temp_path $ng/tmp/scgi;
        default_type application/json;
        server {
                listen unix:$ng/nginx.sock;
                root $www;
$nginx_locations
        }
}
CONF
nginx -e "$ng/error.log" -p "$ng" -c "$ng/nginx.conf" &
nginx=$!
for _ in $(seq 100); do [ -S "$ng/nginx.sock" ] && break; sleep 0.05; done
[ -S "$ng/nginx.sock" ] || die "nginx did not start"
sleep 0.2
nginx_pids="$nginx $(pgrep -P "$nginx" | tr '\n' ' ')"

# ---- the runs ------------------------------------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# run NAME CONNS SERVER SOCKET METHOD PATH BODY CTYPE META PIDS...: one
# http-load run, with the server's CPU time over the measured window.
run() {
        name=$1 conns=$2 server=$3 s=$4 m=$5 p=$6 b=$7 ctype=$8 meta=$9
        shift 9
        pids=""
        for pid in "$@"; do pids="$pids -P $pid"; done
        # shellcheck disable=SC2086
        out=$("$load" -c "$conns" -w "$warm" -d "$secs" -l "$name" $pids ${b:+-b "$b"} -H "$auth" \
                ${ctype:+-H "Content-Type: $ctype"} ${meta:+-H "X-Carnet-Document: $(cat "$meta")"} \
                "$s" "$m" "$p" 2>"$LAB_DIR/load.err") || true
        [ -n "$out" ] || die "http-load: $(cat "$LAB_DIR/load.err")"
        [ ! -s "$LAB_DIR/load.err" ] || sed "s/^/  $server $name $conns: /" "$LAB_DIR/load.err" >&2
        echo "server=$server $out" >>"$res"
}
while read -r name method cpath npath body ctype meta; do
        [ "$body" != - ] || body=""
        [ "$ctype" != - ] || ctype=""
        [ "$meta" != - ] || meta=""
        for conns in 1 16; do
                run "$name" "$conns" carnetd "$sock" "$method" "$cpath" "$body" "$ctype" "$meta" "$carnetd"
                # shellcheck disable=SC2086
                run "$name" "$conns" nginx "$ng/nginx.sock" "$method" "$npath" "$body" "$ctype" "$meta" \
                        $nginx_pids
        done
done <"$LAB_DIR/requests"

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
kill "$nginx" "$carnetd" 2>/dev/null || true
wait "$nginx" 2>/dev/null || true
wait "$carnetd" 2>/dev/null || true

# ---- the table -----------------------------------------------------------------
echo "## HTTP API: carnetd and nginx on a Unix socket, ${secs} s a run"
echo
echo "$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), Linux $(uname -r);" \
        "$(nginx -v 2>&1 | sed 's/.*: //'), libmicrohttpd $(dpkg-query -W -f='${Version}' libmicrohttpd12 2>/dev/null)," \
        "jansson $(dpkg-query -W -f='${Version}' libjansson4 2>/dev/null), SQLite $(sqlite3 --version | cut -d' ' -f1);" \
        "database on $(df -T "$data" | awk 'NR == 2 {print $2}'); load average $load_before before, $load_after after"
echo
awk '
function v(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
{
        key = v("label") " " v("conns")
        if (!(key in seen)) { seen[key] = 1; order[n++] = key }
        s = v("server")
        rps[key, s] = v("rps"); p50[key, s] = v("p50_ms"); p99[key, s] = v("p99_ms")
        ok = v("ok")
        cpu[key, s] = ok > 0 && v("server_cpu_ms") >= 0 ? sprintf("%.0f", v("server_cpu_ms") * 1000 / ok) : "-"
        bad[key, s] = v("non2xx") + v("errors")
}
function cell(key, s,   x) {
        x = rps[key, s]
        if (bad[key, s] > 0) x = x " (" bad[key, s] " failed)"
        return x " | " p50[key, s] " | " p99[key, s] " | " cpu[key, s]
}
END {
        print "| request | conns | carnetd req/s | p50 ms | p99 ms | CPU µs/req | nginx req/s | p50 ms | p99 ms | CPU µs/req | carnetd/nginx req/s |"
        print "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
        for (i = 0; i < n; i++) {
                k = order[i]; split(k, f, " ")
                r = rps[k, "nginx"] > 0 ? sprintf("%.2f", rps[k, "carnetd"] / rps[k, "nginx"]) : "-"
                print "| " f[1] " | " f[2] " | " cell(k, "carnetd") " | " cell(k, "nginx") " | " r " |"
        }
}' "$res"
echo
echo "Raw http-load lines:"
sed 's/^/    /' "$res"
