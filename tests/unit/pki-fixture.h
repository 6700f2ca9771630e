/* tests/unit/pki-fixture.h: a throw-away test PKI (tests/pki/mkpki.sh) in a
 * private temporary folder, for the tests of trust and sessions.  The
 * tests run from the repository root (tests/run-unit.sh). */
#pragma once

#include <stdio.h>
#include <stdlib.h>

/* Makes /tmp/carnet-test-NAME.XXXXXX into dir (64 bytes) and the PKI in
 * dir/pki.  Returns 0 or -1. */
static inline int pki_make(char dir[64], const char *name) {
        char cmd[256];
        snprintf(dir, 64, "/tmp/carnet-test-%s.XXXXXX", name);
        if (!mkdtemp(dir))
                return -1;
        snprintf(cmd, sizeof(cmd), "sh tests/pki/mkpki.sh %s/pki >%s/mkpki.log 2>&1", dir, dir);
        return system(cmd) == 0 ? 0 : -1;
}

/* Removes dir and everything in it.  Returns 0 or -1. */
static inline int pki_remove(const char *dir) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}
