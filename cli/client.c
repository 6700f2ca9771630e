/* cli/client.c: libcurl over a Unix socket. */
#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "lib/macro.h"

struct sink {
        char *buf;
        size_t len, cap;
        bool overflow;
        /* streaming: a 2xx body goes to on_data instead */
        CURL *curl;
        int (*on_data)(void *userdata, const char *buf, size_t len);
        void *userdata;
        int stream_error;
};

static size_t sink_add(struct sink *s, const char *ptr, size_t n) {
        if (s->len + n + 1 > CLIENT_REPLY_MAX) {
                s->overflow = true;
                return 0; /* makes curl stop with CURLE_WRITE_ERROR */
        }
        if (s->len + n + 1 > s->cap) {
                size_t cap = s->cap ? s->cap : 4096;
                while (cap < s->len + n + 1)
                        cap *= 2;
                char *b = realloc(s->buf, cap);
                if (!b)
                        return 0;
                s->buf = b;
                s->cap = cap;
        }
        memcpy(s->buf + s->len, ptr, n);
        s->len += n;
        s->buf[s->len] = '\0';
        return n;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
        struct sink *s = userdata;
        size_t n = size * nmemb;
        if (s->on_data) {
                long status = 0;
                curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
                if (status >= 200 && status < 300) {
                        int r = s->on_data(s->userdata, ptr, n);
                        if (r < 0) {
                                s->stream_error = r;
                                return 0;
                        }
                        return n;
                }
        }
        return sink_add(s, ptr, n);
}

void client_reply_clear(struct client_reply *r) {
        json_decref(r->json);
        free(r->body);
        memset(r, 0, sizeof(*r));
}

static void curl_cleanupp(CURL **c) {
        if (*c)
                curl_easy_cleanup(*c);
}

static void slist_freep(struct curl_slist **l) {
        curl_slist_free_all(*l);
}

/* Keeps the reply headers carnetctl shows: Content-Type and
 * Content-Disposition (a document's own type and file name). */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata) {
        struct client_reply *ret = userdata;
        size_t n = size * nmemb;
        static const struct {
                const char *name;
                size_t off, size;
        } keep[] = {
                {"content-type:", offsetof(struct client_reply, content_type), sizeof(ret->content_type)},
                {"content-disposition:", offsetof(struct client_reply, disposition), sizeof(ret->disposition)},
        };
        for (size_t i = 0; i < ELEMENTSOF(keep); i++) {
                size_t k = strlen(keep[i].name);
                if (n <= k || strncasecmp(ptr, keep[i].name, k) != 0)
                        continue;
                const char *v = ptr + k, *end = ptr + n;
                while (v < end && (*v == ' ' || *v == '\t'))
                        v++;
                while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
                        end--;
                char *dst = (char *)ret + keep[i].off;
                size_t len = (size_t)(end - v) < keep[i].size - 1 ? (size_t)(end - v) : keep[i].size - 1;
                memcpy(dst, v, len);
                dst[len] = '\0';
        }
        return n;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
        const struct client_call *call = userdata;
        if (ultotal > 0)
                call->progress(call->progress_userdata, (size_t)ulnow, (size_t)ultotal);
        return 0;
}

/* Explains that the caller may not open the socket path (mode st): names the
 * group to join, or the owner when only it may. */
static void say_denied(const char *path, const struct stat *st, char *err, size_t errlen) {
        struct group *g = getgrgid(st->st_gid);
        struct passwd *pw = getpwuid(st->st_uid);
        char gname[64], uname[64];
        snprintf(gname, sizeof(gname), "%s", g ? g->gr_name : "?");
        snprintf(uname, sizeof(uname), "%s", pw ? pw->pw_name : "?");
        if (g && (st->st_mode & 0020))
                snprintf(err, errlen,
                         "you may not open carnetd's socket %s (owner %s, group %s, mode %04o): join the "
                         "group %s (usermod -aG %s YOUR-USER, then log in again)",
                         path, uname, gname, (unsigned)(st->st_mode & 07777), gname, gname);
        else
                snprintf(err, errlen,
                         "you may not open carnetd's socket %s (owner %s, group %s, mode %04o): only %s may; "
                         "set socket_group and socket_mode in carnetd.conf to let a group in",
                         path, uname, gname, (unsigned)(st->st_mode & 07777), uname);
}

