/* api/fhir-patient.h: the FHIR R4 face's Patient and CapabilityStatement
 * (docs/fhir.md).
 *
 *   GET /fhir/R4/metadata                        what is served, exactly
 *   GET /fhir/R4/Patient/{id}                    read: the dossier's traits
 *   GET /fhir/R4/Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|NIR
 *                                                search by INS (or _id=NIR)
 *
 * A Patient is a dossier: its id is the INS, its traits those of
 * dossier_info(), shown when the rules let the caller list the dossier
 * (otherwise 403 with the rule's reason). */
#pragma once

#include "http/router.h"

API_HANDLER(fhir_metadata_get);
API_HANDLER(fhir_patient_read);
API_HANDLER(fhir_patient_search);
