/* api/readers.c: the readers resource. */
#include <errno.h>
#include <string.h>

#include "context.h"
#include "reader/monitor.h"
#include "readers.h"
#include "status.h"

static void snapshot(const struct api_request *req, struct reader_snapshot *snap) {
        if (req->ctx && req->ctx->monitor)
                monitor_snapshot(req->ctx->monitor, snap);
        else
                (void)readers_snapshot(snap); /* -ENOBUFS: the first READERS_MAX are shown */
}

/* The status document's readers, plus what only this resource shows: the
 * insertion number of each card (a new number each time a card arrives,
 * so that a client can tell a card taken out and put back). */
json_t *readers_json(const struct reader_snapshot *snap) {
        return status_doc(snap, true);
}

int readers_get(const struct api_request *req, struct api_reply *ret) {
        struct reader_snapshot snap;
        snapshot(req, &snap);
        return api_ok(ret, 200, readers_json(&snap));
}

int reader_get(const struct api_request *req, struct api_reply *ret) {
        struct reader_snapshot snap;
        const char *name = api_path_param(req, "name");

        snapshot(req, &snap);
        _cleanup_(json_decrefp) json_t *doc = readers_json(&snap);
        if (!doc || !name)
                return -ENOMEM;
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(doc, "readers"), i, r)
                if (strcmp(json_string_value(json_object_get(r, "name")), name) == 0)
                        return api_ok(ret, 200, json_incref(r));
        if (!snap.pcscd_reachable)
                return api_error(ret, 503, "pcscd_unreachable", "pcscd is not reachable: %s", snap.error);
        return api_error_details(ret, 404, "no_such_reader", json_pack("{s:s}", "reader", name),
                                 "no reader named '%.128s'", name);
}
