/*
 * The search for a linearization of one key's operations: Wing & Gong's
 * depth-first search with Lowe's just-in-time linearization and memoization,
 * the algorithm of Porcupine and Knossos' "linear" checker.
 *
 * Each operation is a call entry at its invoke time and a return entry at its
 * return time, +infinity when its outcome is unknown; entries are sorted by
 * (time, calls before returns, index), so operations that touch at one instant
 * count as concurrent, the reading that never reports a false violation. The
 * entries form a doubly linked list. The search walks it from the head:
 *
 *   at a call:   if the model accepts the operation in the current state and
 *                (linearized set + op, next state) is not in the memo, remember
 *                it, push (entry, state), lift the call and its return out of
 *                the list (O(1)) and restart from the head; else go on.
 *   at a return: that operation had to take effect before now and could not:
 *                pop the last linearized op, put its entries back (O(1), in
 *                LIFO order, so the list is restored exactly), and try the
 *                entry after it.
 *
 * Every operation with a finite return linearized: linearizable (the unknown
 * ones left are those that never took effect). The stack empty at a return:
 * not linearizable. The memo bounds the work by the number of distinct
 * (linearized set, state) pairs reachable, exponential in the number of
 * concurrent operations in the worst case (the problem is NP-complete), near
 * linear for the histories real systems produce. One step is one visited entry;
 * the linearized set's hash is a Zobrist XOR, updated in O(1) per step.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/check/lin_internal.h"
#include "sim/check/lin_memo.h"
#include "sim/rng.h"

#define NIL_ENTRY (-1)

typedef struct search {
    const lin_history *h;
    lin_model *m;
    const uint32_t *ops;       /* this key's ops: indices into h->ops */
    size_t n, n_finite;
    int32_t *next, *prev;      /* 2n entries + the head at 2n */
    int32_t *match;            /* call entry -> its return entry */
    uint32_t *op_of;           /* entry -> local op index */
    uint64_t *zobrist;         /* local op -> random 64 bits */
    uint64_t *bits;            /* linearized set */
    int32_t *stack_entry;
    uint32_t *stack_state;
    size_t depth;
    lin_memo memo;
} search;

typedef struct entry_key { int64_t t; uint32_t ret, op; } entry_key;

static int by_time(const void *a, const void *b)
{
    const entry_key *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    if (x->ret != y->ret) return x->ret < y->ret ? -1 : 1;
    return x->op < y->op ? -1 : x->op > y->op;
}

static int build_list(search *s)
{
    size_t ne = 2 * s->n;
    entry_key *k = malloc((ne + 1) * sizeof(entry_key));
    int32_t *call_of = malloc((s->n + 1) * sizeof(int32_t));
    if (!k || !call_of) return free(k), free(call_of), SIM_ENOMEM;
    for (uint32_t i = 0; i < s->n; i++) {
        const lin_op *op = &s->h->ops[s->ops[i]];
        k[2 * i] = (entry_key){ op->invoke_t, 0, i };
        k[2 * i + 1] = (entry_key){ op->return_t, 1, i };
        s->zobrist[i] = sim_mix64(UINT64_C(0x9e3779b97f4a7c15) * (i + 1));
        s->n_finite += op->return_t != LIN_T_OPEN;
    }
    qsort(k, ne, sizeof(entry_key), by_time);
    for (size_t e = 0; e < ne; e++) {
        s->op_of[e] = k[e].op;
        s->next[e] = e + 1 < ne ? (int32_t)(e + 1) : NIL_ENTRY;
        s->prev[e] = e ? (int32_t)(e - 1) : (int32_t)ne;
        s->match[e] = NIL_ENTRY;
        if (!k[e].ret) call_of[k[e].op] = (int32_t)e;
        else s->match[call_of[k[e].op]] = (int32_t)e;
    }
    s->next[ne] = ne ? 0 : NIL_ENTRY;
    free(k);
    free(call_of);
    return 0;
}

static void unlink_entry(search *s, int32_t e)
{
    s->next[s->prev[e]] = s->next[e];
    if (s->next[e] != NIL_ENTRY) s->prev[s->next[e]] = s->prev[e];
}

static void relink_entry(search *s, int32_t e)
{
    s->next[s->prev[e]] = e;
    if (s->next[e] != NIL_ENTRY) s->prev[s->next[e]] = e;
}

static int search_init(search *s, const lin_history *h, lin_model *m, const uint32_t *ops, size_t n,
                       uint64_t max_bytes)
{
    memset(s, 0, sizeof(*s));
    s->h = h, s->m = m, s->ops = ops, s->n = n;
    size_t ne = 2 * n + 1, words = (n + 63) / 64;
    s->next = malloc(ne * sizeof(int32_t));
    s->prev = malloc(ne * sizeof(int32_t));
    s->match = malloc(ne * sizeof(int32_t));
    s->op_of = malloc(ne * sizeof(uint32_t));
    s->zobrist = malloc((n + 1) * sizeof(uint64_t));
    s->bits = calloc(words ? words : 1, sizeof(uint64_t));
    s->stack_entry = malloc((n + 1) * sizeof(int32_t));
    s->stack_state = malloc((n + 1) * sizeof(uint32_t));
    if (!s->next || !s->prev || !s->match || !s->op_of || !s->zobrist || !s->bits || !s->stack_entry ||
        !s->stack_state)
        return SIM_ENOMEM;
    int rc = lin_memo_init(&s->memo, words, max_bytes);
    return rc ? rc : build_list(s);
}

