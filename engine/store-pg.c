/* engine/store-pg.c: the PostgreSQL store (in progress). */
#include <errno.h>

#include "store-backend.h"

int store_pg_open(const char *conninfo, struct store **ret) {
        return -EPROTONOSUPPORT;
}
