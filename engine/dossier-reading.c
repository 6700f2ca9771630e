/* engine/dossier-reading.c: documents read: the list and one document with
 * its content; see dossier.h and docs/dossier-engine.md. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "dossier-internal.h"
#include "lib/civil-time.h"
#include "lib/macro.h"

#define DOC_COLUMNS                                                                                          \
        "d.id, d.uid, d.type_code, d.class_code, d.format_code, d.mime, d.title, d.author_id, "                  \
        "d.author_institution, d.author_role, d.author_specialty, d.created_at, d.deposited_at, d.size, "        \
        "d.sha256, d.status, d.version, d.masked, d.hidden_from_patient, d.hidden_since, "                       \
        "(SELECT r.uid FROM documents r WHERE r.id = d.replaced_by), d.author_establishment, "                  \
        "d.hidden_from_representatives, d.revision, d.updated_at"
/* Two texts, not one with "(?2 <> 0 OR d.status = 1)": with the status
 * fixed, SQLite walks documents_by_dossier (dossier_id, status,
 * deposited_at, then the row id) backwards, in the order asked, and every
 * status walks documents_by_time (dossier_id, deposited_at, the row id),
 * instead of the first index on dossier_id then a sort of every row.  ?3 and ?4
 * are the deposit time and row id the list starts after (a page's
 * cursor; INT64_MAX for the first page): the range on deposited_at keeps
 * the walk on the index, the row id breaks ties between deposits of the
 * same second. */
#define LIST_SINCE_NEWEST_FIRST                                                                              \
        " AND d.created_at >= ?2 AND d.deposited_at <= ?3 AND (d.deposited_at < ?3 OR d.id < ?4)"           \
        " ORDER BY d.deposited_at DESC, d.id DESC"
static const char sql_list_approved[] =
        "SELECT " DOC_COLUMNS " FROM documents d WHERE d.dossier_id = ?1 AND d.status = 1" LIST_SINCE_NEWEST_FIRST;
static const char sql_list_all[] =
        "SELECT " DOC_COLUMNS " FROM documents d WHERE d.dossier_id = ?1" LIST_SINCE_NEWEST_FIRST;
static const char sql_cursor[] = "SELECT deposited_at, id FROM documents WHERE dossier_id = ?1 AND uid = ?2";
static const char sql_read[] = "SELECT " DOC_COLUMNS " FROM documents d WHERE d.dossier_id = ?1 AND d.uid = ?2";
static const char sql_content[] = "SELECT content, chunks FROM contents WHERE doc_id = ?1";

/* Fills d and ad from a row of DOC_COLUMNS. */
static void doc_from_row(struct store_stmt *st, int64_t now, struct dossier_doc *d, struct access_doc *ad) {
        *d = (struct dossier_doc) {};
        de_copy_columns(st, 1, DE_COL(d->uid), DE_COL(d->type_code), DE_COL(d->class_code),
                        DE_COL(d->format_code), DE_COL(d->mime), DE_COL(d->title), DE_COL(d->author_id),
                        DE_COL(d->institution), DE_COL(d->role), DE_COL(d->specialty));
        d->created_at = store_col_int64(st, 11);
        d->deposited_at = store_col_int64(st, 12);
        d->size = store_col_int64(st, 13);
        size_t sha_len = 0;
        const void *sha = store_col_blob(st, 14, &sha_len);
        if (sha && sha_len == 32)
                memcpy(d->sha256, sha, 32);
        d->status = (enum access_doc_status) (store_col_int(st, 15) - 1);
        d->version = store_col_int(st, 16);
        d->masked = store_col_int(st, 17);
        d->hidden_from_patient = de_held_back(st, 18, now);
        de_copy_column(d->replaced_by, sizeof(d->replaced_by), st, 20);
        de_copy_column(d->establishment, sizeof(d->establishment), st, 21);
        d->patient_deposit = strcmp(d->class_code, ACCESS_CLASS_PATIENT) == 0;
        d->hidden_from_representatives = store_col_int(st, 22);
        /* a hold that lapsed by the calendar, not yet released by the
         * sweep, is the revision its release will be, dated when it lapsed */
        bool lapsed = store_col_int(st, 18) && !d->hidden_from_patient;
        d->revision = store_col_int(st, 23) + lapsed;
        d->updated_at = store_col_is_null(st, 24) ? d->deposited_at : store_col_int64(st, 24);
        int64_t lapse = lapsed ? de_hold_end(store_col_int64(st, 19)) : 0;
        if (lapse > d->updated_at)
                d->updated_at = lapse;
        *ad = (struct access_doc) {
                .type_code = d->type_code,
                .class_code = d->class_code,
                .author_id = d->author_id,
                .author_establishment = d->establishment,
                .status = d->status,
                .masked = d->masked,
                .hidden_from_patient = d->hidden_from_patient,
                .hidden_from_representatives = d->hidden_from_representatives,
        };
}

