/* http/tls.c: the client certificate of a TLS connection; see tls.h. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tls.h"

/* The subject CN of a DER certificate into cn ("" when it has none or an
 * unusable one: not printable ASCII, empty, too long). */
static void cert_cn(const gnutls_datum_t *der, char *cn, size_t cn_size) {
        gnutls_x509_crt_t crt;
        char buf[256];
        size_t n = sizeof(buf);

        cn[0] = '\0';
        if (gnutls_x509_crt_init(&crt) < 0)
                return;
        if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) == 0 &&
            gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &n) == 0 && n > 0 &&
            n < cn_size && n < sizeof(buf)) {
                buf[n] = '\0';
                bool ok = strlen(buf) == n;
                for (size_t i = 0; ok && i < n; i++)
                        ok = buf[i] > ' ' && buf[i] < 0x7f;
                if (ok)
                        memcpy(cn, buf, n + 1);
        }
        gnutls_x509_crt_deinit(crt);
}

int http_tls_peer(void *tls_session, char *ret_cn, size_t cn_size) {
        gnutls_session_t session = tls_session;
        unsigned n = 0, status = 0;

        if (!ret_cn || cn_size == 0)
                return -EINVAL;
        ret_cn[0] = '\0';
        if (!session)
                return -ENOKEY;
        const gnutls_datum_t *peers = gnutls_certificate_get_peers(session, &n);
        if (!peers || n == 0)
                return -ENOKEY;
        cert_cn(&peers[0], ret_cn, cn_size);
        /* the chain against the trust list, dates, signatures, and the
         * purpose: a client certificate (extendedKeyUsage clientAuth), so
         * that the host's own server certificate names no workstation */
        gnutls_typed_vdata_st purpose = {.type = GNUTLS_DT_KEY_PURPOSE_OID,
                                         .data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT};
        if (gnutls_certificate_verify_peers(session, &purpose, 1, &status) < 0 || status != 0 || !ret_cn[0])
                return -EPERM;
        return 0;
}
