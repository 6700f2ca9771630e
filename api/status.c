/* api/status.c: the status resource. */
#include <errno.h>
#include <stdio.h>

#include "context.h"
#include "reader/monitor.h"
#include "status.h"

static json_t *atr_hex(const struct reader_info *ri) {
        char hex[READER_ATR_MAX * 2 + 1];
        for (size_t i = 0; i < ri->atr_len; i++)
                snprintf(hex + 2 * i, 3, "%02X", ri->atr[i]);
        hex[2 * ri->atr_len] = '\0';
        return ri->atr_len ? json_string(hex) : json_null();
}

json_t *status_json(const struct reader_snapshot *snap) {
        json_t *readers = json_array();
        if (!readers)
                return NULL;
        for (size_t i = 0; i < snap->n; i++) {
                const struct reader_info *ri = &snap->r[i];
                json_t *card = ri->card_present
                                       ? json_pack("{s:s,s:s?,s:s?}", "type", card_kind_name(ri->kind),
                                                   "driver", ri->driver, "error",
                                                   ri->read_error ? card_error_code(ri->read_error) : NULL)
                                       : json_null();
                if (json_array_append_new(readers, json_pack("{s:s,s:b,s:o,s:o}", "name", ri->name,
                                                             "card_present", ri->card_present,
                                                             "atr", atr_hex(ri), "card", card)) < 0) {
                        json_decref(readers);
                        return NULL;
                }
        }
        return json_pack("{s:s,s:{s:b,s:s?},s:o}", "version", CARNET_VERSION, "pcscd", "reachable",
                         snap->pcscd_reachable, "error",
                         snap->pcscd_reachable ? NULL : snap->error, "readers", readers);
}

int status_get(const struct api_request *req, struct api_reply *ret) {
        struct reader_snapshot snap;
        if (req->ctx && req->ctx->monitor)
                monitor_snapshot(req->ctx->monitor, &snap);
        else if (req->ctx && req->ctx->vitale_in_body) {
                /* the dossier host: the cards are on the workstations */
                snap.pcscd_reachable = false;
                snap.n = 0;
                snprintf(snap.error, sizeof(snap.error), "the dossier host reads no cards: its workstations do");
        } else
                (void)readers_snapshot(&snap); /* -ENOBUFS: the first READERS_MAX are shown */
        return api_ok(ret, 200, status_json(&snap));
}
