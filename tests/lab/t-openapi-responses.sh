#!/bin/bash
# Lab test: carnetd's real responses match docs/openapi.yaml.  A journey
# with curl (a doctor's CPS, the family's Carte Vitale; the patient's own
# session) records every response (status, Content-Type, body) with the
# route it went to; tests/openapi/check-responses.js then validates each
# against its operation's declared response in the spec carnetd serves at
# GET /v1/openapi.json (ajv, pinned in tests/openapi/package.json).  The
# served document must equal docs/openapi.yaml, and the checker must
# reject a response altered to break its schema (it is not blind).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
modules=$CARNET_BUILD/openapi/node_modules
[ -d "$modules/ajv" ] || { echo "no $modules/ajv: run 'make deps'"; exit 1; }

sock=$LAB_DIR/carnetd.sock
rec=$LAB_DIR/responses
mkdir -p "$rec"
echo 0 >"$rec/count"
carnetd_conf "workstation = lab-ws-1" "database = $LAB_DIR/carnet.db" "rights_table = $top/tests/fixtures/rights-journey.tsv"

# call METHOD TEMPLATE PATH [BODY [TOKEN [CURL ARGS...]]]: one request,
# recorded as $rec/N.meta + N.body (N counted in $rec/count: call runs
# in a subshell); prints "HTTP-code body" as api does.
call() {
        local m=$1 tpl=$2 p=$3 b=${4:-} t=${5:-} n
        shift $(($# < 5 ? $# : 5))
        n=$(($(cat "$rec/count") + 1))
        echo "$n" >"$rec/count"
        local args=(-s -o "$rec/$n.body" -w '%{http_code} %{content_type}' --unix-socket "$sock" -X "$m") json=1 a
        for a in "$@"; do [[ $a == [Cc]ontent-[Tt]ype:* ]] && json=0; done
        if [ -n "$b" ]; then
                [ "$json" = 0 ] || args+=(-H 'Content-Type: application/json')
                args+=(--data-binary "$b")
        fi
        [ -z "$t" ] || args+=(-H "X-Carnet-Session: $t")
        local w code ct
        w=$(curl "${args[@]}" "$@" "http://localhost$p")
        code=${w%% *}
        ct=${w#* }
        printf '{"method":"%s","path":"%s","status":%s,"content_type":"%s"}\n' "$m" "$tpl" "$code" "$ct" >"$rec/$n.meta"
        echo "$code $(cat "$rec/$n.body")"
}
# expect_code WHAT REPLY CODE: the reply has that status
expect_code() { [[ $2 == "$3 "* ]] || { echo "$1: got '${2:0:300}', expected $3"; exit 1; }; }

lab_cards
carnetd_start
cards_ready
ins=280057512345674
D=/v1/dossiers/{ins}
DOC=$D/documents/{uid}

# ---- no session
expect_code status "$(call GET /v1/status /v1/status)" 200
expect_code readers "$(call GET /v1/readers /v1/readers)" 200
expect_code reader "$(call GET /v1/readers/{name} /v1/readers/Virtual%20PCD%2000%2000)" 200
expect_code "no reader" "$(call GET /v1/readers/{name} /v1/readers/nope)" 404
expect_code "events as JSON" "$(call GET /v1/events /v1/events "" "" -H 'Accept: application/json')" 200
expect_code "bad last_event_id" "$(call GET /v1/events '/v1/events?last_event_id=x' "" "" -H 'Accept: application/json')" 400
expect_code vitale "$(call GET /v1/vitale /v1/vitale)" 200
expect_code "nir check" "$(call POST /v1/nir/check /v1/nir/check '{"nir": "280057512345674"}')" 200
expect_code "nir check, bad key" "$(call POST /v1/nir/check /v1/nir/check '{"nir": "280057512345675"}')" 200
expect_code "nir check, bad field" "$(call POST /v1/nir/check /v1/nir/check '{"nier": "1"}')" 400
expect_code spec "$(call GET /v1/openapi.json /v1/openapi.json)" 200
spec=$rec/$(cat "$rec/count").body
expect_code "spec, unknown parameter" "$(call GET /v1/openapi.json '/v1/openapi.json?x=1')" 400

# ---- the doctor
expect_code "no token" "$(call GET /v1/sessions/current /v1/sessions/current)" 401
out=$(call POST /v1/sessions /v1/sessions "{\"pin\": \"1234\", \"reader\": \"$LAB_READER1\"}")
expect_code login "$out" 201
doctor=$(field token "$out")
doctor_nid=$(field national_id "$out")
expect_code current "$(call GET /v1/sessions/current /v1/sessions/current "" "$doctor")" 200
expect_code "mode, no reason" "$(call PUT /v1/sessions/current/mode /v1/sessions/current/mode '{"mode": "emergency"}' "$doctor")" 400
expect_code "mode normal" "$(call PUT /v1/sessions/current/mode /v1/sessions/current/mode '{"mode": "normal"}' "$doctor")" 200
expect_code "no dossier" "$(call GET $D /v1/dossiers/$ins "" "$doctor")" 404
expect_code "no consent" "$(call POST /v1/dossiers /v1/dossiers '{"index": 0, "consent": false}' "$doctor")" 403
out=$(call POST /v1/dossiers /v1/dossiers '{"index": 0, "consent": true, "ins_oid": "1.2.250.1.213.1.4.10"}' "$doctor")
expect_code "create" "$out" 201
secret=$(field secret "$out")
expect_code "exists" "$(call POST /v1/dossiers /v1/dossiers '{"index": 0, "consent": true}' "$doctor")" 409
expect_code "dossier" "$(call GET $D /v1/dossiers/$ins "" "$doctor")" 200
expect_code "bad ins" "$(call GET $D /v1/dossiers/280057512345675 "" "$doctor")" 422
expect_code "consent" "$(call POST $D/consent /v1/dossiers/$ins/consent '{"consent": true}' "$doctor")" 200
out=$(call POST $D/documents /v1/dossiers/$ins/documents "{\"type_code\": \"11488-4\", \"class_code\": \"10\", \"mime\": \"text/plain\",
        \"title\": \"Consultation\", \"content_base64\": \"$(b64 'Consultation report: stable.')\"}" "$doctor")
expect_code "deposit" "$out" 201
report=$(field uid "$out")
out=$(call POST $D/documents /v1/dossiers/$ins/documents "{\"type_code\": \"57833-6\", \"class_code\": \"42\", \"mime\": \"text/plain\",
        \"title\": \"Ordonnance\", \"medicines\": [\"B01AA03\", \"N02BA01\"], \"content_base64\": \"$(b64 'warfarin; aspirin')\"}" "$doctor")
expect_code "deposit with an alert" "$out" 201
[[ $out == *'"kind":"interaction"'* ]] || { echo "no interaction warning: $out"; exit 1; }
prescription=$(field uid "$out")
expect_code "raw deposit" "$(call POST $D/documents /v1/dossiers/$ins/documents 'raw report' "$doctor" \
        -H 'Content-Type: text/plain' -H 'X-Carnet-Document: {"type_code": "11488-4", "class_code": "10", "title": "Raw"}')" 201
expect_code "bad header" "$(call POST $D/documents /v1/dossiers/$ins/documents 'x' "$doctor" \
        -H 'Content-Type: text/plain' -H 'X-Carnet-Document: [1]')" 400
expect_code "unknown type" "$(call POST $D/documents /v1/dossiers/$ins/documents '{"type_code": "nope", "class_code": "10", "mime": "text/plain", "title": "t", "content_base64": ""}' "$doctor")" 422
expect_code "list" "$(call GET $D/documents /v1/dossiers/$ins/documents "" "$doctor")" 200
expect_code "list, a section" "$(call GET $D/documents "/v1/dossiers/$ins/documents?section=treatments&status=all" "" "$doctor")" 200
expect_code "list, unknown parameter" "$(call GET $D/documents "/v1/dossiers/$ins/documents?x=1" "" "$doctor")" 400
expect_code "metadata" "$(call GET $DOC /v1/dossiers/$ins/documents/$report "" "$doctor")" 200
expect_code "no document" "$(call GET $DOC /v1/dossiers/$ins/documents/0123456789abcdef0123456789abcdef "" "$doctor")" 404
expect_code "content" "$(call GET $DOC/content /v1/dossiers/$ins/documents/$report/content "" "$doctor")" 200
FDR=/fhir/R4/DocumentReference/{id}
out=$(call GET $FDR /fhir/R4/DocumentReference/$ins-$report "" "$doctor")
expect_code "FHIR read" "$out" 200
vid=$(field versionId "$out")
expect_code "FHIR conditional read" \
        "$(call GET $FDR /fhir/R4/DocumentReference/$ins-$report "" "$doctor" -H "If-None-Match: W/\"$vid\"")" 304
expect_code "FHIR Binary, conditional" \
        "$(call GET /fhir/R4/Binary/{id} /fhir/R4/Binary/$ins-$report "" "$doctor" -H "If-None-Match: W/\"$vid\"")" 304
sha=$(printf 'Consultation report: stable.' | sha256sum | cut -c1-64)
expect_code "content, conditional" "$(call GET $DOC/content /v1/dossiers/$ins/documents/$report/content "" \
        "$doctor" -H "If-None-Match: \"$sha\"")" 304
