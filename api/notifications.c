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

static int walk_dossier(const struct api_call *c, json_t *list) {
        return dossier_notifications(c->engine, &c->caller.a, c->ins, notification_entry, list);
}

static int walk_mine(const struct api_call *c, json_t *list) {
        return dossier_notifications_for(c->engine, c->caller.a.id, notification_entry, list);
}

int res_notifications_dossier(const struct api_request *req, struct api_reply *ret) {
        return res_list(req, ret, walk_dossier, "ins", req->call->ins, "notifications", false);
}

int res_notifications_mine(const struct api_request *req, struct api_reply *ret) {
        const struct dossier_actor *a = &req->call->caller.a;

        if (a->kind != ACCESS_ACTOR_PROFESSIONAL)
                return api_error(ret, 403, "professional_only",
                                 "a patient reads their notices at /v1/dossiers/{ins}/notifications");
        return res_list(req, ret, walk_mine, "national_id", a->id, "notifications", false);
}
