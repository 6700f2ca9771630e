/* tests/unit/test-vitale.c: the Vitale driver, the TLV reader and the APDU
 * exchange against scripted cards, hostile ones included. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card/cards.h"
#include "card/cardio.h"
#include "card/iso7816.h"
#include "card/tlv.h"
#include "card/vitale.h"

/* ---- a scripted card: answers in order, checks each command's header ---- */
struct step {
        const char *cmd;  /* hex prefix the command must start with */
        const char *resp; /* hex answer, "" for a card that vanished */
};

struct script {
        const struct step *steps;
        size_t n, pos;
};

static size_t unhex(const char *s, uint8_t *out, size_t max) {
        size_t n = 0;
        while (s[0] && s[1] && n < max) {
                if (s[0] == ' ') {
                        s++;
                        continue;
                }
                unsigned v;
                sscanf(s, "%2x", &v);
                out[n++] = (uint8_t)v;
                s += 2;
        }
        return n;
}

static int script_transmit(void *userdata, const uint8_t *apdu, size_t len, uint8_t *resp, size_t max,
                           size_t *resp_len) {
        struct script *sc = userdata;
        uint8_t want[300];
        if (sc->pos >= sc->n)
                fail_msg("card got an unexpected command #%zu", sc->pos);
        const struct step *st = &sc->steps[sc->pos++];
        size_t wl = unhex(st->cmd, want, sizeof(want));
        assert_true(len >= wl);
        assert_memory_equal(apdu, want, wl);
        *resp_len = unhex(st->resp, resp, max);
        return 0;
}

#define IO(sc) {.transmit = script_transmit, .userdata = &(sc)}
#define SCRIPT(arr) {.steps = (arr), .n = sizeof(arr) / sizeof((arr)[0])}

/* holder MARTIN CLAIRE 19800517 + LUCAS (rank 1); NIRs: one valid, one absent */
#define IDENT "651A80064D415254494E8106434C4149524582083139383030353137" \
              "651C80064D415254494E81054C5543415382083230313230333039830131"
#define APP "6511930F323830303537353132333435363734" "6500"
#define SEL_MF "00A40000023F00"
#define SEL_APP "00A404000BD250000002564954414C45"
#define SEL_MF_APP "00A404000ED2500000024D465F564954414C45" /* MF_VITALE */
#define READ "00B0820000"

/* Reads a Vitale card that answers steps; *apdus gets the exchange count. */
#define READ_SCRIPTED(steps, card, apdus) read_scripted((steps), sizeof(steps) / sizeof((steps)[0]), (card), (apdus))
static int read_scripted(const struct step *steps, size_t n, struct vitale_card *card, unsigned *apdus) {
        struct script sc = {.steps = steps, .n = n};
        struct card_io io = IO(sc);
        int r = vitale_read(&io, card);
        *apdus = io.apdus;
        return r;
}

/* p holds these fields and a valid NIR. */
static void assert_person(const struct vitale_person *p, const char *surname, const char *first_name,
                          const char *birth_date, const char *nir) {
        assert_string_equal(p->surname, surname);
        assert_string_equal(p->first_name, first_name);
        assert_string_equal(p->birth_date, birth_date);
        assert_true(p->birth_date_valid);
        assert_string_equal(p->nir, nir);
        assert_true(p->nir_valid);
}

UNIT(reads_holder_and_beneficiary) {
        const struct step steps[] = {
                {SEL_MF, "9000"}, {READ, IDENT "9000"}, {SEL_APP, "9000"}, {READ, APP "9000"}};
        struct vitale_card card;
        unsigned apdus;
        assert_int_equal(READ_SCRIPTED(steps, &card, &apdus), 0);
        assert_int_equal(apdus, 4);
        assert_int_equal(card.n, 2);
        assert_person(&card.p[0], "MARTIN", "CLAIRE", "19800517", "280057512345674");
        assert_null(card.p[0].nir_problem);
        assert_string_equal(card.p[1].first_name, "LUCAS");
        assert_string_equal(card.p[1].birth_rank, "1");
        assert_false(card.p[1].nir_valid);
        assert_string_equal(card.p[1].nir_problem, "absent");
}

/* The card of IDENT and APP read through steps, in want_apdus exchanges. */
#define READS_IDENT_APP(steps, want_apdus) reads_ident_app((steps), sizeof(steps) / sizeof((steps)[0]), (want_apdus))
static void reads_ident_app(const struct step *steps, size_t n, unsigned want_apdus) {
        struct vitale_card card;
        unsigned apdus;
        assert_int_equal(read_scripted(steps, n, &card, &apdus), 0);
        assert_int_equal(apdus, want_apdus);
        assert_int_equal(card.n, 2);
        assert_person(&card.p[0], "MARTIN", "CLAIRE", "19800517", "280057512345674");
        assert_string_equal(card.p[1].nir_problem, "absent");
}

UNIT(follows_61xx_and_6cxx) {
        const struct step steps[] = {
                {SEL_MF, "9000"},    {READ, "6137"},       {"00C0000037", IDENT "9000"},
                {SEL_APP, "9000"},   {READ, "6C15"},       {"00B0820015", APP "9000"}};
        READS_IDENT_APP(steps, 6);
}

