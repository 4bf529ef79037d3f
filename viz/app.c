/*
 * A viewer session's time machine (viz/app.h): playing forward, stepping one
 * record either way, jumping, and pausing on a failed check.
 *
 * In a live run the kernel only runs when the picture needs records it has not
 * produced yet; an observer copies each record into the store. Stepping forward at
 * the newest record asks the kernel for exactly one more event that emits a record:
 * the observer calls sim_stop() after the first one, so the run never goes past
 * the record (nor past end_ns: sim_run_until bounds it). Stepping back never runs
 * the kernel; it rebuilds the model from the store (viz_model_seek).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/units.h"
#include "viz/app.h"

static void on_record(sim *s, const sim_record *r, void *ctx)
{
    viz_app *a = ctx;
    viz_store_add_live(&a->store, s, r);
    bool failed = r->kind == SIM_REC_CHECK && !r->num1 && !a->headless;
    if (a->stop_on_record || failed) sim_stop(s);
}

/* The default link policy in the words of the kernel's "net" record (the format of
 * emit_net in sim/net_fault.c). */
static void synthesize_policy(viz_app *a)
{
    const sim_link_policy *p = sim_net_get_default(a->s);
    char dist[96], text[256];
    sim_dist_format(&p->latency, dist, sizeof(dist));
    snprintf(text, sizeof(text), "latency=%s loss=%.6g duplicate=%.6g corrupt=%.6g bandwidth=%llu", dist,
             sim_prob_to_double(p->loss), sim_prob_to_double(p->duplicate), sim_prob_to_double(p->corrupt),
             (unsigned long long)p->bandwidth_bytes_per_s);
    sim_record r;
    memset(&r, 0, sizeof(r));
    r.time_ns = sim_now_ns(a->s);
    r.kind = SIM_REC_NET;
    r.node = r.peer = SIM_NODE_NONE;
    r.detail = text;
    viz_store_add_live(&a->store, a->s, &r);
}

/* The records of what existed before the viewer subscribed: the network's default
 * policy, the nodes added by the scenario's set-up with their status. Marked with
 * the current time. */
static void synthesize_existing(viz_app *a)
{
    synthesize_policy(a);
    for (sim_node_id id = 0; id < sim_node_count(a->s); id++) {
        sim_record r;
        memset(&r, 0, sizeof(r));
        r.time_ns = sim_now_ns(a->s);
        r.kind = SIM_REC_NODE;
        r.node = id;
        r.peer = SIM_NODE_NONE;
        r.name = sim_node_program(a->s, id) ? sim_node_program(a->s, id)->name : NULL;
        r.num1 = sim_node_cluster(a->s, id);
        viz_store_add_live(&a->store, a->s, &r);
        sim_node_status st = sim_node_get_status(a->s, id);
        if (st != SIM_NODE_UP) {
            r.kind = st == SIM_NODE_DOWN ? SIM_REC_CRASH : SIM_REC_PAUSE;
            r.name = NULL;
            viz_store_add_live(&a->store, a->s, &r);
        }
    }
}

int viz_app_init(viz_app *a, const dsim_run_opts *opts, sim *s, int64_t end_ns, bool headless)
{
    memset(a, 0, sizeof(*a));
    a->opts = opts;
    a->s = s;
    a->end_ns = end_ns;
    a->headless = headless;
    a->hover_node = a->drag_from = VIZ_NONE;
    a->hover_flight = a->highlight_rec = SIZE_MAX;
    viz_store_init(&a->store);
    viz_model_init(&a->model, &a->store);
    int rc = viz_gfx_init(&a->gfx, VIZ_DEFAULT_W, VIZ_DEFAULT_H);
    if (rc) return rc;
    viz_app_set_end(a, end_ns);
    const char *view = getenv("DSIM_VIZ_VIEW");       /* "spacetime" starts in that view */
    a->lamport = view && strcmp(view, "spacetime") == 0;
    if (s) {
        synthesize_existing(a);
        a->t_ns = sim_now_ns(s);
    }
    return 0;
}

void viz_app_set_end(viz_app *a, int64_t end_ns)
{
    a->end_ns = end_ns;
    /* about 30 s of wall time for the whole run, in 1-2-5 steps */
    a->speed = viz_speed_step(end_ns / 30 > SIM_NS_PER_MS ? end_ns / 30 : SIM_NS_PER_MS, 0);
    a->mark_life_ns = a->speed / 2;
}

void viz_app_attach(viz_app *a) { sim_observe(a->s, on_record, a); }
void viz_app_detach(viz_app *a) { sim_unobserve(a->s, on_record, a); }

