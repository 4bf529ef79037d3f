/*
 * Scatter-gather and statistics for shard_kv. A query on a field other than the
 * shard key cannot be routed: the node asked sends a scan to every shard (and
 * scans its own), gathers one scan_ok from each, and answers find_ok with the
 * matching keys and the fan-out. Its latency is the slowest shard's, its cost N
 * messages each way, against one (or two, with a forward) for a keyed read.
 *
 *   find {field, equals} --> PENDING(qid): scan to every other shard
 *   PENDING --scan_ok from shard j (each counted once)--> all N answered: find_ok
 *
 * Invariant: a query answers once, after exactly nshards distinct scan_oks.
 * The network of the scatter-gather scenario is reliable; a lost scan would
 * leave its query pending (a real router would time out and report partial).
 */
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/shard_kv/shard_kv.h"

static cJSON *matches(shard_state *st, const char *field, const char *equals)
{
    cJSON *keys = cJSON_CreateArray();
    for (size_t i = 0; i < st->nentries && field && equals; i++) {
        cJSON *v = cJSON_Parse(st->entries[i].value);
        char *got = sim_json_encode(cJSON_GetObjectItemCaseSensitive(v, field));
        if (got && strcmp(got, equals) == 0) cJSON_AddItemToArray(keys, cJSON_Parse(st->entries[i].key));
        free(got);
        cJSON_Delete(v);
    }
    st->scans++;
    return keys;
}

static shard_query *query_find(shard_state *st, uint64_t qid)
{
    for (size_t i = 0; i < st->nqueries; i++)
        if (st->queries[i].qid == qid) return &st->queries[i];
    return NULL;
}

static void gather(sim_node *node, shard_state *st, shard_query *q, size_t from, cJSON *keys)
{
    SIM_ASSERT(from < st->layout.nshards);
    if (q->answered >> from & 1) return cJSON_Delete(keys);   /* a duplicate */
    q->answered |= UINT64_C(1) << from;
    cJSON *k;
    while ((k = cJSON_DetachItemFromArray(keys, 0))) cJSON_AddItemToArray(q->keys, k);
    cJSON_Delete(keys);
    if ((size_t)__builtin_popcountll(q->answered) < st->layout.nshards) return;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "find_ok");
    cJSON_AddItemToObject(m, "keys", q->keys);
    cJSON_AddNumberToObject(m, "fanout", (double)st->layout.nshards);
    cJSON_AddNumberToObject(m, "in_reply_to", (double)q->msg_id);
    sim_json_send(node, q->client, m);
    cJSON_Delete(m);
    *q = st->queries[--st->nqueries];
}

void shard_find_start(sim_node *node, shard_state *st, const cJSON *msg, sim_node_id client)
{
    char *equals = sim_json_encode(cJSON_GetObjectItemCaseSensitive(msg, "equals"));
    const char *field = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "field"));
    if (st->nqueries == st->capqueries) {
        st->capqueries = st->capqueries ? 2 * st->capqueries : 8;
        st->queries = realloc(st->queries, st->capqueries * sizeof(*st->queries));
        SIM_ASSERT(st->queries);
    }
    shard_query *q = &st->queries[st->nqueries++];
    *q = (shard_query){ st->next_qid++, client, sim_json_int(msg, "msg_id", 0), sim_clock_ns(node), 0,
                        cJSON_CreateArray() };
    uint64_t qid = q->qid;
    for (size_t k = 0; k < st->layout.nshards; k++) {
        if (k == st->self_index) continue;
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "type", "scan");
        cJSON_AddNumberToObject(m, "qid", (double)qid);
        if (field) cJSON_AddStringToObject(m, "field", field);
        if (equals) cJSON_AddItemToObject(m, "equals", cJSON_Parse(equals));
        sim_json_send(node, st->members[k], m);
        cJSON_Delete(m);
    }
    if (st->self_index < st->layout.nshards)
        gather(node, st, q, st->self_index, matches(st, field, equals));
    free(equals);
}

void shard_scan_serve(sim_node *node, shard_state *st, const cJSON *msg, sim_node_id from)
{
    char *equals = sim_json_encode(cJSON_GetObjectItemCaseSensitive(msg, "equals"));
    const char *field = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "field"));
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "scan_ok");
    cJSON_AddNumberToObject(m, "qid", (double)sim_json_int(msg, "qid", 0));
    cJSON_AddItemToObject(m, "keys", matches(st, field, equals));
    sim_json_send(node, from, m);
    cJSON_Delete(m);
    free(equals);
}

void shard_scan_gather(sim_node *node, shard_state *st, const cJSON *msg, sim_node_id from)
{
    shard_query *q = query_find(st, (uint64_t)sim_json_int(msg, "qid", 0));
    size_t j = SIZE_MAX;
    for (size_t i = 0; i < st->nmembers; i++)
        if (st->members[i] == from) j = i;
    if (!q || j >= st->layout.nshards) return;
    gather(node, st, q, j, cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(msg, "keys"), true));
}

void shard_stats_reply(sim_node *node, const shard_state *st, const cJSON *msg, sim_node_id client)
{
    int64_t bytes = 0;
    for (size_t i = 0; i < st->nentries; i++)
        bytes += (int64_t)(strlen(st->entries[i].key) + strlen(st->entries[i].value));
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "stats_ok");
    cJSON_AddNumberToObject(m, "shard", (double)st->self_index + 1);
    cJSON_AddNumberToObject(m, "keys", (double)st->nentries);
    cJSON_AddNumberToObject(m, "bytes", (double)bytes);
    cJSON_AddNumberToObject(m, "served", (double)st->served);
    cJSON_AddNumberToObject(m, "forwarded", (double)st->forwarded);
    cJSON_AddNumberToObject(m, "queued", (double)st->queued);
    cJSON_AddNumberToObject(m, "scans", (double)st->scans);
    cJSON_AddNumberToObject(m, "moved_keys", (double)st->moved_keys);
    cJSON_AddNumberToObject(m, "moved_bytes", (double)st->moved_bytes);
    cJSON_AddNumberToObject(m, "received_keys", (double)st->received_keys);
    cJSON_AddNumberToObject(m, "epoch", (double)st->epoch);
    cJSON_AddBoolToObject(m, "migrating", st->waiting != 0);
    cJSON_AddNumberToObject(m, "in_reply_to", (double)sim_json_int(msg, "msg_id", 0));
    sim_json_send(node, client, m);
    cJSON_Delete(m);
}

void shard_queries_free(shard_state *st)
{
    for (size_t i = 0; i < st->nqueries; i++) cJSON_Delete(st->queries[i].keys);
    free(st->queries);
    st->queries = NULL;
    st->nqueries = st->capqueries = 0;
}
