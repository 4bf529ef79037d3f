/*
 * Assembling a consensus scenario (see consensus_world.h). The configs handed to
 * sim_node_add must outlive the run, so the world keeps them and releases them
 * last, after the checker and the nemesis.
 */
#include "sim/harness/consensus_world.h"

#include <stdio.h>
#include <string.h>

void consensus_world_init(consensus_world *w, sim *s)
{
    memset(w, 0, sizeof(*w));
    w->s = s;
}

int consensus_world_add(consensus_world *w, const char *system, const char *prefix, int count,
                        uint32_t cluster, const char *options_json, bool servers, char *err,
                        size_t errlen)
{
    const sim_system *sys = sim_system_find(system);
    if (!sys) {
        snprintf(err, errlen, "no system named '%s'", system);
        return SIM_ENOENT;
    }
    SIM_ASSERT(w->nclusters < WORLD_CLUSTERS_MAX);
    cJSON *options = options_json ? cJSON_Parse(options_json) : NULL;
    SIM_ASSERT(options_json == NULL || options != NULL);
    void *config = NULL;
    int rc = sys->configure(options, &config, err, errlen);
    cJSON_Delete(options);
    if (rc) return rc;
    w->systems[w->nclusters] = sys;
    w->configs[w->nclusters++] = config;
    for (int i = 1; i <= count && rc == 0; i++) {
        char name[32];
        sim_node_id id;
        snprintf(name, sizeof(name), "%s%d", prefix, i);
        rc = sim_node_add(w->s, name, sys->program, config, cluster, &id);
        if (rc == 0 && servers && w->nservers < CONS_MEMBERS_MAX) w->servers[w->nservers++] = id;
    }
    if (rc) snprintf(err, errlen, "cannot add node %s%d: %s", prefix, count, sim_strerror(rc));
    return rc;
}

int consensus_world_network(consensus_world *w, int64_t latency_ns_lo, int64_t latency_ns_hi,
                            double loss, double duplicate)
{
    sim_link_policy p = sim_link_policy_default();
    p.latency = latency_ns_lo == latency_ns_hi ? sim_dist_constant(latency_ns_lo)
                                               : sim_dist_uniform(latency_ns_lo, latency_ns_hi);
    p.loss = sim_prob_from_double(loss);
    p.duplicate = sim_prob_from_double(duplicate);
    return sim_net_set_default(w->s, &p);
}

int consensus_world_check(consensus_world *w, const char *system, const consensus_probe *probe)
{
    const sim_system *sys = sim_system_find(system);
    SIM_ASSERT(sys != NULL && w->check == NULL);
    return consensus_check_attach(w->s, sys->program, probe, &w->check);
}

int consensus_world_nemesis(consensus_world *w, const consensus_nemesis_opts *opts)
{
    SIM_ASSERT(w->nemesis == NULL);
    return consensus_nemesis_start(w->s, w->servers, w->nservers, opts, &w->nemesis);
}

sim_node_id consensus_world_node(const consensus_world *w, const char *name)
{
    sim_node_id id = SIM_NODE_NONE;
    int rc = sim_node_find(w->s, name, &id);
    SIM_ASSERT(rc == 0);
    return id;
}

void consensus_world_free(consensus_world *w)
{
    consensus_check_detach(w->check);
    consensus_nemesis_free(w->nemesis);
    for (int i = 0; i < w->nclusters; i++)
        if (w->systems[i]->release) w->systems[i]->release(w->configs[i]);
    memset(w, 0, sizeof(*w));
}
