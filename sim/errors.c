/*
 * Names of the kernel's error codes and the failure path of SIM_ASSERT.
 */
#include "sim/errors.h"

#include <stdio.h>
#include <stdlib.h>

const char *sim_strerror(int code)
{
    switch (code) {
    case SIM_OK: return "ok";
    case SIM_EINVAL: return "invalid argument";
    case SIM_ENOMEM: return "out of memory";
    case SIM_ENOENT: return "not found";
    case SIM_EEXIST: return "already exists";
    case SIM_ESTATE: return "not allowed in this state";
    case SIM_EIO: return "input/output error";
    case SIM_ELIMIT: return "limit reached";
    default: return "unknown error";
    }
}

void sim_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "dsim: internal invariant broken at %s:%d: %s\n", file, line, expr);
    abort();
}
