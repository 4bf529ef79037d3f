/*
 * The built-in two-phase commit scenarios (sim/systems/twopc/twopc.c): a coordinator
 * coord1 and participants p1..p3.
 *
 *   twopc          40 transactions, one every 25ms, 10% of votes no, over a network
 *                  with 1-10ms latency, 5% loss and 5% duplication, under a random
 *                  nemesis (crashes with restart, partitions, pauses, clock skew)
 *                  until 1.5s; then calm until 3s.
 *   twopc-bug-no-durable-prepare
 *                  the same, with participants that vote yes before syncing.
 *   twopc-blocked  a perfect network (5ms), every vote yes, five transactions. The
 *                  coordinator crashes at 151ms, just after the prepares of txn 3
 *                  left, and restarts at 1s. Check twopc-blocked (at 900ms): every
 *                  participant is prepared for txn 3 and blocked, the coordinator
 *                  down. After the restart the coordinator reads its log, aborts
 *                  txn 3 (presumed abort) and runs txns 4 and 5.
 *
 * Checks: twopc-atomicity and twopc-validity after every event (consensus_check),
 * and at the end twopc-finished: every transaction decided at the coordinator, no
 * participant left prepared or blocked.
 */
#include <stdlib.h>
#include <string.h>

#include "lua/builtins/builtin_consensus.h"
#include "sim/harness/consensus_world.h"
#include "sim/systems/twopc/twopc.h"

#define MS SIM_NS_PER_MS

static const consensus_nemesis_opts storm = {
    .start_ns = 0, .stop_ns = 1500 * MS, .interval_ns = 60 * MS,
    .weight = { [NEMESIS_CRASH] = 5, [NEMESIS_PARTITION] = 2, [NEMESIS_PAUSE] = 2, [NEMESIS_SKEW] = 1 },
    .down_ns_min = 5 * MS, .down_ns_max = 300 * MS, .partition_ns_max = 300 * MS,
    .pause_ns_max = 200 * MS, .skew_ns_max = 50 * MS, .drift_ppm_max = 20000, .max_down = 2,
};

static int add_nodes(consensus_world *w, const char *options, char *err, size_t errlen)
{
    int rc = consensus_world_add(w, "twopc", "coord", 1, 1, options, true, err, errlen);
    if (!rc) rc = consensus_world_add(w, "twopc", "p", 3, 1, options, true, err, errlen);
    if (!rc) rc = consensus_world_check(w, "twopc", &twopc_probe);
    return rc;
}

static int setup_with(dsim_run *run, const char *options, char *err, size_t errlen)
{
    consensus_world *w = builtin_world_new(run);
    if (!w) return SIM_ENOMEM;
    int rc = consensus_world_network(w, 1 * MS, 10 * MS, 0.05, 0.05);
    if (!rc) rc = add_nodes(w, options, err, errlen);
    if (!rc) rc = consensus_world_nemesis(w, &storm);
    return rc;
}

static int setup_correct(dsim_run *run, char *err, size_t errlen)
{
    return setup_with(run, "{\"txns\":40,\"interval\":\"25ms\"}", err, errlen);
}

static int setup_bug(dsim_run *run, char *err, size_t errlen)
{
    return setup_with(run, "{\"txns\":40,\"interval\":\"25ms\",\"bug\":\"no-durable-prepare\"}", err, errlen);
}

/* ---- twopc-blocked ------------------------------------------------------------------- */

static void crash_coordinator(sim *s, void *ctx) { sim_node_crash(s, ((consensus_world *)ctx)->servers[0]); }
static void restart_coordinator(sim *s, void *ctx) { sim_node_restart(s, ((consensus_world *)ctx)->servers[0]); }

