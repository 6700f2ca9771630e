/* engine/dossier-documents.c: documents written: deposit, replace,
 * archive, mask, release of a hold, and the care-coordination alerts of a
 * deposit; see dossier.h and docs/dossier-engine.md. */
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dossier-internal.h"
#include "lib/macro.h"

static const char sql_insert_doc[] =
        "INSERT INTO documents (uid, dossier_id, type_code, class_code, format_code, mime, title, author_id, "
        "author_institution, author_role, author_specialty, created_at, deposited_at, size, sha256, status, "
        "version, replaces, masked, hidden_from_patient, hidden_since, medicines, author_establishment, "
        "hidden_from_representatives, hold_notified) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 1, ?16, ?17, ?18, ?19, ?20, ?21, "
        "?22, ?23, ?24) RETURNING id";
static const char sql_insert_content[] = "INSERT INTO contents (doc_id, content, chunks) VALUES (?1, ?2, ?3)";
/* every change in place is a revision, dated (?3, or ?2) */
static const char sql_deprecate[] =
        "UPDATE documents SET status = 2, replaced_by = ?2, revision = revision + 1, updated_at = ?3 WHERE id = ?1";
static const char sql_archive[] =
        "UPDATE documents SET status = 3, revision = revision + 1, updated_at = ?2 WHERE id = ?1";
static const char sql_mask[] =
        "UPDATE documents SET masked = ?2, version = version + 1, revision = revision + 1, updated_at = ?3 "
        "WHERE id = ?1";
/* a release dated ?2 (the sweep's: when the hold lapsed) never dates a
 * later change back, and a document no longer held changes not; the
 * versions ?1 replaced, still held, are released with it: a hold is the
 * document's, whatever its versions (docs/rules.md §3) */
const char de_sql_release[] = "UPDATE documents SET hidden_from_patient = 0, version = version + 1, "
                              "revision = revision + 1, "
                              "updated_at = CASE WHEN updated_at > ?2 THEN updated_at ELSE ?2 END "
                              "WHERE hidden_from_patient = 1 AND id IN (WITH RECURSIVE chain (id) AS "
                              "(SELECT CAST(?1 AS BIGINT) UNION ALL SELECT d.replaces FROM documents d "
                              "JOIN chain c ON d.id = c.id WHERE d.replaces IS NOT NULL) SELECT id FROM chain)";
static const char sql_same_exam[] =
        "SELECT uid, type_code, class_code, author_id, status, masked, hidden_from_patient, hidden_since, created_at, "
        "author_establishment, hidden_from_representatives FROM documents WHERE dossier_id = ?1 AND type_code = ?2 "
        "AND status = 1 AND created_at >= ?3 AND created_at <= ?4 AND id != ?5 ORDER BY created_at DESC LIMIT 8";
static const char sql_treatments[] =
        "SELECT uid, type_code, class_code, author_id, status, masked, hidden_from_patient, hidden_since, medicines, "
        "author_establishment, hidden_from_representatives FROM documents WHERE dossier_id = ?1 AND status = 1 "
        "AND medicines != '' AND created_at >= ?2 AND id != ?3 ORDER BY created_at DESC LIMIT 64";

/* A deposit's content: in memory, or from a file (dossier_deposit_file),
 * then already staged in chunks pieces under the document's uid. */
struct content_src {
        const void *data;
        const struct dossier_content_file *file;
        size_t len;
        const char *uid;
        int64_t chunks;
        bool hashed; /* sha256 is data's, taken before the mutex (src_hash()) */
        uint8_t sha256[32];
};

/* The SHA-256 of a content in memory, taken before the mutex, so that
 * deposits made at once hash in parallel rather than one after the other
 * under it.  Content the checks will refuse (NULL with a length) is left
 * to them. */
static int src_hash(struct content_src *c) {
        if (!c->data && c->len)
                return 0;
        int r = de_sha256(c->len ? c->data : "", c->len, c->sha256);
        c->hashed = r >= 0;
        return r;
}

static int new_uid(char ret[DOSSIER_UID_SIZE]) {
        uint8_t b[(DOSSIER_UID_SIZE - 1) / 2];

        if (RAND_bytes(b, sizeof(b)) != 1)
                return -EIO;
        hex_encode(b, sizeof(b), ret);
        return 0;
}

