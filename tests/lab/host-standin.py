#!/usr/bin/python3
"""tests/lab/host-standin.py: a stand-in for carnet-hostd, to test carnetd's
agent mode (docs/agent.md) without the real host.

  host-standin.py MODE PORT DIR

HTTPS on 127.0.0.1:PORT with DIR/server.pem, DIR/server.key, a client
certificate from DIR/ca.pem required.  MODE:
  ok       a host: challenges, sessions (the record's nonce must be a
           challenge it gave, its workstation the client's CN), and for the
           other paths an echo of what came (method, path, query, token,
           content type, JSON body, the headers the routes read, the names
           of every header); .../content answers bytes; a FHIR
           DocumentReference read answers with an ETag W/"2", 304 to an
           If-None-Match of it; a Binary read the same, with two Vary
           fields (Accept, Prefer), or with ?vary=long one too long to
           relay; a deposit
           (POST .../documents) is never answered; GET /v1/notifications
           answers JSON that is not JSON.  DIR/refuse present: sessions are
           refused.  Every request is logged to DIR/requests (one JSON a line),
           every token given to DIR/tokens.
  silent   completes the TLS handshake, then never answers
  garbage  answers bytes that are not HTTP
"""
import http.server
import json
import os
import secrets
import socket
import ssl
import sys
import threading
import time

MODE, PORT, DIR = sys.argv[1], int(sys.argv[2]), sys.argv[3]
challenges = set()
lock = threading.Lock()


def log(name, obj):
    with lock, open(os.path.join(DIR, name), "a") as f:
        f.write((json.dumps(obj) if not isinstance(obj, str) else obj) + "\n")


