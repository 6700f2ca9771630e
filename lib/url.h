/* lib/url.h: percent-encoding for the URLs carnet writes (the agent's
 * requests to the dossier host, the FHIR face's page links). */
#pragma once

#include <stddef.h>

/* Appends s to the NUL-terminated string out (size bytes in all),
 * percent-encoded but for RFC 3986's unreserved characters and those in
 * keep (NULL: none).  0, or -E2BIG when it does not fit (out is then cut,
 * still NUL-terminated). */
int url_append(char *out, size_t size, const char *s, const char *keep);