/* Splits "A,B,C" into validated substance codes; -EINVAL on a bad code. */
static int parse_medicines(const char *s, char codes[][INTERACTIONS_CODE_MAX], size_t max, size_t *ret_n) {
        size_t n = 0;

        *ret_n = 0;
        if (!s || !*s)
                return 0;
        for (const char *p = s;;) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t) (comma - p) : strlen(p);

                if (n >= max)
                        return -E2BIG;
                if (!interactions_code_valid(p, len))
                        return -EINVAL;
                memcpy(codes[n], p, len);
                codes[n][len] = '\0';
                n++;
                if (!comma)
                        break;
                p = comma + 1;
        }
        *ret_n = n;
        return 0;
}

static int meta_check(const struct dossier_doc_meta *m, const struct content_src *c) {
        char codes[DOSSIER_MEDICINES_MAX][INTERACTIONS_CODE_MAX];
        size_t n;
        int r;

        if (!m || (c->len > 0 && !c->data && !c->file) || (c->file && (c->file->fd < 0 || !c->file->sha256)))
                return -EINVAL;
        if (c->len > DOSSIER_CONTENT_MAX)
                return -E2BIG;
        if ((r = de_code_field(m->type_code, true)) < 0 || (r = de_code_field(m->class_code, true)) < 0 ||
            (r = de_code_field(m->format_code, true)) < 0 || (r = de_code_field(m->mime, true)) < 0 ||
            (r = de_text_field(m->title, DOSSIER_TITLE_MAX + 1, true)) < 0 ||
            (r = de_text_field(m->institution, DOSSIER_TEXT_MAX, false)) < 0 ||
            (r = de_text_field(m->role, DOSSIER_TEXT_MAX, false)) < 0 ||
            (r = de_text_field(m->specialty, DOSSIER_TEXT_MAX, false)) < 0)
                return r;
        if (m->medicines && strnlen(m->medicines, 1024) >= 1024)
                return -E2BIG;
        return parse_medicines(m->medicines, codes, ELEMENTSOF(codes), &n);
}

static void warn(struct dossier_warnings *w, enum dossier_warning_kind kind, const char *other_uid,
                 const char *fmt, ...) _printf_(4, 5);
static void warn(struct dossier_warnings *w, enum dossier_warning_kind kind, const char *other_uid,
                 const char *fmt, ...) {
        va_list ap;

        if (!w)
                return;
        if (w->n >= DOSSIER_WARNINGS_MAX) {
                w->truncated = true;
                return;
        }
        w->w[w->n].kind = kind;
        strcpy_bounded(w->w[w->n].other_uid, DOSSIER_UID_SIZE, de_nz(other_uid));
        va_start(ap, fmt);
        vsnprintf(w->w[w->n].detail, sizeof(w->w[w->n].detail), fmt, ap);
        va_end(ap);
        w->n++;
}

/* True when the actor could read the candidate document described by the
 * columns 0..7, 9 and 10 of st (uid, type, class, author, status, masked,
 * hidden, hidden_since; author_establishment, hidden_from_representatives):
 * an alert must not reveal a document its reader may not see. */
static bool may_see_row(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                        const struct dstate *ds, struct store_stmt *st, int64_t now) {
        struct access_request req;
        struct access_decision d;
        struct access_doc doc = de_row_access_doc(st, now);

        de_fill_request(e, actor, ins, ds, ACCESS_ACTION_READ, &doc, false, &req);
        /* the alert is about reading, whatever the mode allows for writing */
        return access_decide(&req, &d) >= 0 && d.allow;
}

/* The duplicate-exam alert: the same exam type, one the actor may see,
 * within the window around the new one's date (docs/rules.md §1). */