out=$(call POST $DOC/replace /v1/dossiers/$ins/documents/$report/replace "{\"type_code\": \"11488-4\", \"class_code\": \"10\",
        \"mime\": \"text/plain\", \"title\": \"Consultation v2\", \"content_base64\": \"$(b64 'v2')\"}" "$doctor")
expect_code "replace" "$out" 201
report2=$(field uid "$out")
expect_code "replace an old version" "$(call POST $DOC/replace /v1/dossiers/$ins/documents/$report/replace "{\"type_code\": \"11488-4\", \"class_code\": \"10\",
        \"mime\": \"text/plain\", \"title\": \"v3\", \"content_base64\": \"\"}" "$doctor")" 409
expect_code "archive" "$(call POST $DOC/archive /v1/dossiers/$ins/documents/$report2/archive "" "$doctor")" 200
expect_code "not the patient's" "$(call POST $DOC/mask /v1/dossiers/$ins/documents/$prescription/mask "" "$doctor")" 403
expect_code "my notifications" "$(call GET /v1/notifications /v1/notifications "" "$doctor")" 200
expect_code "verify" "$(call GET /v1/audit/verify /v1/audit/verify "" "$doctor")" 200

# ---- a legal representative: the holder, for her son (index 1)
out=$(call POST /v1/dossiers /v1/dossiers '{"index": 1, "consent": true}' "$doctor")
expect_code "the son's dossier" "$out" 201
son=$(field ins "$out")
son_secret=$(field secret "$out")
R=/v1/dossiers/{ins}/representatives/{rep_ins}
expect_code "withheld deposit" "$(call POST $D/documents /v1/dossiers/$son/documents "{\"type_code\": \"11488-4\",
        \"class_code\": \"10\", \"mime\": \"text/plain\", \"title\": \"t\", \"hidden_from_representatives\": true,
        \"content_base64\": \"\"}" "$doctor")" 201
