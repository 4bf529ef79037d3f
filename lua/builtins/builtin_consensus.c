/*
 * The consensus built-in scenarios' world, from set-up to clean-up.
 */
#include "lua/builtins/builtin_consensus.h"

#include <stdlib.h>

consensus_world *builtin_world_new(dsim_run *run)
{
    consensus_world *w = malloc(sizeof(*w));
    if (w) consensus_world_init(w, run->s);
    run->scenario = w;
    return w;
}

void builtin_world_cleanup(dsim_run *run)
{
    consensus_world *w = run->scenario;
    if (!w) return;
    consensus_world_free(w);
    free(w);
    run->scenario = NULL;
}