UNIT(wrong_nir_key_is_flagged) {
        const struct step steps[] = {{SEL_MF, "9000"},
                                     {READ, IDENT "9000"},
                                     {SEL_APP, "9000"},
                                     /* key 75 instead of 74, then a malformed one */
                                     {READ, "6511930F323830303537353132333435363735"
                                            "6506930431323334" "9000"}};
        struct script sc = SCRIPT(steps);
        struct card_io io = IO(sc);
        struct vitale_card card;
        assert_int_equal(vitale_read(&io, &card), 0);
        assert_false(card.p[0].nir_valid);
        assert_string_equal(card.p[0].nir_problem, "wrong key");
        assert_false(card.p[1].nir_valid);
        assert_string_equal(card.p[1].nir_problem, "malformed");
}

/* A Corsican NIR written with a lower-case department ("2b") is read in
 * its one spelling, upper case, the one its dossier is keyed by. */
UNIT(corsican_nir_canonical) {
        const struct step steps[] = {{SEL_MF, "9000"}, {READ, IDENT "9000"}, {SEL_APP, "9000"},
                                     {READ, "6511930F" "323835303532623030313031313431" "6500" "9000"}};
        struct vitale_card card;
        unsigned apdus;
        assert_int_equal(READ_SCRIPTED(steps, &card, &apdus), 0);
        assert_true(card.p[0].nir_valid);
        assert_string_equal(card.p[0].nir, "285052B00101141");
}

UNIT(card_pulled_mid_read) {
        /* pcscd answers 0 bytes when the card leaves during an APDU */
        const struct step steps[] = {{SEL_MF, "9000"}, {READ, ""}};
        struct script sc = SCRIPT(steps);
        struct card_io io = IO(sc);
        struct vitale_card card;
        assert_int_equal(vitale_read(&io, &card), -ENODEV);
}

UNIT(not_a_vitale) {
        const struct step steps[] = {{SEL_MF, "6A82"}};
        struct script sc = SCRIPT(steps);
        struct card_io io = IO(sc);
        struct vitale_card card;
        assert_int_equal(vitale_read(&io, &card), -ENOENT);
}

UNIT(endless_61xx_is_refused) {
        const struct step steps[] = {{SEL_MF, "9000"}, {READ, "6110"}, {"00C0", "6110"},
                                     {"00C0", "6110"}, {"00C0", "6110"}};
        struct script sc = SCRIPT(steps);
        struct card_io io = IO(sc);
        struct vitale_card card;
        assert_int_equal(vitale_read(&io, &card), -EPROTO);
}

/* A transient error (6581, 6F00, 6400) on a SELECT or a READ BINARY is
 * sent once more; the read then goes on as usual. */
UNIT(transient_errors_retried_once) {
        const struct step steps[] = {{SEL_MF, "6581"}, {SEL_MF, "9000"}, {READ, "6F00"}, {READ, IDENT "9000"},
                                     {SEL_APP, "6400"}, {SEL_APP, "9000"}, {READ, APP "9000"}};
        READS_IDENT_APP(steps, 7);
}

/* Twice transient is an unreadable card (not a malformed one), and only
 * once more: the script fails on a third command. */
UNIT(transient_twice_is_unreadable) {
        const struct step sel[] = {{SEL_MF, "6581"}, {SEL_MF, "6581"}};
        const struct step rd[] = {{SEL_MF, "9000"}, {READ, "6F00"}, {READ, "6F00"}};
        struct vitale_card card;
        unsigned apdus;
        assert_int_equal(READ_SCRIPTED(sel, &card, &apdus), -EAGAIN);
        assert_int_equal(apdus, 2);
        assert_int_equal(READ_SCRIPTED(rd, &card, &apdus), -EAGAIN);
        assert_int_equal(apdus, 3);
        assert_string_equal(card_error_code(-EAGAIN), "card_unreadable");
        /* a refusal that is not transient is not retried */
        const struct step nf[] = {{SEL_MF, "6A82"}};
        assert_int_equal(READ_SCRIPTED(nf, &card, &apdus), -ENOENT);
        assert_int_equal(apdus, 1);
}

/* A card that answers "not found" (6A82) to VITALE and holds its NIRs
 * under MF_VITALE is read there, in five APDUs; the MF_VITALE AID is sent
 * whole (Lc 0E). */
UNIT(nirs_under_mf_vitale) {
        const struct step steps[] = {{SEL_MF, "9000"},     {READ, IDENT "9000"}, {SEL_APP, "6A82"},
                                     {SEL_MF_APP, "9000"}, {READ, APP "9000"}};
        READS_IDENT_APP(steps, 5);
        /* a transient error on MF_VITALE is retried once too */
        const struct step again[] = {{SEL_MF, "9000"},     {READ, IDENT "9000"},  {SEL_APP, "6A82"},
                                     {SEL_MF_APP, "6F00"}, {SEL_MF_APP, "9000"}, {READ, APP "9000"}};
        READS_IDENT_APP(again, 6);
}

/* A card that knows neither name lacks the Vitale files, whatever
 * MF_VITALE answers; MF_VITALE twice transient is unreadable, a card
 * pulled there removed. */
UNIT(neither_vitale_nor_mf_vitale) {
        static const struct {
                const char *mf_app;
                int want;
        } cases[] = {{"6A82", -ENOENT}, {"6A86", -ENOENT}, {"6D00", -ENOENT}, {"6283", -ENOENT},
                     {"6982", -ENOENT}, {"6581", -EAGAIN}, {"", -ENODEV}};
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                bool twice = cases[i].want == -EAGAIN;
                const struct step steps[] = {{SEL_MF, "9000"}, {READ, IDENT "9000"}, {SEL_APP, "6A82"},
                                             {SEL_MF_APP, cases[i].mf_app}, {SEL_MF_APP, cases[i].mf_app}};
                struct vitale_card card;
                unsigned apdus;
                int r = read_scripted(steps, twice ? 5 : 4, &card, &apdus);
                if (r != cases[i].want)
                        fail_msg("MF_VITALE answering '%s': got %d, expected %d", cases[i].mf_app, r, cases[i].want);
                assert_int_equal(apdus, twice ? 5 : 4);
        }
}

