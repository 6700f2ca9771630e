/* agent/agent.c: the dossier host's client over libcurl (agent.h). */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/macro.h"
#include "lib/media-type.h"
#include "lib/readall.h"
#include "lib/url.h"
#include "agent.h"

#define URL_MAX 8192

struct agent {
        /* the host processes, used in turn (dossier_host lists one or more) */
        char *urls[AGENT_HOSTS_MAX];
        size_t n_urls;
        atomic_uint next;
        char *cert, *key, *ca;
        unsigned timeout_ms;
        size_t reply_max;
        CURLSH *share; /* TLS sessions, DNS answers, kept connections, between threads */
        pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
};

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access acc, void *userdata) {
        struct agent *a = userdata;
        pthread_mutex_lock(&a->locks[(unsigned)d < CURL_LOCK_DATA_LAST ? d : 0]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *userdata) {
        struct agent *a = userdata;
        pthread_mutex_unlock(&a->locks[(unsigned)d < CURL_LOCK_DATA_LAST ? d : 0]);
}

void agent_free(struct agent *a) {
        if (!a)
                return;
        if (a->share)
                curl_share_cleanup(a->share);
        for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
                pthread_mutex_destroy(&a->locks[i]);
        for (size_t i = 0; i < a->n_urls; i++)
                free(a->urls[i]);
        free(a->cert);
        free(a->key);
        free(a->ca);
        free(a);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct agent, agent_free);

static char *dup_or_null(const char *s) {
        return s && s[0] ? strdup(s) : NULL;
}

/* Splits the configured list (URLs separated by spaces or commas) into
 * a->urls, each https://, at most 512 bytes, its trailing slashes cut. */
static int urls_parse(struct agent *a, const char *list) {
        const char *sep = " \t,";
        for (const char *p = list + strspn(list, sep); *p; p += strspn(p, sep)) {
                size_t n = strcspn(p, sep);
                if (a->n_urls == AGENT_HOSTS_MAX || n > 512 || n < 9 || strncmp(p, "https://", 8) != 0)
                        return -EINVAL;
                char *u = strndup(p, n);
                if (!u)
                        return -ENOMEM;
                while (n > 8 && u[n - 1] == '/')
                        u[--n] = '\0';
                a->urls[a->n_urls++] = u;
                p += strcspn(p, sep);
        }
        return a->n_urls ? 0 : -EINVAL;
}

int agent_new(const struct agent_config *cfg, struct agent **ret) {
        if (!cfg->url || strlen(cfg->url) > AGENT_HOSTS_MAX * 513)
                return -EINVAL;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -EIO;
        _cleanup_(agent_freep) struct agent *a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
                pthread_mutex_init(&a->locks[i], NULL);
        int r = urls_parse(a, cfg->url);
        if (r < 0)
                return r;
        a->cert = dup_or_null(cfg->cert);
        a->key = dup_or_null(cfg->key);
        a->ca = dup_or_null(cfg->ca);
        if ((cfg->cert && cfg->cert[0] && !a->cert) || (cfg->key && cfg->key[0] && !a->key) ||
            (cfg->ca && cfg->ca[0] && !a->ca))
                return -ENOMEM;
        a->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : AGENT_TIMEOUT_DEFAULT_MS;
        a->reply_max = cfg->reply_max ? cfg->reply_max : AGENT_REPLY_MAX_DEFAULT;
        a->share = curl_share_init();
        if (!a->share)
                return -ENOMEM;
        curl_share_setopt(a->share, CURLSHOPT_LOCKFUNC, share_lock);
        curl_share_setopt(a->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
        curl_share_setopt(a->share, CURLSHOPT_USERDATA, a);
        curl_share_setopt(a->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        curl_share_setopt(a->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        /* kept connections, for reads only (request_setup) */
        curl_share_setopt(a->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
        *ret = TAKE_PTR(a);
        return 0;
}

const char *agent_error_code(int err) {
        switch (err) {
        case -EHOSTUNREACH: return "host_unreachable";
        case -ETIMEDOUT: return "host_timeout";
        case -EBADMSG: return "host_bad_reply";
        default: return "internal";
        }
}

const char *agent_error_message(int err) {
        switch (err) {
        case -EHOSTUNREACH:
                return "the dossier host cannot be reached (name, connection or TLS handshake refused)";
        case -ETIMEDOUT:
                return "the dossier host did not answer in time; a write may or may not have been done "
                       "(it is not sent again: look before retrying)";
        case -EBADMSG: return "the dossier host answered something that is not a valid reply";
        default: return "the dossier host could not be asked";
        }
}

void agent_reply_done(struct agent_reply *r) {
        if (!r)
                return;
        if (r->body) {
                secure_zero(r->body, r->len);
                free(r->body);
        }
        json_decref(r->json);
        memset(r, 0, sizeof(*r));
}

/* The reply as it arrives: bounded. */
struct sink {
        struct agent_reply *rep;
        size_t cap, max;
};

static size_t on_body(char *p, size_t size, size_t n, void *userdata) {
        struct sink *s = userdata;
        struct agent_reply *r = s->rep;
        size_t len = size * n;
        if (len > s->max - r->len)
                return 0; /* past reply_max: CURLE_WRITE_ERROR */
        if (r->len + len + 1 > s->cap) {
                size_t cap = s->cap ? s->cap : 4096;
                while (cap < r->len + len + 1)
                        cap *= 2;
                if (secure_grow(&r->body, r->len, &s->cap, cap) < 0)
                        return 0;
        }
        memcpy(r->body + r->len, p, len);
        r->len += len;
        r->body[r->len] = 0;
        return len;
}

/* Adds the n bytes at v to the Vary list out (of size): a field more
 * joins the list with ", " (RFC 9110 5.3); "*" when the list would not
 * fit, as a shorter one would name fewer headers than the host's. */
static void vary_add(char *out, size_t size, const char *v, size_t n) {
        size_t have = strlen(out), sep = have && n ? 2 : 0;
        if (strcmp(out, "*") == 0 || n == 0)
                return;
        if (have + sep + n >= size) {
                (void)strcpy_bounded(out, size, "*");
                return;
        }
        memcpy(out + have, ", ", sep);
        memcpy(out + have + sep, v, n);
        out[have + sep + n] = '\0';
}

/* Keeps the X-Carnet-Warning, ETag, Last-Modified and Vary headers (the
 * others curl reads itself). */
static size_t on_header(char *p, size_t size, size_t n, void *userdata) {
        struct agent_reply *r = userdata;
        size_t len = size * n;
        const struct {
                const char *name;
                char *out;
                size_t size;
                bool list; /* each field added to the list, not in place of the last */
        } keep[] = {{"X-Carnet-Warning:", r->warning, sizeof(r->warning), false},
                    {"ETag:", r->etag, sizeof(r->etag), false},
                    {"Last-Modified:", r->last_modified, sizeof(r->last_modified), false},
                    {"Vary:", r->vary, sizeof(r->vary), true}};
        for (size_t h = 0; h < ELEMENTSOF(keep); h++) {
                size_t nl = strlen(keep[h].name);
                if (len <= nl || strncasecmp(p, keep[h].name, nl) != 0)
                        continue;
                size_t i = nl, end = len;
                while (i < end && (p[i] == ' ' || p[i] == '\t'))
                        i++;
                while (end > i && isspace((unsigned char)p[end - 1]))
                        end--;
                if (keep[h].list) {
                        vary_add(keep[h].out, keep[h].size, p + i, end - i);
                        continue;
                }
                size_t k = end - i < keep[h].size - 1 ? end - i : keep[h].size - 1;
                memcpy(keep[h].out, p + i, k);
                keep[h].out[k] = '\0';
        }
        return len;
}

/* The host's URL of path (decoded, each segment escaped again) and query. */
static int build_url(const char *base, const char *path, const struct agent_param *q, size_t nq,
                     char out[URL_MAX]) {
        if (!path || path[0] != '/' || strlen(base) >= URL_MAX)
                return -EINVAL;
        strcpy(out, base);
        int r = url_append(out, URL_MAX, path, "/");
        for (size_t i = 0; r == 0 && i < nq; i++) {
                r = url_append(out, URL_MAX, i ? "&" : "?", "&?");
                if (r == 0)
                        r = url_append(out, URL_MAX, q[i].name, NULL);
                if (r == 0 && q[i].value && q[i].value[0])
                        r = url_append(out, URL_MAX, "=", "=");
                if (r == 0 && q[i].value && q[i].value[0])
                        r = url_append(out, URL_MAX, q[i].value, NULL);
        }
        return r;
}

/* A curl failure as an agent error; errbuf is curl's words for it.  With
 * TLS 1.3 a server refuses the client's certificate after the client has
 * sent its request: that alert is a TLS refusal, not a reply. */
static int curl_errno(CURLcode c, const char *errbuf) {
        if ((c == CURLE_RECV_ERROR || c == CURLE_SEND_ERROR) && strstr(errbuf, "alert"))
                return -EHOSTUNREACH;
        switch (c) {
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_UNSUPPORTED_PROTOCOL: /* HTTP/0.9: not an HTTP reply */
        case CURLE_GOT_NOTHING:
        case CURLE_RECV_ERROR:
        case CURLE_WRITE_ERROR: /* past reply_max */
        case CURLE_PARTIAL_FILE:
        case CURLE_BAD_CONTENT_ENCODING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
                return -EBADMSG;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        default: /* DNS, connect, TLS handshake, certificates */
                return -EHOSTUNREACH;
        }
}

/* The host's native replies (a FHIR one, application/fhir+json, is
 * relayed as its bytes): lib/media-type.h. */
static bool is_json_type(const char *ct) {
        struct media_type m;
        return media_type_parse(ct, strlen(ct), &m) == 0 && media_type_is(&m, "application/json");
}

/* Status, content type and (for JSON) the parsed body, once curl is done. */
static int reply_finish(CURL *h, struct agent_reply *r) {
        long status = 0;
        char *ct = NULL;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
        if (status < 100 || status > 599)
                return -EBADMSG;
        r->status = (unsigned)status;
        if (ct && strcpy_bounded(r->content_type, sizeof(r->content_type), ct) < 0)
                return -EBADMSG;
        if (is_json_type(r->content_type)) {
                r->json = json_loadb(r->body ? (const char *)r->body : "", r->len, JSON_REJECT_DUPLICATES, NULL);
                if (!r->json)
                        return -EBADMSG;
        }
        return 0;
}

/* A request's body: bytes in memory, or len bytes of a file (fd >= 0)
 * that libcurl reads as it sends, from offset 0 on each attempt. */
struct payload {
        const void *body;
        size_t len;
        int fd;
        size_t off;
};

static size_t on_read(char *buf, size_t size, size_t n, void *userdata) {
        struct payload *p = userdata;
        size_t want = size * n < p->len - p->off ? size * n : p->len - p->off;
        if (want == 0)
                return 0;
        long k = pread_some(p->fd, buf, want, p->off);
        if (k <= 0)
                return CURL_READFUNC_ABORT; /* a short file: the host gets a short body and refuses */
        p->off += (size_t)k;
        return (size_t)k;
}

/* The body of a write: in memory, or read from its file as it is sent. */
static void body_setup(CURL *h, struct payload *p) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->len);
        if (p->fd < 0) {
                curl_easy_setopt(h, CURLOPT_POSTFIELDS, p->body ? p->body : "");
                return;
        }
        p->off = 0;
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, p);
}

/* One easy handle, its options and headers. */
static int request_setup(struct agent *a, CURL *h, const char *method, const char *url, struct curl_slist *hdr,
                         struct payload *p, struct sink *s) {
        bool ok = curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK &&
                  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK;
        if (!ok)
                return -EINVAL;
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_SHARE, a->share);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)a->timeout_ms);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)a->timeout_ms);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        /* A write gets a connection of its own, never reused: curl resends
         * a request whose reused connection turned out dead, and a write
         * must never be sent twice.  A read (GET, HEAD) may reuse a kept
         * connection (the share's pool): sent again, it changes nothing
         * but one more trail entry of the same read. */
        bool read_only = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, read_only ? 0L : 1L);
        curl_easy_setopt(h, CURLOPT_FORBID_REUSE, read_only ? 0L : 1L);
        /* room in the shared pool for one kept connection per request thread */
        curl_easy_setopt(h, CURLOPT_MAXCONNECTS, 64L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
        if (a->ca)
                curl_easy_setopt(h, CURLOPT_CAINFO, a->ca);
        if (a->cert)
                curl_easy_setopt(h, CURLOPT_SSLCERT, a->cert);
        if (a->key)
                curl_easy_setopt(h, CURLOPT_SSLKEY, a->key);
        if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
                curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        else
                body_setup(h, p);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, s->rep);
        return 0;
}

