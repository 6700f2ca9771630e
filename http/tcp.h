/* http/tcp.h: a listening TCP socket for the server's HTTPS (server.h). */
#pragma once

/* A TCP socket (close-on-exec, SO_REUSEADDR) listening on "ADDRESS:PORT",
 * or "[ADDRESS]:PORT" for IPv6; numeric addresses and ports only.  Returns
 * the descriptor, -EINVAL for an address that does not parse, or the
 * errno of socket(), bind() or listen(). */
int tcp_listen(const char *address);
