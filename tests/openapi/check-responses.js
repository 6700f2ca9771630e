#!/usr/bin/env node
// tests/openapi/check-responses.js SPEC.json DIR: checks recorded carnetd
// responses against the OpenAPI document SPEC.json (what GET
// /v1/openapi.json serves).  DIR holds N.meta (one JSON line: method, the
// route template, status, content_type) and N.body for each response, as
// tests/lab/t-openapi-responses.sh records them.  Each response must be
// declared (its status, or the operation's default) with its media type;
// a response declared without content (a 304) must come without a body;
// a JSON body is validated by ajv against the declared schema, the
// OpenAPI 3.0 schema converted to JSON Schema (nullable, $ref).  A JSON
// response whose declaration has no schema is an error too: nothing is
// left unchecked.  Prints one line a response; exits 1 on any mismatch.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const modules = process.env.OPENAPI_MODULES;  // BUILD/openapi/node_modules
const Ajv = require(path.join(modules, 'ajv'));
const addFormats = require(path.join(modules, 'ajv-formats'));

const [specFile, dir] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(specFile, 'utf8'));

// OpenAPI 3.0 schema objects -> JSON Schema (draft 7 as ajv reads it).
function convert(s) {
  if (Array.isArray(s)) return s.map(convert);
  if (!s || typeof s !== 'object') return s;
  const o = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'example' || k === 'nullable') continue;
    if (k === '$ref') o.$ref = v.replace('#/components/schemas/', 'spec#/definitions/');
    else if (k === 'properties') o.properties = Object.fromEntries(Object.entries(v).map(([n, x]) => [n, convert(x)]));
    else if (k === 'format' && (v === 'binary')) continue;
    else o[k] = convert(v);
  }
  if (s.nullable === true) {
    if (o.enum && !o.enum.includes(null)) o.enum = [...o.enum, null];
    return {anyOf: [{type: 'null'}, o]};
  }
  return o;
}

const ajv = new Ajv({allErrors: true, strict: false});
addFormats(ajv);
const defs = Object.fromEntries(Object.entries(spec.components.schemas).map(([n, x]) => [n, convert(x)]));
ajv.addSchema({$id: 'spec', definitions: defs});

function resolve(x) {  // a $ref to components (responses, schemas), one level
  while (x && x.$ref) {
    const parts = x.$ref.replace(/^#\//, '').split('/');
    x = parts.reduce((a, p) => a[p], spec);
  }
  return x;
}

let bad = 0, checked = 0;
const ops = new Set();
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.meta')).sort((a, b) => parseInt(a) - parseInt(b));
for (const f of files) {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  const bodyFile = path.join(dir, f.replace(/\.meta$/, '.body'));
  const raw = fs.existsSync(bodyFile) ? fs.readFileSync(bodyFile) : Buffer.alloc(0);  // curl writes none for no body
  const what = `${meta.method} ${meta.path} -> ${meta.status}`;
  const fail = (why) => { bad++; console.log(`FAIL ${what}: ${why}`); };
  const op = spec.paths[meta.path] && spec.paths[meta.path][meta.method.toLowerCase()];
  if (!op) { fail('no such operation in the spec'); continue; }
  const resp = resolve(op.responses[String(meta.status)] || op.responses.default);
  if (!resp) { fail('status not declared'); continue; }
  const mt = (meta.content_type || '').split(';')[0].trim();
  if (!resp.content) {  // a response declared without content (304): none came
    if (mt || raw.length) { fail(`a body (${mt || 'no type'}, ${raw.length} bytes) where none is declared`); continue; }
    ops.add(`${meta.method} ${meta.path}`);
    checked++;
    console.log(`ok   ${what} (no body, declared)`);
    continue;
  }
  const content = resp.content;
  const media = content[mt] || content['*/*'];
  if (!media) { fail(`media type '${mt}' not declared (declared: ${Object.keys(content).join(', ') || 'none'})`); continue; }
  ops.add(`${meta.method} ${meta.path}`);
  if (mt !== 'application/json') { checked++; console.log(`ok   ${what} (${mt}, declared)`); continue; }
  if (!media.schema) { fail('a JSON response without a schema'); continue; }
  let doc;
  try { doc = JSON.parse(raw.toString('utf8')); } catch (e) { fail(`not JSON: ${e.message}`); continue; }
  const validate = ajv.compile(convert(media.schema));
  if (!validate(doc)) {
    fail(ajv.errorsText(validate.errors, {separator: '; '}));
    continue;
  }
  checked++;
  console.log(`ok   ${what}`);
}
const all = Object.entries(spec.paths).flatMap(([p, o]) => Object.keys(o).map((m) => `${m.toUpperCase()} ${p}`));
console.log(`${checked} responses match their schemas, ${bad} do not; ${ops.size} of ${all.length} operations seen`);
if (process.env.OPENAPI_REPORT_MISSING)
  for (const o of all) if (!ops.has(o)) console.log(`not exercised: ${o}`);
process.exit(bad || !checked ? 1 : 0);
