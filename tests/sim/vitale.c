/* tests/sim/vitale.c: a Carte Vitale 2 with the publicly known layout.
 *
 * MF, short file 2: one '65' template per person (80 surname, 81 first
 * name, 82 birth date YYYYMMDD, 83 birth rank when the profile gives one).
 * Application VITALE (AID D2 50 00 00 02 56 49 54 41 4C 45), short file 2:
 * '65' templates in the same order holding 93 NIR (15 ASCII digits).
 * The public layout says nothing of a birth-rank tag: 83 is this
 * simulator's convention, documented in docs/lab.md.
 *
 * Profile keys: person.N.{surname,first_name,birth_date,birth_rank,nir}
 * for N = 0 (the holder), 1, 2 ...; response = direct | 61xx | 6Cxx |
 * chunks (how READ BINARY answers: data at once, "61xx then GET
 * RESPONSE", "6Cxx, send again with that Le", or a bare 61xx then GET
 * RESPONSEs handing out chunk = N bytes each with 61xx while more is
 * left); transient = SW (e.g. 6581) with transient_times = N (default 1):
 * every SELECT and READ BINARY is first answered SW, N times in a row,
 * before the card answers it; file.ident / file.vitale = hex to replace a
 * file's whole content (hostile-card tests); file_size = N: both EFs are
 * that size, padded with FF after the templates (ISO 7816-4 allows 00 / FF
 * between and after BER-TLV objects); end = 6B00 | 6282 | 6A86 | empty:
 * how a READ BINARY at the offset just past the EF is answered (default
 * empty, 9000 and no data); app_aid = vitale | mf_vitale | none: the name
 * the NIR application answers to (default vitale; mf_vitale: that AID
 * alone, VITALE is 6A82; none: VITALE is 6A82 and the card has no NIR
 * application).  Unless the NIR application took it, MF_VITALE (D2 50 00
 * 00 02 "MF_VITALE") names the MF, as cardpeek's vitale_2.lua reads it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "lib/macro.h"

#define VITALE_FILE_MAX 4096
#define VITALE_ATR "3B 75 13 00 00 44 09 EA 90 00"

enum resp_mode { MODE_DIRECT, MODE_61XX, MODE_6CXX, MODE_CHUNKS };
enum df { DF_NONE, DF_MF, DF_VITALE };
enum app_aid { APP_VITALE, APP_MF_VITALE, APP_NONE };

struct vitale {
        struct card base;
        enum resp_mode mode;
        uint8_t ident[VITALE_FILE_MAX];
        size_t ident_len;
        uint8_t app[VITALE_FILE_MAX];
        size_t app_len;
        enum df df;
        enum app_aid app_aid;    /* the name of the NIR application */
        const uint8_t *ef; /* current EF after a read by short id */
        size_t ef_len;
        uint8_t pending[256];
        size_t pending_len, pending_off;
        size_t chunk;            /* MODE_CHUNKS: bytes per GET RESPONSE */
        uint16_t transient_sw;   /* 0: none */
        long transient_times, transient_left;
        size_t file_size;        /* 0: as long as the templates */
        uint16_t end_sw;         /* READ just past the EF; 0: 9000, no data */
};

static const uint8_t aid_vitale[] = {0xD2, 0x50, 0x00, 0x00, 0x02, 0x56, 0x49, 0x54, 0x41, 0x4C, 0x45};
static const uint8_t aid_mf_vitale[] = {0xD2, 0x50, 0x00, 0x00, 0x02, 0x4D, 0x46, 0x5F,
                                        0x56, 0x49, 0x54, 0x41, 0x4C, 0x45};

/* Appends tag, BER length and value to buf at *off. */
static int put_tlv(uint8_t *buf, size_t size, size_t *off, uint8_t tag, const void *v, size_t n) {
        size_t hl = n < 0x80 ? 2 : n < 0x100 ? 3 : 4;
        if (n > 0xffff || *off + hl + n > size)
                return -ENOBUFS;
        uint8_t *p = buf + *off;
        *p++ = tag;
        if (n >= 0x100) {
                *p++ = 0x82;
                *p++ = n >> 8;
        } else if (n >= 0x80)
                *p++ = 0x81;
        *p++ = n & 0xff;
        memcpy(p, v, n);
        *off += hl + n;
        return 0;
}

static int put_field(const struct profile *p, unsigned i, const char *field, uint8_t tag,
                     uint8_t *buf, size_t size, size_t *off) {
        char key[64];
        snprintf(key, sizeof(key), "person.%u.%s", i, field);
        const char *v = profile_get(p, key);
        return v ? put_tlv(buf, size, off, tag, v, strlen(v)) : 0;
}

