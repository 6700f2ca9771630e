/* api/readers.h: GET /v1/readers and GET /v1/readers/{name}, the
 * readers and the card each holds, as the reader monitor last saw them. */
#pragma once

#include "http/router.h"
#include "reader/readers.h"

/* {"pcscd": {...}, "readers": [...]}: status's readers, each card with its
 * insertion number.  NULL on ENOMEM. */
json_t *readers_json(const struct reader_snapshot *snap);

API_HANDLER(readers_get);
API_HANDLER(reader_get);