/* Where the list starts: after the document after_uid of dossier
 * dossier_id (its deposit time and row id), or from the newest. */
static int list_cursor(struct store *s, int64_t dossier_id, const char *after_uid, int64_t *ret_at, int64_t *ret_id) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r;

        *ret_at = *ret_id = INT64_MAX;
        if (!after_uid)
                return 0;
        r = store_prepare(s, sql_cursor, &st);
        if (r >= 0 && (r = store_bind_int(st, 1, dossier_id)) >= 0 && (r = store_bind_text(st, 2, after_uid)) >= 0)
                r = store_step(s, st);
        if (r <= 0)
                return r == 0 ? -ESRCH : r;
        *ret_at = store_col_int64(st, 0);
        *ret_id = store_col_int64(st, 1);
        return 0;
}

/* The documents of the dossier ds the actor may read, from s, handed to
 * the sink: each row goes through the READ decision (not traced one by
 * one: the trail says the list was read).  The first search covers the
 * acts of the last two calendar years (the document's creation time, not
 * its deposit, from the same time of day two years ago in Paris) and
 * approved documents only (docs/rules.md §4). */
static int list_rows(struct dossier_engine *e, struct store *s, const struct dossier_actor *actor, const char *ins,
                     const struct dstate *ds, unsigned flags, const char *after_uid, int64_t now,
                     const struct dossier_list_sink *sink) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        struct dossier_doc doc;
        int64_t at, id;
        int r;

        bool all = (flags & DOSSIER_LIST_ALL_STATUSES) && !(flags & DOSSIER_LIST_FIRST_SEARCH);
        r = list_cursor(s, ds->id, after_uid, &at, &id);
        if (r < 0)
                return r;
        int64_t since = INT64_MIN;
        if ((flags & DOSSIER_LIST_FIRST_SEARCH) &&
            (r = civil_add_months(now, -DOSSIER_FIRST_SEARCH_MONTHS, &since)) < 0)
                return r;
        r = store_prepare(s, all ? sql_list_all : sql_list_approved, &st);
        if (r < 0)
                return r;
        if ((r = store_bind_int(st, 1, ds->id)) < 0 ||
            (r = store_bind_int(st, 2, since)) < 0 ||
            (r = store_bind_int(st, 3, at)) < 0 || (r = store_bind_int(st, 4, id)) < 0)
                return r;
        if (sink->begin && (r = sink->begin(sink->data)) < 0)
                return r;
        while ((r = store_step(s, st)) > 0) {
                struct access_request req;
                struct access_decision d;
                struct access_doc ad;

                doc_from_row(st, now, &doc, &ad);
                de_fill_request(e, actor, ins, ds, ACCESS_ACTION_READ, &ad, false, &req);
                if (access_decide(&req, &d) < 0 || !d.allow)
                        continue;
                doc.warn_hidden_from_patient = d.flags & ACCESS_FLAG_WARN_HIDDEN_FROM_PATIENT;
                r = sink->doc(&doc, sink->data);
                if (r != 0)
                        break;
        }
        secure_zero(&doc, sizeof(doc));
        return r < 0 ? r : 0;
}

