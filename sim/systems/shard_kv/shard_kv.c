/*
 * shard_kv: a sharded key-value store whose every node is a shard and a router.
 * The client speaks Maelstrom's lin-kv to any node:
 *   {"type":"read","key":K} -> read_ok {value}      (error 20: absent)
 *   {"type":"write","key":K,"value":V} -> write_ok
 *   {"type":"cas","key":K,"from":A,"to":B} -> cas_ok (error 20 absent, 22 not A)
 * plus a query on a non-key field, answered by scatter-gather (shard_kv_scan.c):
 *   {"type":"find","field":F,"equals":V} -> find_ok {keys, fanout}
 * and {"type":"stats"} -> stats_ok {keys, served, forwarded, moved_keys, ...}.
 * Between nodes: fwd {client, req} (a request for a key another shard owns; the
 * owner replies to the client directly), migrate {epoch, entries} (resharding),
 * scan/scan_ok. A scenario reshards by injecting {"type":"reshard","shards":N}
 * into every node at the same instant (the role a configuration service plays).
 *
 * State machine of a node (epoch e = number of reshards so far):
 *
 *   SERVING(e) --reshard{N}--> send each departing key to its new owner, in ONE
 *      ^                       migrate per (old shard, new shard) pair, empty or
 *      |                       not; waiting = the other old shards
 *      |                            |
 *      +---- MIGRATING(e+1) <-------+   migrate from j: store its keys, clear j,
 *             (waiting != 0)            replay the requests queued behind j
 *
 * and of one request at the node that receives it:
 *
 *   owner(key) != me ---------------------------------> fwd to the owner
 *   owner(key) == me, its old owner j still in waiting -> queued until migrate j
 *   otherwise ----------------------------------------> served, reply to client
 *
 * Invariants: (I1) a node holds only keys it owns under its current layout, so
 * no key is held twice (shard_state_valid, asserted after every reshard and
 * migrate); (I2) a key is served only by its owner, and by a new owner only
 * after the old owner's migrate arrived: the old owner stops serving a key at
 * the instant it sends it, so at any time one node serves each key and every
 * operation is linearizable; (I3) nothing is lost: the keys the old shards sent
 * are the keys the new shards received (the scenarios sum moved_keys against
 * received_keys, and read back every acknowledged write).
 *
 * Limits, on purpose: the store is in memory (a crash loses the shard), and a
 * migrate is not retransmitted, so resharding needs a reliable network: the
 * chapter's subject is placement and movement, not failure.
 */
#include "sim/systems/shard_kv/shard_kv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/system.h"
#include "sim/systems/invariant.h"

bool shard_state_valid(const shard_state *st)
{
    if (st->nmembers == 0 || st->self_index >= st->nmembers) return false;
    if (st->layout.nshards == 0 || st->layout.nshards > st->nmembers) return false;
    for (size_t i = 0; i < st->nentries; i++) {
        const shard_entry *e = &st->entries[i];
        if (i > 0 && strcmp(st->entries[i - 1].key, e->key) >= 0) return false;
        if (shard_owner(&st->layout, e->rkey, strlen(e->rkey)) != st->self_index) return false;
    }
    return st->nwaits == 0 || st->waiting != 0;
}

static void reply_error(sim_node *node, sim_node_id client, int64_t msg_id, int code, const char *text)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "error");
    cJSON_AddNumberToObject(m, "code", code);
    cJSON_AddStringToObject(m, "text", text);
    cJSON_AddNumberToObject(m, "in_reply_to", (double)msg_id);
    sim_json_send(node, client, m);
    cJSON_Delete(m);
}

static void reply_ok(sim_node *node, const shard_state *st, sim_node_id client, int64_t msg_id,
                     const char *type, const char *value)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", type);
    if (value) cJSON_AddItemToObject(m, "value", cJSON_Parse(value));
    cJSON_AddNumberToObject(m, "shard", (double)st->self_index + 1);
    cJSON_AddNumberToObject(m, "in_reply_to", (double)msg_id);
    sim_json_send(node, client, m);
    cJSON_Delete(m);
}

