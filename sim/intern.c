/*
 * String interning: message types, timer names, annotation keys and node names
 * are stored once per simulation. An interned string has a dense id (first-use
 * order) and a precomputed stable hash, so that the trace hash folds a name in
 * one step instead of rehashing its bytes on every record.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/internal.h"

/* Hot callers intern the same few names (a type per send, a name per timer), so
 * the last few hits are tried first, by content, before hashing. */
static bool recent(sim *s, const char *text, uint32_t *id)
{
    for (int i = 0; i < INTERN_RECENT; i++) {
        uint32_t r = s->intern_recent[i];
        if (r < s->intern_count && strcmp(s->intern_text[r], text) == 0) {
            *id = r;
            return true;
        }
    }
    return false;
}

static uint32_t remember(sim *s, uint32_t id)
{
    s->intern_recent[s->intern_recent_next] = id;
    s->intern_recent_next = (s->intern_recent_next + 1) % INTERN_RECENT;
    return id;
}

uint32_t sim_intern(sim *s, const char *text)
{
    uint32_t id;
    if (!text) text = "";
    if (recent(s, text, &id)) return id;
    if (strmap_get(&s->interned, text, &id)) return remember(s, id);
    if (s->intern_count == s->intern_cap) {
        size_t cap = s->intern_cap ? s->intern_cap * 2 : 64;
        char **t = realloc(s->intern_text, cap * sizeof(char *));
        if (!t) return UINT32_MAX;
        s->intern_text = t;
        uint64_t *h = realloc(s->intern_hash, cap * sizeof(uint64_t));
        if (!h) return UINT32_MAX;
        s->intern_hash = h;
        s->intern_cap = cap;
    }
    char *copy = strdup(text);
    if (!copy) return UINT32_MAX;
    id = (uint32_t)s->intern_count;
    if (strmap_put(&s->interned, copy, id) != 0) {
        free(copy);
        return UINT32_MAX;
    }
    s->intern_text[id] = copy;
    s->intern_hash[id] = sim_hash64_str(copy);
    s->intern_count++;
    return remember(s, id);
}

const char *sim_interned(const sim *s, uint32_t id)
{
    return id < s->intern_count ? s->intern_text[id] : NULL;
}

uint64_t intern_hash_of(const sim *s, uint32_t id)
{
    return id < s->intern_count ? s->intern_hash[id] : 0;
}

void intern_free_all(sim *s)
{
    for (size_t i = 0; i < s->intern_count; i++) free(s->intern_text[i]);
    free(s->intern_text);
    free(s->intern_hash);
    strmap_free(&s->interned);
}
