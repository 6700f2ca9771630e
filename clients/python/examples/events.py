#!/usr/bin/env python3
"""Follows carnetd's events from the oldest still queued; stops after
COUNT of them (default: never).  events.py [SOCKET [COUNT]]"""
import sys

from carnet_client import DEFAULT_SOCKET, Carnet

api = Carnet(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOCKET)
count = int(sys.argv[2]) if len(sys.argv) > 2 else None
stream = api.events(last_event_id=0)             # blocks; close() from another thread
for n, event in enumerate(stream, 1):
    print(event.get("id"), event["type"], event.get("reader"), event.get("detail"))
    if n == count:
        break
stream.close()
