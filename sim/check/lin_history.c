/*
 * The checker's history: the value pool (every value interned to a dense id, so
 * that the search compares and hashes states as integers), the list of
 * operations, and the pairing of invokes with returns by process used by the
 * line formats (Jepsen logs). Interning costs one hash of the bytes and an
 * expected O(1) probe of an open-addressing table kept at most half full. The
 * hash is a polynomial in the bytes, so the hash of an append's result comes
 * from its two parts in O(1): only a new string costs its length.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/check/lin_internal.h"
#include "sim/rng.h"

static void poly_of(const char *bytes, size_t len, uint64_t *poly, uint64_t *pow)
{
    uint64_t h = 0, w = 1;
    for (size_t i = 0; i < len; i++) h = h * LIN_B + (uint8_t)bytes[i], w *= LIN_B;
    *poly = h;
    *pow = w;
}

/* The table position of a value: its polynomial, type and length, mixed. */
static uint64_t slot_hash(uint64_t poly, lin_vtype type, size_t len)
{
    return sim_mix64(poly ^ ((uint64_t)type << 56) ^ ((uint64_t)len * UINT64_C(0x9e3779b97f4a7c15)));
}

static int pool_rehash(lin_pool *p, uint32_t cap)
{
    uint32_t *slots = calloc(cap, sizeof(uint32_t));
    if (!slots) return SIM_ENOMEM;
    for (uint32_t id = 0; id < p->count; id++) {
        const lin_value *v = &p->v[id];
        uint32_t i = (uint32_t)slot_hash(v->poly, (lin_vtype)v->type, v->len) & (cap - 1);
        while (slots[i]) i = (i + 1) & (cap - 1);
        slots[i] = id + 1;
    }
    p->bytes += (uint64_t)(cap - p->slot_cap) * sizeof(uint32_t);
    free(p->slots);
    p->slots = slots;
    p->slot_cap = cap;
    return 0;
}

int lin_pool_init(lin_pool *p)
{
    memset(p, 0, sizeof(*p));
    if (pool_rehash(p, 64) != 0) return SIM_ENOMEM;
    return lin_pool_intern(p, LIN_V_NIL, "", 0) == LIN_NIL ? 0 : SIM_ENOMEM;
}

void lin_pool_free(lin_pool *p)
{
    for (uint32_t i = 0; i < p->count; i++) free(p->v[i].bytes);
    free(p->v);
    free(p->slots);
    memset(p, 0, sizeof(*p));
}

/* Adds a value of len bytes, copied from the concatenation of a and b. */
static uint32_t pool_add(lin_pool *p, lin_vtype type, const char *a, size_t alen, const char *b, size_t blen,
                         uint64_t poly, uint64_t pow)
{
    if (p->count == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : 64;
        lin_value *v = realloc(p->v, cap * sizeof(lin_value));
        if (!v) return UINT32_MAX;
        p->v = v;
        p->cap = cap;
    }
    char *copy = malloc(alen + blen + 1);
    if (!copy) return UINT32_MAX;
    memcpy(copy, a, alen);
    memcpy(copy + alen, b, blen);
    copy[alen + blen] = 0;
    p->v[p->count] = (lin_value){ copy, (uint32_t)(alen + blen), (uint8_t)type, poly, pow };
    p->bytes += alen + blen + 1 + sizeof(lin_value);
    return p->count++;
}

/* The slot of (type, a .. b) with polynomial poly: the value's id + 1, or the
 * empty slot where it belongs (*found 0). */
static uint32_t find(const lin_pool *p, lin_vtype type, const char *a, size_t alen, const char *b, size_t blen,
                     uint64_t poly, uint32_t *found)
{
    uint32_t i = (uint32_t)slot_hash(poly, type, alen + blen) & (p->slot_cap - 1);
    for (; p->slots[i]; i = (i + 1) & (p->slot_cap - 1)) {
        const lin_value *v = &p->v[p->slots[i] - 1];
        if (v->poly == poly && v->type == type && v->len == alen + blen && memcmp(v->bytes, a, alen) == 0 &&
            memcmp(v->bytes + alen, b, blen) == 0)
            break;
    }
    *found = p->slots[i];
    return i;
}

static uint32_t intern(lin_pool *p, lin_vtype type, const char *a, size_t alen, const char *b, size_t blen,
                       uint64_t poly, uint64_t pow)
{
    if (alen + blen > UINT32_MAX / 2) return UINT32_MAX;
    uint32_t found, i = find(p, type, a, alen, b, blen, poly, &found);
    if (found) return found - 1;
    uint32_t id = pool_add(p, type, a, alen, b, blen, poly, pow);
    if (id == UINT32_MAX) return id;
    p->slots[i] = id + 1;
    if (p->count * 2 > p->slot_cap && pool_rehash(p, p->slot_cap * 2) != 0) return UINT32_MAX;
    return id;
}

uint32_t lin_pool_intern(lin_pool *p, lin_vtype type, const char *bytes, size_t len)
{
    uint64_t poly, pow;
    poly_of(bytes, len, &poly, &pow);
    return intern(p, type, bytes, len, "", 0, poly, pow);
}