/* Builds both files from the person.N.* keys. */
static int vitale_build(struct vitale *v, const struct profile *p) {
        char key[64];
        int r;
        v->ident_len = v->app_len = 0;
        for (unsigned i = 0;; i++) {
                uint8_t t[512];
                size_t tl = 0;
                snprintf(key, sizeof(key), "person.%u.surname", i);
                if (!profile_get(p, key))
                        break;
                if ((r = put_field(p, i, "surname", 0x80, t, sizeof(t), &tl)) < 0 ||
                    (r = put_field(p, i, "first_name", 0x81, t, sizeof(t), &tl)) < 0 ||
                    (r = put_field(p, i, "birth_date", 0x82, t, sizeof(t), &tl)) < 0 ||
                    (r = put_field(p, i, "birth_rank", 0x83, t, sizeof(t), &tl)) < 0 ||
                    (r = put_tlv(v->ident, sizeof(v->ident), &v->ident_len, 0x65, t, tl)) < 0)
                        return r;
                tl = 0;
                if ((r = put_field(p, i, "nir", 0x93, t, sizeof(t), &tl)) < 0 ||
                    (r = put_tlv(v->app, sizeof(v->app), &v->app_len, 0x65, t, tl)) < 0)
                        return r;
        }
        r = profile_get_hex(p, "file.ident", v->ident, sizeof(v->ident));
        if (r >= 0)
                v->ident_len = (size_t)r;
        else if (r != -ENOENT)
                return r;
        r = profile_get_hex(p, "file.vitale", v->app, sizeof(v->app));
        if (r >= 0)
                v->app_len = (size_t)r;
        else if (r != -ENOENT)
                return r;
        if (v->file_size) {
                if (v->ident_len > v->file_size || v->app_len > v->file_size)
                        return -ENOBUFS;
                memset(v->ident + v->ident_len, 0xFF, v->file_size - v->ident_len);
                memset(v->app + v->app_len, 0xFF, v->file_size - v->app_len);
                v->ident_len = v->app_len = v->file_size;
        }
        return 0;
}

/* The chunk size and the transient status word, from the profile. */
static int vitale_quirks(struct vitale *v, const struct profile *p) {
        int err = 0;
        uint8_t sw[2];
        const char *t = profile_get(p, "transient");
        if (t && hex_decode(t, sw, sizeof(sw)) != 2) {
                fprintf(stderr, "vitale: transient must be a status word in hex (6581)\n");
                return -EINVAL;
        }
        v->transient_sw = t ? (uint16_t)(sw[0] << 8 | sw[1]) : 0;
        v->transient_times = profile_get_long(p, "transient_times", 1, &err);
        long chunk = profile_get_long(p, "chunk", 4, &err);
        if (err || chunk < 1 || chunk > 255 || v->transient_times < 1) {
                fprintf(stderr, "vitale: chunk must be 1..255, transient_times at least 1\n");
                return -EINVAL;
        }
        v->chunk = (size_t)chunk;
        long size = profile_get_long(p, "file_size", 0, &err);
        if (err || size < 0 || size > VITALE_FILE_MAX) {
                fprintf(stderr, "vitale: file_size must be 0..%d\n", VITALE_FILE_MAX);
                return -EINVAL;
        }
        v->file_size = (size_t)size;
        const char *end = profile_get(p, "end");
        if (end && strcmp(end, "empty") != 0 && (hex_decode(end, sw, sizeof(sw)) != 2 ||
                                                  (sw[0] << 8 | sw[1]) == 0x9000)) {
                fprintf(stderr, "vitale: end must be empty or a status word in hex (6B00)\n");
                return -EINVAL;
        }
        v->end_sw = end && strcmp(end, "empty") != 0 ? (uint16_t)(sw[0] << 8 | sw[1]) : 0;
        return 0;
}

/* Which of names[0..n) (names[0] when absent, case aside) the value of
 * key is, into *ret; -EINVAL, said on stderr, when none. */
static int choice(const struct profile *p, const char *key, const char *const *names, size_t n, int *ret) {
        const char *v = profile_get(p, key);
        for (size_t i = 0; i < n; i++)
                if (!v || strcasecmp(v, names[i]) == 0) {
                        *ret = (int)i;
                        return 0;
                }
        fprintf(stderr, "vitale: %s must be one of:", key);
        for (size_t i = 0; i < n; i++)
                fprintf(stderr, " %s", names[i]);
        fputc('\n', stderr);
        return -EINVAL;
}

static int vitale_new(const struct profile *p, struct card **ret) {
        struct card *c;
        int r = card_alloc(sizeof(struct vitale), &vitale_ops, p, VITALE_ATR, &c);
        if (r < 0)
                return r;
        _cleanup_free_ struct vitale *v = (struct vitale *)c;
        /* in the order of enum resp_mode and enum app_aid */
        static const char *const modes[] = {"direct", "61xx", "6Cxx", "chunks"};
        static const char *const apps[] = {"vitale", "mf_vitale", "none"};
        int mode, app;
        if ((r = choice(p, "response", modes, ELEMENTSOF(modes), &mode)) < 0 ||
            (r = choice(p, "app_aid", apps, ELEMENTSOF(apps), &app)) < 0)
                return r;
        v->mode = (enum resp_mode)mode;
        v->app_aid = (enum app_aid)app;
        if ((r = vitale_quirks(v, p)) < 0)
                return r;
        if ((r = vitale_build(v, p)) < 0)
                return r;
        *ret = &TAKE_PTR(v)->base;
        return 0;
}

