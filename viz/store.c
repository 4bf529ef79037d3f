/*
 * The viewer's record store (viz/store.h): growing arrays of records, an
 * interning table with open addressing, and a text arena of fixed blocks (text
 * never moves, so records and the model keep plain pointers into it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viz/store.h"

#define ARENA_BLOCK 65536

struct viz_arena_block {
    viz_arena_block *next;
    size_t used, size;
    char data[];
};

void viz_store_init(viz_store *st) { memset(st, 0, sizeof(*st)); }

void viz_store_free(viz_store *st)
{
    for (uint32_t i = 0; i < st->nstrs; i++) free(st->strs[i]);
    free(st->strs);
    free(st->str_index);
    free(st->node_names);
    free(st->str_node);
    free(st->recs);
    while (st->arena) {
        viz_arena_block *next = st->arena->next;
        free(st->arena);
        st->arena = next;
    }
    memset(st, 0, sizeof(*st));
}

static uint32_t hash_text(const char *text)
{
    uint32_t h = 2166136261u;                  /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) h = (h ^ *p) * 16777619u;
    return h;
}

static int grow_index(viz_store *st)
{
    uint32_t cap = st->str_index_cap ? st->str_index_cap * 2 : 256;
    uint32_t *index = calloc(cap, sizeof(uint32_t));
    if (!index) return SIM_ENOMEM;
    for (uint32_t id = 0; id < st->nstrs; id++) {
        uint32_t slot = hash_text(st->strs[id]) & (cap - 1);
        while (index[slot]) slot = (slot + 1) & (cap - 1);
        index[slot] = id + 1;
    }
    free(st->str_index);
    st->str_index = index;
    st->str_index_cap = cap;
    return 0;
}

uint32_t viz_store_lookup(const viz_store *st, const char *text)
{
    if (!text || !st->str_index_cap) return VIZ_NONE;
    uint32_t mask = st->str_index_cap - 1;
    for (uint32_t slot = hash_text(text) & mask; st->str_index[slot]; slot = (slot + 1) & mask)
        if (strcmp(st->strs[st->str_index[slot] - 1], text) == 0) return st->str_index[slot] - 1;
    return VIZ_NONE;
}

uint32_t viz_store_intern(viz_store *st, const char *text)
{
    if (!text) return VIZ_NONE;
    uint32_t id = viz_store_lookup(st, text);
    if (id != VIZ_NONE) return id;
    if ((st->nstrs + 1) * 2 > st->str_index_cap && grow_index(st) != 0) return VIZ_NONE;
    if (st->nstrs == st->strs_cap) {
        uint32_t cap = st->strs_cap ? st->strs_cap * 2 : 64;
        char **strs = realloc(st->strs, cap * sizeof(char *));
        if (strs) st->strs = strs;
        uint32_t *str_node = strs ? realloc(st->str_node, cap * sizeof(uint32_t)) : NULL;
        if (!str_node) return VIZ_NONE;
        memset(str_node + st->strs_cap, 0, (cap - st->strs_cap) * sizeof(uint32_t));
        st->str_node = str_node;
        st->strs_cap = cap;
    }
    char *copy = strdup(text);
    if (!copy) return VIZ_NONE;
    id = st->nstrs++;
    st->strs[id] = copy;
    uint32_t mask = st->str_index_cap - 1, slot = hash_text(text) & mask;
    while (st->str_index[slot]) slot = (slot + 1) & mask;
    st->str_index[slot] = id + 1;
    return id;
}

const char *viz_store_str(const viz_store *st, uint32_t id)
{
    return id < st->nstrs ? st->strs[id] : "";
}

uint32_t viz_store_find_node(const viz_store *st, const char *name)
{
    uint32_t sid = viz_store_lookup(st, name);
    return sid == VIZ_NONE || !st->str_node[sid] ? VIZ_NONE : st->str_node[sid] - 1;
}

uint32_t viz_store_node(viz_store *st, const char *name)
{
    uint32_t n = viz_store_find_node(st, name);
    if (n != VIZ_NONE) return n;
    uint32_t sid = viz_store_intern(st, name);
    if (sid == VIZ_NONE) return VIZ_NONE;
    if (st->nnodes == st->nodes_cap) {
        uint32_t cap = st->nodes_cap ? st->nodes_cap * 2 : 16;
        uint32_t *names = realloc(st->node_names, cap * sizeof(uint32_t));
        if (!names) return VIZ_NONE;
        st->node_names = names;
        st->nodes_cap = cap;
    }
    st->node_names[st->nnodes] = sid;
    st->str_node[sid] = st->nnodes + 1;
    return st->nnodes++;
}

const char *viz_store_node_name(const viz_store *st, uint32_t node)
{
    return node < st->nnodes ? st->strs[st->node_names[node]] : "-";
}

const char *viz_store_text(viz_store *st, const char *text, size_t len, size_t max)
{
    bool cut = len > max;
    size_t keep = cut ? max : len, need = keep + (cut ? 4 : 1);
    if (!st->arena || st->arena->used + need > st->arena->size) {
        size_t size = need > ARENA_BLOCK ? need : ARENA_BLOCK;
        viz_arena_block *b = malloc(sizeof(viz_arena_block) + size);
        if (!b) return NULL;
        b->next = st->arena;
        b->used = 0;
        b->size = size;
        st->arena = b;
    }
    char *out = st->arena->data + st->arena->used;
    memcpy(out, text, keep);
    if (cut) memcpy(out + keep, "...", 3);
    out[need - 1] = 0;
    st->arena->used += need;
    return out;
}

viz_rec *viz_store_push(viz_store *st)
{
    if (st->count == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 4096;
        viz_rec *recs = realloc(st->recs, cap * sizeof(viz_rec));
        if (!recs) return NULL;
        st->recs = recs;
        st->cap = cap;
    }
    viz_rec *r = &st->recs[st->count++];
    memset(r, 0, sizeof(*r));
    r->node = r->peer = r->name = VIZ_NONE;
    return r;
}

/* A body as text: JSON bodies are printable; anything else is shown as hex. */
static const char *body_text(viz_store *st, const uint8_t *body, size_t len)
{
    bool printable = len > 0;
    for (size_t i = 0; i < len && printable; i++) printable = body[i] >= 32 && body[i] < 127;
    if (printable) return viz_store_text(st, (const char *)body, len, VIZ_BODY_MAX);
    char hex[2 * 48 + 1];
    size_t n = len < 48 ? len : 48;
    for (size_t i = 0; i < n; i++) snprintf(hex + 2 * i, 3, "%02x", body[i]);
    return viz_store_text(st, hex, 2 * n, VIZ_BODY_MAX);
}