/* Serves a read, write or cas of a key this node owns (I2). */
static void serve(sim_node *node, shard_state *st, const cJSON *msg, const char *key, const char *rkey,
                  sim_node_id client)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "type"));
    int64_t msg_id = sim_json_int(msg, "msg_id", 0);
    shard_entry *e = shard_store_find(st, key);
    st->served++;
    if (strcmp(type, "read") == 0) {
        if (!e) return reply_error(node, client, msg_id, 20, "key does not exist");
        return reply_ok(node, st, client, msg_id, "read_ok", e->value);
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(msg, strcmp(type, "write") == 0 ? "value" : "to");
    if (!v) return reply_error(node, client, msg_id, 12, "malformed request");
    char *text = sim_json_encode(v);
    if (strcmp(type, "cas") == 0) {
        char *from = sim_json_encode(cJSON_GetObjectItemCaseSensitive(msg, "from"));
        bool absent = !e, differs = e && (!from || strcmp(e->value, from) != 0);
        free(from);
        if (absent || differs) {
            free(text);
            return reply_error(node, client, msg_id, absent ? 20 : 22,
                               absent ? "key does not exist" : "precondition failed");
        }
    }
    shard_store_put(st, key, rkey, text);
    free(text);
    reply_ok(node, st, client, msg_id, strcmp(type, "write") == 0 ? "write_ok" : "cas_ok", NULL);
}

/* hops bounds forwarding: nodes whose layouts disagree (a reshard injected into
 * some nodes only) would otherwise bounce a request between them for ever. */
static void forward(sim_node *node, shard_state *st, const cJSON *msg, sim_node_id client, size_t owner,
                    int64_t hops)
{
    if (hops >= 3) return reply_error(node, client, sim_json_int(msg, "msg_id", 0), 11, "routing loop");
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "fwd");
    cJSON_AddNumberToObject(m, "client", client);
    cJSON_AddNumberToObject(m, "hops", (double)hops + 1);
    cJSON_AddItemToObject(m, "req", cJSON_Duplicate(msg, true));
    sim_json_send(node, st->members[owner], m);
    cJSON_Delete(m);
    st->forwarded++;
}

static void queue(shard_state *st, const cJSON *msg, sim_node_id client, size_t src)
{
    if (st->nwaits == st->capwaits) {
        st->capwaits = st->capwaits ? 2 * st->capwaits : 16;
        st->waits = realloc(st->waits, st->capwaits * sizeof(*st->waits));
        SIM_ASSERT(st->waits);
    }
    st->waits[st->nwaits++] = (shard_wait){ sim_json_encode(msg), client, (uint32_t)src };
    st->queued++;
}

/* A read, write or cas from client (directly, or forwarded by another router). */
static void keyed(sim_node *node, shard_state *st, const cJSON *msg, sim_node_id client, int64_t hops)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(msg, "key");
    if (!k) return reply_error(node, client, sim_json_int(msg, "msg_id", 0), 12, "no key");
    char *key = sim_json_encode(k), *rkey = shard_key_text(k);
    size_t owner = shard_owner(&st->layout, rkey, strlen(rkey));
    size_t old = st->waiting ? shard_owner(&st->old, rkey, strlen(rkey)) : owner;
    if (owner != st->self_index) forward(node, st, msg, client, owner, hops);
    else if (old != owner && (st->waiting >> old & 1)) queue(st, msg, client, old);
    else serve(node, st, msg, key, rkey, client);
    free(key), free(rkey);
}

static size_t index_of(const shard_state *st, sim_node_id id)
{
    for (size_t i = 0; i < st->nmembers; i++)
        if (st->members[i] == id) return i;
    return SIZE_MAX;
}

/* Moves out every key the new layout gives to another shard: one migrate to
 * each new shard, sent even when empty, because it also says "no more". */
