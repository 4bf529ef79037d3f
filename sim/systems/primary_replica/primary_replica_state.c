/*
 * What a scenario reads as a primary-replica node's h.state (state_json):
 *
 *   role       "primary" or "replica"; primary: who it believes leads (a name)
 *   epoch      the highest epoch known; applied: the last applied sequence number
 *   kv         the store, {key = k, value = v} in key order
 *   lag_ms, lag_ms_max   replica: how far behind the primary's writes it applies
 */
#include <cJSON.h>

#include "sim/systems/primary_replica/primary_replica.h"
#include "sim/systems/system.h"

cJSON *primary_replica_state_json(const sim *s, sim_node_id id)
{
    const pr_state *st = sim_node_state(s, id);
    if (!st) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "role", st->is_primary ? "primary" : "replica");
    sim_state_add_node(s, o, "primary", st->primary);
    cJSON_AddNumberToObject(o, "epoch", (double)st->epoch);
    cJSON_AddNumberToObject(o, "applied", (double)st->applied);
    cJSON *kv = cJSON_AddArrayToObject(o, "kv");
    for (size_t i = 0; i < st->nkv; i++) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddNumberToObject(item, "key", (double)st->kv[i].key);
        cJSON_AddNumberToObject(item, "value", (double)st->kv[i].value);
        cJSON_AddItemToArray(kv, item);
    }
    cJSON_AddNumberToObject(o, "lag_ms", (double)st->lag_ns_last / 1e6);
    cJSON_AddNumberToObject(o, "lag_ms_max", (double)st->lag_ns_max / 1e6);
    return o;
}
