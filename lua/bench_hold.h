/*
 * The hold-model benchmark of the event queue (`dsim bench hold`): N pending
 * events; each step pops the earliest and pushes one at its time plus an
 * exponential increment (mean 1 ms). The classic priority-queue benchmark.
 */
#ifndef DSIM_BENCH_HOLD_H
#define DSIM_BENCH_HOLD_H

#include <stdint.h>

typedef struct sim_bench_hold_result {
    uint64_t pending, events;
    double seconds;
    double events_per_s;
    uint64_t peak_rss_bytes;
} sim_bench_hold_result;

int sim_bench_hold(uint64_t pending, uint64_t events, sim_bench_hold_result *out);

#endif
