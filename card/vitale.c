/* card/vitale.c: Carte Vitale 2 identity reader. */
#include <errno.h>
#include <string.h>

#include "lib/macro.h"
#include "lib/nir.h"
#include "lib/utf8.h"
#include "iso7816.h"
#include "tlv.h"
#include "vitale.h"

#define VITALE_FID_MF 0x3F00
#define VITALE_SFI_PERSONS 2 /* in the MF and in the VITALE application */

const uint8_t vitale_aid[VITALE_AID_LEN] = {0xD2, 0x50, 0x00, 0x00, 0x02, 0x56, 0x49, 0x54, 0x41, 0x4C, 0x45};
const uint8_t vitale_mf_aid[VITALE_MF_AID_LEN] = {0xD2, 0x50, 0x00, 0x00, 0x02, 0x4D, 0x46,
                                                  0x5F, 0x56, 0x49, 0x54, 0x41, 0x4C, 0x45};

bool vitale_match_atr(const uint8_t *atr, size_t len) {
        static const uint8_t v2[] = {0x3B, 0x75, 0x13, 0x00, 0x00, 0x40, 0x09, 0xEA, 0x90, 0x00};
        if (len == sizeof(v2)) {
                for (size_t i = 0; i < len; i++)
                        if ((i == 5 ? atr[i] & 0xF0 : atr[i]) != v2[i])
                                return false;
                return true;
        }
        return len >= 4 && atr[0] == 0x3F && atr[1] == 0x65 && atr[2] == 0x25 && atr[3] == 0x00;
}

/* Copies a text field as UTF-8, which JSON and the dossier store carry.
 * Bytes that are valid UTF-8 are kept as they are; others are read as
 * ISO 8859-1, the character set readers of the card assume (Rufus's
 * lecteurvitale: the layout names none), so that "\xC9LISE" is "ÉLISE"
 * and not a card nobody can read.  Control bytes (C0, DEL, and C1 80-9F
 * in ISO 8859-1) make the card malformed, as does a field too long for
 * dst once converted.  Trailing spaces (fixed-length fields) are
 * dropped. */
static int copy_field(char *dst, size_t size, const struct tlv *t) {
        size_t len = t->len, o = 0;

        while (len > 0 && t->value[len - 1] == ' ')
                len--;
        bool utf8 = utf8_valid((const char *)t->value, len);
        for (size_t i = 0; i < len; i++) {
                uint8_t c = t->value[i];
                bool wide = !utf8 && c >= 0x80;

                if (c < 0x20 || c == 0x7F || (wide && c < 0xA0))
                        return -EBADMSG; /* control bytes have no place in a name */
                if (o + (wide ? 2 : 1) >= size)
                        return -EBADMSG;
                if (wide) {
                        dst[o++] = (char)(0xC0 | c >> 6);
                        dst[o++] = (char)(0x80 | (c & 0x3F));
                } else
                        dst[o++] = (char)c;
        }
        dst[o] = '\0';
        return 0;
}

/* The field a primitive tag of a person's template goes to, or NULL for
 * one we do not read (ident: the MF file, else the VITALE application's). */
static char *field_of(struct vitale_person *p, unsigned tag, bool app, size_t *size) {
        struct {
                unsigned tag;
                bool app;
                char *dst;
                size_t size;
        } map[] = {
                {0x80, false, p->surname, sizeof(p->surname)},
                {0x81, false, p->first_name, sizeof(p->first_name)},
                {0x82, false, p->birth_date, sizeof(p->birth_date)},
                {0x83, false, p->birth_rank, sizeof(p->birth_rank)},
                {0x93, true, p->nir, sizeof(p->nir)},
        };
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (map[i].tag == tag && map[i].app == app) {
                        *size = map[i].size;
                        return map[i].dst;
                }
        return NULL;
}

/* True when t can be a birth rank: one to three digits.  Tag 83 is not
 * in the public layout (the simulator's convention), so on a real card it
 * may be something else, which is then skipped like any unknown object. */
static bool rank_like(const struct tlv *t) {
        if (t->len == 0 || t->len > 3)
                return false;
        for (size_t i = 0; i < t->len; i++)
                if (t->value[i] < '0' || t->value[i] > '9')
                        return false;
        return true;
}

/* Reads one '65' template into p.  Objects we do not know are skipped
 * whatever their tag (5F20, 9F7F) or form; a constructed one (A5 ...) is
 * still checked not to overrun itself. */
static int person_read(const struct tlv *tmpl, struct vitale_person *p, bool app) {
        size_t off = 0, size;
        struct tlv f;
        int r;
        while ((r = tlv_next(tmpl->value, tmpl->len, &off, &f)) > 0) {
                char *dst = f.constructed ? NULL : field_of(p, f.tag, app, &size);
                if (dst == p->birth_rank && !rank_like(&f))
                        dst = NULL;
                if (dst)
                        r = copy_field(dst, size, &f);
                else if (f.constructed)
                        r = tlv_check(f.value, f.len, TLV_DEPTH_MAX);
                if (r < 0)
                        return r;
        }
        return r;
}

/* Walks a file of '65' templates, one per person, in card order. */
static int walk(const uint8_t *buf, size_t len, struct vitale_card *card, bool app) {
        size_t off = 0, i = 0;
        struct tlv t;
        int r;
        while ((r = tlv_next(buf, len, &off, &t)) > 0) {
                if (t.tag != 0x65) {
                        /* other objects: not ours to read, but well formed */
                        if (t.constructed && (r = tlv_check(t.value, t.len, TLV_DEPTH_MAX)) < 0)
                                return r;
                        continue;
                }
                if (i >= VITALE_PERSONS_MAX)
                        return -EBADMSG;
                if ((r = person_read(&t, &card->p[i], app)) < 0)
                        return r;
                i++;
        }
        if (r < 0)
                return r;
        if (!app)
                card->n = i;
        else if (i != card->n)
                return -EUCLEAN; /* a NIR must never be shown beside the wrong person */
        return 0;
}

