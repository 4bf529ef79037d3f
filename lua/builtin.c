/*
 * The list of built-in scenarios, in name order.
 */
#include <string.h>

#include "lua/builtin.h"

extern const dsim_builtin dsim_builtin_broadcast;

static const dsim_builtin *const builtins[] = {
    &dsim_builtin_broadcast,
};

const dsim_builtin *dsim_builtin_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof(builtins) / sizeof(builtins[0]); i++)
        if (strcmp(builtins[i]->name, name) == 0) return builtins[i];
    return NULL;
}

const dsim_builtin *dsim_builtin_at(size_t i)
{
    return i < sizeof(builtins) / sizeof(builtins[0]) ? builtins[i] : NULL;
}
