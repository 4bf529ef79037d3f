/*
 * `dsim bench`: the performance figures, one JSON object a line on stdout.
 *   dsim bench hold --pending N [--events M]
 *   dsim bench random-msgs --nodes N --time SECONDS
 *   dsim bench lua-msgs --nodes N --time SECONDS
 *   dsim bench real-msgs --nodes N --time SECONDS   (the realistic twin, C and Lua nodes)
 *   dsim bench viz      (200 nodes, 5,000 messages in flight, software renderer)
 *   dsim bench lincheck [DIR]   (the Jepsen histories with known verdicts)
 *   dsim bench hdfs [--nodes N] [--blocks M]   (42,000 data nodes, 10 M blocks; kill a rack)
 *   dsim bench kademlia --nodes N [--time SECONDS] [--churn 0|1] [--join-refresh 0|1]
 *   dsim bench kafka [--rate N] [--time S] [--brokers N] [--rf N]   (lua/bench/bench_kafka.c)
 *   dsim bench all
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lua/bench/bench.h"
#include "lua/bench/bench_hold.h"
#include "lua/bench/bench_kademlia.h"
#include "lua/cli/commands.h"
#include "lua/bench/lbench.h"
#include "viz/viz.h"

static int parse_count(const char *flag, const char *text, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (*text && *text != '-' && !*end && v >= 1 && v <= max) {
        *out = v;
        return 0;
    }
    return dsim_usage_error("bench: %s: expected an integer from 1 to %" PRIu64 ", got '%s'", flag, max, text);
}

static int parse_seconds(const char *text, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (*text && !*end && v > 0 && v <= 1e6) {
        *out = v;
        return 0;
    }
    return dsim_usage_error("bench: --time: expected a number of simulated seconds > 0, got '%s'", text);
}

static int run_hold(uint64_t pending, uint64_t events)
{
    sim_bench_hold_result r;
    if (sim_bench_hold(pending, events, &r) != 0) return dsim_usage_error("bench hold: out of memory");
    printf("{\"bench\":\"hold\",\"pending\":%" PRIu64 ",\"events\":%" PRIu64 ",\"seconds\":%.3f,"
           "\"events_per_s\":%.0f,\"peak_rss_bytes\":%" PRIu64 "}\n",
           r.pending, r.events, r.seconds, r.events_per_s, r.peak_rss_bytes);
    fflush(stdout);
    return 0;
}

static int run_msgs(uint64_t nodes, double seconds)
{
    sim_bench_msgs_result r;
    if (sim_bench_random_msgs(nodes, seconds, &r) != 0) return dsim_usage_error("bench random-msgs: out of memory");
    printf("{\"bench\":\"random-msgs\",\"nodes\":%" PRIu64 ",\"sim_seconds\":%g,\"messages\":%" PRIu64
           ",\"seconds\":%.3f,\"messages_per_s\":%.0f,\"startup_seconds\":%.3f,"
           "\"peak_rss_bytes\":%" PRIu64 ",\"rss_bytes_per_node\":%" PRIu64 "}\n",
           r.nodes, r.sim_seconds, r.messages, r.seconds, r.messages_per_s, r.startup_seconds,
           r.peak_rss_bytes, r.rss_bytes_per_node);
    fflush(stdout);
    return 0;
}

static int run_lua_msgs(uint64_t nodes, double seconds)
{
    double lua_rate, c_rate, receive_rate;
    if (sim_bench_lua_msgs(nodes, seconds, &lua_rate, &c_rate) != 0 ||
        sim_bench_lua_receive(nodes, seconds, &receive_rate) != 0)
        return dsim_usage_error("bench lua-msgs: the Lua benchmark failed");
    printf("{\"bench\":\"lua-msgs\",\"nodes\":%" PRIu64 ",\"sim_seconds\":%g,"
           "\"lua_receive_messages_per_s\":%.0f,\"lua_messages_per_s\":%.0f,"
           "\"c_messages_per_s\":%.0f,\"c_to_lua_cost_ratio\":%.2f}\n",
           nodes, seconds, receive_rate, lua_rate, c_rate, lua_rate > 0 ? c_rate / lua_rate : 0);
    fflush(stdout);
    return 0;
}

/* The realistic twin: one line for the C node, one for the Lua node. */
static int run_real_msgs(uint64_t nodes, double seconds)
{
    for (int lua = 0; lua <= 1; lua++) {
        sim_bench_real_result r;
        if (sim_bench_real_msgs(nodes, seconds, lua, &r) != 0)
            return dsim_usage_error("bench real-msgs: the %s run failed", lua ? "Lua" : "C");
        printf("{\"bench\":\"real-msgs\",\"node\":\"%s\",\"nodes\":%" PRIu64 ",\"sim_seconds\":%g,"
               "\"messages\":%" PRIu64 ",\"seconds\":%.3f,\"messages_per_s\":%.0f,\"cpu_seconds\":%.3f,"
               "\"messages_per_cpu_s\":%.0f,\"latency_ms_p99\":%.2f,"
               "\"rss_bytes_per_node_after\":%" PRIu64 ",\"trace_hash\":\"%016" PRIx64 "\"}\n",
               lua ? "lua" : "c", r.nodes, r.sim_seconds, r.messages, r.seconds, r.messages_per_s, r.cpu_seconds,
               r.messages_per_cpu_s,
               (double)r.latency_ns_p99 / 1e6, r.rss_bytes_per_node_after, r.trace_hash);
        fflush(stdout);
    }
    return 0;
}