static int header_add(struct curl_slist **l, const char *name, const char *value) {
        if (!name[0] || strpbrk(value, "\r\n") || strpbrk(name, "\r\n: "))
                return 0; /* not sent */
        size_t nl = strlen(name), vl = strlen(value);
        _cleanup_free_ char *line = malloc(nl + vl + 3);
        if (!line)
                return -ENOMEM;
        memcpy(line, name, nl);
        memcpy(line + nl, ": ", 2);
        memcpy(line + nl + 2, value, vl + 1);
        struct curl_slist *t = curl_slist_append(*l, line);
        secure_zero(line, nl + vl + 3);
        if (!t)
                return -ENOMEM;
        *l = t;
        return 0;
}

/* "Name:" in the list: libcurl sends no header of that name (no default
 * of its own). */
static int header_suppress(struct curl_slist **l, const char *line) {
        struct curl_slist *t = curl_slist_append(*l, line);
        if (!t)
                return -ENOMEM;
        *l = t;
        return 0;
}

/* The request's headers: the caller's, the token; no Expect, and no
 * Content-Type nor Accept unless given (libcurl would send its own). */
static struct curl_slist *headers_of(const char *token, const struct agent_param *h, size_t n) {
        struct curl_slist *l = NULL;
        bool ct = false, accept = false;
        int r = header_suppress(&l, "Expect:");
        for (size_t i = 0; r == 0 && i < n && i < AGENT_HEADERS_MAX; i++) {
                ct |= strcasecmp(h[i].name, "Content-Type") == 0;
                accept |= strcasecmp(h[i].name, "Accept") == 0;
                r = header_add(&l, h[i].name, h[i].value);
        }
        if (r == 0 && !ct)
                r = header_suppress(&l, "Content-Type:");
        if (r == 0 && !accept)
                r = header_suppress(&l, "Accept:");
        if (r == 0 && token)
                r = header_add(&l, "X-Carnet-Session", token);
        if (r < 0) {
                curl_slist_free_all(l);
                return NULL;
        }
        return l;
}

