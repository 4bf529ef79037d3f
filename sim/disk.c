/*
 * A node's disk: a sorted array of key/value entries (binary search; appends of
 * increasing keys, the common log pattern, cost O(1) moves) plus an undo journal.
 * Every write or remove since the last sync pushes the entry's previous value to
 * the journal; sync forgets the journal; a crash replays it backwards, which
 * restores exactly the synced state. Rejected alternative: keeping a second, synced
 * copy of the map, which makes every sync O(disk size).
 */
#include "sim/disk.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/errors.h"

typedef struct entry {
    char *key;
    uint8_t *value;
    size_t len;
} entry;

typedef struct undo {
    char *key;
    uint8_t *old_value;     /* NULL when the key was absent */
    size_t old_len;
    int existed;
} undo;

struct sim_disk {
    entry *entries;
    size_t count, cap;
    undo *journal;
    size_t journal_count, journal_cap;
    uint64_t bytes;
};

sim_disk *sim_disk_create(void)
{
    return calloc(1, sizeof(sim_disk));
}

static void free_journal(sim_disk *d)
{
    for (size_t i = 0; i < d->journal_count; i++) {
        free(d->journal[i].key);
        free(d->journal[i].old_value);
    }
    d->journal_count = 0;
}

void sim_disk_destroy(sim_disk *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->count; i++) {
        free(d->entries[i].key);
        free(d->entries[i].value);
    }
    free(d->entries);
    free_journal(d);
    free(d->journal);
    free(d);
}

/* Index of key, or of where it would go (with *found = 0). */
static size_t search(const sim_disk *d, const char *key, int *found)
{
    size_t lo = 0, hi = d->count;
    if (hi > 0 && strcmp(d->entries[hi - 1].key, key) < 0) {
        *found = 0;
        return hi;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(d->entries[mid].key, key);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    *found = 0;
    return lo;
}

static uint8_t *copy_bytes(const void *src, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (p && len) memcpy(p, src, len);
    return p;
}

/* Remembers the current value of key so a crash can restore it. */
static int journal_push(sim_disk *d, const char *key)
{
    if (d->journal_count == d->journal_cap) {
        size_t cap = d->journal_cap ? d->journal_cap * 2 : 16;
        undo *j = realloc(d->journal, cap * sizeof(undo));
        if (!j) return SIM_ENOMEM;
        d->journal = j;
        d->journal_cap = cap;
    }
    int found;
    size_t i = search(d, key, &found);
    undo u = { strdup(key), NULL, 0, found };
    if (!u.key) return SIM_ENOMEM;
    if (found) {
        u.old_value = copy_bytes(d->entries[i].value, d->entries[i].len);
        u.old_len = d->entries[i].len;
        if (!u.old_value) {
            free(u.key);
            return SIM_ENOMEM;
        }
    }
    d->journal[d->journal_count++] = u;
    return 0;
}

/* Sets or removes (value == NULL) without journalling. */
static int apply(sim_disk *d, const char *key, const void *value, size_t len)
{
    int found;
    size_t i = search(d, key, &found);
    if (!value) {
        if (!found) return 0;
        d->bytes -= d->entries[i].len + strlen(key);
        free(d->entries[i].key);
        free(d->entries[i].value);
        memmove(&d->entries[i], &d->entries[i + 1], (d->count - i - 1) * sizeof(entry));
        d->count--;
        return 0;
    }
    uint8_t *copy = copy_bytes(value, len);
    if (!copy) return SIM_ENOMEM;
    if (found) {
        d->bytes = d->bytes - d->entries[i].len + len;
        free(d->entries[i].value);
        d->entries[i].value = copy;
        d->entries[i].len = len;
        return 0;
    }
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        entry *e = realloc(d->entries, cap * sizeof(entry));
        if (!e) {
            free(copy);
            return SIM_ENOMEM;
        }
        d->entries = e;
        d->cap = cap;
    }
    char *k = strdup(key);
    if (!k) {
        free(copy);
        return SIM_ENOMEM;
    }
    memmove(&d->entries[i + 1], &d->entries[i], (d->count - i) * sizeof(entry));
    d->entries[i] = (entry){ k, copy, len };
    d->count++;
    d->bytes += len + strlen(key);
    return 0;
}

int sim_disk_write(sim_disk *d, const char *key, const void *value, size_t len)
{
    if (!d || !key || !*key || (!value && len)) return SIM_EINVAL;
    int rc = journal_push(d, key);
    if (rc) return rc;
    return apply(d, key, value ? value : "", len);
}

int sim_disk_remove(sim_disk *d, const char *key)
{
    if (!d || !key) return SIM_EINVAL;
    int rc = journal_push(d, key);
    if (rc) return rc;
    return apply(d, key, NULL, 0);
}

const void *sim_disk_read(const sim_disk *d, const char *key, size_t *len)
{
    if (!d || !key) return NULL;
    int found;
    size_t i = search(d, key, &found);
    if (!found) return NULL;
    if (len) *len = d->entries[i].len;
    return d->entries[i].value;
}

int sim_disk_sync(sim_disk *d)
{
    if (!d) return SIM_EINVAL;
    free_journal(d);
    return 0;
}

