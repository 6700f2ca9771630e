/* cli/cmd-doc.c: carnetctl doc list|show|get|put|replace|archive|mask|
 * unmask|release: the documents of a dossier. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "lib/readall.h"
#include "lib/macro.h"
#include "show.h"

/* carnetctl reads at most this much to send (carnetd's own limit,
 * body_max, is 20 MiB by default and answers 413 past it). */
#define DOC_UPLOAD_MAX (64u * 1024 * 1024)
/* Uploads from this size on show their progress on a terminal. */
#define DOC_PROGRESS_MIN (256u * 1024)

#define SUB_USAGE(name)                                                                 \
        do {                                                                            \
                fprintf(stderr, "carnetctl: see carnetctl doc --help (%s)\n", name);    \
                return CTL_EXIT_USAGE;                                                  \
        } while (0)

/* ---- list ------------------------------------------------------------------ */

/* The flags column: what a reader must notice about a document. */
static void doc_flags(const json_t *d, char *buf, size_t size) {
        const char *status = show_str(d, "status", "approved");
        snprintf(buf, size, "%s%s%s%s%s", json_is_true(json_object_get(d, "masked")) ? "masked " : "",
                 json_is_true(json_object_get(d, "hidden_from_patient")) ? "held " : "",
                 json_is_true(json_object_get(d, "patient_deposit")) ? "patient " : "",
                 strcmp(status, "approved") != 0 ? status : "", "");
        size_t n = strlen(buf);
        if (n && buf[n - 1] == ' ')
                buf[n - 1] = '\0';
}

static void print_list(const json_t *j, void *userdata) {
        json_t *docs = json_object_get(j, "documents"), *d;
        size_t i;
        char created[32];
        printf("dossier %s: %zu document(s)%s\n", show_str(j, "ins", "?"), json_array_size(docs),
               json_is_true(json_object_get(j, "first_search")) ? " (first search: approved, last 2 years)" : "");
        if (json_array_size(docs) == 0)
                return;
        printf("%-32s %-16s %-12s %-9s %-30s %-12s %s\n", "UID", "CREATED", "SECTION", "TYPE", "TITLE", "AUTHOR",
               "FLAGS");
        json_array_foreach(docs, i, d) {
                char flags[64];
                doc_flags(d, flags, sizeof(flags));
                printf("%-32s ", show_str(d, "uid", "?"));
                printf("%-16s ", show_time(json_integer_value(json_object_get(d, "created_at")), created,
                                           sizeof(created)));
                show_cell(show_str(d, "section", "-"), 12);
                show_cell(show_str(d, "type_code", "?"), 9);
                show_cell(show_str(d, "title", ""), 30);
                show_cell(show_str(json_object_get(d, "author"), "national_id", "?"), 12);
                printf("%s\n", flags);
                const char *warning = show_str(d, "warning", NULL);
                if (warning)
                        printf("%32s ^ %s\n", "", warning);
        }
}

static int doc_list(const struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"section", required_argument, NULL, 's'}, {"class", required_argument, NULL, 'c'},
                {"type", required_argument, NULL, 't'},    {"status", required_argument, NULL, 'S'},
                {"from", required_argument, NULL, 'f'},    {"to", required_argument, NULL, 'T'},
                {"all", no_argument, NULL, 'a'},          {"page", required_argument, NULL, 'p'},
                {},
        };
        const char *q[7] = {0};
        static const char *const names[] = {"section", "class", "type", "status", "from", "to", "limit"};
        char path[2048];
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "s:c:t:S:f:T:ap:", opts, NULL)) >= 0) {
                switch (c) {
                case 's': q[0] = optarg; break;
                case 'c': q[1] = optarg; break;
                case 't': q[2] = optarg; break;
                case 'S': q[3] = optarg; break;
                case 'f': q[4] = optarg; break;
                case 'T': q[5] = optarg; break;
                case 'a': q[3] = "all"; break;
                case 'p':
                        if ((r = ctl_page_option(optarg, 1, "documents")))
                                return r;
                        q[6] = optarg;
                        break;
                default: SUB_USAGE("list");
                }
        }
        if ((r = ctl_operands("doc list", argc - optind, 1, 1)))
                return r;
        if ((r = ctl_path(path, sizeof(path), "/v1/dossiers", argv[optind], "documents", NULL)))
                return r;
        char sep = '?';
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                if (!q[i])
                        continue;
                char tmp[2048], seg[600];
                /* client_path_join encodes the value; its leading '/' is dropped */
                if (client_path_join(seg, sizeof(seg), "", q[i]) < 0 ||
                    snprintf(tmp, sizeof(tmp), "%s%c%s=%s", path, sep, names[i], seg + 1) >= (int)sizeof(tmp)) {
                        fprintf(stderr, "carnetctl: a filter is too long\n");
                        return CTL_EXIT_USAGE;
                }
                memcpy(path, tmp, strlen(tmp) + 1);
                sep = '&';
        }
        static const struct ctl_pages pages = {"document list", "documents", false};
        return ctl_pages(ctl, path, sep, &pages, print_list);
}

