/* lib/kv.c: "key = value" lines (see kv.h). */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "kv.h"

void kv_reader_init(struct kv_reader *r, FILE *f, char *line, size_t size) {
        *r = (struct kv_reader){.f = f, .line = line, .size = size};
}

char *kv_strip(char *s) {
        while (isspace((unsigned char)*s))
                s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
                *--e = '\0';
        return s;
}

int kv_next(struct kv_reader *r, char **ret_key, char **ret_value) {
        while (fgets(r->line, (int)r->size, r->f)) {
                r->lineno++;
                if (!strchr(r->line, '\n') && !feof(r->f))
                        return -E2BIG;
                /* a '#' opens a comment at the start of the line or after a
                 * blank, so that a value may hold one ("subject:O#2") */
                for (char *hash = r->line; (hash = strchr(hash, '#')); hash++)
                        if (hash == r->line || isspace((unsigned char)hash[-1])) {
                                *hash = '\0';
                                break;
                        }
                char *s = kv_strip(r->line);
                if (!*s)
                        continue;
                char *eq = strchr(s, '=');
                if (!eq)
                        return -EBADMSG;
                *eq = '\0';
                *ret_key = kv_strip(s);
                *ret_value = kv_strip(eq + 1);
                return 1;
        }
        return ferror(r->f) ? -EIO : 0;
}

const char *kv_strerror(int err) {
        switch (err) {
        case -E2BIG:
                return "line too long";
        case -EBADMSG:
                return "expected 'key = value'";
        case -EIO:
                return "read error";
        default:
                return strerror(-err);
        }
}
