#!/bin/bash
# Lab test (issue 14, resource bounds): a request must arrive whole within
# the total-request limit (2 x connection_timeout): a client trickling one
# header line a second, never idle long enough for the idle timeout, gets
# 408 request_timeout and the connection is shut; a slow request within
# the limit is served.  Request bodies in flight have a budget, per uid (2
# x body_max) and in all (3 x body_max): past either, 503 server_busy, and
# once the held bodies are done, the same request is served.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sock=$LAB_DIR/carnetd.sock
users_gid=$(getent group users | cut -d: -f3)
[ -n "$users_gid" ] || { echo "the lab needs a group 'users'"; exit 1; }
raw() { python3 tests/lab/rawhttp.py "$sock" "$@"; }

# ---- the total-request limit: connection_timeout 2 s, so 4 s in all
carnetd_conf "connection_timeout = 2"
carnetd_start
start=$(date +%s)
out=$(printf 'GET /v1/status HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\nF: 1\r\nG: 1\r\nH: 1\r\nI: 1\r\nJ: 1\r\n\r\n' |
        raw --trickle 1 --wait 20)
took=$(($(date +%s) - start))
[[ $out == '408 {"error":{"code":"request_timeout",'* ]] || { echo "trickled headers: $out (after $took s)"; exit 1; }
[ "$took" -le 9 ] || { echo "cut only after $took s"; exit 1; }
echo "headers trickled one line a second: 408 after $took s"
out=$(printf 'GET /v1/status HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 1\r\n\r\n' | raw --trickle 0.5)
[[ $out == 200* ]] || { echo "a slow request within the limit: $out"; exit 1; }
echo "a slow request within the limit: 200"
grep -q 'request-timeout' "$LAB_DIR/carnetd.err" || { echo "the cut is not logged"; exit 1; }
kill "$daemon"; wait "$daemon" || true

# ---- body budgets: body_max 64K, so 128K per uid, 192K in all
carnetd_conf "body_max = 64K" "connection_timeout = 30" "allowed_groups = users" "socket_mode = 0666"
carnetd_start
cat >"$LAB_DIR/budget.py" <<'PY'
import os, socket, sys, json
sock, users_gid = sys.argv[1], int(sys.argv[2])
body = b'{"nir":"' + b"1" * 59980 + b'"}'
head = b"POST /v1/nir/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)

def connect(nobody=False):
    if nobody:  # SO_PEERCRED records the effective ids and groups at connect()
        os.setgroups([users_gid]); os.setegid(65534); os.seteuid(65534)
    s = socket.socket(socket.AF_UNIX); s.connect(sock)
    if nobody:
        os.seteuid(0); os.setegid(0); os.setgroups([0])
    s.settimeout(10)
    return s

def reply(s):
    got = b""
    while b"\r\n\r\n" not in got or len(got.partition(b"\r\n\r\n")[2]) < int(
            [l for l in got.partition(b"\r\n\r\n")[0].split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1]):
        b = s.recv(65536)
        if not b: break
        got += b
    h, _, b = got.partition(b"\r\n\r\n")
    return int(h.split(b" ")[1]), json.loads(b)

def hold(nobody=False):  # all but the last byte: the whole buffer is held
    s = connect(nobody); s.sendall(head + body[:-1]); return s

def check(what, got, status, code):
    ok = got[0] == status and (code is None or got[1].get("error", {}).get("code") == code)
    print(f"{what}: {got[0]} {json.dumps(got[1])[:160]}")
    if not ok: sys.exit(f"{what}: expected {status} {code}")

import time
a, b = hold(), hold()
time.sleep(0.5)
c = connect(); c.sendall(head + body)
check("root's third body (uid budget)", reply(c), 503, "server_busy")
n1 = hold(nobody=True)
time.sleep(0.5)
n2 = connect(nobody=True); n2.sendall(head + body)
check("nobody's second body (total budget)", reply(n2), 503, "server_busy")
for s in (a, b, n1):
    s.sendall(body[-1:]); check("a held body, finished", reply(s), 200, None)
d = connect(); d.sendall(head + body)
check("root's body once the others are done", reply(d), 200, None)
PY
python3 "$LAB_DIR/budget.py" "$sock" "$users_gid"
kill "$daemon"; wait "$daemon" || true
echo "total-request limit and body budgets hold"
