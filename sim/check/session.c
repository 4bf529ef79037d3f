/*
 * The session checkers (sim/check/session.h): read-your-writes and monotonic
 * reads, per process and per key, over a history read by the linearizability
 * checker's readers (lin_load_sim, lin_parse_jsonl/edn/etcd: one parser).
 *
 * Cost: the writes are grouped by (key, value) once, each group keeping its
 * earliest invoke and its two latest completions, so "could a write of x to k
 * still be unfinished at time t (other than W)?" is a binary search; the reads
 * are walked once per process in history order. O(n log n) in all.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/check/lin_internal.h"
#include "sim/check/session.h"

#define NEVER INT64_MAX        /* the completion of a write that may never complete */

typedef struct wgroup {
    uint32_t key, value;
    int64_t min_invoke, max_complete, second_complete;
    uint64_t max_id;           /* the write with max_complete */
} wgroup;

typedef struct checker {
    const lin_history *h;
    const sim_session_options *o;
    wgroup *groups;
    size_t ngroups;
    uint32_t *mine, *last;     /* per key pool id: op index + 1 of P's last ok write, last read */
    uint32_t *touched;
    size_t ntouched;
    sim_session_result *r;
    size_t listed_cap;
} checker;

int sim_session_checks_parse(const char *name, unsigned *out)
{
    if (strcmp(name, "read-your-writes") == 0) *out = SIM_SESSION_RYW;
    else if (strcmp(name, "monotonic-reads") == 0) *out = SIM_SESSION_MR;
    else if (strcmp(name, "both") == 0 || strcmp(name, "session") == 0) *out = SIM_SESSION_BOTH;
    else return SIM_EINVAL;
    return 0;
}

const char *sim_session_check_name(unsigned check)
{
    return check == SIM_SESSION_RYW ? "read-your-writes" : check == SIM_SESSION_MR ? "monotonic-reads" : "session";
}

void sim_session_result_free(sim_session_result *r)
{
    free(r->bad);
    free(r->op_ids);
    r->bad = NULL;
    r->op_ids = NULL;
    r->bad_count = r->op_id_count = 0;
}

/* ---- the writes, by (key, value) ----------------------------------------------- */

static bool is_write(const lin_op *op) { return op->f == LIN_WRITE || op->f == LIN_CAS; }
static uint32_t written(const lin_op *op) { return op->f == LIN_CAS ? op->b : op->a; }
static int64_t completion(const lin_op *op) { return op->outcome == SIM_OP_OK ? op->return_t : NEVER; }

static int by_key_value(const void *a, const void *b)
{
    const wgroup *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->value < y->value ? -1 : x->value > y->value;
}

static bool included(const checker *c, const lin_op *op)
{
    if (!c->o->clients) return true;
    for (size_t i = 0; i < c->o->nclients; i++)
        if (strcmp(c->o->clients[i], c->h->pool.v[op->process].bytes) == 0) return true;
    return false;
}

/* One entry per write, sorted, then merged into one group per (key, value). */
static int group_writes(checker *c)
{
    const lin_history *h = c->h;
    c->groups = malloc((h->count + 1) * sizeof(wgroup));
    if (!c->groups) return SIM_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < h->count; i++) {
        const lin_op *op = &h->ops[i];
        if (is_write(op) && included(c, op))
            c->groups[n++] = (wgroup){ op->key, written(op), op->invoke_t, completion(op), INT64_MIN, op->id };
    }
    qsort(c->groups, n, sizeof(wgroup), by_key_value);
    size_t g = 0;
    for (size_t i = 0; i < n; i++) {
        wgroup *w = &c->groups[i], *to = g ? &c->groups[g - 1] : NULL;
        if (!to || to->key != w->key || to->value != w->value) {
            c->groups[g++] = *w;
            continue;
        }
        if (w->min_invoke < to->min_invoke) to->min_invoke = w->min_invoke;
        if (w->max_complete > to->max_complete) {
            to->second_complete = to->max_complete;
            to->max_complete = w->max_complete;
            to->max_id = w->max_id;
        } else if (w->max_complete > to->second_complete) {
            to->second_complete = w->max_complete;
        }
    }
    c->ngroups = g;
    return 0;
}

