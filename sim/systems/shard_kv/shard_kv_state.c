/*
 * What a scenario reads as a shard-kv node's h.state (state_json):
 *
 *   shard      this node's shard number (1-based), scheme and shards: the layout
 *   epoch      resharding epoch; waiting: old shards whose keys have not arrived
 *   keys       the entries it stores, {key = k, value = v}, in key order
 *   served, forwarded, queued, scans, moved_keys, received_keys   counters
 */
#include <cJSON.h>

#include "sim/systems/shard_kv/shard_kv.h"
#include "sim/systems/system.h"

cJSON *shard_kv_state_json(const sim *s, sim_node_id id)
{
    const shard_state *st = sim_node_state(s, id);
    if (!st) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "shard", (double)(st->self_index + 1));
    cJSON_AddStringToObject(o, "scheme", shard_scheme_name(st->layout.scheme));
    cJSON_AddNumberToObject(o, "shards", (double)st->layout.nshards);
    cJSON_AddNumberToObject(o, "epoch", (double)st->epoch);
    cJSON_AddNumberToObject(o, "waiting", (double)__builtin_popcountll(st->waiting));
    cJSON *keys = cJSON_AddArrayToObject(o, "keys");
    for (size_t i = 0; i < st->nentries; i++) {
        cJSON *item = cJSON_CreateObject();
        sim_state_add_text(item, "key", st->entries[i].key);
        sim_state_add_text(item, "value", st->entries[i].value);
        cJSON_AddItemToArray(keys, item);
    }
    const struct { const char *name; int64_t v; } counters[] = {
        { "served", st->served }, { "forwarded", st->forwarded }, { "queued", st->queued },
        { "scans", st->scans }, { "moved_keys", st->moved_keys }, { "received_keys", st->received_keys },
    };
    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
        cJSON_AddNumberToObject(o, counters[i].name, (double)counters[i].v);
    return o;
}
