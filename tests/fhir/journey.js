// tests/fhir/journey.js: the FHIR journey of tests/lab/t-fhir-journey.sh,
// run by a FHIR client library nobody here wrote (fhir-kit-client, pinned
// in package.json).  fhir-kit-client speaks HTTP over TCP (fetch), carnetd
// listens on a Unix socket: a few lines of Node's net module relay a
// loopback TCP port to the socket.  Every resource received is validated
// against FHIR R4 (validate.js).
//
// Environment: SOCK (carnetd's socket), DOCTOR and PATIENT (session
// tokens), INS, NATIVE_DOC (a document deposited through /v1), OUT (a
// folder: the journey writes what the shell checks next), MODULES (the
// node_modules tests/fhir/install.sh filled).
'use strict';
const crypto = require('crypto');
const net = require('net');
const fs = require('fs');
const path = require('path');
const Client = require(path.join(process.env.MODULES || 'node_modules', 'fhir-kit-client'));
const { validate, checked, codesOutside } = require('./validate');

const env = (k) => { if (!process.env[k]) throw new Error(`${k} is not set`); return process.env[k]; };
const SOCK = env('SOCK'), INS = env('INS'), OUT = env('OUT');

function relay() {
        return new Promise((resolve) => {
                const srv = net.createServer((c) => {
                        const u = net.connect(SOCK);
                        c.pipe(u).pipe(c);
                        c.on('error', () => u.destroy());
                        u.on('error', () => c.destroy());
                });
                srv.listen(0, '127.0.0.1', () => resolve(srv));
        });
}

function ok(what, cond, detail) {
        if (!cond) throw new Error(`${what}: failed${detail ? ': ' + JSON.stringify(detail).slice(0, 2000) : ''}`);
        console.log(`${what}: ok`);
}

// The OperationOutcome of a refused call (fhir-kit-client throws).
async function refused(what, p, status, reason) {
        try {
                await p;
        } catch (e) {
                const oo = typeof e.response.data === 'string' ? JSON.parse(e.response.data) : e.response.data;
                validate(what, oo);
                const codes = oo.issue[0].details.coding.map((c) => c.code);
                ok(what, e.response.status === status && oo.resourceType === 'OperationOutcome' &&
                   codes.includes(reason), { status: e.response.status, oo });
                return oo;
        }
        throw new Error(`${what}: was not refused`);
}

// A Provide Document Bundle; its attachment says the content's size and
// SHA-1 (R4 Attachment.hash), as an MHD source sends them, or what hashOf
// gives instead.
function bundle(title, text, relatesTo, type = '11488-4', hashOf = text) {
        const data = Buffer.from(text).toString('base64');
        const hash = crypto.createHash('sha1').update(hashOf).digest('base64');
        const doc = {
                resourceType: 'DocumentReference',
                status: 'current',
                type: { coding: [{ system: 'http://loinc.org', code: type }] },
                category: [{ coding: [{ system: 'urn:oid:1.2.250.1.213.1.1.4.1', code: '10' }] }],
                subject: { reference: `Patient/${INS}` },
                content: [{
                        attachment: { contentType: 'text/plain', url: 'urn:uuid:4f1c2a77-0000-4000-8000-000000000002',
                                      title, creation: '2026-11-30T10:00:00Z', hash,
                                      size: Buffer.byteLength(text) },
                        format: { system: 'urn:oid:1.3.6.1.4.1.19376.1.2.3',
                                  code: 'urn:ihe:iti:xds:2017:mimeTypeSufficient' },
                }],
        };
        if (relatesTo) doc.relatesTo = [{ code: 'replaces', target: { reference: `DocumentReference/${relatesTo}` } }];
        return {
                resourceType: 'Bundle', type: 'transaction',
                entry: [
                        { fullUrl: 'urn:uuid:4f1c2a77-0000-4000-8000-000000000000',
                          resource: { resourceType: 'List', status: 'current', mode: 'working',
                                      subject: { reference: `Patient/${INS}` } },
                          request: { method: 'POST', url: 'List' } },
                        { fullUrl: 'urn:uuid:4f1c2a77-0000-4000-8000-000000000001', resource: doc,
                          request: { method: 'POST', url: 'DocumentReference' } },
                        { fullUrl: 'urn:uuid:4f1c2a77-0000-4000-8000-000000000002',
                          resource: { resourceType: 'Binary', contentType: 'text/plain', data },
                          request: { method: 'POST', url: 'Binary' } },
                ],
        };
}

