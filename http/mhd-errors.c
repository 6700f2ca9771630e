/* http/mhd-errors.c: libmicrohttpd's error replies swapped for JSON. */
#include <dlfcn.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/macro.h"
#include "mhd-errors.h"

#define MHD_ERROR_PREFIX "Error processing request (HTTP response code is "

static _Thread_local unsigned pending_status;
static _Thread_local const char *pending_what;

void mhd_errors_note(const char *msg) {
        if (strncmp(msg, MHD_ERROR_PREFIX, strlen(MHD_ERROR_PREFIX)) != 0)
                return;
        unsigned status = (unsigned)strtoul(msg + strlen(MHD_ERROR_PREFIX), NULL, 10);
        if (status < 400 || status > 599)
                return;
        pending_status = status;
        if (strstr(msg, "Content-Length"))
                pending_what = "malformed request: bad Content-Length header";
        else if (strstr(msg, "chunked"))
                pending_what = "malformed request: bad chunked encoding";
        else if (status == 414 || status == 431)
                pending_what = "request line or headers too large";
        else if (status == 505)
                pending_what = "HTTP version not supported (HTTP/1.0 and HTTP/1.1 are)";
        else
                pending_what = "malformed request: bad request line or header line";
}

/* The JSON code and the reason phrase for each status libmicrohttpd
 * answers itself; anything else is a 400. */
static const struct {
        unsigned status;
        const char *code, *reason;
} kinds[] = {
        {400, "bad_request", "Bad Request"},
        {413, "too_large", "Content Too Large"},
        {414, "uri_too_long", "URI Too Long"},
        {431, "headers_too_large", "Request Header Fields Too Large"},
        {505, "http_version_not_supported", "HTTP Version Not Supported"},
};

static size_t kind_of(unsigned status) {
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (kinds[i].status == status)
                        return i;
        return 0;
}

typedef enum MHD_Result (*queue_fn)(struct MHD_Connection *, unsigned int, struct MHD_Response *);

/* Interposes libmicrohttpd's own symbol; see the header.  The JSON reply
 * is written to the socket here, whole (a few hundred bytes into an empty
 * socket buffer), and the queueing refused, so that libmicrohttpd closes
 * the connection: version 0.9.75 sends the status line and headers of
 * some of these replies twice when it sends them itself. */
enum MHD_Result MHD_queue_response(struct MHD_Connection *c, unsigned int status, struct MHD_Response *resp) {
        static queue_fn real;
        if (!real)
                real = (queue_fn)dlsym(RTLD_NEXT, "MHD_queue_response");
        if (!real)
                abort(); /* cannot happen: carnetd links libmicrohttpd */
        if (pending_status == 0 || pending_status != status)
                return real(c, status, resp);
        pending_status = 0;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci)
                return MHD_NO;
        char body[256], msg[512];
        size_t k = kind_of(status);
        int n = snprintf(body, sizeof(body), "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}\n",
                         kinds[k].code, pending_what);
        int m = snprintf(msg, sizeof(msg),
                         "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                         "Connection: close\r\n\r\n%s",
                         status, kinds[k].reason, n, body);
        (void)!send(ci->connect_fd, msg, (size_t)m, MSG_NOSIGNAL | MSG_DONTWAIT);
        return MHD_NO;
}
