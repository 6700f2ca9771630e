/* cli/token.h: where carnetctl keeps the session token between calls.
 *
 * After `carnetctl login`, the token lives in one file, mode 0600, in a
 * folder only its user may enter:
 *   $XDG_RUNTIME_DIR/carnet/session, else
 *   /run/user/$UID/carnet/session (when that runtime folder is the user's), else
 *   /tmp/carnet-$UID/session (a 0700 folder carnetctl makes).
 * A patient's session (`carnetctl patient login`) is kept beside it in
 * patient-session, so that the professional's survives at the same desk.
 * A folder or file that is not the user's, or that others may read, is
 * refused (-EPERM), never used.  The token is a secret: buffers that held
 * it are wiped by their owners (secure_zero). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum token_kind {
        TOKEN_PROFESSIONAL, /* "session" */
        TOKEN_PATIENT,      /* "patient-session" */
};

/* Generous bound on a token (carnetd's are 64 hex characters). */
#define TOKEN_MAX 128

/* Whether s looks like a token: 1 to TOKEN_MAX characters among
 * [A-Za-z0-9._-], so that it can never break an HTTP header. */
bool token_valid(const char *s);

/* The session file's path into buf (the folder is not created);
 * -ENAMETOOLONG, -ENOENT when no folder can be found. */
int token_path(enum token_kind kind, char *buf, size_t size);

/* Stores token, replacing any earlier one (written to a new 0600 file,
 * then renamed over the old: never half written).  Creates the folder,
 * 0700, when missing.  ret_path (optional) gets the file's path. */
int token_save(enum token_kind kind, const char *token, char *ret_path, size_t path_size);

/* Reads the stored token into buf (TOKEN_MAX + 1 bytes at least):
 * -ENOENT when there is none, -EPERM when the folder or file is not the
 * user's own or others may read it, -EBADMSG when it holds no token. */
int token_load(enum token_kind kind, char *buf, size_t size);

/* Removes the stored token; if expected is not NULL, only when the file
 * still holds that token (a newer login is left alone).  0 also when
 * there was nothing to remove. */
int token_remove(enum token_kind kind, const char *expected);
