/*
 * dynamo_kv's replica side: the messages between nodes (put, get, sync and
 * their answers), the dump a check reads, and the two background loops, hinted
 * handoff and anti-entropy. The protocol is described in dynamo_kv.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/dynamo_kv/dynamo_kv_internal.h"

void dkv_send_put(sim_node *node, sim_node_id to, const char *key, const char *value, int64_t ts,
                  int64_t origin, uint64_t rid, bool hint)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "put");
    sim_json_add_text(m, "key", key);
    sim_json_add_text(m, "value", value);
    cJSON_AddNumberToObject(m, "ts", (double)ts);
    cJSON_AddNumberToObject(m, "origin", (double)origin);
    cJSON_AddNumberToObject(m, "rid", (double)rid);
    if (hint) cJSON_AddTrueToObject(m, "hint");
    sim_json_send(node, to, m);
    cJSON_Delete(m);
}

void dkv_on_put(sim_node *node, dynamo_kv_state *st, const sim_msg *msg, const cJSON *m)
{
    char *key = sim_json_field_text(m, "key"), *value = sim_json_field_text(m, "value");
    if (key && value) {
        dkv_merge(node, st, key, value, sim_json_int(m, "ts", 0), sim_json_int(m, "origin", 0));
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "type", "put_ok");
        static const char *const echo[] = { "rid", "ts", "origin", "key", "hint", NULL };
        for (int i = 0; echo[i]; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, echo[i]);
            if (v) cJSON_AddItemToObject(a, echo[i], cJSON_Duplicate(v, true));
        }
        sim_json_send(node, msg->from, a);
        cJSON_Delete(a);
    }
    free(key), free(value);
}

/* A handed-off hint arrived: drop it (and any older one for the same key). */
void dkv_on_hint_ok(dynamo_kv_state *st, const sim_msg *msg, const cJSON *m)
{
    char *key = sim_json_field_text(m, "key");
    int64_t ts = sim_json_int(m, "ts", 0), origin = sim_json_int(m, "origin", 0);
    for (size_t i = 0; key && i < st->nhints;) {
        dynamo_kv_entry *h = &st->hints[i];
        if (h->hint_for == msg->from && strcmp(h->key, key) == 0 && !dkv_newer(h->ts, h->origin, ts, origin)) {
            free(h->key), free(h->value);
            *h = st->hints[--st->nhints];
        } else i++;
    }
    free(key);
}

void dkv_on_get(sim_node *node, dynamo_kv_state *st, const sim_msg *msg, const cJSON *m)
{
    char *key = sim_json_field_text(m, "key");
    const dynamo_kv_entry *e = key ? dkv_find(st, key) : NULL;
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "type", "get_ok");
    cJSON_AddNumberToObject(a, "rid", (double)sim_json_int(m, "rid", 0));
    if (e) sim_json_add_text(a, "value", e->value);
    cJSON_AddNumberToObject(a, "ts", e ? (double)e->ts : 0);
    cJSON_AddNumberToObject(a, "origin", e ? (double)e->origin : 0);
    sim_json_send(node, msg->from, a);
    cJSON_Delete(a);
    free(key);
}

static cJSON *entry_json(const dynamo_kv_entry *e)
{
    cJSON *x = cJSON_CreateArray();
    cJSON_AddItemToArray(x, cJSON_Parse(e->key));
    cJSON_AddItemToArray(x, cJSON_Parse(e->value));
    cJSON_AddItemToArray(x, cJSON_CreateNumber((double)e->ts));
    cJSON_AddItemToArray(x, cJSON_CreateNumber((double)e->origin));
    return x;
}

/* Anti-entropy: merge the peer's entries; on a sync, answer with ours that are
 * newer than what it sent, or that it did not send, among keys it replicates. */
