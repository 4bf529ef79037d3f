/*
 * A reference for the checker's tests: random register histories of a few
 * operations, written as a dsim JSONL trace, and a brute-force search for a
 * linearization that shares no code with sim/check/ (it tries every order,
 * no memo, no linked list). Included by tests/check_lincheck.c only.
 */
#ifndef TESTS_LINCHECK_BRUTE_FORCE_H
#define TESTS_LINCHECK_BRUTE_FORCE_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sim/check/lincheck.h"

typedef struct bop { int f, a, b, r, inv, ret; sim_outcome out; } bop;   /* values: 0 nil, 1..3 */
enum { NOPS = 7, NEVER = 1 << 30 };

/* Is there an order of all ok ops and some unknown writes/cas that the register
 * allows and that keeps every op that returned before another's invoke first? */
static inline bool brute(const bop *o, int n, unsigned placed, int state)
{
    bool done = true;
    for (int i = 0; i < n; i++) done &= o[i].out != SIM_OP_OK || (placed >> i & 1);
    if (done) return true;
    for (int x = 0; x < n; x++) {
        if ((placed >> x & 1) || o[x].out == SIM_OP_FAIL || (o[x].out == SIM_OP_UNKNOWN && o[x].f == 0)) continue;
        bool first = true;
        for (int y = 0; y < n; y++)
            first &= y == x || (placed >> y & 1) || o[y].out != SIM_OP_OK || o[y].ret >= o[x].inv;
        bool legal = o[x].f == 0 ? o[x].r == state : o[x].f == 1 || o[x].a == state;
        int next = o[x].f == 0 ? state : o[x].f == 1 ? o[x].a : o[x].b;
        if (first && legal && brute(o, n, placed | 1u << x, next)) return true;
    }
    return false;
}

static inline void add_json_op(char *buf, size_t cap, const bop *o, int id, bool complete)
{
    static const char *const fs[] = { "read", "write", "cas" }, *const vs[] = { "null", "1", "2", "3" };
    static const char *const outs[] = { "pending", "ok", "fail", "unknown" };
    size_t len = strlen(buf);
    if (!complete)
        snprintf(buf + len, cap - len, "{\"ev\":\"invoke\",\"t\":%d,\"id\":%d,\"node\":\"p%d\",\"f\":\"%s\",\"args\":%s%s%s%s%s}\n",
                 o->inv, id, id, fs[o->f], o->f == 2 ? "[" : "", o->f ? vs[o->a] : "null", o->f == 2 ? "," : "",
                 o->f == 2 ? vs[o->b] : "", o->f == 2 ? "]" : "");
    else
        snprintf(buf + len, cap - len, "{\"ev\":\"complete\",\"t\":%d,\"id\":%d,\"outcome\":\"%s\",\"result\":%s}\n",
                 o->ret == NEVER ? o->inv + 50 : o->ret, id, outs[o->out], o->f == 0 ? vs[o->r] : "null");
}

/* One random history from seed: true when the checker agrees with the brute force
 * (which says in *linearizable); a disagreement is printed on stderr. */
static inline bool agrees(uint64_t seed, bool *linearizable)
{
    sim_rng rng;
    sim_rng_seed(&rng, 7, 1, seed);
    bop o[NOPS];
    int n = 1 + (int)sim_rng_below(&rng, NOPS);
    char text[4096] = "";
    for (int i = 0; i < n; i++) {
        bop *p = &o[i];
        p->f = (int)sim_rng_below(&rng, 3);
        p->a = 1 + (int)sim_rng_below(&rng, 3), p->b = 1 + (int)sim_rng_below(&rng, 3);
        p->r = (int)sim_rng_below(&rng, 4);
        p->inv = (int)sim_rng_below(&rng, 12);
        int roll = (int)sim_rng_below(&rng, 10);
        p->out = roll < 7 ? SIM_OP_OK : roll < 8 ? SIM_OP_FAIL : SIM_OP_UNKNOWN;
        p->ret = p->out == SIM_OP_OK ? p->inv + (int)sim_rng_below(&rng, 6) : NEVER;
        add_json_op(text, sizeof(text), p, i + 1, false);
    }
    for (int i = 0; i < n; i++) add_json_op(text, sizeof(text), &o[i], i + 1, true);
    sim_lin_result r;
    if (sim_lin_check_text(text, strlen(text), "random", NULL, &r) != 0) {
        fprintf(stderr, "seed %llu: %s\n", (unsigned long long)seed, r.error);
        return false;
    }
    *linearizable = brute(o, n, 0, 0);
    bool same = (r.verdict == SIM_LIN_OK) == *linearizable;
    if (!same) fprintf(stderr, "seed %llu: checker %s, brute force %d:\n%s", (unsigned long long)seed,
                       sim_lin_verdict_name(r.verdict), *linearizable, text);
    sim_lin_result_free(&r);
    return same;
}

#endif
