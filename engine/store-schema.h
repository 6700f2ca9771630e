/* engine/store-schema.h: private to engine/store-*.c: the text of the
 * schema changes both stores share, written once. SUFFIX ends a CREATE
 * TABLE (" STRICT" on SQLite, "" on PostgreSQL), INT is the type of a
 * time or a count ("INTEGER" on SQLite, "BIGINT" on PostgreSQL). */
#pragma once

/* 1 -> 2: the patient's express consent to an occupational or
 * fire-service doctor, recorded by a user action (docs/rules.md §2) */
#define STORE_MIGRATION_2 "ALTER TABLE dossier_access ADD COLUMN express_consent INTEGER NOT NULL DEFAULT 0;"

/* 2 -> 3: the establishment of the session that deposited a document,
 * which still sees it masked (docs/rules.md §3); and after death: when a
 * doctor recorded it, whether the patient opposed their heirs' access,
 * and the doctors who recorded an heir's request */
#define STORE_MIGRATION_3(INT)                                                                  \
        "ALTER TABLE documents ADD COLUMN author_establishment TEXT NOT NULL DEFAULT '';"       \
        "ALTER TABLE dossiers ADD COLUMN deceased_at " INT " NOT NULL DEFAULT 0;"               \
        "ALTER TABLE dossiers ADD COLUMN optout_heirs INTEGER NOT NULL DEFAULT 0;"              \
        "ALTER TABLE dossier_access ADD COLUMN heir_access INTEGER NOT NULL DEFAULT 0;"

/* 3 -> 4: legal representatives, who exercise the patient's rights, and
 * the documents a minor withheld from them (docs/rules.md §3) */
#define STORE_MIGRATION_4(SUFFIX, INT)                                                          \
        "CREATE TABLE representatives ("                                                        \
        "  dossier_id " INT " NOT NULL REFERENCES dossiers(id),"                                \
        "  ins TEXT NOT NULL,"                                                                  \
        "  kind INTEGER NOT NULL,"                                                              \
        "  recorded_by TEXT NOT NULL,"                                                          \
        "  updated_at " INT " NOT NULL,"                                                        \
        "  PRIMARY KEY (dossier_id, ins)"                                                       \
        ")" SUFFIX ";"                                                                          \
        "ALTER TABLE documents ADD COLUMN hidden_from_representatives INTEGER NOT NULL DEFAULT 0;"

/* Version 5 (issue 10, shared dossiers; docs/dossier-engine.md): the
 * workstation of each trail entry; the secret-guessing brake, shared by
 * every host process (dossier_attempts_*); the host's challenges and
 * sessions (carnet-hostd, docs/host.md). */
#define STORE_MIGRATION_5(SUFFIX, INT)                                                          \
        "ALTER TABLE audit ADD COLUMN workstation TEXT NOT NULL DEFAULT '';"                    \
        "CREATE TABLE attempts ("                                                               \
        "  ins TEXT PRIMARY KEY,"                                                               \
        "  failures " INT " NOT NULL,"                                                          \
        "  first_failure_at " INT " NOT NULL,"                                                  \
        "  locked_until " INT " NOT NULL DEFAULT 0"                                             \
        ")" SUFFIX ";"                                                                          \
        "CREATE TABLE host_challenges ("                                                        \
        "  challenge TEXT PRIMARY KEY,"                                                         \
        "  workstation TEXT NOT NULL,"                                                          \
        "  expires_at " INT " NOT NULL"                                                         \
        ")" SUFFIX ";"                                                                          \
        "CREATE TABLE host_sessions ("                                                          \
        "  token_sha256 TEXT PRIMARY KEY,"                                                      \
        "  session_id TEXT NOT NULL,"                                                           \
        "  kind INTEGER NOT NULL,"                                                              \
        "  workstation TEXT NOT NULL,"                                                          \
        "  info TEXT NOT NULL,"                                                                 \
        "  opened_at " INT " NOT NULL,"                                                         \
        "  last_used " INT " NOT NULL"                                                          \
        ")" SUFFIX ";"

