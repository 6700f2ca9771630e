/* tests/lab/vitale-read.c: reads a Carte Vitale through libpcsclite, the
 * way any PC/SC application would, to prove the simulator and the lab.
 *
 *   vitale-read READER [--wait-removal SECONDS]
 *
 * Prints one line per person: "surname|first name|birth date|rank|NIR"
 * (empty fields when absent), then "read-done"; with --wait-removal it
 * then waits for the card to leave the reader, seen through
 * SCardGetStatusChange, and prints "removed".
 * Handles both 61xx (GET RESPONSE) and 6Cxx (send again with Le = xx).
 * Exit: 0 done, 1 PC/SC or card error, 2 usage, 3 removal not seen. */
#include <PCSC/winscard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PERSONS 16
#define FIELD_MAX 64

struct person {
        char f[5][FIELD_MAX]; /* surname, first name, birth date, rank, NIR */
};

static SCARDCONTEXT ctx;
static SCARDHANDLE card;
static const SCARD_IO_REQUEST *pci;

/* Sends one APDU and follows 61xx / 6Cxx; returns the data length with
 * the final status word in *sw, or -1. */
static long xfer(const unsigned char *cmd, size_t n, unsigned char *out, size_t outmax, unsigned *sw) {
        unsigned char rbuf[258], c[261];
        DWORD rlen = sizeof(rbuf);
        memcpy(c, cmd, n);
        for (int round = 0; round < 4; round++) {
                rlen = sizeof(rbuf);
                LONG rv = SCardTransmit(card, pci, c, (DWORD)n, NULL, rbuf, &rlen);
                if (rv != SCARD_S_SUCCESS) {
                        fprintf(stderr, "vitale-read: SCardTransmit: %s\n", pcsc_stringify_error(rv));
                        return -1;
                }
                if (rlen < 2) {
                        fprintf(stderr, "vitale-read: reply without status word: card removed?\n");
                        return -1;
                }
                *sw = (unsigned)rbuf[rlen - 2] << 8 | rbuf[rlen - 1];
                if ((*sw >> 8) == 0x61) { /* data waiting: GET RESPONSE */
                        unsigned char gr[5] = {0x00, 0xC0, 0x00, 0x00, (unsigned char)(*sw & 0xff)};
                        memcpy(c, gr, 5);
                        n = 5;
                        continue;
                }
                if ((*sw >> 8) == 0x6C) { /* wrong Le: resend with the right one */
                        c[n - 1] = (unsigned char)(*sw & 0xff);
                        continue;
                }
                if (rlen - 2 > outmax)
                        return -1;
                memcpy(out, rbuf, rlen - 2);
                return (long)(rlen - 2);
        }
        return -1;
}

/* Reads one BER-TLV header at *p; returns the value length or -1. */
static long tlv(const unsigned char **p, const unsigned char *end, unsigned *tag) {
        if (*p + 2 > end)
                return -1;
        *tag = *(*p)++;
        size_t len = *(*p)++;
        if (len == 0x81 && *p < end)
                len = *(*p)++;
        else if (len == 0x82 && *p + 1 < end) {
                len = (size_t)(*p)[0] << 8 | (*p)[1];
                *p += 2;
        } else if (len >= 0x80)
                return -1;
        if (len > (size_t)(end - *p))
                return -1;
        return (long)len;
}

/* Fills persons from a file of '65' templates; field tags map to slots. */
static int parse(const unsigned char *d, size_t n, struct person *ps, int *count, int app) {
        const unsigned char *p = d, *end = d + n;
        int i = 0;
        while (p < end && i < MAX_PERSONS) {
                unsigned tag;
                long l = tlv(&p, end, &tag);
                if (l < 0 || tag != 0x65)
                        return -1;
                const unsigned char *q = p, *qe = p + l;
                while (q < qe) {
                        unsigned t;
                        long fl = tlv(&q, qe, &t);
                        if (fl < 0)
                                return -1;
                        int slot = app ? (t == 0x93 ? 4 : -1) : (t >= 0x80 && t <= 0x83 ? (int)t - 0x80 : -1);
                        if (slot >= 0 && fl < FIELD_MAX) {
                                memcpy(ps[i].f[slot], q, (size_t)fl);
                                ps[i].f[slot][fl] = '\0';
                        }
                        q += fl;
                }
                p = qe;
                i++;
        }
        if (*count < i)
                *count = i;
        return 0;
}

