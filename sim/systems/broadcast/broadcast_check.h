/*
 * The broadcast checker: watches one simulation's trace while it runs, then
 * judges the run at the end.
 *
 *   broadcast-converged    every value whose broadcast completed ok is in the final
 *                          ok read of every server (and every server has one)
 *   broadcast-no-phantoms  no ok read returns a value that no client broadcast
 *
 * Servers are the nodes running the broadcast program (all of its clusters). The
 * checker keeps its state in the handle it returns (no static state, so several
 * simulations can be checked in one process); free it with broadcast_check_detach.
 * Usage:
 *
 *     broadcast_check *c;
 *     broadcast_check_attach(s, &c);        before sim_run_until
 *     ... run ...
 *     broadcast_check_report(c, stdout);    verdicts go to sim_check_report
 *     broadcast_check_detach(c);
 */
#ifndef SIM_SYSTEMS_BROADCAST_CHECK_H
#define SIM_SYSTEMS_BROADCAST_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include "sim/sim.h"

typedef struct broadcast_check broadcast_check;

/* The figures the report prints. */
typedef struct broadcast_figures {
    uint64_t broadcasts, broadcasts_ok;   /* invoked, completed ok */
    uint64_t server_msgs;                 /* sends from a server to a server */
    double msgs_per_broadcast;            /* server_msgs / broadcasts_ok (0 when none ok) */
    uint64_t values_everywhere;           /* values learned by every server */
    int64_t latency_ns_p50, latency_ns_max;  /* invoke -> last server learns; -1 when none */
} broadcast_figures;

/* Subscribes an observer to s; 0, or SIM_ENOMEM. */
int broadcast_check_attach(sim *s, broadcast_check **out);
/* Reports both checks through sim_check_report, prints the figures to out (when
 * not NULL), and returns how many of the two checks failed. */
int broadcast_check_report(broadcast_check *c, FILE *out);
void broadcast_check_figures(broadcast_check *c, broadcast_figures *out);
/* Unsubscribes and frees; c may be NULL. */
void broadcast_check_detach(broadcast_check *c);

#endif
