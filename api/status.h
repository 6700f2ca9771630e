/* api/status.h: GET /v1/status, carnetd's version and the readers. */
#pragma once

#include "http/router.h"
#include "reader/readers.h"

/* Builds the status document from a reader snapshot; NULL on ENOMEM. */
json_t *status_json(const struct reader_snapshot *snap);

API_HANDLER(status_get);
