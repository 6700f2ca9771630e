#!/usr/bin/env python3
"""The journey of issue 5 from Python, standard library only (carnet_client,
the package in clients/python, imported from the source tree).

    journey.py --socket SOCK --cards HELPER

HELPER is a program the lab test gives (tests/lab/t-journey-python.sh):
`HELPER doctor|pharmacist|nurse` puts that professional's CPS card in
slot 1 (taking the last one out), `HELPER pull` takes it out.  The
patient's Carte Vitale stays in slot 0.  Everything else goes through the
API.  Prints one line per step; exits 0 when the whole journey held, 1
with the reason otherwise.
"""

import argparse
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
from carnet_client import Carnet, CarnetError  # noqa: E402

INS = "280057512345674"
DOCTOR, NURSE, PHARMACIST = "899700000001", "899700000002", "899700000008"
PIN = "1234"


class JourneyFailed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise JourneyFailed(what)


def refused(fn, status, reason=None, code=None):
    """Calls fn and checks it is refused with that status (and rule reason
    or error code); returns the CarnetError."""
    try:
        r = fn()
    except CarnetError as e:
        check(e.status == status, "expected HTTP %d, got %d %s: %s" % (status, e.status, e.code, e.message))
        if reason:
            check(e.details.get("reason") == reason, "expected reason %s, got %s" % (reason, e.details))
        if code:
            check(e.code == code, "expected code %s, got %s" % (code, e.code))
        return e
    raise JourneyFailed("expected a refusal (%d %s), got %r" % (status, reason or code, r))


def step(what):
    print("== " + what, flush=True)


def uids(docs):
    return {d["uid"] for d in docs}


class Lab:
    """The card moves, done by the test's helper program."""

    def __init__(self, helper, api):
        self.helper = helper
        self.api = api

    def cps(self, who):
        subprocess.run([self.helper, who], check=True)
        if who == "pull":
            return
        # carnetd's reader monitor identifies the card on its own thread
        for _ in range(100):
            readers = self.api.get("/v1/readers")["readers"]
            if any(r["card"] and r["card"]["type"] == "cps" for r in readers):
                return
            time.sleep(0.1)
        raise JourneyFailed("carnetd never saw the %s's CPS card" % who)


