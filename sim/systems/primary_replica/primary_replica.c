/*
 * primary_replica: a key-value store with one primary and read replicas, the
 * first strategy for scaling a database and its consistency trap. Writes go to
 * the primary (a replica forwards them); reads are served by whichever node is
 * asked, from its own copy, so a replica that lags returns stale data.
 *
 * Client messages are Maelstrom's lin-kv (integer keys and values):
 *   {"type":"read","key":K}              -> {"type":"read_ok","value":V} | error 20
 *   {"type":"write","key":K,"value":V}   -> {"type":"write_ok"}
 *   {"type":"cas","key":K,"from":A,"to":B} -> {"type":"cas_ok"} | error 20 | error 22
 *   {"type":"status"} -> {"type":"status_ok","role","epoch","primary","applied","lag_ns","lag_ns_max"}
 *   {"type":"promote"} (manual failover, e.g. injected by a scenario)
 * Error 11 (temporarily unavailable) when no primary is known.
 * Between nodes:
 *   replica -> primary  {"type":"fwd","client":C,"req":{...}}: the primary answers client C
 *                       itself (C's node id), so a forwarded write costs one hop more, not two
 *   primary -> replica  {"type":"replicate","epoch":E,"entries":[[seq,key,value,written_ns]...]}
 *                       or with "snapshot":[[key,value]...],"seq":S (the whole map at seq S)
 *   replica -> primary  {"type":"replicate_ok","epoch":E,"data_epoch":D,"applied":S}
 *
 * Replication modes (option mode): async answers a write as soon as the primary
 * applied it and ships the log in the background, every heartbeat; semi-sync
 * pushes each write at once and answers once one replica acknowledged it; sync
 * once every live replica did (a replica silent for failover_timeout leaves the
 * set sync waits for, as a group-replication member is expelled, so one dead
 * replica does not block every write; it rejoins when it answers again). Only async can acknowledge a write that no replica holds, so
 * only async loses acknowledged writes when the primary dies and a replica is
 * promoted (the primary's memory is volatile; the replicas are its durability).
 *
 * Failover. Epochs number primaries; a node persists the highest epoch it
 * knows. The first primary is the lowest-id node, at epoch 1. A replica becomes
 * primary of epoch+1 when told ({"type":"promote"}) or, with failover = "auto",
 * when the primary has been silent for failover_timeout * (1 + rank), rank being
 * its place among the replicas in id order (a simple timeout failure detector;
 * the rank staggers the candidates). A new primary snapshots every replica. A
 * node hearing a higher epoch follows its sender (an old primary steps down, its
 * unreplicated writes discarded). A restarted node comes back as a replica.
 *
 * State machine of one node:
 *
 *     (first start, lowest id) --> PRIMARY(epoch 1)
 *     (first start, others; any restart) --> REPLICA
 *     REPLICA --promote | detector timeout--> PRIMARY(epoch+1) --snapshot--> replicas
 *     PRIMARY --message with a higher epoch--> REPLICA (held replies dropped)
 *     REPLICA(data_epoch < epoch) --snapshot of epoch--> REPLICA(in sync) --entries seq=applied+1--> applied+1
 *     write at PRIMARY: APPENDED --async--> ACKED
 *                       APPENDED --1 replica (semi-sync) / all replicas (sync) acked--> ACKED
 *
 * Invariants (pr_state_valid, asserted after every handler): (I1) the map is
 * sorted with unique keys; (I2) at the primary, applied == base_seq + nlog and
 * the log's seqs are consecutive; (I3) a held reply is for a seq <= applied and
 * only a primary holds replies; (I4) a replica's acked <= the primary's applied.
 * Safety in sync mode: an acknowledged write is held by every live replica,
 * hence by any promoted one that was live (a replica expelled from the live set
 * and then promoted can still miss writes). Liveness needs the primary up.
 */
#include "sim/systems/primary_replica/primary_replica.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/system.h"
#include "sim/systems/invariant.h"

/* ---- the map ------------------------------------------------------------------ */

static size_t kv_find(const pr_state *st, int64_t key, bool *found)
{
    size_t lo = 0, hi = st->nkv;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->kv[mid].key < key) lo = mid + 1;
        else hi = mid;
    }
    *found = lo < st->nkv && st->kv[lo].key == key;
    return lo;
}

