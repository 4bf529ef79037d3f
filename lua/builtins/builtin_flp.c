/*
 * FLP in practice: the built-in scenarios flp-duel and flp-backoff.
 *
 * Fischer, Lynch and Paterson (1985): no deterministic protocol can guarantee
 * that consensus terminates in an asynchronous system where one process may
 * crash; for each there is a schedule that keeps it undecided forever. Paxos
 * keeps safety on every schedule and gives up guaranteed termination.
 *
 * Both scenarios run three Paxos nodes (sim/systems/paxos/paxos.c), two of them
 * proposers, over a perfect network: constant 10ms latency, no loss, no fault.
 * Proposer n1 starts at 0, n2 at 15ms; a round that has not learned a value
 * after `timeout` = 30ms is abandoned for a new one with a higher ballot.
 *
 *   flp-duel     back-off "none": each proposer retries exactly every 30ms. Each
 *                prepare lands 15ms after the other's, between the other's prepare
 *                (landed 15ms before) and its accept (lands 5ms later), so every
 *                accept meets a higher promise: the proposers preempt each other
 *                forever and nothing is ever chosen. Check flp-livelock: after 10s
 *                no node learned a value, and both proposers ran hundreds of rounds.
 *   flp-backoff  back-off "random": the same, but each retry waits a random time
 *                (from the node's own stream) that grows with the failures; the
 *                symmetry breaks, one round finishes undisturbed. Check
 *                flp-decided: every node learned the same value.
 */
#include <stdlib.h>
#include <string.h>

#include "lua/builtins/builtin_consensus.h"
#include "sim/harness/consensus_world.h"
#include "sim/systems/paxos/paxos.h"

#define MS SIM_NS_PER_MS
#define MIN_ROUNDS 100   /* each proposer's rounds in a duel of 10s (it runs ~330) */

static int setup_with(dsim_run *run, const char *backoff, char *err, size_t errlen)
{
    consensus_world *w = builtin_world_new(run);
    if (!w) return SIM_ENOMEM;
    char options[160];
    snprintf(options, sizeof(options),
             "{\"proposers\":2,\"timeout\":\"30ms\",\"stagger\":\"15ms\",\"backoff\":\"%s\"}", backoff);
    int rc = consensus_world_network(w, 10 * MS, 10 * MS, 0, 0);
    if (!rc) rc = consensus_world_add(w, "paxos", "n", 3, 1, options, true, err, errlen);
    if (!rc) rc = consensus_world_check(w, "paxos", &paxos_probe);
    return rc;
}

static int setup_duel(dsim_run *run, char *err, size_t errlen) { return setup_with(run, "none", err, errlen); }
static int setup_backoff(dsim_run *run, char *err, size_t errlen) { return setup_with(run, "random", err, errlen); }

/* Rounds run by each proposer and nodes that learned; prints them. */
static size_t tally(consensus_world *w, int64_t *min_rounds, FILE *out)
{
    size_t learned = 0;
    *min_rounds = INT64_MAX;
    for (size_t i = 0; i < w->nservers; i++) {
        const paxos_state *st = sim_node_state(w->s, w->servers[i]);
        SIM_ASSERT(st != NULL);                     /* no faults in these scenarios */
        char ballot[48];
        cons_ballot_text(w->s, st->ballot, ballot, sizeof(ballot));
        if (out)
            fprintf(out, "flp: %s %s: %lld rounds, last ballot %s, learned %s\n",
                    sim_node_name(w->s, w->servers[i]), st->is_proposer ? "proposer" : "acceptor",
                    (long long)st->rounds, st->rounds ? ballot : "-", st->chosen ? st->chosen : "nothing");
        if (st->is_proposer && st->rounds < *min_rounds) *min_rounds = st->rounds;
        learned += st->chosen != NULL;
    }
    return learned;
}

static void finish_with(dsim_run *run, FILE *out, bool duel)
{
    consensus_world *w = run->scenario;
    consensus_check_report(w->check, out);
    int64_t rounds;
    size_t learned = tally(w, &rounds, out);
    char detail[200];
    bool ok = duel ? learned == 0 && rounds >= MIN_ROUNDS : learned == w->nservers;
    if (duel)
        snprintf(detail, sizeof(detail), "%zu nodes learned a value; the proposers ran %lld rounds or more "
                 "(want none learned and >= %d rounds)", learned, (long long)rounds, MIN_ROUNDS);
    else
        snprintf(detail, sizeof(detail), "%zu of %zu nodes learned a value", learned, w->nservers);
    sim_check_report(w->s, duel ? "flp-livelock" : "flp-decided", ok, detail);
}

static void finish_duel(dsim_run *run, FILE *out) { finish_with(run, out, true); }
static void finish_backoff(dsim_run *run, FILE *out) { finish_with(run, out, false); }

const dsim_builtin dsim_builtin_flp_backoff = {
    "flp-backoff",
    "FLP: the duel of flp-duel, ended by randomized back-off (a value is chosen)",
    10 * SIM_NS_PER_S,
    setup_backoff,
    finish_backoff,
    builtin_world_cleanup,
};

const dsim_builtin dsim_builtin_flp_duel = {
    "flp-duel",
    "FLP: two Paxos proposers with fixed timeouts preempt each other forever (livelock)",
    10 * SIM_NS_PER_S,
    setup_duel,
    finish_duel,
    builtin_world_cleanup,
};
