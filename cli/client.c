/* cli/client.c: libcurl over a Unix socket. */
#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "client.h"
#include "macro.h"

struct sink {
        char *buf;
        size_t len, cap;
        bool overflow;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
        struct sink *s = userdata;
        size_t n = size * nmemb;
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

int client_request(const char *socket, const char *method, const char *path, const char *body,
                   struct client_reply *ret, char *err, size_t errlen) {
        _cleanup_(curl_cleanupp) CURL *c = curl_easy_init();
        _cleanup_(slist_freep) struct curl_slist *hdr = NULL;
        struct sink s = {0};
        char url[1024];
        struct stat st;

        memset(ret, 0, sizeof(*ret));
        if (!c)
                return -ENOMEM;
        if (stat(socket, &st) < 0) {
                int r = negerrno();
                snprintf(err, errlen, "cannot reach carnetd at %s: %s (is carnetd running?)", socket,
                         strerror(-r));
                return r;
        }
        if (snprintf(url, sizeof(url), "http://localhost%s", path) >= (int)sizeof(url))
                return -ENAMETOOLONG;
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
        if (body) {
                hdr = curl_slist_append(hdr, "Content-Type: application/json");
                curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        }
        CURLcode cc = curl_easy_perform(c);
        if (cc != CURLE_OK) {
                free(s.buf);
                if (s.overflow) {
                        snprintf(err, errlen, "carnetd's reply is larger than %u bytes", CLIENT_REPLY_MAX);
                        return -EFBIG;
                }
                snprintf(err, errlen, "cannot reach carnetd at %s: %s", socket, curl_easy_strerror(cc));
                return cc == CURLE_COULDNT_CONNECT ? -ECONNREFUSED : -EPROTO;
        }
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ret->status);
        ret->body = s.buf ? s.buf : strdup("");
        ret->len = s.len;
        if (!ret->body)
                return -ENOMEM;
        ret->json = json_loadb(ret->body, ret->len, JSON_REJECT_DUPLICATES, NULL);
        return 0;
}
