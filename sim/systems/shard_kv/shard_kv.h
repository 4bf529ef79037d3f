/*
 * shard_kv: a sharded key-value store (the sharding chapter). Each node of the
 * cluster is one shard and also a router: it serves the keys it owns and
 * forwards the others to their owner. Which shard owns a key is decided by a
 * layout (shard_map.c), one of three schemes:
 *
 *   range    the key's initial letter, A..Z split into N equal runs (A-C, D-F ...)
 *   modulo   hash(key) mod N
 *   ring     consistent hashing: each shard puts `vnodes` points on a 64-bit
 *            ring; a key belongs to the first point at or after hash(key)
 *
 * hash() is FNV-1a 64 followed by the splitmix64 finaliser (FNV alone has poor
 * low bits, which modulo would expose). lua/dsim/sharding.lua computes exactly
 * the same hash and layouts, so a client-side router in Lua agrees with the
 * nodes bit for bit (a scenario checks that: a correct router sees no forwards).
 * The protocol, its state machine and invariants are at the top of shard_kv.c.
 */
#ifndef SIM_SYSTEMS_SHARD_KV_H
#define SIM_SYSTEMS_SHARD_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "sim/sim.h"

#define SHARD_MAX_NODES 64
#define SHARD_MAX_VNODES 1000

typedef enum shard_scheme { SHARD_RANGE, SHARD_MODULO, SHARD_RING } shard_scheme;

typedef struct shard_config {
    shard_scheme scheme;
    int64_t shards;      /* active shards at start: the first `shards` nodes */
    int64_t vnodes;      /* ring points per shard */
} shard_config;

typedef struct shard_point { uint64_t at; uint32_t shard; } shard_point;

/* Who owns what: scheme, shard count and (ring) the sorted points. */
typedef struct shard_layout {
    shard_scheme scheme;
    size_t nshards, vnodes;
    shard_point *points;   /* ring only: nshards * vnodes, sorted by (at, shard) */
    size_t npoints;
} shard_layout;

uint64_t shard_hash(const char *bytes, size_t len);
int shard_layout_init(shard_layout *l, shard_scheme scheme, size_t nshards, size_t vnodes);
void shard_layout_free(shard_layout *l);
/* The shard (0 .. nshards-1) that owns key, given as its routing text. */
size_t shard_owner(const shard_layout *l, const char *key, size_t len);
/* The routing text of a lin-kv key: a string's bytes, else its canonical JSON. */
char *shard_key_text(const cJSON *key);
const char *shard_scheme_name(shard_scheme s);
int shard_scheme_parse(const char *name, shard_scheme *out);

/* One stored entry: key and value as canonical JSON, rkey the routing text. */
typedef struct shard_entry { char *key, *rkey, *value; } shard_entry;

/* A request waiting for the migration from its key's old owner. */
typedef struct shard_wait { char *body; sim_node_id client; uint32_t src; } shard_wait;

/* A scatter-gather query in progress at the node the client asked. */
typedef struct shard_query {
    uint64_t qid;
    sim_node_id client;
    int64_t msg_id, started_ns;
    uint64_t answered;   /* shards that answered, by index */
    cJSON *keys;         /* gathered matches */
} shard_query;

typedef struct shard_state {
    sim_node_id members[SHARD_MAX_NODES];   /* the whole cluster in id order; index = shard */
    size_t nmembers, self_index;
    shard_layout layout, old;               /* old: the layout before the last reshard */
    uint64_t epoch;
    uint64_t waiting;                       /* old shards whose migration has not arrived */
    shard_entry *entries;                   /* sorted by key */
    size_t nentries, capentries;
    shard_wait *waits;
    size_t nwaits, capwaits;
    shard_query *queries;
    size_t nqueries, capqueries;
    uint64_t next_qid;
    int64_t served, forwarded, queued, scans, moved_keys, moved_bytes, received_keys;
} shard_state;

bool shard_state_valid(const shard_state *st);

/* Store (shard_map.c): a sorted array, binary search. */
shard_entry *shard_store_find(shard_state *st, const char *key);
void shard_store_put(shard_state *st, const char *key, const char *rkey, const char *value);
void shard_store_free(shard_state *st);

/* Scatter-gather and statistics (shard_kv_scan.c). */
void shard_find_start(sim_node *node, shard_state *st, const cJSON *msg, sim_node_id client);
void shard_scan_serve(sim_node *node, shard_state *st, const cJSON *msg, sim_node_id from);
void shard_scan_gather(sim_node *node, shard_state *st, const cJSON *msg, sim_node_id from);
void shard_stats_reply(sim_node *node, const shard_state *st, const cJSON *msg, sim_node_id client);
void shard_queries_free(shard_state *st);

/* What a scenario reads as h.state (shard_kv_state.c). */
cJSON *shard_kv_state_json(const sim *s, sim_node_id id);

#endif
