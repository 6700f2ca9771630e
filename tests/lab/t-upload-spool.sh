#!/bin/bash
# Lab test (issue 15, uploads streamed to the store): 16 raw deposits of
# 16 MiB (the largest content carnet takes) at once from one uid all get
# 201 and come back byte for byte, their sha256 in the metadata the
# content's; carnetd's peak resident memory (VmHWM) stays under 64 MiB
# meanwhile, since each body goes to an unlinked file of the spool folder
# (STATE/spool, 0700) and from there into the database in 64 KiB pieces.
# A chunked upload is spooled too.  A body cut short (the connection
# pulled), one past body_max (chunked: found out only once spooled),
# content over 16 MiB, a body past the disk budget (16 x body_max per uid)
# and a full spool disk get their clear answer and store nothing; no
# spool file is left open and the folder stays empty.  A spool_dir that
# cannot be used stops carnetd at start, naming it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sock=$LAB_DIR/carnetd.sock
state=$LAB_DIR/state
spool=$state/spool
mkdir -p "$state"
raw() { python3 tests/lab/rawhttp.py "$sock" "$@"; }
MiB=$((1024 * 1024))
meta='{"type_code":"11488-4","class_code":"10","title":"Compte rendu"}'
# gen I SIZE: SIZE pseudo-random bytes, different for each I
gen() { (openssl enc -aes-128-ctr -nosalt -pass "pass:upload-$1" -pbkdf2 -in /dev/zero 2>/dev/null || true) | head -c "$2"; }
# spool_open: the spool files carnetd holds open now
spool_open() { for f in /proc/$daemon/fd/*; do readlink "$f" || true; done | grep -c "^$spool/" || true; }
docs_count() { api GET "/v1/dossiers/$ins/documents?status=all" "" "$doctor" | grep -o '"count":[0-9]*' | cut -d: -f2; }
deposit() { # deposit I SIZE [CURL ARGS]: the raw deposit of gen I SIZE; prints "CODE BODY"
        local i=$1 n=$2
        shift 2
        gen "$i" "$n" | curl -s -o "$LAB_DIR/dep.$i" -w '%{http_code}' --unix-socket "$sock" -X POST \
                -H "X-Carnet-Session: $doctor" -H 'Content-Type: application/pdf' -H "X-Carnet-Document: $meta" \
                "$@" --data-binary @- "http://localhost/v1/dossiers/$ins/documents" >"$LAB_DIR/code.$i" || true
        echo "$(cat "$LAB_DIR/code.$i") $(cat "$LAB_DIR/dep.$i")"
}

lab_cards
carnetd_conf "database = $state/carnet.db" "connections_per_uid = 24"
carnetd_start
cards_ready
doctor=$(lab_login)
holder_dossier "$doctor"
[ "$(stat -c %a "$spool")" = 700 ] || { echo "spool folder mode $(stat -c %a "$spool"), not 700"; exit 1; }
echo "spool folder created 0700: ok"

# ---- 16 uploads of 16 MiB at once, one uid; carnetd's peak so far (the
# dossier's scrypt, 32 MiB for a moment) reset first (clear_refs 5)
size=$((16 * MiB))
echo 5 >"/proc/$daemon/clear_refs"
pids=()
for i in $(seq 16); do
        deposit "$i" "$size" >"$LAB_DIR/out.$i" &
        pids+=($!)
done
wait "${pids[@]}"
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$daemon/status")
for i in $(seq 16); do
        out=$(cat "$LAB_DIR/out.$i")
        [[ $out == 201* ]] || { echo "upload $i: ${out:0:300}"; exit 1; }
done
echo "16 concurrent uploads of 16 MiB: all 201"
echo "carnetd VmHWM after them: $((hwm / 1024)) MiB"
[ "$hwm" -le $((64 * 1024)) ] || { echo "VmHWM ${hwm} kB is over 64 MiB"; exit 1; }
declare -A wants
for i in $(seq 16); do
        uid=$(field uid "$(cat "$LAB_DIR/out.$i")")
        want=$(gen "$i" "$size" | sha256sum | cut -d' ' -f1)
        wants[$i]=$want
        got=$(curl -s --unix-socket "$sock" -H "X-Carnet-Session: $doctor" \
                "http://localhost/v1/dossiers/$ins/documents/$uid/content" | sha256sum | cut -d' ' -f1)
        [ "$got" = "$want" ] || { echo "upload $i: content read back differs"; exit 1; }
        m=$(api GET "/v1/dossiers/$ins/documents/$uid" "" "$doctor")
        [ "$(field sha256 "$m")" = "$want" ] || { echo "upload $i: stored sha256 $(field sha256 "$m"), not $want"; exit 1; }
done
echo "each content reads back byte for byte, with its sha256: ok"

# ---- 16 downloads of 16 MiB at once: streamed, never held whole
echo 5 >"/proc/$daemon/clear_refs"
pids=()
for i in $(seq 16); do
        uid=$(field uid "$(cat "$LAB_DIR/out.$i")")
        curl -s -D "$LAB_DIR/head.$i" -o "$LAB_DIR/down.$i" --unix-socket "$sock" -H "X-Carnet-Session: $doctor" \
                "http://localhost/v1/dossiers/$ins/documents/$uid/content" &
        pids+=($!)
done
wait "${pids[@]}"
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$daemon/status")
for i in $(seq 16); do
        grep -qi "^content-length: $size"$'\r'"\?$" "$LAB_DIR/head.$i" ||
                { echo "download $i: no Content-Length $size: $(cat "$LAB_DIR/head.$i")"; exit 1; }
        [ "$(sha256sum <"$LAB_DIR/down.$i" | cut -d' ' -f1)" = "${wants[$i]}" ] ||
                { echo "download $i: content differs"; exit 1; }
        rm -f "$LAB_DIR/down.$i"
done
echo "16 concurrent downloads of 16 MiB: intact, with their Content-Length"
echo "carnetd VmHWM after them: $((hwm / 1024)) MiB"
[ "$hwm" -le $((64 * 1024)) ] || { echo "VmHWM ${hwm} kB is over 64 MiB"; exit 1; }

# ---- a piece altered behind carnetd: the download is cut short of its
# Content-Length, and carnetd goes on
uid=$(field uid "$(cat "$LAB_DIR/out.16")")
python3 - "$state/carnet.db" "$uid" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
n = db.execute("UPDATE content_chunks SET data = zeroblob(length(data)) WHERE uid = ? AND seq = 1",
               (sys.argv[2],)).rowcount
db.commit()
assert n == 1, n
PY
rc=0
curl -s -o "$LAB_DIR/cut" --unix-socket "$sock" -H "X-Carnet-Session: $doctor" \
        "http://localhost/v1/dossiers/$ins/documents/$uid/content" || rc=$?
got=$(stat -c %s "$LAB_DIR/cut")
[ "$rc" = 18 ] && [ "$got" -lt "$size" ] ||
        { echo "altered content: curl exit $rc, $got bytes of $size (want 18: partial)"; exit 1; }
echo "an altered piece cuts the download short (curl 18, $got of $size bytes): ok"
check "carnetd still answers" "$(api GET "/v1/dossiers/$ins/documents/$(field uid "$(cat "$LAB_DIR/out.1")")" "" "$doctor")" '200 *'

# ---- a chunked upload (no Content-Length) is spooled as it comes
out=$(deposit 17 $((3 * MiB)) -H 'Transfer-Encoding: chunked')
check "chunked upload of 3 MiB" "$out" '201 *'
uid=$(field uid "$out")
got=$(curl -s --unix-socket "$sock" -H "X-Carnet-Session: $doctor" \
        "http://localhost/v1/dossiers/$ins/documents/$uid/content" | sha256sum | cut -d' ' -f1)
[ "$got" = "$(gen 17 $((3 * MiB)) | sha256sum | cut -d' ' -f1)" ] || { echo "chunked upload: content differs"; exit 1; }
echo "chunked upload reads back: ok"
# HEAD of a content read in pieces: its headers (the GET's Content-Length)
# and nothing after them, then a GET on the same connection reads it whole
curl -sv -I -H "X-Carnet-Session: $doctor" --unix-socket "$sock" "http://localhost/v1/dossiers/$ins/documents/$uid/content" \
        --next -s -H "X-Carnet-Session: $doctor" --unix-socket "$sock" -o "$LAB_DIR/again" \
        "http://localhost/v1/dossiers/$ins/documents/$uid/content" >"$LAB_DIR/head.h" 2>"$LAB_DIR/head.v"
grep -qi "^Content-Length: $((3 * MiB))" "$LAB_DIR/head.h" && ! grep -qi 'excess' "$LAB_DIR/head.v" &&
        [ "$(sha256sum <"$LAB_DIR/again" | cut -d' ' -f1)" = "$got" ] ||
        { echo "HEAD then GET of a streamed content"; cat "$LAB_DIR/head.v"; exit 1; }
echo "HEAD of a streamed content: headers only, then a GET on the connection: ok"
out=$(gen 24 $((2 * MiB)) | curl -s --unix-socket "$sock" -H "X-Carnet-Session: $doctor" -H 'Content-Type: application/pdf' \
        -H "X-Carnet-Document: $meta" --data-binary @- "http://localhost/v1/dossiers/$ins/documents/$uid/replace")
check "a new version, spooled" "$out" "{\"uid\":\"*\",\"replaces\":\"$uid\"*"
got=$(curl -s --unix-socket "$sock" -H "X-Carnet-Session: $doctor" \
        "http://localhost/v1/dossiers/$ins/documents/$(field uid "$out")/content" | sha256sum | cut -d' ' -f1)
[ "$got" = "$(gen 24 $((2 * MiB)) | sha256sum | cut -d' ' -f1)" ] || { echo "spooled replace: content differs"; exit 1; }

# ---- refusals: nothing stored, no spool file left
before=$(docs_count)
out=$(deposit 18 $((21 * MiB)) -H 'Transfer-Encoding: chunked')
check "chunked body past body_max (20 MiB)" "$out" '413 {"error":{"code":"too_large"*'
out=$(deposit 19 $((17 * MiB)))
check "content over 16 MiB" "$out" '413 {"error":{"code":"too_large"*'
# a body cut short: 4 MiB announced, 2 MiB sent, then the connection closed
{
        printf 'POST /v1/dossiers/%s/documents HTTP/1.1\r\nHost: x\r\nX-Carnet-Session: %s\r\n' "$ins" "$doctor"
        printf 'Content-Type: application/pdf\r\nX-Carnet-Document: %s\r\nContent-Length: %d\r\n\r\n' "$meta" $((4 * MiB))
        gen 20 $((2 * MiB))
} | raw --half-close --wait 5 >"$LAB_DIR/short.out" || true
check "a body cut short" "$(cat "$LAB_DIR/short.out")" 'closed*'
sleep 0.5
[ "$(docs_count)" = "$before" ] || { echo "refused uploads stored something: $before, now $(docs_count)"; exit 1; }
echo "refused and cut uploads stored nothing: ok"
[ "$(spool_open)" = 0 ] || { echo "carnetd still holds $(spool_open) spool file(s)"; exit 1; }
[ -z "$(ls -A "$spool")" ] || { echo "spool folder not empty: $(ls -A "$spool")"; exit 1; }
echo "no spool file open, spool folder empty: ok"
check "carnetd still answers" "$(api GET /v1/status)" '200 *'
kill "$daemon"
wait "$daemon" || true

# ---- the disk budget: body_max 2M, so 16 x 2M = 32M spooled per uid
carnetd_conf "database = $state/carnet.db" "connections_per_uid = 24" "body_max = 2M"
carnetd_start
until_ok cps_ready
doctor=$(lab_login)
cat >"$LAB_DIR/budget.py" <<'PY'
import socket, sys
sock, ins, token, meta = sys.argv[1:5]
n = 2 * 1024 * 1024 - 4096
head = ("POST /v1/dossiers/%s/documents HTTP/1.1\r\nHost: x\r\nX-Carnet-Session: %s\r\n"
        "Content-Type: application/pdf\r\nX-Carnet-Document: %s\r\nContent-Length: %d\r\n"
        "Expect: 100-continue\r\n\r\n" % (ins, token, meta, n)).encode()
held = []
for i in range(16):  # each takes its whole length of the disk budget at its headers: 100 Continue then
    s = socket.socket(socket.AF_UNIX); s.connect(sock); s.settimeout(10); s.sendall(head)
    assert s.recv(4096).startswith(b"HTTP/1.1 100"), "no 100 Continue"
    s.sendall(b"x" * 1024); held.append(s)
s = socket.socket(socket.AF_UNIX); s.connect(sock); s.settimeout(10); s.sendall(head)
got = b""
while b"}}" not in got:
    b = s.recv(4096)
    if not b: break
    got += b
print(got.split(b"\r\n\r\n", 1)[-1].decode().strip())
PY
out=$(python3 "$LAB_DIR/budget.py" "$sock" "$ins" "$doctor" "$meta")
check "past the disk budget of the uid" "$out" \
        '{"error":{"code":"server_busy","message":"uid 0 already has 33554432 bytes of request bodies spooled to disk*'
sleep 0.5
check "once they are gone, an upload goes in" "$(deposit 23 $((3 * MiB / 2)))" '201 *'
kill "$daemon"
wait "$daemon" || true

# ---- a full spool disk: 503 server_busy, nothing stored
mkdir -p "$LAB_DIR/tiny"
mount -t tmpfs -o size=2m,mode=0700 tmpfs "$LAB_DIR/tiny"
carnetd_conf "database = $state/carnet.db" "spool_dir = $LAB_DIR/tiny"
carnetd_start
until_ok cps_ready
doctor=$(lab_login)
before=$(docs_count)
out=$(deposit 21 $((4 * MiB)))
check "spool disk full" "$out" '503 {"error":{"code":"server_busy"*'
[ "$(docs_count)" = "$before" ] || { echo "a failed spool stored something"; exit 1; }
[ "$(spool_open)" = 0 ] && [ -z "$(ls -A "$LAB_DIR/tiny")" ] || { echo "spool file left after ENOSPC"; exit 1; }
out=$(deposit 22 $((MiB / 2)))
check "a small upload meanwhile (in memory)" "$out" '201 *'
kill "$daemon"
wait "$daemon" || true

# ---- a spool folder that cannot be used: carnetd does not start
carnetd_conf "database = $state/carnet.db" "spool_dir = /proc/self/nonexistent/spool"
if "$CARNET_BUILD/carnetd" --config "$LAB_DIR/carnetd.conf" 2>"$LAB_DIR/bad.err"; then
        echo "carnetd started with an unusable spool_dir"; exit 1
fi
grep -q 'spool_dir /proc/self/nonexistent/spool' "$LAB_DIR/bad.err" || { cat "$LAB_DIR/bad.err"; exit 1; }
echo "unusable spool_dir: carnetd refuses to start, naming it: ok"
echo "upload spool ok"
