// carnet-client against a running carnetd (the lab: tests/lab/t-clients.sh).
// CARNET_SOCKET names the socket; the family's Carte Vitale is in one
// reader and a doctor's CPS (PIN 1234) in another; no dossier exists yet.
// Covers sessions, dossiers, documents, events and errors.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const {Carnet, CarnetError} = require('..');

const SOCKET = process.env.CARNET_SOCKET || '/run/carnet/carnetd.sock';
const PIN = '1234';

async function refused(status, code, promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof CarnetError, `not a CarnetError: ${e}`);
    assert.deepEqual([e.status, e.code], [status, code], e.message);
    return e;
  }
  assert.fail(`expected ${status} ${code}, got a success`);
}

test('the client', async (t) => {
  const api = new Carnet(SOCKET);
  const session = await api.login(PIN);
  const ins = (await api.get('/v1/vitale')).persons[0].nir;
  const receipt = await api.createDossier({consent: true, index: 0, testIns: true});
  t.after(() => api.close());

  await t.test('sessions', async () => {
    const s = await api.session();
    assert.equal(s.kind, 'professional');
    assert.equal(s.id, session.id);
    assert.match(api.token, /^[0-9a-f]{64}$/);
    await refused(400, 'reason_required', api.setMode('emergency'));
    assert.equal((await api.setMode('emergency', 'a test')).mode, 'emergency');
    assert.equal((await api.setMode('normal')).mode, 'normal');
    const other = new Carnet(SOCKET);
    await refused(409, 'session_exists', other.login(PIN));
    other.close();
  });

  await t.test('dossiers', async () => {
    assert.equal(receipt.ins, ins);
    assert.match(receipt.secret, /^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
    const d = await api.dossier(ins);
    assert.equal(d.status, 'open');
    assert.equal(d.identity.birth_name, 'MARTIN');
    await refused(409, 'dossier_exists', api.createDossier({consent: true}));
    assert.equal((await api.recordConsent(ins)).consent_recorded, true);
  });

  await t.test('documents', async () => {
    const meta = {type_code: '11488-4', class_code: '10', title: 'Compte rendu, révisé'};
    const raw = await api.deposit(ins, meta, 'Consultation: stable, café', {mime: 'text/plain'});
    const js = await api.deposit(ins, {...meta, mime: 'text/plain'}, Buffer.from([0, 1, 2]));
    assert.deepEqual(raw.warnings, []);
    const uids = (await api.documents(ins)).map((d) => d.uid);
    assert.ok(uids.includes(raw.uid) && uids.includes(js.uid), uids.join(' '));
    // in pages of one, followed to the last: the same list, in its order
    assert.deepEqual((await api.documents(ins, {limit: 1})).map((d) => d.uid), uids);
    const page = await api.get(`/v1/dossiers/${ins}/documents`, {query: {limit: 1}});
    assert.deepEqual([page.count, page.next], [1, page.documents[0].uid]);
    assert.equal((await api.document(ins, raw.uid)).title, 'Compte rendu, révisé');
    const c = await api.content(ins, js.uid);
    assert.deepEqual([...c.body], [0, 1, 2]);
    assert.match(c.headers['content-type'], /^text\/plain/);
    assert.equal((await api.content(ins, raw.uid)).body.toString('utf8'), 'Consultation: stable, café');
    const v2 = await api.deposit(ins, meta, 'v2', {mime: 'text/plain', replaces: raw.uid});
    assert.equal(v2.replaces, raw.uid);
    assert.equal((await api.documentAction(ins, v2.uid, 'archive')).archived, true);
    await refused(403, 'access_denied', api.documentAction(ins, js.uid, 'mask'));
    const rx = await api.deposit(ins, {type_code: '57833-6', class_code: '42', title: 'Ordonnance',
                                       medicines: ['B01AA03', 'N02BA01']}, 'rx', {mime: 'text/plain'});
    assert.deepEqual(rx.warnings.map((w) => w.kind), ['interaction']);
  });

  await t.test("the patient's session", async () => {
    const patient = new Carnet(SOCKET);
    await refused(401, 'bad_secret', patient.patientLogin('AAAA-AAAA-AAAA-AAAA'));
    assert.equal((await patient.patientLogin(receipt.secret)).kind, 'patient');
    assert.deepEqual((await patient.setOptions(ins, {notify: true})).changed, {notify: true});
    const ids = (await patient.accessList(ins)).map((p) => p.national_id);
    assert.ok(ids.includes(session.professional.national_id));
    const whole = await patient.trail(ins);
    assert.ok(whole.some((e) => e.action === 'create'));
    // in pages of two, followed to the last: the trail read before, in its
    // order, then the readings (each page's own entry) only
    const paged = await patient.trail(ins, {limit: 2});
    const seqs = paged.map((e) => e.seq);
    assert.deepEqual(seqs.slice(0, whole.length), whole.map((e) => e.seq));
    assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), seqs.join(' '));
    assert.deepEqual([...new Set(paged.slice(whole.length).map((e) => e.action))], ['read-trail']);
    // k pages of 2 hold whole.length + k entries, every page but the last full
    const k = paged.length - whole.length;
    assert.ok(k === whole.length || k === whole.length + 1, `${k} pages for ${whole.length} entries`);
    await assert.rejects(patient.trail(ins, {limit: 1}), RangeError);
    const page = await patient.get(`/v1/dossiers/${ins}/audit`, {query: {limit: 1}});
    assert.deepEqual([page.count, page.next], [1, page.entries[0].seq]);
    assert.ok(Array.isArray(await patient.notifications(ins)));
    await patient.logout();
    assert.equal(patient.token, null);
    await refused(401, 'no_session', patient.session());
    patient.close();
  });

  await t.test('errors', async () => {
    const e = await refused(400, 'unknown_field', api.post('/v1/nir/check', {nir: '1', typo: 1}));
    assert.equal(e.details.field, 'typo');
    const anon = new Carnet(SOCKET);
    await refused(401, 'no_session', anon.session());
    anon.close();
    await refused(404, 'not_found', api.get('/v1/nope'));
    await refused(422, 'bad_ins', api.dossier('280057512345675'));
    const d = await refused(403, 'access_denied', api.trail(ins));
    assert.equal(d.details.reason, 'deny-patient-only');
    await assert.rejects(new Carnet('/nonexistent.sock').get('/v1/status'), {code: 'ENOENT'});
  });

  await t.test('events', async () => {
    const queued = await api.queuedEvents();
    const types = queued.events.map((e) => e.type);
    assert.ok(types.includes('card_inserted') && types.includes('session_started'), types.join(' '));
    const stream = api.events({lastEventId: 0});
    const timer = setTimeout(() => stream.close(), 10000);   // a stuck stream fails, never hangs
    let first;
    for await (const e of stream) {
      first = e;
      break;
    }
    clearTimeout(timer);
    stream.close();
    assert.deepEqual(first, queued.events[0]);
  });
});
