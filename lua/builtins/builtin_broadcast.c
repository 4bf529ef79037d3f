/*
 * The built-in `broadcast` scenario (and `make run`'s demo): five gossip servers
 * and one client over a lossy network with jittery latency; the servers are
 * split {n1,n2} | {n3,n4,n5} from 300 ms to 800 ms. The client broadcasts a new
 * value every 50 ms for the first second, then reads every server at 2 s. The
 * checks: every acknowledged value reached every server after the heal, and no
 * server invented a value.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lua/builtins/builtin.h"
#include "sim/systems/broadcast/broadcast_check.h"
#include "sim/systems/system.h"

typedef struct scenario {
    broadcast_check *check;
    const sim_system *systems[2];
    void *configs[2];
    int clusters;
} scenario;

static int add_cluster(dsim_run *run, const char *system, const char *prefix, int count,
                       uint32_t cluster, cJSON *options, char *err, size_t errlen)
{
    scenario *sc = run->scenario;
    const sim_system *sys = sim_system_find(system);
    void *config = NULL;
    int rc = sys ? sys->configure(options, &config, err, errlen) : SIM_ENOENT;
    cJSON_Delete(options);
    if (rc) return rc;
    sc->systems[sc->clusters] = sys;
    sc->configs[sc->clusters++] = config;     /* released in cleanup, after the run */
    for (int i = 1; i <= count && rc == 0; i++) {
        char name[32];
        snprintf(name, sizeof(name), "%s%d", prefix, i);
        rc = sim_node_add(run->s, name, sys->program, config, cluster, NULL);
    }
    return rc;
}

static void partition(sim *s, void *ctx)
{
    static const size_t sizes[] = { 2, 3 };
    static const sim_node_id members[] = { 0, 1, 2, 3, 4 };
    sim_net_partition(s, 2, sizes, members);
}

static void heal(sim *s, void *ctx) { sim_net_heal(s); }

static int setup(dsim_run *run, char *err, size_t errlen)
{
    run->scenario = calloc(1, sizeof(scenario));
    if (!run->scenario) return SIM_ENOMEM;
    sim_link_policy p = sim_link_policy_default();
    p.latency = sim_dist_uniform(1 * SIM_NS_PER_MS, 20 * SIM_NS_PER_MS);
    p.loss = sim_prob_from_double(0.05);
    sim_net_set_default(run->s, &p);
    int rc = add_cluster(run, "broadcast", "n", 5, 1, NULL, err, errlen);
    cJSON *client = cJSON_CreateObject();
    cJSON_AddNumberToObject(client, "servers_cluster", 1);
    cJSON_AddStringToObject(client, "interval", "50ms");
    cJSON_AddStringToObject(client, "stop", "1s");
    cJSON_AddStringToObject(client, "read_at", "2s");
    if (rc == 0) rc = add_cluster(run, "broadcast-client", "c", 1, 0, client, err, errlen);
    else cJSON_Delete(client);
    if (rc == 0) rc = broadcast_check_attach(run->s, &((scenario *)run->scenario)->check);
    if (rc == 0) rc = sim_schedule(run->s, 300 * SIM_NS_PER_MS, partition, NULL);
    if (rc == 0) rc = sim_schedule(run->s, 800 * SIM_NS_PER_MS, heal, NULL);
    return rc;
}

static void finish(dsim_run *run, FILE *out)
{
    scenario *sc = run->scenario;
    broadcast_check_report(sc->check, out);
}

static void cleanup(dsim_run *run)
{
    scenario *sc = run->scenario;
    if (!sc) return;
    broadcast_check_detach(sc->check);
    for (int i = 0; i < sc->clusters; i++)
        if (sc->systems[i]->release) sc->systems[i]->release(sc->configs[i]);
    free(sc);
    run->scenario = NULL;
}

const dsim_builtin dsim_builtin_broadcast = {
    "broadcast",
    "gossip broadcast: 5 servers, 5% loss, a partition from 300ms to 800ms, final reads",
    2500 * SIM_NS_PER_MS,
    setup,
    finish,
    cleanup,
};
