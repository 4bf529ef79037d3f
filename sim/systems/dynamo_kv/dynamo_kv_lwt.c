/*
 * dynamo_kv's lightweight transactions (option lwt = 1; Cassandra's LWT):
 * cas, and with it write, run as one round of single-decree Paxos (CASPaxos,
 * Rystsov 2018) among the key's n replicas instead of a read then a write.
 * A ballot is a version (b, node): b = max(clock, highest ballot seen + 1).
 * The accepted value is written into the replica's last-writer-wins store
 * with the ballot as its version, so QUORUM reads (and read repair) see it and
 * a committed cas is newer than anything the replicas held.
 *
 *   prepare {key,b,bo,rid} -> promise {rid,b,bo,ok,value?,ts,origin}
 *   accept {key,value,b,bo,rid} -> accepted {rid,b,bo,ok}
 *
 * Acceptor (per key, durable on disk "p/KEY" before the answer): prepare with
 * (b,bo) > promised -> promised = (b,bo), ok with its entry; accept with
 * (b,bo) >= promised -> promised = (b,bo), merge (value, b, bo), ok.
 *
 * Proposer (the coordinator, per request):
 *
 *   PREPARE(b) --majority ok, all versions older than b--> base = newest entry
 *      |            cas: absent -> error 20, base != from -> error 22, DONE
 *      |            else ACCEPT(b, new value) --majority ok--> cas_ok, DONE
 *      |                               +--timer: error 0 (indefinite), DONE
 *      +--timer, a nack or a version >= b: retry with a higher ballot
 *      +--timer after LWT_TRIES attempts: error 11 (definite, nothing sent)
 *
 * Invariants: (I1) a replica's promised ballot only grows and is on disk before
 * any answer; (I2) cas_ok follows a majority of accepts of its ballot, which is
 * newer than every version its majority of promises held: any later ballot's
 * majority intersects it and builds on it; an accept of an older ballot is
 * refused or loses to it by last writer wins. A read may still meet (and
 * repair) a value accepted by a minority whose cas answered error 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/dynamo_kv/dynamo_kv_internal.h"

enum { LWT_PREPARE, LWT_ACCEPT, LWT_TRIES = 4 };

struct dkv_lwt {
    uint64_t rid;
    sim_node_id client;
    int64_t msg_id, b, best_ts, best_origin;
    int op, phase, tries;
    char *key, *from, *arg, *best;
    uint64_t oks;                          /* members that said ok to this ballot */
    bool retry;                            /* a nack or a too-new version was seen */
};

static dkv_promise *promise_of(dynamo_kv_state *st, const char *key)
{
    for (size_t i = 0; i < st->nproms; i++)
        if (strcmp(st->proms[i].key, key) == 0) return &st->proms[i];
    if (st->nproms == st->capproms) {
        st->capproms = st->capproms ? st->capproms * 2 : 16;
        st->proms = realloc(st->proms, st->capproms * sizeof(*st->proms));
        SIM_ASSERT(st->proms != NULL);
    }
    st->proms[st->nproms] = (dkv_promise){ strdup(key), -1, -1 };
    return &st->proms[st->nproms++];
}

void dkv_lwt_load(dynamo_kv_state *st, const char *key, const char *text)
{
    long long b = -1, bo = -1;
    int fields = sscanf(text, "%lld %lld", &b, &bo);
    SIM_ASSERT(fields == 2);
    dkv_promise *p = promise_of(st, key);
    p->b = b, p->bo = bo;
}

static void promise_save(sim_node *node, const dkv_promise *p)
{
    char dkey[300], val[64];
    snprintf(dkey, sizeof(dkey), "p/%s", p->key);
    int n = snprintf(val, sizeof(val), "%lld %lld", (long long)p->b, (long long)p->bo);
    sim_disk_write(sim_self_disk(node), dkey, val, (size_t)n);
    sim_disk_sync(sim_self_disk(node));
}

/* The acceptor: prepare (value NULL) or accept; the answer's ok. */
static bool acceptor(sim_node *node, dynamo_kv_state *st, const char *key, int64_t b, int64_t bo,
                     const char *value)
{
    dkv_promise *p = promise_of(st, key);
    if (value ? dkv_newer(p->b, p->bo, b, bo) : !dkv_newer(b, bo, p->b, p->bo)) return false;
    p->b = b, p->bo = bo;
    promise_save(node, p);
    if (value) dkv_merge(node, st, key, value, b, bo);
    return true;
}