void pr_kv_set(pr_state *st, int64_t key, int64_t value)
{
    bool found;
    size_t pos = kv_find(st, key, &found);
    if (found) {
        st->kv[pos].value = value;
        return;
    }
    if (st->nkv == st->kvcap) {
        st->kvcap = st->kvcap ? st->kvcap * 2 : 16;
        st->kv = realloc(st->kv, st->kvcap * sizeof(pr_kv));
        SIM_ASSERT(st->kv != NULL);
    }
    memmove(&st->kv[pos + 1], &st->kv[pos], (st->nkv - pos) * sizeof(pr_kv));
    st->kv[pos] = (pr_kv){ key, value };
    st->nkv++;
}

bool pr_state_valid(const pr_state *st)
{
    for (size_t i = 1; i < st->nkv; i++)
        if (st->kv[i - 1].key >= st->kv[i].key) return false;
    if (st->is_primary && st->applied != st->base_seq + (int64_t)st->nlog) return false;
    for (size_t i = 0; i < st->nlog; i++)
        if (st->log[i].seq != st->base_seq + (int64_t)i + 1) return false;
    if (!st->is_primary && st->nwaits > 0) return false;
    for (size_t i = 0; i < st->nwaits; i++)
        if (st->waits[i].seq > st->applied) return false;
    for (size_t i = 0; st->is_primary && i < st->npeers; i++)
        if (st->peers[i].acked > st->applied) return false;
    return true;
}

/* ---- replies -------------------------------------------------------------------- */

/* Sends out (and frees it) to a client, with in_reply_to unless reply_id is -1. */
void pr_reply(sim_node *node, sim_node_id to, int64_t reply_id, cJSON *out)
{
    if (reply_id >= 0) cJSON_AddNumberToObject(out, "in_reply_to", (double)reply_id);
    if (to != SIM_NODE_NONE && to < sim_node_count(sim_of(node))) sim_json_send(node, to, out);
    cJSON_Delete(out);
}

static cJSON *error_msg(int code, const char *text)
{
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "type", "error");
    cJSON_AddNumberToObject(out, "code", code);
    cJSON_AddStringToObject(out, "text", text);
    return out;
}

static cJSON *typed(const char *type)
{
    cJSON *out = cJSON_CreateObject();
    SIM_ASSERT(out != NULL);
    cJSON_AddStringToObject(out, "type", type);
    return out;
}

void pr_annotate_role(sim_node *node, const pr_state *st)
{
    char text[48];
    snprintf(text, sizeof(text), "%s e%lld", st->is_primary ? "primary" : "replica", (long long)st->epoch);
    sim_annotate(node, "role", text);
}

/* ---- client requests ------------------------------------------------------------- */

static void serve_read(sim_node *node, pr_state *st, sim_node_id to, int64_t id, const cJSON *in)
{
    int64_t key;
    bool found = false;
    size_t pos = sim_json_get_int(in, "key", &key) ? kv_find(st, key, &found) : 0;
    if (!found) return pr_reply(node, to, id, error_msg(20, "key does not exist"));
    cJSON *out = typed("read_ok");
    cJSON_AddNumberToObject(out, "value", (double)st->kv[pos].value);
    pr_reply(node, to, id, out);
}

/* A write or cas at the primary: append, then answer now (async) or hold. */
static void serve_update(sim_node *node, pr_state *st, sim_node_id to, int64_t id, const cJSON *in)
{
    int64_t key, value, from;
    bool is_cas = strcmp(cJSON_GetObjectItemCaseSensitive(in, "type")->valuestring, "cas") == 0;
    if (!sim_json_get_int(in, "key", &key) || !sim_json_get_int(in, is_cas ? "to" : "value", &value) ||
        (is_cas && !sim_json_get_int(in, "from", &from)))
        return pr_reply(node, to, id, error_msg(12, "malformed request"));
    if (is_cas) {
        bool found;
        size_t pos = kv_find(st, key, &found);
        if (!found) return pr_reply(node, to, id, error_msg(20, "key does not exist"));
        if (st->kv[pos].value != from) return pr_reply(node, to, id, error_msg(22, "value differs"));
    }
    int64_t seq = pr_append(node, st, key, value);
    if (st->waitcap == st->nwaits) {
        st->waitcap = st->waitcap ? st->waitcap * 2 : 16;
        st->waits = realloc(st->waits, st->waitcap * sizeof(pr_wait));
        SIM_ASSERT(st->waits != NULL);
    }
    st->waits[st->nwaits++] = (pr_wait){ seq, id, to, is_cas ? "cas_ok" : "write_ok" };
    pr_release_waits(node, st);
}

