#!/bin/bash
# tests/lab/h-systemd-udev.sh (host test): udev/60-carnet-readers.rules.
#
# `udevadm verify` checks udev rules from systemd 253 on; Debian 12 has
# udev 252, without it (and the lab machine may have no udev at all).  So
# this test runs `udevadm verify` when it exists, and always:
#  - a syntax check in python3 that follows udev's rule grammar: KEY or
#    KEY{ATTR}, an operator, a double-quoted value, commas between;
#    known keys only; match keys with == or != only, assignment keys
#    without them; every GOTO has its LABEL further down;
#  - the policy: no OWNER, GROUP or MODE (carnet needs no device access,
#    docs/operations.md), the reader tagged for systemd and wanting
#    carnetd.service;
#  - a small evaluator that runs the rules, GOTO/LABEL included, on
#    uevents (a CCID reader added, a composite keyboard+reader, a
#    keyboard, a removal, an interface rather than the device, a
#    vendor-class reader with the local rule documented in the file's
#    header) and checks which ones become systemd devices wanting carnetd.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
rules=$top/udev/60-carnet-readers.rules
fail() { echo "FAIL: $*" >&2; exit 1; }

if command -v udevadm >/dev/null && udevadm verify --help >/dev/null 2>&1; then
        udevadm verify "$rules" || fail "udevadm verify"
        echo "ok: udevadm verify"
else
        echo "note: no 'udevadm verify' here ($(udevadm --version 2>/dev/null || echo "no udevadm")): python3 check only"
fi

python3 - "$rules" <<'PY'
import fnmatch, re, sys

path = sys.argv[1]
MATCH_ONLY = {"ACTION", "DEVPATH", "KERNEL", "KERNELS", "SUBSYSTEM", "SUBSYSTEMS", "DRIVER",
              "DRIVERS", "ATTRS", "TAGS", "CONST", "RESULT", "TEST", "PROGRAM"}
ASSIGN_ONLY = {"OWNER", "GROUP", "MODE", "SECLABEL", "RUN", "LABEL", "GOTO", "IMPORT", "OPTIONS"}
BOTH = {"NAME", "SYMLINK", "ATTR", "SYSCTL", "ENV", "TAG"}
NEEDS_ATTR = {"ATTR", "ATTRS", "SYSCTL", "ENV", "CONST", "SECLABEL", "IMPORT"}
TOKEN = re.compile(r'\s*([A-Z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*')

def parse(text, name):
    """Returns the rules as lists of (key, attr, op, value); exits on error."""
    rules, lines, buf, start = [], text.split("\n"), "", 0
    for n, raw in enumerate(lines, 1):
        if not buf:
            start = n
        if raw.endswith("\\"):
            buf += raw[:-1]
            continue
        line, buf = (buf + raw).strip(), ""
        if not line or line.startswith("#"):
            continue
        toks, pos = [], 0
        while pos < len(line):
            m = TOKEN.match(line, pos)
            if not m:
                sys.exit(f"{name}:{start}: cannot parse at: {line[pos:]!r}")
            key, attr, op, value = m.groups()
            where = f"{name}:{start}: {key}"
            if key not in MATCH_ONLY | ASSIGN_ONLY | BOTH:
                sys.exit(f"{where}: unknown key")
            if key in NEEDS_ATTR and attr is None:
                sys.exit(f"{where}: needs {{attribute}}")
            if key in MATCH_ONLY and op not in ("==", "!="):
                sys.exit(f"{where}: a match key takes == or !=, not {op}")
            if key in ASSIGN_ONLY and op in ("==", "!="):
                sys.exit(f"{where}: an assignment key cannot take {op}")
            toks.append((key, attr, op, value))
            pos = m.end()
            if pos < len(line):
                if line[pos] != ",":
                    sys.exit(f"{name}:{start}: expected ',' at: {line[pos:]!r}")
                pos += 1
        rules.append(toks)
    labels_after = set()
    for toks in reversed(rules):
        for key, _, _, value in toks:
            if key == "LABEL":
                labels_after.add(value)
            if key == "GOTO" and value not in labels_after:
                sys.exit(f"{name}: GOTO=\"{value}\" has no LABEL after it")
    return rules

text = open(path).read()
rules = parse(text, path)
print(f"ok: syntax: {len(rules)} rules parse with udev's grammar")

