/* reader/readers.c: reader snapshot through libpcsclite. */
#include <PCSC/winscard.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/macro.h"
#include "readers.h"

static void ctx_release(SCARDCONTEXT *ctx) {
        if (*ctx)
                SCardReleaseContext(*ctx);
}

int readers_snapshot(struct reader_snapshot *ret) {
        _cleanup_(ctx_release) SCARDCONTEXT ctx = 0;
        char names[READERS_MAX * READER_NAME_MAX];
        DWORD len = sizeof(names);
        SCARD_READERSTATE st[READERS_MAX];
        int r = 0;

        memset(ret, 0, sizeof(*ret));
        LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
        if (rv != SCARD_S_SUCCESS) {
                ctx = 0;
                snprintf(ret->error, sizeof(ret->error), "%s", pcsc_stringify_error(rv));
                return 0;
        }
        rv = SCardListReaders(ctx, NULL, names, &len);
        if (rv == (LONG)SCARD_E_NO_READERS_AVAILABLE) {
                ret->pcscd_reachable = true;
                return 0;
        }
        if (rv != SCARD_S_SUCCESS) {
                snprintf(ret->error, sizeof(ret->error), "%s", pcsc_stringify_error(rv));
                return 0;
        }
        ret->pcscd_reachable = true;
        for (const char *p = names; *p && p < names + len; p += strlen(p) + 1) {
                if (ret->n == READERS_MAX) {
                        r = -ENOBUFS;
                        break;
                }
                if (strcpy_bounded(ret->r[ret->n].name, READER_NAME_MAX, p) < 0)
                        continue; /* longer than PC/SC's own limit: not a real reader */
                st[ret->n] = (SCARD_READERSTATE){.szReader = ret->r[ret->n].name,
                                                 .dwCurrentState = SCARD_STATE_UNAWARE};
                ret->n++;
        }
        if (ret->n == 0)
                return r;
        rv = SCardGetStatusChange(ctx, 0, st, (DWORD)ret->n);
        if (rv != SCARD_S_SUCCESS && rv != (LONG)SCARD_E_TIMEOUT) {
                ret->pcscd_reachable = false;
                snprintf(ret->error, sizeof(ret->error), "%s", pcsc_stringify_error(rv));
                return r;
        }
        for (size_t i = 0; i < ret->n; i++) {
                struct reader_info *ri = &ret->r[i];
                ri->card_present = (st[i].dwEventState & SCARD_STATE_PRESENT) &&
                                   !(st[i].dwEventState & SCARD_STATE_MUTE);
                ri->card_events = (unsigned)(st[i].dwEventState >> 16) & 0xFFFFu;
                if (ri->card_present && st[i].cbAtr <= READER_ATR_MAX) {
                        memcpy(ri->atr, st[i].rgbAtr, st[i].cbAtr);
                        ri->atr_len = st[i].cbAtr;
                }
        }
        return r;
}
