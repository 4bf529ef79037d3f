/*
 * Run statistics, gathered by an observer of the trace: messages sent, delivered,
 * dropped (by reason), duplicated and corrupted, per message type; delivery
 * latency percentiles; records per kind. Used by the run summary and benchmarks.
 */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "sim/sim.h"

enum { SIM_DROP_LOSS, SIM_DROP_PARTITION, SIM_DROP_CUT, SIM_DROP_NODE_DOWN, SIM_DROP_CRASHED,
       SIM_DROP_OTHER, SIM_DROP_REASONS };

typedef struct sim_type_stats {
    const char *type;
    uint64_t sent, delivered, dropped, duplicated, corrupted;
    uint64_t dropped_by[SIM_DROP_REASONS];
} sim_type_stats;

typedef struct sim_stats sim_stats;

sim_stats *sim_stats_attach(sim *s);
void sim_stats_detach(sim *s, sim_stats *st);

/* Totals over every type (type == NULL). */
sim_type_stats sim_stats_total(const sim_stats *st);
/* Per-type rows sorted by type name; *count receives their number. */
const sim_type_stats *sim_stats_types(sim_stats *st, size_t *count);
const char *sim_drop_reason_name(int reason);
uint64_t sim_stats_records(const sim_stats *st, int kind);
/* Delivery latency (deliver time - send time) at percentile pct in [0, 100];
 * -1 when nothing was delivered. Exact to within 1/64 (log-linear buckets). */
int64_t sim_stats_latency_ns(const sim_stats *st, double pct);
uint64_t sim_stats_latency_count(const sim_stats *st);

/* The summary block of `dsim run`. */
void sim_stats_print(sim_stats *st, const sim *s, FILE *out);

#endif
