/*
 * The viewer's record store: its own copy of every trace record it has seen, in
 * trace order, whether they came live from the kernel's observer or from a JSONL
 * file. Everything the viewer draws is a function of a prefix of this store (see
 * viz/model.h), which is what makes "step back" exact: the picture at record k is
 * rebuilt from records 0..k-1, never from the kernel's current state.
 *
 * Strings (message types, annotation keys, check names, node names) are interned
 * into dense ids in first-seen order, so colours assigned by id are the same in
 * every run. Details and message bodies are copied into an arena that never moves.
 * Cost: about 80 bytes a record plus its text; bodies are cut at VIZ_BODY_MAX.
 */
#ifndef VIZ_STORE_H
#define VIZ_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/trace.h"

#define VIZ_NONE UINT32_MAX
#define VIZ_BODY_MAX 240

typedef struct viz_rec {
    int64_t t_ns;
    int64_t num1, num2;        /* as in sim/trace.h, per kind */
    uint64_t id;
    const char *detail;        /* arena text, or NULL */
    const char *body;          /* a message body as text (JSON, else hex), or NULL */
    uint32_t node, peer;       /* viewer node ids (== kernel ids in a live run) */
    uint32_t name;             /* interned string id, or VIZ_NONE */
    uint8_t kind;              /* sim_record_kind */
    uint8_t flags;             /* SIM_FLAG_* */
} viz_rec;

typedef struct viz_arena_block viz_arena_block;

typedef struct viz_store {
    viz_rec *recs;
    size_t count, cap;
    char **strs;               /* interned strings by id */
    uint32_t nstrs, strs_cap;
    uint32_t *str_index;       /* open addressing: slot -> id + 1 (0 = empty) */
    uint32_t str_index_cap;
    uint32_t *node_names;      /* node id -> interned name */
    uint32_t nnodes, nodes_cap;
    uint32_t *str_node;        /* interned id -> node id + 1 (0: not a node); strs_cap long */
    viz_arena_block *arena;
} viz_store;

void viz_store_init(viz_store *st);
void viz_store_free(viz_store *st);

/* The id of text, interning it first; VIZ_NONE when out of memory. */
uint32_t viz_store_intern(viz_store *st, const char *text);
/* The id of text when interned, else VIZ_NONE. */
uint32_t viz_store_lookup(const viz_store *st, const char *text);
const char *viz_store_str(const viz_store *st, uint32_t id);

/* The node called name, adding it (next id) when new. */
uint32_t viz_store_node(viz_store *st, const char *name);
/* The node called name, or VIZ_NONE. */
uint32_t viz_store_find_node(const viz_store *st, const char *name);
const char *viz_store_node_name(const viz_store *st, uint32_t node);

/* A copy of text (at most max bytes, cut with "...") that lives as long as st. */
const char *viz_store_text(viz_store *st, const char *text, size_t len, size_t max);

/* A new record at the end, zeroed with node/peer/name = VIZ_NONE; NULL on ENOMEM. */
viz_rec *viz_store_push(viz_store *st);

/* Copies one kernel record (live mode). */
int viz_store_add_live(viz_store *st, const sim *s, const sim_record *r);
/* Reads a JSONL trace (sim/trace_json.c's format). Returns 0, SIM_ENOENT when the
 * file cannot be opened, or SIM_EINVAL with "line N: why" in err. */
int viz_store_load_jsonl(viz_store *st, const char *path, char *err, size_t errlen);
/* The same from len bytes in memory (the fuzz target's entry). */
int viz_store_load_text(viz_store *st, const char *text, size_t len, char *err, size_t errlen);

/* The index of the first record with time > t_ns (records are in time order). */
size_t viz_store_upper(const viz_store *st, int64_t t_ns);
/* The index of the first record with time >= t_ns. */
size_t viz_store_lower(const viz_store *st, int64_t t_ns);

#endif
