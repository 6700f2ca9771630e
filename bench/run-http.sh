#!/bin/bash
# bench/run-http.sh BUILD [SECONDS [ROUNDS]]: carnetd's HTTP API against
# nginx on a Unix socket, side by side in one run (bench/http-load.c;
# figures in docs/benchmarks.md, "HTTP API").  Prints a Markdown table.
#
# In the lab (tests/lab/lab-run: a Vitale on slot 0, a CPS on slot 1) it
# starts carnetd with a temporary configuration and database, logs in with
# the CPS, creates a dossier and deposits documents (when carnetd has the
# document routes), saves carnetd's own answers as files, and starts nginx
# serving those files.  Then for each request (status, document list,
# document content of 100 KB, deposit of 100 KB) and 1 and 16 keep-alive
# connections, http-load runs SECONDS (default 5, after 1 s of warm-up)
# against carnetd, then at once against nginx.  About 2 minutes in all.
# With ROUNDS (default 1) the whole sequence runs ROUNDS times, carnetd
# and nginx still alternating, and every figure of the tables is the
# median of its rounds (the fdatasync too, probed after each round): one
# run of a noisy machine moves by a third, the median of five far less.
#
# nginx is installed when missing (Debian's nginx-light): at bench time
# only, or by 'make deps' for the smoke run.  carnetd's database goes to
# BUILD/bench-data (on disk, so that fsync costs what it costs) and is
# deleted afterwards.
#
# BENCH_SMOKE=1 (bench/run.sh --smoke, what 'make check' runs): 0.3 s runs
# without warm-up, then a check that the table has every request at 1 and
# 16 connections for both servers, with figures and no failed request,
# and that the targets of issue 15 (below the table) are all evaluated.
#
# Targets (issue 15), evaluated from the same run: list and content at 16
# connections at least 0.8 x nginx's req/s, and at one connection a p50 at
# most 1.2 x (nginx's p50 + one fdatasync of the same disk: measured here,
# 4 KiB appended and synced 200 times in BUILD/bench-data, the median);
# deposit at 16 connections at least 0.5 x nginx's; carnetd's CPU per list
# at most 3 x nginx's; carnetd's peak RSS (VmHWM) at most 64 MiB.
set -euo pipefail

# ---- outside the lab ---------------------------------------------------------
if [ "${1:-}" != --in-lab ]; then
        . bench/lib.sh
        secs=${2:-5}
        rounds=${3:-1}
        warm=1
        case "$rounds" in '' | *[!0-9]* | 0*) echo "run-http: ROUNDS must be a whole number from 1" >&2; exit 2 ;; esac
        [ -z "${BENCH_SMOKE:-}" ] || { secs=0.3; warm=0; rounds=1; }
        bench_prepare "${1:?usage: bench/run-http.sh BUILD [SECONDS [ROUNDS]]}" \
                carnetd carnet-p11-helper carnet-cardsim lab/lab-pcsc bench/http-load
        command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || sh tests/deps.sh nginx-light >&2
        bench_lab "$secs" "$warm" "$rounds"
        [ -n "${BENCH_SMOKE:-}" ] || exit 0
        num='[0-9]+(\.[0-9]+)?'
        cell="$num \\| $num \\| $num \\| ([0-9]+|-)"
        for name in status list content deposit; do
                for conns in 1 16; do
                        grep -Eq "^\\| $name \\| $conns \\| $cell \\| $cell \\| $num \\|$" "$out" ||
                                { echo "run-http: no complete row for $name at $conns connections" >&2; exit 1; }
                done
        done
        targets=$(grep -Ec "^\\| [^|]+ \\| [^|]+ \\| $num [^ |]+ \\| $num [^ |]+ \\| (met|not met) \\|$" "$out" || true)
        [ "$targets" = 8 ] || { echo "run-http: $targets of 8 targets evaluated" >&2; exit 1; }
        exit 0
fi

# ---- inside the lab ------------------------------------------------------------
pki=$2 data=$3 secs=$4 warm=$5 rounds=$6
. bench/lib.sh
PATH=$PATH:/usr/sbin
load=$CARNET_BUILD/bench/http-load
ng=$LAB_DIR/nginx
www=$ng/www
res=$LAB_DIR/results
bench_logs=$ng/error.log
mkdir -p "$www" "$ng/tmp"
: >"$res"

# ---- carnetd -----------------------------------------------------------------
bench_carnetd "$pki" "$data"

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
        bench_dossier 0
        head -c 102400 /dev/urandom >"$LAB_DIR/doc.bin"
        meta='{"type_code":"11488-4","class_code":"10","title":"Compte rendu de consultation"}'
        printf '%s' "$meta" >"$LAB_DIR/doc.meta"
        uid=""
        for _ in $(seq 10); do
                code=$(raw_deposit "$ins" "$LAB_DIR/doc.bin" "$LAB_DIR/body")
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
        # the deposits go to another dossier (the first child's): the list
        # and the content of every round then see the same ten documents
        list_ins=$ins
        bench_dossier 1
        deposit_ins=$ins
        ins=$list_ins
        cat >>"$LAB_DIR/requests" <<REQ