expect_code "representative, bad kind" "$(call PUT $R /v1/dossiers/$son/representatives/$ins '{"kind": "x"}' "$doctor")" 400
expect_code "representative" "$(call PUT $R /v1/dossiers/$son/representatives/$ins '{"kind": "parental-authority"}' "$doctor")" 200
out=$(call POST /v1/patient-sessions /v1/patient-sessions "{\"index\": 0, \"acting_for\": \"$son\", \"secret\": \"$son_secret\"}")
expect_code "representative session" "$out" 201
mother=$(field token "$out")
# the calls NAME|METHOD|TEMPLATE|PATH|TOKEN|CODE of the representative's journey
while IFS='|' read -r what method tpl path who code; do
        expect_code "$what" "$(call "$method" "$tpl" "$path" "" "${!who}")" "$code"
done <<LIST
representative: current|GET|/v1/sessions/current|/v1/sessions/current|mother|200
representative: list|GET|$D/documents|/v1/dossiers/$son/documents|mother|200
doctor: withheld list|GET|$D/documents|/v1/dossiers/$son/documents|doctor|200
representative removed|DELETE|$R|/v1/dossiers/$son/representatives/$ins|doctor|200
representative, none|DELETE|$R|/v1/dossiers/$son/representatives/$ins|doctor|404
representative, not any more|GET|$D/documents|/v1/dossiers/$son/documents|mother|403
LIST

# ---- the patient
expect_code "wrong secret" "$(call POST /v1/patient-sessions /v1/patient-sessions '{"index": 0, "secret": "AAAA-AAAA-AAAA-AAAA"}')" 401
expect_code "own dossier: no birth date" "$(call POST /v1/patient-dossiers /v1/patient-dossiers '{"index": 0, "consent": true}')" 400
expect_code "own dossier: under 16" \
        "$(call POST /v1/patient-dossiers /v1/patient-dossiers '{"index": 1, "consent": true, "birth_date": "2012-03-09"}')" 403
expect_code "own dossier: exists" \
        "$(call POST /v1/patient-dossiers /v1/patient-dossiers '{"index": 0, "consent": true, "birth_date": "1980-05-17"}')" 409
