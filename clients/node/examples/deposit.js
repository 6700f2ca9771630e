#!/usr/bin/env node
// Logs in with the CPS card (the PIN read without echo), opens the dossier
// of the Carte Vitale's holder if there is none (the patient was informed
// and agreed), deposits a prescription and shows its alerts.
// deposit.js [SOCKET]
const {Carnet, CarnetError, DEFAULT_SOCKET, readSecret} = require('carnet-client');

async function main(socketPath) {
  const api = new Carnet(socketPath);
  await api.login(await readSecret('CPS PIN: '));
  const ins = (await api.get('/v1/vitale')).persons[0].nir;
  try {
    await api.dossier(ins);
  } catch (e) {
    if (e.code !== 'no_dossier') throw e;
    const receipt = await api.createDossier({consent: true, index: 0});
    console.log("dossier opened; the patient's secret, for the receipt only:", receipt.secret);
  }
  try {
    const r = await api.deposit(ins, {type_code: '57833-6', class_code: '42', title: 'Ordonnance',
                                      medicines: ['B01AA03', 'N02BA01']},
                                'warfarin 5 mg; aspirin 100 mg', {mime: 'text/plain'});
    console.log('deposited', r.uid);
    for (const w of r.warnings) console.log('ALERT', w.kind, w.detail);   // care-coordination alerts
    await api.trail(ins);                                                  // the patient's own: refused
  } catch (e) {
    if (!(e instanceof CarnetError)) throw e;
    if (e.status === 401) console.log('session ended: log in again');
    else if (e.status === 403) console.log('refused by the rules:', e.details.reason);
    else throw e;
  }
  await api.logout();
  api.close();
}

main(process.argv[2] || DEFAULT_SOCKET).catch((e) => { console.error(e.message); process.exit(1); });
