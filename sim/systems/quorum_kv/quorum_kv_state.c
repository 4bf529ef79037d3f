/*
 * What a scenario reads as a quorum-kv node's h.state (state_json): the
 * acceptor's register of every key it has heard of, in key order,
 * {key = k, value = v (nil: absent), promised = b, accepted = b} (ballots as
 * the numbers the protocol compares), and round: the highest ballot round seen.
 */
#include <cJSON.h>

#include "sim/systems/quorum_kv/quorum_kv.h"
#include "sim/systems/system.h"

cJSON *quorum_kv_state_json(const sim *s, sim_node_id id)
{
    const quorum_kv_state *st = sim_node_state(s, id);
    if (!st) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON *regs = cJSON_AddArrayToObject(o, "registers");
    for (size_t i = 0; i < st->nregs; i++) {
        const quorum_kv_reg *r = &st->regs[i];
        cJSON *item = cJSON_CreateObject();
        sim_state_add_text(item, "key", r->key);
        if (r->value) sim_state_add_text(item, "value", r->value);
        cJSON_AddNumberToObject(item, "promised", (double)r->promised);
        cJSON_AddNumberToObject(item, "accepted", (double)r->accepted);
        cJSON_AddItemToArray(regs, item);
    }
    cJSON_AddNumberToObject(o, "round", (double)st->round);
    return o;
}
