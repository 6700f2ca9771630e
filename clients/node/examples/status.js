#!/usr/bin/env node
// Prints carnetd's version and what each reader holds.  status.js [SOCKET]
const {Carnet, DEFAULT_SOCKET} = require('carnet-client');

async function main(socketPath) {
  const api = new Carnet(socketPath);
  const status = await api.get('/v1/status');
  console.log('carnetd', status.version, 'pcscd reachable:', status.pcscd.reachable);
  for (const reader of status.readers)
    console.log(`${reader.name}:`, reader.card ? reader.card.type : 'empty');
  api.close();
}

main(process.argv[2] || DEFAULT_SOCKET).catch((e) => { console.error(e.message); process.exit(1); });
