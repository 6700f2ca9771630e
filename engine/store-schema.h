/* engine/store-schema.h: private to engine/store-*.c: the text of the
 * schema changes both stores share, written once. SUFFIX ends a CREATE
 * TABLE (" STRICT" on SQLite, "" on PostgreSQL), INT is the type of a
 * time or a count ("INTEGER" on SQLite, "BIGINT" on PostgreSQL). */
#pragma once

/* Version 5 (issue 10, shared dossiers; docs/dossier-engine.md): the
 * workstation of each trail entry; the secret-guessing brake, shared by
 * every host process (dossier_attempts_*); the host's challenges and
 * sessions (carnet-hostd, docs/host-contract). */
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
