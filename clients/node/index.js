// carnet-client: a client for carnetd's API, Node's standard modules only.
//
// carnetd speaks HTTP/1.1 with JSON bodies on a Unix stream socket;
// http.request takes a socketPath, so that is the whole transport.
//
//   const {Carnet, CarnetError} = require('carnet-client');   // or './clients/node'
//   const api = new Carnet('/run/carnet/carnetd.sock');
//   await api.login(pin);                  // the token is kept for later calls
//   try { await api.dossier(ins); }
//   catch (e) { if (e instanceof CarnetError) console.log(e.status, e.code, e.details); }
//
// docs/clients.md explains the API from Python, Node and curl.
'use strict';
const http = require('node:http');
const readline = require('node:readline');

const DEFAULT_SOCKET = '/run/carnet/carnetd.sock';
const SESSION_HEADER = 'X-Carnet-Session';
const TEST_INS_OID = '1.2.250.1.213.1.4.10';

// carnetd's error reply {"error": {code, message, details}}, with the HTTP status.
class CarnetError extends Error {
  constructor(status, code, message, details) {
    super(`${message} (${code}, HTTP ${status})`);
    this.name = 'CarnetError';
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

// Headers must be ASCII: the metadata's accents as JSON \u escapes.
function asciiJson(o) {
  return JSON.stringify(o).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

const q = (segment) => encodeURIComponent(String(segment));

function errorOf(status, raw) {
  try {
    const e = JSON.parse(raw.toString('utf8')).error;
    return new CarnetError(status, e.code, e.message, e.details);
  } catch (_) {
    return new CarnetError(status, `http_${status}`, raw.toString('utf8', 0, 200));
  }
}

// carnetd's API.  token: the session token sent on every call, set by
// login() / patientLogin() or given.  Keep-alive connections are pooled by
// an http.Agent; close() ends them.
class Carnet {
  constructor(socketPath = DEFAULT_SOCKET, {token = null, timeout = 30000} = {}) {
    this.socketPath = socketPath;
    this.token = token;
    this.timeout = timeout;
    this.agent = new http.Agent({keepAlive: true, maxSockets: 1});
  }

  close() {
    this.agent.destroy();
  }

  // request(method, path, {json, body, query, headers, raw}) -> Promise:
  // the parsed JSON reply, or {status, headers, body: Buffer} when raw or
  // not JSON.  json: sent as JSON; body: a Buffer sent as is (give its
  // Content-Type in headers).  Rejects with a CarnetError for a reply
  // that is not 2xx, with the system error when carnetd cannot be reached.
  request(method, path, {json, body, query, headers = {}, raw = false} = {}) {
    if (query) {
      const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null));
      if ([...qs].length) path += '?' + qs;
    }
    const h = {Accept: 'application/json', ...headers};
    if (this.token) h[SESSION_HEADER] = this.token;
    if (json !== undefined) {
      body = Buffer.from(JSON.stringify(json));
      h['Content-Type'] = 'application/json';
    } else if (body !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
      h['Content-Type'] = 'application/octet-stream';
    }
    if (body !== undefined) h['Content-Length'] = body.length;
    return new Promise((resolve, reject) => {
      const req = http.request({socketPath: this.socketPath, agent: this.agent, method, path, headers: h,
                                timeout: this.timeout}, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const data = Buffer.concat(chunks);
          if (res.statusCode < 200 || res.statusCode >= 300) return reject(errorOf(res.statusCode, data));
          const isJson = (res.headers['content-type'] || '').startsWith('application/json');
          if (raw || !isJson) return resolve({status: res.statusCode, headers: res.headers, body: data});
          resolve(data.length ? JSON.parse(data.toString('utf8')) : null);
        });
      });
      req.on('timeout', () => req.destroy(new Error(`carnetd: no answer in ${this.timeout} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  get(path, opts) { return this.request('GET', path, opts); }
  post(path, json = {}, opts = {}) { return this.request('POST', path, {json, ...opts}); }
  put(path, json = {}, opts = {}) { return this.request('PUT', path, {json, ...opts}); }
  delete(path, opts) { return this.request('DELETE', path, opts); }

  // -- sessions

  // Opens a professional session on the CPS card; keeps its token.
  async login(pin, reader) {
    const r = await this.post('/v1/sessions', reader ? {pin, reader} : {pin});
    this.token = r.token;
    return r.session;
  }

  // The patient's own session: their Carte Vitale in a reader, the secret
  // of the opening receipt; {index} or {nir} names them (default the holder).
  async patientLogin(secret, {index, nir, reader} = {}) {
    const body = {secret, ...(nir !== undefined ? {nir} : {index: index !== undefined ? index : 0})};
    if (reader) body.reader = reader;
    const r = await this.post('/v1/patient-sessions', body);
    this.token = r.token;
    return r.session;
  }

  session() { return this.get('/v1/sessions/current'); }

  async logout() {
    const s = await this.session();
    const r = await this.delete(`/v1/sessions/${q(s.id)}`);
    this.token = null;
    return r;
  }

  // normal, emergency (a reason required) or call_centre
  setMode(mode, reason) {
    return this.put('/v1/sessions/current/mode', reason === undefined ? {mode} : {mode, reason});
  }

  // -- dossiers

  // Opens the dossier of a person on the inserted Carte Vitale; the reply
  // holds the patient's secret, shown this once.
  createDossier({consent, index = 0, nir, reader, testIns = false}) {
    const body = {consent: Boolean(consent), ...(nir !== undefined ? {nir} : {index})};
    if (reader) body.reader = reader;
    if (testIns) body.ins_oid = TEST_INS_OID;
    return this.post('/v1/dossiers', body);
  }

  dossier(ins) { return this.get(`/v1/dossiers/${q(ins)}`); }
  recordConsent(ins) { return this.post(`/v1/dossiers/${q(ins)}/consent`, {consent: true}); }
  // {optout_emergency, optout_call_centre, notify}: booleans
  setOptions(ins, options) { return this.put(`/v1/dossiers/${q(ins)}/options`, options); }
  closeDossier(ins) { return this.post(`/v1/dossiers/${q(ins)}/close`); }
  reactivateDossier(ins) { return this.post(`/v1/dossiers/${q(ins)}/reactivate`); }
  destroyDossier(ins) { return this.delete(`/v1/dossiers/${q(ins)}`); }

  // -- documents

  // The documents the session may see, every page of them (carnetd sends at
  // most 1000 a page; limit asks for smaller pages); filters: section,
  // class, type, status, from, to.
  documents(ins, filters) { return this._pages(`/v1/dossiers/${q(ins)}/documents`, {...filters}, 'documents'); }

  // The items (member) of every page of a list, each page asked with the
  // "next" of the one before as its after, until it is null.
  async _pages(path, query, member) {
    const items = [];
    for (;;) {
      const page = await this.get(path, {query});
      items.push(...page[member]);
      if (page.next === null || page.next === undefined) return items;
      if (page.next === query.after) throw new Error(`carnetd gave the same page twice (next: ${page.next})`);
      query = {...query, after: page.next};
    }
  }

  // Deposits content (a Buffer or a string) with its metadata ({type_code,
  // class_code, title, medicines...}).  With mime the bytes go raw, the
  // metadata in the X-Carnet-Document header; without, as JSON with base64
  // content (meta must then hold mime).  {replaces: uid} deposits a new
  // version.  Resolves with {uid, warnings, ...}.
  deposit(ins, meta, content, {mime, replaces} = {}) {
    let path = `/v1/dossiers/${q(ins)}/documents`;
    if (replaces) path += `/${q(replaces)}/replace`;
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(String(content));
    if (mime)
      return this.request('POST', path, {body: bytes, headers: {'Content-Type': mime, 'X-Carnet-Document': asciiJson(meta)}});
    return this.post(path, {...meta, content_base64: bytes.toString('base64')});
  }

  document(ins, uid) { return this.get(`/v1/dossiers/${q(ins)}/documents/${q(uid)}`); }
  // {status, headers, body: Buffer}; headers['content-type'] is the document's MIME type
  content(ins, uid) { return this.get(`/v1/dossiers/${q(ins)}/documents/${q(uid)}/content`, {raw: true}); }
  // archive, mask, unmask or release
  documentAction(ins, uid, action) { return this.post(`/v1/dossiers/${q(ins)}/documents/${q(uid)}/${action}`); }

  // -- the patient's controls, the trail, notices

  async accessList(ins) { return (await this.get(`/v1/dossiers/${q(ins)}/access`)).professionals; }
  // {relation: none|authorised|care_team|traitant, blocked, sees_masked}
  setAccess(ins, nationalId, changes) { return this.put(`/v1/dossiers/${q(ins)}/access/${q(nationalId)}`, changes); }
  // The patient's trail, oldest first, every page of it (carnetd sends at
  // most 1000 entries a page; limit asks for smaller pages).  Each page is
  // a reading of its own, whose entry is the trail's newest: the walk ends
  // with its pages' readings, and pages of one would never end (refused).
  async trail(ins, {limit} = {}) {
    if (limit !== undefined && limit < 2) {
      throw new RangeError(`a walk of the trail in pages of ${limit} never ends: each page adds its reading`);
    }
    return this._pages(`/v1/dossiers/${q(ins)}/audit`, limit ? {limit} : {}, 'entries');
  }
  verifyAudit() { return this.get('/v1/audit/verify'); }
  // the patient's notices (with ins), or the calling professional's
  async notifications(ins) {
    return (await this.get(ins ? `/v1/dossiers/${q(ins)}/notifications` : '/v1/notifications')).notifications;
  }

  // -- events

  // The events carnetd still holds after lastEventId, at once.
  queuedEvents(lastEventId = 0) { return this.get('/v1/events', {query: {last_event_id: lastEventId}}); }

  // GET /v1/events as an EventStream on a connection of its own.
  events({lastEventId} = {}) { return new EventStream(this.socketPath, lastEventId); }
}

// A Server-Sent Events stream of carnetd's events: `for await (const e of
// stream)` yields each event's JSON data until carnetd ends the stream or
// close() is called.
class EventStream {
  constructor(socketPath, lastEventId) {
    const headers = {Accept: 'text/event-stream'};
    if (lastEventId !== undefined && lastEventId !== null) headers['Last-Event-ID'] = String(lastEventId);
    this.req = http.get({socketPath, path: '/v1/events', headers, agent: false});
    this.res = new Promise((resolve, reject) => {
      this.req.on('response', resolve);
      this.req.on('error', reject);
    });
  }

  close() {
    this.req.destroy();
  }

  async *[Symbol.asyncIterator]() {
    let res;
    try {
      res = await this.res;
    } catch (e) {
      if (this.req.destroyed) return;
      throw e;
    }
    if (res.statusCode !== 200) {
      const chunks = [];
      for await (const c of res) chunks.push(c);
      throw errorOf(res.statusCode, Buffer.concat(chunks));
    }
    res.setEncoding('utf8');
    let buf = '';
    try {
      for await (const chunk of res) {
        buf += chunk;
        let end;
        while ((end = buf.search(/\r?\n\r?\n/)) >= 0) {       // a blank line ends an event
          const block = buf.slice(0, end);
          buf = buf.slice(end).replace(/^\r?\n\r?\n/, '');
          const data = block.split(/\r?\n/).filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).replace(/^ /, '')).join('\n');
          if (data) yield JSON.parse(data);
        }
      }
    } catch (e) {
      if (!this.req.destroyed) throw e;                      // closed by close(): the end
    }
  }
}

// Reads a secret (a PIN) from stdin, without echo on a terminal.
function readSecret(prompt) {
  return new Promise((resolve) => {
    const rl = readline.createInterface({input: process.stdin, output: process.stderr, terminal: Boolean(process.stdin.isTTY)});
    process.stderr.write(prompt);
    rl._writeToOutput = () => {};                            // no echo of what is typed
    rl.once('line', (line) => {
      resolve(line);                                         // before close(), which resolves ''
      rl.close();
      process.stderr.write('\n');
    });
    rl.once('close', () => resolve(''));
  });
}

module.exports = {Carnet, CarnetError, EventStream, DEFAULT_SOCKET, SESSION_HEADER, asciiJson, readSecret};
