/* p11remote/p11-remote-config.c: the helper's settings (p11-remote.h); kept
 * apart from p11-client.c so that a program may set them without linking
 * the client. */
#include <pthread.h>
#include <string.h>

#include "lib/macro.h"
#include "p11-remote.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct p11_remote_config current = {
        .user = P11_REMOTE_DEFAULT_USER,
        .timeout_s = P11_REMOTE_DEFAULT_TIMEOUT_S,
        .pinpad_timeout_s = P11_REMOTE_DEFAULT_PINPAD_TIMEOUT_S,
};

void p11_remote_defaults(struct p11_remote_config *c) {
        *c = (struct p11_remote_config){.timeout_s = P11_REMOTE_DEFAULT_TIMEOUT_S,
                                        .pinpad_timeout_s = P11_REMOTE_DEFAULT_PINPAD_TIMEOUT_S};
        (void)strcpy_bounded(c->user, sizeof(c->user), P11_REMOTE_DEFAULT_USER);
}

void p11_remote_configure(const struct p11_remote_config *c) {
        pthread_mutex_lock(&lock);
        current = *c;
        pthread_mutex_unlock(&lock);
}

void p11_remote_get(struct p11_remote_config *ret) {
        pthread_mutex_lock(&lock);
        *ret = current;
        pthread_mutex_unlock(&lock);
}