bool vitale_date_valid(const char *d) {
        static const unsigned days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (strlen(d) != 8 || strspn(d, "0123456789") != 8)
                return false;
        unsigned y = (unsigned)(d[0] - '0') * 1000 + (unsigned)(d[1] - '0') * 100 + (unsigned)(d[2] - '0') * 10 +
                     (unsigned)(d[3] - '0');
        unsigned m = (unsigned)(d[4] - '0') * 10 + (unsigned)(d[5] - '0');
        unsigned day = (unsigned)(d[6] - '0') * 10 + (unsigned)(d[7] - '0');
        if (y == 0 || m < 1 || m > 12 || day < 1 || day > days[m - 1])
                return false;
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        return m != 2 || day <= 28 || leap;
}

/* vitale_parse() into card, which it fills from zero. */
static int parse(const uint8_t *ident, size_t ident_len, const uint8_t *app, size_t app_len,
                 struct vitale_card *card) {
        int r;

        memset(card, 0, sizeof(*card));
        if ((r = walk(ident, ident_len, card, false)) < 0 || (r = walk(app, app_len, card, true)) < 0)
                return r;
        if (card->n == 0)
                return -EBADMSG;
        for (size_t i = 0; i < card->n; i++) {
                struct vitale_person *p = &card->p[i];
                if (!p->surname[0])
                        return -EBADMSG;
                p->birth_date_valid = vitale_date_valid(p->birth_date);
                if (!p->nir[0])
                        p->nir_problem = "absent";
                else if ((r = nir_check(p->nir)) == -EBADMSG)
                        p->nir_problem = "wrong key";
                else if (r < 0)
                        p->nir_problem = "malformed";
                else {
                        /* the one spelling dossiers are keyed by: "2a" is "2A" */
                        char nir[NIR_LEN + 1];
                        (void) nir_canonical(p->nir, nir);
                        memcpy(p->nir, nir, sizeof(nir));
                        secure_zero(nir, sizeof(nir));
                }
                p->nir_valid = p->nir_problem == NULL;
        }
        return 0;
}

int vitale_parse(const uint8_t *ident, size_t ident_len, const uint8_t *app, size_t app_len,
                 struct vitale_card *ret) {
        struct vitale_card card;
        int r = parse(ident, ident_len, app, app_len, &card);
        if (r >= 0)
                *ret = card;
        secure_zero(&card, sizeof(card)); /* names and NIRs: only *ret keeps them */
        return r;
}

/* A refusal of a SELECT means the card lacks the Vitale files; a
 * transient error answered twice (-EAGAIN) means it cannot be read now. */
static int selected(int r) {
        return r != -EAGAIN && iso7816_refused(r) ? -ENOENT : r;
}

/* A file that does not fit, or a refusal other than "not found" or a
 * repeated transient error in the middle of the read, is a malformed card. */
static int file_read(int r) {
        return r == -ENOBUFS || (r != -ENOENT && r != -EAGAIN && iso7816_refused(r)) ? -EBADMSG : r;
}

/* Only "not found" (-ENOENT) tries the other name: see vitale.h for the
 * answers that do not, and why. */
int vitale_select_app(const struct card_ops *ops, struct card_io *io) {
        int r = ops->select_aid(io, vitale_aid, sizeof(vitale_aid));
        if (r != -ENOENT)
                return r < 0 ? r : VITALE_APP;
        r = ops->select_aid(io, vitale_mf_aid, sizeof(vitale_mf_aid));
        return r < 0 ? r : VITALE_APP_MF;
}

/* vitale_read_ops() with the two files' buffers (VITALE_FILE_MAX). */
static int read_files(const struct card_ops *ops, struct card_io *io, uint8_t *ident, uint8_t *app,
                      struct vitale_card *ret) {
        size_t ident_len, app_len;
        int r, which;

        if ((r = selected(ops->select_fid(io, VITALE_FID_MF))) < 0 ||
            (r = file_read(ops->read_binary(io, VITALE_SFI_PERSONS, ident, VITALE_FILE_MAX, &ident_len))) < 0)
                return r;
        if ((which = selected(vitale_select_app(ops, io))) < 0)
                return which;
        if ((r = file_read(ops->read_binary(io, VITALE_SFI_PERSONS, app, VITALE_FILE_MAX, &app_len))) < 0)
                return r;
        /* MF_VITALE naming the master file (cardpeek's reading) gives its
         * short file 2, the identity file, once more: no NIR file there */
        if (which == VITALE_APP_MF && app_len == ident_len && memcmp(app, ident, ident_len) == 0)
                return -ENOENT;
        return vitale_parse(ident, ident_len, app, app_len, ret);
}

int vitale_read_ops(const struct card_ops *ops, struct card_io *io, struct vitale_card *ret) {
        uint8_t ident[VITALE_FILE_MAX], app[VITALE_FILE_MAX];
        int r = read_files(ops, io, ident, app, ret);
        /* the files as the card sent them: names, birth dates, NIRs */
        secure_zero(ident, sizeof(ident));
        secure_zero(app, sizeof(app));
        return r;
}

int vitale_read(struct card_io *io, struct vitale_card *ret) {
        return vitale_read_ops(&iso7816_ops, io, ret);
}