/* ---- show ------------------------------------------------------------------ */

static void print_doc(const json_t *d, void *userdata) {
        char t1[32], t2[32], sz[32], flags[64];
        const json_t *a = json_object_get(d, "author");
        doc_flags(d, flags, sizeof(flags));
        printf("uid:          %s\n", show_str(d, "uid", "?"));
        printf("title:        %s\n", show_str(d, "title", ""));
        printf("type:         %s (section %s), class %s\n", show_str(d, "type_code", "?"), show_str(d, "section", "-"),
               show_str(d, "class_code", "?"));
        printf("format:       %s, %s\n", show_str(d, "mime", "?"), show_str(d, "format_code", "?"));
        printf("author:       %s%s%s%s%s\n", show_str(a, "national_id", "?"), show_str(a, "institution", NULL) ? ", " : "",
               show_str(a, "institution", ""), show_str(a, "specialty", NULL) ? ", " : "", show_str(a, "specialty", ""));
        printf("created:      %s\n", show_time(json_integer_value(json_object_get(d, "created_at")), t1, sizeof(t1)));
        printf("deposited:    %s\n", show_time(json_integer_value(json_object_get(d, "deposited_at")), t2, sizeof(t2)));
        printf("size:         %s, SHA-256 %s\n",
               show_size((uint64_t)json_integer_value(json_object_get(d, "size")), sz, sizeof(sz)),
               show_str(d, "sha256", "?"));
        printf("status:       %s, version %" JSON_INTEGER_FORMAT "%s%s\n", show_str(d, "status", "?"),
               json_integer_value(json_object_get(d, "version")), show_str(d, "replaced_by", NULL) ? ", replaced by " : "",
               show_str(d, "replaced_by", ""));
        if (flags[0])
                printf("flags:        %s\n", flags);
        if (show_str(d, "warning", NULL))
                printf("WARNING:      %s\n", show_str(d, "warning", ""));
}

static int doc_show(const struct ctl *ctl, int argc, char **argv) {
        return ctl_run_operands(ctl, "doc", true, argc, argv, "GET", NULL, NULL, print_doc, NULL);
}

/* ---- get ------------------------------------------------------------------- */

static int write_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, buf, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negerrno();
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

static int doc_get(const struct ctl *ctl, int argc, char **argv) {
        static const struct option output_opt = {"output", required_argument, NULL, 'o'};
        const char *out = NULL;
        char path[1024];
        int r;

        if ((r = ctl_sub_option("doc", argc, argv, &output_opt, 2, &out)))
                return r;
        if ((r = ctl_path(path, sizeof(path), "/v1/dossiers", argv[optind], "documents", argv[optind + 1], "content",
                          NULL)))
                return r;
        bool to_stdout = !out || strcmp(out, "-") == 0;
        const struct client_call call = {.method = "GET", .path = path};
        struct client_reply rep;
        if ((r = ctl_call_full(ctl, &call, CTL_SESSION | CTL_ANY_BODY, &rep)))
                return r;
        bool text = strncmp(rep.content_type, "text/", 5) == 0 || strstr(rep.content_type, "json") ||
                    strstr(rep.content_type, "xml");
        if (to_stdout && !text && isatty(STDOUT_FILENO)) {
                fprintf(stderr, "carnetctl: the document is %s (%zu bytes): not written to a terminal; use -o FILE\n",
                        rep.content_type, rep.len);
                secure_zero(rep.body, rep.len);
                client_reply_clear(&rep);
                return CTL_EXIT_USAGE;
        }
        _cleanup_close_ int fd = to_stdout ? -1 : open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (!to_stdout && fd < 0) {
                fprintf(stderr, "carnetctl: cannot write %s: %m\n", out);
                secure_zero(rep.body, rep.len);
                client_reply_clear(&rep);
                return CTL_EXIT_REFUSED;
        }
        r = write_all(to_stdout ? STDOUT_FILENO : fd, rep.body, rep.len);
        if (r < 0)
                fprintf(stderr, "carnetctl: writing the document: %s\n", strerror(-r));
        else if (!to_stdout)
                fprintf(stderr, "carnetctl: %zu bytes (%s) written to %s\n", rep.len, rep.content_type, out);
        secure_zero(rep.body, rep.len);
        client_reply_clear(&rep);
        return r < 0 ? CTL_EXIT_REFUSED : CTL_EXIT_OK;
}

