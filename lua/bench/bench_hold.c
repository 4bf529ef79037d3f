/*
 * The hold-model benchmark of sim_queue. Fill the queue with `pending` events
 * at exponential times (mean HOLD_MEAN_NS), then time `events` rounds of: pop
 * the earliest, push a new event at its time plus an exponential increment.
 *
 * The increments come from a table filled before the clock starts, so the
 * figure measures the queue and not log(): the table cycles every
 * INCREMENTS events, which leaves the delays exponentially distributed. The
 * generator is a seeded splitmix64, so every run does the same work. This file
 * is the one place in sim/ that reads the wall clock; the kernel never does.
 */
#include "lua/bench/bench_hold.h"

#include "sim/errors.h"
#include "sim/queue.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#define HOLD_MEAN_NS 1000000.0
#define HOLD_SEED UINT64_C(0x64736)   /* any constant; fixed for comparability */
enum { INCREMENTS = 1 << 16 };        /* 512 KiB, sequentially read */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* An exponential delay by inversion; u is in (0, 1], so log(u) is finite. */
static int64_t exponential_ns(uint64_t *state)
{
    double u = (double)((splitmix64(state) >> 11) + 1) * 0x1.0p-53;
    return (int64_t)(-HOLD_MEAN_NS * log(u));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The timed loop. Popped times must never go backwards: a cheap check that
 * the figure is the figure of a working queue. */
static int hold_loop(sim_queue *q, const int64_t *inc, uint64_t events, uint64_t seq)
{
    int64_t last_ns = 0;
    for (uint64_t i = 0; i < events; i++) {
        sim_event e;
        bool popped = sim_queue_pop(q, &e);
        SIM_ASSERT(popped);
        SIM_ASSERT(e.time_ns >= last_ns);
        last_ns = e.time_ns;
        int rc = sim_queue_push(q, e.time_ns + inc[i % INCREMENTS], seq++, e.payload);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int sim_bench_hold(uint64_t pending, uint64_t events, sim_bench_hold_result *out)
{
    if (pending == 0 || pending > SIZE_MAX || out == NULL)
        return SIM_EINVAL;
    int64_t *inc = malloc(INCREMENTS * sizeof *inc);
    sim_queue *q = sim_queue_create((size_t)pending);
    int rc = (inc == NULL || q == NULL) ? SIM_ENOMEM : 0;

    uint64_t rng = HOLD_SEED;
    for (size_t i = 0; rc == 0 && i < INCREMENTS; i++)
        inc[i] = exponential_ns(&rng);
    for (uint64_t i = 0; rc == 0 && i < pending; i++)
        rc = sim_queue_push(q, exponential_ns(&rng), i, i);

    double start_s = now_s();
    if (rc == 0)
        rc = hold_loop(q, inc, events, pending);
    double seconds = now_s() - start_s;

    sim_queue_destroy(q);
    free(inc);
    if (rc != 0)
        return rc;

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    out->pending = pending;
    out->events = events;
    out->seconds = seconds;
    out->events_per_s = seconds > 0 ? (double)events / seconds : 0.0;
    out->peak_rss_bytes = (uint64_t)ru.ru_maxrss * 1024;   /* Linux: KiB */
    return 0;
}
