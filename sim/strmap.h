/*
 * Two small open-addressing hash maps for the kernel's lookups: strmap (a string
 * the caller keeps alive -> uint32) and u64map (uint64 -> uint32). They answer
 * "where is X?" only; nothing ever iterates them, so their layout, which depends
 * on insertion history, can never decide the order of anything in a run.
 */
#ifndef SIM_STRMAP_H
#define SIM_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct strmap_slot {
    const char *key;
    uint64_t hash;
    uint32_t value;
} strmap_slot;

typedef struct strmap {
    strmap_slot *slots;
    size_t count, cap;       /* cap is a power of two */
} strmap;

bool strmap_get(const strmap *m, const char *key, uint32_t *value);
int strmap_put(strmap *m, const char *key, uint32_t value);
void strmap_free(strmap *m);

typedef struct u64map u64map;
u64map *u64map_create(void);
void u64map_destroy(u64map *m);
bool u64map_get(const u64map *m, uint64_t key, uint32_t *value);
int u64map_put(u64map *m, uint64_t key, uint32_t value);

#endif