list GET /v1/dossiers/$ins/documents /list.json - - -
content GET /v1/dossiers/$ins/documents/$uid/content /content.pdf - - -
deposit POST /v1/dossiers/$deposit_ins/documents /deposit $LAB_DIR/doc.bin application/pdf $LAB_DIR/doc.meta
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
# the peak of the load itself: the set-up's scrypt of the patient secret
# (about 32 MiB, once per dossier creation) is not part of it
setup_hwm_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$carnetd/status")
echo 5 >"/proc/$carnetd/clear_refs"
# run NAME CONNS SERVER SOCKET METHOD PATH BODY CTYPE META PIDS...: one
# http-load run, with the server's CPU time over the measured window.
run() {
        name=$1 conns=$2 server=$3 s=$4 m=$5 p=$6 b=$7 ctype=$8 meta=$9
        shift 9
        pids=""
        for pid in "$@"; do pids="$pids -P $pid"; done
        # BENCH_PERF=NAME:CONNS: a perf record of carnetd's run of it, to
        # BENCH_PERF_OUT (default BUILD/bench-data/carnetd.perf; a diagnosis, not a figure)
        if [ "${BENCH_PERF:-}" = "$name:$conns" ] && [ "$server" = carnetd ]; then
                perf ${BENCH_PERF_CMD:-record -q -F 999 ${BENCH_PERF_OPTS:--g}} -o "${BENCH_PERF_OUT:-$data/carnetd.perf}" -p "$1" -- \
                        sleep "$(awk -v w="$warm" -v s="$secs" 'BEGIN {print w + s}')" >/dev/null 2>&1 &
        fi
        # shellcheck disable=SC2086
        out=$("$load" -c "$conns" -w "$warm" -d "$secs" -l "$name" $pids ${b:+-b "$b"} -H "$auth" \
                ${ctype:+-H "Content-Type: $ctype"} ${meta:+-H "X-Carnet-Document: $(cat "$meta")"} \
                "$s" "$m" "$p" 2>"$LAB_DIR/load.err") || true
        [ -n "$out" ] || die "http-load: $(cat "$LAB_DIR/load.err")"
        [ ! -s "$LAB_DIR/load.err" ] || sed "s/^/  $server $name $conns: /" "$LAB_DIR/load.err" >&2
        echo "round=$round server=$server $out" >>"$res"
}
# one fdatasync of the same disk: 4 KiB appended and synced, 200 times;
# prints the median in ms
fsync_probe() {
        python3 - "$data" <<'PY'
import os, statistics, sys, time
path = os.path.join(sys.argv[1], "fsync-probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
block, times = os.urandom(4096), []
for _ in range(200):
    os.write(fd, block)
    t = time.monotonic()
    os.fdatasync(fd)
    times.append(time.monotonic() - t)
os.close(fd)
os.unlink(path)
print("%.3f" % (statistics.median(times) * 1000))
PY
}
fsyncs=""
for round in $(seq "$rounds"); do
        while read -r name method cpath npath body ctype meta; do
                # BENCH_ONLY="list content": those requests only (a diagnosis: the
                # targets of the others are "not run")
                case " ${BENCH_ONLY:-$name} " in *" $name "*) ;; *) continue ;; esac
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
        fsyncs="$fsyncs $(fsync_probe)"
done

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
hwm_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$carnetd/status")
# the median of a list of numbers (awk; mawk has no sort): median(v, n)
# of v[1..n], sorting v
awk_median='
function median(v, n,   i, j, x) {
        for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}'
# shellcheck disable=SC2086
fsync_ms=$(echo $fsyncs | awk "$awk_median"' { for (i = 1; i <= NF; i++) v[i] = $i; printf "%.3f", median(v, NF) }')
kill "$nginx" "$carnetd" 2>/dev/null || true
wait "$nginx" 2>/dev/null || true
wait "$carnetd" 2>/dev/null || true

# ---- the table -----------------------------------------------------------------
echo "## HTTP API: carnetd and nginx on a Unix socket, ${secs} s a run"
echo
echo "$(bench_machine);" \
        "$(nginx -v 2>&1 | sed 's/.*: //'), libmicrohttpd $(dpkg-query -W -f='${Version}' libmicrohttpd12 2>/dev/null)," \
        "jansson $(dpkg-query -W -f='${Version}' libjansson4 2>/dev/null), SQLite $(sqlite3 --version | cut -d' ' -f1);" \
        "database on $(fs_of "$data"); load average $load_before before, $load_after after"
