/* daemon/server.c: libmicrohttpd on a Unix socket. */
#include <errno.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "api.h"
#include "log.h"
#include "server.h"

struct server {
        struct MHD_Daemon *mhd;
        char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
        bool created; /* we bound the socket: remove it on stop */
        size_t body_max;
        const struct api_context *ctx;
};

struct conn_state {
        size_t body_len;
};

/* A path that answers a connect() belongs to a live server; one that
 * refuses is a stale socket from a killed process and may be replaced. */
static int socket_in_use(const struct sockaddr_un *sa) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negerrno();
        return connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
}

static int socket_create(struct server *s, const struct server_config *cfg) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct stat st;

        if (strcpy_bounded(sa.sun_path, sizeof(sa.sun_path), cfg->socket_path) < 0)
                return -ENAMETOOLONG;
        if (lstat(sa.sun_path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return -EEXIST;
                if (socket_in_use(&sa) > 0)
                        return -EADDRINUSE;
                if (unlink(sa.sun_path) < 0)
                        return negerrno();
        }
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negerrno();
        /* Never let the socket exist, even for a moment, with a wider mode. */
        mode_t old = umask(0177);
        int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old);
        if (r < 0)
                return negerrno();
        snprintf(s->path, sizeof(s->path), "%s", sa.sun_path);
        s->created = true;
        if (cfg->socket_group != (gid_t)-1 && chown(sa.sun_path, (uid_t)-1, cfg->socket_group) < 0)
                return negerrno();
        if (chmod(sa.sun_path, cfg->socket_mode) < 0)
                return negerrno();
        if (listen(fd, 64) < 0)
                return negerrno();
        return TAKE_FD(fd);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, struct api_reply *rep) {
        char *text = rep->body ? json_dumps(rep->body, JSON_COMPACT) : NULL;
        if (!text)
                return MHD_NO;
        size_t len = strlen(text);
        /* a trailing newline makes curl output readable in a terminal */
        char *t2 = realloc(text, len + 2);
        if (!t2) {
                free(text);
                return MHD_NO;
        }
        t2[len] = '\n';
        t2[len + 1] = '\0';
        struct MHD_Response *resp = MHD_create_response_from_buffer(len + 1, t2, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(t2);
                return MHD_NO;
        }
        MHD_add_response_header(resp, "Content-Type", "application/json");
        enum MHD_Result r = MHD_queue_response(c, rep->status, resp);
        MHD_destroy_response(resp);
        return r;
}

static int peer_creds(struct MHD_Connection *c, struct api_request *req) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct ucred uc;
        socklen_t len = sizeof(uc);
        if (!ci || getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
                return -EPERM;
        req->uid = uc.uid;
        req->gid = uc.gid;
        req->pid = uc.pid;
        return 0;
}

/* libmicrohttpd calls this first with *con_cls NULL (headers only), then
 * once per body chunk, then with *upload_size 0: the reply is queued on
 * that last call, the library's idiom that keeps keep-alive working. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
        struct server *s = cls;
        struct conn_state *st = *con_cls;
        struct api_reply rep = {0};
        enum MHD_Result ret;

        if (!st) {
                st = calloc(1, sizeof(*st));
                if (!st)
                        return MHD_NO;
                *con_cls = st;
                return MHD_YES;
        }
        if (*upload_size) {
                st->body_len += *upload_size;
                *upload_size = 0;
                if (st->body_len <= s->body_max)
                        return MHD_YES;
                (void)api_error(&rep, 413, "too_large", "request body over %zu bytes", s->body_max);
                ret = send_reply(c, &rep);
                api_reply_clear(&rep);
                return ret;
        }
        struct api_request req = {.ctx = s->ctx, .method = method, .path = url};
        if (peer_creds(c, &req) < 0)
                (void)api_error(&rep, 403, "no_credentials", "caller credentials unavailable");
        else if (api_handle(&req, &rep) < 0)
                return MHD_NO;
        log_debug("%s %s uid=%u -> %u", method, url, (unsigned)req.uid, rep.status);
        ret = send_reply(c, &rep);
        api_reply_clear(&rep);
        return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
        free(*con_cls);
        *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
        char msg[512];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        msg[strcspn(msg, "\n")] = '\0';
        log_warning("http: %s", msg);
}

void server_stop(struct server *s) {
        if (!s)
                return;
        if (s->mhd)
                MHD_stop_daemon(s->mhd);
        if (s->created)
                (void)unlink(s->path);
        free(s);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct server, server_stop);

int server_start(const struct server_config *cfg, struct server **ret) {
        _cleanup_(server_stopp) struct server *s = calloc(1, sizeof(*s));
        int fd = cfg->listen_fd;

        if (!s)
                return -ENOMEM;
        s->body_max = cfg->body_max;
        s->ctx = cfg->ctx;
        if (fd < 0) {
                if (!cfg->socket_path)
                        return -EINVAL;
                fd = socket_create(s, cfg);
                if (fd < 0)
                        return fd;
        }
        s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                                  on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                                  MHD_OPTION_LISTEN_SOCKET, fd,
                                  MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_s,
                                  MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
        if (!s->mhd) {
                close(fd);
                return -EIO;
        }
        *ret = TAKE_PTR(s);
        return 0;
}