static const wgroup *find_group(const checker *c, uint32_t key, uint32_t value)
{
    wgroup k = { .key = key, .value = value };
    return bsearch(&k, c->groups, c->ngroups, sizeof(wgroup), by_key_value);
}

/* True when some write of x to key, other than op `except`, had not completed by
 * t. (As session.lua has it; the write excepted writes another value than x
 * whenever it is asked, so it is a guard, not a case.) */
static bool written_after(const checker *c, uint32_t key, uint32_t x, int64_t t, uint64_t except)
{
    const wgroup *g = find_group(c, key, x);
    if (!g) return false;
    return (g->max_id != except ? g->max_complete : g->second_complete) > t;
}

/* True when x can only be older than the y that read r1 returned. */
static bool older(const checker *c, uint32_t key, uint32_t x, uint32_t y, const lin_op *r1)
{
    if (x == LIN_NIL) return true;                    /* no deletes: absent is the oldest state */
    const wgroup *g = find_group(c, key, y);
    int64_t first_y = g && g->min_invoke < r1->return_t ? g->min_invoke : NEVER;
    return !written_after(c, key, x, first_y, 0);
}

/* ---- judging the reads ------------------------------------------------------------ */

static void show(const lin_pool *p, uint32_t id, char *buf, size_t n)
{
    snprintf(buf, n, "%s", id == LIN_NIL ? "nil" : p->v[id].bytes);
}

static double secs(int64_t ns) { return (double)ns / 1e9; }

static int add_violation(checker *c, unsigned check, const lin_op *rd, const lin_op *cause)
{
    sim_session_result *r = c->r;
    r->count[check - 1]++;
    if (r->bad_count >= SIM_SESSION_MAX_LISTED) return 0;
    if (r->bad_count == c->listed_cap) {
        size_t cap = c->listed_cap ? c->listed_cap * 2 : 16;
        sim_session_violation *v = realloc(r->bad, cap * sizeof(*v));
        if (!v) return SIM_ENOMEM;
        r->bad = v;
        c->listed_cap = cap;
    }
    sim_session_violation *v = &r->bad[r->bad_count++];
    const lin_pool *p = &c->h->pool;
    char cv[48];
    *v = (sim_session_violation){ .check = check, .op = rd->id, .cause = cause->id };
    show(p, rd->process, v->process, sizeof(v->process));
    show(p, rd->key, v->key, sizeof(v->key));
    show(p, rd->result, v->value, sizeof(v->value));
    if (check == SIM_SESSION_RYW) {
        show(p, written(cause), cv, sizeof(cv));
        snprintf(v->why, sizeof(v->why), "op %" PRIu64 " (%s read key %s at %.3fs) returned %s, but %s's write op %"
                 PRIu64 " of %s completed at %.3fs", rd->id, v->process, v->key, secs(rd->invoke_t), v->value,
                 v->process, cause->id, cv, secs(cause->return_t));
    } else {
        show(p, cause->result, cv, sizeof(cv));
        snprintf(v->why, sizeof(v->why), "op %" PRIu64 " (%s read key %s at %.3fs) returned %s, older than the %s "
                 "its read op %" PRIu64 " returned at %.3fs", rd->id, v->process, v->key, secs(rd->invoke_t),
                 v->value, cv, cause->id, secs(cause->return_t));
    }
    return 0;
}

static int judge_read(checker *c, const lin_op *rd)
{
    const lin_history *h = c->h;
    int rc = 0;
    uint32_t k = rd->key, x = rd->result;
    if ((c->o->checks & SIM_SESSION_RYW) && c->mine[k]) {
        const lin_op *w = &h->ops[c->mine[k] - 1];
        if (x != written(w) && !(x != LIN_NIL && written_after(c, k, x, w->invoke_t, w->id)))
            rc = add_violation(c, SIM_SESSION_RYW, rd, w);
    }
    if (rc == 0 && (c->o->checks & SIM_SESSION_MR) && c->last[k]) {
        const lin_op *r1 = &h->ops[c->last[k] - 1];
        if (r1->result != LIN_NIL && x != r1->result && older(c, k, x, r1->result, r1))
            rc = add_violation(c, SIM_SESSION_MR, rd, r1);
    }
    return rc;
}