/* ---- put and replace -------------------------------------------------------- */


/* The MIME type of a file from its name, when --mime does not say. */
static const char *guess_mime(const char *name) {
        static const struct {
                const char *ext, *mime;
        } map[] = {
                {".pdf", "application/pdf"}, {".txt", "text/plain"},  {".xml", "text/xml"},
                {".json", "application/json"}, {".html", "text/html"}, {".jpg", "image/jpeg"},
                {".jpeg", "image/jpeg"},     {".png", "image/png"},   {".tif", "image/tiff"},
                {".tiff", "image/tiff"},     {".rtf", "text/rtf"},
        };
        const char *dot = strrchr(name, '.');
        for (size_t i = 0; dot && i < ELEMENTSOF(map); i++)
                if (strcasecmp(dot, map[i].ext) == 0)
                        return map[i].mime;
        return "application/octet-stream";
}

struct upload_progress {
        int last_percent;
        bool done;
};

/* On a terminal: "sending 12.0 of 20.0 MiB (60%)", redrawn in place. */
static void on_progress(void *userdata, size_t sent, size_t total) {
        struct upload_progress *p = userdata;
        char a[32], b[32];
        int percent = total ? (int)(sent * 100 / total) : 100;
        if (p->done || percent == p->last_percent)
                return;
        p->last_percent = percent;
        fprintf(stderr, "\rcarnetctl: sending %s of %s (%d%%)%s", show_size(sent, a, sizeof(a)),
                show_size(total, b, sizeof(b)), percent, percent == 100 ? ", waiting for carnetd\n" : "");
        if (percent == 100)
                p->done = true;
}

static void print_deposit(const json_t *j, void *userdata) {
        json_t *w = json_object_get(j, "warnings"), *x;
        size_t i;
        if (show_str(j, "replaces", NULL))
                printf("document %s deposited in %s, replacing %s\n", show_str(j, "uid", "?"), show_str(j, "ins", "?"),
                       show_str(j, "replaces", "?"));
        else
                printf("document %s deposited in %s\n", show_str(j, "uid", "?"), show_str(j, "ins", "?"));
        json_array_foreach(w, i, x) {
                const char *kind = show_str(x, "kind", "?"), *other = show_str(x, "other_document", NULL);
                printf("ALERT %s: %s", strcmp(kind, "interaction") == 0 ? "drug interaction" : "duplicate exam",
                       show_str(x, "detail", ""));
                if (other)
                        printf(" (with document %s)", other);
                printf("\n");
        }
        if (json_is_true(json_object_get(j, "warnings_truncated")))
                printf("ALERT: more alerts than carnetd lists\n");
}

/* Sends file as a new document at path, its metadata meta in the
 * X-Carnet-Document header; prints the deposit.  Returns the exit code. */
static int send_document(const struct ctl *ctl, const char *path, const char *file, const json_t *meta,
                         const char *mime) {
        int r;
        _cleanup_free_ char *content = NULL;
        size_t len = 0;
        if ((r = read_all_path(file, DOC_UPLOAD_MAX, &content, &len)) < 0) {
                if (r == -EFBIG)
                        fprintf(stderr, "carnetctl: %s is larger than carnetctl sends (%u MiB)\n", file,
                                DOC_UPLOAD_MAX >> 20);
                else
                        fprintf(stderr, "carnetctl: cannot read %s: %s\n", file, strerror(-r));
                return CTL_EXIT_USAGE;
        }
        /* the metadata travels in a header, as ASCII JSON; the body is the file as is */
        _cleanup_free_ char *mj = json_dumps(meta, JSON_COMPACT | JSON_ENSURE_ASCII);
        _cleanup_free_ char *hdr = NULL;
        if (!mj || asprintf(&hdr, "X-Carnet-Document: %s", mj) < 0) {
                hdr = NULL;
                return CTL_EXIT_REFUSED;
        }
        const char *headers[] = {hdr, NULL};
        struct upload_progress prog = {.last_percent = -1};
        const struct client_call call = {
                .method = "POST",
                .path = path,
                .headers = headers,
                .body = content ? content : "",
                .body_len = len,
                .content_type = mime,
                .progress = isatty(STDERR_FILENO) && len >= DOC_PROGRESS_MIN ? on_progress : NULL,
                .progress_userdata = &prog,
        };
        struct client_reply rep;
        r = ctl_call_full(ctl, &call, CTL_SESSION, &rep);
        if (prog.last_percent >= 0 && !prog.done)
                fputc('\n', stderr);
        if (content)
                secure_zero(content, len);
        if (r)
                return r;
        return ctl_print_reply(ctl, &rep, print_deposit, NULL);
}