int main(int argc, char **argv) {
        static const unsigned char sel_mf[] = {0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00};
        static const unsigned char sel_app[] = {0x00, 0xA4, 0x04, 0x00, 0x0B, 0xD2, 0x50, 0x00, 0x00,
                                                0x02, 0x56, 0x49, 0x54, 0x41, 0x4C, 0x45};
        static const unsigned char rd[] = {0x00, 0xB0, 0x82, 0x00, 0x00};
        struct person ps[MAX_PERSONS] = {0};
        unsigned char buf[256];
        unsigned sw;
        int count = 0;
        long wait_s = -1;
        DWORD proto;

        if (argc == 4 && strcmp(argv[2], "--wait-removal") == 0)
                wait_s = atol(argv[3]);
        else if (argc != 2) {
                fprintf(stderr, "usage: vitale-read READER [--wait-removal SECONDS]\n");
                return 2;
        }
        LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
        if (rv == SCARD_S_SUCCESS)
                rv = SCardConnect(ctx, argv[1], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                                  &card, &proto);
        if (rv != SCARD_S_SUCCESS) {
                fprintf(stderr, "vitale-read: %s: %s\n", argv[1], pcsc_stringify_error(rv));
                return 1;
        }
        pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;

        /* One transaction: nobody else's SELECT may slip between ours. */
        rv = SCardBeginTransaction(card);
        if (rv != SCARD_S_SUCCESS) {
                fprintf(stderr, "vitale-read: transaction: %s\n", pcsc_stringify_error(rv));
                return 1;
        }
        long n;
        if (xfer(sel_mf, sizeof(sel_mf), buf, sizeof(buf), &sw) < 0 || sw != 0x9000 ||
            (n = xfer(rd, sizeof(rd), buf, sizeof(buf), &sw)) < 0 || sw != 0x9000 ||
            parse(buf, (size_t)n, ps, &count, 0) < 0 ||
            xfer(sel_app, sizeof(sel_app), buf, sizeof(buf), &sw) < 0 || sw != 0x9000 ||
            (n = xfer(rd, sizeof(rd), buf, sizeof(buf), &sw)) < 0 || sw != 0x9000 ||
            parse(buf, (size_t)n, ps, &count, 1) < 0) {
                fprintf(stderr, "vitale-read: card error (last SW %04X)\n", sw);
                return 1;
        }
        SCardEndTransaction(card, SCARD_LEAVE_CARD);
        for (int i = 0; i < count; i++)
                printf("%s|%s|%s|%s|%s\n", ps[i].f[0], ps[i].f[1], ps[i].f[2], ps[i].f[3], ps[i].f[4]);
        printf("read-done\n");
        fflush(stdout);
        if (wait_s < 0)
                return 0;

        SCARD_READERSTATE st = {.szReader = argv[1], .dwCurrentState = SCARD_STATE_UNAWARE};
        for (long waited = 0; waited <= wait_s * 1000; waited += 500) {
                rv = SCardGetStatusChange(ctx, 500, &st, 1);
                if (rv == SCARD_S_SUCCESS && (st.dwEventState & SCARD_STATE_EMPTY)) {
                        printf("removed\n");
                        return 0;
                }
                if (rv == SCARD_S_SUCCESS)
                        st.dwCurrentState = st.dwEventState & ~SCARD_STATE_CHANGED;
                else if (rv != (LONG)SCARD_E_TIMEOUT) {
                        fprintf(stderr, "vitale-read: %s\n", pcsc_stringify_error(rv));
                        return 1;
                }
        }
        fprintf(stderr, "vitale-read: the card was not removed within %lds\n", wait_s);
        return 3;
}
