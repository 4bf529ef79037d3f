/*
 * The explanation of a violation, for a student to read in a terminal: the
 * tail of the longest linearizable prefix the search found (each operation with
 * the value after it), the operation whose return came before it could take
 * effect, and the other operations that could have gone first, each with the
 * reason it could not (or "legal, but leads nowhere" when the memo had already
 * ruled it out). A dozen lines at most, whatever the size of the history; the
 * op ids of every line go to the caller (the viewer marks them).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/check/lin_internal.h"

enum { TAIL = 5, MAX_OTHERS = 6 };

typedef struct text {
    char *s;
    size_t len, cap;
    int failed;
} text;

static void put(text *t, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof(line)) n = sizeof(line) - 1;
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = (t->cap + (size_t)n + 1) * 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->failed = 1;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
    memcpy(t->s + t->len, line, (size_t)n + 1);
    t->len += (size_t)n;
}

/* A line number, or simulated time to three digits in integer arithmetic
 * ("23.914ms"), the same text on every machine. */
static void show_time(const lin_history *h, int64_t t, char *buf, size_t n)
{
    static const struct { int64_t ns; const char *unit; } units[] = { { 1000000000, "s" }, { 1000000, "ms" },
                                                                      { 1000, "us" } };
    if (t == LIN_T_OPEN) {
        snprintf(buf, n, "never");
        return;
    }
    if (h->times_are_lines || t < 1000) {
        snprintf(buf, n, "%" PRId64 "%s", t, h->times_are_lines ? "" : "ns");
        return;
    }
    int u = t >= units[0].ns ? 0 : t >= units[1].ns ? 1 : 2;
    snprintf(buf, n, "%" PRId64 ".%03" PRId64 "%s", t / units[u].ns, t % units[u].ns / (units[u].ns / 1000),
             units[u].unit);
}

size_t lin_op_show(const lin_history *h, const lin_op *op, char *buf, size_t n)
{
    static const char *const reg[] = { "read", "write", "cas", "append" }, *const kv[] = { "get", "put" };
    const char *f = op->f_name && op->f < 2 ? kv[op->f] : reg[op->f];
    char a[64], b[64], r[64], t0[32], t1[32];
    lin_pool_show(&h->pool, op->a, a, sizeof(a));
    lin_pool_show(&h->pool, op->b, b, sizeof(b));
    lin_pool_show(&h->pool, op->result, r, sizeof(r));
    show_time(h, op->invoke_t, t0, sizeof(t0));
    show_time(h, op->return_t, t1, sizeof(t1));
    char what[200];
    if (op->f == LIN_READ) snprintf(what, sizeof(what), "%s -> %s", f, r);
    else if (op->f == LIN_CAS) snprintf(what, sizeof(what), "%s %s -> %s", f, a, b);
    else snprintf(what, sizeof(what), "%s %s", f, a);
    const char *unit = h->times_are_lines ? "lines" : "t";
    int w = snprintf(buf, n, "op %-4" PRIu64 " process %-3s %-24s %s %s..%s%s", op->id, h->pool.v[op->process].bytes,
                     what, unit, t0, t1, op->outcome == SIM_OP_UNKNOWN ? " (outcome unknown)" : "");
    return w < 0 ? 0 : (size_t)w;
}

typedef struct ids {
    uint64_t *v;
    size_t n;
} ids;

static void add_id(ids *d, uint64_t id)
{
    d->v[d->n++] = id;
}

static int by_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void explain_prefix(const lin_history *h, lin_model *m, const lin_search_out *s, text *t, ids *d)
{
    char line[400], v[64];
    size_t from = s->prefix_len > TAIL ? s->prefix_len - TAIL : 0;
    if (s->prefix_len == 0) {
        lin_pool_show(m->pool, m->init, v, sizeof(v));
        put(t, "  no operation can take effect first; the initial value is %s\n", v);
        return;
    }
    if (s->prefix_len == 1) put(t, "  the longest linearizable prefix found is one operation:\n");
    else if (!from) put(t, "  the longest linearizable prefix found has %zu operations, in the order they take effect:\n",
                        s->prefix_len);
    else put(t, "  the longest linearizable prefix found has %zu operations; the last %d, in the order they take "
             "effect:\n", s->prefix_len, TAIL);
    for (size_t i = from; i < s->prefix_len; i++) {
        const lin_op *op = &h->ops[s->prefix[i]];
        lin_op_show(h, op, line, sizeof(line));
        lin_pool_show(m->pool, s->prefix_states[i], v, sizeof(v));
        put(t, "    %s  => %s\n", line, v);
        add_id(d, op->id);
    }
}

static bool in_prefix(const lin_search_out *s, uint32_t op)
{
    for (size_t i = 0; i < s->prefix_len; i++)
        if (s->prefix[i] == op) return true;
    return false;
}

static void explain_others(const lin_history *h, lin_model *m, const uint32_t *ops, size_t n,
                           const lin_search_out *s, uint32_t state, text *t, ids *d)
{
    const lin_op *stuck = &h->ops[s->stuck];
    char line[400], why[160];
    size_t shown = 0, more = 0;
    for (size_t i = 0; i < n; i++) {
        const lin_op *op = &h->ops[ops[i]];
        if (ops[i] == s->stuck || op->invoke_t > stuck->return_t || in_prefix(s, ops[i])) continue;
        if (shown == MAX_OTHERS) {
            more++;
            continue;
        }
        if (!shown++) put(t, "  nor can any operation concurrent with it go first:\n");
        uint32_t next;
        if (lin_model_step(m, state, op, &next) > 0) snprintf(why, sizeof(why), "legal, but no order of the rest works after it");
        else lin_model_why(m, state, op, why, sizeof(why));
        lin_op_show(h, op, line, sizeof(line));
        put(t, "    %s  : %s\n", line, why);
        add_id(d, op->id);
    }
    if (more) put(t, "    ... and %zu more\n", more);
}

int lin_explain(const lin_history *h, lin_model *m, const uint32_t *ops, size_t n, const lin_search_out *s,
                uint32_t key, sim_lin_result *r)
{
    text t = { 0 };
    ids d = { malloc((TAIL + MAX_OTHERS + 2) * sizeof(uint64_t)), 0 };
    if (!d.v) return SIM_ENOMEM;
    char k[64], line[400], why[160];
    const lin_op *stuck = &h->ops[s->stuck];
    uint32_t state = s->prefix_len ? s->prefix_states[s->prefix_len - 1] : m->init;
    lin_pool_show(&h->pool, key, k, sizeof(k));
    explain_prefix(h, m, s, &t, &d);
    lin_op_show(h, stuck, line, sizeof(line));
    uint32_t next;
    if (lin_model_step(m, state, stuck, &next) > 0) snprintf(why, sizeof(why), "legal, but no order of the rest works after it");
    else lin_model_why(m, state, stuck, why, sizeof(why));
    put(&t, "  then this operation must take effect before it returns, and cannot:\n    %s  : %s\n", line, why);
    add_id(&d, stuck->id);
    explain_others(h, m, ops, n, s, state, &t, &d);
    qsort(d.v, d.n, sizeof(uint64_t), by_u64);
    r->explanation = t.s;
    r->op_ids = d.v;
    r->op_id_count = d.n;
    snprintf(r->summary, sizeof(r->summary), "%s%s%sop %" PRIu64 " cannot take effect (%s)", key ? "key " : "",
             key ? k : "", key ? ": " : "", stuck->id, why);
    return t.failed || !t.s ? SIM_ENOMEM : 0;
}
