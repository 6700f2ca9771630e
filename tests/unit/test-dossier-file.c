/* tests/unit/test-dossier-file.c: deposits whose content is read from a
 * file (dossier_deposit_file(), a body the server spooled): the content
 * comes back byte for byte with the digest it was given, kept in pieces
 * of 256 KiB (content_chunks, on SQLite and PostgreSQL alike,
 * CARNET_TEST_PG) and read back whole or piece by piece; the file's
 * offset is never moved; a file shorter than announced, or a refused
 * deposit, leaves no piece behind and the engine working; an altered or
 * missing piece is found (-EBADMSG) before the last piece's bytes are
 * given; the pieces go with their dossier's destruction, and those of an
 * upload whose deposit never came are purged at open once an hour old.  Also the spool file itself
 * (http/spool.h): unlinked from birth, its digest that of what was
 * written. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "unit.h"

#include "dossier-fixture.h"
#include "http/spool.h"

static const struct dossier_doc_meta report = {
        .type_code = "11488-4", .class_code = "10", .format_code = "urn:ihe:iti:xds:2017:mimeTypeSufficient",
        .mime = "application/pdf", .title = "Compte rendu", .created_at = T0 - 3600,
};

/* Three pieces of 256 KiB (the engine's) and a bit: every turn of the
 * staging loop, and a last piece shorter than the others. */
#define SIZE (3 * 256 * 1024 + 123)

static void sha256(const void *p, size_t n, uint8_t out[32]) {
        unsigned len = 0;
        assert_int_equal(EVP_Digest(p, n, out, &len, EVP_sha256(), NULL), 1);
}

/* A memory file holding buf, its offset left at its end. */
static int file_of(const uint8_t *buf, size_t n) {
        int fd = memfd_create("content", MFD_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, buf, n), (ssize_t)n);
        return fd;
}

static void create(struct fixture *f) {
        char secret[DOSSIER_SECRET_SIZE];
        assert_int_equal(dossier_create(f->e, &gp, &ident, true, secret), 0);
        assert_int_equal(dossier_record_consent(f->e, &gp, INS), 0);
}

static size_t count(struct fixture *f) {
        _cleanup_free_ struct dossier_doc *docs = NULL;
        size_t n = 0;
        assert_int_equal(dossier_list(f->e, &gp, INS, DOSSIER_LIST_ALL_STATUSES, &docs, &n), 0);
        return n;
}