static void lwt_reply(sim_node *node, dynamo_kv_state *st, struct dkv_lwt *r, const char *type, int code)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", code ? "error" : type);
    if (code) cJSON_AddNumberToObject(m, "code", code < 0 ? 0 : code), cJSON_AddStringToObject(m, "text", type);
    cJSON_AddNumberToObject(m, "in_reply_to", (double)r->msg_id);
    sim_json_send(node, r->client, m);
    cJSON_Delete(m);
    free(r->key), free(r->from), free(r->arg), free(r->best);
    *r = st->lwts[--st->nlwts];
}

static int majority(const dynamo_kv_state *st, const dynamo_kv_config *cfg) { return (int)dkv_nrep(st, cfg) / 2 + 1; }

static void on_answer(sim_node *node, dynamo_kv_state *st, struct dkv_lwt *r, size_t idx, bool ok,
                      const char *value, int64_t ts, int64_t origin);

/* Send phase's message for the current ballot to every replica of the key. */
static void broadcast(sim_node *node, dynamo_kv_state *st, struct dkv_lwt *r)
{
    const dynamo_kv_config *cfg = sim_self_config(node);
    uint64_t rid = r->rid;
    sim_timer_set(node, cfg->request_ns + (int64_t)sim_rng_below(sim_self_rng(node), (uint64_t)cfg->request_ns / 2 + 1),
                  "lwt", rid << 4 | (uint64_t)(r->tries << 1 | r->phase));
    for (size_t i = 0; i < dkv_nrep(st, cfg); i++) {
        sim_node_id id = dkv_pref(st, cfg, r->key, i);
        const char *val = r->phase == LWT_ACCEPT ? r->arg : NULL;
        if (id == sim_self(node)) {
            bool ok = acceptor(node, st, r->key, r->b, (int64_t)id, val);
            const dynamo_kv_entry *e = dkv_find(st, r->key);
            int64_t ts = !ok ? promise_of(st, r->key)->b : e ? e->ts : 0;
            on_answer(node, st, r, st->self_idx, ok, e ? e->value : NULL, ts, e ? e->origin : 0);
            if (!dkv_lwt_find(st, rid)) return;             /* answered */
            continue;
        }
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "type", val ? "accept" : "prepare");
        sim_json_add_text(m, "key", r->key);
        sim_json_add_text(m, "value", val);
        cJSON_AddNumberToObject(m, "b", (double)r->b);
        cJSON_AddNumberToObject(m, "bo", (double)sim_self(node));
        cJSON_AddNumberToObject(m, "rid", (double)rid);
        sim_json_send(node, id, m);
        cJSON_Delete(m);
    }
}

static void start_round(sim_node *node, dynamo_kv_state *st, struct dkv_lwt *r)
{
    int64_t b = sim_clock_ns(node);
    if (b <= st->lwt_round) b = st->lwt_round + 1;
    st->lwt_round = r->b = b;
    r->phase = LWT_PREPARE, r->oks = 0, r->retry = false;
    free(r->best);
    r->best = NULL, r->best_ts = -1, r->best_origin = -1;
    broadcast(node, st, r);
}

/* A majority promised: decide, then accept the new value. */
static void decide(sim_node *node, dynamo_kv_state *st, struct dkv_lwt *r)
{
    if (r->op == DKV_CAS && !r->best) {
        lwt_reply(node, st, r, "key does not exist", 20);
        return;
    }
    if (r->op == DKV_CAS && strcmp(r->best, r->from) != 0) {
        lwt_reply(node, st, r, "precondition failed", 22);
        return;
    }
    r->phase = LWT_ACCEPT, r->oks = 0;
    broadcast(node, st, r);
}

static void on_answer(sim_node *node, dynamo_kv_state *st, struct dkv_lwt *r, size_t idx, bool ok,
                      const char *value, int64_t ts, int64_t origin)
{
    const dynamo_kv_config *cfg = sim_self_config(node);
    if (!ok || (r->phase == LWT_PREPARE && value && !dkv_newer(r->b, (int64_t)sim_self(node), ts, origin))) {
        if (ts > st->lwt_round) st->lwt_round = ts;
        r->retry = true;                              /* a higher ballot or version: the timer retries */
        return;
    }
    if (r->oks & (UINT64_C(1) << idx)) return;
    r->oks |= UINT64_C(1) << idx;
    if (r->phase == LWT_PREPARE && value && (!r->best || dkv_newer(ts, origin, r->best_ts, r->best_origin))) {
        free(r->best);
        r->best = strdup(value), r->best_ts = ts, r->best_origin = origin;
    }
    if (__builtin_popcountll(r->oks) != majority(st, cfg)) return;
    if (r->phase == LWT_ACCEPT) lwt_reply(node, st, r, r->op == DKV_CAS ? "cas_ok" : "write_ok", 0);
    else if (!r->retry) decide(node, st, r);
}