static int by_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The checked ops as process << 32 | index, sorted: by session, each in history
 * order. Sessions go in the order in which their processes first invoked an op,
 * failed ones included, as session.lua walks them: the readers intern a process
 * name at its first invoke, before anything else of that op, so the pool id
 * order of the names is that order (a string value equal to a name and seen
 * earlier would only move that session forward). */
static uint64_t *session_order(checker *c, size_t *n)
{
    const lin_history *h = c->h;
    uint64_t *order = malloc((h->count + 1) * sizeof(uint64_t));
    if (!order) return NULL;
    *n = 0;
    for (size_t i = 0; i < h->count; i++)
        if (included(c, &h->ops[i])) order[(*n)++] = (uint64_t)h->ops[i].process << 32 | i;
    qsort(order, *n, sizeof(uint64_t), by_u64);
    return order;
}

static void touch(checker *c, uint32_t key)
{
    if (!c->mine[key] && !c->last[key]) c->touched[c->ntouched++] = key;
}

static int walk(checker *c)
{
    size_t n;
    uint64_t *order = session_order(c, &n);
    if (!order) return SIM_ENOMEM;
    int rc = 0;
    uint32_t process = UINT32_MAX;
    c->r->ops = n;
    for (size_t j = 0; j < n && rc == 0; j++) {
        uint32_t i = (uint32_t)order[j];
        const lin_op *op = &c->h->ops[i];
        if (op->process != process) {                 /* a new session: forget the last one's */
            for (size_t t = 0; t < c->ntouched; t++) c->mine[c->touched[t]] = c->last[c->touched[t]] = 0;
            c->ntouched = 0;
            process = op->process;
        }
        if (op->outcome != SIM_OP_OK) continue;       /* an unknown write: not acknowledged */
        touch(c, op->key);
        if (is_write(op)) {
            c->mine[op->key] = i + 1;
        } else {
            c->r->reads++;
            rc = judge_read(c, op);
            c->last[op->key] = i + 1;
        }
    }
    free(order);
    return rc;
}

/* ---- the verdict ---------------------------------------------------------------- */

static const sim_session_violation *first_of(const sim_session_result *r, unsigned check)
{
    for (size_t i = 0; i < r->bad_count; i++)
        if (r->bad[i].check == check) return &r->bad[i];
    return NULL;
}

/* Stable: the violations were listed in walk order; put RYW first, keeping it. */
static void sort_by_check(sim_session_result *r)
{
    for (size_t i = 1; i < r->bad_count; i++)
        for (size_t j = i; j > 0 && r->bad[j - 1].check > r->bad[j].check; j--) {
            sim_session_violation t = r->bad[j];
            r->bad[j] = r->bad[j - 1];
            r->bad[j - 1] = t;
        }
}

static int summarize(sim_session_result *r, unsigned checks)
{
    sort_by_check(r);
    r->op_ids = malloc(4 * sizeof(uint64_t));
    if (!r->op_ids) return SIM_ENOMEM;
    r->ok = true;
    for (unsigned check = SIM_SESSION_RYW; check <= SIM_SESSION_MR; check++) {
        if (!(checks & check)) continue;
        const char *name = sim_session_check_name(check);
        const sim_session_violation *v = first_of(r, check);
        char *line = r->line[check - 1];
        if (!r->count[check - 1]) snprintf(line, 512, "%s: %zu reads, none violates it", name, r->reads);
        else snprintf(line, 512, "%s: %zu of %zu reads violate it; first: %s", name, r->count[check - 1], r->reads,
                      v ? v->why : "?");
        if (r->count[check - 1]) r->ok = false;
        if (v) r->op_ids[r->op_id_count++] = v->op, r->op_ids[r->op_id_count++] = v->cause;
        size_t used = strlen(r->summary);
        snprintf(r->summary + used, sizeof(r->summary) - used, "%s%s", used ? "; " : "", line);
    }
    qsort(r->op_ids, r->op_id_count, sizeof(uint64_t), by_u64);
    size_t n = 0;
    for (size_t i = 0; i < r->op_id_count; i++)
        if (!n || r->op_ids[n - 1] != r->op_ids[i]) r->op_ids[n++] = r->op_ids[i];
    r->op_id_count = n;
    return 0;
}

