/*
 * What a scenario reads as a dynamo-kv node's h.state (state_json):
 *
 *   data       the keys this node holds as a replica, in key order:
 *              {key = k, value = v, ts = t, origin = o} (the version: later ts
 *              wins, then higher origin)
 *   hints      writes held for an unreachable replica (hinted handoff)
 *   requests   client requests this node coordinates right now
 */
#include <cJSON.h>

#include "sim/systems/dynamo_kv/dynamo_kv.h"
#include "sim/systems/system.h"

cJSON *dynamo_kv_state_json(const sim *s, sim_node_id id)
{
    const dynamo_kv_state *st = sim_node_state(s, id);
    if (!st) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON *data = cJSON_AddArrayToObject(o, "data");
    for (size_t i = 0; i < st->ndata; i++) {
        const dynamo_kv_entry *e = &st->data[i];
        cJSON *item = cJSON_CreateObject();
        sim_state_add_text(item, "key", e->key);
        sim_state_add_text(item, "value", e->value);
        cJSON_AddNumberToObject(item, "ts", (double)e->ts);
        cJSON_AddNumberToObject(item, "origin", (double)e->origin);
        cJSON_AddItemToArray(data, item);
    }
    cJSON_AddNumberToObject(o, "hints", (double)st->nhints);
    cJSON_AddNumberToObject(o, "requests", (double)st->nreqs);
    return o;
}