struct dkv_lwt *dkv_lwt_find(dynamo_kv_state *st, uint64_t rid)
{
    for (size_t i = 0; i < st->nlwts; i++)
        if (st->lwts[i].rid == rid) return &st->lwts[i];
    return NULL;
}

/* A client's cas or write with lwt = 1; takes key, from and arg. */
void dkv_lwt_start(sim_node *node, dynamo_kv_state *st, const sim_msg *msg, const cJSON *m, int op, char *key,
                   char *from, char *arg)
{
    if (st->nlwts == st->caplwts) {
        st->caplwts = st->caplwts ? st->caplwts * 2 : 16;
        st->lwts = realloc(st->lwts, st->caplwts * sizeof(*st->lwts));
        SIM_ASSERT(st->lwts != NULL);
    }
    struct dkv_lwt *r = &st->lwts[st->nlwts++];
    *r = (struct dkv_lwt){ .rid = st->next_rid++, .client = msg->from, .msg_id = sim_json_int(m, "msg_id", 0),
                           .op = op, .key = key, .from = from, .arg = arg };
    start_round(node, st, r);
}

void dkv_lwt_timer(sim_node *node, dynamo_kv_state *st, uint64_t arg)
{
    struct dkv_lwt *r = dkv_lwt_find(st, arg >> 4);
    if (!r || (uint64_t)(r->tries << 1 | r->phase) != (arg & 15)) return;
    if (r->phase == LWT_ACCEPT) lwt_reply(node, st, r, "timeout: accept not acknowledged by a majority", -1);
    else if (++r->tries >= LWT_TRIES) lwt_reply(node, st, r, "no majority of promises", 11);
    else start_round(node, st, r);
}

/* prepare / accept at this replica, and promise / accepted at the coordinator. */
void dkv_lwt_message(sim_node *node, dynamo_kv_state *st, const sim_msg *msg, const cJSON *m)
{
    int64_t b = sim_json_int(m, "b", -1), bo = sim_json_int(m, "bo", -1);
    char *value = sim_json_field_text(m, "value");
    bool request = strcmp(msg->type, "prepare") == 0 || strcmp(msg->type, "accept") == 0;
    if (request) {
        char *key = sim_json_field_text(m, "key");
        bool acc = msg->type[0] == 'a';
        bool ok = key && (!acc || value) && acceptor(node, st, key, b, bo, acc ? value : NULL);
        const dynamo_kv_entry *e = key && !acc ? dkv_find(st, key) : NULL;
        const dkv_promise *p = key ? promise_of(st, key) : NULL;
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "type", acc ? "accepted" : "promise");
        cJSON_AddNumberToObject(a, "rid", (double)sim_json_int(m, "rid", 0));
        cJSON_AddNumberToObject(a, "b", (double)b);
        cJSON_AddBoolToObject(a, "ok", ok);
        if (e) sim_json_add_text(a, "value", e->value);
        cJSON_AddNumberToObject(a, "ts", !ok && p ? (double)p->b : e ? (double)e->ts : 0);
        cJSON_AddNumberToObject(a, "origin", e ? (double)e->origin : 0);
        sim_json_send(node, msg->from, a);
        cJSON_Delete(a);
        free(key), free(value);
        return;
    }
    struct dkv_lwt *r = dkv_lwt_find(st, (uint64_t)sim_json_int(m, "rid", 0));
    size_t idx = dkv_index(st, msg->from);
    bool phase_ok = r && (msg->type[0] == 'a') == (r->phase == LWT_ACCEPT) && b == r->b;
    if (phase_ok && idx != SIZE_MAX) {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(m, "ok");
        on_answer(node, st, r, idx, cJSON_IsTrue(ok), value, sim_json_int(m, "ts", 0), sim_json_int(m, "origin", 0));
    }
    free(value);
}

void dkv_lwt_free(dynamo_kv_state *st)
{
    for (size_t i = 0; i < st->nlwts; i++) {
        struct dkv_lwt *r = &st->lwts[i];
        free(r->key), free(r->from), free(r->arg), free(r->best);
    }
    for (size_t i = 0; i < st->nproms; i++) free(st->proms[i].key);
    free(st->lwts), free(st->proms);
}
