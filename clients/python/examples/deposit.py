#!/usr/bin/env python3
"""Logs in with the CPS card (the PIN read without echo), opens the
dossier of the Carte Vitale's holder if there is none (the patient was
informed and agreed), deposits a prescription and shows its alerts.
deposit.py [SOCKET]"""
import getpass
import sys

from carnet_client import DEFAULT_SOCKET, Carnet, CarnetError

api = Carnet(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOCKET)
api.login(getpass.getpass("CPS PIN: "))
ins = api.get("/v1/vitale")["persons"][0]["nir"]
try:
    api.dossier(ins)
except CarnetError as e:
    if e.code != "no_dossier":
        raise
    receipt = api.create_dossier(consent=True, index=0)
    print("dossier opened; the patient's secret, for the receipt only:", receipt["secret"])
try:
    r = api.deposit(ins, {"type_code": "57833-6", "class_code": "42", "title": "Ordonnance",
                          "medicines": ["B01AA03", "N02BA01"]},
                    b"warfarin 5 mg; aspirin 100 mg", mime="text/plain")
    print("deposited", r["uid"])
    for w in r["warnings"]:                      # care-coordination alerts
        print("ALERT", w["kind"], w["detail"])
    api.trail(ins)                               # the patient's own: refused
except CarnetError as e:
    if e.status == 401:
        print("session ended: log in again")
    elif e.status == 403:
        print("refused by the rules:", e.details.get("reason"))
    else:
        raise
api.logout()