keys = {k for toks in rules for k, _, _, _ in toks}
if keys & {"OWNER", "GROUP", "MODE"}:
    sys.exit("policy: the rules change a device's owner, group or mode; carnet needs no device access")
if not any(("TAG", None, "+=", "systemd") == t for toks in rules for t in toks):
    sys.exit('policy: no TAG+="systemd"')
print("ok: policy: no OWNER/GROUP/MODE; TAG+=\"systemd\" present")

def glob(pattern, value):
    return any(fnmatch.fnmatchcase(value, p) for p in pattern.split("|"))

def run(rule_sets, event):
    """Applies rule_sets (lists of rules, in order) to event (a dict with
    ACTION, SUBSYSTEM, ENV and ATTR); returns (env, tags)."""
    env, tags = dict(event["ENV"]), set()
    for rs in rule_sets:
        i = 0
        while i < len(rs):
            toks, jump = rs[i], None
            ok = True
            for key, attr, op, value in toks:
                if op in ("==", "!="):
                    if key in ("ACTION", "SUBSYSTEM"):
                        have = event[key]
                    elif key == "ENV":
                        have = env.get(attr, "")
                    elif key == "ATTR":
                        have = event["ATTR"].get(attr, "")
                    else:
                        sys.exit(f"evaluator: no support for matching {key}")
                    if glob(value, have) != (op == "=="):
                        ok = False
                        break
            if ok:
                for key, attr, op, value in toks:
                    if op in ("==", "!="):
                        continue
                    if key == "ENV":
                        env[attr] = (env.get(attr, "") + " " + value).strip() if op == "+=" else value
                    elif key == "TAG":
                        tags.add(value)
                    elif key == "GOTO":
                        jump = value
                    elif key == "LABEL":
                        pass
                    else:
                        sys.exit(f"evaluator: no support for assigning {key}")
            if jump:
                i = next(j for j in range(i + 1, len(rs)) if ("LABEL", None, "=", jump) in rs[j])
            i += 1
    return env, tags

# The local rule documented in the header, for a vendor-class reader.
local = [l[1:].strip() for l in text.split("\n") if l.startswith("#   SUBSYSTEM==")]
if len(local) != 1:
    sys.exit("the header should document one local rule example")
local_rules = parse(local[0].replace("vvvv", "1234").replace("pppp", "abcd"), "local example")

def event(action="add", devtype="usb_device", ifaces=":0b0000:", vendor="072f", product="90cc"):
    return {"ACTION": action, "SUBSYSTEM": "usb",
            "ENV": {"DEVTYPE": devtype, "ID_USB_INTERFACES": ifaces},
            "ATTR": {"idVendor": vendor, "idProduct": product}}

cases = [
    ("CCID reader added", [rules], event(), True),
    ("CCID reader, bind event", [rules], event(action="bind"), True),
    ("CCID reader, change event", [rules], event(action="change"), True),
    ("keyboard + CCID reader (composite)", [rules], event(ifaces=":030101:0b0000:"), True),
    ("CCID reader, other subclass/protocol", [rules], event(ifaces=":0b0100:"), True),
    ("keyboard", [rules], event(ifaces=":030101:"), False),
    ("class 0x0b only as subclass of another", [rules], event(ifaces=":ff0b00:"), False),
    ("CCID reader removed", [rules], event(action="remove"), False),
    ("the reader's interface, not the device", [rules], event(devtype="usb_interface"), False),
    ("vendor-class reader, no local rule", [rules], event(ifaces=":ff0000:", vendor="1234", product="abcd"), False),
    ("vendor-class reader, local rule", [local_rules, rules], event(ifaces=":ff0000:", vendor="1234", product="abcd"), True),
    ("other vendor device, local rule", [local_rules, rules], event(ifaces=":ff0000:", vendor="1234", product="0000"), False),
]
for name, rule_sets, ev, want in cases:
    env, tags = run(rule_sets, ev)
    wants = env.get("SYSTEMD_WANTS", "").split()
    got = "systemd" in tags and "carnetd.service" in wants
    if got != want:
        sys.exit(f"evaluator: {name}: tagged={'systemd' in tags} wants={wants}, expected {'a' if want else 'no'} carnetd device")
    if not want and ("systemd" in tags or wants):
        sys.exit(f"evaluator: {name}: tagged or wanting something anyway: {tags} {wants}")
print(f"ok: evaluator: {len(cases)} uevents, the CCID readers (and the locally added one) want carnetd.service")
PY
