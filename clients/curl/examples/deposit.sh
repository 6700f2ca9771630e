#!/bin/bash
# carnetd from the shell with curl: log in (the PIN read without echo,
# sent through stdin, never on curl's command line), open the dossier of
# the Carte Vitale's holder, deposit a PDF as is, list and read it back.
# deposit.sh [SOCKET] [FILE.pdf]
set -euo pipefail
S=${1:-/run/carnet/carnetd.sock}
PDF=${2:-ordonnance.pdf}
C=(curl -s --unix-socket "$S")
"${C[@]}" http://localhost/v1/status; echo

read -rs -p 'CPS PIN: ' PIN; echo
T=$(printf '{"pin":"%s"}' "$PIN" | "${C[@]}" -f --data-binary @- http://localhost/v1/sessions |
    sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')
unset PIN
H="X-Carnet-Session: $T"

INS=$("${C[@]}" http://localhost/v1/vitale | sed 's/.*"index":0,[^}]*"nir":"\([0-9AB]*\)".*/\1/')
# open the dossier of the card's holder, with the patient's consent (409 dossier_exists the second time)
"${C[@]}" -H "$H" -d '{"index": 0, "consent": true}' http://localhost/v1/dossiers; echo

# deposit the PDF as is: the metadata in the X-Carnet-Document header
DOC=$("${C[@]}" -f -H "$H" -H 'Content-Type: application/pdf' \
      -H 'X-Carnet-Document: {"type_code": "57833-6", "class_code": "42", "title": "Ordonnance", "medicines": ["B01AA03"]}' \
      --data-binary @"$PDF" "http://localhost/v1/dossiers/$INS/documents" | sed 's/.*"uid":"\([0-9a-f]*\)".*/\1/')

# list, read (-w: the status, for a script that must branch on it; -f alone hides carnetd's error document)
"${C[@]}" -H "$H" "http://localhost/v1/dossiers/$INS/documents?section=treatments"; echo
"${C[@]}" -H "$H" -o copy.pdf -w '%{http_code}\n' "http://localhost/v1/dossiers/$INS/documents/$DOC/content"
cmp "$PDF" copy.pdf && echo "read back: the same bytes"

# the events still queued, as one JSON document (curl -N with Accept: text/event-stream follows them)
"${C[@]}" -H 'Accept: application/json' http://localhost/v1/events; echo