static int exam_alert(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                      const struct dstate *ds, const struct dossier_doc_meta *m, int64_t doc_id, int64_t now,
                      struct dossier_warnings *w) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r;

        r = store_prepare(e->store, sql_same_exam, &st);
        if (r < 0)
                return r;
        if ((r = store_bind_int(st, 1, ds->id)) < 0 || (r = store_bind_text(st, 2, m->type_code)) < 0 ||
            (r = store_bind_int(st, 3, m->created_at - e->duplicate_window)) < 0 ||
            (r = store_bind_int(st, 4, m->created_at + e->duplicate_window)) < 0 ||
            (r = store_bind_int(st, 5, doc_id)) < 0)
                return r;
        while ((r = store_step(e->store, st)) > 0) {
                int64_t days;

                if (!may_see_row(e, actor, ins, ds, st, now))
                        continue;
                days = (m->created_at - store_col_int64(st, 8)) / DOSSIER_DAY;
                warn(w, DOSSIER_WARN_DUPLICATE_EXAM, store_col_text(st, 0),
                     "same exam type %s already done %" PRId64 " day(s) %s", m->type_code, days < 0 ? -days : days,
                     days < 0 ? "later" : "earlier");
                break;
        }
        return r < 0 ? r : 0;
}

/* Interactions between each of mine and each of theirs (theirs == mine:
 * within this prescription, each pair once); other_uid names theirs. */
static void interaction_warnings(struct dossier_engine *e, char mine[][INTERACTIONS_CODE_MAX], size_t n_mine,
                                 char theirs[][INTERACTIONS_CODE_MAX], size_t n_theirs, const char *other_uid,
                                 struct dossier_warnings *w) {
        bool same = mine == theirs;

        for (size_t i = 0; i < n_mine; i++)
                for (size_t j = same ? i + 1 : 0; j < n_theirs; j++) {
                        const struct interaction *x = interactions_find(e->interactions, mine[i], theirs[j]);

                        if (!x)
                                continue;
                        if (same)
                                warn(w, DOSSIER_WARN_INTERACTION, NULL, "%s: %s (within this prescription)",
                                     x->severity, x->note);
                        else
                                warn(w, DOSSIER_WARN_INTERACTION, other_uid, "%s: %s", x->severity, x->note);
                }
}

/* Care-coordination alerts for a new document (doc_id already inserted):
 * the same exam type within the window, and interacting medicines between
 * the new prescription and current treatments (docs/rules.md §1). */
static int alerts(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                  const struct dstate *ds, const struct dossier_doc_meta *m, int64_t doc_id, int64_t now,
                  struct dossier_warnings *w) {
        char mine[DOSSIER_MEDICINES_MAX][INTERACTIONS_CODE_MAX];
        _cleanup_stmt_ struct store_stmt *st = NULL;
        size_t n_mine = 0;
        int r;

        for (size_t i = 0; i < e->n_exam_types; i++)
                if (strcmp(e->exam_types[i], m->type_code) == 0) {
                        r = exam_alert(e, actor, ins, ds, m, doc_id, now, w);
                        if (r < 0)
                                return r;
                        break;
                }

        r = parse_medicines(m->medicines, mine, ELEMENTSOF(mine), &n_mine);
        if (r < 0 || n_mine == 0 || !e->interactions)
                return r < 0 ? r : 0;
        interaction_warnings(e, mine, n_mine, mine, n_mine, NULL, w);
        r = store_prepare(e->store, sql_treatments, &st);
        if (r < 0)
                return r;
        if ((r = store_bind_int(st, 1, ds->id)) < 0 || (r = store_bind_int(st, 2, now - e->treatment_window)) < 0 ||
            (r = store_bind_int(st, 3, doc_id)) < 0)
                return r;
        while ((r = store_step(e->store, st)) > 0) {
                char theirs[DOSSIER_MEDICINES_MAX][INTERACTIONS_CODE_MAX];
                size_t n_theirs;

                if (!may_see_row(e, actor, ins, ds, st, now) ||
                    parse_medicines(store_col_text(st, 8), theirs, ELEMENTSOF(theirs),
                                    &n_theirs) < 0)
                        continue;
                interaction_warnings(e, mine, n_mine, theirs, n_theirs, store_col_text(st, 0),
                                     w);
        }
        return r < 0 ? r : 0;
}

/* The content row of document id: the bytes as they are, or (staged
 * from a file) none and the number of its pieces. */
