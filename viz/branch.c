/*
 * Branches of history, by deterministic re-execution. The kernel's past cannot be
 * changed, so a fault made by hand while stepped back (or while an old branch is
 * shown) makes a new branch instead: its schedule is the shown branch's faults
 * made by hand before F plus the new fault at F, where F is the first nanosecond
 * at or after the picture's time at which no record was made (the rule of every
 * fault made by hand, viz/hand.c, here read from the recorded records). viz_drive
 * then returns VIZ_RESTART; the host runs the scenario again from the start; the
 * next viz_drive schedules that list through the path of DSIM_VIZ_FAULTS
 * (viz_hand_schedule_list), plays to F without drawing and pauses there, with
 * the new fault visible.
 *
 * The run is deterministic, so the new branch's records before F must equal its
 * parent's, record by record: the viewer checks it and shows a red banner (and
 * says it on stderr) when they differ. Every branch keeps its records: `b` shows
 * an old one read-only, like a replay; the newest one is live. The shown branch
 * lends its store and schedule to the app (its entry here holds an empty
 * placeholder meanwhile), so everything else in viz/ sees a single store.
 *
 * The list is process-global: it outlives the run that asked for the restart.
 * The schedule is applied in the new run's first viz_drive call, and the fork is
 * positioned in the call (dsim.run) it was made in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viz/app.h"

typedef struct branches {
    viz_branch *list;
    size_t n, cap;
    size_t shown, live;         /* the branch the app shows; the one the kernel runs */
    bool pending;               /* the live branch waits to be positioned at its fork */
    unsigned drive, fork_drive; /* viz_drive calls in this run; the call the fork was made in */
    viz_script *script;         /* the test script, carried across a restart */
    long prefix;                /* records checked equal at the last fork; -1: they differ */
    char error[320];
} branches;

static branches g;

size_t viz_branch_count(void) { return g.n; }
size_t viz_branch_shown(void) { return g.shown; }
long viz_branch_prefix(void) { return g.prefix; }
const char *viz_branch_error(void) { return g.error; }

viz_script *viz_branch_take_script(void)
{
    viz_script *sc = g.script;
    g.script = NULL;
    return sc;
}

static viz_branch *add(void)
{
    if (g.n == g.cap) {
        size_t cap = g.cap ? g.cap * 2 : 4;
        viz_branch *l = realloc(g.list, cap * sizeof(*l));
        if (!l) return NULL;
        g.list = l;
        g.cap = cap;
    }
    viz_branch *b = &g.list[g.n++];
    memset(b, 0, sizeof(*b));
    viz_store_init(&b->store);
    return b;
}

static void swap_data(viz_app *a, viz_branch *b)
{
    viz_store st = a->store;
    a->store = b->store;
    b->store = st;
    viz_hand *h = a->hand;
    a->hand = b->hand;
    b->hand = h;
    size_t n = a->n_hand;
    a->n_hand = b->n_hand;
    b->n_hand = n;
    n = a->cap_hand;
    a->cap_hand = b->cap_hand;
    b->cap_hand = n;
}

static void set_title(viz_app *a)
{
    const dsim_run_opts *o = a->opts;
    int len = snprintf(a->title, sizeof(a->title), "%s   seed %llu   ", o && o->scenario ? o->scenario : "",
                       (unsigned long long)(o ? o->seed : 0));
    if (len < 0 || (size_t)len >= sizeof(a->title)) return;
    if (g.n < 2) snprintf(a->title + len, sizeof(a->title) - (size_t)len, "live");
    else
        snprintf(a->title + len, sizeof(a->title) - (size_t)len, "branch %s/%zu  %s", g.list[g.shown].name, g.n,
                 g.shown == g.live ? "live" : "read-only");
}

static bool str_same(const char *x, const char *y) { return strcmp(x ? x : "", y ? y : "") == 0; }

bool viz_rec_equal(const viz_store *sa, const viz_rec *ra, const viz_store *sb, const viz_rec *rb)
{
    return ra->t_ns == rb->t_ns && ra->num1 == rb->num1 && ra->num2 == rb->num2 && ra->id == rb->id &&
           ra->node == rb->node && ra->peer == rb->peer && ra->kind == rb->kind && ra->flags == rb->flags &&
           str_same(viz_store_str(sa, ra->name), viz_store_str(sb, rb->name)) && str_same(ra->detail, rb->detail) &&
           str_same(ra->body, rb->body);
}

/* The new branch's records before F against its parent's (see the file comment). */
static void check_prefix(const viz_store *old, const viz_store *now, int64_t f, const char *name, const char *from)
{
    size_t n = viz_store_lower(old, f), bad = SIZE_MAX;
    for (size_t i = 0; i < n && bad == SIZE_MAX; i++)
        if (i >= now->count || !viz_rec_equal(old, &old->recs[i], now, &now->recs[i])) bad = i;
    if (bad == SIZE_MAX && old->count > n && viz_store_lower(now, f) != n) bad = n;   /* more records */
    g.prefix = bad == SIZE_MAX ? (long)n : -1;
    g.error[0] = 0;
    if (bad == SIZE_MAX) return;
    snprintf(g.error, sizeof(g.error), "BRANCH MISMATCH  %s differs from %s at record %zu (of the %zu before the fork)",
             name, from, bad, n);
    fprintf(stderr, "viz: %s\n", g.error);
}

