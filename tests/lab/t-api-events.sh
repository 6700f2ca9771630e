#!/bin/bash
# Lab test: GET /v1/events as Server-Sent Events.  A curl -N stream sees a
# simulated card arrive and leave (card_inserted, card_removed, with ids);
# a client resuming with Last-Event-ID gets what came after that id and
# nothing before; an idle stream gets keep-alive comments; carnetctl
# events lists the queue and --follow prints events as they come; when
# carnetd stops, streams end cleanly (curl exits 0, carnetctl exits 3).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sock=$LAB_DIR/carnetd.sock
conf=$LAB_DIR/carnetd.conf
# until_ok SECONDS CMD...: retries CMD until it succeeds
# id_of FILE TYPE [N]: the id of the Nth (default 1st) TYPE event in FILE
id_of() { grep -A1 '^id: ' "$1" | paste - - - 2>/dev/null | grep "event: $2" | sed -n "${3:-1}p" | sed 's/^id: \([0-9]*\).*/\1/'; }

cat >"$conf" <<CONF
connection_timeout = 10
events_keepalive = 1
CONF
"$CARNET_BUILD/carnetd" -c "$conf" --socket "$sock" 2>"$LAB_DIR/carnetd.err" &
daemon=$!
until_ok -t 10 test -S "$sock"

# ---- a live stream sees a card arrive and leave
curl -sN -D "$LAB_DIR/sse.h" --unix-socket "$sock" http://localhost/v1/events >"$LAB_DIR/sse" &
stream=$!
"$CARNET_BUILD/carnetctl" --socket "$sock" --json events --follow --new >"$LAB_DIR/follow" 2>"$LAB_DIR/follow.err" &
follower=$!
until_ok -t 5 grep -q '^retry: ' "$LAB_DIR/sse"
sleep 0.3 # the carnetctl stream too
sim_start 0 tests/profiles/vitale-family.profile
until_ok -t 10 grep -q '^event: card_inserted' "$LAB_DIR/sse"
sim_cmd 0 remove
until_ok -t 10 grep -q '^event: card_removed' "$LAB_DIR/sse"
grep -qi '^Content-Type: text/event-stream' "$LAB_DIR/sse.h"
grep -A2 '^event: card_inserted' "$LAB_DIR/sse" |
        grep -q '^data: {"id":[0-9]*,"type":"card_inserted","reader":"Virtual PCD 00 00","detail":"vitale"'
ins=$(id_of "$LAB_DIR/sse" card_inserted)
rem=$(id_of "$LAB_DIR/sse" card_removed)
[ -n "$ins" ] && [ -n "$rem" ] && [ "$rem" -gt "$ins" ] || { echo "ids: inserted $ins removed $rem"; cat "$LAB_DIR/sse"; exit 1; }
echo "stream: card_inserted #$ins, card_removed #$rem"

# carnetctl --follow got the same two, one JSON object per line
until_ok -t 5 grep -q '"type":"card_removed"' "$LAB_DIR/follow"
grep -q "^{\"id\":$ins,\"type\":\"card_inserted\"" "$LAB_DIR/follow"

# ---- keep-alive comments on an idle stream (every second here)
sleep 2.5
n=$(grep -c '^: keep-alive' "$LAB_DIR/sse" || true)
[ "$n" -ge 1 ] || { echo "no keep-alive comment in 2.5 s"; exit 1; }
echo "keep-alive comments: $n"

# ---- resume: after $ins, the removal and what followed, not the insertion
sim_cmd 0 insert
two_insertions() { [ "$(grep -c '^event: card_inserted' "$LAB_DIR/sse")" -ge 2 ]; }
until_ok -t 10 two_insertions
curl -sN --max-time 2 -H "Last-Event-ID: $ins" --unix-socket "$sock" http://localhost/v1/events >"$LAB_DIR/resumed" || true
grep -q "^id: $rem$" "$LAB_DIR/resumed" || { echo "resume lost #$rem"; cat "$LAB_DIR/resumed"; exit 1; }
! grep -q "^id: $ins$" "$LAB_DIR/resumed" || { echo "resume repeated #$ins"; exit 1; }
ins2=$(id_of "$LAB_DIR/sse" card_inserted 2)
grep -q "^id: $ins2$" "$LAB_DIR/resumed"
# an id from before a restart: everything queued, missed count unknown
curl -sN --max-time 1 -H "Last-Event-ID: 999999" --unix-socket "$sock" http://localhost/v1/events >"$LAB_DIR/restarted" || true
grep -q '^data: {"type":"missed","count":null}' "$LAB_DIR/restarted"
grep -q "^id: $ins$" "$LAB_DIR/restarted"
echo "resume: ok"

# ---- the queue, without following
ctl events | grep -Eq "#$ins +card_inserted +Virtual PCD 00 00 +vitale" || { ctl events; exit 1; }
ctl events --after "$ins" >"$LAB_DIR/after"
! grep -q "#$ins " "$LAB_DIR/after" && grep -q "#$rem .*card_removed" "$LAB_DIR/after"
ctl --json events | grep -q '"last_id": '
echo "carnetctl events: ok"
# Accept's weights (RFC 9110 12.4.2): q=0 refuses the stream, or both (406)
out=$(curl -s --max-time 5 -H 'Accept: application/json, text/event-stream;q=0' --unix-socket "$sock" \
        http://localhost/v1/events)
[[ $out == '{"events":['* ]] || { echo "Accept refusing the stream: $out"; exit 1; }
out=$(curl -s --max-time 5 -w ' %{http_code}' -H 'Accept: application/json;q=0' --unix-socket "$sock" \
        http://localhost/v1/events)
[[ $out == '{"error":{"code":"not_acceptable"'*' 406' ]] || { echo "Accept refusing both: $out"; exit 1; }
echo "Accept weights: ok"

# ---- HEAD: the stream's headers and nothing after them (no chunk
# terminator), so that the connection is not left mis-framed: curl sees no
# excess, and a GET sent behind a HEAD on one connection meets no stray bytes
curl -sv --max-time 5 -I --unix-socket "$sock" http://localhost/v1/events >"$LAB_DIR/head.h" 2>"$LAB_DIR/head.v"
grep -q '^HTTP/1.1 200' "$LAB_DIR/head.h" && grep -qi '^Content-Type: text/event-stream' "$LAB_DIR/head.h" &&
        grep -qi '^Connection: close' "$LAB_DIR/head.h" &&
        ! grep -qi 'excess' "$LAB_DIR/head.v" || { echo "HEAD /v1/events"; cat "$LAB_DIR/head.v"; exit 1; }
out=$(printf 'HEAD /v1/events HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n' |
        python3 tests/lab/rawhttp.py --wait 5 "$sock")
# the HEAD's headers alone; the GET behind it, if answered, starts right after them
[[ ${out% } == 200 || $out == "200 HTTP/1.1 200 OK"* ]] || { echo "HEAD then GET on one connection: $out"; exit 1; }
echo "HEAD: the stream's headers only"

# ---- carnetd stops: every stream ends cleanly
kill "$daemon"
wait "$daemon"
rc=0; wait "$stream" || rc=$?
[ "$rc" = 0 ] || { echo "curl ended with $rc, expected a clean end of stream"; exit 1; }
grep -q '^: carnetd is stopping' "$LAB_DIR/sse"
rc=0; wait "$follower" || rc=$?
[ "$rc" = 3 ] && grep -q 'carnetd is stopping' "$LAB_DIR/follow.err" || { echo "carnetctl follow: rc $rc"; cat "$LAB_DIR/follow.err"; exit 1; }
echo "api events ok"
