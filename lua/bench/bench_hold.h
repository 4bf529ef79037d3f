/*
 * The hold-model benchmark of the event queue (the `dsim bench hold` figures;
 * it lives beside the host program because it reads the wall clock, which the
 * kernel in sim/ never does):
 * keep `pending` events in a sim_queue and, `events` times, pop the earliest and
 * push a new event an exponential delay (mean 1 ms) after it. This is the
 * classic steady-state load of a discrete-event kernel.
 */
#ifndef DSIM_BENCH_HOLD_H
#define DSIM_BENCH_HOLD_H

#include <stdint.h>

typedef struct sim_bench_hold_result {
    uint64_t pending, events;
    double seconds;            /* wall time of the pop/push loop, fill excluded */
    double events_per_s;
    uint64_t peak_rss_bytes;   /* of the whole process so far (getrusage) */
} sim_bench_hold_result;

/* 0, SIM_EINVAL (pending == 0 or out == NULL) or SIM_ENOMEM. */
int sim_bench_hold(uint64_t pending, uint64_t events, sim_bench_hold_result *out);

#endif
