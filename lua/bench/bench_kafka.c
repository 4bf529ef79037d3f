/*
 * `dsim bench kafka`: the article's "known scale" for Kafka. LinkedIn's Kafka
 * peaked at 4.5 million messages a second; this benchmark produces that rate
 * for 10 simulated seconds into a 30-broker cluster (replication factor 3,
 * acks=all, min.insync.replicas 2, batches of up to 1,000 records sent every
 * 5ms per producer, as Kafka's batch.size and linger.ms do), consumes it with
 * a consumer group, and checks that every acknowledged record was processed.
 * The figure is the wall time and the peak memory of that run.
 *
 *   dsim bench kafka [--rate N] [--time SECONDS] [--brokers N] [--rf N] [--batch N] [--acks 0|1|all]
 *
 * Everything runs through the real node programs (sim/systems/kafka/): the only
 * simplification is the records themselves, which travel as ranges (first
 * value, count) in each batch rather than 100-byte payloads; the sizes on the
 * wire are not modelled (no bandwidth limit). Wall time is read here, never in sim/.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/bench/bench.h"
#include "lua/cli/commands.h"
#include "sim/sim.h"
#include "sim/systems/system.h"

typedef struct kafka_bench {
    double rate;
    double sim_seconds;
    int brokers, rf, batch;
    const char *acks;               /* "0", "1" or "\"all\"" (JSON) */
} kafka_bench;

static void *configure(const char *system, const char *json)
{
    cJSON *o = cJSON_Parse(json);
    char err[256];
    void *config = NULL;
    const sim_system *sys = sim_system_find(system);
    int rc = sys && o ? sys->configure(o, &config, err, sizeof(err)) : SIM_EINVAL;
    cJSON_Delete(o);
    if (rc) fprintf(stderr, "dsim: bench kafka: %s: %s\n", system, rc == SIM_EINVAL ? err : sim_strerror(rc));
    return rc ? NULL : config;
}

static int add_nodes(sim *s, const char *prefix, int n, const sim_system *sys, void *config, uint32_t cluster)
{
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "%s%d", prefix, i + 1);
        if (sim_node_add(s, name, sys->program, config, cluster, NULL) != 0) return SIM_ENOMEM;
    }
    return 0;
}

static cJSON *ledger_of(sim *s, sim_node_id id)
{
    const sim_system *sys = sim_system_find("kafka-client");
    cJSON *st = sys->state_json(s, id);
    cJSON *l = st ? cJSON_DetachItemFromObject(st, "ledger") : NULL;
    cJSON_Delete(st);
    return l;
}

