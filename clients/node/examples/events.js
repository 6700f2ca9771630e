#!/usr/bin/env node
// Follows carnetd's events from the oldest still queued; stops after COUNT
// of them (default: never).  events.js [SOCKET [COUNT]]
const {Carnet, DEFAULT_SOCKET} = require('carnet-client');

async function main(socketPath, count) {
  const stream = new Carnet(socketPath).events({lastEventId: 0});
  let n = 0;
  for await (const event of stream) {
    console.log(event.id, event.type, event.reader, event.detail);
    if (++n === count) break;
  }
  stream.close();
}

main(process.argv[2] || DEFAULT_SOCKET, Number(process.argv[3]) || 0)
  .catch((e) => { console.error(e.message); process.exit(1); });
