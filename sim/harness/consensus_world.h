/*
 * The pieces every consensus scenario assembles (lua/builtins/builtin_paxos.c,
 * builtin_multipaxos.c, builtin_twopc.c, builtin_flp.c): clusters of a system
 * configured from JSON options, the network's policy, the invariant checker and
 * the nemesis, kept together so one call releases them after the run.
 */
#ifndef SIM_SYSTEMS_CONSENSUS_WORLD_H
#define SIM_SYSTEMS_CONSENSUS_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"
#include "sim/systems/consensus/consensus_check.h"
#include "sim/harness/consensus_nemesis.h"
#include "sim/systems/consensus/consensus_util.h"
#include "sim/systems/system.h"

#define WORLD_CLUSTERS_MAX 4

typedef struct consensus_world {
    sim *s;
    const sim_system *systems[WORLD_CLUSTERS_MAX];
    void *configs[WORLD_CLUSTERS_MAX];
    int nclusters;
    sim_node_id servers[CONS_MEMBERS_MAX];   /* the nemesis's targets */
    size_t nservers;
    consensus_check *check;
    consensus_nemesis *nemesis;
} consensus_world;

/* Starts an empty world on s. */
void consensus_world_init(consensus_world *w, sim *s);
/* Adds `count` nodes prefix1.. running `system` configured by options_json (NULL:
 * defaults) in `cluster`; servers become the nemesis's targets. On error returns
 * a SIM_E* code with the reason in err. */
int consensus_world_add(consensus_world *w, const char *system, const char *prefix, int count,
                        uint32_t cluster, const char *options_json, bool servers, char *err,
                        size_t errlen);
/* The default link policy: latency uniform in [lo, hi], loss and duplication. */
int consensus_world_network(consensus_world *w, int64_t latency_ns_lo, int64_t latency_ns_hi,
                            double loss, double duplicate);
/* Attaches the invariant checker to the nodes of `system`. */
int consensus_world_check(consensus_world *w, const char *system, const consensus_probe *probe);
int consensus_world_nemesis(consensus_world *w, const consensus_nemesis_opts *opts);
/* The id of node `name` (asserted to exist). */
sim_node_id consensus_world_node(const consensus_world *w, const char *name);
/* Frees the checker, the nemesis and the configs (after the run). */
void consensus_world_free(consensus_world *w);

#endif