out=$(call POST /v1/patient-sessions /v1/patient-sessions "{\"index\": 0, \"secret\": \"$secret\"}")
expect_code "patient session" "$out" 201
patient=$(field token "$out")
patient_sid=$(field id "${out#*\"session\"}")
expect_code "patient: dossier" "$(call GET $D /v1/dossiers/$ins "" "$patient")" 200
expect_code "patient: mode" "$(call PUT /v1/sessions/current/mode /v1/sessions/current/mode '{"mode": "normal"}' "$patient")" 403
expect_code "options" "$(call PUT $D/options /v1/dossiers/$ins/options '{"notify": true}' "$patient")" 200
expect_code "access" "$(call GET $D/access /v1/dossiers/$ins/access "" "$patient")" 200
expect_code "set access" "$(call PUT $D/access/{national_id} /v1/dossiers/$ins/access/$doctor_nid '{"relation": "traitant", "sees_masked": false}' "$patient")" 200
expect_code "bad national id" "$(call PUT $D/access/{national_id} /v1/dossiers/$ins/access/x '{"blocked": true}' "$patient")" 422
expect_code "mask" "$(call POST $DOC/mask /v1/dossiers/$ins/documents/$prescription/mask "" "$patient")" 200
expect_code "unmask" "$(call POST $DOC/unmask /v1/dossiers/$ins/documents/$prescription/unmask "" "$patient")" 200
expect_code "release: not the patient's" "$(call POST $DOC/release /v1/dossiers/$ins/documents/$prescription/release "" "$patient")" 403
expect_code "trail" "$(call GET $D/audit /v1/dossiers/$ins/audit "" "$patient")" 200
out=$(call GET $D/audit "/v1/dossiers/$ins/audit?limit=2" "" "$patient")
expect_code "a trail page" "$out" 200
next=$(sed -n 's/.*"next":\([0-9]*\)}$/\1/p' <<<"$out")
[ -n "$next" ] || fail "a trail page of 2 has no next: $out"
expect_code "the next page" "$(call GET $D/audit "/v1/dossiers/$ins/audit?limit=2&after=$next" "" "$patient")" 200
expect_code "a trail page: bad limit" "$(call GET $D/audit "/v1/dossiers/$ins/audit?limit=0" "" "$patient")" 400
expect_code "a trail page: no such entry" "$(call GET $D/audit "/v1/dossiers/$ins/audit?after=99999999" "" "$patient")" 400
expect_code "notifications" "$(call GET $D/notifications /v1/dossiers/$ins/notifications "" "$patient")" 200
expect_code "not a professional" "$(call GET /v1/notifications /v1/notifications "" "$patient")" 403
expect_code "close" "$(call POST $D/close /v1/dossiers/$ins/close "" "$patient")" 200
expect_code "closed: professional" "$(call GET $D/documents /v1/dossiers/$ins/documents "" "$doctor")" 409
expect_code "reactivate" "$(call POST $D/reactivate /v1/dossiers/$ins/reactivate "" "$patient")" 200
expect_code "open already" "$(call POST $D/reactivate /v1/dossiers/$ins/reactivate "" "$patient")" 409
expect_code "destroy" "$(call DELETE $D /v1/dossiers/$ins "" "$patient")" 200
expect_code "logout" "$(call DELETE /v1/sessions/{id} /v1/sessions/$patient_sid)" 200
expect_code "logged out" "$(call DELETE /v1/sessions/{id} /v1/sessions/$patient_sid)" 404
kill "$daemon"
wait "$daemon" || true

# ---- the served spec is the file; the responses match it
python3 - "$top/docs/openapi.yaml" "$spec" <<'PY'
import json, sys, yaml
a = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
b = json.load(open(sys.argv[2], encoding="utf-8"))
sys.exit(0 if a == b else "GET /v1/openapi.json differs from docs/openapi.yaml")
PY
echo "GET /v1/openapi.json serves docs/openapi.yaml: ok"
OPENAPI_MODULES=$modules OPENAPI_REPORT_MISSING=1 node "$top/tests/openapi/check-responses.js" "$spec" "$rec"

# ---- the checker is not blind: a dossier without its status is refused
bad=$LAB_DIR/altered
mkdir -p "$bad"
for f in "$rec"/*.meta; do
        grep -q '"path":"/v1/dossiers/{ins}","status":200' "$f" || continue
        cp "$f" "$bad/1.meta"
        sed 's/"status":"open",//' "${f%.meta}.body" >"$bad/1.body"
        break
done
[ -s "$bad/1.body" ] && ! cmp -s "$bad/1.body" "${f%.meta}.body" || { echo "no dossier response to alter"; exit 1; }
if OPENAPI_MODULES=$modules node "$top/tests/openapi/check-responses.js" "$spec" "$bad" >"$LAB_DIR/altered.log"; then
        echo "the checker accepted a dossier without its status:"; cat "$LAB_DIR/altered.log"; exit 1
fi
echo "an altered response is refused: ok"