/* The list decided on a snapshot (dossier-snapshot.c); -EAGAIN: decide
 * it under the mutex.  Its rows are read before its entry is handed in:
 * they cost less than the wake-ups of handing it in ahead.  A cursor the
 * dossier does not have is the caller's mistake, not the snapshot's: the
 * decision is traced, then -ESRCH. */
static int list_snapshot(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                         unsigned flags, const char *after_uid, const struct dossier_list_sink *sink) {
        struct de_snap sn;
        bool no_cursor = false;
        int r;

        r = de_snap_begin(e, actor, ins, &sn);
        if (r < 0)
                return r;
        r = de_snap_decide(&sn, actor, ins, ACCESS_ACTION_LIST, NULL, NULL);
        if (r >= 0 && sn.decision.allow) {
                int k = list_rows(e, sn.rd, actor, ins, &sn.ds, flags, after_uid, sn.now, sink);
                no_cursor = k == -ESRCH;
                if (k < 0 && !no_cursor)
                        r = -EAGAIN;
        }
        if (r < 0) {
                de_snap_end(&sn);
                return r;
        }
        r = de_snap_commit(&sn);
        return r < 0 ? r : no_cursor ? -ESRCH : 0;
}

/* One audited LIST decision, then the rows (list_rows()), under the mutex. */
static int list_locked(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, unsigned flags,
                       const char *after_uid, const struct dossier_list_sink *sink) {
        DE_LOCKED(e);
        struct dstate ds;
        int64_t now, seq = 0;
        int r;

        r = de_dossier_op(e, actor, ins, ACCESS_ACTION_LIST, &ds, &now, &seq);
        if (r < 0 || !e->last.allow)
                return de_finish(e, r);
        r = list_rows(e, e->store, actor, ins, &ds, flags, after_uid, now, sink);
        bool no_cursor = r == -ESRCH;
        r = de_finish_allowed(e, actor, &ds, now, seq, no_cursor ? 0 : r);
        return r < 0 ? r : no_cursor ? -ESRCH : 0;
}

int dossier_list_each(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, unsigned flags,
                      const char *after_uid, const struct dossier_list_sink *sink) {
        int r;

        if (!sink || !sink->doc || (after_uid && strlen(after_uid) >= DOSSIER_UID_SIZE))
                return -EINVAL;
        r = list_snapshot(e, actor, ins, flags, after_uid, sink);
        return r == -EAGAIN ? list_locked(e, actor, ins, flags, after_uid, sink) : r;
}

/* dossier_list()'s sink: every document, in a growing array. */
struct list_all {
        struct dossier_doc *docs;
        size_t n, cap;
};

static int list_all_begin(void *data) {
        struct list_all *l = data;

        if (l->docs)
                secure_zero(l->docs, l->n * sizeof(*l->docs));
        l->n = 0;
        return 0;
}

static int list_all_doc(const struct dossier_doc *d, void *data) {
        struct list_all *l = data;
        struct dossier_doc *nd = de_grow(l->docs, l->n, &l->cap, sizeof(*l->docs), 16);

        if (!nd)
                return -ENOMEM;
        l->docs = nd;
        l->docs[l->n++] = *d;
        return 0;
}

int dossier_list(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, unsigned flags,
                 struct dossier_doc **ret, size_t *ret_n) {
        struct list_all l = {};
        const struct dossier_list_sink sink = {list_all_begin, list_all_doc, &l};
        int r;

        if (!ret || !ret_n)
                return -EINVAL;
        r = dossier_list_each(e, actor, ins, flags, NULL, &sink);
        if (r < 0) {
                list_all_begin(&l);
                free(l.docs);
                return r;
        }
        *ret = l.docs;
        *ret_n = l.n;
        return 0;
}

/* Steps the content query of document id on s: 1 on its row; -EBADMSG
 * when there is none (metadata without content). */
static int content_step(struct store *s, int64_t id, struct store_stmt **st) {
        int r = store_prepare(s, sql_content, st);

        if (r >= 0 && (r = store_bind_int(*st, 1, id)) >= 0)
                r = store_step(s, *st);
        return r == 0 ? -EBADMSG : r;
}

