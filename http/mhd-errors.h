/* http/mhd-errors.h: libmicrohttpd's own error replies, in carnetd's shape.
 *
 * libmicrohttpd answers some malformed requests itself, before carnetd
 * sees them: a bad Content-Length, a bad chunk size, a header line without
 * a colon, a request line or headers larger than the connection's memory,
 * an HTTP version it does not speak.  Its bodies are fixed HTML.  Just
 * before queuing one it logs "Error processing request (HTTP response code
 * is N ...)" in the connection's own thread (carnetd runs one thread per
 * connection); mhd_errors_note() remembers that status for the thread, and
 * carnetd's MHD_queue_response() (which the library calls through its PLT)
 * swaps that one HTML reply for a JSON error with the same status:
 *   400 bad_request, 413 too_large, 414 uri_too_long, 431
 *   headers_too_large, 505 http_version_not_supported.
 * Every other reply passes through untouched. */
#pragma once

/* Called with each libmicrohttpd log line, in the thread that logs it. */
void mhd_errors_note(const char *msg);
