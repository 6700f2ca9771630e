// tests/fhir/validate.js: every resource carnet's FHIR face returns must
// validate against FHIR R4 with FHIR.js (the npm package "fhir", pinned in
// package.json): no error, and no warning (an unexpected property is a
// warning there) but one: FHIR.js checks every coded element against the
// value set of its binding, and reports a code outside a required binding
// as an error but outside an extensible, preferred or example one (which
// FHIR allows: DocumentReference.category, meta.tag, securityLabel) as a
// warning "not found in value set"; those are allowed, and counted.  Used by journey.js; "node validate.js FILE..." checks
// saved resources.  MODULES: the node_modules tests/fhir/install.sh filled.
'use strict';
const path = require('path');
const { Fhir } = require(path.join(process.env.MODULES || 'node_modules', 'fhir'));
const fhir = new Fhir();

let checked = 0, open = 0;
function validate(what, resource) {
        const res = fhir.validate(resource);
        const bad = res.messages.filter((m) => m.severity === 'error' ||
                (m.severity === 'warning' && !/^Code "[^"]*" \([^)]*\) not found in value set$/.test(m.message)));
        open += res.messages.length - bad.length;
        if (!res.valid || bad.length) {
                const lines = bad.map((m) => `  ${m.severity} ${m.location}: ${m.message}`).join('\n');
                throw new Error(`${what}: not valid FHIR R4 (${resource && resource.resourceType}):\n${lines}`);
        }
        checked++;
        return resource;
}
module.exports = { validate, checked: () => checked, codesOutside: () => open };

if (require.main === module) {
        const fs = require('fs');
        for (const f of process.argv.slice(2))
                validate(f, JSON.parse(fs.readFileSync(f, 'utf8')));
        console.log(`${checked} resources valid FHIR R4`);
}
