/*
 * An open-addressing hash map from outpoints (txid, index) to outputs, with
 * linear probing and backward-shift deletion (no tombstones, so a UTXO set that
 * churns for a simulated day never degrades). The slot is the outpoint's first
 * 8 bytes mixed with its index: txids are SHA-256 outputs, already uniform.
 * Iteration order is never used to decide anything (callers that list entries
 * sort them), so the layout cannot leak into a run.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/systems/blockchain/blockchain.h"

static size_t slot_of(const bc_map *m, const bc_outpoint *k)
{
    uint64_t h;
    memcpy(&h, k->txid.b, 8);
    h ^= (uint64_t)k->index * 0x9e3779b97f4a7c15ull;
    return (size_t)(sim_mix64(h) & (m->cap - 1));
}

static bool same(const bc_outpoint *a, const bc_outpoint *b)
{
    return a->index == b->index && memcmp(a->txid.b, b->txid.b, 32) == 0;
}

void bc_map_free(bc_map *m)
{
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

void bc_map_clear(bc_map *m)
{
    if (m->slots) memset(m->slots, 0, m->cap * sizeof(bc_map_slot));
    m->count = 0;
}

bc_out *bc_map_get(const bc_map *m, const bc_outpoint *key)
{
    if (!m->count) return NULL;
    for (size_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[i].used) return NULL;
        if (same(&m->slots[i].key, key)) return &m->slots[i].val;
    }
}

static void grow(bc_map *m)
{
    bc_map old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->slots = calloc(m->cap, sizeof(bc_map_slot));
    SIM_ASSERT(m->slots != NULL);
    m->count = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].used) bc_map_put(m, &old.slots[i].key, &old.slots[i].val);
    free(old.slots);
}

void bc_map_put(bc_map *m, const bc_outpoint *key, const bc_out *val)
{
    if ((m->count + 1) * 4 > m->cap * 3) grow(m);
    size_t i = slot_of(m, key);
    while (m->slots[i].used && !same(&m->slots[i].key, key)) i = (i + 1) & (m->cap - 1);
    if (!m->slots[i].used) m->count++;
    m->slots[i] = (bc_map_slot){ *key, *val, 1 };
}

bool bc_map_del(bc_map *m, const bc_outpoint *key)
{
    if (!m->count) return false;
    size_t i = slot_of(m, key), mask = m->cap - 1;
    while (m->slots[i].used && !same(&m->slots[i].key, key)) i = (i + 1) & mask;
    if (!m->slots[i].used) return false;
    /* backward shift: move later entries of the run into the hole when allowed */
    for (size_t j = (i + 1) & mask; m->slots[j].used; j = (j + 1) & mask) {
        size_t home = slot_of(m, &m->slots[j].key);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].used = 0;
    m->count--;
    return true;
}