static int run_viz(void)
{
    double fps;
    if (viz_bench_fps(200, 5000, &fps) != 0) return dsim_usage_error("bench viz: %s", viz_last_error());
    printf("{\"bench\":\"viz\",\"nodes\":200,\"messages_in_flight\":5000,\"frames_per_s\":%.1f}\n", fps);
    fflush(stdout);
    return 0;
}

static int run_hdfs(uint64_t nodes, uint64_t blocks)
{
    sim_bench_hdfs_result r;
    if (sim_bench_hdfs(nodes, blocks, &r) != 0) return dsim_usage_error("bench hdfs: out of memory");
    printf("{\"bench\":\"hdfs\",\"data_nodes\":%" PRIu64 ",\"blocks\":%" PRIu64 ",\"replication\":3,"
           "\"size_only\":true,\"recovered\":%s,\"setup_seconds\":%.1f,\"bytes_per_block\":%.0f,"
           "\"heartbeat_events_per_s\":%.0f,\"rack_killed_nodes\":%" PRIu64 ",\"detect_sim_s\":%.1f,"
           "\"re_replicated_sim_s\":%.1f,\"re_replicated_blocks\":%" PRIu64 ",\"recover_wall_seconds\":%.1f,"
           "\"events_per_s\":%.0f,\"events\":%" PRIu64 ",\"wall_seconds\":%.1f,\"peak_rss_bytes\":%" PRIu64 "}\n",
           r.nodes, r.blocks, r.recovered ? "true" : "false", r.setup_seconds, r.bytes_per_block,
           r.heartbeat_events_per_s, r.killed, r.detect_sim_seconds, r.recover_sim_seconds, r.re_replicated,
           r.recover_wall_seconds, r.events_per_s, r.events, r.wall_seconds, r.peak_rss_bytes);
    fflush(stdout);
    return r.recovered ? 0 : DSIM_EXIT_USAGE;
}

static int hdfs_flags(int argc, char **argv)
{
    uint64_t nodes = 42000, blocks = 10000000;
    for (int i = 1; i < argc; i += 2) {
        const char *flag = argv[i];
        if (i + 1 >= argc) return dsim_usage_error("bench hdfs: %s: missing value", flag);
        int rc;
        if (strcmp(flag, "--nodes") == 0) rc = parse_count(flag, argv[i + 1], 1000000, &nodes);
        else if (strcmp(flag, "--blocks") == 0) rc = parse_count(flag, argv[i + 1], 100000000, &blocks);
        else rc = dsim_usage_error("bench hdfs: %s: unknown flag", flag);
        if (rc) return rc;
    }
    if (nodes < 4) return dsim_usage_error("bench hdfs: --nodes: at least 4 data nodes (two racks of two)");
    return run_hdfs(nodes, blocks);
}

static int parse_flag(const char *flag, const char *text, uint64_t *out)
{
    if (strcmp(text, "0") == 0 || strcmp(text, "1") == 0) {
        *out = text[0] == '1';
        return 0;
    }
    return dsim_usage_error("bench: %s: expected 0 or 1, got '%s'", flag, text);
}

