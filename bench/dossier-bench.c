/* bench/dossier-bench.c: the dossier engine's benchmark (issue 4).
 *
 *   dossier-bench gen     --db PATH --dossiers N [--docs D] [--batch B] [--seed S]
 *   dossier-bench measure --db PATH [--lists K] [--deposits K] [--threads T] [--seed S]
 *
 * gen fills a new database through the engine's public API: for each
 * dossier, dossier_create() by a doctor with the patient's consent,
 * dossier_record_consent(), then D x dossier_deposit() (metadata plus
 * 512..2047 bytes of content). Every rule, decision, trail entry,
 * notification and alert runs as in production; what differs (and is
 * documented in docs/benchmarks.md) is that B dossiers share one
 * transaction (dossier_batch_begin()), the patient secret is hashed with
 * scrypt N=2 instead of 32768, the connection's page cache is raised and
 * time comes from a fake clock that spreads the deposits over two years.
 *
 * measure runs in a fresh process on the file gen left (default engine
 * settings, real clock): K lists of a random dossier's visible documents
 * by its doctor, then the same K lists spread over T threads at once
 * (default 16: lists decided off the engine's mutex, their trail entries
 * committed together; printed with how many lists shared each fdatasync),
 * then K durable deposits (each its own transaction), and prints
 * percentiles, file size per document and peak memory (getrusage
 * ru_maxrss). Wall-clock figures are printed, never asserted: this is not
 * a test. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/dossier.h"
#include "lib/macro.h"
#include "lib/nir.h"

#define PROFESSIONALS 500
#define CONTENT_MAX 2048
#define GEN_SPAN (2 * 365 * DOSSIER_DAY)

struct opts {
        const char *db;
        unsigned long dossiers;
        unsigned docs;
        unsigned batch;
        unsigned lists;
        unsigned deposits;
        unsigned threads;
        uint64_t seed;
};

/* ---- helpers --------------------------------------------------------------- */

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(void) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

static unsigned rnd_below(unsigned n) {
        return (unsigned) (rnd() % n);
}

