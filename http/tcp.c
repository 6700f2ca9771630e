/* http/tcp.c: the TCP socket of carnet-hostd's HTTPS; see tcp.h. */
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/macro.h"
#include "tcp.h"

/* A TCP socket listening on "ADDRESS:PORT" (IPv6 as "[ADDRESS]:PORT"),
 * numeric only. */
int tcp_listen(const char *address) {
        char host[128];
        const char *colon = strrchr(address, ':');
        if (!colon || colon == address || !colon[1] || (size_t)(colon - address) >= sizeof(host))
                return -EINVAL;
        const char *h = address;
        size_t hl = (size_t)(colon - address);
        if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']')
                h++, hl -= 2;
        memcpy(host, h, hl);
        host[hl] = '\0';
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE}, *ai = NULL;
        if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai)
                return -EINVAL;
        _cleanup_close_ int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1, r = 0;
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0)
                r = negerrno();
        freeaddrinfo(ai);
        return r < 0 ? r : TAKE_FD(fd);
}
