/*
 * Faults made by hand in a live run: crash/restart, pause/resume, cut/uncut a
 * link, partition a selection, heal; and saving them as a schedule that replays
 * the very same run.
 *
 * Exactness: a fault made by hand is applied at a time F at which no event has
 * run (clean_time below moves the run there, usually by 1 ns). A schedule that
 * runs the same fault at F (dsim.at in Lua, or DSIM_VIZ_FAULTS) then meets every
 * event in the same order as the live run did, so it reproduces the trace hash.
 * While stepped back, or while an old branch is shown, a fault cannot be applied
 * to the kernel (whose past is fixed): it starts a new branch instead, which the
 * host re-executes from the start (viz/branch.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "sim/units.h"
#include "viz/app.h"

/* 1: apply it now; 0: refused (said why); -1: it starts a new branch. */
static int may_change(viz_app *a)
{
    if (!a->live_s) {
        viz_app_note(a, true, "a replay is read-only: make faults in a live run (dsim run ... --viz)");
        return 0;
    }
    if (a->restart || !a->s || !viz_app_at_edge(a)) return -1;
    if (a->sim_done || sim_now_ns(a->s) >= a->end_ns) {
        viz_app_note(a, true, "the run has ended");
        return 0;
    }
    return 1;
}

/* Runs the kernel to the first time F >= now at which no record has been made, so
 * that replaying the fault at F is exact (see the file comment). */
static bool clean_time(viz_app *a)
{
    for (int64_t f = sim_now_ns(a->s), i = 0; i < 64 && f < a->end_ns; i++, f++) {
        viz_app_advance(a, f);
        if (a->model.applied != a->store.count || sim_now_ns(a->s) != f) return false;
        if (a->store.count == 0 || a->store.recs[a->store.count - 1].t_ns < f) return true;
    }
    return false;
}

static viz_hand *begin(viz_app *a, uint8_t kind, uint32_t node, uint32_t peer, const char *groups)
{
    viz_hand nh = { .kind = kind, .node = node, .peer = peer };
    if (groups) snprintf(nh.groups, sizeof(nh.groups), "%s", groups);
    int how = may_change(a);
    if (how < 0) viz_branch_fork(a, &nh);
    if (how <= 0) return NULL;
    if (!clean_time(a)) {
        viz_app_note(a, true, "could not find a quiet moment to apply the fault (paused on a check?)");
        return NULL;
    }
    if (a->n_hand == a->cap_hand) {
        size_t cap = a->cap_hand ? a->cap_hand * 2 : 16;
        viz_hand *h = realloc(a->hand, cap * sizeof(*h));
        if (!h) return NULL;
        a->hand = h;
        a->cap_hand = cap;
    }
    viz_hand *h = &a->hand[a->n_hand++];
    *h = nh;
    h->t_ns = sim_now_ns(a->s);
    return h;
}

/* Shows what the kernel recorded for the fault just made. */
static void finish(viz_app *a, int rc, const char *what)
{
    if (rc) {
        a->n_hand--;
        viz_app_note(a, true, "%s: %s", what, sim_strerror(rc));
        return;
    }
    viz_app_advance(a, sim_now_ns(a->s));
    char when[48];
    viz_format_time(sim_now_ns(a->s), when, sizeof(when));
    viz_app_note(a, false, "%s at %s (s saves the faults made by hand)", what, when);
}

void viz_hand_crash_toggle(viz_app *a, uint32_t node)
{
    const viz_node_state *n = viz_model_node(&a->model, node);
    bool down = n && n->status == SIM_NODE_DOWN;
    if (!n || !begin(a, down ? SIM_REC_RESTART : SIM_REC_CRASH, node, VIZ_NONE, NULL)) return;
    char what[96];
    snprintf(what, sizeof(what), "%s %s", down ? "restarted" : "crashed", viz_store_node_name(&a->store, node));
    finish(a, down ? sim_node_restart(a->s, node) : sim_node_crash(a->s, node), what);
}