class Host(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, obj=None, raw=None, ctype="application/json", extra=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra.items() if isinstance(extra, dict) else extra or ()):
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def cn(self):
        for rdn in self.connection.getpeercert().get("subject", ()):
            for k, v in rdn:
                if k == "commonName":
                    return v
        return ""

    def handle_one(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            body = json.loads(raw) if raw and "json" in (self.headers.get("Content-Type") or "") else None
        except ValueError:
            body = None
        path, _, query = self.path.partition("?")
        seen = {"method": self.command, "path": path, "query": query,
                "token": self.headers.get("X-Carnet-Session"),
                "content_type": self.headers.get("Content-Type"),
                "document": self.headers.get("X-Carnet-Document"),
                "length": len(raw), "body": body,
                "if_none_match": self.headers.get_all("If-None-Match"),
                "if_modified_since": self.headers.get("If-Modified-Since"),
                "accept": self.headers.get_all("Accept"), "prefer": self.headers.get_all("Prefer"),
                "forwarded": self.headers.get_all("Forwarded"),
                "tokens": self.headers.get_all("X-Carnet-Session"),
                "names": sorted({k.lower() for k in self.headers.keys()})}
        log("requests", seen)
        self.route(seen, body, raw)

    def token(self):
        t = secrets.token_hex(32)
        log("tokens", t)
        return t

    def route(self, seen, body, raw):
        m, p = seen["method"], seen["path"]
        if os.path.exists(os.path.join(DIR, "forget")) and seen["token"]:
            # the host forgot the session (idle past its session_idle_s)
            return self.reply(401, {"error": {"code": "no_session", "message": "no live session for this token"}})
        if m == "POST" and p == "/v1/host/challenges":
            if os.path.exists(os.path.join(DIR, "refuse-workstation")):
                return self.reply(403, {"error": {"code": "workstation_refused", "message": "not ours"}})
            c = secrets.token_hex(32)
            with lock:
                challenges.add(c)
            return self.reply(201, {"challenge": c, "expires_in": 60})
        if m == "POST" and p == "/v1/host/sessions":
            return self.session(body)
        if m == "PUT" and p == "/v1/host/sessions/current/mode":
            if body and body.get("mode") == "call_centre":
                return self.reply(403, {"error": {"code": "call_centre_refused", "message": "no"}})
            return self.reply(200, {"mode": body.get("mode") if body else None})
        if m == "DELETE" and p == "/v1/host/sessions/current":
            return self.reply(200, {"closed": True})
        if m == "POST" and p == "/v1/patient-sessions":
            if body and body.get("secret") == "good":
                return self.reply(201, {"token": self.token(), "session": {"kind": "patient"}})
            return self.reply(403, {"error": {"code": "bad_secret", "message": "wrong secret"}})
        if m == "GET" and p.endswith("/content"):
            return self.reply(200, raw=b"hello content", ctype="text/plain",
                              extra={"X-Carnet-Warning": "stand-in warning"})
        if m == "GET" and p.startswith("/fhir/R4/DocumentReference/"):
            if self.headers.get("If-None-Match") == 'W/"2"':
                # Not Modified: the headers only (RFC 9110 15.4.5)
                self.send_response(304)
                self.send_header("ETag", 'W/"2"')
                self.end_headers()
                return
            return self.reply(200, {"resourceType": "DocumentReference", "meta": {"versionId": "2"}},
                              ctype="application/fhir+json",
                              extra={"ETag": 'W/"2"', "Last-Modified": "Tue, 14 Nov 2023 09:00:00 GMT"})
        if m == "GET" and p.startswith("/fhir/R4/Binary/"):
            if seen["query"] == "vary=long":
                vary = [("Vary", ", ".join("X-Field-%d" % i for i in range(12)))]
            else:
                vary = [("Vary", "Accept"), ("Vary", "Prefer")]
            if self.headers.get("If-None-Match") == 'W/"2"':
                self.send_response(304)
                self.send_header("ETag", 'W/"2"')
                for k, v in vary:
                    self.send_header(k, v)
                self.end_headers()
                return
            return self.reply(200, raw=b"binary bytes", ctype="text/plain", extra=[("ETag", 'W/"2"')] + vary)
        if m == "POST" and p.endswith("/documents"):
            time.sleep(60)  # the reply is lost
            return
        if m == "GET" and p == "/v1/notifications":
            return self.reply(200, raw=b"{not json")
        return self.reply(200, seen)

    def session(self, body):
        try:
            rec = json.loads(body["record"])
            nonce = rec["nonce"]
            import base64
            base64.b64decode(body["signature"], validate=True)
            base64.b64decode(body["certificate"], validate=True)
        except (KeyError, TypeError, ValueError):
            return self.reply(403, {"error": {"code": "session_refused", "message": "malformed",
                                              "details": {"reason": "malformed_record"}}})
        with lock:
            known = nonce in challenges
            challenges.discard(nonce)
        if not known or os.path.exists(os.path.join(DIR, "refuse")):
            return self.reply(403, {"error": {"code": "session_refused", "message": "refused",
                                              "details": {"reason": "bad_challenge"}}})
        if rec.get("workstation") != self.cn():
            return self.reply(403, {"error": {"code": "session_refused", "message": "refused",
                                              "details": {"reason": "workstation_mismatch"}}})
        return self.reply(201, {"token": self.token(), "session": {"id": rec["session_id"]}})

    def handle(self):
        if MODE == "silent":
            time.sleep(120)
            return
        if MODE == "garbage":
            self.connection.recv(4096)
            self.connection.sendall(b"garbage, not HTTP at all\r\n\r\n")
            return
        self.raw_requestline = self.rfile.readline(65537)
        while self.raw_requestline:
            if not self.parse_request():
                return
            self.handle_one()
            self.wfile.flush()
            self.raw_requestline = self.rfile.readline(65537)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def get_request(self):
        s, a = self.socket.accept()
        try:
            return ctx.wrap_socket(s, server_side=True), a
        except (ssl.SSLError, OSError):
            s.close()
            raise


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(DIR, "server.pem"), os.path.join(DIR, "server.key"))
ctx.load_verify_locations(os.path.join(DIR, "ca.pem"))
ctx.verify_mode = ssl.CERT_REQUIRED
srv = Server(("127.0.0.1", PORT), Host)
open(os.path.join(DIR, "ready"), "w").close()
srv.serve_forever()