/* Only "not found" tries MF_VITALE.  A transient error twice, a card
 * pulled, a SELECT the card does not take (6A86, 6A87, 6D00, 6E00: the
 * other name would be refused alike), a refusal of an application that is
 * there (6982, 6985) and a warning (6283 deactivated, 6284, 6285
 * terminated, 63C1: VITALE is there, and no other application may stand
 * in for it) end the read at the VITALE SELECT: the script has no fifth
 * step, so a SELECT of MF_VITALE would fail the test. */
UNIT(no_fallback_but_not_found) {
        static const struct {
                const char *app, *again; /* again: the answer to the retry of a transient one */
                int want;
        } cases[] = {
                {"6581", "6581", -EAGAIN}, {"6F00", "6400", -EAGAIN}, {"", NULL, -ENODEV},
                {"6A86", NULL, -ENOENT},   {"6A87", NULL, -ENOENT},   {"6D00", NULL, -ENOENT},
                {"6E00", NULL, -ENOENT},   {"6982", NULL, -ENOENT},   {"6985", NULL, -ENOENT},
                {"6283", NULL, -ENOENT},   {"6285", NULL, -ENOENT},
                {"63C1", NULL, -ENOENT},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct step steps[] = {{SEL_MF, "9000"}, {READ, IDENT "9000"}, {SEL_APP, cases[i].app},
                                             {SEL_APP, cases[i].again ? cases[i].again : ""}};
                struct vitale_card card;
                unsigned apdus;
                size_t n = cases[i].again ? 4 : 3;
                int r = read_scripted(steps, n, &card, &apdus);
                if (r != cases[i].want)
                        fail_msg("VITALE answering '%s': got %d, expected %d", cases[i].app, r, cases[i].want);
                assert_int_equal(apdus, n);
        }
}

/* MF_VITALE as cardpeek reads it, the master file's own name: its short
 * file 2 is the identity file once more, not a NIR file: -ENOENT, never
 * persons shown without their NIRs as if the card had none. */
UNIT(mf_vitale_naming_the_mf) {
        const struct step steps[] = {{SEL_MF, "9000"},     {READ, IDENT "9000"}, {SEL_APP, "6A82"},
                                     {SEL_MF_APP, "9000"}, {READ, IDENT "9000"}};
        struct vitale_card card;
        unsigned apdus;
        assert_int_equal(READ_SCRIPTED(steps, &card, &apdus), -ENOENT);
        assert_int_equal(apdus, 5);
        /* without a short file 2 there: the same */
        const struct step none[] = {{SEL_MF, "9000"},     {READ, IDENT "9000"}, {SEL_APP, "6A82"},
                                    {SEL_MF_APP, "9000"}, {READ, "6A82"}};
        assert_int_equal(READ_SCRIPTED(none, &card, &apdus), -ENOENT);
}

/* The file read under MF_VITALE gets the checks of the VITALE one: a
 * hostile file or a refusal mid-file is malformed, one that lists other
 * persons inconsistent. */
UNIT(hostile_under_mf_vitale) {
        char full[2 * 256 + 5];
        for (size_t i = 0; i < 256; i++)
                memcpy(full + 2 * i, "65", 2);
        memcpy(full + 512, "9000", 5);
        static const char *const files[] = {"6520800A4D41" "9000", "6580" "9000", "6506930431323334" "6A" "9000",
                                            "6511930F323830303537353132333435363734" "6500" "6500" "9000"};
        static const int want[] = {-EBADMSG, -EBADMSG, -EBADMSG, -EUCLEAN};
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                const struct step steps[] = {{SEL_MF, "9000"},     {READ, IDENT "9000"}, {SEL_APP, "6A82"},
                                             {SEL_MF_APP, "9000"}, {READ, files[i]}};
                struct vitale_card card;
                unsigned apdus;
                int r = READ_SCRIPTED(steps, &card, &apdus);
                if (r != want[i])
                        fail_msg("file %zu under MF_VITALE: got %d, expected %d", i, r, want[i]);
        }
        const struct step mid[] = {{SEL_MF, "9000"},     {READ, IDENT "9000"}, {SEL_APP, "6A82"},
                                   {SEL_MF_APP, "9000"}, {READ, full},         {"00B0010000", "6A82"}};
        struct vitale_card card;
        unsigned apdus;
        assert_int_equal(READ_SCRIPTED(mid, &card, &apdus), -EBADMSG);
        assert_int_equal(apdus, 6);
}

/* A card handing its answer out a few bytes per GET RESPONSE: every piece
 * is appended, for as many rounds as it takes (here 29 for the identity
 * file), data given with 61xx included. */
