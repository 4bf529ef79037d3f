/*
 * primary_replica, the replication half: the primary's log and its stream of
 * entries to each replica (with a snapshot first in each epoch), the replicas'
 * in-order apply and acknowledgements, replica lag, the held replies of
 * semi-sync and sync mode, and failover (promotion by command or by the
 * timeout failure detector). The state machine and invariants are drawn at the
 * top of primary_replica.c.
 *
 * Every replicate message is idempotent: entries apply only when their seq is
 * applied + 1, so duplicates and reordering are harmless, and the primary's
 * tick resends whatever a replica has not acknowledged (loss is repaired). A
 * snapshot is the whole map: simple, O(keys), and fine at the course's sizes;
 * a production store would ship a log suffix when the replica's log agrees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/primary_replica/primary_replica.h"

static cJSON *typed(const char *type)
{
    cJSON *out = cJSON_CreateObject();
    SIM_ASSERT(out != NULL);
    cJSON_AddStringToObject(out, "type", type);
    return out;
}

static void persist_epoch(sim_node *node, const pr_state *st)
{
    sim_disk *d = sim_self_disk(node);
    int rc = sim_disk_write(d, "epoch", &st->epoch, sizeof(st->epoch));
    if (rc == 0) rc = sim_disk_sync(d);
    SIM_ASSERT(rc == 0);
}

static void send_stream(sim_node *node, const pr_state *st, const pr_peer *p)
{
    cJSON *out = typed("replicate");
    cJSON_AddNumberToObject(out, "epoch", (double)st->epoch);
    if (!p->synced) {
        cJSON *snap = cJSON_AddArrayToObject(out, "snapshot");
        for (size_t i = 0; i < st->nkv; i++) {
            const double kv[2] = { (double)st->kv[i].key, (double)st->kv[i].value };
            cJSON_AddItemToArray(snap, cJSON_CreateDoubleArray(kv, 2));
        }
        cJSON_AddNumberToObject(out, "seq", (double)st->applied);
    } else {
        cJSON *entries = cJSON_AddArrayToObject(out, "entries");
        for (int64_t s = p->acked + 1, n = 0; s <= st->applied && n < PR_BATCH_MAX; s++, n++) {
            const pr_entry *e = &st->log[s - st->base_seq - 1];
            const double f[4] = { (double)e->seq, (double)e->key, (double)e->value, (double)e->written_ns };
            cJSON_AddItemToArray(entries, cJSON_CreateDoubleArray(f, 4));
        }
    }
    sim_json_send(node, p->id, out);
    cJSON_Delete(out);
}

int64_t pr_append(sim_node *node, pr_state *st, int64_t key, int64_t value)
{
    SIM_ASSERT(st->is_primary);
    if (st->nlog == st->logcap) {
        st->logcap = st->logcap ? st->logcap * 2 : 64;
        st->log = realloc(st->log, st->logcap * sizeof(pr_entry));
        SIM_ASSERT(st->log != NULL);
    }
    int64_t seq = ++st->applied;
    st->log[st->nlog++] = (pr_entry){ seq, key, value, sim_clock_ns(node) };
    pr_kv_set(st, key, value);
    /* Semi-sync and sync push at once every entry each replica lacks (not just
     * this one: with varying latency an entry may overtake the one before it).
     * Async ships in the background, on the tick, as a binlog sender does: the
     * write is acknowledged while it exists on the primary alone. The tick also
     * repairs losses in every mode. */
    for (size_t i = 0; i < st->npeers && st->cfg.mode != PR_ASYNC; i++)
        if (st->peers[i].synced) send_stream(node, st, &st->peers[i]);
    return seq;
}

/* How many replicas hold seq. */
static size_t holders(const pr_state *st, int64_t seq)
{
    size_t n = 0;
    for (size_t i = 0; i < st->npeers; i++) n += st->peers[i].synced && st->peers[i].acked >= seq;
    return n;
}

/* Replicas heard from within failover_timeout: the set sync mode waits for. */
static size_t live_peers(sim_node *node, const pr_state *st)
{
    size_t n = 0;
    for (size_t i = 0; i < st->npeers; i++)
        n += sim_clock_ns(node) - st->peers[i].heard_ns <= st->cfg.failover_timeout_ns;
    return n;
}

void pr_release_waits(sim_node *node, pr_state *st)
{
    size_t need = st->cfg.mode == PR_ASYNC ? 0 : st->cfg.mode == PR_SEMI_SYNC ? 1 : live_peers(node, st);
    if (need > st->npeers) need = st->npeers;
    size_t kept = 0;
    for (size_t i = 0; i < st->nwaits; i++) {
        pr_wait w = st->waits[i];
        if (holders(st, w.seq) >= need) pr_reply(node, w.to, w.reply_id, typed(w.type));
        else st->waits[kept++] = w;
    }
    st->nwaits = kept;
}

/* Follows the primary of a higher epoch; a primary steps down. */
static void follow(sim_node *node, pr_state *st, sim_node_id primary, int64_t epoch)
{
    if (epoch < st->epoch || (epoch == st->epoch && st->primary == primary)) return;
    if (st->is_primary) {         /* our unreplicated writes diverge: take a snapshot */
        sim_log(node, "stepping down: epoch %lld is newer", (long long)epoch);
        st->data_epoch = -1;
    }
    st->is_primary = false;
    st->nwaits = 0;               /* their clients time out: the outcome is unknown */
    st->nlog = 0;
    st->epoch = epoch;
    st->primary = primary;
    persist_epoch(node, st);
    pr_annotate_role(node, st);
}