static void search_free(search *s)
{
    free(s->next), free(s->prev), free(s->match), free(s->op_of), free(s->zobrist);
    free(s->bits), free(s->stack_entry), free(s->stack_state);
    lin_memo_free(&s->memo);
}

/* Keeps the deepest dead end: the longest prefix and the op that was stuck. */
static int note_dead_end(search *s, lin_search_out *out, int32_t ret_entry, uint32_t state)
{
    if (out->prefix && s->depth <= out->prefix_len) return 0;
    if (!out->prefix) {
        out->prefix = malloc((s->n + 1) * sizeof(uint32_t));
        out->prefix_states = malloc((s->n + 1) * sizeof(uint32_t));
        if (!out->prefix || !out->prefix_states) return SIM_ENOMEM;
    }
    for (size_t i = 0; i < s->depth; i++) {
        out->prefix[i] = s->ops[s->op_of[s->stack_entry[i]]];
        out->prefix_states[i] = i + 1 < s->depth ? s->stack_state[i + 1] : state;
    }
    out->prefix_len = s->depth;
    out->stuck = s->ops[s->op_of[ret_entry]];
    return 0;
}

static inline uint64_t config_hash(uint64_t set_hash, uint32_t state)
{
    return set_hash ^ sim_mix64((uint64_t)state + UINT64_C(0x632be59bd9b4e019));
}

typedef struct budget {
    uint64_t left;
    const sim_lin_options *o;
    uint64_t max_bytes, pool_bytes0;   /* the memory cap counts the memo and new model values */
} budget;

/* The main loop; returns the verdict, or an error / SIM_ELIMIT (with out->why). */
static int run(search *s, lin_search_out *out, budget *b)
{
    uint32_t state = s->m->init, linearized_finite = 0;
    uint64_t set_hash = 0;
    int32_t head = (int32_t)(2 * s->n), e = s->next[head];
    while (linearized_finite < s->n_finite) {
        if (b->left-- == 0) return out->step_limit = true, out->why = "the step budget ran out", SIM_ELIMIT;
        if ((++out->steps & 0xffff) == 0 && b->o->stop && b->o->stop(b->o->stop_ctx))
            return out->why = "the time limit was reached", SIM_ELIMIT;
        SIM_ASSERT(e != NIL_ENTRY);
        uint32_t op = s->op_of[e];
        const lin_op *lop = &s->h->ops[s->ops[op]];
        if (s->match[e] != NIL_ENTRY) {                 /* a call */
            uint32_t next;
            int legal = lin_model_step(s->m, state, lop, &next);
            if (legal < 0) return legal;
            if (legal) {
                uint64_t h = set_hash ^ s->zobrist[op];
                s->bits[op / 64] |= UINT64_C(1) << (op % 64);
                int added = lin_memo_add(&s->memo, config_hash(h, next), next, s->bits);
                if (added > 0 && lin_memo_bytes(&s->memo) + (s->m->pool->bytes - b->pool_bytes0) > b->max_bytes)
                    added = SIM_ELIMIT;
                if (added < 0) return out->why = "the memory cap was reached", added;
                if (added) {
                    s->stack_entry[s->depth] = e;
                    s->stack_state[s->depth++] = state;
                    state = next, set_hash = h;
                    linearized_finite += lop->return_t != LIN_T_OPEN;
                    unlink_entry(s, e);
                    unlink_entry(s, s->match[e]);
                    e = s->next[head];
                    continue;
                }
                s->bits[op / 64] &= ~(UINT64_C(1) << (op % 64));
            }
            e = s->next[e];
            continue;
        }
        int rc = note_dead_end(s, out, e, state);
        if (rc) return rc;
        if (s->depth == 0) return SIM_LIN_VIOLATION;
        e = s->stack_entry[--s->depth];
        state = s->stack_state[s->depth];
        op = s->op_of[e];
        set_hash ^= s->zobrist[op];
        s->bits[op / 64] &= ~(UINT64_C(1) << (op % 64));
        linearized_finite -= s->h->ops[s->ops[op]].return_t != LIN_T_OPEN;
        relink_entry(s, s->match[e]);
        relink_entry(s, e);
        e = s->next[e];
    }
    return SIM_LIN_OK;
}

int lin_search(const lin_history *h, lin_model *m, const uint32_t *ops, size_t n,
               const sim_lin_options *o, uint64_t steps_left, lin_search_out *out)
{
    memset(out, 0, sizeof(*out));
    search s;
    uint64_t cap = o->max_memory_bytes ? o->max_memory_bytes : SIM_LIN_DEFAULT_MAX_MEMORY_BYTES;
    int rc = search_init(&s, h, m, ops, n, cap);
    budget b = { steps_left, o, cap, m->pool->bytes };
    if (rc == 0) rc = run(&s, out, &b);
    out->memory_bytes_peak = lin_memo_bytes(&s.memo) + (m->pool->bytes - b.pool_bytes0) + (uint64_t)n * 64;
    search_free(&s);
    if (rc == SIM_ELIMIT) {
        out->verdict = SIM_LIN_UNKNOWN;
        return 0;
    }
    if (rc < 0) return rc;
    out->verdict = (sim_lin_verdict)rc;
    return 0;
}

void lin_search_out_free(lin_search_out *out)
{
    free(out->prefix);
    free(out->prefix_states);
    memset(out, 0, sizeof(*out));
}
