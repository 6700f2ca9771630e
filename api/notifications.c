/* api/notifications.c: the notifications resources; see notifications.h. */
#include <errno.h>

#include "engine/dossier.h"
#include "lib/macro.h"
#include "call.h"
#include "notifications.h"
#include "replies.h"

static int notification_entry(const struct dossier_notification *n, void *userdata) {
        json_t *a = userdata;
        json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:s,s:o}", "id", (json_int_t)n->id, "at", (json_int_t)n->at,
                              "recipient", n->recipient ? n->recipient : "", "kind", n->kind ? n->kind : "", "message",
                              n->message ? n->message : "", "document", res_str_or_null(n->document));
        return json_array_append_new(a, o) < 0 ? -ENOMEM : 0;
}

int res_notifications_dossier(const struct api_request *req, struct api_reply *ret) {
        const struct api_call *c = req->call;
        json_t *a = json_array();

        if (!a)
                return -ENOMEM;
        _cleanup_(res_unlockp) pthread_mutex_t *lk = res_lock(req);
        int r = dossier_notifications(c->engine, &c->caller.a, c->ins, notification_entry, a);
        return res_list_reply(ret, c->engine, r, "ins", c->ins, "notifications", a, false);
}

int res_notifications_mine(const struct api_request *req, struct api_reply *ret) {
        const struct api_call *c = req->call;

        if (c->caller.a.kind != ACCESS_ACTOR_PROFESSIONAL)
                return api_error(ret, 403, "professional_only",
                                 "a patient reads their notices at /v1/dossiers/{ins}/notifications");
        json_t *a = json_array();
        if (!a)
                return -ENOMEM;
        _cleanup_(res_unlockp) pthread_mutex_t *lk = res_lock(req);
        int r = dossier_notifications_for(c->engine, c->caller.a.id, notification_entry, a);
        return res_list_reply(ret, c->engine, r, "national_id", c->caller.a.id, "notifications", a, false);
}
