#!/bin/sh
# tests/fhir/install.sh BUILD: installs the pinned FHIR tools of
# tests/fhir/package.json into BUILD/fhir/ with 'npm ci' from the
# committed package-lock.json: the FHIR R4 validator (the package fhir,
# FHIR.js, whose Fhir.validate checks a resource against the R4
# structure definitions and value sets it ships) and a FHIR client
# library nobody here wrote (fhir-kit-client) for the lab's journey
# (tests/lab/t-fhir-journey.sh).  Run by 'make deps'; a no-op (and no
# network) when that lock is installed already.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
exec sh "$src/../npm-ci.sh" "$src" "${1:-build}/fhir" "the FHIR tools"