UNIT(get_response_in_small_chunks) {
        static const char ident[] = IDENT;
        struct step steps[80];
        char resp[40][16];
        size_t n = 0, k = 0, len = strlen(ident);
        steps[n++] = (struct step){SEL_MF, "9000"};
        steps[n++] = (struct step){READ, "6102"};
        for (size_t off = 0; off < len; off += 4, k++) {
                bool last = off + 4 >= len;
                snprintf(resp[k], sizeof(resp[k]), "%.*s%s", (int)(last ? len - off : 4), ident + off,
                         last ? "9000" : "6102");
                steps[n++] = (struct step){"00C0000002", resp[k]};
        }
        steps[n++] = (struct step){SEL_APP, "9000"};
        steps[n++] = (struct step){READ, "6511930F3238" "610A"}; /* data with 61xx */
        steps[n++] = (struct step){"00C000000A", "30303537353132333435" "6106"};
        steps[n++] = (struct step){"00C0000006", "3637346500" "9000"};
        struct vitale_card card;
        unsigned apdus;
        assert_int_equal(read_scripted(steps, n, &card, &apdus), 0);
        assert_int_equal(apdus, n);
        assert_true(n > 30);
        assert_int_equal(card.n, 2);
        assert_string_equal(card.p[1].birth_rank, "1");
        assert_string_equal(card.p[0].nir, "280057512345674");
        assert_true(card.p[0].nir_valid);
}

/* The pieces stop at the caller's bound, whatever the number of rounds. */
UNIT(get_response_bounded_by_size) {
        const struct step steps[] = {{"00B0820000", "41426102"}, {"00C0000002", "43446102"},
                                     {"00C0000002", "45466102"}};
        struct script sc = SCRIPT(steps);
        struct card_io io = IO(sc);
        uint8_t buf[5];
        unsigned sw;
        const uint8_t cmd[] = {0x00, 0xB0, 0x82, 0x00, 0x00};
        assert_int_equal(cardio_xfer(&io, cmd, sizeof(cmd), buf, sizeof(buf), &sw), -ENOBUFS);
        assert_int_equal(io.apdus, 3);
}

/* GET RESPONSE goes to the logical channel of the command (ISO 7816-4
 * §5.4.1): channels 0-3 in bits 2-1 of a first interindustry class (its
 * chaining and SM bits dropped), channels 4-19 in bits 4-1 of a further
 * interindustry class (01xx xxxx). */
UNIT(get_response_keeps_channel) {
        static const struct {
                uint8_t cla;
                const char *get;
        } cases[] = {{0x00, "00C0000002"}, {0x03, "03C0000002"}, {0x1D, "01C0000002"},
                     {0x40, "40C0000002"}, {0x45, "45C0000002"}, {0x6F, "4FC0000002"}};
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct step steps[] = {{"", "6102"}, {cases[i].get, "41429000"}};
                struct script sc = SCRIPT(steps);
                struct card_io io = IO(sc);
                const uint8_t cmd[] = {cases[i].cla, 0xB0, 0x00, 0x00, 0x00};
                uint8_t buf[8];
                unsigned sw;
                assert_int_equal(cardio_xfer(&io, cmd, sizeof(cmd), buf, sizeof(buf), &sw), 2);
                assert_int_equal(sw, 0x9000);
        }
}

/* ---- hostile files straight into the parser ---- */
/* One person's template into a (64 bytes): surname ABCD, then tag holding
 * v (at most 54 bytes); returns its length. */
static size_t person_with(uint8_t a[64], uint8_t tag, const char *v) {
        size_t n = 0, vl = strlen(v);
        assert_true(vl <= 54);
        a[n++] = 0x65;
        a[n++] = (uint8_t)(6 + 2 + vl);
        memcpy(a + n, "\x80\x04" "ABCD", 6);
        n += 6;
        a[n++] = tag;
        a[n++] = (uint8_t)vl;
        memcpy(a + n, v, vl);
        return n + vl;
}

