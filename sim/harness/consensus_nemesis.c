/*
 * The consensus scenarios' random nemesis (see consensus_nemesis.h). Each fault
 * that ends later (a restart, a heal, a resume) is a scheduled call whose context
 * is a small action record; the records are kept on a list and freed with the
 * nemesis, since the kernel never tells a scheduled call it will not run.
 */
#include "sim/harness/consensus_nemesis.h"

#include <stdlib.h>
#include <string.h>

#include "sim/trace.h"

typedef struct action {
    struct action *next;
    consensus_nemesis *nem;
    sim_node_id node, peer;          /* peer: the other end of a slowed link */
} action;

struct consensus_nemesis {
    sim *s;
    sim_node_id *targets;
    size_t n;
    consensus_nemesis_opts opts;
    sim_rng *rng;
    action *actions;
    uint64_t count[NEMESIS_KINDS];
    sim_node_id armed;               /* bounce: crashes right after its next send */
    bool observing;
};

static int64_t uniform(consensus_nemesis *nem, int64_t lo, int64_t hi)
{
    return hi > lo ? sim_rng_range(nem->rng, lo, hi) : lo;
}

static void later_link(consensus_nemesis *nem, int64_t delay_ns, sim_call_fn fn, sim_node_id node,
                       sim_node_id peer)
{
    action *a = malloc(sizeof(*a));
    SIM_ASSERT(a != NULL);
    *a = (action){ nem->actions, nem, node, peer };
    nem->actions = a;
    int rc = sim_schedule(nem->s, sim_now_ns(nem->s) + delay_ns, fn, a);
    SIM_ASSERT(rc == 0);
}

static void later(consensus_nemesis *nem, int64_t delay_ns, sim_call_fn fn, sim_node_id node)
{
    later_link(nem, delay_ns, fn, node, SIM_NODE_NONE);
}

static size_t count_status(const consensus_nemesis *nem, sim_node_status status)
{
    size_t k = 0;
    for (size_t i = 0; i < nem->n; i++) k += sim_node_get_status(nem->s, nem->targets[i]) == status;
    return k;
}

/* A random target that is up, or SIM_NODE_NONE when none is. */
static sim_node_id pick_up(consensus_nemesis *nem)
{
    size_t up = count_status(nem, SIM_NODE_UP);
    if (up == 0) return SIM_NODE_NONE;
    uint64_t k = sim_rng_below(nem->rng, up);
    for (size_t i = 0; i < nem->n; i++)
        if (sim_node_get_status(nem->s, nem->targets[i]) == SIM_NODE_UP && k-- == 0) return nem->targets[i];
    return SIM_NODE_NONE;
}

static void do_restart(sim *s, void *ctx)
{
    action *a = ctx;
    if (sim_node_get_status(s, a->node) == SIM_NODE_DOWN) sim_node_restart(s, a->node);
}

static void do_resume(sim *s, void *ctx)
{
    action *a = ctx;
    if (sim_node_get_status(s, a->node) == SIM_NODE_PAUSED) sim_node_resume(s, a->node);
}

static void do_heal(sim *s, void *ctx) { sim_net_heal(s); }

static void do_unslow(sim *s, void *ctx)
{
    action *a = ctx;
    if (a->peer == SIM_NODE_NONE) return;    /* restored by calm() already */
    int rc = sim_net_clear_link(s, a->node, a->peer);
    SIM_ASSERT(rc == 0);
    a->peer = SIM_NODE_NONE;
}

/* A random target's links get latency uniform in [slow_min, slow_max], each
 * message its own draw, so one round's messages arrive far apart: half the time
 * every link out of it (its link to itself among them), else one directed link
 * among the targets (from == to: a self-link). */
