#!/usr/bin/env python3
"""carnetd from Python without the package: http.client on a Unix socket.
bare.py [SOCKET]"""
import http.client
import json
import socket
import sys


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)  # the host only fills "Host:"
        self.socket_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.socket_path)
        self.sock = s


conn = UnixHTTPConnection(sys.argv[1] if len(sys.argv) > 1 else "/run/carnet/carnetd.sock")  # keep-alive


def call(method, path, body=None, token=None):
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["X-Carnet-Session"] = token
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    doc = json.loads(resp.read() or b"null")
    if not 200 <= resp.status < 300:
        err = doc["error"]
        raise RuntimeError(resp.status, err["code"], err["message"], err.get("details"))
    return doc


for reader in call("GET", "/v1/status")["readers"]:
    print(reader["name"], reader["card_present"])
try:
    call("GET", "/v1/sessions/current")
except RuntimeError as e:
    print(*e.args[:2])                            # 401 no_session
