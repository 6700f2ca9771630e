#!/bin/bash
# Lab test: the shared dossiers journey (tests/lab/t-host-journey.sh) with
# one carnet-hostd process: two workstation agents and one host.
HOSTS=1 exec bash "$(dirname "$0")/t-host-journey.sh"
