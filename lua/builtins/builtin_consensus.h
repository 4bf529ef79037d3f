/*
 * What the consensus built-in scenarios (paxos, multipaxos, twopc, flp) share:
 * their world (clusters, invariant checker, nemesis: sim/harness/consensus_world.h)
 * lives in the run's scenario slot from set-up to clean-up.
 */
#ifndef DSIM_BUILTIN_CONSENSUS_H
#define DSIM_BUILTIN_CONSENSUS_H

#include "lua/builtins/builtin.h"
#include "sim/harness/consensus_world.h"

/* A new world for the run, kept in run->scenario; NULL when out of memory. */
consensus_world *builtin_world_new(dsim_run *run);
/* The builtin's cleanup: frees the world (none is fine). */
void builtin_world_cleanup(dsim_run *run);

#endif