uint32_t lin_pool_concat(lin_pool *p, uint32_t x, uint32_t y)
{
    const lin_value *a = &p->v[x], *b = &p->v[y];
    if (a->len + (uint64_t)b->len > UINT32_MAX / 2) return UINT32_MAX;
    /* a and b point into p->v, which intern may move: copy what it needs first. */
    lin_value va = *a, vb = *b;
    return intern(p, LIN_V_STR, va.bytes, va.len, vb.bytes, vb.len, va.poly * vb.pow + vb.poly, va.pow * vb.pow);
}

uint32_t lin_pool_int(lin_pool *p, int64_t v)
{
    char text[32];
    int n = snprintf(text, sizeof(text), "%" PRId64, v);
    return lin_pool_intern(p, LIN_V_INT, text, (size_t)n);
}

size_t lin_pool_show(const lin_pool *p, uint32_t id, char *buf, size_t n)
{
    const lin_value *v = &p->v[id];
    int w;
    if (v->type == LIN_V_NIL) w = snprintf(buf, n, "nil");
    else if (v->type == LIN_V_STR && v->len > 40) w = snprintf(buf, n, "\"...%s\"", v->bytes + v->len - 36);
    else if (v->type == LIN_V_STR) w = snprintf(buf, n, "\"%s\"", v->bytes);
    else w = snprintf(buf, n, "%s", v->bytes);
    return w < 0 ? 0 : (size_t)w < n ? (size_t)w : n ? n - 1 : 0;
}

int lin_history_init(lin_history *h, const char *name)
{
    memset(h, 0, sizeof(*h));
    h->name = name ? name : "history";
    return lin_pool_init(&h->pool);
}

void lin_history_free(lin_history *h)
{
    lin_pool_free(&h->pool);
    free(h->ops);
    memset(h, 0, sizeof(*h));
}

int lin_history_add(lin_history *h, const lin_op *op)
{
    if (h->count == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        lin_op *ops = realloc(h->ops, cap * sizeof(lin_op));
        if (!ops) return SIM_ENOMEM;
        h->ops = ops;
        h->cap = cap;
    }
    h->ops[h->count++] = *op;
    if (op->f == LIN_APPEND || op->f_name) h->saw_kv_op = true;
    return 0;
}

int lin_fail(lin_history *h, uint32_t line, const char *fmt, ...)
{
    int n = line ? snprintf(h->error, sizeof(h->error), "%s:%" PRIu32 ": ", h->name, line)
                 : snprintf(h->error, sizeof(h->error), "%s: ", h->name);
    if (n < 0 || (size_t)n >= sizeof(h->error)) n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->error + n, sizeof(h->error) - (size_t)n, fmt, ap);
    va_end(ap);
    return SIM_EINVAL;
}

static const char *f_word(lin_f f)
{
    static const char *const words[] = { "read", "write", "cas", "append" };
    return words[f];
}

int lin_pair_invoke(lin_history *h, lin_pairing *pr, const lin_op *op)
{
    if (op->process >= pr->cap) {
        uint32_t cap = pr->cap ? pr->cap : 64;
        while (cap <= op->process) cap *= 2;
        uint32_t *open = realloc(pr->open, cap * sizeof(uint32_t));
        if (!open) return SIM_ENOMEM;
        memset(open + pr->cap, 0, (cap - pr->cap) * sizeof(uint32_t));
        pr->open = open;
        pr->cap = cap;
    }
    uint32_t prev = pr->open[op->process];
    if (prev) {
        const lin_op *o = &h->ops[prev - 1];
        return lin_fail(h, op->line, "process %s invokes again while its %s invoked at line %" PRIu32
                        " has not returned", h->pool.v[op->process].bytes, f_word(o->f), o->line);
    }
    int rc = lin_history_add(h, op);
    if (rc == 0) pr->open[op->process] = (uint32_t)h->count;
    return rc;
}

lin_op *lin_pair_return(lin_history *h, lin_pairing *pr, uint32_t process, lin_f f, uint32_t line)
{
    uint32_t at = process < pr->cap ? pr->open[process] : 0;
    const char *name = h->pool.v[process].bytes;
    if (!at) {
        lin_fail(h, line, "a return for process %s, which has no open invoke", name);
        return NULL;
    }
    lin_op *op = &h->ops[at - 1];
    if (op->f != f) {
        lin_fail(h, line, "process %s returns a %s but invoked a %s at line %" PRIu32, name, f_word(f),
                 f_word(op->f), op->line);
        return NULL;
    }
    pr->open[process] = 0;
    return op;
}

/* Keeps the ops that constrain the search: ok ones, and unknown writes (open). */
int lin_pair_finish(lin_history *h, lin_pairing *pr)
{
    size_t kept = 0;
    for (size_t i = 0; i < h->count; i++) {
        lin_op *op = &h->ops[i];
        if (op->outcome == SIM_OP_PENDING) op->outcome = SIM_OP_UNKNOWN;
        if (op->outcome != SIM_OP_OK) op->return_t = LIN_T_OPEN;
        bool drop = op->outcome == SIM_OP_FAIL || (op->outcome == SIM_OP_UNKNOWN && op->f == LIN_READ);
        if (drop) h->dropped++;
        else h->ops[kept++] = *op;
    }
    h->count = kept;
    if (pr) {
        free(pr->open);
        memset(pr, 0, sizeof(*pr));
    }
    return 0;
}
