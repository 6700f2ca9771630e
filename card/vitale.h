/* card/vitale.h: the Carte Vitale 2 driver (identity only).
 *
 * Reads every person on the card, the holder and the beneficiaries, with
 * the publicly known layout: MF short file 2 ('65' templates: 80 surname,
 * 81 first name, 82 birth date, 83 birth rank) and application VITALE
 * short file 2 ('65' templates in the same order: 93 NIR), or, on a card
 * that does not know VITALE, the one named MF_VITALE (vitale_select_app).
 * Four APDUs for a card whose files fit in 256 bytes.  Insurance rights
 * are not public and not read.  Every NIR is checked; a person without a
 * valid NIR is listed, flagged, and must not be used to open a dossier. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardio.h"

#define VITALE_PERSONS_MAX 16
#define VITALE_FILE_MAX 4096
#define VITALE_AID_LEN 11
#define VITALE_MF_AID_LEN 14

/* The application VITALE: D2 50 00 00 02 "VITALE". */
extern const uint8_t vitale_aid[VITALE_AID_LEN];
/* The other name seen on real cards: D2 50 00 00 02 "MF_VITALE".  cardpeek
 * (vitale_2.lua) lists it beside VITALE as the DF holding EF.DIR and the
 * PAN, the master file's own name; a card may also answer it for the
 * NIRs, which is what the fallback of vitale_select_app() is for. */
extern const uint8_t vitale_mf_aid[VITALE_MF_AID_LEN];

struct vitale_person {
        char surname[64];
        char first_name[64];
        char birth_date[32]; /* YYYYMMDD, or whatever the card holds */
        bool birth_date_valid; /* a calendar date as YYYYMMDD */
        char birth_rank[4]; /* empty when the card has none (83 of 1-3 digits) */
        char nir[16];       /* empty when absent */
        bool nir_valid;
        const char *nir_problem; /* NULL when valid: "absent", "malformed", "wrong key" */
};

struct vitale_card {
        size_t n; /* persons; [0] is the holder */
        struct vitale_person p[VITALE_PERSONS_MAX];
};

/* True for a Vitale ATR (3B 75 13 00 00 4x 09 EA 90 00, or Vitale 1's
 * inverse-convention 3F 65 25 00 ...). */
bool vitale_match_atr(const uint8_t *atr, size_t len);

/* Reads the card through io (the caller holds a PC/SC transaction).
 * Returns 0, -ENODEV when the card left, -ENOENT when it lacks the
 * Vitale files (MF_VITALE selected in place of VITALE and holding the
 * identity file again, the master file under its name, included),
 * -EBADMSG for malformed data (truncated TLV or one that overruns its
 * parent, too many persons, fields too long or not UTF-8), -EUCLEAN when
 * the identity file and the NIR file do not list the same number of
 * persons, -EAGAIN when the card answered a transient error twice. */
int vitale_read(struct card_io *io, struct vitale_card *ret);
/* The same through a driver's operations (vitale_read uses iso7816_ops). */
struct card_ops;
int vitale_read_ops(const struct card_ops *ops, struct card_io *io, struct vitale_card *ret);

/* Selects the application holding the NIRs: VITALE, or MF_VITALE when the
 * card answers that VITALE is not there (-ENOENT: 6A82 "file or
 * application not found"; iso7816_sw_errno gives it to 6A83 and 6986
 * too, which a SELECT has no reason to answer).  Any other answer is
 * returned as it is, with no second SELECT: a transient error twice
 * (-EAGAIN), a card gone (-ENODEV), a SELECT the card does not take
 * (6A86, 6A87, 6D00, 6E00: the other name would be refused alike), a
 * refusal of an application that is there (6982, 6985) and a warning
 * (62xx, 63xx: VITALE is there, deactivated or otherwise not usable, and
 * another application must not stand in for it).  Returns VITALE_APP
 * (0), VITALE_APP_MF (1) or that error. */
enum { VITALE_APP = 0, VITALE_APP_MF = 1 };
int vitale_select_app(const struct card_ops *ops, struct card_io *io);

/* True when d is a calendar date written YYYYMMDD (not 30 February, not
 * month 13, eight digits).  A person whose birth date is not one is
 * listed with birth_date_valid false and the date as the card gave it. */
bool vitale_date_valid(const char *d);

/* Parses the two files (exposed for tests and fuzzing). */
int vitale_parse(const uint8_t *ident, size_t ident_len, const uint8_t *app, size_t app_len,
                 struct vitale_card *ret);