static void vitale_reset(struct card *c) {
        struct vitale *v = (struct vitale *)c;
        v->df = DF_NONE;
        v->ef = NULL;
        v->ef_len = 0;
        v->pending_len = 0;
}

static void vitale_free(struct card *c) {
        free(c);
}

static int vitale_select(struct card *c, const struct apdu *a, struct resp *r) {
        struct vitale *v = (struct vitale *)c;
        if (a->p1 == 0x00 && a->lc == 2 && a->data[0] == 0x3F && a->data[1] == 0x00) {
                v->df = DF_MF;
        } else if (a->p1 == 0x04 && a->lc == sizeof(aid_vitale) &&
                   memcmp(a->data, aid_vitale, sizeof(aid_vitale)) == 0 && v->app_aid == APP_VITALE) {
                v->df = DF_VITALE;
        } else if (a->p1 == 0x04 && a->lc == sizeof(aid_mf_vitale) &&
                   memcmp(a->data, aid_mf_vitale, sizeof(aid_mf_vitale)) == 0) {
                v->df = v->app_aid == APP_MF_VITALE ? DF_VITALE : DF_MF;
        } else {
                return resp_sw(r, 0x6A82);
        }
        v->ef = NULL;
        v->ef_len = 0;
        return resp_sw(r, 0x9000);
}

static int vitale_read(struct card *c, const struct apdu *a, struct resp *r) {
        struct vitale *v = (struct vitale *)c;
        size_t off;
        if (a->p1 & 0x80) {
                if ((a->p1 & 0x1F) != 2 || v->df == DF_NONE)
                        return resp_sw(r, 0x6A82);
                v->ef = v->df == DF_MF ? v->ident : v->app;
                v->ef_len = v->df == DF_MF ? v->ident_len : v->app_len;
                off = a->p2;
        } else {
                if (!v->ef)
                        return resp_sw(r, 0x6986); /* no current EF */
                off = (size_t)a->p1 << 8 | a->p2;
        }
        if (off > v->ef_len)
                return resp_sw(r, 0x6B00);
        if (off == v->ef_len && off > 0 && v->end_sw)
                return resp_sw(r, v->end_sw);
        size_t avail = v->ef_len - off;
        if (avail > 256)
                avail = 256;
        size_t le = a->has_le ? a->le : 256;

        switch (v->mode) {
        case MODE_6CXX:
                if (le != avail && avail > 0)
                        return resp_sw(r, 0x6C00 | (avail & 0xff));
                return resp_data(r, v->ef + off, avail, 0x9000);
        case MODE_CHUNKS:
        case MODE_61XX:
                if (avail == 0)
                        return resp_data(r, NULL, 0, 0x9000);
                memcpy(v->pending, v->ef + off, avail);
                v->pending_len = avail;
                v->pending_off = 0;
                if (v->mode == MODE_CHUNKS && v->chunk < avail)
                        avail = v->chunk; /* the first piece only */
                return resp_sw(r, 0x6100 | (avail & 0xff));
        default:
                return resp_data(r, v->ef + off, le < avail ? le : avail, 0x9000);
        }
}

static int vitale_get_response(struct card *c, const struct apdu *a, struct resp *r) {
        struct vitale *v = (struct vitale *)c;
        if (!v->pending_len)
                return resp_sw(r, 0x6985);
        size_t le = a->has_le ? a->le : 256;
        size_t left = v->pending_len - v->pending_off;
        size_t n = le < left ? le : left;
        if (v->mode == MODE_CHUNKS && n > v->chunk)
                n = v->chunk;
        const uint8_t *d = v->pending + v->pending_off;
        v->pending_off += n;
        left -= n;
        if (left == 0) {
                v->pending_len = v->pending_off = 0;
                return resp_data(r, d, n, 0x9000);
        }
        /* more to come: 61 and the size of the next piece */
        return resp_data(r, d, n, 0x6100 | (left < v->chunk ? left : v->chunk));
}

static const struct card_ins vitale_ins[] = {
        {0xA4, vitale_select},
        {0xB0, vitale_read},
        {0xC0, vitale_get_response},
};

static int vitale_transmit(struct card *c, const struct apdu *a, struct resp *r) {
        struct vitale *v = (struct vitale *)c;
        if (a->ins != 0xC0)
                v->pending_len = v->pending_off = 0;
        if (a->cla != 0x00)
                return resp_sw(r, 0x6E00);
        if (v->transient_sw && (a->ins == 0xA4 || a->ins == 0xB0)) {
                if (v->transient_left < v->transient_times) {
                        v->transient_left++;
                        return resp_sw(r, v->transient_sw);
                }
                v->transient_left = 0; /* answered: the next command fails first again */
        }
        return card_dispatch(c, vitale_ins, ELEMENTSOF(vitale_ins), a, r);
}

CARD_OPS(vitale, "vitale");
