/*
 * What a scenario reads as a multi-primary node's h.state (state_json): keys,
 * in key order, each {key = k, siblings = {{value, ts_ms, origin, vv}, ...}}:
 * one version under LWW, the concurrent ones under version vectors (vv: writes
 * seen per member, in id order; origin: the writer's name); and changes, the
 * local change counter.
 */
#include <cJSON.h>

#include "sim/systems/multi_primary/multi_primary.h"
#include "sim/systems/system.h"

static cJSON *version_json(const sim *s, const mp_state *st, const mp_version *v)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "value", (double)v->value);
    cJSON_AddNumberToObject(o, "ts_ms", (double)v->ts_ns / 1e6);
    sim_state_add_node(s, o, "origin", v->origin < st->nmembers ? st->members[v->origin] : SIM_NODE_NONE);
    cJSON *vv = cJSON_AddArrayToObject(o, "vv");
    for (size_t i = 0; i < st->nmembers; i++) cJSON_AddItemToArray(vv, cJSON_CreateNumber((double)v->vv[i]));
    return o;
}

cJSON *multi_primary_state_json(const sim *s, sim_node_id id)
{
    const mp_state *st = sim_node_state(s, id);
    if (!st) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON *keys = cJSON_AddArrayToObject(o, "keys");
    for (size_t i = 0; i < st->nkeys; i++) {
        cJSON *k = cJSON_CreateObject();
        cJSON_AddNumberToObject(k, "key", (double)st->keys[i].key);
        cJSON *sib = cJSON_AddArrayToObject(k, "siblings");
        for (size_t j = 0; j < st->keys[i].nsib; j++)
            cJSON_AddItemToArray(sib, version_json(s, st, &st->keys[i].sib[j]));
        cJSON_AddItemToArray(keys, k);
    }
    cJSON_AddNumberToObject(o, "changes", (double)st->changes);
    return o;
}