/* 6 -> 7: the establishment of the session behind each trail entry
 * (workstation-side logs identify the user and the establishment:
 * docs/rules.md §7) */
#define STORE_MIGRATION_7 "ALTER TABLE audit ADD COLUMN establishment TEXT NOT NULL DEFAULT '';"

/* 7 -> 8: a dossier's documents of every status by deposit time, newest
 * first (the list and searches of every status walk it in the order they
 * page in, where they sorted the whole dossier for each page); ID: the row
 * id where the backend does not end each index entry with it (SQLite does) */
#define STORE_MIGRATION_8(ID) "CREATE INDEX documents_by_time ON documents(dossier_id, deposited_at" ID ");"

/* 8 -> 9: what changes a document's entry in place (masking, a hold's
 * release, deprecation by a replacement, archiving) counted and dated, so
 * that a reader's copy can be told current or not (FHIR meta.versionId,
 * ETag, meta.lastUpdated): revision starts at 1, updated_at NULL means
 * unchanged since the deposit.  Rows already changed start above every
 * version they were seen at (version counts maskings and releases, and
 * the status changed at most once more), dated at the migration (NOW,
 * the backend's current Unix time): a copy dated by its deposit is not
 * current. */
#define STORE_MIGRATION_9(INT, NOW)                                                             \
        "ALTER TABLE documents ADD COLUMN revision " INT " NOT NULL DEFAULT 1;"                \
        "ALTER TABLE documents ADD COLUMN updated_at " INT ";"                                 \
        "UPDATE documents SET revision = version + CASE WHEN status <> 1 THEN 1 ELSE 0 END, "   \
        "updated_at = " NOW " WHERE version > 1 OR status <> 1;"

/* 9 -> 10: a destroyed dossier's tombstone keeps its id, INS, status,
 * destroyed_at and a recorded death only (docs/dossier-engine.md,
 * "Destruction and the tombstone"); the tombstones older versions wrote
 * are wiped as a destruction wipes one now, and lose what an older
 * destruction left of the dossier (legal representatives, the
 * secret-guessing count).  Adds nothing to the schema. */
#define STORE_MIGRATION_10                                                                          \
        "UPDATE dossiers SET ins_oid = '', birth_name = '', first_names = '', birth_date = '', "     \
        "sex = '', birth_place = '', created_at = 0, closed_at = NULL, "                            \
        "optout_emergency = 0, optout_call_centre = 0, notify = 1, optout_heirs = 0, "              \
        "secret_salt = NULL, secret_hash = NULL, secret_n = NULL, secret_r = NULL, secret_p = NULL " \
        "WHERE status = 3;"                                                                         \
        "DELETE FROM representatives WHERE dossier_id IN (SELECT id FROM dossiers WHERE status = 3);" \
        "DELETE FROM attempts WHERE ins IN (SELECT ins FROM dossiers WHERE status = 3);"

/* 5 -> 6 (issue 15): a large content (a spooled upload) is kept in pieces
 * of DE_CHUNK bytes, keyed by its document's uid, each written in its own
 * short transaction before the deposit's (so that other calls run between
 * the pieces) and read back piece by piece; contents.chunks counts them
 * (0: the content is in contents.content).  staged_at dates the pieces of
 * an upload whose deposit never came (purged at open). */
#define STORE_MIGRATION_6(SUFFIX, INT, BLOB)                                                    \
        "ALTER TABLE contents ADD COLUMN chunks INTEGER NOT NULL DEFAULT 0;"                    \
        "CREATE TABLE content_chunks ("                                                         \
        "  uid TEXT NOT NULL,"                                                                  \
        "  seq INTEGER NOT NULL,"                                                               \
        "  staged_at " INT " NOT NULL,"                                                         \
        "  data " BLOB " NOT NULL,"                                                             \
        "  PRIMARY KEY (uid, seq)"                                                              \
        ")" SUFFIX ";"                                                                          \
        "CREATE INDEX content_chunks_staged ON content_chunks(staged_at) WHERE seq = 0;"