static int insert_content(struct dossier_engine *e, int64_t id, const struct content_src *c) {
        _cleanup_stmt_ struct store_stmt *ct = NULL;
        int r;

        r = store_prepare(e->store, sql_insert_content, &ct);
        if (r < 0)
                return r;
        /* bound without copy: content outlives the statement's use */
        if ((r = store_bind_int(ct, 1, id)) < 0 ||
            (r = store_bind_blob_ref(ct, 2, c->file ? "" : c->data ? c->data : "", c->file ? 0 : c->len)) < 0 ||
            (r = store_bind_int(ct, 3, c->file ? c->chunks : 0)) < 0)
                return r;
        return store_exec_step(e->store, ct);
}

/* Inserts the document row and its content; returns the new row id.
 * old: the version it replaces (NULL for a deposit), whose masking it
 * keeps, and whose hold, still running, it goes on with: its start and
 * its notice (a replacement does not put the patient's month back to
 * its beginning, docs/rules.md §3). */
static int insert_doc(struct dossier_engine *e, const struct dossier_actor *actor, int64_t dossier_id,
                      const struct dossier_doc_meta *m, const struct content_src *c, const struct drow *old,
                      int64_t now, const char *uid, int64_t *ret_id) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        uint8_t digest[32];
        size_t len = c->len;
        int r;

        if (c->file)
                memcpy(digest, c->file->sha256, sizeof(digest));
        else if (c->hashed)
                memcpy(digest, c->sha256, sizeof(digest));
        else if ((r = de_sha256(len ? c->data : "", len, digest)) < 0)
                return r;
        bool goes_on = old && m->hidden_from_patient && old->ad.hidden_from_patient;
        int64_t hold_since = goes_on ? old->hidden_since : now;
        r = store_prepare(e->store, sql_insert_doc, &st);
        if (r < 0)
                return r;
        if ((r = store_bind_text(st, 1, uid)) < 0 || (r = store_bind_int(st, 2, dossier_id)) < 0 ||
            (r = store_bind_text(st, 3, m->type_code)) < 0 || (r = store_bind_text(st, 4, m->class_code)) < 0 ||
            (r = store_bind_text(st, 5, m->format_code)) < 0 || (r = store_bind_text(st, 6, m->mime)) < 0 ||
            (r = store_bind_text(st, 7, m->title)) < 0 || (r = store_bind_text(st, 8, actor->id)) < 0 ||
            (r = store_bind_text(st, 9, m->institution ? m->institution : de_nz(actor->institution))) < 0 ||
            (r = store_bind_text(st, 10, de_nz(m->role))) < 0 ||
            (r = store_bind_text(st, 11, m->specialty ? m->specialty : de_nz(actor->specialty))) < 0 ||
            (r = store_bind_int(st, 12, m->created_at)) < 0 || (r = store_bind_int(st, 13, now)) < 0 ||
            (r = store_bind_int(st, 14, (int64_t) len)) < 0 || (r = store_bind_blob(st, 15, digest, 32)) < 0 ||
            (r = store_bind_int(st, 16, old ? old->version + 1 : 1)) < 0 ||
            (r = old ? store_bind_int(st, 17, old->id) : 0) < 0 ||
            (r = store_bind_int(st, 18, old && old->masked)) < 0 ||
            (r = store_bind_int(st, 19, m->hidden_from_patient)) < 0 ||
            (r = m->hidden_from_patient ? store_bind_int(st, 20, hold_since) : 0) < 0 ||
            (r = store_bind_text(st, 21, de_nz(m->medicines))) < 0 ||
            (r = store_bind_text(st, 22, de_nz(actor->establishment))) < 0 ||
            (r = store_bind_int(st, 23, m->hidden_from_representatives)) < 0 ||
            (r = store_bind_int(st, 24, goes_on && old->hold_notified)) < 0)
                return r;
        r = store_step(e->store, st);
        if (r == 0)
                r = -EIO; /* RETURNING gives the row */
        if (r < 0)
                return r;
        *ret_id = store_col_int64(st, 0);
        return insert_content(e, *ret_id, c);
}