static void slow_link(consensus_nemesis *nem)
{
    const consensus_nemesis_opts *o = &nem->opts;
    sim_node_id from = nem->targets[sim_rng_below(nem->rng, nem->n)];
    bool all = sim_rng_below(nem->rng, 2) == 0;
    sim_node_id one = nem->targets[sim_rng_below(nem->rng, nem->n)];
    int64_t d = uniform(nem, o->slow_for_ns_max / 4, o->slow_for_ns_max);
    sim_link_policy p = *sim_net_get_default(nem->s);
    p.latency = sim_dist_uniform(o->slow_ns_min, o->slow_ns_max);
    for (size_t i = 0; i < nem->n; i++) {
        sim_node_id to = nem->targets[i];
        if (!all && to != one) continue;
        int rc = sim_net_set_link(nem->s, from, to, &p);
        SIM_ASSERT(rc == 0);
        later_link(nem, d, do_unslow, from, to);
    }
}

static bool room_to_go_down(const consensus_nemesis *nem);

/* The bounce itself: the armed node sent, its messages are in flight; it
 * crashes now (after its handler) and restarts within bounce_max. */
static void do_bounce(sim *s, void *ctx)
{
    action *a = ctx;
    consensus_nemesis *nem = a->nem;
    if (sim_node_get_status(s, a->node) != SIM_NODE_UP || !room_to_go_down(nem)) return;
    int rc = sim_node_crash(s, a->node);
    SIM_ASSERT(rc == 0);
    later(nem, uniform(nem, 0, nem->opts.bounce_ns_max), do_restart, a->node);
}

static void on_record(sim *s, const sim_record *r, void *ctx)
{
    consensus_nemesis *nem = ctx;
    if (r->kind != SIM_REC_SEND || r->node != nem->armed || nem->armed == SIM_NODE_NONE) return;
    later(nem, 0, do_bounce, nem->armed);
    nem->armed = SIM_NODE_NONE;
}

static bool room_to_go_down(const consensus_nemesis *nem)
{
    size_t max = nem->opts.max_down ? nem->opts.max_down : (nem->n - 1) / 2;
    return count_status(nem, SIM_NODE_DOWN) + count_status(nem, SIM_NODE_PAUSED) < max;
}

static void partition(consensus_nemesis *nem)
{
    if (nem->n < 2) return;
    sim_node_id *members = malloc(nem->n * sizeof(sim_node_id));
    SIM_ASSERT(members != NULL);
    memcpy(members, nem->targets, nem->n * sizeof(sim_node_id));
    for (size_t i = nem->n - 1; i > 0; i--) {          /* Fisher-Yates */
        size_t j = (size_t)sim_rng_below(nem->rng, i + 1);
        sim_node_id t = members[i];
        members[i] = members[j];
        members[j] = t;
    }
    size_t sizes[2];
    sizes[0] = 1 + (size_t)sim_rng_below(nem->rng, nem->n - 1);
    sizes[1] = nem->n - sizes[0];
    int rc = sim_net_partition(nem->s, 2, sizes, members);
    SIM_ASSERT(rc == 0);
    free(members);
    later(nem, uniform(nem, nem->opts.partition_ns_max / 4, nem->opts.partition_ns_max), do_heal,
          SIM_NODE_NONE);
}

static void inject(consensus_nemesis *nem, int kind)
{
    const consensus_nemesis_opts *o = &nem->opts;
    bool network = kind == NEMESIS_PARTITION || kind == NEMESIS_SLOW_LINK;
    sim_node_id id = network ? SIM_NODE_NONE : pick_up(nem);
    if (!network && id == SIM_NODE_NONE) return;
    bool down = kind == NEMESIS_CRASH || kind == NEMESIS_PAUSE || kind == NEMESIS_BOUNCE;
    if (down && !room_to_go_down(nem)) return;
    nem->count[kind]++;
    if (kind == NEMESIS_BOUNCE) {
        nem->armed = id;
    } else if (kind == NEMESIS_CRASH) {
        int rc = sim_node_crash(nem->s, id);
        SIM_ASSERT(rc == 0);
        later(nem, uniform(nem, o->down_ns_min, o->down_ns_max), do_restart, id);
    } else if (kind == NEMESIS_PAUSE) {
        int rc = sim_node_pause(nem->s, id);
        SIM_ASSERT(rc == 0);
        later(nem, uniform(nem, 1, o->pause_ns_max), do_resume, id);
    } else if (kind == NEMESIS_SKEW) {
        int64_t offset = uniform(nem, -o->skew_ns_max, o->skew_ns_max);
        int64_t drift = uniform(nem, -o->drift_ppm_max, o->drift_ppm_max);
        sim_node_set_clock(nem->s, id, offset, drift);
    } else if (kind == NEMESIS_SLOW_LINK) {
        slow_link(nem);
    } else {
        partition(nem);
    }
}

