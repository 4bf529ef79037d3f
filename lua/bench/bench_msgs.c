/*
 * The random-messages benchmark: the kernel's send/deliver/timer path at scale.
 * Every node runs the same tiny program (a timer that sends to a random peer and
 * re-arms itself); the trace hash is computed as in every run, but no observer is
 * attached, so the figure is the kernel's own cost.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "lua/bench/bench.h"
#include "sim/sim.h"

double bench_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t bench_rss_bytes(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
    fclose(f);
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t bench_peak_rss_bytes(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)ru.ru_maxrss * 1024;
}

typedef struct bench_ctx {
    uint64_t delivered;
    sim_dist interval;
} bench_ctx;

static void arm(sim_node *node)
{
    bench_ctx *ctx = sim_self_config(node);
    sim_timer_set(node, sim_dist_draw(&ctx->interval, sim_self_rng(node)), "send", 0);
}

static void on_start(sim_node *node, void *state) { arm(node); }

static void on_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    static const uint8_t payload[64];
    uint64_t n = sim_node_count(sim_of(node));
    uint64_t peer = sim_rng_below(sim_self_rng(node), n - 1);
    if (peer >= sim_self(node)) peer++;
    sim_send(node, (sim_node_id)peer, "bench", payload, sizeof(payload));
    arm(node);
}

static void on_receive(sim_node *node, void *state, const sim_msg *msg)
{
    bench_ctx *ctx = sim_self_config(node);
    ctx->delivered++;
}

static const sim_program bench_program = {
    "bench", 0, on_start, on_receive, on_timer, NULL,
};

int sim_bench_random_msgs(uint64_t nodes, double sim_seconds, sim_bench_msgs_result *out)
{
    if (nodes < 2 || sim_seconds <= 0) return SIM_EINVAL;
    memset(out, 0, sizeof(*out));
    bench_ctx ctx = { 0, sim_dist_exponential(SIM_NS_PER_S) };
    sim_options so = { 42, (size_t)nodes, (size_t)nodes * 2 };
    uint64_t rss0 = bench_rss_bytes();
    double t0 = bench_wall_seconds();
    sim *s = sim_create(&so);
    if (!s) return SIM_ENOMEM;
    sim_link_policy p = sim_link_policy_default();
    p.latency = sim_dist_constant(50 * SIM_NS_PER_US);
    sim_net_set_default(s, &p);
    for (uint64_t i = 0; i < nodes; i++) {
        char name[24];
        snprintf(name, sizeof(name), "n%llu", (unsigned long long)i + 1);
        if (sim_node_add(s, name, &bench_program, &ctx, 0, NULL) != 0) {
            sim_destroy(s);
            return SIM_ENOMEM;
        }
    }
    sim_run_until(s, 0);                       /* every node starts and arms its timer */
    double t1 = bench_wall_seconds();
    out->rss_bytes_per_node = (bench_rss_bytes() - rss0) / nodes;
    uint64_t events0 = sim_events_run(s);
    sim_run_until(s, (int64_t)(sim_seconds * (double)SIM_NS_PER_S));
    double t2 = bench_wall_seconds();
    out->nodes = nodes;
    out->sim_seconds = sim_seconds;
    out->messages = ctx.delivered;
    out->events = sim_events_run(s) - events0;
    out->seconds = t2 - t1;
    out->startup_seconds = t1 - t0;
    out->messages_per_s = out->seconds > 0 ? (double)ctx.delivered / out->seconds : 0;
    out->peak_rss_bytes = bench_peak_rss_bytes();
    sim_destroy(s);
    return 0;
}