static int run(const kafka_bench *b)
{
    int clients = b->brokers, producers = b->brokers, parts = 3 * b->brokers;
    char json[1024];
    snprintf(json, sizeof(json),
             "{\"topics\":{\"events\":%d},\"replication_factor\":%d,\"min_insync_replicas\":%d,"
             "\"heartbeat\":\"50ms\",\"session_timeout\":\"500ms\",\"replica_lag_time_max\":\"500ms\",\"group_initial_rebalance_delay\":\"300ms\"}",
             parts, b->rf, b->rf > 1 ? 2 : 1);
    void *kcfg = configure("kafka", json);
    char brokers[64 * 12] = "";
    for (int i = 0; i < b->brokers; i++)
        snprintf(brokers + strlen(brokers), sizeof(brokers) - strlen(brokers), "%s\"k%d\"", i ? "," : "", i + 1);
    snprintf(json, sizeof(json),
             "{\"brokers\":[%s],\"producers\":%d,\"rate\":\"%.0f/s\",\"acks\":%s,\"batch\":%d,"
             "\"linger\":\"5ms\",\"idempotent\":1,\"stop\":\"%gs\",\"group_id\":\"bench\",\"commit\":\"after\","
             "\"heartbeat\":\"100ms\",\"session_timeout\":\"1s\",\"poll_wait\":\"20ms\"}",
             brokers, producers, b->rate / producers, b->acks, b->batch, b->sim_seconds);
    void *ccfg = configure("kafka-client", json);
    if (!kcfg || !ccfg) return DSIM_EXIT_USAGE;
    sim_options so = { 42, (size_t)(b->brokers + 2 * clients), 1 << 20 };
    sim *s = sim_create(&so);
    sim_link_policy p = sim_link_policy_default();
    p.latency = sim_dist_constant(500 * SIM_NS_PER_US);
    sim_net_set_default(s, &p);
    double t0 = bench_wall_seconds();
    int rc = add_nodes(s, "k", b->brokers, sim_system_find("kafka"), kcfg, 1);
    if (!rc) rc = add_nodes(s, "c", 2 * clients, sim_system_find("kafka-client"), ccfg, 2);
    if (!rc) rc = sim_run_until(s, (int64_t)((b->sim_seconds + 2) * (double)SIM_NS_PER_S));
    double wall = bench_wall_seconds() - t0;
    cJSON *l = ledger_of(s, (sim_node_id)b->brokers);
    double acked = cJSON_GetNumberValue(cJSON_GetObjectItem(l, "acked"));
    double unique = cJSON_GetNumberValue(cJSON_GetObjectItem(l, "unique"));
    double lost = cJSON_GetNumberValue(cJSON_GetObjectItem(l, "lost"));
    printf("{\"bench\":\"kafka\",\"brokers\":%d,\"replication_factor\":%d,\"acks\":%s,\"batch\":%d,\"partitions\":%d,"
           "\"rate_per_s\":%.0f,"
           "\"sim_seconds\":%g,\"sent\":%.0f,\"acked\":%.0f,\"consumed\":%.0f,\"lost\":%.0f,\"duplicates\":%.0f,"
           "\"latency_ack_p50_ms\":%g,\"latency_e2e_p50_ms\":%g,\"latency_e2e_p99_ms\":%g,\"events\":%" PRIu64 ","
           "\"seconds\":%.2f,"
           "\"peak_rss_bytes\":%" PRIu64 ",\"ok\":%s}\n",
           b->brokers, b->rf, b->acks, b->batch, parts, b->rate, b->sim_seconds, cJSON_GetNumberValue(cJSON_GetObjectItem(l, "sent")),
           acked, unique, lost, cJSON_GetNumberValue(cJSON_GetObjectItem(l, "duplicates")),
           cJSON_GetNumberValue(cJSON_GetObjectItem(l, "latency_ack_p50_ms")),
           cJSON_GetNumberValue(cJSON_GetObjectItem(l, "latency_e2e_p50_ms")),
           cJSON_GetNumberValue(cJSON_GetObjectItem(l, "latency_e2e_p99_ms")), sim_events_run(s), wall,
           bench_peak_rss_bytes(), !rc && lost == 0 && (acked > 0 || strcmp(b->acks, "0") == 0) ? "true" : "false");
    bool ok = !rc && lost == 0 && (acked > 0 || strcmp(b->acks, "0") == 0);
    cJSON_Delete(l);
    sim_destroy(s);
    sim_system_find("kafka")->release(kcfg);
    sim_system_find("kafka-client")->release(ccfg);
    return ok ? 0 : 1;
}

int dsim_bench_kafka(int argc, char **argv)
{
    kafka_bench b = { 4.5e6, 10, 30, 3, 1000, "\"all\"" };
    for (int i = 0; i < argc; i += 2) {
        const char *flag = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        double d = v ? strtod(v, &end) : 0;
        bool num = v && end && *end == '\0' && d > 0;
        if (!v) return dsim_usage_error("bench kafka: %s: missing value", flag);
        if (strcmp(flag, "--rate") == 0 && num && d <= 1e9) b.rate = d;
        else if (strcmp(flag, "--time") == 0 && num && d <= 3600) b.sim_seconds = d;
        else if (strcmp(flag, "--brokers") == 0 && num && d >= 1 && d <= 64 && d == (int)d) b.brokers = (int)d;
        else if (strcmp(flag, "--rf") == 0 && num && d <= 8 && d == (int)d) b.rf = (int)d;
        else if (strcmp(flag, "--batch") == 0 && num && d <= 100000 && d == (int)d) b.batch = (int)d;
        else if (strcmp(flag, "--acks") == 0 && (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)) b.acks = v;
        else if (strcmp(flag, "--acks") == 0 && strcmp(v, "all") == 0) b.acks = "\"all\"";
        else return dsim_usage_error("bench kafka: %s: expected --rate N, --time SECONDS, --brokers 1..64, --rf 1..8, "
                                     "--batch N or --acks 0|1|all, got '%s'", flag, v);
    }
    if (b.rf > b.brokers) return dsim_usage_error("bench kafka: --rf %d exceeds --brokers %d", b.rf, b.brokers);
    return run(&b);
}