UNIT(hostile_files) {
        static const struct {
                const char *ident, *app, *why;
        } cases[] = {
                {"6520800A4D41", "", "template longer than the file"},
                {"65", "", "tag without length"},
                {"658400000010", "", "four-byte length past the file"},
                {"6580", "", "indefinite length"},
                {"650480FF4142", "", "field length past the template"},
                {"6508A10680054142", "6500", "constructed field whose child overruns it"},
                {"650A80024142A5048203414243", "6500", "long-form length past its parent"},
                {"650480024101", "", "control byte in a name"},
                {"6504810241424142", "", "no surname"},
                {"", "", "no person at all"},
                {"65418041414141414141414141414141414141414141414141414141414141414141414141414141414141"
                 "41414141414141414141414141414141414141414141414141",
                 "", "surname longer than the field"},
                {"5F", "", "truncated two-byte tag"},
                {"1F8101", "", "three-byte tag without a length"},
                {"1F818181818101", "", "tag longer than four bytes"},
                {"1F800101", "", "tag with a leading zero byte"},
                {"6506800141" "5F0000", "6500", "two-byte tag whose bits 7-1 are all zero"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint8_t a[512], b[512];
                size_t al = unhex(cases[i].ident, a, sizeof(a)), bl = unhex(cases[i].app, b, sizeof(b));
                struct vitale_card card;
                int r = vitale_parse(a, al, b, bl, &card);
                if (r != -EBADMSG)
                        fail_msg("case %zu (%s): got %d, expected -EBADMSG", i, cases[i].why, r);
        }
}

/* Names leave the card layer as valid UTF-8: UTF-8 as it is, other bytes
 * read as ISO 8859-1 ("\xC9LISE", "ÉLISE" in Latin-1), trailing spaces
 * dropped; a control byte (C1 80-9F in ISO 8859-1) or a name too long
 * once converted is a malformed card, never text JSON cannot carry. */
UNIT(names_are_utf8) {
        static const struct {
                const char *hex, *want; /* want NULL: -EBADMSG */
        } cases[] = {
                {"C94C495345", "\xC3\x89LISE"},    /* Latin-1 */
                {"C3894C495345", "\xC3\x89LISE"},  /* UTF-8 */
                {"4CC3", "L\xC3\x83"},              /* a cut UTF-8 sequence: Latin-1, "LÃ" */
                {"C0AF", "\xC3\x80\xC2\xAF"},       /* an overlong form: Latin-1 too */
                {"44555055495320202020", "DUPUIS"}, /* padded with spaces */
                {"4C85", NULL},                       /* C1 control in ISO 8859-1 */
                {"4C09", NULL},                       /* C0 control */
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint8_t name[16], a[32];
                size_t nl = unhex(cases[i].hex, name, sizeof(name)), n = 0;
                a[n++] = 0x65;
                a[n++] = (uint8_t)(2 + nl);
                a[n++] = i % 2 ? 0x81 : 0x80; /* the surname, or the first name */
                a[n++] = (uint8_t)nl;
                memcpy(a + n, name, nl);
                n += nl;
                if (i % 2) {
                        memcpy(a + n, "\x80\x02" "AB", 4);
                        a[1] += 4;
                        n += 4;
                }
                struct vitale_card card;
                int r = vitale_parse(a, n, (const uint8_t *)"\x65\x00", 2, &card);
                if (!cases[i].want) {
                        if (r != -EBADMSG)
                                fail_msg("name %s: expected -EBADMSG, got %d", cases[i].hex, r);
                        continue;
                }
                assert_int_equal(r, 0);
                assert_string_equal(i % 2 ? card.p[0].first_name : card.p[0].surname, cases[i].want);
        }
        /* 40 bytes of Latin-1 "É" are 80 of UTF-8: more than a name holds */
        uint8_t a[48] = {0x65, 42, 0x80, 40};
        memset(a + 4, 0xC9, 40);
        struct vitale_card card;
        assert_int_equal(vitale_parse(a, 44, (const uint8_t *)"\x65\x00", 2, &card), -EBADMSG);
}

/* Tag 83 is not in the public layout (the birth rank is the simulator's
 * convention): it is taken when it holds what a birth rank is, one to
 * three digits, and otherwise skipped like any object we do not know,
 * never a reason to refuse the card or to pass on a rank the dossier host
 * refuses. */
UNIT(birth_rank_only_digits) {
        static const struct {
                const char *v, *want;
        } cases[] = {{"1", "1"}, {"12", "12"}, {"123", "123"}, {"", ""}, {"X", ""}, {"1A", ""},
                     {"1234", ""}, {"20120309", ""}};
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint8_t a[64];
                size_t n = person_with(a, 0x83, cases[i].v);
                struct vitale_card card;
                int r = vitale_parse(a, n, (const uint8_t *)"\x65\x00", 2, &card);
                if (r != 0)
                        fail_msg("83 '%s': got %d", cases[i].v, r);
                assert_string_equal(card.p[0].birth_rank, cases[i].want);
        }
}

UNIT(too_many_persons) {
        uint8_t buf[1024];
        size_t n = 0;
        uint8_t empty[2 * VITALE_PERSONS_MAX];
        for (int i = 0; i < VITALE_PERSONS_MAX + 1; i++) {
                memcpy(buf + n, "\x65\x04\x80\x02XY", 6);
                n += 6;
        }
        for (size_t i = 0; i < sizeof(empty); i += 2)
                memcpy(empty + i, "\x65\x00", 2);
        struct vitale_card card;
        assert_int_equal(vitale_parse(buf, n, empty, sizeof(empty), &card), -EBADMSG);
        assert_int_equal(vitale_parse(buf, n - 6, empty, sizeof(empty), &card), 0);
        assert_int_equal(card.n, VITALE_PERSONS_MAX);
}

/* Random bytes must never crash the parser (run under ASan too). */
UNIT(random_bytes_never_crash) {
        uint8_t a[300], b[300];
        struct vitale_card card;
        srand(42);
        for (int round = 0; round < 20000; round++) {
                size_t al = (size_t)rand() % sizeof(a), bl = (size_t)rand() % sizeof(b);
                for (size_t i = 0; i < al; i++)
                        a[i] = (uint8_t)rand();
                for (size_t i = 0; i < bl; i++)
                        b[i] = (uint8_t)rand();
                if (round % 2) /* half of them start like a real file */
                        a[0] = 0x65;
                int r = vitale_parse(a, al, b, bl, &card);
                assert_true(r == 0 || r == -EBADMSG || r == -EUCLEAN);
        }
}

/* Inside a person's template, what we do not read is skipped whatever its
 * tag or form: 5F20 (two-byte), 9F7F81 (three-byte), A5 constructed with
 * a 5F tag inside; lengths in long form (82 00 LL, 81 LL) are read. */
UNIT(unknown_tags_skipped) {
        const char *id = "65" "82002F"        /* 82 00 2F: long form, not minimal */
                         "5F2003414243"
                         "80" "8106" "4D415254494E"  /* 81 06: long form */
                         "A5085F2D024652810101"      /* constructed, an 81 inside */
                         "9FFF0101AA"                /* three-byte tag */
                         "81054C55434153"
                         "82083230313230333039";
        const char *app = "6514" "C00101" "930F323830303537353132333435363734";
        uint8_t a[128], b[64];
        size_t al = unhex(id, a, sizeof(a)), bl = unhex(app, b, sizeof(b));
        struct vitale_card card;
        assert_int_equal(vitale_parse(a, al, b, bl, &card), 0);
        assert_int_equal(card.n, 1);
        assert_person(&card.p[0], "MARTIN", "LUCAS", "20120309", "280057512345674");
        /* the same with the 81 inside A5 overrunning A5 */
        assert_int_equal(a[26], 0x81);
        a[27] = 0x02;
        assert_int_equal(vitale_parse(a, al, b, bl, &card), -EBADMSG);
}

