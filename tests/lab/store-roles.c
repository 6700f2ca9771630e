/* tests/lab/store-roles.c: checks what a PostgreSQL role may do with the
 * dossier store (tests/lab/t-engine-pg.sh, data/postgresql-*.sql):
 *
 *   store-roles CONNINFO open      open the store (migrating it if needed)
 *   store-roles CONNINFO engine    open the engine and use every table:
 *                                  create a dossier, deposit, read, deposit
 *                                  in pieces (a spooled upload), name a
 *                                  traitant, a wrong secret, the trail
 *   store-roles CONNINFO rewrite   try to update, then delete, trail rows
 *
 * Prints one line per step, "STEP: ok" or "STEP: <error>"; exits 0 when
 * every step succeeded. Needs CARNET_DATA_DIR for the engine's data. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dossier.h"
#include "lib/macro.h"

static int say(const char *step, int r) {
        printf("%s: %s\n", step, r < 0 ? strerror(-r) : "ok");
        return r < 0;
}

/* A deposit from a file of 600 KiB, staged in pieces (content_chunks), as
 * a spooled upload is. */
static int deposit_pieces(struct dossier_engine *e, const struct dossier_actor *a, const char *ins,
                          const struct dossier_doc_meta *meta) {
        static uint8_t buf[600 * 1024];
        uint8_t sha[32];
        char uid[DOSSIER_UID_SIZE];
        FILE *f = tmpfile();
        int r;

        if (!f)
                return -errno;
        memcpy(buf, "%PDF", 4);
        r = fwrite(buf, 1, sizeof(buf), f) == sizeof(buf) && fflush(f) == 0 ? 0 : -EIO;
        if (r >= 0)
                r = EVP_Digest(buf, sizeof(buf), sha, NULL, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
        if (r >= 0) {
                const struct dossier_content_file c = {.fd = fileno(f), .len = sizeof(buf), .sha256 = sha};
                r = dossier_deposit_file(e, a, ins, meta, &c, uid, NULL);
        }
        fclose(f);
        return r;
}

static int use_engine(const char *conninfo) {
        static const struct dossier_actor gp = {
                .kind = ACCESS_ACTOR_PROFESSIONAL, .id = "810000000001", .profession = "10", .specialty = "SM26",
                .last_name = "MARTIN", .first_name = "Anne", .card = ACCESS_CARD_CPS, .session = "roles",
                .workstation = "ws-roles",
        };
        static const struct dossier_actor patient = { .kind = ACCESS_ACTOR_PATIENT, .id = "185057800608491" };
        static const struct dossier_identity id = {
                .ins = "185057800608491", .ins_oid = "1.2.250.1.213.1.4.10", .birth_name = "DUPONT",
                .first_names = "Jean", .birth_date = "1985-05-12", .sex = "M", .birth_place = "78646",
        };
        static const struct dossier_doc_meta meta = {
                .type_code = "11488-4", .class_code = "10", .format_code = "urn:ihe:iti:xds:2017:mimeTypeSufficient",
                .mime = "application/pdf", .title = "roles", .created_at = 1700000000,
        };
        const char *dir = getenv("CARNET_DATA_DIR");
        struct rights_table *rights = NULL;
        _cleanup_dossier_engine_ struct dossier_engine *e = NULL;
        _cleanup_free_ void *content = NULL;
        char p[512], err[256], secret[DOSSIER_SECRET_SIZE], uid[DOSSIER_UID_SIZE];
        struct dossier_doc d;
        size_t len;
        uint8_t head[AUDIT_HASH_LEN];
        int64_t bad, head_seq;
        int fails = 0;

        snprintf(p, sizeof(p), "%s/rights.tsv", dir ? dir : "data");
        if (rights_load(p, &rights, err, sizeof(err)) < 0)
                return printf("rights: %s\n", err), 1;
        struct dossier_config cfg = { .path = conninfo, .rights = rights, .scrypt_n = 1024, .scrypt_r = 8, .scrypt_p = 1 };
        if (say("engine open", dossier_engine_open(&cfg, &e)))
                return rights_free(rights), 1;
        fails += say("create", dossier_create(e, &gp, &id, true, secret));
        fails += say("consent", dossier_record_consent(e, &gp, id.ins));
        fails += say("deposit", dossier_deposit(e, &gp, id.ins, &meta, "%PDF", 4, uid, NULL));
        fails += say("read", dossier_read(e, &gp, id.ins, uid, &d, &content, &len));
        fails += say("deposit in pieces", deposit_pieces(e, &gp, id.ins, &meta));
        fails += say("traitant", dossier_set_access(e, &patient, id.ins, gp.id, DOSSIER_ACCESS_TRAITANT));
        fails += say("wrong secret", dossier_attempts_failed(e, id.ins));
        fails += say("right secret", dossier_attempts_succeeded(e, id.ins));
        fails += say("verify", dossier_audit_verify(e, &bad, err, sizeof(err), &head_seq, head));
        rights_free(rights);
        return fails > 0;
}

int main(int argc, char **argv) {
        _cleanup_store_ struct store *s = NULL;

        if (argc != 3)
                return fprintf(stderr, "usage: store-roles CONNINFO open|engine|rewrite\n"), 2;
        if (strcmp(argv[2], "engine") == 0)
                return use_engine(argv[1]);
        if (say("open", store_open(argv[1], &s)))
                return 1;
        if (strcmp(argv[2], "open") == 0)
                return 0;
        if (strcmp(argv[2], "rewrite") == 0) {
                int u = say("update audit", store_exec_script(s, "UPDATE audit SET actor = 'x'"));
                int d = say("delete audit", store_exec_script(s, "DELETE FROM audit"));
                return u || d;
        }
        return fprintf(stderr, "store-roles: unknown command %s\n", argv[2]), 2;
}
