/*
 * Placement for shard_kv: the hash, the three layouts (range, modulo, ring with
 * virtual nodes) and the shard's sorted store. Pure functions of their inputs,
 * shared by the nodes and the tests; lua/dsim/sharding.lua mirrors the hash and
 * the layouts line for line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/shard_kv/shard_kv.h"

uint64_t shard_hash(const char *bytes, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)bytes[i]) * UINT64_C(0x100000001b3);
    h = (h ^ (h >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    h = (h ^ (h >> 27)) * UINT64_C(0x94d049bb133111eb);
    return h ^ (h >> 31);
}

static int point_cmp(const void *a, const void *b)
{
    const shard_point *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return x->shard < y->shard ? -1 : x->shard > y->shard;
}

int shard_layout_init(shard_layout *l, shard_scheme scheme, size_t nshards, size_t vnodes)
{
    SIM_ASSERT(nshards >= 1 && nshards <= SHARD_MAX_NODES);
    SIM_ASSERT(vnodes >= 1 && vnodes <= SHARD_MAX_VNODES);
    *l = (shard_layout){ scheme, nshards, vnodes, NULL, 0 };
    if (scheme != SHARD_RING) return 0;
    l->points = malloc(nshards * vnodes * sizeof(*l->points));
    if (!l->points) return SIM_ENOMEM;
    char name[32];
    for (size_t s = 0; s < nshards; s++)
        for (size_t v = 0; v < vnodes; v++) {
            int n = snprintf(name, sizeof(name), "s%zu#%zu", s, v);
            l->points[l->npoints++] = (shard_point){ shard_hash(name, (size_t)n), (uint32_t)s };
        }
    /* qsort is not stable, but (at, shard) is a total order on distinct points. */
    qsort(l->points, l->npoints, sizeof(*l->points), point_cmp);
    return 0;
}

void shard_layout_free(shard_layout *l)
{
    free(l->points);
    l->points = NULL;
    l->npoints = 0;
}

static size_t range_owner(size_t nshards, const char *key, size_t len)
{
    unsigned c = len ? (unsigned char)key[0] : 0;
    size_t idx = c >= 'a' && c <= 'z' ? c - 'a' : c >= 'A' && c <= 'Z' ? c - 'A' : c % 26;
    return idx * nshards / 26;
}

size_t shard_owner(const shard_layout *l, const char *key, size_t len)
{
    if (l->scheme == SHARD_RANGE) return range_owner(l->nshards, key, len);
    uint64_t h = shard_hash(key, len);
    if (l->scheme == SHARD_MODULO) return (size_t)((h >> 1) % l->nshards);
    size_t lo = 0, hi = l->npoints;          /* the first point with at >= h */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->points[mid].at < h) lo = mid + 1;
        else hi = mid;
    }
    size_t owner = l->points[lo == l->npoints ? 0 : lo].shard;
    SIM_ASSERT(owner < l->nshards);
    return owner;
}

char *shard_key_text(const cJSON *key)
{
    if (cJSON_IsString(key)) return strdup(key->valuestring);
    return sim_json_encode(key);
}

static const char *const scheme_names[] = { "range", "modulo", "ring" };

const char *shard_scheme_name(shard_scheme s) { return scheme_names[s]; }

int shard_scheme_parse(const char *name, shard_scheme *out)
{
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, scheme_names[i]) == 0) return *out = (shard_scheme)i, 0;
    return SIM_EINVAL;
}

/* ---- the store: entries sorted by key (canonical JSON), so scans are in key order ---- */

static size_t lower_bound(const shard_state *st, const char *key)
{
    size_t lo = 0, hi = st->nentries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(st->entries[mid].key, key) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

shard_entry *shard_store_find(shard_state *st, const char *key)
{
    size_t i = lower_bound(st, key);
    return i < st->nentries && strcmp(st->entries[i].key, key) == 0 ? &st->entries[i] : NULL;
}

void shard_store_put(shard_state *st, const char *key, const char *rkey, const char *value)
{
    shard_entry *e = shard_store_find(st, key);
    if (e) {
        free(e->value);
        e->value = strdup(value);
        return;
    }
    if (st->nentries == st->capentries) {
        st->capentries = st->capentries ? 2 * st->capentries : 64;
        st->entries = realloc(st->entries, st->capentries * sizeof(*st->entries));
        SIM_ASSERT(st->entries);
    }
    size_t i = lower_bound(st, key);
    memmove(&st->entries[i + 1], &st->entries[i], (st->nentries - i) * sizeof(*st->entries));
    st->entries[i] = (shard_entry){ strdup(key), strdup(rkey), strdup(value) };
    st->nentries++;
}

void shard_store_free(shard_state *st)
{
    for (size_t i = 0; i < st->nentries; i++)
        free(st->entries[i].key), free(st->entries[i].rkey), free(st->entries[i].value);
    free(st->entries);
    st->entries = NULL;
    st->nentries = st->capentries = 0;
}