/* The identity file and the NIR file must list the same persons: one
 * NIR short or one too many is a refused card, never a shifted list. */
UNIT(files_that_disagree) {
        const char *two = "650480024142" "650480024344";
        const char *nirs[] = {"6511930F323830303537353132333435363734",
                              "6511930F323830303537353132333435363734" "6500" "6500", ""};
        uint8_t a[64], b[128];
        size_t al = unhex(two, a, sizeof(a));
        struct vitale_card card;
        for (size_t i = 0; i < sizeof(nirs) / sizeof(nirs[0]); i++) {
                size_t bl = unhex(nirs[i], b, sizeof(b));
                assert_int_equal(vitale_parse(a, al, b, bl, &card), -EUCLEAN);
        }
        assert_int_equal(vitale_parse(a, al, b, unhex("6500" "6500", b, sizeof(b)), &card), 0);
        assert_string_equal(card_error_code(-EUCLEAN), "card_inconsistent");
        /* through the card: the same refusal */
        const struct step steps[] = {{SEL_MF, "9000"}, {READ, IDENT "9000"}, {SEL_APP, "9000"},
                                     {READ, "6511930F323830303537353132333435363734" "9000"}};
        unsigned apdus;
        assert_int_equal(READ_SCRIPTED(steps, &card, &apdus), -EUCLEAN);
}

/* Birth dates that are not calendar dates are kept as the card gave them
 * and flagged; the card is still read. */
UNIT(birth_dates_checked) {
        static const struct {
                const char *date;
                bool valid;
        } cases[] = {
                {"19800517", true},  {"20000229", true},  {"19000229", false}, {"20230229", false},
                {"19800230", false}, {"19801301", false}, {"19800001", false}, {"19800100", false},
                {"1980051", false},  {"198005170", false}, {"1980O517", false}, {"", false},
                {"00000101", false}, {"19801231", true},  {"19800431", false},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                if (vitale_date_valid(cases[i].date) != cases[i].valid)
                        fail_msg("date '%s': expected %s", cases[i].date, cases[i].valid ? "valid" : "invalid");
                uint8_t a[64];
                size_t n = person_with(a, 0x82, cases[i].date);
                struct vitale_card card;
                assert_int_equal(vitale_parse(a, n, (const uint8_t *)"\x65\x00", 2, &card), 0);
                assert_string_equal(card.p[0].birth_date, cases[i].date);
                assert_int_equal(card.p[0].birth_date_valid, cases[i].valid);
        }
}

UNIT(tlv_lengths) {
        const uint8_t ok[] = {0x5F, 0x2F, 0x81, 0x02, 0xAA, 0xBB, 0x00, 0x80, 0x00};
        size_t off = 0;
        struct tlv t;
        assert_int_equal(tlv_next(ok, sizeof(ok), &off, &t), 1);
        assert_int_equal(t.tag, 0x5F2F);
        assert_int_equal(t.len, 2);
        assert_int_equal(tlv_next(ok, sizeof(ok), &off, &t), 1); /* padding 00 skipped */
        assert_int_equal(t.tag, 0x80);
        assert_int_equal(t.len, 0);
        assert_int_equal(tlv_next(ok, sizeof(ok), &off, &t), 0);
        const uint8_t big[] = {0x80, 0x82, 0xFF, 0xFF, 0x00};
        off = 0;
        assert_int_equal(tlv_next(big, sizeof(big), &off, &t), -EBADMSG);
        /* a three-byte tag, constructed, with a non-minimal long length */
        const uint8_t multi[] = {0xBF, 0x81, 0x01, 0x82, 0x00, 0x02, 0x80, 0x00};
        off = 0;
        assert_int_equal(tlv_next(multi, sizeof(multi), &off, &t), 1);
        assert_int_equal(t.tag, 0xBF8101);
        assert_true(t.constructed);
        assert_int_equal(t.len, 2);
        assert_int_equal(tlv_check(multi, sizeof(multi), 1), 0);
        assert_int_equal(tlv_check(multi, sizeof(multi), 0), -EBADMSG); /* deeper than allowed */
}

/* ISO 7816-4 (BER-TLV length fields, table 8) has length fields of one to
 * five bytes: 84 and four bytes is one, 80 (indefinite) and 85 to FF are
 * invalid first bytes. */
UNIT(tlv_five_byte_length) {
        const uint8_t four[] = {0x80, 0x84, 0x00, 0x00, 0x00, 0x02, 0xAA, 0xBB};
        size_t off = 0;
        struct tlv t;
        assert_int_equal(tlv_next(four, sizeof(four), &off, &t), 1);
        assert_int_equal(t.len, 2);
        assert_int_equal(off, sizeof(four));
        const uint8_t huge[] = {0x80, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0xAA};
        off = 0;
        assert_int_equal(tlv_next(huge, sizeof(huge), &off, &t), -EBADMSG);
        const uint8_t five[] = {0x80, 0x85, 0x00, 0x00, 0x00, 0x00, 0x01, 0xAA};
        off = 0;
        assert_int_equal(tlv_next(five, sizeof(five), &off, &t), -EBADMSG);
        /* a person's template in that form */
        const uint8_t id[] = {0x65, 0x84, 0x00, 0x00, 0x00, 0x06, 0x80, 0x04, 'A', 'B', 'C', 'D'};
        struct vitale_card card;
        assert_int_equal(vitale_parse(id, sizeof(id), (const uint8_t *)"\x65\x00", 2, &card), 0);
        assert_string_equal(card.p[0].surname, "ABCD");
}

