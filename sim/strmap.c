/*
 * Open addressing with linear probing, grown at 1/2 load. Keys are hashed with
 * the kernel's stable string hash and splitmix64 mixing (sim/rng.h).
 */
#include "sim/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "sim/errors.h"
#include "sim/rng.h"

bool strmap_get(const strmap *m, const char *key, uint32_t *value)
{
    if (m->cap == 0) return false;
    uint64_t h = sim_hash64_str(key);
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        const strmap_slot *e = &m->slots[i];
        if (!e->key) return false;
        if (e->hash == h && strcmp(e->key, key) == 0) {
            *value = e->value;
            return true;
        }
    }
}

static int strmap_grow(strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    strmap_slot *slots = calloc(cap, sizeof(strmap_slot));
    if (!slots) return SIM_ENOMEM;
    for (size_t j = 0; j < m->cap; j++) {
        strmap_slot e = m->slots[j];
        if (!e.key) continue;
        size_t i = e.hash & (cap - 1);
        while (slots[i].key) i = (i + 1) & (cap - 1);
        slots[i] = e;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int strmap_put(strmap *m, const char *key, uint32_t value)
{
    if ((m->count + 1) * 2 > m->cap) {
        int rc = strmap_grow(m);
        if (rc) return rc;
    }
    uint64_t h = sim_hash64_str(key);
    size_t i = h & (m->cap - 1);
    while (m->slots[i].key) {
        if (m->slots[i].hash == h && strcmp(m->slots[i].key, key) == 0) {
            m->slots[i].value = value;
            return 0;
        }
        i = (i + 1) & (m->cap - 1);
    }
    m->slots[i] = (strmap_slot){ key, h, value };
    m->count++;
    return 0;
}

void strmap_free(strmap *m)
{
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

typedef struct u64slot {
    uint64_t key;
    uint32_t value;
    bool used;
} u64slot;

struct u64map {
    u64slot *slots;
    size_t count, cap;
};

u64map *u64map_create(void)
{
    return calloc(1, sizeof(u64map));
}

void u64map_destroy(u64map *m)
{
    if (!m) return;
    free(m->slots);
    free(m);
}

bool u64map_get(const u64map *m, uint64_t key, uint32_t *value)
{
    if (m->cap == 0) return false;
    for (size_t i = sim_mix64(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[i].used) return false;
        if (m->slots[i].key == key) {
            *value = m->slots[i].value;
            return true;
        }
    }
}

static int u64map_grow(u64map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    u64slot *slots = calloc(cap, sizeof(u64slot));
    if (!slots) return SIM_ENOMEM;
    for (size_t j = 0; j < m->cap; j++) {
        if (!m->slots[j].used) continue;
        size_t i = sim_mix64(m->slots[j].key) & (cap - 1);
        while (slots[i].used) i = (i + 1) & (cap - 1);
        slots[i] = m->slots[j];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int u64map_put(u64map *m, uint64_t key, uint32_t value)
{
    if ((m->count + 1) * 2 > m->cap) {
        int rc = u64map_grow(m);
        if (rc) return rc;
    }
    size_t i = sim_mix64(key) & (m->cap - 1);
    while (m->slots[i].used) {
        if (m->slots[i].key == key) {
            m->slots[i].value = value;
            return 0;
        }
        i = (i + 1) & (m->cap - 1);
    }
    m->slots[i] = (u64slot){ key, value, true };
    m->count++;
    return 0;
}
