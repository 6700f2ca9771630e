"""carnet_client: a small client for carnetd's API, Python 3 standard library only.

carnetd speaks HTTP/1.1 with JSON bodies on a Unix stream socket.  The
standard library's http.client talks HTTP over TCP; the one thing to change
is how the connection is made, so UnixHTTPConnection overrides connect()
and everything else (keep-alive, chunked replies, headers) is http.client's.

    from carnet_client import Carnet, CarnetError
    api = Carnet("/run/carnet/carnetd.sock")
    print(api.get("/v1/status"))
    s = api.login("1234")              # the token is kept for later calls
    try:
        api.get("/v1/dossiers/280057512345674")
    except CarnetError as e:           # every error has the same shape
        print(e.status, e.code, e.message, e.details)

The package lives in clients/python (pip install ./clients/python);
docs/clients.md explains the API from Python, Node and curl.
"""

__version__ = "0.1.0"

import base64
import http.client
import json
import socket
import urllib.parse

DEFAULT_SOCKET = "/run/carnet/carnetd.sock"
SESSION_HEADER = "X-Carnet-Session"


class UnixHTTPConnection(http.client.HTTPConnection):
    """An http.client connection whose transport is a Unix stream socket.

    The host name only fills the Host header; carnetd ignores it."""

    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.settimeout(self.timeout)
            s.connect(self.socket_path)
        except OSError:
            s.close()
            raise
        self.sock = s


class CarnetError(Exception):
    """carnetd's error reply: {"error": {"code", "message", "details"}}."""

    def __init__(self, status, code, message, details=None):
        super().__init__("%s (%s, HTTP %d)" % (message, code, status))
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


