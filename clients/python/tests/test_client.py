"""carnet_client against a running carnetd (the lab: tests/lab/t-clients.sh).

CARNET_SOCKET names the socket; the family's Carte Vitale is in one
reader and a doctor's CPS (PIN 1234) in another; no dossier exists yet.
Covers sessions, dossiers, documents, events and errors.
"""
import os
import threading
import unittest

from carnet_client import Carnet, CarnetError

SOCKET = os.environ.get("CARNET_SOCKET", "/run/carnet/carnetd.sock")
PIN = "1234"


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.api = Carnet(SOCKET)
        cls.session = cls.api.login(PIN)
        cls.ins = cls.api.get("/v1/vitale")["persons"][0]["nir"]
        cls.receipt = cls.api.create_dossier(consent=True, index=0, test_ins=True)

    @classmethod
    def tearDownClass(cls):
        cls.api.close()

    def refused(self, status, code, fn, *args, **kw):
        with self.assertRaises(CarnetError) as cm:
            fn(*args, **kw)
        self.assertEqual((cm.exception.status, cm.exception.code), (status, code), cm.exception)
        return cm.exception

    # -- sessions

    def test_session(self):
        s = self.api.session()
        self.assertEqual(s["kind"], "professional")
        self.assertEqual(s["id"], self.session["id"])
        self.assertEqual(len(self.api.token), 64)
        self.refused(400, "reason_required", self.api.set_mode, "emergency")
        self.assertEqual(self.api.set_mode("emergency", "a test")["mode"], "emergency")
        self.assertEqual(self.api.set_mode("normal")["mode"], "normal")

    def test_one_session_per_card(self):
        other = Carnet(SOCKET)
        self.refused(409, "session_exists", other.login, PIN)  # one session per card
        other.close()

    # -- dossiers

    def test_dossier(self):
        self.assertEqual(self.receipt["ins"], self.ins)
        self.assertRegex(self.receipt["secret"], r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$")
        d = self.api.dossier(self.ins)
        self.assertEqual(d["status"], "open")
        self.assertEqual(d["identity"]["birth_name"], "MARTIN")
        self.refused(409, "dossier_exists", self.api.create_dossier, consent=True, index=0)
        self.assertTrue(self.api.record_consent(self.ins)["consent_recorded"])

    # -- documents

    def test_documents(self):
        meta = {"type_code": "11488-4", "class_code": "10", "title": "Compte rendu"}
        raw = self.api.deposit(self.ins, meta, "Consultation: stable, café".encode(), mime="text/plain")
        js = self.api.deposit(self.ins, dict(meta, mime="text/plain"), b"\x00\x01binary")
        self.assertEqual(raw["warnings"], [])
        listed = {d["uid"] for d in self.api.documents(self.ins)}
        self.assertLessEqual({raw["uid"], js["uid"]}, listed)
        # in pages of one, followed to the last: the same list, in its order
        self.assertEqual([d["uid"] for d in self.api.documents(self.ins, limit=1)],
                         [d["uid"] for d in self.api.documents(self.ins)])
        page = self.api.get("/v1/dossiers/%s/documents" % self.ins, query={"limit": 1})
        self.assertEqual((page["count"], page["next"]), (1, page["documents"][0]["uid"]))
        self.assertEqual(self.api.document(self.ins, raw["uid"])["title"], "Compte rendu")
        c = self.api.content(self.ins, js["uid"])
        self.assertEqual(c.body, b"\x00\x01binary")
        self.assertTrue(c.content_type.startswith("text/plain"))
        self.assertEqual(self.api.content(self.ins, raw["uid"]).body.decode(), "Consultation: stable, café")
        new = self.api.deposit(self.ins, meta, b"v2", mime="text/plain", replaces=raw["uid"])
        self.assertEqual(new["replaces"], raw["uid"])
        self.assertTrue(self.api.document_action(self.ins, new["uid"], "archive")["archived"])
        self.refused(403, "access_denied", self.api.document_action, self.ins, js["uid"], "mask")

    def test_alert(self):
        r = self.api.deposit(self.ins, {"type_code": "57833-6", "class_code": "42", "title": "Ordonnance",
                                        "medicines": ["B01AA03", "N02BA01"]}, b"rx", mime="text/plain")
        self.assertEqual([w["kind"] for w in r["warnings"]], ["interaction"])

    # -- the patient's own session

    def test_patient(self):
        patient = Carnet(SOCKET)
        self.refused(401, "bad_secret", patient.patient_login, "AAAA-AAAA-AAAA-AAAA")
        s = patient.patient_login(self.receipt["secret"])
        self.assertEqual(s["kind"], "patient")
        self.assertEqual(patient.set_options(self.ins, notify=True)["changed"], {"notify": True})
        ids = [p["national_id"] for p in patient.access_list(self.ins)]
        self.assertIn(self.session["professional"]["national_id"], ids)
        whole = patient.trail(self.ins)
        self.assertIn("create", [e["action"] for e in whole])
        # in pages of two, followed to the last: the trail read before, in
        # its order, then the readings (each page's own entry) only
        paged = patient.trail(self.ins, limit=2)
        seqs = [e["seq"] for e in paged]
        self.assertEqual(seqs[:len(whole)], [e["seq"] for e in whole])
        self.assertEqual(seqs, sorted(set(seqs)))
        self.assertEqual({e["action"] for e in paged[len(whole):]}, {"read-trail"})
        # k pages of 2 hold len(whole) + k entries, every page but the last full
        k = len(paged) - len(whole)
        self.assertIn(k, (len(whole), len(whole) + 1))
        self.assertRaises(ValueError, patient.trail, self.ins, limit=1)
        page = patient.get("/v1/dossiers/%s/audit" % self.ins, query={"limit": 1})
        self.assertEqual((page["count"], page["next"]), (1, page["entries"][0]["seq"]))
        self.assertIsInstance(patient.notifications(self.ins), list)
        patient.logout()
        self.assertIsNone(patient.token)
        self.refused(401, "no_session", patient.session)
        patient.close()

    # -- errors

    def test_errors(self):
        e = self.refused(400, "unknown_field", self.api.post, "/v1/nir/check", {"nir": "1", "typo": 1})
        self.assertEqual(e.details["field"], "typo")
        self.refused(401, "no_session", Carnet(SOCKET).session)
        self.refused(404, "not_found", self.api.get, "/v1/nope")
        self.refused(422, "bad_ins", self.api.dossier, "280057512345675")
        e = self.refused(403, "access_denied", self.api.trail, self.ins)
        self.assertEqual(e.details["reason"], "deny-patient-only")

    # -- events

    def test_events(self):
        queued = self.api.queued_events()
        types = [e["type"] for e in queued["events"]]
        self.assertIn("card_inserted", types)
        self.assertIn("session_started", types)
        stream = self.api.events(last_event_id=0, timeout=10)
        timer = threading.Timer(10, stream.close)     # a stuck stream fails, never hangs
        timer.start()
        first = next(iter(stream))
        timer.cancel()
        stream.close()
        self.assertEqual(first, queued["events"][0])


if __name__ == "__main__":
    unittest.main()
