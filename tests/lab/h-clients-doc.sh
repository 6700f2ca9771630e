#!/bin/bash
# Host test: every program in docs/clients.md is an example file, copied
# whole.  A fenced block of sh, python or js must follow a line
# "<!-- example: PATH -->" and equal the file PATH, which
# tests/lab/t-clients.sh runs in the lab; so no snippet of the page is
# left unrun.  Every file of clients/*/examples/ appears on the page
# (but status.py and status.js, which it only names).
set -euo pipefail
python3 - docs/clients.md <<'PY'
import glob, re, sys
doc = sys.argv[1]
text = open(doc, encoding="utf-8").read()
bad, seen = [], set()
for m in re.finditer(r"(?:<!-- example: (\S+) -->\n)?```(\w*)\n(.*?)```\n", text, re.S):
    path, lang, body = m.groups()
    line = text.count("\n", 0, m.start()) + 1
    if lang not in ("sh", "bash", "python", "js", "javascript"):
        continue
    if not path:
        bad.append("%s:%d: a %s block that is not an example file" % (doc, line, lang))
        continue
    seen.add(path)
    try:
        want = open(path, encoding="utf-8").read()
    except OSError as e:
        bad.append("%s:%d: %s" % (doc, line, e))
        continue
    if body != want:
        bad.append("%s:%d: differs from %s" % (doc, line, path))
n = len(seen)
for f in sorted(glob.glob("clients/*/examples/*")):
    if f not in seen and not re.search(r"/(status)\.(py|js)$", f):
        bad.append("%s is not shown in %s" % (f, doc))
for b in bad:
    print(b)
if bad or not n:
    sys.exit(1)
print("%d programs in %s, each the example file it names" % (n, doc))
PY