class Reply:
    """A reply that is not JSON: a document's content and its headers."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def content_type(self):
        return self.headers.get("Content-Type", "")


def quote(segment):
    """One path segment, percent-encoded (reader names have spaces)."""
    return urllib.parse.quote(str(segment), safe="")


class Carnet:
    """carnetd's API on one keep-alive connection (reopened when carnetd
    closes it).  token: the session token sent on every call, set by
    login() / patient_login() or given."""

    def __init__(self, path=DEFAULT_SOCKET, token=None, timeout=30):
        self.path = path
        self.token = token
        self.timeout = timeout
        self._conn = None

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the one place requests are made --------------------------------

    def request(self, method, path, body=None, query=None, headers=None, raw=False, token=None):
        """Sends one request and returns the parsed JSON reply (or a Reply
        when raw).  body: a dict (sent as JSON) or bytes (sent as is, give
        its Content-Type in headers).  Raises CarnetError for any reply
        that is not 2xx, OSError when carnetd cannot be reached."""
        if query:
            path += "?" + urllib.parse.urlencode(query)
        h = {"Accept": "application/json"}
        tok = token if token is not None else self.token
        if tok:
            h[SESSION_HEADER] = tok
        data = None
        if isinstance(body, (bytes, bytearray)):
            data = bytes(body)
            h["Content-Type"] = "application/octet-stream"
        elif body is not None:
            data = json.dumps(body).encode("utf-8")
            h["Content-Type"] = "application/json"
        if headers:
            h.update(headers)
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = UnixHTTPConnection(self.path, self.timeout)
            try:
                self._conn.request(method, path, body=data, headers=h)
                resp = self._conn.getresponse()
                payload = resp.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # carnetd closed an idle keep-alive connection: once more on a new one
                self.close()
                if attempt:
                    raise
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        ctype = resp.getheader("Content-Type", "")
        if not 200 <= resp.status < 300:
            try:
                err = json.loads(payload)["error"]
            except (ValueError, KeyError, TypeError):
                raise CarnetError(resp.status, "http_%d" % resp.status, payload[:200].decode("utf-8", "replace"))
            raise CarnetError(resp.status, err.get("code", "?"), err.get("message", ""), err.get("details"))
        if raw:
            return Reply(resp.status, dict(resp.getheaders()), payload)
        if not ctype.startswith("application/json"):
            return Reply(resp.status, dict(resp.getheaders()), payload)
        return json.loads(payload) if payload else None

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body if body is not None else {}, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body=body if body is not None else {}, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # -- sessions ---------------------------------------------------------

    def login(self, pin, reader=None):
        """Opens a professional session on the CPS card; keeps its token."""
        body = {"pin": pin}
        if reader:
            body["reader"] = reader
        r = self.post("/v1/sessions", body)
        self.token = r["token"]
        return r["session"]

    def session(self):
        return self.get("/v1/sessions/current")

    def logout(self):
        s = self.session()
        r = self.delete("/v1/sessions/" + quote(s["id"]))
        self.token = None
        return r

    def patient_login(self, secret, index=None, nir=None, reader=None):
        """Opens the patient's own session: their Carte Vitale must be in a
        reader (index or nir names them on it; default the holder) and
        secret is the one printed when the dossier was opened."""
        body = {"secret": secret}
        if nir is not None:
            body["nir"] = nir
        else:
            body["index"] = index if index is not None else 0
        if reader:
            body["reader"] = reader
        r = self.post("/v1/patient-sessions", body)
        self.token = r["token"]
        return r["session"]

    def set_mode(self, mode, reason=None):
        """normal, emergency (reason required) or call_centre."""
        body = {"mode": mode}
        if reason is not None:
            body["reason"] = reason
        return self.put("/v1/sessions/current/mode", body)

    # -- dossiers -----------------------------------------------------------

    def create_dossier(self, consent, index=0, nir=None, reader=None, test_ins=False):
        """Opens the dossier of a person on the inserted Carte Vitale; the
        reply holds the patient's secret, shown this once."""
        body = {"consent": bool(consent)}
        if nir is not None:
            body["nir"] = nir
        else:
            body["index"] = index
        if reader:
            body["reader"] = reader
        if test_ins:
            body["ins_oid"] = "1.2.250.1.213.1.4.10"
        return self.post("/v1/dossiers", body)

    def dossier(self, ins):
        return self.get("/v1/dossiers/" + quote(ins))

    def record_consent(self, ins):
        return self.post("/v1/dossiers/%s/consent" % quote(ins), {"consent": True})

    def set_options(self, ins, **options):
        """optout_emergency, optout_call_centre, notify: booleans."""
        return self.put("/v1/dossiers/%s/options" % quote(ins), options)

    def close_dossier(self, ins):
        return self.post("/v1/dossiers/%s/close" % quote(ins))

    def reactivate_dossier(self, ins):
        return self.post("/v1/dossiers/%s/reactivate" % quote(ins))

    def destroy_dossier(self, ins):
        return self.delete("/v1/dossiers/" + quote(ins))

    # -- documents ------------------------------------------------------------

    def documents(self, ins, **filters):
        """The documents the session may see, every page of them (carnetd
        sends at most 1000 a page; limit asks for smaller pages); filters:
        section, class_, type, status, from_, to (trailing _ for Python
        keywords)."""
        query = {k.rstrip("_"): v for k, v in filters.items() if v is not None}
        return self._pages("/v1/dossiers/%s/documents" % quote(ins), query, "documents")

    def _pages(self, path, query, member):
        """The items (member) of every page of a list, each page asked
        with the "next" of the one before as its after, until it is null."""
        items = []
        while True:
            page = self.get(path, query=query or None)
            items.extend(page[member])
            cursor = page.get("next")
            if cursor is None:
                return items
            if cursor == query.get("after"):
                raise RuntimeError("carnetd gave the same page twice (next: %s)" % cursor)
            query = dict(query, after=cursor)

    def deposit(self, ins, meta, content, mime=None, replaces=None):
        """Deposits content (bytes) with its metadata (a dict: type_code,
        class_code, title, optional medicines, hidden_from_patient...).
        With mime the bytes go raw with the metadata in the
        X-Carnet-Document header; without, as JSON with base64 content
        (meta must then hold "mime").  Returns {"uid", "warnings", ...}."""
        path = "/v1/dossiers/%s/documents" % quote(ins)
        if replaces:
            path += "/%s/replace" % quote(replaces)
        if mime:
            headers = {"Content-Type": mime, "X-Carnet-Document": json.dumps(meta, ensure_ascii=True)}
            return self.request("POST", path, body=bytes(content), headers=headers)
        body = dict(meta)
        body["content_base64"] = base64.b64encode(content).decode("ascii")
        return self.post(path, body)

    def document(self, ins, uid):
        return self.get("/v1/dossiers/%s/documents/%s" % (quote(ins), quote(uid)))

    def content(self, ins, uid):
        """A document's bytes and their Content-Type, as a Reply."""
        return self.get("/v1/dossiers/%s/documents/%s/content" % (quote(ins), quote(uid)), raw=True)

    def document_action(self, ins, uid, action):
        """archive, mask, unmask or release."""
        return self.post("/v1/dossiers/%s/documents/%s/%s" % (quote(ins), quote(uid), action))

    # -- the patient's controls, the trail, notices ---------------------------

    def access_list(self, ins):
        return self.get("/v1/dossiers/%s/access" % quote(ins))["professionals"]

    def set_access(self, ins, national_id, relation=None, blocked=None, sees_masked=None):
        """relation: none, authorised, care_team or traitant."""
        body = {}
        if relation is not None:
            body["relation"] = relation
        if blocked is not None:
            body["blocked"] = blocked
        if sees_masked is not None:
            body["sees_masked"] = sees_masked
        return self.put("/v1/dossiers/%s/access/%s" % (quote(ins), quote(national_id)), body)

    def trail(self, ins, limit=None):
        """The patient's trail, oldest first, every page of it (carnetd
        sends at most 1000 entries a page; limit asks for smaller pages).
        Each page is a reading of its own, whose entry is the trail's
        newest: the walk ends with its pages' readings, and pages of one
        would never end (ValueError)."""
        if limit is not None and limit < 2:
            raise ValueError("a walk of the trail in pages of %s never ends: each page adds its reading" % limit)
        return self._pages("/v1/dossiers/%s/audit" % quote(ins), {"limit": limit} if limit else {}, "entries")

    def verify_audit(self):
        return self.get("/v1/audit/verify")

    def notifications(self, ins=None):
        """The patient's notices (with ins), or the calling professional's."""
        if ins:
            return self.get("/v1/dossiers/%s/notifications" % quote(ins))["notifications"]
        return self.get("/v1/notifications")["notifications"]

    # -- events -----------------------------------------------------------

    def events(self, last_event_id=None, timeout=None):
        """GET /v1/events as an EventStream: iterate it for each event (a
        dict), on a connection of its own; close() it from any thread."""
        return EventStream(self.path, last_event_id, timeout if timeout is not None else 60)

    def queued_events(self, last_event_id=0):
        """The events carnetd still holds after last_event_id, at once."""
        return self.get("/v1/events", query={"last_event_id": last_event_id})