static void tick(sim *s, void *ctx)
{
    consensus_nemesis *nem = ctx;
    unsigned total = 0;
    for (int k = 0; k < NEMESIS_KINDS; k++) total += nem->opts.weight[k];
    if (total == 0) return;
    uint64_t pick = sim_rng_below(nem->rng, total);
    int kind = 0;
    while (pick >= nem->opts.weight[kind]) pick -= nem->opts.weight[kind++];
    inject(nem, kind);
    sim_dist gap = sim_dist_exponential(nem->opts.interval_ns);
    int64_t at = sim_now_ns(s) + 1 + sim_dist_draw(&gap, nem->rng);
    int rc = at < nem->opts.stop_ns ? sim_schedule(s, at, tick, nem) : 0;
    SIM_ASSERT(rc == 0);
}

/* The end of the storm: every fault is undone, so liveness can be judged. */
static void calm(sim *s, void *ctx)
{
    consensus_nemesis *nem = ctx;
    nem->armed = SIM_NODE_NONE;
    sim_net_heal(s);
    for (action *a = nem->actions; a; a = a->next) do_unslow(s, a);
    for (size_t i = 0; i < nem->n; i++) {
        sim_node_id id = nem->targets[i];
        if (sim_node_get_status(s, id) == SIM_NODE_PAUSED) sim_node_resume(s, id);
        if (sim_node_get_status(s, id) == SIM_NODE_DOWN) sim_node_restart(s, id);
    }
}

int consensus_nemesis_start(sim *s, const sim_node_id *targets, size_t n,
                            const consensus_nemesis_opts *opts, consensus_nemesis **out)
{
    if (n == 0 || opts->interval_ns <= 0 || opts->stop_ns < opts->start_ns) return SIM_EINVAL;
    if (opts->weight[NEMESIS_SLOW_LINK] &&
        (opts->slow_ns_min < 0 || opts->slow_ns_max < opts->slow_ns_min || opts->slow_for_ns_max <= 0))
        return SIM_EINVAL;
    consensus_nemesis *nem = calloc(1, sizeof(*nem));
    sim_node_id *copy = malloc(n * sizeof(sim_node_id));
    if (!nem || !copy) {
        free(nem);
        free(copy);
        return SIM_ENOMEM;
    }
    memcpy(copy, targets, n * sizeof(sim_node_id));
    *nem = (consensus_nemesis){ .s = s, .targets = copy, .n = n, .opts = *opts,
                                .rng = sim_stream(s, SIM_STREAM_FAULTS), .armed = SIM_NODE_NONE };
    int rc = opts->weight[NEMESIS_BOUNCE] ? sim_observe(s, on_record, nem) : 0;
    nem->observing = rc == 0 && opts->weight[NEMESIS_BOUNCE];
    sim_dist gap = sim_dist_exponential(opts->interval_ns);
    int64_t first = opts->start_ns + sim_dist_draw(&gap, nem->rng);
    if (rc == 0) rc = first < opts->stop_ns ? sim_schedule(s, first, tick, nem) : 0;
    if (rc == 0) rc = sim_schedule(s, opts->stop_ns, calm, nem);
    if (rc) {
        consensus_nemesis_free(nem);
        return rc;
    }
    *out = nem;
    return 0;
}

void consensus_nemesis_free(consensus_nemesis *nem)
{
    if (!nem) return;
    if (nem->observing) sim_unobserve(nem->s, on_record, nem);
    while (nem->actions) {
        action *next = nem->actions->next;
        free(nem->actions);
        nem->actions = next;
    }
    free(nem->targets);
    free(nem);
}

uint64_t consensus_nemesis_count(const consensus_nemesis *nem, int kind)
{
    return kind >= 0 && kind < NEMESIS_KINDS ? nem->count[kind] : 0;
}