UNIT(atr_recognition) {
        const uint8_t v2[] = {0x3B, 0x75, 0x13, 0x00, 0x00, 0x47, 0x09, 0xEA, 0x90, 0x00};
        const uint8_t piv[] = {0x3B, 0x8A, 0x80, 0x01, 0x00, 0x31, 0xC1};
        assert_true(vitale_match_atr(v2, sizeof(v2)));
        assert_false(vitale_match_atr(piv, sizeof(piv)));
        assert_false(vitale_match_atr(v2, 3));
}

/* The card of atr that answers steps is identified as kind (CARD_UNKNOWN:
 * no driver) in want_apdus exchanges; data gets what was read. */
#define IDENTIFIES_AS(atr, steps, kind, want_apdus, data)                                                 \
        identifies_as((atr), sizeof(atr), (steps), sizeof(steps) / sizeof((steps)[0]), (kind), (want_apdus), (data))
static void identifies_as(const uint8_t *atr, size_t atr_len, const struct step *steps, size_t n, enum card_kind kind,
                          unsigned want_apdus, union card_data *data) {
        struct script sc = {.steps = steps, .n = n};
        struct card_io io = IO(sc);
        const struct card_driver *d = (void *)1;
        assert_int_equal(cards_identify(atr, atr_len, &io, &d, data), 0);
        if (kind == CARD_UNKNOWN)
                assert_null(d);
        else {
                assert_non_null(d);
                assert_int_equal(d->kind, kind);
        }
        assert_int_equal(io.apdus, want_apdus);
}

UNIT(identify_cps_by_probe) {
        const uint8_t atr[] = {0x3B, 0x8A, 0x80, 0x01};
        /* not a Vitale by either name, not IAS-ECC, answers the PIV SELECT */
        const struct step steps[] = {{"00A404000BD2500000025649", "6A82"},
                                     {"00A404000ED2500000024D46", "6A82"},
                                     {"00A404000DE828BD080F8025", "6A82"},
                                     {"00A4040009A00000030800001000", "61114F0600001000010079074F05A0000003089000"}};
        union card_data data;
        IDENTIFIES_AS(atr, steps, CARD_CPS, 4, &data);
}

UNIT(identify_unknown_card) {
        const uint8_t atr[] = {0x3B, 0x00};
        const struct step steps[] = {{"00A404", "6A82"}, {"00A404", "6A82"}, {"00A404", "6D00"}, {"00A404", "6A82"}};
        union card_data data;
        IDENTIFIES_AS(atr, steps, CARD_UNKNOWN, 4, &data);
}

/* A card whose ATR says nothing and that answers MF_VITALE only is a
 * Vitale: probed with both names, then read through MF_VITALE; a VITALE
 * probe answered with a warning does not try the other name. */
UNIT(identify_vitale_by_mf_vitale) {
        const uint8_t atr[] = {0x3B, 0x00};
        const struct step steps[] = {{SEL_APP, "6A82"},    {SEL_MF_APP, "9000"}, {SEL_MF, "9000"},
                                     {READ, IDENT "9000"}, {SEL_APP, "6A82"},    {SEL_MF_APP, "9000"},
                                     {READ, APP "9000"}};
        union card_data data;
        IDENTIFIES_AS(atr, steps, CARD_VITALE, 7, &data);
        assert_int_equal(data.vitale.n, 2);
        assert_string_equal(data.vitale.p[0].nir, "280057512345674");
        const struct step warned[] = {{SEL_APP, "6283"}, {"00A404000DE828BD080F8025", "6A82"},
                                      {"00A4040009A00000030800001000", "6A82"}};
        IDENTIFIES_AS(atr, warned, CARD_UNKNOWN, 3, &data);
}

/* ---- the ISO 7816-4 base ---- */
UNIT(status_words_have_errnos) {
        assert_int_equal(iso7816_sw_errno(0x9000), 0);
        assert_int_equal(iso7816_sw_errno(0x6A82), -ENOENT);
        assert_int_equal(iso7816_sw_errno(0x6986), -ENOENT);
        assert_int_equal(iso7816_sw_errno(0x63C2), -EACCES);
        assert_int_equal(iso7816_sw_errno(0x6D00), -EOPNOTSUPP);
        assert_int_equal(iso7816_sw_errno(0x6B00), -ERANGE);
        assert_int_equal(iso7816_sw_errno(0x6A90), -EREMOTEIO);
        assert_int_equal(iso7816_sw_errno(0x6F00), -EAGAIN);
        assert_int_equal(iso7816_sw_errno(0x6581), -EAGAIN);
        assert_true(iso7816_transient(0x6400));
        assert_false(iso7816_transient(0x6A82));
        assert_string_equal(iso7816_sw_text(0x6A82), "file or application not found");
        assert_string_equal(iso7816_sw_text(0x6A90), "unexpected status word");
        /* the exchange's own errors are never taken for a refusal */
        assert_true(iso7816_refused(-ENOENT));
        assert_true(iso7816_refused(-EREMOTEIO));
        assert_false(iso7816_refused(0));
        assert_false(iso7816_refused(-ENODEV));
        assert_false(iso7816_refused(-EIO));
        assert_false(iso7816_refused(-EPROTO));
        assert_false(iso7816_refused(-ERESTART));
        assert_false(iso7816_refused(-EBUSY));
}