static void headers_free(struct curl_slist *l) {
        for (struct curl_slist *p = l; p; p = p->next)
                secure_zero(p->data, strlen(p->data));
        curl_slist_free_all(l);
}

/* One request to the host process base; CURLE_COULDNT_CONNECT in *ret_c
 * when it could not be reached at all (nothing was sent). */
static int forward_to(struct agent *a, const char *base, const char *method, const char *path,
                      const struct agent_param *query, size_t n_query, struct curl_slist *hdr, struct payload *p,
                      struct agent_reply *rep, CURLcode *ret_c) {
        _cleanup_free_ char *url = malloc(URL_MAX);
        struct sink s = {.rep = rep, .max = a->reply_max};
        int r;

        *ret_c = CURLE_OK;
        if (!url)
                return -ENOMEM;
        url[0] = '\0';
        if ((r = build_url(base, path, query, n_query, url)) < 0)
                return r;
        CURL *h = curl_easy_init();
        if (!h)
                r = -ENOMEM;
        else if ((r = request_setup(a, h, method, url, hdr, p, &s)) == 0) {
                char errbuf[CURL_ERROR_SIZE] = "";
                curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
                CURLcode c = curl_easy_perform(h); /* never retried: a write is sent once */
                r = c == CURLE_OK ? reply_finish(h, rep) : curl_errno(c, errbuf);
                *ret_c = c;
        }
        if (h)
                curl_easy_cleanup(h);
        secure_zero(url, URL_MAX);
        return r;
}