static void forward(sim_node *node, pr_state *st, const sim_msg *msg, const cJSON *in)
{
    int64_t msg_id = sim_json_int(in, "msg_id", -1);
    if (st->primary == SIM_NODE_NONE) return pr_reply(node, msg->from, msg_id, error_msg(11, "no primary"));
    cJSON *out = typed("fwd");
    cJSON_AddNumberToObject(out, "client", (double)msg->from);
    cJSON_AddItemToObject(out, "req", cJSON_Duplicate(in, true));
    sim_json_send(node, st->primary, out);
    cJSON_Delete(out);
}

/* A client request; fwd: a replica forwarded it, and `client` is who asked. */
static void serve(sim_node *node, pr_state *st, const sim_msg *msg, const cJSON *in, bool fwd, sim_node_id client)
{
    const char *t = cJSON_GetObjectItemCaseSensitive(in, "type")->valuestring;
    int64_t id = sim_json_int(in, "msg_id", -1);
    bool is_read = strcmp(t, "read") == 0;
    if (is_read && (st->is_primary || !st->cfg.reads_at_primary)) return serve_read(node, st, client, id, in);
    if (st->is_primary) return serve_update(node, st, client, id, in);
    if (fwd) return pr_reply(node, client, id, error_msg(11, "not the primary"));
    forward(node, st, msg, in);
}

static void on_status(sim_node *node, pr_state *st, const sim_msg *msg, const cJSON *in)
{
    cJSON *out = typed("status_ok");
    cJSON_AddStringToObject(out, "role", st->is_primary ? "primary" : "replica");
    cJSON_AddNumberToObject(out, "epoch", (double)st->epoch);
    cJSON_AddStringToObject(out, "primary", st->primary == SIM_NODE_NONE ? "" : sim_node_name(sim_of(node), st->primary));
    cJSON_AddNumberToObject(out, "applied", (double)st->applied);
    cJSON_AddNumberToObject(out, "lag_ns", (double)st->lag_ns_last);
    cJSON_AddNumberToObject(out, "lag_ns_max", (double)st->lag_ns_max);
    pr_reply(node, msg->from, sim_json_int(in, "msg_id", -1), out);
}

/* ---- handlers --------------------------------------------------------------------- */

static void pr_start(sim_node *node, void *state)
{
    pr_state *st = state;
    const pr_config *cfg = sim_self_config(node);
    SIM_ASSERT(cfg != NULL);
    st->cfg = *cfg;
    st->primary = SIM_NODE_NONE;
    st->data_epoch = -1;
    st->last_heard_ns = sim_clock_ns(node);
    sim_node_id peers[PR_PEERS_MAX];
    size_t n = sim_cluster_peers(node, peers, PR_PEERS_MAX);
    SIM_ASSERT(n <= PR_PEERS_MAX);
    for (size_t i = 0; i < n; i++) st->peers[i] = (pr_peer){ peers[i], 0, false, sim_clock_ns(node) };
    st->npeers = n;
    size_t len;
    const void *saved = sim_disk_read(sim_self_disk(node), "epoch", &len);
    if (saved && len == sizeof(int64_t)) memcpy(&st->epoch, saved, sizeof(int64_t));
    else if (n == 0 || peers[0] > sim_self(node)) pr_promote(node, st);   /* first start, lowest id */
    else st->primary = peers[0];
    pr_annotate_role(node, st);
    sim_timer_set(node, st->cfg.heartbeat_ns, "tick", 0);
}

static void pr_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    pr_state *st = state;
    if (strcmp(name, "tick") != 0) return;
    if (st->is_primary) pr_heartbeat(node, st);
    else if (st->cfg.auto_failover) pr_detect(node, st);
    sim_timer_set(node, st->cfg.heartbeat_ns, "tick", 0);
    sim_invariant(node, pr_state_valid(st), "primary-replica-local", "pr_state_valid");
}

