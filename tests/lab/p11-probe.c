/* tests/lab/p11-probe.c: drives carnet's PKCS#11 layer (pkcs11/) and
 * session/trust.c against a real module inside the lab (OpenSC's
 * opensc-pkcs11.so over pcscd + vpcd + the PIV simulator), and prints what
 * it sees as "key=value" lines for tests/lab/t-p11-*.sh to check.
 *
 *   p11-probe [OPTIONS] tokens
 *   p11-probe [OPTIONS] identity READER          identity + trust of the certificates
 *   p11-probe [OPTIONS] login READER PIN...      one login per PIN, PIN state after each
 *   p11-probe [OPTIONS] sign READER PIN ROLE     ROLE: auth | sign; signs, verifies
 *
 * OPTIONS: --module PATH (default OpenSC's), --locking module|carnet
 * (p11_module_open_locking(), default module), --anchors PEM (default
 * $CARNET_PKI/ca-chain.pem), --map KEY=VALUE (p11_map_set(), repeatable),
 * --before-sign CMD (run with system() after login, right before the
 * signature: the lab uses it to arm "pull-after N" on the simulator).
 * Exit status: 0 when every operation asked for worked, 1 otherwise, 2 on
 * usage errors.  Never prints a PIN. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "session/trust.h"
#include "pkcs11/p11-card.h"
#include "pkcs11/p11-identity.h"
#include "pkcs11/p11-module.h"
#include "lib/macro.h"

static const char *module_path;
static const char *anchors_path;
static const char *before_sign;
static enum p11_locking locking = P11_LOCKING_MODULE;
static struct p11_map map;

static void print_error(const char *what, int r, const struct p11_error *e) {
        printf("%s rc=%d code=%s rv=0x%lx pin_state=%s tries_left=%d check_reader=%d\n", what, r,
               e ? e->code : "-", e ? (unsigned long)e->rv : 0UL,
               e ? p11_pin_state_to_string(e->pin_state) : "-", e ? e->tries_left : -1,
               e ? e->check_reader : 0);
}

static int open_reader(struct p11_module *m, const char *reader, struct p11_card **ret) {
        struct p11_token t;
        int r = p11_module_token_for_reader(m, reader, &t);
        if (r < 0) {
                printf("reader=\"%s\" rc=%d code=no_token\n", reader, r);
                return r;
        }
        r = p11_card_open(m, t.slot, &map, ret);
        if (r < 0)
                printf("open rc=%d\n", r);
        return r;
}

static int cmd_tokens(struct p11_module *m) {
        struct p11_token t[P11_TOKENS_MAX];
        int n = p11_module_tokens(m, t, ELEMENTSOF(t));
        if (n < 0) {
                printf("tokens rc=%d\n", n);
                return 1;
        }
        printf("tokens=%d\n", n);
        for (int i = 0; i < n && i < (int)ELEMENTSOF(t); i++)
                printf("token slot=%lu reader=\"%s\" label=\"%s\" serial=\"%s\" model=\"%s\" "
                       "pin_state=%s pinpad=%d\n",
                       (unsigned long)t[i].slot, t[i].reader, t[i].label, t[i].serial, t[i].model,
                       p11_pin_state_to_string(t[i].pin_state), t[i].protected_auth);
        return 0;
}

static int cmd_identity(struct p11_module *m, const char *reader) {
        struct p11_card *c = NULL;
        if (open_reader(m, reader, &c) < 0)
                return 1;
        int status = 0;
        printf("token label=\"%s\" reader=\"%s\" certs=%zu\n", p11_card_token(c)->label,
               p11_card_token(c)->reader, p11_card_ncerts(c));
        struct p11_identity id;
        int r = p11_card_identity(c, &id);
        if (r < 0) {
                printf("identity rc=%d\n", r);
                status = 1;
        } else
                printf("identity national_id=%s surname=%s given_name=%s profession=%s specialty=%s "
                       "card_type=%s\n",
                       id.national_id, id.surname, id.given_name, id.profession[0] ? id.profession : "-",
                       id.specialty[0] ? id.specialty : "-", p11_card_type_to_string(id.card_type));

        struct trust_store *anchors = NULL;
        if (trust_store_load(anchors_path, &anchors) < 0) {
                printf("anchors rc=error path=%s\n", anchors_path);
                p11_card_close(c);
                return 1;
        }
        static const char *const names[] = {"auth", "sign"};
        static const enum trust_usage usage[] = {TRUST_USAGE_AUTH, TRUST_USAGE_SIGN};
        for (int role = 0; role < 2; role++) {
                const struct p11_cert *x = p11_card_cert(c, role);
                if (!x) {
                        printf("cert role=%s present=0\n", names[role]);
                        status = 1;
                        continue;
                }
                struct trust_error e;
                r = trust_verify_cert(anchors, x->der, x->der_len, 0, usage[role], &e);
                printf("cert role=%s present=1 id=%02x trust=%s detail=\"%s\"\n", names[role],
                       x->id_len ? x->id[0] : 0, e.code, e.detail);
                if (r < 0)
                        status = 1;
        }
        trust_store_free(anchors);
        p11_card_close(c);
        return status;
}

static int cmd_login(struct p11_module *m, const char *reader, char **pins, int npins) {
        struct p11_card *c = NULL;
        if (open_reader(m, reader, &c) < 0)
                return 1;
        int status = 0;
        for (int i = 0; i < npins; i++) {
                int r = p11_card_login(c, pins[i], strlen(pins[i]));
                char what[32];
                snprintf(what, sizeof(what), "login n=%d", i + 1);
                print_error(what, r, p11_card_error(c));
                if (r == 0) {
                        printf("token pin_state=%s\n", p11_pin_state_to_string(p11_card_token(c)->pin_state));
                        p11_card_logout(c);
                } else
                        status = 1;
        }
        p11_card_close(c);
        return status;
}

static int cmd_sign(struct p11_module *m, const char *reader, char *pin, const char *role_name) {
        static const char record[] = "carnet lab session record: nonce=0123456789abcdef";
        enum p11_role role = strcmp(role_name, "sign") == 0 ? P11_ROLE_SIGN : P11_ROLE_AUTH;
        struct p11_card *c = NULL;
        if (open_reader(m, reader, &c) < 0)
                return 1;
        int status = 1;
        int r = p11_card_login(c, pin, strlen(pin));
        if (r < 0) {
                print_error("login", r, p11_card_error(c));
                goto out;
        }
        enum p11_key_type type;
        bool always;
        r = p11_card_key_info(c, role, &type, &always);
        if (r < 0) {
                print_error("key", r, p11_card_error(c));
                goto out;
        }
        printf("key role=%s type=%s always_authenticate=%d\n", role_name,
               type == P11_KEY_RSA ? "rsa" : type == P11_KEY_EC ? "ec" : "?", always);

        uint8_t digest[32], sig[P11_SIG_MAX];
        unsigned dlen = 32;
        EVP_Digest(record, sizeof(record), digest, &dlen, EVP_sha256(), NULL);
        if (before_sign && system(before_sign) != 0)
                printf("before-sign command failed\n");
        r = p11_card_sign(c, role, digest, pin, strlen(pin), sig, sizeof(sig));
        if (r < 0) {
                print_error("sign", r, p11_card_error(c));
                printf("slot_present=%d\n", p11_module_slot_present(m, p11_card_token(c)->slot));
                goto out;
        }
        const struct p11_cert *x = p11_card_cert(c, role);
        struct trust_error e;
        int v = trust_verify_signature(x->der, x->der_len, record, sizeof(record), sig, (size_t)r, &e);
        printf("sign role=%s len=%d verify=%s\n", role_name, r, e.code);
        status = v == 0 ? 0 : 1;
out:
        p11_card_close(c);
        return status;
}

static int usage(void) {
        fprintf(stderr, "usage: p11-probe [--module PATH] [--locking module|carnet] [--anchors PEM] [--map K=V]... [--before-sign CMD] "
                        "tokens | identity READER | login READER PIN... | sign READER PIN auth|sign\n");
        return 2;
}

int main(int argc, char **argv) {
        static char anchors_default[512];
        setvbuf(stdout, NULL, _IOLBF, 0); /* lines survive a kill */
        const char *pki = getenv("CARNET_PKI");
        if (pki) {
                snprintf(anchors_default, sizeof(anchors_default), "%s/ca-chain.pem", pki);
                anchors_path = anchors_default;
        }
        p11_map_default(&map);
        int i = 1;
        for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
                if (i + 1 >= argc)
                        return usage();
                if (strcmp(argv[i], "--module") == 0)
                        module_path = argv[i + 1];
                else if (strcmp(argv[i], "--anchors") == 0)
                        anchors_path = argv[i + 1];
                else if (strcmp(argv[i], "--locking") == 0)
                        locking = strcmp(argv[i + 1], "carnet") == 0 ? P11_LOCKING_CARNET : P11_LOCKING_MODULE;
                else if (strcmp(argv[i], "--before-sign") == 0)
                        before_sign = argv[i + 1];
                else if (strcmp(argv[i], "--map") == 0) {
                        char kv[256];
                        snprintf(kv, sizeof(kv), "%s", argv[i + 1]);
                        char *eq = strchr(kv, '=');
                        if (!eq)
                                return usage();
                        *eq = '\0';
                        if (p11_map_set(&map, kv, eq + 1) < 0) {
                                fprintf(stderr, "p11-probe: bad --map %s\n", argv[i + 1]);
                                return 2;
                        }
                } else
                        return usage();
        }
        if (i >= argc)
                return usage();
        const char *cmd = argv[i++];
        struct p11_module *m = NULL;
        int r = p11_module_open_locking(module_path, locking, &m);
        if (r < 0) {
                printf("module rc=%d path=%s\n", r, module_path ? module_path : P11_DEFAULT_MODULE);
                return 1;
        }
        int status;
        if (strcmp(cmd, "tokens") == 0)
                status = cmd_tokens(m);
        else if (strcmp(cmd, "identity") == 0 && argc - i == 1 && anchors_path)
                status = cmd_identity(m, argv[i]);
        else if (strcmp(cmd, "login") == 0 && argc - i >= 2)
                status = cmd_login(m, argv[i], argv + i + 1, argc - i - 1);
        else if (strcmp(cmd, "sign") == 0 && argc - i == 3)
                status = cmd_sign(m, argv[i], argv[i + 1], argv[i + 2]);
        else
                status = usage();
        p11_module_close(m);
        return status;
}
