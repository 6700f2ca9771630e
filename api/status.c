/* api/status.c: the status resource. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "context.h"
#include "lib/jsonw.h"
#include "reader/monitor.h"
#include "status.h"

/* Far more than READERS_MAX readers take. */
#define STATUS_TEXT_MAX ((size_t)1 << 20)

static void atr_write(struct jw *w, const struct reader_info *ri) {
        static const char digits[] = "0123456789ABCDEF";
        char hex[READER_ATR_MAX * 2 + 1];
        size_t n = ri->atr_len < READER_ATR_MAX ? ri->atr_len : READER_ATR_MAX;
        for (size_t i = 0; i < n; i++) {
                hex[2 * i] = digits[ri->atr[i] >> 4];
                hex[2 * i + 1] = digits[ri->atr[i] & 0xf];
        }
        hex[2 * n] = '\0';
        jw_kstr(w, "atr", n ? hex : NULL);
}

static void reader_write(struct jw *w, const struct reader_info *ri, bool insertion) {
        jw_object_begin(w);
        jw_kstr(w, "name", ri->name);
        jw_kbool(w, "card_present", ri->card_present);
        atr_write(w, ri);
        jw_key(w, "card");
        if (!ri->card_present) {
                jw_null(w);
        } else {
                jw_object_begin(w);
                jw_kstr(w, "type", card_kind_name(ri->kind));
                jw_kstr(w, "driver", ri->driver);
                jw_kstr(w, "error", ri->read_error ? card_error_code(ri->read_error) : NULL);
                if (insertion)
                        jw_kint(w, "insertion", (int64_t)ri->insertion);
                jw_object_end(w);
        }
        jw_object_end(w);
}

int status_text(const struct reader_snapshot *snap, bool readers_form, char **ret, size_t *ret_len) {
        struct jw w;
        jw_init(&w, STATUS_TEXT_MAX);
        jw_object_begin(&w);
        if (!readers_form)
                jw_kstr(&w, "version", CARNET_VERSION);
        jw_key(&w, "pcscd");
        jw_object_begin(&w);
        jw_kbool(&w, "reachable", snap->pcscd_reachable);
        jw_kstr(&w, "error", snap->pcscd_reachable ? NULL : snap->error);
        jw_object_end(&w);
        jw_key(&w, "readers");
        jw_array_begin(&w);
        for (size_t i = 0; i < snap->n && i < READERS_MAX; i++)
                reader_write(&w, &snap->r[i], readers_form);
        jw_array_end(&w);
        jw_object_end(&w);
        return jw_finish(&w, ret, ret_len);
}

json_t *status_doc(const struct reader_snapshot *snap, bool readers_form) {
        char *text = NULL;
        size_t len = 0;
        if (status_text(snap, readers_form, &text, &len) < 0)
                return NULL;
        json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
        free(text);
        return j;
}

json_t *status_json(const struct reader_snapshot *snap) {
        return status_doc(snap, false);
}

int status_get(const struct api_request *req, struct api_reply *ret) {
        struct reader_snapshot snap;
        char *text = NULL;
        size_t len = 0;
        if (req->ctx && req->ctx->monitor)
                monitor_snapshot(req->ctx->monitor, &snap);
        else if (req->ctx && req->ctx->vitale_in_body) {
                /* the dossier host: the cards are on the workstations */
                snap.pcscd_reachable = false;
                snap.n = 0;
                snprintf(snap.error, sizeof(snap.error), "the dossier host reads no cards: its workstations do");
        } else
                (void)readers_snapshot(&snap); /* -ENOBUFS: the first READERS_MAX are shown */
        int r = status_text(&snap, false, &text, &len);
        if (r < 0)
                return r;
        return api_ok_data(ret, 200, "application/json", text, len);
}