async function main() {
        const srv = await relay();
        const baseUrl = `http://127.0.0.1:${srv.address().port}/fhir/R4`;
        const doctor = new Client({ baseUrl, customHeaders: { 'X-Carnet-Session': env('DOCTOR') } });
        const patient = new Client({ baseUrl, customHeaders: { 'X-Carnet-Session': env('PATIENT') } });
        const anonymous = new Client({ baseUrl });

        const cs = validate('metadata', await doctor.capabilityStatement());
        ok('the CapabilityStatement lists the five resources',
           cs.rest[0].resource.map((r) => r.type).join() === 'Patient,DocumentReference,Binary,AuditEvent,Consent', cs);

        // find the patient by INS
        const found = validate('Patient search', await doctor.search({ resourceType: 'Patient',
                searchParams: { identifier: `urn:oid:1.2.250.1.213.1.4.8|${INS}` } }));
        ok('the patient found by INS', found.total === 1 && found.entry[0].resource.id === INS, found);
        const p = validate('Patient read', await doctor.read({ resourceType: 'Patient', id: INS }));
        ok('the patient read has the traits', p.name[0].family === 'MARTIN' && p.gender === 'female', p);

        // list the documents: the one deposited through /v1 is there
        const docs = validate('DocumentReference search', await doctor.search({ resourceType: 'DocumentReference',
                searchParams: { patient: `Patient/${INS}` } }));
        const nativeId = `${INS}-${env('NATIVE_DOC')}`;
        const nat = docs.entry.find((e) => e.resource.id === nativeId);
        ok('the native deposit is listed', nat && nat.resource.status === 'current' &&
           nat.resource.type.coding[0].code === '11488-4', docs);
        for (const e of docs.entry) validate('a listed DocumentReference', e.resource);

        // retrieve it (ITI-68)
        const bin = validate('Binary read', await doctor.read({ resourceType: 'Binary', id: nativeId }));
        ok('its content', Buffer.from(bin.data, 'base64').toString() === 'Compte rendu natif', bin);

        // provide a new one (ITI-65), then a new version of it
        const resp = validate('transaction-response', await doctor.transaction({ body: bundle('Par FHIR', 'Compte rendu FHIR') }));
        const loc = resp.entry[1].response.location;
        ok('the Bundle deposited a document', resp.type === 'transaction-response' &&
           resp.entry[1].response.status === '201 Created' && /^DocumentReference\//.test(loc), resp);
        const fhirId = loc.split('/')[1];
        // IHE ITI-65: content that is not the one the DocumentReference
        // describes (its SHA-1) is refused, nothing kept
        const before = await doctor.search({ resourceType: 'DocumentReference',
                searchParams: { patient: `Patient/${INS}`, status: 'current,superseded', _summary: 'count' } });
        await refused('a wrong attachment.hash', doctor.transaction({ body: bundle('Faux', 'Compte rendu',
                undefined, '11488-4', 'autre chose') }), 422, 'attachment_mismatch');
        const after = await doctor.search({ resourceType: 'DocumentReference',
                searchParams: { patient: `Patient/${INS}`, status: 'current,superseded', _summary: 'count' } });
        ok('nothing kept of it', after.total === before.total, { before, after });
        const v2 = validate('replace', await doctor.transaction({ body: bundle('Par FHIR v2', 'Compte rendu FHIR v2', fhirId) }));
        const v2Id = v2.entry[1].response.location.split('/')[1];
        const old = validate('the replaced one', await doctor.read({ resourceType: 'DocumentReference', id: fhirId }));
        ok('relatesTo replaces: the old version is superseded', old.status === 'superseded', old);
        const all = validate('all statuses', await doctor.search({ resourceType: 'DocumentReference',
                searchParams: { patient: `Patient/${INS}`, status: 'current,superseded' } }));
        const v2Entry = all.entry.find((e) => e.resource.id === v2Id);
        ok('both versions listed; the new one replaces the old (relatesTo)', all.entry.length >= 3 && v2Entry &&
           v2Entry.resource.relatesTo[0].target.reference === `DocumentReference/${fhirId}`, all);
        // the same search in pages of two, walked with the client's nextPage (Bundle.link next)
        const ids = [];
        let page = validate('first page', await doctor.search({ resourceType: 'DocumentReference',
                searchParams: { patient: `Patient/${INS}`, status: 'current,superseded', _count: 2 } }));
        for (let n = 0; page; n++) {
                ok(`page ${n + 1}: at most two entries, the total of all`, (page.entry || []).length <= 2 &&
                   page.total === all.total && n < 10, page);
                for (const e of page.entry || []) ids.push(e.resource.id);
                page = await doctor.nextPage({ bundle: page });
                if (page) validate('a next page', page);
        }
        ok('the pages hold the search, in its order', ids.join() === all.entry.map((e) => e.resource.id).join(),
           { ids, all: all.entry.map((e) => e.resource.id) });
        const cur = validate('current only', await doctor.search({ resourceType: 'DocumentReference',
                searchParams: { patient: `Patient/${INS}`, status: 'current', type: 'http://loinc.org|11488-4' } }));
        ok('status=current leaves the old version out', !cur.entry.some((e) => e.resource.id === fhirId) &&
           cur.entry.some((e) => e.resource.id === v2Id), cur);

        // two lab reports: the second gets the duplicate-exam alert, as a warning
        validate('a lab report', await doctor.transaction({ body: bundle('Bilan 1', 'NFS 1', null, '11502-2') }));
        const dup = validate('its duplicate', await doctor.transaction({ body: bundle('Bilan 2', 'NFS 2', null, '11502-2') }));
        const alert = dup.entry[1].response.outcome;
        ok('the alert is an OperationOutcome warning', alert && alert.issue[0].severity === 'warning' &&
           alert.issue[0].details.coding[0].code === 'duplicate_exam', dup);

        // the patient reads their trail
        const trail = validate('AuditEvent search', await patient.search({ resourceType: 'AuditEvent',
                searchParams: { patient: `Patient/${INS}` } }));
        for (const e of trail.entry) validate('an AuditEvent', e.resource);
        // the engine traces a replacement as "replace" (the old one) and "deposit" (the new one)
        const count = (a) => trail.entry.filter((e) => e.resource.subtype[0].code === a && e.resource.outcome === '0').length;
        ok('the trail shows the five deposits and the replacement', count('deposit') === 5 && count('replace') === 1,
           trail.entry.map((e) => e.resource.subtype[0].code));
        const consents = validate('Consent search', await patient.search({ resourceType: 'Consent',
                searchParams: { patient: `Patient/${INS}` } }));
        for (const e of consents.entry || []) validate('a Consent', e.resource);
        const provision = (c) => `${c.resource.provision.type} ${(c.resource.provision.actor || [{ reference: {} }])[0].reference.identifier ? c.resource.provision.actor[0].reference.identifier.value : c.resource.provision.code[0].coding[0].code}`;
        const kinds = (consents.entry || []).map(provision);
        ok('the Consents: the traitant permitted, a block, the emergency opposition',
           kinds.includes('permit 899700000001') && kinds.includes('deny 899700000008') && kinds.includes('deny emergency'), kinds);

        // refusals: an OperationOutcome with the rule's reason
        await refused('the doctor may not read the trail', doctor.search({ resourceType: 'AuditEvent',
                searchParams: { patient: `Patient/${INS}` } }), 403, 'deny-patient-only');
        await refused('no session', anonymous.read({ resourceType: 'Patient', id: INS }), 401, 'no_session');
        // R4 http.html, read: an id that names nothing is 404; one outside the id type 400
        await refused('an INS with a wrong key', doctor.read({ resourceType: 'Patient', id: '280057512345600' }), 404,
                'no_dossier');
        await refused('not a FHIR id', doctor.read({ resourceType: 'Patient', id: 'a_b' }), 400, 'bad_id');
        await refused('an unknown resource type', doctor.read({ resourceType: 'Observation', id: 'x' }), 404, 'not_found');

        fs.writeFileSync(`${OUT}/fhir-doc`, fhirId.split('-')[1]);
        fs.writeFileSync(`${OUT}/fhir-doc-v2`, v2Id.split('-')[1]);
        fs.writeFileSync(`${OUT}/fhir-trail.json`, JSON.stringify(trail));
        console.log(`${checked()} resources validated against FHIR R4 (${codesOutside()} codes outside a non-required binding)`);
        srv.close();
}

main().catch((e) => { console.error(e.stack || e); process.exit(1); });
