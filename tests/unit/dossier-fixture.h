/* tests/unit/dossier-fixture.h: shared set-up for the dossier engine tests:
 * a store (store-fixture.h: an SQLite file, or a PostgreSQL schema when
 * CARNET_TEST_PG is set), the shipped data files (found from the repository
 * root where tests/run-unit.sh runs the tests, or $CARNET_DATA_DIR), a
 * fake clock and a handful of actors. Include it after <cmocka.h>. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store-fixture.h"
#include "lib/macro.h"
#include "engine/dossier.h"

#define T0 INT64_C(1700000000)
#define INS "185057800608491"
#define INS2 "269029934173285"

struct fixture {
        struct test_store ts;
        int64_t now;
        struct rights_table *rights;
        struct interactions *interactions;
        struct dossier_engine *e;
        /* what the notification hook was told, by kind */
        unsigned hook_emergency, hook_first, hook_hold, hook_other;
};

static _unused_ void fixture_hook(void *userdata, const char *kind) {
        struct fixture *f = userdata;
        if (strcmp(kind, "emergency-access") == 0)
                f->hook_emergency++;
        else if (strcmp(kind, "first-access") == 0)
                f->hook_first++;
        else if (strcmp(kind, "hold-consult") == 0)
                f->hook_hold++;
        else
                f->hook_other++;
}

static _unused_ int64_t fake_clock(void *userdata) {
        return ((struct fixture *) userdata)->now;
}

static _unused_ const struct dossier_identity ident = {
        .ins = INS, .ins_oid = "1.2.250.1.213.1.4.10", .birth_name = "DUPONT", .first_names = "Jean Pierre",
        .birth_date = "1985-05-12", .sex = "M", .birth_place = "78646",
};

static _unused_ const struct dossier_actor patient = {
        .kind = ACCESS_ACTOR_PATIENT, .id = INS, .session = "patient-session",
};
static _unused_ const struct dossier_actor gp = {
        .kind = ACCESS_ACTOR_PROFESSIONAL, .id = "810000000001", .profession = "10", .specialty = "SM26",
        .last_name = "MARTIN", .first_name = "Anne", .card = ACCESS_CARD_CPS, .session = "gp-session",
};
static _unused_ const struct dossier_actor nurse = {
        .kind = ACCESS_ACTOR_PROFESSIONAL, .id = "810000000002", .profession = "60", .last_name = "LEROY",
        .first_name = "Paul", .card = ACCESS_CARD_CPS, .session = "nurse-session",
};
static _unused_ const struct dossier_actor er = {
        .kind = ACCESS_ACTOR_PROFESSIONAL, .id = "810000000003", .profession = "10", .last_name = "DURAND",
        .first_name = "Lea", .card = ACCESS_CARD_CPS, .mode = ACCESS_MODE_EMERGENCY,
        .reason = "unconscious, no relative reachable", .session = "er-session",
};

static _unused_ int fixture_open_engine(struct fixture *f) {
        struct dossier_config cfg = {
                .path = f->ts.name, .rights = f->rights, .interactions = f->interactions,
                .scrypt_n = 1024, .scrypt_r = 8, .scrypt_p = 1,
                .clock = fake_clock, .clock_userdata = f,
                .on_notification = fixture_hook, .on_notification_userdata = f,
        };
        return dossier_engine_open(&cfg, &f->e);
}

static _unused_ int fixture_setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        const char *dir = getenv("CARNET_DATA_DIR");
        char p[512], err[256];

        if (!f)
                return -1;
        if (test_store_make(&f->ts) < 0)
                return -1;
        f->now = T0;
        snprintf(p, sizeof(p), "%s/rights.tsv", dir ? dir : "data");
        if (rights_load(p, &f->rights, err, sizeof(err)) < 0)
                return fprintf(stderr, "%s\n", err), -1;
        snprintf(p, sizeof(p), "%s/interactions.tsv", dir ? dir : "data");
        if (interactions_load(p, &f->interactions, err, sizeof(err)) < 0)
                return fprintf(stderr, "%s\n", err), -1;
        if (fixture_open_engine(f) < 0)
                return -1;
        *state = f;
        return 0;
}

static _unused_ int fixture_teardown(void **state) {
        struct fixture *f = *state;

        f->e = dossier_engine_close(f->e);
        test_store_remove(&f->ts);
        rights_free(f->rights);
        interactions_free(f->interactions);
        free(f);
        return 0;
}

static _unused_ int64_t audit_count(struct fixture *f) {
        uint8_t h[AUDIT_HASH_LEN];
        int64_t seq = -1;

        if (audit_head(dossier_engine_store(f->e), &seq, h) < 0)
                return -1;
        return seq;
}

/* The trail's hash chain and the file's integrity: both must hold. */
static _unused_ void verify_chain(struct fixture *f) {
        int64_t bad = -1;
        char msg[256];

        if (audit_verify(dossier_engine_store(f->e), &bad, msg, sizeof(msg)) != 0)
                fail_msg("audit chain: %s", msg);
        assert_int_equal(store_integrity_check(dossier_engine_store(f->e)), 0);
}
