/*
 * `dsim bench hdfs`: the article's "known scale", HDFS on 42,000 data nodes, in
 * one process. A name node and N data nodes (racks of 1,000) beating every 3 s;
 * 10 million size-only blocks of 128 MiB at replication 3, loaded into the name
 * node as block reports would have built it and held by the data nodes as
 * implicit blocks (hdfs.h: a formula instead of 30 million disk entries); after
 * 60 simulated seconds of steady heartbeats one rack (1,000 nodes) crashes, and
 * the run goes on until the name node has declared them dead (30 s of silence)
 * and every block is back at 3 good replicas. Bandwidth is unlimited: the
 * figure is the simulator's cost, not a network's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/bench/bench.h"
#include "sim/systems/hdfs/hdfs.h"
#include "sim/systems/system.h"


typedef struct world {
    sim *s;
    hdfs_config nn_cfg, *racks;
    uint32_t nracks, per_rack;
    sim_node_id nn;
} world;

static int build(world *w, uint64_t nodes, uint64_t blocks)
{
    w->per_rack = nodes >= 2000 ? 1000 : (uint32_t)(nodes / 2);
    w->nracks = (uint32_t)(nodes / w->per_rack);
    sim_options o = { .seed = 1, .expected_nodes = nodes + 1, .expected_pending = 4 * nodes };
    w->s = sim_create(&o);
    if (!w->s) return SIM_ENOMEM;
    hdfs_config_default(&w->nn_cfg);
    w->nn_cfg.role = HDFS_NAMENODE, w->nn_cfg.dead_after_ns = 30 * SIM_NS_PER_S, w->nn_cfg.streams = 2;
    if (sim_node_add(w->s, "nn", sim_system_find("hdfs")->program, &w->nn_cfg, 0, &w->nn)) return SIM_ENOMEM;
    w->racks = calloc(w->nracks, sizeof(*w->racks));
    if (!w->racks) return SIM_ENOMEM;
    for (uint32_t r = 0; r < w->nracks; r++) {
        hdfs_config *c = &w->racks[r];
        hdfs_config_default(c);
        snprintf(c->rack, sizeof(c->rack), "/r%u", r + 1);
        c->block_report_ns = 3600 * SIM_NS_PER_S;
        c->implicit_blocks = blocks, c->implicit_len = 128u << 20;
        c->implicit_first = w->nn + 1, c->implicit_racks = w->nracks, c->implicit_per_rack = w->per_rack;
        for (uint32_t i = 0; i < w->per_rack; i++) {
            char name[32];
            snprintf(name, sizeof(name), "dn%u", r * w->per_rack + i + 1);
            if (sim_node_add(w->s, name, sim_system_find("hdfs")->program, c, 0, NULL)) return SIM_ENOMEM;
        }
    }
    return 0;
}

int sim_bench_hdfs(uint64_t nodes, uint64_t blocks, sim_bench_hdfs_result *out)
{
    memset(out, 0, sizeof(*out));
    out->nodes = nodes, out->blocks = blocks;
    double t0 = bench_wall_seconds();
    world w = { 0 };
    if (build(&w, nodes, blocks) != 0 || sim_run_until(w.s, 1) != 0) return SIM_ENOMEM;
    hdfs_nn *nn = hdfs_namenode_of(w.s, w.nn);
    uint64_t rss0 = bench_rss_bytes();
    hdfs_nn_preload(nn, &w.racks[0], 1000);
    out->bytes_per_block = (double)(bench_rss_bytes() - rss0) / (double)blocks;
    out->setup_seconds = bench_wall_seconds() - t0;
    double t1 = bench_wall_seconds();
    uint64_t e1 = sim_events_run(w.s);
    int64_t kill_ns = 60 * SIM_NS_PER_S;
    sim_run_until(w.s, kill_ns);
    out->heartbeat_events_per_s = (double)(sim_events_run(w.s) - e1) / (bench_wall_seconds() - t1);
    double t2 = bench_wall_seconds();
    uint64_t e2 = sim_events_run(w.s);
    for (uint32_t i = 0; i < w.per_rack; i++) sim_node_crash(w.s, w.nn + 1 + i);     /* rack /r1 */
    int64_t t = kill_ns;
    while (t < 7200 * SIM_NS_PER_S && !(nn->dead_total >= w.per_rack && nn->nqueue == 0 && nn->replicated_ns > kill_ns))
        sim_run_until(w.s, t += 3 * SIM_NS_PER_S);
    out->killed = w.per_rack;
    out->recovered = nn->nqueue == 0 && nn->replicated_ns > kill_ns;
    out->detect_sim_seconds = (double)(nn->last_death_ns - kill_ns) / 1e9;
    out->recover_sim_seconds = (double)(nn->replicated_ns - kill_ns) / 1e9;
    out->recover_wall_seconds = bench_wall_seconds() - t2;
    out->events = sim_events_run(w.s);
    out->events_per_s = (double)(out->events - e2) / out->recover_wall_seconds;
    out->re_replicated = (uint64_t)nn->re_replicated;
    out->wall_seconds = bench_wall_seconds() - t0;
    out->peak_rss_bytes = bench_peak_rss_bytes();
    sim_destroy(w.s);
    free(w.racks);
    return 0;
}