static void reshard(sim_node *node, shard_state *st, const cJSON *msg)
{
    const shard_config *cfg = sim_self_config(node);
    int64_t n = sim_json_int(msg, "shards", 0);
    if (n < 1 || (size_t)n > st->nmembers || st->waiting) {
        sim_log(node, "reshard to %lld refused (%s)", (long long)n, st->waiting ? "migration in progress" : "bad count");
        return;
    }
    shard_layout_free(&st->old);
    st->old = st->layout;
    int rc = shard_layout_init(&st->layout, cfg->scheme, (size_t)n, (size_t)cfg->vnodes);
    SIM_ASSERT(rc == 0);
    st->epoch++;
    cJSON *batch[SHARD_MAX_NODES] = { 0 };
    size_t kept = 0;
    for (size_t i = 0; i < st->nentries; i++) {
        shard_entry e = st->entries[i];
        size_t to = shard_owner(&st->layout, e.rkey, strlen(e.rkey));
        if (to == st->self_index) { st->entries[kept++] = e; continue; }
        if (!batch[to]) batch[to] = cJSON_CreateArray();
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_Parse(e.key));
        cJSON_AddItemToArray(pair, cJSON_Parse(e.value));
        cJSON_AddItemToArray(batch[to], pair);
        st->moved_keys++;
        st->moved_bytes += (int64_t)(strlen(e.key) + strlen(e.value));
        free(e.key), free(e.rkey), free(e.value);
    }
    st->nentries = kept;
    bool was_shard = st->self_index < st->old.nshards, is_shard = st->self_index < st->layout.nshards;
    for (size_t k = 0; k < st->layout.nshards && was_shard; k++) {
        if (k == st->self_index) continue;
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "type", "migrate");
        cJSON_AddNumberToObject(m, "epoch", (double)st->epoch);
        cJSON_AddItemToObject(m, "entries", batch[k] ? batch[k] : cJSON_CreateArray());
        batch[k] = NULL;
        sim_json_send(node, st->members[k], m);
        cJSON_Delete(m);
    }
    for (size_t k = 0; k < SHARD_MAX_NODES; k++) cJSON_Delete(batch[k]);
    for (size_t j = 0; j < st->old.nshards && is_shard; j++)
        if (j != st->self_index) st->waiting |= UINT64_C(1) << j;
    sim_invariant(node, shard_state_valid(st), "shard-kv-local", "shard_state_valid");
}

static void migrate(sim_node *node, shard_state *st, const cJSON *msg, sim_node_id from)
{
    size_t j = index_of(st, from);
    if (j == SIZE_MAX || (uint64_t)sim_json_int(msg, "epoch", 0) != st->epoch || !(st->waiting >> j & 1)) {
        sim_log(node, "unexpected migrate from %s", sim_node_name(sim_of(node), from));
        return;
    }
    const cJSON *pair;
    cJSON_ArrayForEach(pair, cJSON_GetObjectItemCaseSensitive(msg, "entries")) {
        char *key = sim_json_encode(cJSON_GetArrayItem(pair, 0)), *value = sim_json_encode(cJSON_GetArrayItem(pair, 1));
        char *rkey = shard_key_text(cJSON_GetArrayItem(pair, 0));
        shard_store_put(st, key, rkey, value);
        st->received_keys++;
        free(key), free(value), free(rkey);
    }
    st->waiting &= ~(UINT64_C(1) << j);
    size_t n = st->nwaits, kept = 0;
    shard_wait *ready = malloc((n ? n : 1) * sizeof(*ready));
    size_t nready = 0;
    for (size_t i = 0; i < n; i++) {
        if (st->waits[i].src == j) ready[nready++] = st->waits[i];
        else st->waits[kept++] = st->waits[i];
    }
    st->nwaits = kept;
    for (size_t i = 0; i < nready; i++) {      /* in arrival order: FIFO per key */
        cJSON *req = cJSON_Parse(ready[i].body);
        keyed(node, st, req, ready[i].client, 0);
        cJSON_Delete(req);
        free(ready[i].body);
    }
    free(ready);
    sim_invariant(node, shard_state_valid(st), "shard-kv-local", "shard_state_valid");
}