def journey(sock, helper):
    pro = Carnet(sock)        # the professional at the workstation
    patient = Carnet(sock)    # the patient, at the same desk
    lab = Lab(helper, pro)

    # the event stream, followed from the start
    events = []
    stream = Carnet(sock).events()
    follower = threading.Thread(target=lambda: events.extend(stream), daemon=True)
    follower.start()

    step("the doctor logs in and reads the Carte Vitale")
    lab.cps("doctor")
    s = pro.login(PIN)
    check(s["professional"]["national_id"] == DOCTOR and s["professional"]["profession"] == "10", s)
    card = pro.get("/v1/vitale")
    holder = card["persons"][0]
    check(holder["holder"] and holder["nir"] == INS and holder["nir_valid"], holder)

    step("the dossier, opened with the patient's consent")
    refused(lambda: pro.post("/v1/dossiers", {"index": 0}), 400, code="bad_field")
    opened = pro.create_dossier(consent=True, index=0, test_ins=True)
    check(opened["ins"] == INS and opened["consent_recorded"], opened)
    secret = opened["secret"]
    refused(lambda: pro.create_dossier(consent=True, index=0, test_ins=True), 409, code="dossier_exists")
    d = pro.dossier(INS)
    check(d["status"] == "open" and d["identity"]["birth_name"] == "MARTIN", d)

    step("a consultation report and two prescriptions: the second gets an interaction alert")
    report = pro.deposit(INS, {"type_code": "11488-4", "class_code": "11", "title": "Compte rendu de consultation",
                               "mime": "text/plain"},
                         "Compte rendu de consultation\nTA 12/8, examen normal.\n".encode())["uid"]
    rx1 = pro.deposit(INS, {"type_code": "57833-6", "class_code": "11", "title": "Ordonnance warfarine",
                            "medicines": ["B01AA03"]}, b"Warfarine 5 mg, 1 cp le soir\n", mime="text/plain")
    check(rx1["warnings"] == [], rx1)
    rx1 = rx1["uid"]
    r = pro.deposit(INS, {"type_code": "57833-6", "class_code": "11", "title": "Ordonnance aspirine",
                          "medicines": ["N02BA01"]}, b"Aspirine 500 mg si douleur\n", mime="text/plain")
    rx2 = r["uid"]
    alerts = [w for w in r["warnings"] if w["kind"] == "interaction"]
    check(alerts and alerts[0]["other_document"] == rx1 and "warfarin" in alerts[0]["detail"], r)
    check(uids(pro.documents(INS)) == {report, rx1, rx2}, "the doctor's list")
    c = pro.content(INS, rx1)
    check(c.body == b"Warfarine 5 mg, 1 cp le soir\n" and c.content_type.startswith("text/plain"), c.headers)
    refused(lambda: pro.deposit(INS, {"type_code": "NOPE", "class_code": "11", "title": "x"}, b"x", mime="text/plain"),
            422, code="unknown_type")
    pro.logout()

    step("the patient, with their card and secret, names the doctor médecin traitant")
    refused(lambda: Carnet(sock).patient_login("XXXX-XXXX-XXXX-XXXX"), 401, code="bad_secret")
    ps = patient.patient_login(secret)
    check(ps["kind"] == "patient" and ps["patient"]["ins"] == INS, ps)
    patient.set_access(INS, DOCTOR, relation="traitant")
    line = [p for p in patient.access_list(INS) if p["national_id"] == DOCTOR]
    check(line and line[0]["relation"] == "traitant", line)

    step("the pharmacist logs in at the same workstation: prescriptions, not the report")
    lab.cps("pharmacist")
    s = pro.login(PIN)
    check(s["professional"]["profession"] == "21", s)
    refused(lambda: pro.documents(INS), 403, reason="deny-not-authorised")
    pro.record_consent(INS)
    check(uids(pro.documents(INS)) == {rx1, rx2}, "the pharmacist sees the prescriptions only")
    refused(lambda: pro.document(INS, report), 403, reason="deny-rights-matrix")

    step("the patient masks a prescription: the pharmacist no longer sees it")
    patient.document_action(INS, rx1, "mask")
    check(uids(pro.documents(INS)) == {rx2}, "the masked prescription is still listed")
    refused(lambda: pro.content(INS, rx1), 403, reason="deny-masked")

    step("a blocked professional is refused, whatever the mode")
    patient.set_access(INS, PHARMACIST, blocked=True)
    refused(lambda: pro.documents(INS), 403, reason="deny-blocked")
    pro.set_mode("emergency", "test: blocked stays blocked")
    refused(lambda: pro.documents(INS), 403, reason="deny-blocked")
    pro.logout()

    step("a nurse's emergency access: allowed with a reason, refused once the patient opposes it")
    lab.cps("nurse")
    pro.login(PIN)
    refused(lambda: pro.documents(INS), 403, reason="deny-not-authorised")
    refused(lambda: pro.set_mode("emergency"), 400, code="reason_required")
    reason = "malaise au cabinet, patiente inconsciente"
    s = pro.set_mode("emergency", reason)
    check(s["mode"] == "emergency" and s["reason"] == reason, s)
    seen = uids(pro.documents(INS))
    check(report in seen and rx2 in seen and rx1 not in seen, "the nurse's emergency list")
    patient.set_options(INS, optout_emergency=True)
    refused(lambda: pro.documents(INS), 403, reason="deny-emergency-opted-out")
    trail = patient.trail(INS)
    check(any(e["actor"] == NURSE and e["emergency"] and e["outcome"] == "allow" and e["reason"] == reason
              for e in trail), "the emergency access is not in the trail")
    check(any(e["actor"] == NURSE and e["code"] == "deny-emergency-opted-out" for e in trail), "no refusal in the trail")
    check(any(e["actor"] == PHARMACIST and e["code"] == "deny-blocked" for e in trail), "no block in the trail")
    check(any(n["kind"] == "emergency-access" for n in patient.notifications(INS)), "the patient was not told")
    pro.logout()

    step("the médecin traitant still sees the masked prescription and is told of the emergency")
    lab.cps("doctor")
    pro.login(PIN)
    docs = {d["uid"]: d for d in pro.documents(INS)}
    check(rx1 in docs and docs[rx1]["masked"], "the traitant does not see the masked prescription")
    check(pro.content(INS, rx1).body.startswith(b"Warfarine"), "content")
    check(any(n["kind"] == "emergency-access" for n in pro.notifications()), "the traitant was not told")

    step("pulling the doctor's card ends the session: the next call gets 401")
    lab.cps("pull")
    for _ in range(50):
        try:
            pro.session()
        except CarnetError as e:
            check(e.status == 401 and e.code == "no_session", e)
            break
        time.sleep(0.1)
    else:
        raise JourneyFailed("the session outlived its card")
    refused(lambda: pro.documents(INS), 401, code="no_session")
    check(Carnet(sock, token=patient.token).verify_audit()["intact"], "the audit chain")

    step("the event stream saw each card move")
    time.sleep(0.5)
    stream.close()
    follower.join(5)
    moves = [(e["type"], e["detail"]) for e in events if e.get("reader") == "Virtual PCD 00 01"
             and e["type"] in ("card_inserted", "card_removed")]
    check(moves.count(("card_inserted", "cps")) == 4 and sum(1 for m in moves if m[0] == "card_removed") == 4,
          "CPS moves seen: %r" % moves)
    check(any(e["type"] == "session_started" for e in events) and any(e["type"] == "session_ended" for e in events),
          "session events")
    print("events: %d seen, %d CPS moves" % (len(events), len(moves)))
    patient.close()
    pro.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--socket", required=True)
    ap.add_argument("--cards", required=True, help="the lab's card helper")
    args = ap.parse_args()
    try:
        journey(args.socket, args.cards)
    except (JourneyFailed, CarnetError) as e:
        print("journey FAILED: %s" % e, file=sys.stderr)
        return 1
    print("journey with Python ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