class EventStream:
    """A Server-Sent Events stream of carnetd's events.  Iterating yields
    each event's JSON data as a dict until carnetd ends the stream (it
    sends a keep-alive comment every 15 s, so the timeout is only for a
    dead daemon) or close() is called."""

    def __init__(self, path, last_event_id=None, timeout=60):
        self._conn = UnixHTTPConnection(path, timeout)
        h = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            h["Last-Event-ID"] = str(last_event_id)
        self._conn.request("GET", "/v1/events", headers=h)
        self._resp = self._conn.getresponse()
        if self._resp.status != 200:
            payload = self._resp.read()
            self.close()
            err = json.loads(payload)["error"]
            raise CarnetError(self._resp.status, err["code"], err["message"], err.get("details"))

    def __iter__(self):
        data = []
        while True:
            try:
                line = self._resp.readline()
            except (OSError, ValueError, AttributeError):
                return  # closed under us
            if not line:
                return
            line = line.decode("utf-8").rstrip("\r\n")
            if line == "":
                if data:
                    yield json.loads("\n".join(data))
                data = []
            elif line.startswith("data:"):
                value = line[5:]
                data.append(value[1:] if value.startswith(" ") else value)
            # "id:", "event:", "retry:" and ": comments" need nothing here:
            # the JSON carries the id and the type

    def close(self):
        sock = self._conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._conn.close()