static int check_loaded(lin_history *h, int rc, const sim_session_options *o, sim_session_result *r)
{
    static const sim_session_options defaults = { 0 };
    sim_session_options opts = o ? *o : defaults;
    if (!opts.checks) opts.checks = SIM_SESSION_BOTH;
    for (size_t i = 0; rc == 0 && i < h->count; i++)
        if (h->ops[i].f == LIN_APPEND)
            rc = lin_fail(h, h->ops[i].line, "op %" PRIu64 ": append: the session checks read whole values "
                          "(read, write, cas, get, put)", h->ops[i].id);
    checker c = { .h = h, .o = &opts, .r = r };
    if (rc == 0) {
        c.mine = calloc(h->pool.count + 1, sizeof(uint32_t));
        c.last = calloc(h->pool.count + 1, sizeof(uint32_t));
        c.touched = malloc((h->pool.count + 1) * sizeof(uint32_t));
        rc = c.mine && c.last && c.touched ? group_writes(&c) : SIM_ENOMEM;
    }
    r->format = h->format;
    if (rc == 0) rc = walk(&c);
    if (rc == 0) rc = summarize(r, opts.checks);
    free(c.groups);
    free(c.mine);
    free(c.last);
    free(c.touched);
    if (rc == SIM_EINVAL) snprintf(r->error, sizeof(r->error), "%s", h->error);
    else if (rc < 0) snprintf(r->error, sizeof(r->error), "%s: %s", h->name, sim_strerror(rc));
    if (rc < 0) sim_session_result_free(r);
    lin_history_free(h);
    return rc;
}

int sim_session_check_history(const sim *s, const sim_session_options *o, sim_session_result *out)
{
    memset(out, 0, sizeof(*out));
    lin_history h;
    int rc = lin_history_init(&h, "history");
    if (rc == 0) rc = lin_load_sim(&h, s);
    return check_loaded(&h, rc, o, out);
}

/* The format from the first character that is not blank, as lincheck.c decides it. */
static int parse_any(lin_history *h, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    if (p == end) return lin_fail(h, 0, "empty: no operations to check");
    if (end - p >= 4 && memcmp(p, "INFO", 4) == 0) return lin_parse_etcd(h, text, len);
    if (*p == ';' || (end - p >= 2 && memcmp(p, "{:", 2) == 0)) return lin_parse_edn(h, text, len);
    if (*p == '{') return lin_parse_jsonl(h, text, len);
    return lin_fail(h, 0, "not a history this checker reads: expected a dsim JSONL trace ({\"ev\":...}) "
                    "or a Jepsen history");
}

int sim_session_check_text(const char *text, size_t len, const char *name, const sim_session_options *o,
                           sim_session_result *out)
{
    memset(out, 0, sizeof(*out));
    lin_history h;
    int rc = lin_history_init(&h, name);
    if (rc == 0) rc = parse_any(&h, text, len);
    if (rc == 0 && h.count + h.dropped == 0) rc = lin_fail(&h, 0, "no client operations to check");
    return check_loaded(&h, rc, o, out);
}

int sim_session_check_file(const char *path, const sim_session_options *o, sim_session_result *out)
{
    memset(out, 0, sizeof(*out));
    char *text;
    size_t len;
    int rc = lin_read_file(path, &text, &len, out->error, sizeof(out->error));
    if (rc) return rc;
    rc = sim_session_check_text(text, len, path, o, out);
    free(text);
    return rc;
}