void dkv_on_sync(sim_node *node, dynamo_kv_state *st, const sim_msg *msg, const cJSON *m, bool answer)
{
    const dynamo_kv_config *cfg = sim_self_config(node);
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(m, "entries");
    cJSON *back = answer ? cJSON_CreateArray() : NULL;
    for (size_t i = 0; i < st->ndata && back; i++) {       /* before merging: what we had */
        const dynamo_kv_entry *e = &st->data[i];
        if (!dkv_is_replica(st, cfg, e->key, msg->from)) continue;
        bool covered = false;
        const cJSON *x;
        cJSON_ArrayForEach(x, entries) {
            char *k = sim_json_encode(cJSON_GetArrayItem(x, 0));
            if (k && strcmp(k, e->key) == 0)
                covered = !dkv_newer(e->ts, e->origin, (int64_t)cJSON_GetArrayItem(x, 2)->valuedouble,
                                     (int64_t)cJSON_GetArrayItem(x, 3)->valuedouble);
            free(k);
        }
        if (!covered) cJSON_AddItemToArray(back, entry_json(e));
    }
    const cJSON *x;
    cJSON_ArrayForEach(x, entries) {
        if (cJSON_GetArraySize(x) != 4) continue;
        char *k = sim_json_encode(cJSON_GetArrayItem(x, 0)), *v = sim_json_encode(cJSON_GetArrayItem(x, 1));
        dkv_merge(node, st, k, v, (int64_t)cJSON_GetArrayItem(x, 2)->valuedouble,
                  (int64_t)cJSON_GetArrayItem(x, 3)->valuedouble);
        free(k), free(v);
    }
    if (!back) return;
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "type", "sync_ok");
    cJSON_AddItemToObject(a, "entries", back);
    sim_json_send(node, msg->from, a);
    cJSON_Delete(a);
}

void dkv_on_dump(sim_node *node, dynamo_kv_state *st, const sim_msg *msg, const cJSON *m)
{
    const dynamo_kv_config *cfg = sim_self_config(node);
    cJSON *a = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(a, "entries");
    cJSON_AddStringToObject(a, "type", "dump_ok");
    cJSON_AddNumberToObject(a, "in_reply_to", (double)sim_json_int(m, "msg_id", 0));
    for (size_t i = 0; i < st->ndata; i++) {
        const dynamo_kv_entry *e = &st->data[i];
        cJSON *x = cJSON_CreateObject(), *reps = cJSON_AddArrayToObject(x, "replicas");
        sim_json_add_text(x, "key", e->key);
        sim_json_add_text(x, "value", e->value);
        char version[48];
        snprintf(version, sizeof(version), "%lld@%s", (long long)e->ts,
                 sim_node_name(sim_of(node), (sim_node_id)e->origin));
        cJSON_AddStringToObject(x, "version", version);
        for (size_t j = 0; j < dkv_nrep(st, cfg); j++)
            cJSON_AddItemToArray(reps, cJSON_CreateString(sim_node_name(sim_of(node), dkv_pref(st, cfg, e->key, j))));
        cJSON_AddItemToArray(list, x);
    }
    sim_json_send(node, msg->from, a);
    cJSON_Delete(a);
}

/* Hinted handoff: resend every hint to its replica (dropped on its put_ok). */
void dkv_handoff(sim_node *node, dynamo_kv_state *st)
{
    for (size_t i = 0; i < st->nhints; i++) {
        const dynamo_kv_entry *h = &st->hints[i];
        dkv_send_put(node, h->hint_for, h->key, h->value, h->ts, h->origin, 0, true);
    }
}

/* Anti-entropy: one random peer gets every entry it replicates too. */
void dkv_anti_entropy(sim_node *node, dynamo_kv_state *st)
{
    const dynamo_kv_config *cfg = sim_self_config(node);
    if (st->nmembers < 2) return;
    size_t pick = (size_t)sim_rng_below(sim_self_rng(node), st->nmembers - 1);
    sim_node_id peer = st->members[pick >= st->self_idx ? pick + 1 : pick];
    cJSON *m = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(m, "entries");
    cJSON_AddStringToObject(m, "type", "sync");
    for (size_t i = 0; i < st->ndata; i++)
        if (dkv_is_replica(st, cfg, st->data[i].key, peer)) cJSON_AddItemToArray(list, entry_json(&st->data[i]));
    sim_json_send(node, peer, m);
    cJSON_Delete(m);
}