static void pr_receive(sim_node *node, void *state, const sim_msg *msg)
{
    pr_state *st = state;
    if (msg->corrupted) return;
    cJSON *in = sim_json_parse(msg);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(in, "type");
    const char *t = cJSON_IsString(type) ? type->valuestring : "";
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(in, "req");
    const cJSON *req_type = cJSON_GetObjectItemCaseSensitive(req, "type");
    if (!strcmp(t, "read") || !strcmp(t, "write") || !strcmp(t, "cas"))
        serve(node, st, msg, in, false, msg->from);
    else if (!strcmp(t, "fwd") && cJSON_IsString(req_type))
        serve(node, st, msg, req, true, (sim_node_id)sim_json_int(in, "client", SIM_NODE_NONE));
    else if (!strcmp(t, "replicate")) pr_on_replicate(node, st, msg, in);
    else if (!strcmp(t, "replicate_ok")) pr_on_replicate_ok(node, st, msg, in);
    else if (!strcmp(t, "status")) on_status(node, st, msg, in);
    else if (!strcmp(t, "promote") && !st->is_primary) pr_promote(node, st);
    cJSON_Delete(in);
    sim_invariant(node, pr_state_valid(st), "primary-replica-local", "pr_state_valid");
}

static void pr_stop(sim_node *node, void *state)
{
    pr_state *st = state;
    free(st->kv);
    free(st->log);
    free(st->waits);
}

static int choice(const cJSON *options, const char *key, const char *const *names, int *out, char *err,
                  size_t errlen)
{
    const cJSON *v = options ? cJSON_GetObjectItemCaseSensitive(options, key) : NULL;
    if (!v) return 0;
    for (int i = 0; names[i] && cJSON_IsString(v); i++)
        if (strcmp(names[i], v->valuestring) == 0) return *out = i, 0;
    snprintf(err, errlen, "option '%s' must be one of \"%s\", \"%s\"%s%s%s", key, names[0], names[1],
             names[2] ? ", \"" : "", names[2] ? names[2] : "", names[2] ? "\"" : "");
    return SIM_EINVAL;
}

static int pr_configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { "mode", "failover", "reads", "heartbeat", "failover_timeout", NULL };
    static const char *const modes[] = { "async", "semi-sync", "sync", NULL };
    static const char *const failovers[] = { "manual", "auto", NULL };
    static const char *const reads[] = { "local", "primary", NULL };
    pr_config c = { .heartbeat_ns = 50 * SIM_NS_PER_MS, .failover_timeout_ns = 300 * SIM_NS_PER_MS };
    int mode = 0, failover = 0, read = 0;
    int rc = sim_option_check_known(options, known, err, errlen);
    if (!rc) rc = choice(options, "mode", modes, &mode, err, errlen);
    if (!rc) rc = choice(options, "failover", failovers, &failover, err, errlen);
    if (!rc) rc = choice(options, "reads", reads, &read, err, errlen);
    if (!rc) rc = sim_option_duration(options, "heartbeat", &c.heartbeat_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "failover_timeout", &c.failover_timeout_ns, err, errlen);
    if (!rc && (c.heartbeat_ns <= 0 || c.failover_timeout_ns <= 0)) {
        snprintf(err, errlen, "options 'heartbeat' and 'failover_timeout' must be more than 0");
        rc = SIM_EINVAL;
    }
    if (rc) return rc;
    c.mode = (pr_mode)mode;
    c.auto_failover = failover == 1;
    c.reads_at_primary = read == 1;
    return sim_config_copy(&c, sizeof(c), config);
}

static const sim_program pr_program = {
    .name = "primary-replica",
    .state_bytes = sizeof(pr_state),
    .start = pr_start,
    .receive = pr_receive,
    .timer = pr_timer,
    .stop = pr_stop,
};

const sim_system sim_system_primary_replica = {
    .name = "primary-replica",
    .summary = "primary-replica KV store: async, semi-sync or sync replication, manual or auto failover",
    .program = &pr_program,
    .configure = pr_configure,
    .release = free,
    .state_json = primary_replica_state_json,
};