/* Plays the new branch to its fork without drawing and pauses there. */
static void position(viz_app *a)
{
    viz_branch *b = &g.list[g.live];
    g.pending = false;
    bool was = a->headless;
    a->headless = true;                                   /* no pause on a check on the way */
    viz_app_advance(a, b->fork_ns);
    a->headless = was;
    a->paused = true;
    check_prefix(&g.list[b->parent].store, &a->store, b->fork_ns, b->name, g.list[b->parent].name);
    char when[48];
    viz_format_time(b->fork_ns, when, sizeof(when));
    if (g.prefix >= 0)
        viz_app_note(a, false, "new branch %s: re-run to %s, its first %ld records equal %s's (b: next branch)",
                     b->name, when, g.prefix, g.list[b->parent].name);
    else viz_app_note(a, true, "%s", g.error);
}

void viz_branch_begin(viz_app *a)
{
    a->live_s = a->s;
    if (g.n == 0) {
        viz_branch *b = add();
        if (!b) return;
        snprintf(b->name, sizeof(b->name), "b1");
        b->fork_ns = -1;
        g.shown = g.live = 0;
    }
    unsigned drive = g.drive++;
    viz_branch *e = &g.list[g.live];                      /* the app takes the live branch's schedule */
    viz_store_free(&e->store);
    free(a->hand);
    a->hand = e->hand, a->n_hand = e->n_hand, a->cap_hand = e->cap_hand;
    e->hand = NULL, e->n_hand = e->cap_hand = 0;
    g.shown = g.live;
    if (g.pending && drive == 0 && a->n_hand) {
        int rc = viz_hand_schedule_list(a->s, &g.list[e->parent].store, a->hand, a->n_hand);
        if (rc) viz_app_note(a, true, "cannot schedule branch %s: %s", e->name, sim_strerror(rc));
    }
    if (g.pending && drive == g.fork_drive) position(a);
    set_title(a);
}

void viz_branch_end(viz_app *a)
{
    if (g.n == 0) return;
    swap_data(a, &g.list[g.shown]);                       /* every branch holds its own again */
    a->s = a->live_s;
    g.shown = g.live;
    if (!a->restart) return;
    g.drive = 0;
    g.script = a->script;
    a->script = NULL;
}

/* The first nanosecond >= t with no record in st, or -1 (64 busy ones in a row). */
static int64_t quiet_time(const viz_store *st, int64_t t)
{
    for (int i = 0; i < 64; i++, t++) {
        size_t k = viz_store_lower(st, t);
        if (k == st->count || st->recs[k].t_ns != t) return t;
    }
    return -1;
}

static bool push_hand(viz_branch *b, const viz_hand *h)
{
    if (b->n_hand == b->cap_hand) {
        size_t cap = b->cap_hand ? b->cap_hand * 2 : 8;
        viz_hand *l = realloc(b->hand, cap * sizeof(*l));
        if (!l) return false;
        b->hand = l;
        b->cap_hand = cap;
    }
    b->hand[b->n_hand++] = *h;
    return true;
}

void viz_branch_fork(viz_app *a, const viz_hand *h)
{
    viz_hand nh = *h;
    if (a->restart) {                       /* a second fault of the same gesture (a two-way cut) */
        nh.t_ns = g.list[g.live].fork_ns;
        push_hand(&g.list[g.live], &nh);
        return;
    }
    int64_t f = quiet_time(&a->store, a->t_ns);
    if (f < 0 || f >= a->end_ns) {
        viz_app_note(a, true, f < 0 ? "could not find a quiet moment to branch at" : "the run has ended");
        return;
    }
    size_t parent = g.shown;
    viz_branch *b = add();
    if (!b) return;
    snprintf(b->name, sizeof(b->name), "b%zu", g.n);
    b->parent = parent;
    b->fork_ns = f;
    for (size_t i = 0; i < a->n_hand && a->hand[i].t_ns < f; i++)
        if (!push_hand(b, &a->hand[i])) return;
    nh.t_ns = f;
    if (!push_hand(b, &nh)) return;
    g.live = g.n - 1;
    g.pending = true;
    g.fork_drive = g.drive - 1;
    a->restart = a->quit = true;
    char when[48];
    viz_format_time(f, when, sizeof(when));
    printf("viz: new branch %s from %s at %s: running the scenario again from the start\n", b->name,
           g.list[parent].name, when);
    fflush(stdout);
}

void viz_branch_cycle(viz_app *a)
{
    if (g.n < 2) {
        viz_app_note(a, false, "one branch so far: change something after stepping back to start another");
        return;
    }
    size_t next = (g.shown + 1) % g.n;
    swap_data(a, &g.list[g.shown]);
    swap_data(a, &g.list[next]);
    g.shown = next;
    a->s = next == g.live ? a->live_s : NULL;             /* an old branch is read-only */
    viz_model_reset(&a->model);
    viz_model_seek(&a->model, viz_store_upper(&a->store, a->t_ns));
    a->failed_seen = a->model.checks_failed;
    a->highlight_rec = SIZE_MAX;
    a->paused = true;
    a->drag_from = VIZ_NONE;
    set_title(a);
    viz_app_note(a, false, "branch %s (%s)", g.list[next].name,
                 next == g.live ? "live" : "read-only: a fault made here starts a new branch");
}
