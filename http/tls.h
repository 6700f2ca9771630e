/* http/tls.h: who is at the other end of a TLS connection (carnet-hostd).
 *
 * libmicrohttpd's HTTPS is GnuTLS, so the client certificate is read with
 * GnuTLS here and nowhere else: http_tls_peer() verifies the peer's
 * certificate against the trust list the server was given (the
 * workstation CA: MHD_OPTION_HTTPS_MEM_TRUST), for client authentication
 * (extendedKeyUsage clientAuth), and reads its subject CN,
 * the workstation's name.  Only carnet-hostd links this file (it hands
 * the function to the server in server_config.tls_peer), so carnetd does
 * not link GnuTLS. */
#pragma once

#include <stddef.h>

#define HTTP_WORKSTATION_MAX 64 /* a workstation name (CN) and its NUL */

/* tls_session is libmicrohttpd's gnutls_session_t of the connection.
 * Returns 0 when the certificate verifies (ret_cn: its CN, printable
 * ASCII, 1..63 characters), -EPERM when it does not (ret_cn: the CN it
 * offers, or ""), -ENOKEY when the client sent none (ret_cn ""). */
int http_tls_peer(void *tls_session, char *ret_cn, size_t cn_size);