/* uid's content is buf (n bytes) and its recorded digest is digest. */
static void same(struct fixture *f, const char *uid, const uint8_t *buf, size_t n, const uint8_t digest[32]) {
        struct dossier_doc d;
        _cleanup_free_ void *content = NULL;
        size_t len = 0;
        assert_int_equal(dossier_read(f->e, &gp, INS, uid, &d, &content, &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(content, buf, n);
        assert_memory_equal(d.sha256, digest, 32);
}

static int64_t pieces(struct fixture *f, const char *uid) {
        return test_store_query_int(&f->ts, "SELECT count(*) FROM content_chunks WHERE uid = ?1", uid);
}

static int64_t all_pieces(struct fixture *f) {
        return test_store_query_int(&f->ts, "SELECT count(*) FROM content_chunks", NULL);
}

UNIT_FIXTURE(test_deposit_from_file, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char uid[DOSSIER_UID_SIZE], v2[DOSSIER_UID_SIZE], bad[DOSSIER_UID_SIZE];
        _cleanup_free_ uint8_t *buf = malloc(SIZE);
        uint8_t digest[32];

        assert_non_null(buf);
        for (size_t i = 0; i < SIZE; i++)
                buf[i] = (uint8_t)(i * 7 + i / 251);
        sha256(buf, SIZE, digest);
        create(f);
        int fd = file_of(buf, SIZE);
        struct dossier_content_file cf = {.fd = fd, .len = SIZE, .sha256 = digest};
        assert_int_equal(dossier_deposit_file(f->e, &gp, INS, &report, &cf, uid, NULL), 0);
        assert_int_equal(lseek(fd, 0, SEEK_CUR), SIZE); /* pread only */
        same(f, uid, buf, SIZE, digest);
        assert_int_equal(pieces(f, uid), 4);

        /* a new version from a file; an empty one */
        buf[0] ^= 0xff;
        sha256(buf, SIZE, digest);
        assert_int_equal(pwrite(fd, buf, 1, 0), 1);
        assert_int_equal(dossier_replace_file(f->e, &gp, INS, uid, &report, &cf, v2, NULL), 0);
        same(f, v2, buf, SIZE, digest);
        assert_int_equal(pieces(f, v2), 4);
        uint8_t empty[32];
        sha256("", 0, empty);
        struct dossier_content_file none = {.fd = fd, .len = 0, .sha256 = empty};
        assert_int_equal(dossier_deposit_file(f->e, &gp, INS, &report, &none, bad, NULL), 0);
        same(f, bad, buf, 0, empty);

        /* shorter than announced: refused, nothing stored, the engine goes on */
        size_t before = count(f);
        struct dossier_content_file shorter = {.fd = fd, .len = SIZE + 10, .sha256 = digest};
        assert_int_equal(dossier_deposit_file(f->e, &gp, INS, &report, &shorter, bad, NULL), -EIO);
        assert_int_equal(count(f), before);
        assert_int_equal(all_pieces(f), 8);
        /* refused (the nurse is not authorised on this dossier): traced, no piece left */
        int64_t trail = audit_count(f);
        assert_int_equal(dossier_deposit_file(f->e, &nurse, INS, &report, &cf, bad, NULL), -EACCES);
        assert_int_equal(audit_count(f), trail + 1);
        assert_int_equal(all_pieces(f), 8);
        /* no digest, no descriptor, too large: refused before anything */
        struct dossier_content_file nodigest = {.fd = fd, .len = SIZE};
        assert_int_equal(dossier_deposit_file(f->e, &gp, INS, &report, &nodigest, bad, NULL), -EINVAL);
        struct dossier_content_file nofd = {.fd = -1, .len = SIZE, .sha256 = digest};
        assert_int_equal(dossier_deposit_file(f->e, &gp, INS, &report, &nofd, bad, NULL), -EINVAL);
        struct dossier_content_file big = {.fd = fd, .len = DOSSIER_CONTENT_MAX + 1, .sha256 = digest};
        assert_int_equal(dossier_deposit_file(f->e, &gp, INS, &report, &big, bad, NULL), -E2BIG);
        assert_int_equal(count(f), before);
        assert_int_equal(dossier_deposit(f->e, &gp, INS, &report, "x", 1, bad, NULL), 0);
        assert_int_equal(count(f), before + 1);
        close(fd);
}

/* Deposits buf (SIZE bytes) from a file; its uid in uid. */
static void deposit_buf(struct fixture *f, const uint8_t *buf, char uid[DOSSIER_UID_SIZE]) {
        uint8_t digest[32];
        sha256(buf, SIZE, digest);
        int fd = file_of(buf, SIZE);
        struct dossier_content_file cf = {.fd = fd, .len = SIZE, .sha256 = digest};
        assert_int_equal(dossier_deposit_file(f->e, &gp, INS, &report, &cf, uid, NULL), 0);
        close(fd);
}

/* Reads uid piece by piece in reads of step bytes: what came (at most
 * SIZE bytes into got, its count in *ret_n) and how the reading ended. */
static long stream(struct fixture *f, const char *uid, size_t step, uint8_t *got, size_t *ret_n) {
        _cleanup_dossier_content_ struct dossier_content *c = NULL;
        struct dossier_doc d;
        size_t n = 0;
        long k;
        assert_int_equal(dossier_read_open(f->e, &gp, INS, uid, &d, &c), 0);
        assert_int_equal(dossier_content_size(c), SIZE);
        while ((k = dossier_content_read(c, got + n, step < SIZE - n ? step : SIZE - n)) > 0)
                n += (size_t)k;
        *ret_n = n;
        return k;
}

UNIT_FIXTURE(test_pieces, fixture_setup, fixture_teardown) {
        struct fixture *f = *state;
        char uid[DOSSIER_UID_SIZE], sql[256];
        _cleanup_free_ uint8_t *buf = malloc(SIZE), *got = malloc(SIZE);
        size_t n = 0;

        assert_non_null(buf);
        assert_non_null(got);
        for (size_t i = 0; i < SIZE; i++)
                buf[i] = (uint8_t)(i * 13 + i / 509);
        create(f);
        deposit_buf(f, buf, uid);

        /* piece by piece, in reads of every size: the same bytes, then 0 */
        static const size_t steps[] = {1000, 256 * 1024, SIZE};
        for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
                memset(got, 0, SIZE);
                assert_int_equal(stream(f, uid, steps[i], got, &n), 0);
                assert_int_equal(n, SIZE);
                assert_memory_equal(got, buf, SIZE);
        }
        /* each opening is an access in the trail */
        int64_t trail = audit_count(f);
        assert_int_equal(stream(f, uid, SIZE, got, &n), 0);
        assert_int_equal(audit_count(f), trail + 1);

        /* the second piece overwritten behind the engine (zeros, of the
         * same length): found when the last piece comes, whose bytes are
         * then never given */
        snprintf(sql, sizeof(sql), "UPDATE content_chunks SET data = %s WHERE uid = '%s' AND seq = 1",
                 test_pg() ? "decode(repeat('00', length(data)), 'hex')" : "zeroblob(length(data))", uid);
        test_store_exec(&f->ts, sql);
        assert_int_equal(stream(f, uid, 4096, got, &n), -EBADMSG);
        assert_int_equal(n, 3 * 256 * 1024);
        struct dossier_doc d;
        void *whole = NULL;
        size_t len = 0;
        assert_int_equal(dossier_read(f->e, &gp, INS, uid, &d, &whole, &len), -EBADMSG);
        assert_null(whole);
        /* a piece gone: the same */
        deposit_buf(f, buf, uid);
        snprintf(sql, sizeof(sql), "DELETE FROM content_chunks WHERE uid = '%s' AND seq = 2", uid);
        test_store_exec(&f->ts, sql);
        assert_int_equal(stream(f, uid, SIZE, got, &n), -EBADMSG);
        assert_int_equal(dossier_read(f->e, &gp, INS, uid, &d, &whole, &len), -EBADMSG);

        /* pieces of an upload whose deposit never came: purged at open
         * once an hour old, not before (another process may be staging) */
        const char *byte = test_pg() ? "'\\x00'::bytea" : "x'00'";
        snprintf(sql, sizeof(sql), "INSERT INTO content_chunks (uid, seq, staged_at, data) VALUES "
                 "('old', 0, %lld, %s), ('old', 1, %lld, %s), ('new', 0, %lld, %s)",
                 (long long)(T0 - 3601), byte, (long long)(T0 - 3601), byte, (long long)(T0 - 10), byte);
        test_store_exec(&f->ts, sql);
        int64_t staged = all_pieces(f);
        f->e = dossier_engine_close(f->e);
        assert_int_equal(fixture_open_engine(f), 0);
        assert_int_equal(all_pieces(f), staged - 2);
        assert_int_equal(pieces(f, "new"), 1);

        /* the dossier destroyed: its pieces with it */
        assert_int_equal(dossier_destroy(f->e, &patient, INS), 0);
        assert_int_equal(all_pieces(f), 1);
        verify_chain(f);
}

UNIT(test_spool_file) {
        char dir[] = "/tmp/carnet-spool-XXXXXX";
        assert_non_null(mkdtemp(dir));
        int dfd = -1;
        assert_int_equal(spool_dir_open(dir, &dfd), 0);
        struct spool_file sf = SPOOL_FILE_NONE;
        assert_int_equal(spool_begin(dfd, &sf), 0);
        static const char a[] = "first piece, ", b[] = "second piece";
        assert_int_equal(spool_write(&sf, a, strlen(a)), 0);
        assert_int_equal(spool_write(&sf, b, strlen(b)), 0);
        struct api_spool sp;
        assert_int_equal(spool_finish(&sf, &sp), 0);
        uint8_t want[32];
        sha256("first piece, second piece", strlen(a) + strlen(b), want);
        assert_memory_equal(sp.sha256, want, 32);
        assert_int_equal(sp.len, strlen(a) + strlen(b));
        struct stat st;
        assert_int_equal(fstat(sp.fd, &st), 0);
        assert_int_equal(st.st_nlink, 0); /* no name, ever */
        assert_int_equal(st.st_mode & 0777, 0600);
        _cleanup_free_ char *text = NULL;
        assert_int_equal(api_spool_read(&sp, &text), 0);
        assert_string_equal(text, "first piece, second piece");
        spool_end(&sf);
        assert_int_equal(sf.fd, -1);
        assert_int_equal(rmdir(dir), 0); /* nothing was left in it */
        close(dfd);
        /* a folder that is not there */
        assert_int_equal(spool_dir_open("/nonexistent/spool", &dfd), -ENOENT);
}

UNIT_GROUP("dossier-file", NULL, NULL)
