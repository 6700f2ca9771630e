#!/usr/bin/env node
// carnetd from Node without the module: http.request takes a socketPath.
// bare.js [SOCKET]
const http = require('node:http');
const SOCK = process.argv[2] || '/run/carnet/carnetd.sock';

// call(method, path, {json, body, headers, token}) -> Promise: the parsed JSON
// for a JSON reply; rejects with an Error carrying status, code and details.
function call(method, path, {json, body, headers = {}, token} = {}) {
  return new Promise((resolve, reject) => {
    if (json !== undefined) {
      body = Buffer.from(JSON.stringify(json));
      headers['Content-Type'] = 'application/json';
    }
    if (token) headers['X-Carnet-Session'] = token;
    if (body) headers['Content-Length'] = body.length;
    const req = http.request({socketPath: SOCK, method, path, headers}, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const isJson = (res.headers['content-type'] || '').startsWith('application/json');
        const doc = isJson && raw.length ? JSON.parse(raw) : raw;
        if (res.statusCode >= 200 && res.statusCode < 300) resolve(doc);
        else reject(Object.assign(new Error(doc.error ? doc.error.message : `HTTP ${res.statusCode}`),
                                  {status: res.statusCode, code: doc.error && doc.error.code,
                                   details: doc.error && doc.error.details}));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  for (const reader of (await call('GET', '/v1/status')).readers) console.log(reader.name, reader.card_present);
  try {
    await call('GET', '/v1/sessions/current');
  } catch (e) {
    console.log(e.status, e.code);                   // 401 no_session
  }
}

main().catch((e) => { console.error(e.message); process.exit(1); });