echo
awk "$awk_median"'
function v(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
{
        key = v("label") " " v("conns")
        if (!(key in seen)) { seen[key] = 1; order[n++] = key }
        s = v("server")
        m = ++runs[key, s]
        rps[key, s, m] = v("rps") + 0; p50[key, s, m] = v("p50_ms") + 0; p99[key, s, m] = v("p99_ms") + 0
        ok = v("ok")
        cpu[key, s, m] = ok > 0 && v("server_cpu_ms") >= 0 ? v("server_cpu_ms") * 1000 / ok : -1
        bad[key, s] += v("non2xx") + v("errors")
}
# the median of figure f (rps, p50, p99, cpu) over the rounds of key and s
function med(f, key, s,   m, i, x) {
        m = runs[key, s]
        for (i = 1; i <= m; i++)
                x[i] = f == "rps" ? rps[key, s, i] : f == "p50" ? p50[key, s, i] : f == "p99" ? p99[key, s, i] : cpu[key, s, i]
        return median(x, m)
}
function cell(key, s,   x, c) {
        x = sprintf("%.0f", med("rps", key, s))
        if (bad[key, s] > 0) x = x " (" bad[key, s] " failed)"
        c = med("cpu", key, s)
        return x " | " sprintf("%.3f", med("p50", key, s)) " | " sprintf("%.3f", med("p99", key, s)) " | " \
                (c >= 0 ? sprintf("%.0f", c) : "-")
}
END {
        print "| request | conns | carnetd req/s | p50 ms | p99 ms | CPU µs/req | nginx req/s | p50 ms | p99 ms | CPU µs/req | carnetd/nginx req/s |"
        print "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
        for (i = 0; i < n; i++) {
                k = order[i]; split(k, f, " ")
                c = med("rps", k, "carnetd"); g = med("rps", k, "nginx")
                r = g > 0 ? sprintf("%.2f", c / g) : "-"
                print "| " f[1] " | " f[2] " | " cell(k, "carnetd") " | " cell(k, "nginx") " | " r " |"
        }
}' "$res"
echo
echo "carnetd's peak RSS (VmHWM) during the runs: $((hwm_kib / 1024)) MiB (during the set-up, with the scrypt of" \
        "the dossier's secret: $((setup_hwm_kib / 1024)) MiB); one fdatasync of this disk (median of 200): $fsync_ms ms"
[ "$rounds" = 1 ] || echo "Every figure above and below is the median of $rounds rounds (the fdatasync's: of the rounds' medians)."
echo
# ---- the targets (issue 15) -----------------------------------------------------
awk -v fsync="$fsync_ms" -v hwm="$hwm_kib" "$awk_median"'
function v(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
{
        key = v("label") " " v("conns") " " v("server")
        m = ++runs[key]
        r_rps[key, m] = v("rps") + 0; r_p50[key, m] = v("p50_ms") + 0
        r_cpu[key, m] = v("ok") > 0 ? v("server_cpu_ms") * 1000 / v("ok") : 0
}
# the medians over the rounds, by key
function medians(   i, x, y, z, kk) {
        for (kk in runs) {
                for (i = 1; i <= runs[kk]; i++) { x[i] = r_rps[kk, i]; y[i] = r_p50[kk, i]; z[i] = r_cpu[kk, i] }
                rps[kk] = median(x, runs[kk]); p50[kk] = median(y, runs[kk]); cpu[kk] = median(z, runs[kk])
        }
}
function row(what, target, got, need, ok, unit) {
        printf "| %s | %s | %.2f %s | %.2f %s | %s |\n", what, target, got, unit, need, unit, ok ? "met" : "not met"
}
# a target whose request was left out (BENCH_ONLY) is "not run", never "met"
function ran(name, conns, what, target) {
        if ((name " " conns " carnetd") in runs && (name " " conns " nginx") in runs)
                return 1
        printf "| %s | %s | - | - | not run |\n", what, target
        return 0
}
function ratio(name, conns, min,   c, n, what, target) {
        what = name ", " conns " connections"; target = ">= " min " x nginx req/s"
        if (!ran(name, conns, what, target))
                return
        c = rps[name " " conns " carnetd"]; n = rps[name " " conns " nginx"]
        row(what, target, n > 0 ? c / n : 0, min, n > 0 && c >= min * n, "x")
}
function latency(name,   c, bound, what, target) {
        what = name ", 1 connection"; target = "p50 <= 1.2 x (nginx p50 + one fsync)"
        if (!ran(name, 1, what, target))
                return
        c = p50[name " 1 carnetd"]; bound = 1.2 * (p50[name " 1 nginx"] + fsync)
        row(what, target, c, bound, c <= bound, "ms")
}
function cpu_row(conns,   c, n, what, target) {
        what = "list CPU, " conns " connection" (conns > 1 ? "s" : ""); target = "<= 3 x nginx µs/req"
        if (!ran("list", conns, what, target))
                return
        c = cpu["list " conns " carnetd"]; n = cpu["list " conns " nginx"]
        row(what, target, c, 3 * n, c <= 3 * n, "µs/req")
}
END {
        medians()
        print "| target | what | carnetd | bound | |"
        print "|---|---|--:|--:|---|"
        ratio("list", 16, 0.8); ratio("content", 16, 0.8)
        latency("list"); latency("content")
        ratio("deposit", 16, 0.5)
        cpu_row(1); cpu_row(16)
        row("carnetd peak RSS", "VmHWM <= 64 MiB", hwm / 1024, 64, hwm / 1024 <= 64, "MiB")
}' "$res"
echo
echo "Raw http-load lines:"
sed 's/^/    /' "$res"
