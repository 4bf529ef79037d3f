/*
 * The built-in single-decree Paxos scenarios (sim/systems/paxos/paxos.c):
 *
 *   paxos                      three nodes, each a proposer, an acceptor and a
 *                              learner, over a network with 1-20ms latency, 5% loss
 *                              and 5% duplication, under a random nemesis (crashes
 *                              with restart, partitions, pauses, clock skew) for 2s;
 *                              then calm until 3s.
 *   paxos-bug-ack-before-sync  the same, but the nodes sync their disk only every
 *                              100ms (a group commit) and answer before it: a crash
 *                              in between forgets a promise or an acceptance.
 *   paxos-wide                 paxos under the nemesis of restarts mid-round: it
 *                              bounces nodes (a crash right after a send, a restart
 *                              within 20ms, its messages in flight) and slows links
 *                              (1-100ms a message, a node's link to itself among
 *                              them), a fault every 10ms.
 *   paxos-bug-volatile-ballot  paxos-wide, but a proposer's round is not on disk:
 *                              one restarted mid-round may reuse its ballot with
 *                              another value while its old accepts are in flight.
 *
 * Checks: paxos-agreement and paxos-validity after every event (consensus_check),
 * and at the end paxos-decided: once the nemesis has stopped, every node learned.
 */
#include <stdlib.h>
#include <string.h>

#include "lua/builtins/builtin_consensus.h"
#include "sim/harness/consensus_world.h"
#include "sim/systems/paxos/paxos.h"

#define MS SIM_NS_PER_MS
#define NODES 3

static const consensus_nemesis_opts storm = {
    .start_ns = 0, .stop_ns = 2000 * MS, .interval_ns = 40 * MS,
    .weight = { [NEMESIS_CRASH] = 5, [NEMESIS_PARTITION] = 2, [NEMESIS_PAUSE] = 2, [NEMESIS_SKEW] = 1 },
    .down_ns_min = 5 * MS, .down_ns_max = 300 * MS, .partition_ns_max = 300 * MS,
    .pause_ns_max = 200 * MS, .skew_ns_max = 50 * MS, .drift_ppm_max = 20000, .max_down = 2,
};

/* The storm of restarts mid-round: bounces (a crash right after a send, back
 * within 20ms, its messages still in flight) and slow links (1-100ms a message,
 * for up to 2s, a node's link to itself among them), a fault every 10ms. */
static const consensus_nemesis_opts wide_storm = {
    .start_ns = 0, .stop_ns = 2000 * MS, .interval_ns = 10 * MS,
    .weight = { [NEMESIS_BOUNCE] = 10, [NEMESIS_SLOW_LINK] = 10 },
    .max_down = 2, .bounce_ns_max = 20 * MS,
    .slow_ns_min = 1 * MS, .slow_ns_max = 100 * MS, .slow_for_ns_max = 2000 * MS,
};

static int setup_with(dsim_run *run, const char *options, const consensus_nemesis_opts *nemesis, char *err,
                      size_t errlen)
{
    consensus_world *w = builtin_world_new(run);
    if (!w) return SIM_ENOMEM;
    int rc = consensus_world_network(w, 1 * MS, 20 * MS, 0.05, 0.05);
    if (!rc) rc = consensus_world_add(w, "paxos", "n", NODES, 1, options, true, err, errlen);
    if (!rc) rc = consensus_world_check(w, "paxos", &paxos_probe);
    if (!rc) rc = consensus_world_nemesis(w, nemesis);
    return rc;
}

static int setup_correct(dsim_run *run, char *err, size_t errlen)
{
    return setup_with(run, NULL, &storm, err, errlen);
}

static int setup_wide(dsim_run *run, char *err, size_t errlen)
{
    return setup_with(run, NULL, &wide_storm, err, errlen);
}

static int setup_bug(dsim_run *run, char *err, size_t errlen)
{
    return setup_with(run, "{\"bug\":\"ack-before-sync\"}", &storm, err, errlen);
}

static int setup_volatile_ballot(dsim_run *run, char *err, size_t errlen)
{
    return setup_with(run, "{\"bug\":\"volatile-ballot\"}", &wide_storm, err, errlen);
}

/* After the calm: every node learned, and they learned one value. */
static void check_decided(consensus_world *w, FILE *out)
{
    char detail[256] = "";
    size_t learned = 0;
    for (size_t i = 0; i < w->nservers; i++) {
        const paxos_state *st = sim_node_state(w->s, w->servers[i]);
        const char *name = sim_node_name(w->s, w->servers[i]);
        if (out) fprintf(out, "paxos: %s learned %s\n", name, st && st->chosen ? st->chosen : "nothing");
        if (st && st->chosen) learned++;
        else if (!detail[0]) snprintf(detail, sizeof(detail), "%s learned nothing", name);
    }
    if (learned == w->nservers) snprintf(detail, sizeof(detail), "all %zu nodes learned", learned);
    sim_check_report(w->s, "paxos-decided", learned == w->nservers, detail);
}

static void finish(dsim_run *run, FILE *out)
{
    consensus_world *w = run->scenario;
    consensus_check_report(w->check, out);
    if (!consensus_check_failed(w->check)) check_decided(w, out);
}

const dsim_builtin dsim_builtin_paxos = {
    "paxos",
    "single-decree Paxos: 3 proposers/acceptors; loss, crashes, partitions, pauses, skew",
    3000 * MS,
    setup_correct,
    finish,
    builtin_world_cleanup,
};

const dsim_builtin dsim_builtin_paxos_wide = {
    "paxos-wide",
    "Paxos under restarts mid-round (bounces) and slow links, self-links too, every 10ms",
    3000 * MS,
    setup_wide,
    finish,
    builtin_world_cleanup,
};

const dsim_builtin dsim_builtin_paxos_bug_volatile_ballot = {
    "paxos-bug-volatile-ballot",
    "Paxos whose proposers keep their ballot in memory: a restart mid-round reuses it",
    3000 * MS,
    setup_volatile_ballot,
    finish,
    builtin_world_cleanup,
};

const dsim_builtin dsim_builtin_paxos_bug_ack_before_sync = {
    "paxos-bug-ack-before-sync",
    "Paxos whose acceptors answer before they sync: a crash forgets a promise",
    3000 * MS,
    setup_bug,
    finish,
    builtin_world_cleanup,
};
