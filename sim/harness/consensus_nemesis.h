/*
 * A small random nemesis for the consensus scenarios: from `start` to `stop` it
 * injects a fault every `interval` on average (exponential gaps), each drawn from
 * the simulation's fault stream (sim_stream(s, SIM_STREAM_FAULTS)) so that the
 * same seed gives the same faults and changing a node's code does not move them:
 *
 *   crash      a random target crashes and restarts after [down_min, down_max]
 *   partition  the targets split in two random groups, healed after up to partition_max
 *   pause      a random target pauses (a long GC) and resumes after up to pause_max
 *   skew       a random target's clock jumps by up to +-skew_max and drifts up to
 *              +-drift_ppm_max
 *   bounce     a random target crashes and restarts after up to bounce_max: a
 *              restart in the middle of a round, while its messages are in flight
 *   slow link  a random directed link between targets, a self-link one time in n,
 *              gets a latency uniform in [slow_min, slow_max] for up to slow_for_max,
 *              then the default policy again (so messages of one round straddle a
 *              crash, and a node's message to itself is not always the first)
 *
 * Weights choose among the kinds (0 disables one). At most max_down targets are
 * down at once (crashed or paused). At `stop` the nemesis heals the network,
 * resumes and restarts every target, so a scenario can then check liveness.
 * Loss, duplication and the usual delay belong to the link policy, set by the
 * scenario (a slowed link returns to the default policy, not to a link's own).
 *
 * Why bounce and slow links: a proposer that restarts while the accepts of its
 * last round are still on their way, and reuses that round's ballot with another
 * value, makes Paxos choose two values. Crashes with 5-300ms of downtime over a
 * 1-20ms network almost never leave a message of the previous incarnation in
 * flight at the restart, and a node's prepare to itself almost always arrives
 * first, so 60,000 seeds of the first nemesis never met that schedule.
 */
#ifndef SIM_SYSTEMS_CONSENSUS_NEMESIS_H
#define SIM_SYSTEMS_CONSENSUS_NEMESIS_H

#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

enum { NEMESIS_CRASH, NEMESIS_PARTITION, NEMESIS_PAUSE, NEMESIS_SKEW, NEMESIS_BOUNCE, NEMESIS_SLOW_LINK,
       NEMESIS_KINDS };

typedef struct consensus_nemesis_opts {
    int64_t start_ns, stop_ns;
    int64_t interval_ns;             /* mean gap between faults */
    unsigned weight[NEMESIS_KINDS];
    int64_t down_ns_min, down_ns_max;
    int64_t partition_ns_max, pause_ns_max;
    int64_t skew_ns_max, drift_ppm_max;
    int64_t bounce_ns_max;           /* bounce: down for 0..bounce_max */
    int64_t slow_ns_min, slow_ns_max, slow_for_ns_max;
    size_t max_down;                 /* 0: a minority of the targets */
} consensus_nemesis_opts;

typedef struct consensus_nemesis consensus_nemesis;

/* Schedules the nemesis over targets[0..n) (copied). 0, or a SIM_E* code. */
int consensus_nemesis_start(sim *s, const sim_node_id *targets, size_t n,
                            const consensus_nemesis_opts *opts, consensus_nemesis **out);
/* Frees it; call after the run (its events hold pointers to it). */
void consensus_nemesis_free(consensus_nemesis *n);
/* Faults injected so far, by kind. */
uint64_t consensus_nemesis_count(const consensus_nemesis *n, int kind);

#endif