void viz_app_free(viz_app *a)
{
    viz_script_free(a->script);
    viz_model_free(&a->model);
    viz_store_free(&a->store);
    viz_gfx_free(&a->gfx);
    free(a->lay.x);
    free(a->lay.y);
    free(a->selected);
    free(a->hand);
    memset(a, 0, sizeof(*a));
}

void viz_app_note(viz_app *a, bool bad, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->note, sizeof(a->note), fmt, ap);
    va_end(ap);
    a->note_frames = 240;
    a->note_bad = bad;
}

int64_t viz_speed_step(int64_t speed, int dir)
{
    /* 1, 2, 5 x 10^k ns per second, from 1 us/s to 100 s/s */
    int64_t steps[64];
    int n = 0;
    for (int64_t p = SIM_NS_PER_US; p <= 100 * SIM_NS_PER_S; p *= 10) {
        steps[n++] = p;
        if (p < 100 * SIM_NS_PER_S) steps[n++] = 2 * p, steps[n++] = 5 * p;
    }
    int i = 0;
    while (i + 1 < n && steps[i + 1] <= speed) i++;
    i += dir;
    return steps[i < 0 ? 0 : i >= n ? n - 1 : i];
}

void viz_format_time(int64_t ns, char *buf, size_t n)
{
    int64_t us = ns / SIM_NS_PER_US;
    if (ns < SIM_NS_PER_S)
        snprintf(buf, n, "%lld.%03lld ms", (long long)(us / 1000), (long long)(us % 1000));
    else
        snprintf(buf, n, "%lld.%06lld s", (long long)(us / 1000000), (long long)(us % 1000000));
}

bool viz_app_at_edge(const viz_app *a)
{
    return a->s && a->model.applied == a->store.count;
}

/* Asks the live kernel for records up to t_ns (or one record when one is true).
 * Returns false when it has nothing more to give. */
static bool pull(viz_app *a, int64_t t_ns, bool one)
{
    if (!a->s || a->sim_done) return false;
    size_t before = a->store.count;
    a->stop_on_record = one;
    int rc = sim_run_until(a->s, t_ns);
    a->stop_on_record = false;
    if ((rc == 0 && t_ns >= a->end_ns) || sim_halted(a->s)) a->sim_done = true;   /* halted: a check failed */
    return a->store.count > before;
}

/* Applies the next record; true when it was a failed check that should pause. */
static bool apply_one(viz_app *a)
{
    viz_model_apply_next(&a->model);
    if (a->model.checks_failed > a->failed_seen) {
        a->failed_seen = a->model.checks_failed;
        a->highlight_rec = a->model.last_failed_rec;
        return !a->headless;
    }
    return false;
}

void viz_app_advance(viz_app *a, int64_t t_ns)
{
    if (t_ns > a->end_ns) t_ns = a->end_ns;
    for (;;) {
        while (a->model.applied < a->store.count && a->store.recs[a->model.applied].t_ns <= t_ns) {
            if (apply_one(a)) {
                a->t_ns = a->store.recs[a->model.applied - 1].t_ns;
                a->paused = true;
                viz_app_note(a, true, "a check failed: paused at the event that broke it");
                return;
            }
        }
        if (a->model.applied < a->store.count) break;       /* the next record is later */
        if (!pull(a, t_ns, false) && (!a->s || a->sim_done || sim_now_ns(a->s) >= t_ns)) break;
    }
    if (t_ns > a->t_ns) a->t_ns = t_ns;
}

bool viz_app_step(viz_app *a)
{
    if (a->model.applied == a->store.count && !pull(a, a->end_ns, true)) {
        viz_app_note(a, false, "end of the run");
        return false;
    }
    apply_one(a);
    a->t_ns = a->store.recs[a->model.applied - 1].t_ns;
    return true;
}

bool viz_app_back(viz_app *a)
{
    if (a->model.applied <= 1) return false;
    viz_model_seek(&a->model, a->model.applied - 1);
    a->t_ns = a->store.recs[a->model.applied - 1].t_ns;
    a->failed_seen = a->model.checks_failed;
    return true;
}

void viz_app_jump(viz_app *a, int64_t t_ns)
{
    if (t_ns < 0) t_ns = 0;
    if (t_ns >= a->t_ns) {
        bool was = a->headless;
        a->headless = true;                                   /* no pause on the way */
        viz_app_advance(a, t_ns);
        a->headless = was;
        return;
    }
    viz_model_seek(&a->model, viz_store_upper(&a->store, t_ns));
    a->failed_seen = a->model.checks_failed;
    a->t_ns = t_ns;
}
