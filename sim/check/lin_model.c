/*
 * The sequential specifications the search checks against: a register (nil or
 * any value; read, write, cas) and a kv string (get, put, append; read, write
 * and cas too), one key at a time. States are pool ids, so a step is a few
 * integer compares; only append makes new values, and the result of each
 * (state, appended value) pair is computed once and remembered in a small
 * open-addressing table (the pool finds an existing string in O(1) from the
 * hashes of its parts; a new one costs its length).
 *
 * In the kv model nil and "" are the same value (a missing key reads as "").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/check/lin_internal.h"
#include "sim/rng.h"

typedef struct concat_slot { uint32_t state, arg, result; } concat_slot;

struct lin_concat {
    concat_slot *slots;        /* result UINT32_MAX: empty */
    uint32_t count, cap;
    uint32_t empty;            /* the pool id of "" */
};

int lin_model_init(lin_model *m, sim_lin_model kind, lin_pool *pool)
{
    memset(m, 0, sizeof(*m));
    m->kind = kind;
    m->pool = pool;
    if (kind != SIM_LIN_MODEL_KV) return 0;
    m->concat = calloc(1, sizeof(struct lin_concat));
    if (!m->concat) return SIM_ENOMEM;
    m->init = m->concat->empty = lin_pool_intern(pool, LIN_V_STR, "", 0);
    return m->init == UINT32_MAX ? SIM_ENOMEM : 0;
}

void lin_model_free(lin_model *m)
{
    if (m->concat) {
        free(m->concat->slots);
        free(m->concat);
    }
    memset(m, 0, sizeof(*m));
}

static inline uint32_t norm(const lin_model *m, uint32_t v)
{
    return v == LIN_NIL && m->concat ? m->concat->empty : v;
}

static inline uint32_t concat_slot_of(uint32_t state, uint32_t arg, uint32_t cap)
{
    return (uint32_t)sim_mix64(((uint64_t)state << 32) | arg) & (cap - 1);
}

static int concat_grow(struct lin_concat *c)
{
    uint32_t cap = c->cap ? c->cap * 2 : 1024;
    concat_slot *slots = malloc(cap * sizeof(concat_slot));
    if (!slots) return SIM_ENOMEM;
    for (uint32_t i = 0; i < cap; i++) slots[i].result = UINT32_MAX;
    for (uint32_t i = 0; i < c->cap; i++) {
        if (c->slots[i].result == UINT32_MAX) continue;
        uint32_t j = concat_slot_of(c->slots[i].state, c->slots[i].arg, cap);
        while (slots[j].result != UINT32_MAX) j = (j + 1) & (cap - 1);
        slots[j] = c->slots[i];
    }
    free(c->slots);
    c->slots = slots;
    c->cap = cap;
    return 0;
}

/* state .. arg, interned: 1 and *out, 0 when either is not a string, or SIM_ENOMEM. */
static int append(lin_model *m, uint32_t state, uint32_t arg, uint32_t *out)
{
    struct lin_concat *c = m->concat;
    if (m->pool->v[state].type != LIN_V_STR || m->pool->v[arg].type != LIN_V_STR) return 0;
    if ((c->count + 1) * 2 > c->cap && concat_grow(c) != 0) return SIM_ENOMEM;
    uint32_t j = concat_slot_of(state, arg, c->cap);
    for (; c->slots[j].result != UINT32_MAX; j = (j + 1) & (c->cap - 1))
        if (c->slots[j].state == state && c->slots[j].arg == arg) return *out = c->slots[j].result, 1;
    uint32_t id = lin_pool_concat(m->pool, state, arg);
    if (id == UINT32_MAX) return SIM_ENOMEM;
    c->slots[j] = (concat_slot){ state, arg, id };
    c->count++;
    return *out = id, 1;
}

int lin_model_step(lin_model *m, uint32_t state, const lin_op *op, uint32_t *next)
{
    switch ((lin_f)op->f) {
    case LIN_READ:
        *next = state;
        return norm(m, op->result) == state;
    case LIN_WRITE:
        *next = norm(m, op->a);
        return 1;
    case LIN_CAS:
        *next = norm(m, op->b);
        return norm(m, op->a) == state;
    case LIN_APPEND:
        *next = state;
        return m->concat ? append(m, state, op->a, next) : 0;
    }
    return 0;
}

void lin_model_why(const lin_model *m, uint32_t state, const lin_op *op, char *buf, size_t n)
{
    char have[64], want[64];
    lin_pool_show(m->pool, state, have, sizeof(have));
    switch ((lin_f)op->f) {
    case LIN_READ:
        lin_pool_show(m->pool, norm(m, op->result), want, sizeof(want));
        snprintf(buf, n, "it read %s, but the value was %s", want, have);
        return;
    case LIN_CAS:
        lin_pool_show(m->pool, norm(m, op->a), want, sizeof(want));
        snprintf(buf, n, "it expected %s, but the value was %s", want, have);
        return;
    case LIN_APPEND:
        snprintf(buf, n, m->concat ? "it appends a non-string to %s" : "append is not a register operation "
                 "(use --model kv)", have);
        return;
    case LIN_WRITE:
        break;
    }
    snprintf(buf, n, "a write is always legal");
}