static int64_t mono_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long maxrss_kib(void) {
        struct rusage ru;
        return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* Dossier i's INS: a valid NIR whose 13-digit body grows with i, so that
 * the generated INS are distinct and the dossiers stay in INS order. */
static void ins_of(unsigned long i, char ret[16]) {
        char body[14];
        unsigned key;

        snprintf(body, sizeof(body), "%013" PRIu64, UINT64_C(1850500000000) + i);
        if (nir_key(body, &key) < 0)
                abort();
        snprintf(ret, 16, "%s%02u", body, key);
}

/* The doctor who follows dossier i: one of PROFESSIONALS RPPS ids. */
static struct dossier_actor doctor_of(unsigned long i, char id[16]) {
        snprintf(id, 16, "8100000%05lu", i % PROFESSIONALS);
        return (struct dossier_actor) {
                .kind = ACCESS_ACTOR_PROFESSIONAL, .id = id, .profession = "10", .specialty = "SM26",
                .last_name = "MEDECIN", .first_name = "Bench", .institution = "Cabinet bench",
                .card = ACCESS_CARD_CPS, .session = "bench",
        };
}

static int load_tables(struct rights_table **rights, struct interactions **inter) {
        const char *dir = getenv("CARNET_DATA_DIR");
        char p[512], err[256];

        snprintf(p, sizeof(p), "%s/rights.tsv", dir ? dir : "data");
        if (rights_load(p, rights, err, sizeof(err)) < 0)
                return fprintf(stderr, "%s\n", err), -EINVAL;
        snprintf(p, sizeof(p), "%s/interactions.tsv", dir ? dir : "data");
        if (interactions_load(p, inter, err, sizeof(err)) < 0)
                return fprintf(stderr, "%s\n", err), -EINVAL;
        return 0;
}

static int exec_sql(struct dossier_engine *e, const char *sql) {
        int r = store_exec_script(dossier_engine_store(e), sql);

        if (r < 0)
                fprintf(stderr, "%s: %s\n", sql, strerror(-r));
        return r;
}

/* One integer from a read-only statistics query (a static string); arg
 * is bound to ?1 when the query has a parameter. */
static int64_t query_int(struct dossier_engine *e, const char *sql, int64_t arg) {
        struct store *s = dossier_engine_store(e);
        _cleanup_stmt_ struct store_stmt *st = NULL;

        if (store_prepare(s, sql, &st) < 0 || (strstr(sql, "?1") && store_bind_int(st, 1, arg) < 0) ||
            store_step(s, st) <= 0)
                return -1;
        return store_col_int64(st, 0);
}

static int64_t file_size(const char *path) {
        struct stat sb;
        return stat(path, &sb) == 0 ? (int64_t) sb.st_size : 0;
}

/* ---- the documents ------------------------------------------------------------ */

struct doc_kind {
        const char *type, *class, *title;
        bool medicines;
};

/* A consultation-heavy mix of docs/rules.md §4 types; lab and imaging
 * trigger the duplicate-exam query, prescriptions the interaction one. */
static const struct doc_kind kinds[] = {
        { "11488-4", "10", "Compte rendu de consultation", false },
        { "11488-4", "10", "Compte rendu de consultation de suivi", false },
        { "11502-2", "10", "Compte rendu d'examens biologiques", false },
        { "57833-6", "42", "Prescription de produits de sante", true },
        { "60593-1", "43", "Dispensation", false },
        { "18748-4", "31", "Compte rendu d'imagerie", false },
        { "11369-6", "10", "Historique des vaccinations", false },
        { "34133-9", "11", "Synthese d'episode de soins", false },
        { "60591-5", "11", "Synthese medicale", false },
        { "11490-0", "10", "Lettre de liaison de sortie", false },
};

static const char *const atc[] = {
        "B01AA03", "N02BA01", "M01AE01", "C10AA01", "J01FA09", "C09AA05",
        "A10BA02", "C07AB07", "N06AB06", "R03AC02", "A02BC01", "C03CA01",
};

static void fill_content(char *buf, size_t n) {
        uint64_t x = 0;

        for (size_t i = 0; i < n; i++, x >>= 5) {
                if (i % 12 == 0)
                        x = rnd();
                buf[i] = (char) ('a' + (x & 31) % 26);
        }
}

static void make_doc(unsigned j, int64_t created, struct dossier_doc_meta *m, char medicines[64]) {
        const struct doc_kind *k = &kinds[(j + rnd_below(3)) % ELEMENTSOF(kinds)];

        medicines[0] = '\0';
        if (k->medicines) {
                unsigned n = 1 + rnd_below(3);
                for (unsigned x = 0; x < n; x++) {
                        const char *c = atc[rnd_below(ELEMENTSOF(atc))];
                        if (strstr(medicines, c))
                                continue;
                        if (medicines[0])
                                strcat(medicines, ",");
                        strcat(medicines, c);
                }
        }
        *m = (struct dossier_doc_meta) {
                .type_code = k->type, .class_code = k->class,
                .format_code = "urn:ihe:iti:xds:2017:mimeTypeSufficient", .mime = "application/pdf",
                .title = k->title, .created_at = created, .medicines = medicines[0] ? medicines : NULL,
        };
}

/* ---- gen ------------------------------------------------------------------------ */

static int64_t gen_clock_value;

static int64_t gen_clock(void *userdata) {
        return gen_clock_value;
}

static int gen(const struct opts *o) {
        _cleanup_rights_ struct rights_table *rights = NULL;
        _cleanup_interactions_ struct interactions *inter = NULL;
        _cleanup_dossier_engine_ struct dossier_engine *e = NULL;
        static const char *const first[] = { "Jean", "Marie", "Lea", "Paul", "Ines", "Louis", "Chloe", "Hugo" };
        static const char *const last[] = { "MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "PETIT" };
        int64_t t0 = mono_ns(), tb = t0, start = (int64_t) time(NULL) - GEN_SPAN - 30 * DOSSIER_DAY;
        unsigned long warnings = 0;
        char content[CONTENT_MAX];
        int r;

        if (file_size(o->db) > 0)
                return fprintf(stderr, "%s exists: gen makes a new file\n", o->db), -EEXIST;
        r = load_tables(&rights, &inter);
        if (r < 0)
                return r;
        {
                struct dossier_config cfg = {
                        .path = o->db, .rights = rights, .interactions = inter,
                        .scrypt_n = 2, .scrypt_r = 1, .scrypt_p = 1, /* see the file's comment */
                        .clock = gen_clock,
                };
                r = dossier_engine_open(&cfg, &e);
                if (r < 0)
                        return fprintf(stderr, "open %s: %s\n", o->db, strerror(-r)), r;
        }
        /* this connection only: a 256 MiB page cache, and the per-operation
         * savepoints' sub-journals in memory rather than in temporary files */
        r = exec_sql(e, "PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY");
        if (r < 0)
                return r;

        for (unsigned long i = 0; i < o->dossiers; i++) {
                char ins[16], id[16], secret[DOSSIER_SECRET_SIZE];
                struct dossier_actor doc = doctor_of(i, id);
                struct dossier_identity ident = {
                        .ins = ins, .ins_oid = "1.2.250.1.213.1.4.10", .birth_name = last[rnd_below(6)],
                        .first_names = first[rnd_below(8)], .birth_date = "1985-05-12",
                        .sex = rnd_below(2) ? "M" : "F", .birth_place = "78646",
                };

                if (i % o->batch == 0 && (r = dossier_batch_begin(e)) < 0)
                        return fprintf(stderr, "batch: %s\n", strerror(-r)), r;
                ins_of(i, ins);
                gen_clock_value = start + (int64_t) ((double) i / (double) o->dossiers * GEN_SPAN);
                r = dossier_create(e, &doc, &ident, true, secret);
                if (r >= 0)
                        r = dossier_record_consent(e, &doc, ins);
                for (unsigned j = 0; r >= 0 && j < o->docs; j++) {
                        struct dossier_doc_meta m;
                        struct dossier_warnings w = {};
                        char uid[DOSSIER_UID_SIZE], medicines[64];
                        size_t len = 512 + rnd_below(CONTENT_MAX - 512);

                        gen_clock_value += 60;
                        make_doc(j, gen_clock_value - (int64_t) rnd_below(30) * DOSSIER_DAY, &m, medicines);
                        fill_content(content, len);
                        r = dossier_deposit(e, &doc, ins, &m, content, len, uid, &w);
                        warnings += w.n;
                }
                if (r < 0) {
                        dossier_batch_rollback(e);
                        return fprintf(stderr, "dossier %lu: %s\n", i, strerror(-r)), r;
                }
                if ((i + 1) % o->batch == 0 || i + 1 == o->dossiers) {
                        r = dossier_batch_commit(e);
                        if (r < 0) {
                                dossier_batch_rollback(e);
                                return fprintf(stderr, "commit: %s\n", strerror(-r)), r;
                        }
                }
                if ((i + 1) % 100000 == 0 || i + 1 == o->dossiers) {
                        int64_t t = mono_ns();
                        fprintf(stderr, "gen: %lu dossiers, %.1f s (last 100k: %.1f s)\n", i + 1,
                                (double) (t - t0) / 1e9, (double) (t - tb) / 1e9);
                        tb = t;
                }
        }
        r = exec_sql(e, "PRAGMA wal_checkpoint(TRUNCATE)");
        if (r < 0)
                return r;
        printf("gen dossiers=%lu docs_per_dossier=%u seconds=%.1f alerts=%lu gen_maxrss_kib=%ld\n", o->dossiers,
               o->docs, (double) (mono_ns() - t0) / 1e9, warnings, maxrss_kib());
        return 0;
}

/* ---- measure ---------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b) {
        int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
        return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static double pct_us(const int64_t *v, size_t n, double p) {
        size_t k = (size_t) (p / 100.0 * (double) n + 0.999999);
        if (k < 1)
                k = 1;
        if (k > n)
                k = n;
        return (double) v[k - 1] / 1000.0;
}

/* One thread of the concurrent lists: n lists of random dossiers by
 * their doctors, latencies into lat. */
struct lister {
        struct dossier_engine *e;
        int64_t n_dossiers;
        unsigned n;
        uint64_t rng;
        int64_t *lat;
        int r;
};

static void *list_thread(void *userdata) {
        struct lister *l = userdata;
        for (unsigned k = 0; k < l->n && l->r >= 0; k++) {
                _cleanup_free_ struct dossier_doc *docs = NULL;
                char ins[16], id[16];
                size_t n = 0;

                l->rng ^= l->rng << 13;
                l->rng ^= l->rng >> 7;
                l->rng ^= l->rng << 17;
                unsigned long i = l->rng % (uint64_t) l->n_dossiers;
                struct dossier_actor doc = doctor_of(i, id);
                ins_of(i, ins);
                int64_t t = mono_ns();
                l->r = dossier_list(l->e, &doc, ins, 0, &docs, &n);
                l->lat[k] = mono_ns() - t;
        }
        return NULL;
}

/* The K lists again, over T threads at once: their rate and how many
 * shared each fdatasync, as a line in buf. */
static int measure_threads(const struct opts *o, struct dossier_engine *e, int64_t n_dossiers, char *buf,
                           size_t size) {
        unsigned t = o->threads, per = o->lists / o->threads, total = per * o->threads;
        _cleanup_free_ int64_t *lat = calloc(total ? total : 1, sizeof(int64_t));
        _cleanup_free_ struct lister *l = calloc(t, sizeof(*l));
        _cleanup_free_ pthread_t *th = calloc(t, sizeof(*th));
        int r = 0;

        if (!lat || !l || !th)
                return -ENOMEM;
        uint64_t syncs = store_syncs(dossier_engine_store(e));
        int64_t start = mono_ns();
        for (unsigned i = 0; i < t; i++) {
                l[i] = (struct lister) {e, n_dossiers, per, rnd() | 1, lat + (size_t) i * per, 0};
                if (pthread_create(&th[i], NULL, list_thread, &l[i]) != 0)
                        return fprintf(stderr, "pthread_create failed\n"), -EAGAIN;
        }
        for (unsigned i = 0; i < t; i++) {
                pthread_join(th[i], NULL);
                if (l[i].r < 0)
                        r = l[i].r;
        }
        double secs = (double) (mono_ns() - start) / 1e9;
        syncs = store_syncs(dossier_engine_store(e)) - syncs;
        if (r < 0)
                return fprintf(stderr, "concurrent list: %s\n", strerror(-r)), r;
        qsort(lat, total, sizeof(int64_t), cmp_i64);
        snprintf(buf, size,
                 "measure list_threads threads=%u n=%u per_second=%.0f p50_us=%.0f p99_us=%.0f syncs=%" PRIu64
                 " lists_per_sync=%.1f\n",
                 t, total, total / secs, pct_us(lat, total, 50), pct_us(lat, total, 99), syncs,
                 syncs ? (double) total / (double) syncs : 0.0);
        return 0;
}

static int measure(const struct opts *o) {
        _cleanup_rights_ struct rights_table *rights = NULL;
        _cleanup_interactions_ struct interactions *inter = NULL;
        _cleanup_dossier_engine_ struct dossier_engine *e = NULL;
        _cleanup_free_ int64_t *lat_list = calloc(o->lists, sizeof(int64_t));
        _cleanup_free_ int64_t *lat_dep = calloc(o->deposits, sizeof(int64_t));
        char wal[512], content[1024], threads_line[256] = "";
        int64_t n_dossiers, n_docs, db_bytes, content_bytes, audit_rows;
        unsigned long listed = 0;
        int r;

        if (!lat_list || !lat_dep)
                return -ENOMEM;
        if (file_size(o->db) == 0)
                return fprintf(stderr, "%s: run gen first\n", o->db), -ENOENT;
        r = load_tables(&rights, &inter);
        if (r < 0)
                return r;
        {
                struct dossier_config cfg = { .path = o->db, .rights = rights, .interactions = inter };
                r = dossier_engine_open(&cfg, &e);
                if (r < 0)
                        return fprintf(stderr, "open %s: %s\n", o->db, strerror(-r)), r;
        }
        snprintf(wal, sizeof(wal), "%s-wal", o->db);
        db_bytes = file_size(o->db) + file_size(wal);
        n_dossiers = query_int(e, "SELECT max(id) FROM dossiers", 0);
        n_docs = query_int(e, "SELECT max(id) FROM documents", 0);
        audit_rows = query_int(e, "SELECT seq FROM audit_head", 0);
        if (n_dossiers <= 0 || n_docs <= 0)
                return fprintf(stderr, "%s: empty\n", o->db), -ENOENT;

        for (unsigned k = 0; k < o->lists; k++) {
                _cleanup_free_ struct dossier_doc *docs = NULL;
                unsigned long i = rnd() % (uint64_t) n_dossiers;
                char ins[16], id[16];
                struct dossier_actor doc = doctor_of(i, id);
                size_t n = 0;
                int64_t t;

                ins_of(i, ins);
                t = mono_ns();
                r = dossier_list(e, &doc, ins, 0, &docs, &n);
                lat_list[k] = mono_ns() - t;
                if (r < 0)
                        return fprintf(stderr, "list %s: %s\n", ins, strerror(-r)), r;
                listed += n;
        }
        r = measure_threads(o, e, n_dossiers, threads_line, sizeof(threads_line));
        if (r < 0)
                return r;
        fill_content(content, sizeof(content));
        for (unsigned k = 0; k < o->deposits; k++) {
                unsigned long i = rnd() % (uint64_t) n_dossiers;
                char ins[16], id[16], uid[DOSSIER_UID_SIZE];
                struct dossier_actor doc = doctor_of(i, id);
                struct dossier_doc_meta m = {
                        .type_code = "11488-4", .class_code = "10",
                        .format_code = "urn:ihe:iti:xds:2017:mimeTypeSufficient", .mime = "application/pdf",
                        .title = "Compte rendu de consultation (bench)", .created_at = (int64_t) time(NULL) - 3600,
                };
                int64_t t;

                ins_of(i, ins);
                t = mono_ns();
                r = dossier_deposit(e, &doc, ins, &m, content, sizeof(content), uid, NULL);
                lat_dep[k] = mono_ns() - t;
                if (r < 0)
                        return fprintf(stderr, "deposit %s: %s\n", ins, strerror(-r)), r;
        }
        /* after the timed part, so as not to warm the cache for it; the
         * documents generated are ids 1..n_docs */
        content_bytes = query_int(e, "SELECT sum(size) FROM documents WHERE id <= ?1", n_docs);
        qsort(lat_list, o->lists, sizeof(int64_t), cmp_i64);
        qsort(lat_dep, o->deposits, sizeof(int64_t), cmp_i64);
        printf("measure dossiers=%" PRId64 " documents=%" PRId64 " audit_entries=%" PRId64 " file_bytes=%" PRId64
               " bytes_per_document=%.0f content_bytes_per_document=%.0f\n",
               n_dossiers, n_docs, audit_rows, db_bytes, (double) db_bytes / (double) n_docs,
               (double) content_bytes / (double) n_docs);
        printf("measure list n=%u docs_per_list=%.1f p50_us=%.0f p99_us=%.0f max_us=%.0f\n", o->lists,
               (double) listed / o->lists, pct_us(lat_list, o->lists, 50), pct_us(lat_list, o->lists, 99),
               pct_us(lat_list, o->lists, 100));
        fputs(threads_line, stdout);
        printf("measure deposit n=%u p50_us=%.0f p99_us=%.0f max_us=%.0f\n", o->deposits,
               pct_us(lat_dep, o->deposits, 50), pct_us(lat_dep, o->deposits, 99), pct_us(lat_dep, o->deposits, 100));
        printf("measure maxrss_kib=%ld\n", maxrss_kib());
        return 0;
}

/* ---- main ------------------------------------------------------------------------- */

static int usage(void) {
        fprintf(stderr, "usage: dossier-bench gen --db PATH --dossiers N [--docs D] [--batch B] [--seed S]\n"
                        "       dossier-bench measure --db PATH [--lists K] [--deposits K] [--threads T] [--seed S]\n");
        return 2;
}

int main(int argc, char **argv) {
        struct opts o = { .docs = 10, .batch = 1000, .lists = 2000, .deposits = 1000, .threads = 16, .seed = 1 };
        int r;

        if (argc < 2)
                return usage();
        for (int i = 2; i < argc; i++) {
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;

                if (!v)
                        return usage();
                if (strcmp(argv[i], "--db") == 0)
                        o.db = v;
                else if (strcmp(argv[i], "--dossiers") == 0)
                        o.dossiers = strtoul(v, NULL, 10);
                else if (strcmp(argv[i], "--docs") == 0)
                        o.docs = (unsigned) strtoul(v, NULL, 10);
                else if (strcmp(argv[i], "--batch") == 0)
                        o.batch = (unsigned) strtoul(v, NULL, 10);
                else if (strcmp(argv[i], "--lists") == 0)
                        o.lists = (unsigned) strtoul(v, NULL, 10);
                else if (strcmp(argv[i], "--deposits") == 0)
                        o.deposits = (unsigned) strtoul(v, NULL, 10);
                else if (strcmp(argv[i], "--threads") == 0)
                        o.threads = (unsigned) strtoul(v, NULL, 10);
                else if (strcmp(argv[i], "--seed") == 0)
                        o.seed = strtoull(v, NULL, 10);
                else
                        return usage();
                i++;
        }
        if (!o.db || o.batch == 0 || o.lists == 0 || o.deposits == 0 || o.threads == 0 || o.threads > 256 ||
            o.threads > o.lists)
                return usage();
        rng_state ^= o.seed * 0x9e3779b97f4a7c15ull;
        if (strcmp(argv[1], "gen") == 0) {
                if (o.dossiers == 0 || o.dossiers > 99999999)
                        return usage();
                r = gen(&o);
        } else if (strcmp(argv[1], "measure") == 0)
                r = measure(&o);
        else
                return usage();
        return r < 0 ? 1 : 0;
}