/* The content on the row st stands on, copied, and checked against the
 * metadata's size and SHA-256 (-EBADMSG: altered behind the engine). */
static int content_copy(struct store_stmt *st, const struct dossier_doc *d, void **ret, size_t *ret_len) {
        size_t len = 0;
        const void *blob = store_col_blob(st, 0, &len);
        uint8_t digest[32];
        _cleanup_free_ void *content = malloc(len ? len : 1);
        int r;

        if (!content)
                return -ENOMEM;
        if (len)
                memcpy(content, blob, len);
        r = de_sha256(len ? content : "", len, digest);
        if (r < 0)
                return r;
        if (memcmp(digest, d->sha256, 32) != 0 || (int64_t) len != d->size)
                return -EBADMSG;
        *ret = TAKE_PTR(content);
        *ret_len = len;
        return 0;
}

/* The document uid of dossier dossier_id (0: none) on s: 1 with d, ad
 * and its row id filled, 0 when there is none, a negative errno. */
static int read_row(struct store *s, int64_t dossier_id, const char *uid, int64_t now, struct dossier_doc *d,
                    struct access_doc *ad, int64_t *ret_id) {
        _cleanup_stmt_ struct store_stmt *st = NULL;
        int r;

        if (!dossier_id)
                return 0;
        r = store_prepare(s, sql_read, &st);
        if (r >= 0 && (r = store_bind_int(st, 1, dossier_id)) >= 0 && (r = store_bind_text(st, 2, uid)) >= 0)
                r = store_step(s, st);
        if (r > 0) {
                doc_from_row(st, now, d, ad);
                *ret_id = store_col_int64(st, 0);
        }
        return r;
}

/* dossier_read_open() under the mutex: the decision, its trail entry
 * in the group's transaction, then the content's row stepped on a read
 * connection (its snapshot: the last commit; a content written in the
 * open group is read on the writer).  1: *ret_reader and *ret_st hold
 * a content stored whole, for the caller to copy once the mutex is free;
 * 0: the content is in *ret_chunks pieces (dossier-content.c), or no read
 * connection was free and it was copied here on the writer. */
static int read_decide(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, const char *uid,
                       struct dossier_doc *ret_doc, struct store **ret_reader, struct store_stmt **ret_st,
                       void **ret_content, size_t *ret_len, int64_t *ret_chunks) {
        DE_LOCKED(e);
        struct dossier_doc d;
        struct access_doc ad;
        struct dstate ds;
        int64_t now, seq = 0, id = 0;
        int r;

        r = de_begin_op(e, actor, ins, &ds, &now);
        if (r < 0)
                return r;
        r = read_row(e->store, ds.id, uid, now, &d, &ad, &id);
        if (r < 0)
                return de_finish(e, r);
        bool found = r > 0;
        r = de_decide_audited(e, actor, ins, &ds, ACCESS_ACTION_READ, found ? &ad : NULL, uid, false, now, &seq);
        if (r < 0 || !e->last.allow)
                return de_finish(e, r);
        d.warn_hidden_from_patient = e->last.flags & ACCESS_FLAG_WARN_HIDDEN_FROM_PATIENT;
        /* the access is in the trail whatever the content turns out to be */
        r = de_finish_allowed(e, actor, &ds, now, seq, 0);
        if (r < 0)
                return r;
        *ret_doc = d;
        struct store *rd = de_reader_take(e);
        struct store_stmt *st = NULL;
        r = content_step(rd ? rd : e->store, id, &st);
        if (r == -EBADMSG && rd) {
                /* not in the last commit: written in the open group
                 * (dossier-group.c), which the writer sees; a content
                 * never changes once written, so the reader's is the
                 * writer's whenever the reader has one */
                if (st)
                        store_reset(st);
                de_reader_put(e, rd);
                rd = NULL;
                st = NULL;
                r = content_step(e->store, id, &st);
        }
        if (r > 0 && (*ret_chunks = store_col_int64(st, 1)) > 0)
                r = 0; /* in pieces: read later, each on its own */
        else if (r > 0 && rd) {
                *ret_reader = rd;
                *ret_st = st;
                return 1;
        } else if (r > 0)
                r = content_copy(st, &d, ret_content, ret_len);
        if (st)
                store_reset(st);
        de_reader_put(e, rd);
        return r < 0 ? r : 0;
}

