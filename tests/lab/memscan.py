#!/usr/bin/env python3
# tests/lab/memscan.py PID WORD...: searches every readable mapping of the
# process PID (its heaps, thread arenas, stacks, anonymous memory) for each
# WORD, and prints "WORD: N" (how many times it is there).  Used to show
# that a secret is gone from carnetd's memory, freed heap included.
import sys
pid, words = sys.argv[1], [w.encode() for w in sys.argv[2:]]
counts = {w: 0 for w in words}
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        f = line.split()
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        name = f[5] if len(f) > 5 else ""
        if "r" not in f[1] or name in ("[vvar]", "[vsyscall]", "[vdso]"):
            continue
        try:
            mem.seek(lo)
            data = mem.read(hi - lo)
        except OSError:
            continue
        for w in words:
            counts[w] += data.count(w)
for w in words:
    print(f"{w.decode()}: {counts[w]}")