static int forward_payload(struct agent *a, const char *method, const char *path, const struct agent_param *query,
                           size_t n_query, const char *token, const struct agent_param *headers, size_t n_headers,
                           struct payload *p, struct agent_reply *ret) {
        struct agent_reply rep = {0};
        struct curl_slist *hdr = headers_of(token, headers, n_headers);
        int r = -ENOMEM;

        if (!hdr)
                return -ENOMEM;
        /* the host processes in turn; one that refuses the connection (so
         * that nothing was sent) gives way to the next, never one that
         * took the request */
        size_t first = atomic_fetch_add(&a->next, 1) % a->n_urls;
        for (size_t k = 0; k < a->n_urls; k++) {
                CURLcode c;
                agent_reply_done(&rep);
                r = forward_to(a, a->urls[(first + k) % a->n_urls], method, path, query, n_query, hdr, p, &rep, &c);
                if (c != CURLE_COULDNT_CONNECT)
                        break;
        }
        headers_free(hdr);
        if (r < 0) {
                agent_reply_done(&rep);
                return r;
        }
        *ret = rep;
        return 0;
}

int agent_forward(struct agent *a, const char *method, const char *path, const struct agent_param *query,
                  size_t n_query, const char *token, const struct agent_param *headers, size_t n_headers,
                  const void *body, size_t len, struct agent_reply *ret) {
        struct payload p = {.body = body, .len = len, .fd = -1};
        return forward_payload(a, method, path, query, n_query, token, headers, n_headers, &p, ret);
}

