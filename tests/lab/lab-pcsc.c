/* tests/lab/lab-pcsc.c: a small PC/SC probe for lab scripts.
 *
 *   lab-pcsc list                          readers and card presence
 *   lab-pcsc wait READER present|absent S  waits up to S seconds
 *   lab-pcsc hold READER S                 holds the card exclusively (as
 *                                          another program may) for S
 *                                          seconds, "held" once it does
 *
 * Exit codes: 0 done, 1 timeout or PC/SC error, 2 usage. */
#include <PCSC/winscard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int list(SCARDCONTEXT ctx) {
        char buf[4096];
        DWORD len = sizeof(buf);
        LONG rv = SCardListReaders(ctx, NULL, buf, &len);
        if (rv == (LONG)SCARD_E_NO_READERS_AVAILABLE)
                return 0;
        if (rv != SCARD_S_SUCCESS) {
                fprintf(stderr, "lab-pcsc: SCardListReaders: %s\n", pcsc_stringify_error(rv));
                return 1;
        }
        for (char *r = buf; *r; r += strlen(r) + 1) {
                SCARD_READERSTATE st = {.szReader = r, .dwCurrentState = SCARD_STATE_UNAWARE};
                rv = SCardGetStatusChange(ctx, 0, &st, 1);
                if (rv != SCARD_S_SUCCESS) {
                        fprintf(stderr, "lab-pcsc: %s: %s\n", r, pcsc_stringify_error(rv));
                        return 1;
                }
                printf("%s\t%s\n", r, st.dwEventState & SCARD_STATE_PRESENT ? "present" : "absent");
        }
        return 0;
}

static int wait_for(SCARDCONTEXT ctx, const char *reader, int want_present, long seconds) {
        SCARD_READERSTATE st = {.szReader = reader, .dwCurrentState = SCARD_STATE_UNAWARE};
        long left_ms = seconds * 1000;
        while (left_ms > 0) {
                LONG rv = SCardGetStatusChange(ctx, 200, &st, 1);
                if (rv == SCARD_S_SUCCESS) {
                        int present = !!(st.dwEventState & SCARD_STATE_PRESENT);
                        if (present == want_present)
                                return 0;
                        st.dwCurrentState = st.dwEventState & ~SCARD_STATE_CHANGED;
                } else if (rv != (LONG)SCARD_E_TIMEOUT && rv != (LONG)SCARD_E_UNKNOWN_READER) {
                        fprintf(stderr, "lab-pcsc: %s: %s\n", reader, pcsc_stringify_error(rv));
                        return 1;
                }
                left_ms -= 200;
        }
        fprintf(stderr, "lab-pcsc: %s: card still %s after %lds\n", reader,
                want_present ? "absent" : "present", seconds);
        return 1;
}

static int hold(SCARDCONTEXT ctx, const char *reader, long seconds) {
        SCARDHANDLE h;
        DWORD proto;
        LONG rv = SCardConnect(ctx, reader, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto);
        if (rv != SCARD_S_SUCCESS) {
                fprintf(stderr, "lab-pcsc: %s: %s\n", reader, pcsc_stringify_error(rv));
                return 1;
        }
        printf("held\n");
        fflush(stdout);
        sleep((unsigned)seconds);
        SCardDisconnect(h, SCARD_LEAVE_CARD);
        return 0;
}

int main(int argc, char **argv) {
        SCARDCONTEXT ctx;
        int ret;
        if (argc < 2 || (strcmp(argv[1], "list") && (strcmp(argv[1], "wait") || argc != 5) &&
                         (strcmp(argv[1], "hold") || argc != 4))) {
                fprintf(stderr, "usage: lab-pcsc list | wait READER present|absent SECONDS | hold READER SECONDS\n");
                return 2;
        }
        LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
        if (rv != SCARD_S_SUCCESS) {
                fprintf(stderr, "lab-pcsc: no PC/SC service: %s\n", pcsc_stringify_error(rv));
                return 1;
        }
        if (strcmp(argv[1], "list") == 0)
                ret = list(ctx);
        else if (strcmp(argv[1], "hold") == 0)
                ret = hold(ctx, argv[2], atol(argv[3]));
        else
                ret = wait_for(ctx, argv[2], strcmp(argv[3], "present") == 0, atol(argv[4]));
        SCardReleaseContext(ctx);
        return ret;
}