static uint32_t live_node(viz_store *st, const sim *s, sim_node_id id)
{
    if (id == SIM_NODE_NONE) return VIZ_NONE;
    while (st->nnodes <= id) {                  /* kernel ids are dense, in add order */
        const char *name = sim_node_name(s, st->nnodes);
        if (!name || viz_store_node(st, name) == VIZ_NONE) return VIZ_NONE;
    }
    return id;
}

int viz_store_add_live(viz_store *st, const sim *s, const sim_record *r)
{
    viz_rec *v = viz_store_push(st);
    if (!v) return SIM_ENOMEM;
    v->t_ns = r->time_ns;
    v->kind = (uint8_t)r->kind;
    v->flags = (uint8_t)r->flags;
    v->node = live_node(st, s, r->node);
    v->peer = live_node(st, s, r->peer);
    v->id = r->id;
    v->num1 = r->num1;
    v->num2 = r->num2;
    if (r->name) v->name = viz_store_intern(st, r->name);
    if (r->detail) v->detail = viz_store_text(st, r->detail, strlen(r->detail), 4096);
    bool sends = r->kind == SIM_REC_SEND || r->kind == SIM_REC_DUPLICATE;
    if (sends && r->body_len) v->body = body_text(st, r->body, r->body_len);
    return 0;
}

size_t viz_store_upper(const viz_store *st, int64_t t_ns)
{
    size_t lo = 0, hi = st->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->recs[mid].t_ns <= t_ns) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

size_t viz_store_lower(const viz_store *st, int64_t t_ns)
{
    size_t lo = 0, hi = st->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->recs[mid].t_ns < t_ns) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}