UNIT(iso_select_and_read_on) {
        /* a file of 256 + 3 bytes: the second READ goes on at offset 0100 */
        char first[2 * 256 + 5], second[] = "AABBCC9000";
        for (size_t i = 0; i < 256; i++)
                memcpy(first + 2 * i, "5A", 2);
        memcpy(first + 512, "9000", 5);
        const struct step steps[] = {{"00A40000021234", "6A82"},
                                     {"00A4040003A00001", "9000"},
                                     {"00B0850000", first},
                                     {"00B0010000", second},
                                     {"00A4040003A00001", "6284"},
                                     {"00A4040003A00001", "6283"},
                                     {"00A4040003A00001", "6285"}};
        struct script sc = SCRIPT(steps);
        struct card_io io = IO(sc);
        uint8_t buf[512];
        size_t len = 0;
        assert_int_equal(iso7816_ops.select_fid(&io, 0x1234), -ENOENT);
        assert_int_equal(iso7816_ops.select_aid(&io, (const uint8_t *)"\xA0\x00\x01", 3), 0);
        assert_int_equal(iso7816_ops.read_binary(&io, 5, buf, sizeof(buf), &len), 0);
        assert_int_equal(len, 259);
        assert_int_equal(buf[0], 0x5A);
        assert_int_equal(buf[258], 0xCC);
        /* selected with a warning on its FCI (ISO 7816-4: 62xx, processed):
         * selected; a file deactivated or in termination: refused */
        assert_int_equal(iso7816_ops.select_aid(&io, (const uint8_t *)"\xA0\x00\x01", 3), 0);
        assert_int_equal(iso7816_ops.select_aid(&io, (const uint8_t *)"\xA0\x00\x01", 3), -EREMOTEIO);
        assert_int_equal(iso7816_ops.select_aid(&io, (const uint8_t *)"\xA0\x00\x01", 3), -EREMOTEIO);
        assert_int_equal(io.apdus, 7);
}

UNIT(iso_read_bounds) {
        const struct step steps[] = {{"00B0820000", "6A82"}, {"00B0820000", "414243449000"}};
        struct script sc = SCRIPT(steps);
        struct card_io io = IO(sc);
        uint8_t buf[3];
        size_t len;
        assert_int_equal(iso7816_read_binary(&io, 2, buf, sizeof(buf), &len), -ENOENT);
        assert_int_equal(iso7816_read_binary(&io, 2, buf, sizeof(buf), &len), -ENOBUFS);
        assert_int_equal(iso7816_read_binary(&io, 0, buf, sizeof(buf), &len), -EINVAL);
        assert_int_equal(iso7816_read_binary(&io, 31, buf, sizeof(buf), &len), -EINVAL);
}

/* A file that fills the buffer exactly fits: the READ past its end (6B00,
 * 6282 or no data) says so; one more byte does not fit (-ENOBUFS). */
UNIT(iso_read_exact_fit) {
        char full[2 * 256 + 5];
        for (size_t i = 0; i < 256; i++)
                memcpy(full + 2 * i, "41", 2);
        memcpy(full + 512, "9000", 5);
        static const char *const ends[] = {"6B00", "6282", "9000", "429000"};
        for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
                const struct step steps[] = {{"00B0820000", full}, {"00B0010000", ends[i]}};
                struct script sc = SCRIPT(steps);
                struct card_io io = IO(sc);
                uint8_t buf[256];
                size_t len = 0;
                int want = i == 3 ? -ENOBUFS : 0;
                if (iso7816_read_binary(&io, 2, buf, sizeof(buf), &len) != want)
                        fail_msg("end %s: expected %d", ends[i], want);
                assert_int_equal(io.apdus, 2);
                if (want == 0)
                        assert_int_equal(len, 256);
        }
}

/* Past the first READ, P1-P2 is nothing but the offset (P1 bit 8 = 0):
 * "incorrect parameters P1-P2" (6A86) there says the offset is outside
 * the EF, like 6B00, and ends a file that filled its last READ.  On the
 * first READ (short EF identifier in P1) it stays an error. */
UNIT(iso_read_6a86_past_the_end) {
        char full[2 * 256 + 5];
        for (size_t i = 0; i < 256; i++)
                memcpy(full + 2 * i, "41", 2);
        memcpy(full + 512, "9000", 5);
        const struct step steps[] = {{"00B0820000", full}, {"00B0010000", "6A86"}, {"00B0820000", "6A86"}};
        struct script sc = SCRIPT(steps);
        struct card_io io = IO(sc);
        uint8_t buf[512];
        size_t len = 0;
        assert_int_equal(iso7816_read_binary(&io, 2, buf, sizeof(buf), &len), 0);
        assert_int_equal(len, 256);
        assert_int_equal(iso7816_read_binary(&io, 2, buf, sizeof(buf), &len), -EBADMSG);
        assert_int_equal(io.apdus, 3);
}

UNIT(card_error_codes_are_stable) {
        assert_string_equal(card_error_code(-ENODEV), "card_removed");
        assert_string_equal(card_error_code(-EBADMSG), "card_malformed");
        assert_string_equal(card_error_code(-ENOENT), "card_unreadable");
        assert_string_equal(card_error_code(-EBUSY), "card_busy");
        assert_string_equal(card_error_code(-EIO), "card_error");
}

UNIT_GROUP("vitale", NULL, NULL)
