/*
 * The built-in Multi-Paxos scenarios (sim/systems/multipaxos/multipaxos.c):
 *
 *   multipaxos    three replicas r1..r3 and two clients c1, c2 issuing get/put/cas on
 *                 three keys until 2.5s, over a network with 1-10ms latency, 2% loss
 *                 and 2% duplication, under a random nemesis (crashes with restart,
 *                 partitions, pauses, clock skew) until 2s; then calm until 4s.
 *   multipaxos-bug-skip-phase1-after-restart
 *                 the same, with replicas whose restarted leader resumes its old
 *                 ballot without phase 1.
 *
 * Checks: multipaxos-agreement, -validity and -log-prefix after every event
 * (consensus_check), and at the end multipaxos-caught-up: once calm, every replica
 * applied the same log (catch-up works), and clients got answers after the calm.
 * The client history (get/put/cas with ok/fail/unknown) is the input of a
 * linearizability checker; the summary counts its outcomes.
 */
#include <stdlib.h>
#include <string.h>

#include "lua/builtins/builtin_consensus.h"
#include "sim/check/lincheck.h"
#include "sim/harness/consensus_world.h"
#include "sim/systems/multipaxos/multipaxos.h"

#define MS SIM_NS_PER_MS
#define REPLICAS 3
#define CALM_NS (2000 * MS)

static const consensus_nemesis_opts storm = {
    .start_ns = 0, .stop_ns = CALM_NS, .interval_ns = 80 * MS,
    .weight = { [NEMESIS_CRASH] = 5, [NEMESIS_PARTITION] = 2, [NEMESIS_PAUSE] = 2, [NEMESIS_SKEW] = 1 },
    .down_ns_min = 5 * MS, .down_ns_max = 300 * MS, .partition_ns_max = 400 * MS,
    .pause_ns_max = 200 * MS, .skew_ns_max = 50 * MS, .drift_ppm_max = 20000, .max_down = 1,
};

static int setup_with(dsim_run *run, const char *options, char *err, size_t errlen)
{
    consensus_world *w = builtin_world_new(run);
    if (!w) return SIM_ENOMEM;
    int rc = consensus_world_network(w, 1 * MS, 10 * MS, 0.02, 0.02);
    if (!rc) rc = consensus_world_add(w, "multipaxos", "r", REPLICAS, 1, options, true, err, errlen);
    if (!rc)
        rc = consensus_world_add(w, "multipaxos-client", "c", 2, 0,
                                 "{\"servers_cluster\":1,\"stop\":\"2.5s\",\"interval\":\"20ms\"}", false,
                                 err, errlen);
    if (!rc) rc = consensus_world_check(w, "multipaxos", &multipaxos_probe);
    if (!rc) rc = consensus_world_nemesis(w, &storm);
    return rc;
}

static int setup_correct(dsim_run *run, char *err, size_t errlen) { return setup_with(run, NULL, err, errlen); }

static int setup_bug(dsim_run *run, char *err, size_t errlen)
{
    return setup_with(run, "{\"bug\":\"skip-phase1-after-restart\"}", err, errlen);
}

/* Ops by outcome, and ops that completed ok after the calm. */
static void tally(const sim *s, size_t count[4], size_t *ok_after_calm)
{
    memset(count, 0, 4 * sizeof(size_t));
    *ok_after_calm = 0;
    for (size_t i = 0; i < sim_history_count(s); i++) {
        const sim_op *op = sim_history_get(s, i);
        count[op->outcome]++;
        *ok_after_calm += op->outcome == SIM_OP_OK && op->complete_ns >= CALM_NS;
    }
}

static void check_caught_up(consensus_world *w, FILE *out)
{
    int64_t applied = -1;
    bool same = true;
    for (size_t i = 0; i < w->nservers; i++) {
        const multipaxos_state *st = sim_node_state(w->s, w->servers[i]);
        if (!st) {                                       /* --until ended the run early */
            fprintf(out, "multipaxos: %s is down\n", sim_node_name(w->s, w->servers[i]));
            same = false;
            continue;
        }
        fprintf(out, "multipaxos: %s %s, %lld slots applied, %lld retries answered without re-executing, "
                "%lld elections, %lld terms led\n", sim_node_name(w->s, w->servers[i]),
                st->role == MP_LEADER ? "leader" : st->role == MP_CANDIDATE ? "candidate" : "follower",
                (long long)st->applied, (long long)st->duplicates, (long long)st->elections,
                (long long)st->terms);
        if (applied >= 0 && st->applied != applied) same = false;
        applied = st->applied;
    }
    size_t count[4], ok_after;
    tally(w->s, count, &ok_after);
    fprintf(out, "multipaxos: client ops %zu ok, %zu fail (cas), %zu unknown; %zu ok after the calm\n",
            count[SIM_OP_OK], count[SIM_OP_FAIL], count[SIM_OP_UNKNOWN] + count[SIM_OP_PENDING], ok_after);
    char detail[200];
    snprintf(detail, sizeof(detail), "replicas applied %s slots; %zu ops ok after the calm",
             same ? "the same number of" : "different numbers of", ok_after);
    sim_check_report(w->s, "multipaxos-caught-up", same && applied > 0 && ok_after > 0, detail);
}

/* The clients' history, checked for linearizability (sim/check/lincheck.h): the
 * store's promise to its clients, beside the replicas' own invariants. */
static void check_linearizable(dsim_run *run, FILE *out)
{
    sim_lin_options o;
    memset(&o, 0, sizeof(o));
    o.model = SIM_LIN_MODEL_REGISTER;
    sim_lin_result r;
    sim_lin_check_sim(run->s, &o, &r);
    fprintf(out, "multipaxos: clients' history: %s\n", r.summary);
    if (r.explanation) fputs(r.explanation, out);
    sim_lin_result_free(&r);
}

static void finish(dsim_run *run, FILE *out)
{
    consensus_world *w = run->scenario;
    consensus_check_report(w->check, out);
    if (!consensus_check_failed(w->check)) check_caught_up(w, out);
    check_linearizable(run, out);
}

const dsim_builtin dsim_builtin_multipaxos = {
    "multipaxos",
    "Multi-Paxos key-value store: 3 replicas, 2 clients; loss, crashes, partitions, pauses, skew",
    4000 * MS,
    setup_correct,
    finish,
    builtin_world_cleanup,
};

const dsim_builtin dsim_builtin_multipaxos_bug_skip_phase1 = {
    "multipaxos-bug-skip-phase1-after-restart",
    "Multi-Paxos whose restarted leader skips phase 1 (reuses its old ballot)",
    4000 * MS,
    setup_bug,
    finish,
    builtin_world_cleanup,
};
