/*
 * The benchmarks behind `dsim bench`. They are the only code that reads the wall
 * clock, and they live outside sim/ so the kernel never can.
 */
#ifndef DSIM_BENCH_H
#define DSIM_BENCH_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sim_bench_msgs_result {
    uint64_t nodes;
    double sim_seconds;
    uint64_t messages;          /* delivered */
    uint64_t events;
    double seconds;             /* wall time of the run, start-up excluded */
    double messages_per_s;
    double startup_seconds;     /* adding and starting every node */
    uint64_t peak_rss_bytes;
    uint64_t rss_bytes_per_node;/* resident memory per idle node after start-up */
} sim_bench_msgs_result;

/* N nodes; each sends a 64-byte message to a uniformly random peer at exponential
 * intervals of mean 1 simulated second; constant 50 us latency. */
int sim_bench_random_msgs(uint64_t nodes, double sim_seconds, sim_bench_msgs_result *out);

/* The realistic twin (lua/bench/bench_real.c): statistics observer on, lognormal
 * latency (median 2ms), 1% loss, JSON bodies built and parsed by both ends, and
 * memory measured after the run; the node in C or in Lua, doing the same work. */
typedef struct sim_bench_real_result {
    uint64_t nodes;
    double sim_seconds;
    uint64_t messages;                 /* delivered and read */
    double seconds, messages_per_s;
    double cpu_seconds, messages_per_cpu_s;   /* the same over CPU time (a shared machine) */
    int64_t latency_ns_p99;            /* from the statistics observer */
    uint64_t rss_bytes_per_node_after; /* resident memory grown by the whole run, per node */
    uint64_t trace_hash;
} sim_bench_real_result;
int sim_bench_real_msgs(uint64_t nodes, double sim_seconds, bool lua, sim_bench_real_result *out);

/* The linearizability checker over a corpus of histories with known verdicts
 * (lua/cmd_check.c; DIR/EXPECTED.tsv): the wall time of checking them all and
 * how many. Returns 0, SIM_EINVAL when a verdict disagrees, or another SIM_E*. */
int sim_lin_bench(const char *dir, double *seconds, int *cases);
/* `dsim bench lincheck [DIR]`: one JSON line, with the slowest cases; DIR defaults
 * to $DSIM_JEPSEN_DIR, else tests/data/jepsen-histories. Returns the exit code. */
int dsim_bench_lincheck(const char *dir);
/* `dsim bench kafka [--rate N] [--time S] [--brokers N] [--rf N]` (bench_kafka.c). */
int dsim_bench_kafka(int argc, char **argv);

typedef struct sim_bench_hdfs_result {
    uint64_t nodes, blocks, events, re_replicated, killed;
    bool recovered;                   /* every block back at replication 3 */
    double setup_seconds;             /* adding, starting, loading the name node (wall) */
    double bytes_per_block;           /* resident memory the name node's load added, per block */
    double heartbeat_events_per_s;    /* wall rate of the 60 s of steady heartbeats */
    double detect_sim_seconds, recover_sim_seconds;   /* from the crash, simulated */
    double recover_wall_seconds, events_per_s, wall_seconds;
    uint64_t peak_rss_bytes;
} sim_bench_hdfs_result;

/* HDFS at scale (bench_hdfs.c): nodes data nodes in racks of 1,000, blocks
 * size-only blocks at replication 3; kill a rack, re-replicate. */
int sim_bench_hdfs(uint64_t nodes, uint64_t blocks, sim_bench_hdfs_result *out);

double bench_wall_seconds(void);
double bench_cpu_seconds(void);      /* this process's CPU time: steadier on a shared machine */
uint64_t bench_rss_bytes(void);
uint64_t bench_peak_rss_bytes(void);

#endif