void viz_hand_pause_toggle(viz_app *a, uint32_t node)
{
    const viz_node_state *n = viz_model_node(&a->model, node);
    if (!n) return;
    if (n->status == SIM_NODE_DOWN) {
        viz_app_note(a, true, "%s is down: click it to restart it first", viz_store_node_name(&a->store, node));
        return;
    }
    bool paused = n->status == SIM_NODE_PAUSED;
    if (!begin(a, paused ? SIM_REC_RESUME : SIM_REC_PAUSE, node, VIZ_NONE, NULL)) return;
    char what[96];
    snprintf(what, sizeof(what), "%s %s", paused ? "resumed" : "paused", viz_store_node_name(&a->store, node));
    finish(a, paused ? sim_node_resume(a->s, node) : sim_node_pause(a->s, node), what);
}

static bool has_cut(const viz_model *m, uint32_t from, uint32_t to)
{
    for (size_t i = 0; i < m->n_cuts; i++)
        if (m->cuts[i].from == from && m->cuts[i].to == to) return true;
    return false;
}

static void link_one(viz_app *a, uint32_t from, uint32_t to, bool cut)
{
    if (!begin(a, cut ? SIM_REC_CUT : SIM_REC_UNCUT, from, to, NULL)) return;
    char what[160];
    snprintf(what, sizeof(what), "%s %s -> %s", cut ? "cut" : "restored", viz_store_node_name(&a->store, from),
             viz_store_node_name(&a->store, to));
    finish(a, cut ? sim_net_cut(a->s, from, to) : sim_net_uncut(a->s, from, to), what);
}

void viz_hand_link_toggle(viz_app *a, uint32_t from, uint32_t to, bool one_way)
{
    if (from == to || from >= a->model.nnodes || to >= a->model.nnodes) return;
    const viz_model *m = &a->model;
    bool ab = has_cut(m, from, to), ba = has_cut(m, to, from);
    if (!ab && !ba && (viz_model_blocked(m, from, to) || viz_model_blocked(m, to, from))) {
        viz_app_note(a, true, "%s and %s are in different partition groups: press h to heal",
                     viz_store_node_name(&a->store, from), viz_store_node_name(&a->store, to));
        return;
    }
    if (one_way) {
        link_one(a, from, to, !ab);
        return;
    }
    if (ab || ba) {                             /* restore whatever is cut */
        if (ab) link_one(a, from, to, false);
        if (ba) link_one(a, to, from, false);
        return;
    }
    link_one(a, from, to, true);
    link_one(a, to, from, true);
}

/* Group 1: the selected nodes; group 2: the other nodes of their clusters. */
void viz_hand_partition_selected(viz_app *a)
{
    size_t n = a->model.nnodes, k = 0, sizes[2] = { 0, 0 };
    sim_node_id *members = malloc((n + 1) * sizeof(sim_node_id));
    if (!members) return;
    for (uint32_t i = 0; i < n && i < a->selected_cap; i++)
        if (a->selected[i]) members[k++] = i, sizes[0]++;
    for (uint32_t i = 0; i < n; i++) {
        bool same_cluster = false;
        for (size_t j = 0; j < sizes[0]; j++)
            same_cluster |= a->model.nodes[members[j]].cluster == a->model.nodes[i].cluster;
        if (same_cluster && !(i < a->selected_cap && a->selected[i])) members[k++] = i, sizes[1]++;
    }
    if (!sizes[0] || !sizes[1]) {
        viz_app_note(a, true, "select some nodes first (ctrl-click or right-click), then press p");
    } else {
        char groups[256];
        size_t len = 0;
        for (size_t i = 0; i < k && len < sizeof(groups); i++)
            len += (size_t)snprintf(groups + len, sizeof(groups) - len, "%s%s",
                                    i == 0 ? "" : i == sizes[0] ? " | " : ",", viz_store_node_name(&a->store, members[i]));
        if (begin(a, SIM_REC_PARTITION, VIZ_NONE, VIZ_NONE, groups))
            finish(a, sim_net_partition(a->s, 2, sizes, members), "partitioned the selection");
        memset(a->selected, 0, a->selected_cap);
    }
    free(members);
}

void viz_hand_heal(viz_app *a)
{
    if (begin(a, SIM_REC_HEAL, VIZ_NONE, VIZ_NONE, NULL)) finish(a, sim_net_heal(a->s), "healed the network");
}
