#!/usr/bin/env python3
# tests/openapi/spec-to-c.py SPEC.yaml OUT.c: writes OUT.c defining
# api_openapi_json (api/openapi.h), the spec as compact JSON, for carnetd
# to serve at GET /v1/openapi.json.  Run by the Makefile into $(BUILD);
# its output is never committed.  Needs python3-yaml (Debian).
import json
import os
import sys

import yaml

spec_path, out_path = sys.argv[1], sys.argv[2]
with open(spec_path, encoding="utf-8") as f:
    doc = yaml.safe_load(f)
if not isinstance(doc, dict) or "openapi" not in doc:
    sys.exit(f"{spec_path}: not an OpenAPI document")
data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
lines = ["/* generated from %s by tests/openapi/spec-to-c.py: do not edit */" % spec_path,
         '#include "api/openapi.h"', "", "const char api_openapi_json[] = {"]
for i in range(0, len(data), 16):
    lines.append("        " + ",".join(str(b) for b in data[i:i + 16]) + ",")
lines += ["        0};", "const size_t api_openapi_json_len = %d;" % len(data), ""]
with open(out_path + ".tmp", "w", encoding="ascii") as f:
    f.write("\n".join(lines))
os.replace(out_path + ".tmp", out_path)
