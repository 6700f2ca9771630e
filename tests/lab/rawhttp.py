#!/usr/bin/env python3
# tests/lab/rawhttp.py SOCKET: sends the bytes read on standard input to
# carnetd's socket as they are (no HTTP client in between), optionally in
# pieces (--trickle SECONDS between lines), and prints what came back:
# "STATUS BODY" for a reply, "closed" when carnetd closed without a reply,
# "timeout" when nothing came within --wait seconds.
import socket, sys, time, argparse
ap = argparse.ArgumentParser()
ap.add_argument("sock")
ap.add_argument("--trickle", type=float, default=0)
ap.add_argument("--wait", type=float, default=10)
ap.add_argument("--half-close", action="store_true")
a = ap.parse_args()
data = sys.stdin.buffer.read()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(a.sock)
s.settimeout(a.wait)
start = time.monotonic()
try:
    if a.trickle:
        for line in data.split(b"\n"):
            s.sendall(line + b"\n")
            time.sleep(a.trickle)
    else:
        s.sendall(data)
    if a.half_close:
        s.shutdown(socket.SHUT_WR)
except (BrokenPipeError, ConnectionResetError):
    pass
got = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
        if b"\r\n\r\n" in got:
            head, _, body = got.partition(b"\r\n\r\n")
            cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
            if cl and len(body) >= int(cl[0].split(b":")[1]):
                break
except socket.timeout:
    if not got:
        print("timeout %.1f" % (time.monotonic() - start)); sys.exit(0)
except ConnectionResetError:
    pass
if not got:
    print("closed %.1f" % (time.monotonic() - start)); sys.exit(0)
head, _, body = got.partition(b"\r\n\r\n")
status = head.split(b"\r\n")[0].split(b" ")[1].decode()
print(status, body.decode("utf-8", "replace").strip())
