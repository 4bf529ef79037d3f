/*
 * The hold-model benchmark of the event queue: fill the queue with N events at
 * exponential times (mean 1 ms), then M times pop the earliest and push one at its
 * time plus an exponential increment. The increments are drawn before the clock
 * starts (a table of 64 Ki values, reused cyclically), so the figure is the
 * queue's own cost, not the random generator's.
 */
#include <stdlib.h>

#include "lua/bench.h"
#include "lua/bench_hold.h"
#include "sim/dist.h"
#include "sim/queue.h"
#include "sim/sim.h"

#define INCREMENTS 65536

int sim_bench_hold(uint64_t pending, uint64_t events, sim_bench_hold_result *out)
{
    sim_queue *q = sim_queue_create((size_t)pending);
    int64_t *inc = malloc(INCREMENTS * sizeof(int64_t));
    if (!q || !inc) {
        if (q) sim_queue_destroy(q);
        free(inc);
        return SIM_ENOMEM;
    }
    sim_rng rng;
    sim_rng_seed(&rng, 1, SIM_STREAM_WORKLOAD, 0);
    sim_dist d = sim_dist_exponential(SIM_NS_PER_MS);
    for (size_t i = 0; i < INCREMENTS; i++) inc[i] = sim_dist_draw(&d, &rng);
    uint64_t seq = 0;
    for (uint64_t i = 0; i < pending; i++)
        if (sim_queue_push(q, inc[i % INCREMENTS], seq++, i) != 0) break;
    double t0 = bench_wall_seconds();
    sim_event ev;
    for (uint64_t i = 0; i < events && sim_queue_pop(q, &ev); i++)
        sim_queue_push(q, ev.time_ns + inc[i % INCREMENTS], seq++, ev.payload);
    double t1 = bench_wall_seconds();
    out->pending = pending;
    out->events = events;
    out->seconds = t1 - t0;
    out->events_per_s = out->seconds > 0 ? (double)events / out->seconds : 0;
    out->peak_rss_bytes = bench_peak_rss_bytes();
    sim_queue_destroy(q);
    free(inc);
    return 0;
}
