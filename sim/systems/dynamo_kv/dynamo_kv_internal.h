/*
 * dynamo_kv's two halves share these: the replica's store (dynamo_kv.c) and
 * the coordinator of client requests (dynamo_kv_coord.c).
 */
#ifndef SIM_SYSTEMS_DYNAMO_KV_INTERNAL_H
#define SIM_SYSTEMS_DYNAMO_KV_INTERNAL_H

#include <cJSON.h>

#include "sim/systems/dynamo_kv/dynamo_kv.h"

enum { DKV_READ, DKV_WRITE, DKV_CAS };

static inline bool dkv_newer(int64_t ts, int64_t origin, int64_t ts2, int64_t origin2)
{
    return ts > ts2 || (ts == ts2 && origin > origin2);
}

/* The i-th replica of key (i < n): the preference list walks the ring from
 * the key's hash. */
sim_node_id dkv_pref(const dynamo_kv_state *st, const dynamo_kv_config *cfg, const char *key, size_t i);
size_t dkv_nrep(const dynamo_kv_state *st, const dynamo_kv_config *cfg);
bool dkv_is_replica(const dynamo_kv_state *st, const dynamo_kv_config *cfg, const char *key, sim_node_id id);
size_t dkv_index(const dynamo_kv_state *st, sim_node_id id);
dynamo_kv_entry *dkv_find(dynamo_kv_state *st, const char *key);
/* Last writer wins: stores the version if newer; true when it did. */
bool dkv_merge(sim_node *node, dynamo_kv_state *st, const char *key, const char *value, int64_t ts,
               int64_t origin);
void dkv_hint_add(dynamo_kv_state *st, sim_node_id target, const char *key, const char *value, int64_t ts,
                  int64_t origin);
/* put {key,value,ts,origin,rid,hint} to `to`. */
void dkv_send_put(sim_node *node, sim_node_id to, const char *key, const char *value, int64_t ts,
                  int64_t origin, uint64_t rid, bool hint);

/* The replica side (dynamo_kv_replica.c). */
void dkv_on_put(sim_node *node, dynamo_kv_state *st, const sim_msg *msg, const cJSON *m);
void dkv_on_hint_ok(dynamo_kv_state *st, const sim_msg *msg, const cJSON *m);
void dkv_on_get(sim_node *node, dynamo_kv_state *st, const sim_msg *msg, const cJSON *m);
void dkv_on_sync(sim_node *node, dynamo_kv_state *st, const sim_msg *msg, const cJSON *m, bool answer);
void dkv_on_dump(sim_node *node, dynamo_kv_state *st, const sim_msg *msg, const cJSON *m);
void dkv_handoff(sim_node *node, dynamo_kv_state *st);
void dkv_anti_entropy(sim_node *node, dynamo_kv_state *st);

/* The coordinator (dynamo_kv_coord.c). */
void dkv_client(sim_node *node, dynamo_kv_state *st, const sim_msg *msg, const cJSON *m, int op);
void dkv_reply(sim_node *node, dynamo_kv_state *st, const sim_msg *msg, const cJSON *m);
void dkv_req_timer(sim_node *node, dynamo_kv_state *st, uint64_t arg);
void dkv_reqs_free(dynamo_kv_state *st);
bool dkv_reqs_valid(const dynamo_kv_state *st);

/* Lightweight transactions (dynamo_kv_lwt.c, option lwt = 1). */
struct dkv_lwt *dkv_lwt_find(dynamo_kv_state *st, uint64_t rid);
void dkv_lwt_start(sim_node *node, dynamo_kv_state *st, const sim_msg *msg, const cJSON *m, int op, char *key,
                   char *from, char *arg);
void dkv_lwt_timer(sim_node *node, dynamo_kv_state *st, uint64_t arg);
void dkv_lwt_message(sim_node *node, dynamo_kv_state *st, const sim_msg *msg, const cJSON *m);
void dkv_lwt_load(dynamo_kv_state *st, const char *key, const char *text);
void dkv_lwt_free(dynamo_kv_state *st);

#endif