int client_probe(const char *path, char *err, size_t errlen) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct stat st;

        if (stat(path, &st) < 0) {
                int r = negerrno();
                if (r == -ENOENT)
                        snprintf(err, errlen,
                                 "no socket at %s: carnetd is not running (start it: systemctl start "
                                 "carnetd.socket), or give its socket with --socket",
                                 path);
                else if (r == -EACCES)
                        snprintf(err, errlen, "you may not reach carnetd's socket %s: a folder on the way is "
                                 "closed to you (ls -ld each folder of the path)", path);
                else
                        snprintf(err, errlen, "cannot reach carnetd at %s: %s", path, strerror(-r));
                return r;
        }
        if (!S_ISSOCK(st.st_mode)) {
                snprintf(err, errlen, "%s is not a socket: give carnetd's socket with --socket", path);
                return -ENOTSOCK;
        }
        if (strcpy_bounded(sa.sun_path, sizeof(sa.sun_path), path) < 0) {
                snprintf(err, errlen, "socket path too long: %s", path);
                return -ENAMETOOLONG;
        }
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negerrno();
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
                return 0;
        int r = negerrno();
        if (r == -EACCES || r == -EPERM) {
                say_denied(path, &st, err, errlen);
                return -EACCES;
        }
        if (r == -ECONNREFUSED)
                snprintf(err, errlen,
                         "%s is a stale socket: no carnetd listens on it (one stopped without removing it); "
                         "start carnetd (systemctl start carnetd.socket)",
                         path);
        else
                snprintf(err, errlen, "cannot reach carnetd at %s: %s", path, strerror(-r));
        return r;
}

/* Runs one transfer with everything set up; the common part of both
 * calls. */
static int perform(const char *socket, const struct client_call *call, struct sink *s, struct client_reply *ret,
                   char *err, size_t errlen) {
        _cleanup_(curl_cleanupp) CURL *c = curl_easy_init();
        _cleanup_(slist_freep) struct curl_slist *hdr = NULL;
        char url[1024];

        memset(ret, 0, sizeof(*ret));
        if (!c)
                return -ENOMEM;
        int r = client_probe(socket, err, errlen);
        if (r < 0)
                return r;
        if (snprintf(url, sizeof(url), "http://localhost%s", call->path) >= (int)sizeof(url))
                return -ENAMETOOLONG;
        s->curl = c;
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, call->method);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, ret);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
        for (size_t i = 0; call->headers && call->headers[i]; i++) {
                struct curl_slist *l = curl_slist_append(hdr, call->headers[i]);
                if (!l)
                        return -ENOMEM;
                hdr = l;
        }
        if (call->body) {
                char ct[160];
                snprintf(ct, sizeof(ct), "Content-Type: %s",
                         call->content_type ? call->content_type : "application/json");
                struct curl_slist *l = curl_slist_append(hdr, ct);
                if (!l)
                        return -ENOMEM;
                hdr = l;
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len);
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, call->body);
        }
        if (call->progress) {
                curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
                curl_easy_setopt(c, CURLOPT_XFERINFODATA, call);
                curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        }
        if (hdr)
                curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
        CURLcode cc = curl_easy_perform(c);
        if (s->stream_error)
                return s->stream_error;
        if (cc != CURLE_OK) {
                if (s->overflow) {
                        snprintf(err, errlen, "carnetd's reply is larger than %u bytes", CLIENT_REPLY_MAX);
                        return -EFBIG;
                }
                snprintf(err, errlen, "cannot reach carnetd at %s: %s", socket, curl_easy_strerror(cc));
                switch (cc) {
                case CURLE_COULDNT_CONNECT:
                        return -ECONNREFUSED;
                case CURLE_PARTIAL_FILE: /* carnetd went away mid-reply (an event stream at its stop) */
                case CURLE_RECV_ERROR:
                case CURLE_SEND_ERROR:
                case CURLE_GOT_NOTHING:
                        return -ECONNRESET;
                default:
                        return -EPROTO;
                }
        }
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ret->status);
        ret->body = s->buf ? TAKE_PTR(s->buf) : strdup("");
        ret->len = s->len;
        if (!ret->body)
                return -ENOMEM;
        ret->json = json_loadb(ret->body, ret->len, JSON_REJECT_DUPLICATES, NULL);
        return 0;
}

int client_call(const char *socket, const struct client_call *call, struct client_reply *ret, char *err,
                size_t errlen) {
        struct sink s = {0};
        int r = perform(socket, call, &s, ret, err, errlen);
        free(s.buf);
        return r;
}

int client_request(const char *socket, const char *method, const char *path, const char *body,
                   const char *const *headers, struct client_reply *ret, char *err, size_t errlen) {
        const struct client_call call = client_text_call(method, path, body, headers);
        return client_call(socket, &call, ret, err, errlen);
}

int client_stream(const char *socket, const char *path, const char *const *headers,
                  int (*data_cb)(void *userdata, const char *buf, size_t len), void *userdata,
                  struct client_reply *ret, char *err, size_t errlen) {
        const struct client_call call = {.method = "GET", .path = path, .headers = headers};
        struct sink s = {.on_data = data_cb, .userdata = userdata};
        int r = perform(socket, &call, &s, ret, err, errlen);
        free(s.buf);
        return r;
}

int client_path_join(char *buf, size_t size, const char *path, const char *segment) {
        char *e = curl_easy_escape(NULL, segment, 0);
        if (!e)
                return -ENOMEM;
        int n = snprintf(buf, size, "%s/%s", path, e);
        curl_free(e);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
