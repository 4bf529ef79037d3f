/*
 * User code called from C systems: the host hook (sim/userfn.h). The kernel
 * only forwards; the Lua layer (lua/binding/luserfn.c) does the work.
 */
#include "sim/userfn.h"

#include <stdio.h>
#include <string.h>

#include "sim/internal.h"

#define HANDLE_PREFIX "lua-function:"

void sim_userfn_set_host(sim *s, const sim_userfn_host *host)
{
    SIM_ASSERT(s != NULL);
    if (host) s->userfn = *host;
    else memset(&s->userfn, 0, sizeof(s->userfn));
}

static int no_host(char *err, size_t errlen)
{
    snprintf(err, errlen, "user code needs a Lua scenario (dsim run FILE.lua); none is running");
    return SIM_ESTATE;
}

int sim_userfn_call(sim_node *node, const char *handle, const char *method, const cJSON *args,
                    int64_t budget, cJSON **result, int64_t *used, char *err, size_t errlen)
{
    sim *s = sim_of(node);
    *result = NULL;
    if (used) *used = 0;
    if (!s->userfn.call) return no_host(err, errlen);
    if (!sim_userfn_is_handle(handle)) {
        snprintf(err, errlen, "'%s' is not a Lua function", handle ? handle : "(null)");
        return SIM_EINVAL;
    }
    return s->userfn.call(s->userfn.ctx, node, handle, method, args, budget, result, used, err, errlen);
}

int sim_userfn_load(sim_node *node, const char *chunkname, const char *source, size_t len,
                    int64_t budget, char *handle_out, size_t handle_len, char *err, size_t errlen)
{
    sim *s = sim_of(node);
    if (!s->userfn.load) return no_host(err, errlen);
    return s->userfn.load(s->userfn.ctx, node, chunkname, source, len, budget, handle_out, handle_len,
                          err, errlen);
}

int sim_userfn_is_handle(const char *text)
{
    return text && strncmp(text, HANDLE_PREFIX, strlen(HANDLE_PREFIX)) == 0;
}