static void send_ack(sim_node *node, const pr_state *st, sim_node_id to)
{
    cJSON *out = typed("replicate_ok");
    cJSON_AddNumberToObject(out, "epoch", (double)st->epoch);
    cJSON_AddNumberToObject(out, "data_epoch", (double)st->data_epoch);
    cJSON_AddNumberToObject(out, "applied", (double)st->applied);
    sim_json_send(node, to, out);
    cJSON_Delete(out);
}

static void apply_snapshot(pr_state *st, const cJSON *snap, int64_t seq)
{
    st->nkv = 0;
    for (const cJSON *c = snap->child; c; c = c->next) {
        const cJSON *k = cJSON_GetArrayItem(c, 0), *v = cJSON_GetArrayItem(c, 1);
        if (cJSON_IsNumber(k) && cJSON_IsNumber(v)) pr_kv_set(st, (int64_t)k->valuedouble, (int64_t)v->valuedouble);
    }
    st->applied = seq;
    st->data_epoch = st->epoch;
}

static void apply_entries(sim_node *node, pr_state *st, const cJSON *entries)
{
    for (const cJSON *c = entries ? entries->child : NULL; c; c = c->next) {
        if (cJSON_GetArraySize(c) != 4) continue;
        int64_t f[4];
        for (int i = 0; i < 4; i++) f[i] = (int64_t)cJSON_GetArrayItem(c, i)->valuedouble;
        if (f[0] != st->applied + 1) continue;         /* old or out of order: the tick resends */
        pr_kv_set(st, f[1], f[2]);
        st->applied = f[0];
        st->lag_ns_last = sim_clock_ns(node) - f[3];
        if (st->lag_ns_last > st->lag_ns_max) st->lag_ns_max = st->lag_ns_last;
    }
    char text[32];
    snprintf(text, sizeof(text), "%.1fms", (double)st->lag_ns_last / 1e6);
    sim_annotate(node, "lag", text);
}

void pr_on_replicate(sim_node *node, pr_state *st, const sim_msg *msg, const cJSON *in)
{
    int64_t epoch = sim_json_int(in, "epoch", -1);
    if (epoch < st->epoch || msg->from == SIM_NODE_NONE) return;   /* a deposed primary */
    /* Two promoted at once to one epoch: the lower id keeps it. */
    if (epoch == st->epoch && st->is_primary && msg->from > sim_self(node)) return;
    follow(node, st, msg->from, epoch);
    st->last_heard_ns = sim_clock_ns(node);
    const cJSON *snap = cJSON_GetObjectItemCaseSensitive(in, "snapshot");
    int64_t seq = sim_json_int(in, "seq", -1);
    if (cJSON_IsArray(snap) && (st->data_epoch != st->epoch || seq > st->applied))   /* not a late copy */
        apply_snapshot(st, snap, seq);
    if (st->data_epoch == st->epoch) apply_entries(node, st, cJSON_GetObjectItemCaseSensitive(in, "entries"));
    send_ack(node, st, msg->from);
}

void pr_on_replicate_ok(sim_node *node, pr_state *st, const sim_msg *msg, const cJSON *in)
{
    int64_t epoch = sim_json_int(in, "epoch", -1);
    if (epoch > st->epoch) return follow(node, st, SIM_NODE_NONE, epoch);
    if (!st->is_primary || epoch != st->epoch) return;
    for (size_t i = 0; i < st->npeers; i++) {
        pr_peer *p = &st->peers[i];
        if (p->id != msg->from) continue;
        int64_t applied = sim_json_int(in, "applied", -1);
        p->heard_ns = sim_clock_ns(node);
        p->synced = sim_json_int(in, "data_epoch", -1) == st->epoch && applied <= st->applied;
        if (!p->synced) p->acked = 0;
        else if (applied > p->acked) p->acked = applied;
    }
    pr_release_waits(node, st);
}

/* The primary's tick: each replica gets what it lacks (or an empty heartbeat). */
void pr_heartbeat(sim_node *node, pr_state *st)
{
    int64_t behind = 0;
    for (size_t i = 0; i < st->npeers; i++) {
        send_stream(node, st, &st->peers[i]);
        int64_t b = st->applied - (st->peers[i].synced ? st->peers[i].acked : st->base_seq);
        if (b > behind) behind = b;
    }
    char text[32];
    snprintf(text, sizeof(text), "%lld", (long long)behind);
    sim_annotate(node, "behind", text);
    pr_release_waits(node, st);                   /* a replica may have left the live set */
}

/* A replica's failure detector: the primary silent too long means dead. */
void pr_detect(sim_node *node, pr_state *st)
{
    if (st->data_epoch < 0) return;          /* never promote an empty copy */
    size_t rank = 0;
    for (size_t i = 0; i < st->npeers; i++)
        rank += st->peers[i].id < sim_self(node) && st->peers[i].id != st->primary;
    int64_t silent_ns = sim_clock_ns(node) - st->last_heard_ns;
    if (silent_ns > st->cfg.failover_timeout_ns * (int64_t)(1 + rank)) {
        sim_log(node, "primary silent for %lldms: promoting myself", (long long)(silent_ns / SIM_NS_PER_MS));
        pr_promote(node, st);
    }
}

void pr_promote(sim_node *node, pr_state *st)
{
    st->epoch++;
    st->is_primary = true;
    st->primary = sim_self(node);
    st->data_epoch = st->epoch;
    st->base_seq = st->applied;
    st->nlog = 0;
    for (size_t i = 0; i < st->npeers; i++)       /* each gets one timeout to answer */
        st->peers[i] = (pr_peer){ st->peers[i].id, 0, false, sim_clock_ns(node) };
    persist_epoch(node, st);
    pr_annotate_role(node, st);
    pr_heartbeat(node, st);
}