/* The document decided and its content read on a snapshot
 * (dossier-snapshot.c), the content handed over once its access is in
 * the trail; -EAGAIN: decide it under the mutex. */
static int read_snapshot(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins,
                         const char *uid, struct dossier_doc *ret_doc, void **ret_content, size_t *ret_len,
                         int64_t *ret_chunks) {
        struct dossier_doc d = {};
        struct access_doc ad;
        struct de_snap sn;
        int64_t id = 0, chunks = 0;
        void *content = NULL;
        size_t len = 0;
        int r;

        r = de_snap_begin(e, actor, ins, &sn);
        if (r < 0)
                return r;
        r = read_row(sn.rd, sn.ds.id, uid, sn.now, &d, &ad, &id);
        bool found = r > 0;
        if (r >= 0)
                r = de_snap_decide(&sn, actor, ins, ACCESS_ACTION_READ, found ? &ad : NULL, uid);
        if (r < 0) {
                de_snap_end(&sn);
                return -EAGAIN;
        }
        /* the content read and checked while the entry is committed */
        de_snap_submit(&sn);
        int rc = 0;
        if (sn.decision.allow) {
                _cleanup_stmt_ struct store_stmt *st = NULL;

                d.warn_hidden_from_patient = sn.decision.flags & ACCESS_FLAG_WARN_HIDDEN_FROM_PATIENT;
                rc = content_step(sn.rd, id, &st);
                if (rc > 0 && (chunks = store_col_int64(st, 1)) > 0)
                        rc = 0; /* in pieces: read later, each on its own */
                else if (rc > 0)
                        rc = content_copy(st, &d, &content, &len);
        }
        r = de_snap_commit(&sn);
        /* an altered content (-EBADMSG) is answered once its access is
         * in the trail, as under the mutex */
        if (r >= 0 && rc < 0)
                r = rc;
        if (r < 0) {
                if (content) {
                        secure_zero(content, len);
                        free(content);
                }
                return r;
        }
        *ret_doc = d;
        *ret_content = content;
        *ret_len = len;
        *ret_chunks = chunks;
        return 0;
}

/* A content stored whole is copied and checked outside the mutex when a
 * read connection holds it: a large content does not hold up other calls. */
int dossier_read_open(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, const char *uid,
                      struct dossier_doc *ret_doc, struct dossier_content **ret) {
        struct store *rd = NULL;
        struct store_stmt *st = NULL;
        void *content = NULL;
        size_t len = 0;
        int64_t chunks = 0;
        int r;

        if (!e || !ret_doc || !ret || de_uid_check(uid) < 0)
                return -EINVAL;
        r = read_snapshot(e, actor, ins, uid, ret_doc, &content, &len, &chunks);
        if (r == -EAGAIN)
                r = read_decide(e, actor, ins, uid, ret_doc, &rd, &st, &content, &len, &chunks);
        if (r < 0)
                return r;
        if (r > 0) {
                r = content_copy(st, ret_doc, &content, &len);
                store_reset(st);
                de_reader_put(e, rd);
                if (r < 0)
                        return r;
        }
        r = de_content_new(e, ret_doc, chunks, content, ret);
        if (r < 0 && content) {
                secure_zero(content, len);
                free(content);
        }
        return r;
}

int dossier_read(struct dossier_engine *e, const struct dossier_actor *actor, const char *ins, const char *uid,
                 struct dossier_doc *ret_doc, void **ret_content, size_t *ret_len) {
        _cleanup_dossier_content_ struct dossier_content *c = NULL;
        int r;

        if (!ret_content || !ret_len)
                return -EINVAL;
        r = dossier_read_open(e, actor, ins, uid, ret_doc, &c);
        return r < 0 ? r : dossier_content_take(c, ret_content, ret_len);
}