/* Deposit and replace: old_uid NULL for a deposit. */
static int put_doc(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, const char *old_uid,
                   const struct dossier_doc_meta *m, const struct content_src *c, char ret_uid[DOSSIER_UID_SIZE],
                   struct dossier_warnings *ret_warnings) {
        char uid[DOSSIER_UID_SIZE];
        struct drow old = {};
        struct access_doc newdoc;
        struct dstate ds;
        int64_t now, seq = 0, id = 0;
        int r;

        if (!e || !ret_uid || de_actor_check(actor) < 0 || de_ins_check(ins) < 0 ||
            (old_uid && de_uid_check(old_uid) < 0))
                return -EINVAL;
        r = meta_check(m, c);
        if (r < 0)
                return r;
        if (ret_warnings)
                *ret_warnings = (struct dossier_warnings) {};
        if (c->uid)
                memcpy(uid, c->uid, sizeof(uid));
        else if ((r = new_uid(uid)) < 0)
                return r;
        r = de_begin_op(e, actor, ins, &ds, &now);
        if (r < 0)
                return r;

        newdoc = (struct access_doc) {
                .type_code = m->type_code, .class_code = m->class_code, .author_id = actor->id,
                .author_establishment = actor->establishment,
                .hidden_from_patient = m->hidden_from_patient,
                .hidden_from_representatives = m->hidden_from_representatives,
        };
        if (old_uid) {
                r = ds.id ? de_load_doc(e, ds.id, old_uid, now, &old) : -ENOENT;
                if (r < 0 && r != -ENOENT)
                        return de_finish(e, r);
                r = de_decide_audited(e, actor, ins, &ds, ACCESS_ACTION_REPLACE, r == -ENOENT ? NULL : &old.ad,
                                   old_uid, false, now, &seq);
                /* the new version must itself be depositable */
                if (r >= 0 && e->last.allow)
                        r = de_decide_audited(e, actor, ins, &ds, ACCESS_ACTION_DEPOSIT, &newdoc, uid, false, now,
                                              &seq);
        } else
                r = de_decide_audited(e, actor, ins, &ds, ACCESS_ACTION_DEPOSIT, &newdoc, uid, false, now, &seq);
        if (r < 0 || !e->last.allow)
                return de_finish(e, r);

        /* a new version keeps what the patient masked, what the minor
         * withheld from their representatives and a running hold's start
         * (docs/rules.md §3) */
        struct dossier_doc_meta version = *m;
        version.hidden_from_representatives |= old.ad.hidden_from_representatives;
        r = insert_doc(e, actor, ds.id, &version, c, old_uid ? &old : NULL, now, uid, &id);
        if (r >= 0 && old_uid)
                r = de_exec_id_int2(e, sql_deprecate, old.id, id, now);
        /* a held version replaced by one shown: the document is shown, its
         * old versions' hold ends now (held again, the new version goes on
         * with that hold, and the old ones end with it) */
        if (r >= 0 && old_uid && old.ad.hidden_from_patient && !m->hidden_from_patient)
                r = de_exec_id_int(e, de_sql_release, old.id, now);
        if (r >= 0)
                r = alerts(e, actor, ins, &ds, m, id, now, ret_warnings);
        r = de_finish_allowed(e, actor, &ds, now, seq, r);
        if (r >= 0)
                memcpy(ret_uid, uid, DOSSIER_UID_SIZE);
        return r;
}

int dossier_deposit(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                    const struct dossier_doc_meta *meta, const void *content, size_t len,
                    char ret_uid[DOSSIER_UID_SIZE], struct dossier_warnings *ret_warnings) {
        struct content_src c = {.data = content, .len = len};
        int r = src_hash(&c);
        if (r < 0)
                return r;
        DE_LOCKED(e);
        return put_doc(e, actor, ins, NULL, meta, &c, ret_uid, ret_warnings);
}

int dossier_replace(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                    const char *old_uid, const struct dossier_doc_meta *meta, const void *content, size_t len,
                    char ret_uid[DOSSIER_UID_SIZE], struct dossier_warnings *ret_warnings) {
        struct content_src c = {.data = content, .len = len};
        int r = old_uid ? src_hash(&c) : -EINVAL;
        if (r < 0)
                return r;
        DE_LOCKED(e);
        return put_doc(e, actor, ins, old_uid, meta, &c, ret_uid, ret_warnings);
}