void sim_disk_lose_unsynced(sim_disk *d)
{
    if (!d) return;
    while (d->journal_count > 0) {
        undo *u = &d->journal[--d->journal_count];
        int rc = apply(d, u->key, u->existed ? (const void *)u->old_value : NULL, u->old_len);
        SIM_ASSERT(rc == 0 || u->existed);  /* removing never allocates */
        free(u->key);
        free(u->old_value);
    }
}

size_t sim_disk_count(const sim_disk *d) { return d ? d->count : 0; }
size_t sim_disk_unsynced(const sim_disk *d) { return d ? d->journal_count : 0; }
uint64_t sim_disk_bytes(const sim_disk *d) { return d ? d->bytes : 0; }

const char *sim_disk_key_at(const sim_disk *d, size_t i)
{
    return (d && i < d->count) ? d->entries[i].key : NULL;
}

/* ---- crash modes ------------------------------------------------------------------ */

const char *sim_disk_crash_name(sim_disk_crash_kind mode)
{
    return mode == SIM_DISK_TORN ? "torn" : "lose-unsynced";
}

int sim_disk_crash_parse(const char *name, sim_disk_crash_kind *out)
{
    if (name && strcmp(name, "lose-unsynced") == 0) *out = SIM_DISK_LOSE_UNSYNCED;
    else if (name && strcmp(name, "torn") == 0) *out = SIM_DISK_TORN;
    else return SIM_EINVAL;
    return 0;
}

/* SIM_DISK_TORN. A key's unsynced writes, oldest first, left the values v1..vk
 * (journal entry j+1 holds v_j as its old value; vk is the current one) on top of
 * the synced v0. Each write reached the platter with probability 1/2, on its own:
 * the key keeps the newest v_j whose write did, else v0; a kept v_j (j >= 1) is
 * cut to a random shorter prefix one time in four. Keys are visited in byte order
 * and each write costs one draw, so the outcome depends on the seed only. */
typedef struct torn_key {
    size_t first, count;          /* its journal entries: order[first .. first+count) */
    uint8_t *value;               /* what survives: a copy; NULL with present false: absent */
    size_t len;
    bool present, changed;
} torn_key;

typedef struct jref { const char *key; size_t index; } jref;

static int by_key_age(const void *a, const void *b)
{
    const jref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->index < y->index ? -1 : 1);
}

/* The value journal entry order[j] wrote (see above); *present false: a remove. */
static const uint8_t *written(const sim_disk *d, const jref *order, const torn_key *k, size_t j, size_t *len,
                              bool *present)
{
    if (j + 1 < k->count) {
        const undo *u = &d->journal[order[k->first + j + 1].index];
        *present = u->existed, *len = u->old_len;
        return u->old_value;
    }
    int found;
    size_t i = search(d, order[k->first].key, &found);
    *present = found, *len = found ? d->entries[i].len : 0;
    return found ? d->entries[i].value : NULL;
}

static void tear(const sim_disk *d, const jref *order, torn_key *k, sim_rng *rng)
{
    size_t keep = SIZE_MAX;
    for (size_t j = k->count; j-- > 0;)                   /* newest first, one draw each */
        if (sim_rng_below(rng, 2) == 0 && keep == SIZE_MAX) keep = j;
    bool cut = sim_rng_below(rng, 4) == 0;
    if (keep == SIZE_MAX) return;                         /* none reached the platter */
    size_t len;
    const uint8_t *v = written(d, order, k, keep, &len, &k->present);
    if (k->present && cut && len > 0) len = (size_t)sim_rng_below(rng, len);
    k->value = k->present ? copy_bytes(v, len) : NULL;
    SIM_ASSERT(!k->present || k->value != NULL);
    k->len = len;
    k->changed = true;
}

static void crash_torn(sim_disk *d, sim_rng *rng)
{
    size_t n = d->journal_count;
    jref *order = malloc((n ? n : 1) * sizeof(jref));
    torn_key *keys = calloc(n ? n : 1, sizeof(torn_key));
    SIM_ASSERT(order != NULL && keys != NULL);
    for (size_t i = 0; i < n; i++) order[i] = (jref){ d->journal[i].key, i };
    qsort(order, n, sizeof(jref), by_key_age);
    size_t nkeys = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(order[i].key, order[i - 1].key) != 0) keys[nkeys++] = (torn_key){ .first = i };
        keys[nkeys - 1].count++;
    }
    for (size_t i = 0; i < nkeys; i++) tear(d, order, &keys[i], rng);
    char **names = malloc((nkeys ? nkeys : 1) * sizeof(char *));
    SIM_ASSERT(names != NULL);
    for (size_t i = 0; i < nkeys; i++) names[i] = keys[i].changed ? strdup(order[keys[i].first].key) : NULL;
    sim_disk_lose_unsynced(d);                             /* back to v0 everywhere ... */
    for (size_t i = 0; i < nkeys; i++) {                    /* ... then what reached the platter */
        if (!keys[i].changed) continue;
        SIM_ASSERT(names[i] != NULL);
        int rc = apply(d, names[i], keys[i].present ? (const void *)keys[i].value : NULL, keys[i].len);
        SIM_ASSERT(rc == 0);
        free(names[i]);
        free(keys[i].value);
    }
    free(names);
    free(keys);
    free(order);
}

void sim_disk_crash(sim_disk *d, sim_disk_crash_kind mode, sim_rng *rng)
{
    if (!d) return;
    if (mode == SIM_DISK_TORN && rng && d->journal_count > 0) crash_torn(d, rng);
    else sim_disk_lose_unsynced(d);
}
