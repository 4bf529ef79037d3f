/*
 * The memo of explored (linearized set, state) configurations: see lin_memo.h.
 * Memory is one 16-byte slot per table entry (table at most half full) plus one
 * bitset of n/64 words per remembered configuration; the cap counts both.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/check/lin_memo.h"
#include "sim/errors.h"

int lin_memo_init(lin_memo *m, size_t words, uint64_t max_bytes)
{
    memset(m, 0, sizeof(*m));
    m->words = words ? words : 1;
    m->max_bytes = max_bytes;
    m->cap = 1024;
    m->slots = calloc(m->cap, sizeof(lin_memo_slot));
    return m->slots ? 0 : SIM_ENOMEM;
}

void lin_memo_free(lin_memo *m)
{
    free(m->slots);
    free(m->arena);
    memset(m, 0, sizeof(*m));
}

uint64_t lin_memo_bytes(const lin_memo *m)
{
    return (uint64_t)m->cap * sizeof(lin_memo_slot) + (uint64_t)m->arena_cap * m->words * sizeof(uint64_t);
}

static int grow_table(lin_memo *m)
{
    size_t cap = m->cap * 2;
    if ((uint64_t)cap * sizeof(lin_memo_slot) + (uint64_t)m->arena_cap * m->words * 8 > m->max_bytes)
        return SIM_ELIMIT;
    lin_memo_slot *slots = calloc(cap, sizeof(lin_memo_slot));
    if (!slots) return SIM_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].ref) continue;
        size_t j = m->slots[i].hash & (cap - 1);
        while (slots[j].ref) j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

static int grow_arena(lin_memo *m)
{
    size_t cap = m->arena_cap ? m->arena_cap * 2 : 1024;
    if ((uint64_t)m->cap * sizeof(lin_memo_slot) + (uint64_t)cap * m->words * 8 > m->max_bytes) {
        cap = m->arena_cap + m->arena_cap / 4 + 1;   /* a last, smaller step before giving up */
        if ((uint64_t)m->cap * sizeof(lin_memo_slot) + (uint64_t)cap * m->words * 8 > m->max_bytes)
            return SIM_ELIMIT;
    }
    uint64_t *arena = realloc(m->arena, cap * m->words * sizeof(uint64_t));
    if (!arena) return SIM_ENOMEM;
    m->arena = arena;
    m->arena_cap = cap;
    return 0;
}

int lin_memo_add(lin_memo *m, uint64_t hash, uint32_t state, const uint64_t *bits)
{
    size_t mask = m->cap - 1, i = hash & mask;
    size_t bytes = m->words * sizeof(uint64_t);
    for (; m->slots[i].ref; i = (i + 1) & mask) {
        const lin_memo_slot *s = &m->slots[i];
        if (s->hash == hash && s->state == state &&
            memcmp(m->arena + (size_t)(s->ref - 1) * m->words, bits, bytes) == 0)
            return 0;
    }
    int rc;
    if (m->count == m->arena_cap && (rc = grow_arena(m)) != 0) return rc;
    if (m->count >= UINT32_MAX - 1) return SIM_ELIMIT;
    memcpy(m->arena + m->count * m->words, bits, bytes);
    m->slots[i] = (lin_memo_slot){ hash, state, (uint32_t)(m->count + 1) };
    m->count++;
    if (m->count * 2 > m->cap && (rc = grow_table(m)) != 0) return rc;
    return 1;
}