/* dsim bench kademlia --nodes N [--time SECONDS] [--churn 0|1] [--join-refresh 0|1] */
static int bench_kademlia(int argc, char **argv)
{
    uint64_t nodes = 0, churn = 1, refresh = 0;
    double seconds = 1000;
    for (int i = 1; i < argc; i += 2) {
        const char *flag = argv[i];
        if (i + 1 >= argc) return dsim_usage_error("bench kademlia: %s: missing value", flag);
        int rc;
        if (strcmp(flag, "--nodes") == 0) rc = parse_count(flag, argv[i + 1], 20000000, &nodes);
        else if (strcmp(flag, "--time") == 0) rc = parse_seconds(argv[i + 1], &seconds);
        else if (strcmp(flag, "--churn") == 0) rc = parse_flag(flag, argv[i + 1], &churn);
        else if (strcmp(flag, "--join-refresh") == 0) rc = parse_flag(flag, argv[i + 1], &refresh);
        else rc = dsim_usage_error("bench kademlia: %s: unknown flag", flag);
        if (rc) return rc;
    }
    if (nodes < 2) return dsim_usage_error("bench kademlia: --nodes N (at least 2) is required");
    return dsim_bench_kademlia(nodes, seconds, churn == 1, refresh == 1) ? dsim_usage_error("bench kademlia: out of memory") : 0;
}

static int bench_all(void)
{
    static const uint64_t pendings[] = { 1000, 100000, 1000000 };
    for (int i = 0; i < 3; i++)
        if (run_hold(pendings[i], 20000000)) return DSIM_EXIT_USAGE;
    static const struct { uint64_t nodes; double seconds; } msgs[] = {
        { 1000, 2000 }, { 100000, 20 }, { 1000000, 4 },
    };
    for (int i = 0; i < 3; i++)
        if (run_msgs(msgs[i].nodes, msgs[i].seconds)) return DSIM_EXIT_USAGE;
    if (run_lua_msgs(1000, 1000)) return DSIM_EXIT_USAGE;
    if (run_real_msgs(1000, 200)) return DSIM_EXIT_USAGE;
    if (dsim_bench_lincheck(NULL) != 0) return DSIM_EXIT_USAGE;
    return run_viz() ? DSIM_EXIT_USAGE : 0;
}

int dsim_cmd_bench(int argc, char **argv)
{
    if (argc < 1)
        return dsim_usage_error("bench: which one? hold, random-msgs, lua-msgs, real-msgs, viz, lincheck, hdfs, kademlia or all "
                                "(see 'dsim help')");
    const char *which = argv[0];
    if (strcmp(which, "all") == 0) return argc == 1 ? bench_all() : dsim_usage_error("bench all: takes no flags");
    if (strcmp(which, "hdfs") == 0) return hdfs_flags(argc, argv);
    if (strcmp(which, "viz") == 0) return argc == 1 ? run_viz() : dsim_usage_error("bench viz: takes no flags");
    if (strcmp(which, "kafka") == 0) return dsim_bench_kafka(argc - 1, argv + 1);
    if (strcmp(which, "lincheck") == 0)
        return argc <= 2 ? dsim_bench_lincheck(argc == 2 ? argv[1] : NULL)
                         : dsim_usage_error("bench lincheck: takes at most a directory");
    if (strcmp(which, "kademlia") == 0) return bench_kademlia(argc, argv);
    bool hold = strcmp(which, "hold") == 0, lua = strcmp(which, "lua-msgs") == 0;
    bool real = strcmp(which, "real-msgs") == 0;
    bool msgs = lua || real || strcmp(which, "random-msgs") == 0;
    if (!hold && !msgs)
        return dsim_usage_error("bench: unknown benchmark '%s' (hold, random-msgs, lua-msgs, real-msgs, viz, "
                                "lincheck, hdfs, kademlia, kafka, all)", which);
    uint64_t pending = 0, events = 10000000, nodes = 0;
    double seconds = 0;
    for (int i = 1; i < argc; i += 2) {
        const char *flag = argv[i];
        if (i + 1 >= argc) return dsim_usage_error("bench: %s: missing value", flag);
        int rc;
        if (hold && strcmp(flag, "--pending") == 0) rc = parse_count(flag, argv[i + 1], 100000000, &pending);
        else if (hold && strcmp(flag, "--events") == 0) rc = parse_count(flag, argv[i + 1], UINT64_C(1) << 40, &events);
        else if (msgs && strcmp(flag, "--nodes") == 0) rc = parse_count(flag, argv[i + 1], 50000000, &nodes);
        else if (msgs && strcmp(flag, "--time") == 0) rc = parse_seconds(argv[i + 1], &seconds);
        else rc = dsim_usage_error("bench %s: %s: unknown flag", which, flag);
        if (rc) return rc;
    }
    if (hold && !pending) return dsim_usage_error("bench hold: --pending N is required");
    if (msgs && (nodes < 2 || seconds <= 0))
        return dsim_usage_error("bench %s: --nodes N (at least 2) and --time SECONDS are required", which);
    if (hold) return run_hold(pending, events);
    if (real) return run_real_msgs(nodes, seconds);
    return lua ? run_lua_msgs(nodes, seconds) : run_msgs(nodes, seconds);
}