int agent_forward_file(struct agent *a, const char *method, const char *path, const struct agent_param *query,
                       size_t n_query, const char *token, const struct agent_param *headers, size_t n_headers, int fd,
                       size_t len, struct agent_reply *ret) {
        if (fd < 0)
                return -EBADF;
        struct payload p = {.len = len, .fd = fd};
        return forward_payload(a, method, path, query, n_query, token, headers, n_headers, &p, ret);
}

/* ---- the /v1/host calls ---------------------------------------------------- */

static const struct agent_param json_ct = {"Content-Type", "application/json"};

static bool is_hex64(const char *s) {
        return s && strlen(s) == AGENT_TOKEN_LEN && strspn(s, "0123456789abcdef") == AGENT_TOKEN_LEN;
}

/* Copies the 64-hex member name of the host's JSON reply into out. */
static int hex_member(const struct agent_reply *r, const char *name, char out[AGENT_TOKEN_LEN + 1]) {
        const char *v = json_string_value(json_object_get(r->json, name));
        if (!json_is_object(r->json) || !is_hex64(v))
                return -EBADMSG;
        memcpy(out, v, AGENT_TOKEN_LEN + 1);
        return 0;
}

/* Is r the host's error shape ({"error":{"code":...}})? */
static bool error_reply(const struct agent_reply *r) {
        return r->status >= 400 && json_is_string(json_object_get(json_object_get(r->json, "error"), "code"));
}

int agent_challenge(struct agent *a, char ret[AGENT_TOKEN_LEN + 1]) {
        struct agent_reply rep = {0};
        int r = agent_forward(a, "POST", "/v1/host/challenges", NULL, 0, NULL, NULL, 0, NULL, 0, &rep);
        if (r < 0)
                return r;
        r = rep.status == 201                        ? hex_member(&rep, "challenge", ret)
            : rep.status == 403 && error_reply(&rep) ? -EACCES /* workstation_refused */
                                                     : -EBADMSG;
        agent_reply_done(&rep);
        return r;
}

/* Base64 of n bytes (malloc'ed). */
static char *base64_of(const uint8_t *b, size_t n) {
        if (n > (1u << 24))
                return NULL;
        char *out = malloc(4 * ((n + 2) / 3) + 1);
        if (out)
                EVP_EncodeBlock((unsigned char *)out, b, (int)n);
        return out;
}

int agent_open_session(struct agent *a, const char *record, const uint8_t *sig, size_t sig_len,
                       const uint8_t *cert_der, size_t cert_len, char ret_token[AGENT_TOKEN_LEN + 1],
                       struct agent_reply *ret_refusal) {
        _cleanup_free_ char *s64 = base64_of(sig, sig_len), *c64 = base64_of(cert_der, cert_len);
        struct agent_reply rep = {0};
        if (!s64 || !c64 || !record)
                return -ENOMEM;
        json_t *o = json_pack("{s:s,s:s,s:s}", "record", record, "signature", s64, "certificate", c64);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (!text)
                return -ENOMEM;
        int r = agent_forward(a, "POST", "/v1/host/sessions", NULL, 0, NULL, &json_ct, 1, text, strlen(text), &rep);
        free(text);
        if (r < 0)
                return r;
        if (rep.status == 201 && (r = hex_member(&rep, "token", ret_token)) == 0) {
                agent_reply_done(&rep);
                return 0;
        }
        if (rep.status != 201 && error_reply(&rep)) {
                *ret_refusal = rep;
                return -EPERM;
        }
        agent_reply_done(&rep);
        return -EBADMSG;
}

int agent_close_session(struct agent *a, const char *token) {
        struct agent_reply rep = {0};
        int r = agent_forward(a, "DELETE", "/v1/host/sessions/current", NULL, 0, token, NULL, 0, NULL, 0, &rep);
        agent_reply_done(&rep);
        return r < 0 ? r : 0;
}

/* A call about the token's host session, whose reply must be JSON. */
static int session_call(struct agent *a, const char *method, const char *path, const char *token, const char *body,
                        size_t len, struct agent_reply *ret) {
        int r = agent_forward(a, method, path, NULL, 0, token, body ? &json_ct : NULL, body ? 1 : 0, body, len, ret);
        if (r == 0 && !ret->json) {
                agent_reply_done(ret);
                return -EBADMSG;
        }
        return r;
}

int agent_set_mode(struct agent *a, const char *token, const char *body, size_t len, struct agent_reply *ret) {
        return session_call(a, "PUT", "/v1/host/sessions/current/mode", token, body ? body : "", len, ret);
}

int agent_get_session(struct agent *a, const char *token, struct agent_reply *ret) {
        return session_call(a, "GET", "/v1/host/sessions/current", token, NULL, 0, ret);
}
