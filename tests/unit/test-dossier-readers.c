/* tests/unit/test-dossier-readers.c: dossier_read() copies and checks a
 * content on a read connection after letting the engine's mutex go
 * (engine/dossier-readers.c): while one thread is inside that check,
 * other calls on the same engine run, and the content it returns is the
 * one of the state it decided on.
 *
 * EVP_Digest is wrapped here (this binary's definition comes first for
 * the engine's own calls): when asked, the next call waits until the test
 * lets it go, which holds a reader inside the content's SHA-256 check. */
#include <dlfcn.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>
#include <cmocka.h>

#include "unit.h"

#include "dossier-fixture.h"

static atomic_bool hold_next;
static bool held, done_listing;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

int EVP_Digest(const void *data, size_t count, unsigned char *md, unsigned int *size, const EVP_MD *type,
               ENGINE *impl) {
        static int (*real)(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *, ENGINE *);
        if (!real)
                real = (int (*)(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *, ENGINE *))
                        dlsym(RTLD_NEXT, "EVP_Digest");
        if (atomic_exchange(&hold_next, false)) {
                pthread_mutex_lock(&lock);
                held = true;
                pthread_cond_broadcast(&cond);
                while (held)
                        pthread_cond_wait(&cond, &lock);
                pthread_mutex_unlock(&lock);
        }
        return real(data, count, md, size, type, impl);
}

static const struct dossier_doc_meta report = {
        .type_code = "11488-4", .class_code = "10", .format_code = "urn:ihe:iti:xds:2017:mimeTypeSufficient",
        .mime = "application/pdf", .title = "Compte rendu", .created_at = T0 - 3600,
};

struct reading {
        struct fixture *f;
        const char *uid;
        struct dossier_doc d;
        void *content;
        size_t len;
        int r;
};

static void *read_doc(void *userdata) {
        struct reading *x = userdata;
        x->r = dossier_read(x->f->e, &gp, INS, x->uid, &x->d, &x->content, &x->len);
        return NULL;
}

/* Another deposit, then the list: both need the engine's mutex. */
static void *list_docs(void *userdata) {
        struct fixture *f = userdata;
        _cleanup_free_ struct dossier_doc *docs = NULL;
        char uid[DOSSIER_UID_SIZE];
        size_t n = 0;
        int r = dossier_deposit(f->e, &gp, INS, &report, "%PDF-1.7 other", 14, uid, NULL);
        if (r == 0)
                r = dossier_list(f->e, &gp, INS, 0, &docs, &n);
        pthread_mutex_lock(&lock);
        done_listing = r == 0 && n == 2;
        pthread_cond_broadcast(&cond);
        pthread_mutex_unlock(&lock);
        return NULL;
}

UNIT_FIXTURE(test_content_read_beside_other_calls, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE], uid[DOSSIER_UID_SIZE];
        static char pdf[256 * 1024];
        pthread_t reader, lister;

        SKIP_ON_PG(); /* PostgreSQL: one connection per engine, no readers */
        for (size_t i = 0; i < sizeof(pdf); i++)
                pdf[i] = (char) (i * 7);
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, pdf, sizeof(pdf), uid, NULL), 0);
        int64_t before = audit_count(f);

        struct reading x = {.f = f, .uid = uid};
        hold_next = true;
        assert_int_equal(pthread_create(&reader, NULL, read_doc, &x), 0);
        pthread_mutex_lock(&lock);
        while (!held)
                pthread_cond_wait(&cond, &lock);
        pthread_mutex_unlock(&lock);
        /* the reader is inside the content's check: its access is already
         * in the trail, and the engine takes other calls */
        assert_int_equal(audit_count(f), before + 1);
        assert_int_equal(pthread_create(&lister, NULL, list_docs, f), 0);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 30; /* a liveness bound, not a measure: they need nothing but the mutex */
        pthread_mutex_lock(&lock);
        int w = 0;
        while (!done_listing && w == 0)
                w = pthread_cond_timedwait(&cond, &lock, &until);
        bool listed = done_listing;
        held = false; /* let the reader go in any case */
        pthread_cond_broadcast(&cond);
        pthread_mutex_unlock(&lock);
        pthread_join(reader, NULL);
        pthread_join(lister, NULL);
        assert_true(listed);
        assert_int_equal(x.r, 0);
        assert_int_equal(x.len, sizeof(pdf));
        assert_memory_equal(x.content, pdf, sizeof(pdf));
        free(x.content);
        verify_chain(f);
}

/* An altered content is refused on read, and the access stays traced. */
UNIT_FIXTURE(test_altered_content_traced, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char secret[DOSSIER_SECRET_SIZE], uid[DOSSIER_UID_SIZE], sql[200];
        struct dossier_doc d;
        void *content = NULL;
        size_t len = 0;

        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, "%PDF-1.7 x", 10, uid, NULL), 0);
        snprintf(sql, sizeof(sql), "UPDATE contents SET content = %s WHERE doc_id = "
                                   "(SELECT id FROM documents WHERE uid = '%s')",
                 test_pg() ? "'\\x00'::bytea" : "x'00'", uid);
        test_store_exec(&f->ts, sql);
        int64_t before = audit_count(f);
        assert_int_equal(dossier_read(f->e, &gp, INS, uid, &d, &content, &len), -EBADMSG);
        assert_null(content);
        assert_int_equal(audit_count(f), before + 1);
        verify_chain(f);
}

UNIT_GROUP("dossier-readers", NULL, NULL)