/* While the coordinator is down, every participant is blocked on txn 3. */
static void check_blocked(sim *s, void *ctx)
{
    consensus_world *w = ctx;
    size_t blocked = 0;
    for (size_t i = 1; i < w->nservers; i++) {
        const twopc_state *st = sim_node_state(s, w->servers[i]);
        blocked += st && st->txns[3].phase == TX_PREPARED && st->txns[3].blocked;
    }
    bool down = sim_node_get_status(s, w->servers[0]) == SIM_NODE_DOWN;
    char detail[200];
    snprintf(detail, sizeof(detail), "%zu of %zu participants prepared and blocked on txn 3, the coordinator %s",
             blocked, w->nservers - 1, down ? "down" : "up");
    sim_check_report(s, "twopc-blocked", down && blocked == w->nservers - 1, detail);
}

static int setup_blocked(dsim_run *run, char *err, size_t errlen)
{
    consensus_world *w = builtin_world_new(run);
    if (!w) return SIM_ENOMEM;
    int rc = consensus_world_network(w, 5 * MS, 5 * MS, 0, 0);
    if (!rc) rc = add_nodes(w, "{\"txns\":5,\"no_prob\":0}", err, errlen);
    if (!rc) rc = sim_schedule(run->s, 151 * MS, crash_coordinator, w);
    if (!rc) rc = sim_schedule(run->s, 900 * MS, check_blocked, w);
    if (!rc) rc = sim_schedule(run->s, 1000 * MS, restart_coordinator, w);
    return rc;
}

/* ---- the end ---------------------------------------------------------------------------- */

static void check_finished(consensus_world *w, FILE *out)
{
    char detail[256] = "";
    for (size_t i = 0; i < w->nservers; i++) {
        const twopc_state *st = sim_node_state(w->s, w->servers[i]);
        const char *name = sim_node_name(w->s, w->servers[i]);
        if (!st) {                                       /* --until ended the run early */
            fprintf(out, "twopc: %s is down\n", name);
            if (!detail[0]) snprintf(detail, sizeof(detail), "%s is down, its transactions undecided", name);
            continue;
        }
        int64_t first = 0, prepared = 0;
        size_t blocked = twopc_blocked(st, &first);
        for (int64_t id = 1; id <= st->cfg->txns; id++) {
            twopc_phase p = st->txns[id].phase;
            prepared += p == TX_PREPARED || p == TX_PREPARING || (st->coordinator && p == TX_NONE);
        }
        fprintf(out, "twopc: %s %lld committed, %lld aborted, %lld undecided, %zu blocked\n", name,
                (long long)st->commits, (long long)st->aborts, (long long)prepared, blocked);
        if ((prepared || blocked) && !detail[0])
            snprintf(detail, sizeof(detail), "%s has %lld transactions undecided", name, (long long)prepared);
    }
    if (!detail[0]) snprintf(detail, sizeof(detail), "every transaction decided, no participant blocked");
    sim_check_report(w->s, "twopc-finished", strstr(detail, "undecided") == NULL, detail);
}

static void finish(dsim_run *run, FILE *out)
{
    consensus_world *w = run->scenario;
    consensus_check_report(w->check, out);
    if (!consensus_check_failed(w->check)) check_finished(w, out);
}

const dsim_builtin dsim_builtin_twopc = {
    "twopc",
    "two-phase commit: 1 coordinator, 3 participants, 40 txns; loss, crashes, partitions, pauses",
    3000 * MS,
    setup_correct,
    finish,
    builtin_world_cleanup,
};

const dsim_builtin dsim_builtin_twopc_blocked = {
    "twopc-blocked",
    "two-phase commit: the coordinator crashes after prepare; participants block until it returns",
    2000 * MS,
    setup_blocked,
    finish,
    builtin_world_cleanup,
};

const dsim_builtin dsim_builtin_twopc_bug_no_durable_prepare = {
    "twopc-bug-no-durable-prepare",
    "two-phase commit whose participants vote yes before syncing the prepared record",
    3000 * MS,
    setup_bug,
    finish,
    builtin_world_cleanup,
};