static void start(sim_node *node, void *state)
{
    shard_state *st = state;
    const shard_config *cfg = sim_self_config(node);
    sim_node_id peers[SHARD_MAX_NODES];
    size_t np = sim_cluster_peers(node, peers, SHARD_MAX_NODES - 1);
    SIM_ASSERT(np < SHARD_MAX_NODES);
    for (size_t i = 0; i < np; i++) st->members[st->nmembers++] = peers[i];
    st->members[st->nmembers++] = sim_self(node);
    for (size_t i = st->nmembers - 1; i > 0 && st->members[i - 1] > st->members[i]; i--) {
        sim_node_id t = st->members[i];                 /* peers come in id order: one step */
        st->members[i] = st->members[i - 1], st->members[i - 1] = t;
    }
    st->self_index = index_of(st, sim_self(node));
    size_t n = (size_t)cfg->shards < st->nmembers ? (size_t)cfg->shards : st->nmembers;
    int rc = shard_layout_init(&st->layout, cfg->scheme, n, (size_t)cfg->vnodes);
    SIM_ASSERT(rc == 0);
    st->next_qid = 1;
    char text[64];
    snprintf(text, sizeof(text), "%s, shard %zu", shard_scheme_name(cfg->scheme), st->self_index + 1);
    sim_annotate(node, "shard", text);
    sim_invariant(node, shard_state_valid(st), "shard-kv-local", "shard_state_valid");
}

static void receive(sim_node *node, void *state, const sim_msg *msg)
{
    shard_state *st = state;
    if (msg->corrupted) return;
    cJSON *m = sim_json_parse(msg);
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "type"));
    if (!type) type = "";
    if (!strcmp(type, "read") || !strcmp(type, "write") || !strcmp(type, "cas")) keyed(node, st, m, msg->from, 0);
    else if (!strcmp(type, "fwd"))
        keyed(node, st, cJSON_GetObjectItemCaseSensitive(m, "req"), (sim_node_id)sim_json_int(m, "client", 0),
              sim_json_int(m, "hops", 0));
    else if (!strcmp(type, "reshard")) reshard(node, st, m);
    else if (!strcmp(type, "migrate")) migrate(node, st, m, msg->from);
    else if (!strcmp(type, "find")) shard_find_start(node, st, m, msg->from);
    else if (!strcmp(type, "scan")) shard_scan_serve(node, st, m, msg->from);
    else if (!strcmp(type, "scan_ok")) shard_scan_gather(node, st, m, msg->from);
    else if (!strcmp(type, "stats")) shard_stats_reply(node, st, m, msg->from);
    cJSON_Delete(m);
    SIM_ASSERT(st->nwaits == 0 || st->waiting != 0);
}

static void stop(sim_node *node, void *state)
{
    shard_state *st = state;
    shard_store_free(st);
    for (size_t i = 0; i < st->nwaits; i++) free(st->waits[i].body);
    free(st->waits);
    shard_queries_free(st);
    shard_layout_free(&st->layout);
    shard_layout_free(&st->old);
}

static const sim_program program = { "shard-kv", sizeof(shard_state), start, receive, NULL, stop };

static int configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { "scheme", "shards", "vnodes", NULL };
    shard_config c = { SHARD_RING, SHARD_MAX_NODES, 64 };
    int rc = sim_option_check_known(options, known, err, errlen);
    const cJSON *s = options ? cJSON_GetObjectItemCaseSensitive(options, "scheme") : NULL;
    if (!rc && s && shard_scheme_parse(cJSON_GetStringValue(s), &c.scheme) != 0) {
        snprintf(err, errlen, "option 'scheme' must be \"range\", \"modulo\" or \"ring\"");
        rc = SIM_EINVAL;
    }
    if (!rc) rc = sim_option_int(options, "shards", 1, SHARD_MAX_NODES, &c.shards, err, errlen);
    if (!rc) rc = sim_option_int(options, "vnodes", 1, SHARD_MAX_VNODES, &c.vnodes, err, errlen);
    if (rc) return rc;
    return sim_config_copy(&c, sizeof(c), config);
}

const sim_system sim_system_shard_kv = {
    .name = "shard-kv",
    .summary = "a sharded key-value store: range, modulo or ring (vnodes) placement, routing, resharding (lin-kv)",
    .program = &program,
    .configure = configure,
    .release = free,
    .state_json = shard_kv_state_json,
};
