#!/usr/bin/env python3
"""Prints carnetd's version and what each reader holds.  status.py [SOCKET]"""
import sys

from carnet_client import DEFAULT_SOCKET, Carnet

with Carnet(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOCKET) as api:
    status = api.get("/v1/status")
    print("carnetd", status["version"], "pcscd reachable:", status["pcscd"]["reachable"])
    for reader in status["readers"]:
        print(reader["name"] + ":", reader["card"]["type"] if reader["card"] else "empty")