/* The content is staged first, piece by piece, the mutex taken for each
 * piece only; then the deposit itself refers to the pieces, or they are
 * dropped when it fails or is refused. */
static int put_file(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                    const char *old_uid, const struct dossier_doc_meta *meta,
                    const struct dossier_content_file *content, char ret_uid[DOSSIER_UID_SIZE],
                    struct dossier_warnings *ret_warnings) {
        struct content_src c = {.file = content, .len = content->len};
        char uid[DOSSIER_UID_SIZE];
        int r;

        if (!e || !ret_uid || de_actor_check(actor) < 0 || de_ins_check(ins) < 0 ||
            (old_uid && de_uid_check(old_uid) < 0))
                return -EINVAL;
        if ((r = meta_check(meta, &c)) < 0 || (r = new_uid(uid)) < 0 ||
            (r = de_stage_content(e, uid, content, &c.chunks)) < 0)
                return r;
        c.uid = uid;
        {
                DE_LOCKED(e);
                r = put_doc(e, actor, ins, old_uid, meta, &c, ret_uid, ret_warnings);
        }
        if (r < 0)
                de_drop_staged(e, uid);
        return r;
}

int dossier_deposit_file(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                         const struct dossier_doc_meta *meta, const struct dossier_content_file *content,
                         char ret_uid[DOSSIER_UID_SIZE], struct dossier_warnings *ret_warnings) {
        if (!content)
                return -EINVAL;
        return put_file(e, actor, ins, NULL, meta, content, ret_uid, ret_warnings);
}

int dossier_replace_file(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                         const char *old_uid, const struct dossier_doc_meta *meta,
                         const struct dossier_content_file *content, char ret_uid[DOSSIER_UID_SIZE],
                         struct dossier_warnings *ret_warnings) {
        if (!old_uid || !content)
                return -EINVAL;
        return put_file(e, actor, ins, old_uid, meta, content, ret_uid, ret_warnings);
}

/* Archive, mask/unmask and release share their shape: one document, one
 * decision, one UPDATE. */
static int doc_op(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, const char *uid,
                  enum access_action action, int arg) {
        struct drow d;
        struct dstate ds;
        int64_t now, seq = 0;
        int r;

        if (de_uid_check(uid) < 0)
                return -EINVAL;
        r = de_begin_op(e, actor, ins, &ds, &now);
        if (r < 0)
                return r;
        r = ds.id ? de_load_doc(e, ds.id, uid, now, &d) : -ENOENT;
        if (r < 0 && r != -ENOENT)
                return de_finish(e, r);
        r = de_decide_audited(e, actor, ins, &ds, action, r == -ENOENT ? NULL : &d.ad, uid, false, now, &seq);
        if (r < 0 || !e->last.allow)
                return de_finish(e, r);
        switch (action) {
        case ACCESS_ACTION_ARCHIVE:
                r = de_exec_id_int(e, sql_archive, d.id, now);
                break;
        case ACCESS_ACTION_RELEASE_HOLD:
                /* a hold no longer in force (none, or lapsed: the sweep
                 * releases it, dated when it lapsed) changes nothing */
                r = d.ad.hidden_from_patient ? de_exec_id_int(e, de_sql_release, d.id, now) : 0;
                break;
        case ACCESS_ACTION_MASK:
                r = de_exec_id_int2(e, sql_mask, d.id, !!arg, now);
                break;
        default:
                r = -EINVAL;
        }
        return de_finish_allowed(e, actor, &ds, now, seq, r);
}

int dossier_archive(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, const char *uid) {
        DE_LOCKED(e);
        return doc_op(e, actor, ins, uid, ACCESS_ACTION_ARCHIVE, 0);
}

int dossier_set_masked(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, const char *uid,
                       bool masked) {
        DE_LOCKED(e);
        return doc_op(e, actor, ins, uid, ACCESS_ACTION_MASK, masked);
}

int dossier_release_hold(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                         const char *uid) {
        DE_LOCKED(e);
        return doc_op(e, actor, ins, uid, ACCESS_ACTION_RELEASE_HOLD, 0);
}