static int doc_put_or_replace(const struct ctl *ctl, int argc, char **argv, bool replace) {
        static const struct option opts[] = {
                {"type", required_argument, NULL, 't'},        {"class", required_argument, NULL, 'c'},
                {"title", required_argument, NULL, 'T'},       {"mime", required_argument, NULL, 'm'},
                {"format", required_argument, NULL, 'F'},      {"created", required_argument, NULL, 'd'},
                {"institution", required_argument, NULL, 'I'}, {"role", required_argument, NULL, 'R'},
                {"specialty", required_argument, NULL, 'P'},   {"medicine", required_argument, NULL, 'M'},
                {"hold", no_argument, NULL, 'H'},
                {},
        };
        const char *what = replace ? "doc replace" : "doc put";
        _cleanup_(json_decrefp) json_t *meta = json_object(), *meds = json_array();
        const char *mime = NULL;
        int c, r;

        if (!meta || !meds)
                return CTL_EXIT_REFUSED;
        optind = 0;
        while ((c = getopt_long(argc, argv, "t:c:T:m:F:d:I:R:P:M:H", opts, NULL)) >= 0) {
                const char *key = NULL;
                switch (c) {
                case 't': key = "type_code"; break;
                case 'c': key = "class_code"; break;
                case 'T': key = "title"; break;
                case 'm': mime = optarg; break;
                case 'F': key = "format_code"; break;
                case 'd': key = "created_at"; break;
                case 'I': key = "institution"; break;
                case 'R': key = "role"; break;
                case 'P': key = "specialty"; break;
                case 'M': json_array_append_new(meds, json_string(optarg)); break;
                case 'H': json_object_set_new(meta, "hidden_from_patient", json_true()); break;
                default: SUB_USAGE(replace ? "replace" : "put");
                }
                if (key && json_object_set_new(meta, key, json_string(optarg)) < 0) {
                        fprintf(stderr, "carnetctl: --%s is not UTF-8 text\n", key);
                        return CTL_EXIT_USAGE;
                }
        }
        if ((r = ctl_operands(what, argc - optind, replace ? 3 : 2, replace ? 3 : 2)))
                return r;
        const char *ins = argv[optind], *old = replace ? argv[optind + 1] : NULL, *file = argv[optind + (replace ? 2 : 1)];
        if (!json_object_get(meta, "type_code") || !json_object_get(meta, "class_code") ||
            !json_object_get(meta, "title")) {
                fprintf(stderr, "carnetctl: %s needs --type, --class and --title\n", what);
                return CTL_EXIT_USAGE;
        }
        if (json_array_size(meds))
                json_object_set(meta, "medicines", meds);
        if (!mime)
                mime = strcmp(file, "-") == 0 ? "application/octet-stream" : guess_mime(file);

        char path[1024];
        if (replace)
                r = ctl_path(path, sizeof(path), "/v1/dossiers", ins, "documents", old, "replace", NULL);
        else
                r = ctl_path(path, sizeof(path), "/v1/dossiers", ins, "documents", NULL);
        if (r)
                return r;

        return send_document(ctl, path, file, meta, mime);
}

static int doc_put(const struct ctl *ctl, int argc, char **argv) {
        return doc_put_or_replace(ctl, argc, argv, false);
}

static int doc_replace(const struct ctl *ctl, int argc, char **argv) {
        return doc_put_or_replace(ctl, argc, argv, true);
}

/* ---- archive, mask, unmask, release ------------------------------------------ */

static void print_action(const json_t *j, void *userdata) {
        printf("document %s: %s\n", show_str(j, "uid", "?"), (const char *)userdata);
}

static int doc_action(const struct ctl *ctl, int argc, char **argv) {
        static const struct show_pair verbs[] = {
                {"archive", "archived"},
                {"mask", "masked (hidden from professionals but its author, the médecin traitant and those you allow)"},
                {"unmask", "unmasked"},
                {"release", "released: visible to the patient"},
        };
        const char *done = show_lookup(verbs, ELEMENTSOF(verbs), argv[0], "done");
        return ctl_run_operands(ctl, "doc", true, argc, argv, "POST", argv[0], NULL, print_action, (void *)done);
}

int cmd_doc(const struct ctl *ctl, int argc, char **argv) {
        static const struct ctl_sub subs[] = {
                {"list", doc_list},       {"show", doc_show},     {"get", doc_get},
                {"put", doc_put},         {"replace", doc_replace}, {"archive", doc_action},
                {"mask", doc_action},     {"unmask", doc_action}, {"release", doc_action},
        };
        return ctl_dispatch(ctl, "doc", subs, ELEMENTSOF(subs), argc, argv);
}
