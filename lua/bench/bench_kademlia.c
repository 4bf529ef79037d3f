/*
 * `dsim bench kademlia --nodes N [--time S] [--churn 0|1]`: a Kademlia DHT at scale.
 * N nodes join over N/5000 simulated seconds (at least 20 s) through the first
 * node, then S seconds (default 1000) of lookups: every node looks up a random
 * publisher's key (1% of nodes publish) every Exp(600 s); with churn every node's
 * sessions last Pareto(300 s, alpha 1.5) (median 8 minutes, heavy tail, capped at
 * 10 h) and its downtimes Exp(600 s); a node that comes back joins again with its
 * old id (an id is a function of the address). Links: latency uniform 10-100 ms.
 * Printed: wall time of each phase, peak memory, memory per node, hops per lookup,
 * success, RPC timeouts and the stale fraction of the routing tables at the end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/bench/bench.h"
#include "lua/bench/bench_kademlia.h"
#include "sim/systems/kademlia/kademlia_system.h"

typedef struct churn {
    sim_dist session, downtime;
    sim_rng *rng;
} churn;

static churn churn_ctx;   /* the bench runs one simulation at a time */

static void restart_node(sim *s, void *ctx);

static void crash_node(sim *s, void *ctx)
{
    sim_node_id id = (sim_node_id)(uintptr_t)ctx;
    sim_node_crash(s, id);
    sim_schedule(s, sim_now_ns(s) + sim_dist_draw(&churn_ctx.downtime, churn_ctx.rng), restart_node, ctx);
}

static void restart_node(sim *s, void *ctx)
{
    sim_node_id id = (sim_node_id)(uintptr_t)ctx;
    sim_node_restart(s, id);
    sim_schedule(s, sim_now_ns(s) + sim_dist_draw(&churn_ctx.session, churn_ctx.rng), crash_node, ctx);
}

static double stale_fraction(const sim *s, uint64_t nodes)
{
    uint64_t contacts = 0, stale = 0;
    for (sim_node_id id = 0; id < nodes; id++) {
        const kad_state *st = sim_node_state(s, id);
        if (!st || !st->cfg) continue;
        for (uint32_t b = 0; b < st->nb; b++)
            for (int i = 0; i < st->buckets[b].count; i++) {
                contacts++;
                stale += sim_node_get_status(s, st->slots[(size_t)b * st->cfg->k + i]) != SIM_NODE_UP;
            }
    }
    return contacts ? (double)stale / (double)contacts : 0;
}

static void add_nodes(sim *s, uint64_t nodes, kademlia_config *c)
{
    for (uint64_t i = 0; i < nodes; i++) {
        char name[24];
        snprintf(name, sizeof(name), "k%" PRIu64, i + 1);
        int rc = sim_node_add(s, name, kademlia_program_get(), c, 0, NULL);
        SIM_ASSERT(rc == 0);
    }
}

int dsim_bench_kademlia(uint64_t nodes, double seconds, bool with_churn, bool join_refresh)
{
    kademlia_config *c = calloc(1, sizeof(*c));
    char err[160];
    if (!c || kademlia_parse(NULL, c, err, sizeof err) != 0) return SIM_ENOMEM;
    c->kad.stats = &c->stats;
    c->kad.bootstrap = 0;
    c->kad.publish_percent = 1;
    c->kad.join_refresh = join_refresh;
    c->kad.lookup_every_ns = 600 * SIM_NS_PER_S;
    int64_t spread = (int64_t)(nodes / 5000 > 20 ? nodes / 5000 : 20) * SIM_NS_PER_S;
    c->kad.join_spread_ns = spread;
    sim_options so = { 42, (size_t)nodes, (size_t)nodes * 4 };
    uint64_t rss0 = bench_rss_bytes();
    double t0 = bench_wall_seconds();
    sim *s = sim_create(&so);
    if (!s) return SIM_ENOMEM;
    sim_link_policy p = sim_link_policy_default();
    p.latency = sim_dist_uniform(10 * SIM_NS_PER_MS, 100 * SIM_NS_PER_MS);
    sim_net_set_default(s, &p);
    add_nodes(s, nodes, c);
    int64_t t_joined = spread + 60 * SIM_NS_PER_S;
    sim_run_until(s, t_joined);
    double t1 = bench_wall_seconds();
    uint64_t rss_joined = bench_rss_bytes(), joins = c->stats.joins, rpcs_join = c->stats.rpcs_sent;
    memset(&c->stats, 0, sizeof(c->stats));
    if (with_churn) {
        churn_ctx.session = sim_dist_pareto(300 * SIM_NS_PER_S, 1.5, 36000 * SIM_NS_PER_S);
        churn_ctx.downtime = sim_dist_exponential(600 * SIM_NS_PER_S);
        churn_ctx.rng = sim_stream(s, SIM_STREAM_FAULTS);
        for (uint64_t i = 1; i < nodes; i++)   /* the bootstrap node stays */
            sim_schedule(s, t_joined + sim_dist_draw(&churn_ctx.session, churn_ctx.rng), crash_node,
                         (void *)(uintptr_t)i);
    }
    sim_run_until(s, t_joined + (int64_t)(seconds * (double)SIM_NS_PER_S));
    double t2 = bench_wall_seconds();
    const kad_stats *st = &c->stats;
    printf("{\"bench\":\"kademlia\",\"nodes\":%" PRIu64 ",\"churn\":%s,\"join_refresh\":%s,\"join_sim_s\":%.0f,\"join_wall_s\":%.1f,"
           "\"joined\":%" PRIu64 ",\"join_rpcs_per_node\":%.1f,\"lookup_sim_s\":%g,\"lookup_wall_s\":%.1f,"
           "\"lookups\":%" PRIu64 ",\"found\":%.4f,\"hops_mean\":%.2f,\"hops_max\":%" PRIu64 ","
           "\"latency_ms_mean\":%.0f,\"rpc_timeouts\":%" PRIu64 ",\"stale_fraction\":%.3f,"
           "\"events\":%" PRIu64 ",\"peak_rss_bytes\":%" PRIu64 ",\"rss_bytes_per_node\":%" PRIu64 "}\n",
           nodes, with_churn ? "true" : "false", join_refresh ? "true" : "false", (double)t_joined / 1e9, t1 - t0, joins,
           (double)rpcs_join / (double)nodes, seconds, t2 - t1, st->lookups_done,
           st->lookups_done ? (double)st->found / (double)st->lookups_done : 0,
           st->lookups_done ? (double)st->hops_sum / (double)st->lookups_done : 0, st->hops_max,
           st->lookups_done ? (double)st->latency_ns_sum / 1e6 / (double)st->lookups_done : 0,
           st->rpc_timeouts, stale_fraction(s, nodes), sim_events_run(s), bench_peak_rss_bytes(),
           (rss_joined - rss0) / nodes);
    fflush(stdout);
    sim_destroy(s);
    free(c);
    return 0;
}
