/*
 * dynamo_kv's coordinator: the node a client asks runs the request against the
 * key's preference list (its n replicas). A read asks them all and answers
 * after r replies; a write stamps a version (its clock, its id) and answers
 * after w acks. A version is unique: its ts is past every one this coordinator
 * stamped before, so two writes it coordinates at the same instant (queued
 * behind a pause, say) never share (ts, id) with different values, which
 * replicas would keep whichever came first of, forever. At request_timeout it answers anyway with what it has (the AP
 * choice): a read falls back on its own copy and hints, a write keeps a hint
 * for every replica that did not ack (a sloppy quorum with the coordinator as
 * the stand-in), to hand off later. Then read repair: every replica that
 * answered an older version (or none) is sent the newest. A cas is a read then
 * a write, not atomic: two sides of a partition can both "win" it.
 *
 * With lwt = 1, cas and write are a Paxos round instead (dynamo_kv_lwt.c).
 *
 * Strict (option strict = 1): no sloppy answers. A write without w acks at
 * its timeout answers error 0 (indefinite), a read without r replies error
 * 11; a read whose r replies disagree first sends the newest version to the
 * stale ones and answers after their acks (FIX: blocking read repair).
 *
 *   READ --r replies--> answered --timeout--> repair, DONE
 *    |--r replies, strict, some stale--> FIX --their acks--> answered
 *    |--timeout, fewer than r: answer from what it has (own copy, hints)
 *   (cas) READ --value == from--> WRITE --w acks--> answered --timeout--> hints, DONE
 *                                   |--timeout, fewer than w: hints, answer ok
 */
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/dynamo_kv/dynamo_kv_internal.h"

struct dynamo_kv_req {
    uint64_t rid;
    sim_node_id client;
    int64_t msg_id, best_ts, best_origin, w_ts;
    int op, phase;                        /* phase: DKV_READ, DKV_WRITE or FIX */
    int need_r, need_w;                   /* replies to wait for: the request's level */
    uint64_t fixing;                      /* FIX: stale replicas whose repair ack is due */
    bool answered, best_set;
    char *key, *from, *arg, *best;
    uint64_t seen, has;                   /* members that answered; that held the key */
    int64_t ver_ts[DYNAMO_KV_MAX_NODES], ver_origin[DYNAMO_KV_MAX_NODES];
};

enum { FIX = 2 };                         /* strict read: blocking read repair */

static void reply(sim_node *node, dynamo_kv_req *r, const char *type, int code, const char *value)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", code ? "error" : type);      /* code -1: error 0, a timeout */
    if (code) cJSON_AddNumberToObject(m, "code", code < 0 ? 0 : code), cJSON_AddStringToObject(m, "text", type);
    sim_json_add_text(m, "value", value);
    cJSON_AddNumberToObject(m, "in_reply_to", (double)r->msg_id);
    sim_json_send(node, r->client, m);
    cJSON_Delete(m);
    r->answered = true;
}

static void arm(sim_node *node, const dynamo_kv_req *r)
{
    const dynamo_kv_config *cfg = sim_self_config(node);
    sim_timer_set(node, cfg->request_ns, "request", r->rid << 2 | (uint64_t)r->phase);
}

static int seen_count(const dynamo_kv_req *r) { return __builtin_popcountll(r->seen); }

static void start_write(sim_node *node, dynamo_kv_state *st, dynamo_kv_req *r, const char *value);

/* The read phase is over (r replies, or the timeout): answer, or go on to write. */
static void read_done(sim_node *node, dynamo_kv_state *st, dynamo_kv_req *r)
{
    if (r->op == DKV_READ) {
        if (!r->best) reply(node, r, "key does not exist", 20, NULL);
        else reply(node, r, "read_ok", 0, r->best);
    } else if (!r->best) reply(node, r, "key does not exist", 20, NULL);
    else if (strcmp(r->best, r->from) != 0) reply(node, r, "precondition failed", 22, NULL);
    else start_write(node, st, r, r->arg);
}

static bool stale_at(const dynamo_kv_req *r, size_t i)
{
    return !(r->has & (UINT64_C(1) << i)) || dkv_newer(r->best_ts, r->best_origin, r->ver_ts[i], r->ver_origin[i]);
}

/* r replies are in. Sloppy: answer. Strict (Cassandra's blocking read repair):
 * first bring every stale one of those r replicas up to the newest version and
 * wait for their acks, so that any later quorum read meets it (else a read
 * could see a half-done write and a later read miss it: not linearizable). */
static void read_quorum(sim_node *node, dynamo_kv_state *st, dynamo_kv_req *r)
{
    const dynamo_kv_config *cfg = sim_self_config(node);
    r->fixing = 0;
    for (size_t i = 0; i < st->nmembers; i++)
        if (r->best_set && (r->seen & (UINT64_C(1) << i)) && stale_at(r, i)) r->fixing |= UINT64_C(1) << i;
    if (!cfg->strict || !r->fixing) {
        read_done(node, st, r);
        return;
    }
    r->phase = FIX;
    arm(node, r);
    for (size_t i = 0; i < st->nmembers; i++) {
        if (!(r->fixing & (UINT64_C(1) << i))) continue;
        if (i != st->self_idx) {
            dkv_send_put(node, st->members[i], r->key, r->best, r->best_ts, r->best_origin, r->rid, false);
            continue;
        }
        dkv_merge(node, st, r->key, r->best, r->best_ts, r->best_origin);
        r->fixing &= ~(UINT64_C(1) << i);
    }
    if (!r->fixing) read_done(node, st, r);
}

static void note_version(sim_node *node, dynamo_kv_state *st, dynamo_kv_req *r, size_t idx, const char *value,
                         int64_t ts, int64_t origin)
{
    SIM_ASSERT(idx < st->nmembers);
    if (r->seen & (UINT64_C(1) << idx)) return;
    r->seen |= UINT64_C(1) << idx;
    if (value) {
        r->has |= UINT64_C(1) << idx;
        r->ver_ts[idx] = ts, r->ver_origin[idx] = origin;
        if (!r->best_set || dkv_newer(ts, origin, r->best_ts, r->best_origin)) {
            free(r->best);
            r->best = strdup(value);
            r->best_ts = ts, r->best_origin = origin, r->best_set = true;
        }
    }
    if (r->phase == DKV_READ && !r->answered && seen_count(r) == r->need_r) read_quorum(node, st, r);
}

static void start_read(sim_node *node, dynamo_kv_state *st, dynamo_kv_req *r)
{
    const dynamo_kv_config *cfg = sim_self_config(node);
    arm(node, r);
    for (size_t i = 0; i < dkv_nrep(st, cfg); i++) {
        sim_node_id id = dkv_pref(st, cfg, r->key, i);
        if (id != sim_self(node)) {
            cJSON *m = cJSON_CreateObject();
            cJSON_AddStringToObject(m, "type", "get");
            sim_json_add_text(m, "key", r->key);
            cJSON_AddNumberToObject(m, "rid", (double)r->rid);
            sim_json_send(node, id, m);
            cJSON_Delete(m);
            continue;
        }
        const dynamo_kv_entry *e = dkv_find(st, r->key);
        note_version(node, st, r, st->self_idx, e ? e->value : NULL, e ? e->ts : 0, e ? e->origin : 0);
        if (r->answered || r->phase != DKV_READ) return;    /* r == 1: answered locally */
    }
}

static void start_write(sim_node *node, dynamo_kv_state *st, dynamo_kv_req *r, const char *value)
{
    const dynamo_kv_config *cfg = sim_self_config(node);
    const dynamo_kv_entry *mine = dkv_find(st, r->key);
    r->phase = DKV_WRITE;
    r->seen = r->has = 0;
    r->w_ts = sim_clock_ns(node);
    if (mine && mine->ts >= r->w_ts) r->w_ts = mine->ts + 1;   /* newer than what we hold */
    if (r->best_set && r->best_ts >= r->w_ts) r->w_ts = r->best_ts + 1;
    if (st->issued_ts >= r->w_ts) r->w_ts = st->issued_ts + 1;   /* never the same version twice */
    st->issued_ts = r->w_ts;
    free(r->best);
    r->best = strdup(value);
    r->best_ts = r->w_ts, r->best_origin = (int64_t)sim_self(node), r->best_set = true;
    arm(node, r);
    for (size_t i = 0; i < dkv_nrep(st, cfg); i++) {
        sim_node_id id = dkv_pref(st, cfg, r->key, i);
        if (id == sim_self(node)) {
            dkv_merge(node, st, r->key, value, r->w_ts, (int64_t)id);
            r->seen |= UINT64_C(1) << st->self_idx;
        } else {
            dkv_send_put(node, id, r->key, value, r->w_ts, (int64_t)sim_self(node), r->rid, false);
        }
    }
    if (seen_count(r) >= r->need_w) reply(node, r, r->op == DKV_CAS ? "cas_ok" : "write_ok", 0, NULL);
}

/* Replies a request at level cl waits for (DEFAULT: the options r and w). */
static int need(const dynamo_kv_state *st, const dynamo_kv_config *cfg, int cl, bool read)
{
    int n = (int)dkv_nrep(st, cfg);
    if (cl == DYNAMO_KV_CL_ONE) return 1;
    if (cl == DYNAMO_KV_CL_QUORUM) return n / 2 + 1;
    if (cl == DYNAMO_KV_CL_ALL) return n;
    return (int)(read ? cfg->r : cfg->w);
}

/* The request's "consistency" field, else the store's default; -1 if bad. */
static int request_level(const dynamo_kv_config *cfg, const cJSON *m)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "consistency");
    if (!v) return cfg->consistency;
    return dynamo_kv_level_parse(cJSON_IsString(v) ? v->valuestring : NULL);
}

void dkv_client(sim_node *node, dynamo_kv_state *st, const sim_msg *msg, const cJSON *m, int op)
{
    const dynamo_kv_config *cfg = sim_self_config(node);
    dynamo_kv_req r = { .rid = st->next_rid++, .client = msg->from, .op = op,
                        .msg_id = sim_json_int(m, "msg_id", 0) };
    int cl = request_level(cfg, m);
    r.key = sim_json_field_text(m, "key");
    r.arg = sim_json_field_text(m, op == DKV_CAS ? "to" : "value");
    r.from = op == DKV_CAS ? sim_json_field_text(m, "from") : NULL;
    if (!r.key || cl < 0 || (op != DKV_READ && !r.arg) || (op == DKV_CAS && !r.from))
        reply(node, &r, "malformed request", 12, NULL);
    else if (op == DKV_CAS && cfg->strict && !cfg->lwt)   /* a read then a write is no cas: that needs Paxos */
        reply(node, &r, "cas needs consensus (Cassandra's lightweight transactions)", 10, NULL);
    else if (op != DKV_READ && cfg->lwt) {      /* Paxos among the replicas: dynamo_kv_lwt.c */
        dkv_lwt_start(node, st, msg, m, op, r.key, r.from, r.arg);
        return;
    }
    if (r.answered) {
        free(r.key), free(r.arg), free(r.from);
        return;
    }
    r.need_r = need(st, cfg, cl, true), r.need_w = need(st, cfg, cl, false);
    if (st->nreqs == st->capreqs) {
        st->capreqs = st->capreqs ? st->capreqs * 2 : 16;
        st->reqs = realloc(st->reqs, st->capreqs * sizeof(*st->reqs));
        SIM_ASSERT(st->reqs != NULL);
    }
    dynamo_kv_req *q = &st->reqs[st->nreqs++];
    *q = r;
    if (op == DKV_WRITE) start_write(node, st, q, q->arg);
    else start_read(node, st, q);
}

static dynamo_kv_req *find_req(dynamo_kv_state *st, uint64_t rid)
{
    for (size_t i = 0; i < st->nreqs; i++)
        if (st->reqs[i].rid == rid) return &st->reqs[i];
    return NULL;
}

/* get_ok and put_ok for one of our requests. */
void dkv_reply(sim_node *node, dynamo_kv_state *st, const sim_msg *msg, const cJSON *m)
{
    dynamo_kv_req *r = find_req(st, (uint64_t)sim_json_int(m, "rid", 0));
    size_t idx = dkv_index(st, msg->from);
    if (!r || idx == SIZE_MAX) return;
    bool get = strcmp(msg->type, "get_ok") == 0;
    if (get != (r->phase == DKV_READ)) return;               /* a late answer of the other phase */
    if (get) {
        char *value = sim_json_field_text(m, "value");
        note_version(node, st, r, idx, value, sim_json_int(m, "ts", 0), sim_json_int(m, "origin", 0));
        free(value);
        return;
    }
    if (r->phase == FIX) {                                   /* a repair ack: the newest is there */
        if (sim_json_int(m, "ts", -1) != r->best_ts || sim_json_int(m, "origin", -1) != r->best_origin) return;
        r->fixing &= ~(UINT64_C(1) << idx);
        if (!r->fixing && !r->answered) read_done(node, st, r);
        return;
    }
    if (sim_json_int(m, "ts", -1) != r->w_ts) return;
    r->seen |= UINT64_C(1) << idx;
    if (!r->answered && seen_count(r) >= r->need_w)
        reply(node, r, r->op == DKV_CAS ? "cas_ok" : "write_ok", 0, NULL);
}

/* Read repair: each replica that answered with an older version, or none. */
static void read_repair(sim_node *node, dynamo_kv_state *st, const dynamo_kv_req *r)
{
    const dynamo_kv_config *cfg = sim_self_config(node);
    if (!cfg->read_repair || !r->best_set) return;
    for (size_t i = 0; i < st->nmembers; i++) {
        if (!(r->seen & (UINT64_C(1) << i))) continue;
        bool older = !(r->has & (UINT64_C(1) << i)) ||
                     dkv_newer(r->best_ts, r->best_origin, r->ver_ts[i], r->ver_origin[i]);
        if (!older) continue;
        if (i == st->self_idx) dkv_merge(node, st, r->key, r->best, r->best_ts, r->best_origin);
        else dkv_send_put(node, st->members[i], r->key, r->best, r->best_ts, r->best_origin, 0, false);
    }
}

static void req_free(dynamo_kv_state *st, dynamo_kv_req *r)
{
    free(r->key), free(r->from), free(r->arg), free(r->best);
    *r = st->reqs[--st->nreqs];
}

/* A read's timeout: answer with what we have (sloppy) or refuse (strict), then
 * the asynchronous read repair. */
static void read_timeout(sim_node *node, dynamo_kv_state *st, dynamo_kv_req *r)
{
    const dynamo_kv_config *cfg = sim_self_config(node);
    if (!r->answered && cfg->strict) reply(node, r, "fewer than r replicas answered", 11, NULL);
    if (!r->answered) {          /* too few replicas: our own copy, then our hints */
        const dynamo_kv_entry *e = dkv_find(st, r->key);
        for (size_t i = 0; !e && i < st->nhints; i++)
            if (strcmp(st->hints[i].key, r->key) == 0) e = &st->hints[i];
        uint64_t seen = r->seen;
        r->seen &= ~(UINT64_C(1) << st->self_idx);
        if (e) note_version(node, st, r, st->self_idx, e->value, e->ts, e->origin);
        r->seen |= seen;
        if (!r->answered && r->phase == DKV_READ) read_done(node, st, r);
    }
    read_repair(node, st, r);
    if (r->phase == DKV_READ) req_free(st, r);
}

/* The request's timeout: answer with what we have, then repair or hand off. */
void dkv_req_timer(sim_node *node, dynamo_kv_state *st, uint64_t arg)
{
    const dynamo_kv_config *cfg = sim_self_config(node);
    dynamo_kv_req *r = find_req(st, arg >> 2);
    if (!r || (uint64_t)r->phase != (arg & 3)) return;
    if (r->phase == DKV_READ) {
        read_timeout(node, st, r);
        return;
    }
    if (r->phase == FIX) {
        if (!r->answered) reply(node, r, "read repair not acknowledged", 11, NULL);
        req_free(st, r);
        return;
    }
    for (size_t i = 0; i < dkv_nrep(st, cfg); i++) {
        sim_node_id id = dkv_pref(st, cfg, r->key, i);
        if (!(r->seen & (UINT64_C(1) << dkv_index(st, id))))
            dkv_hint_add(st, id, r->key, r->best, r->w_ts, (int64_t)sim_self(node));
    }
    if (!r->answered && cfg->strict)             /* some replicas may have it: indefinite */
        reply(node, r, "timeout: fewer than w acks", -1, NULL);
    if (!r->answered) reply(node, r, r->op == DKV_CAS ? "cas_ok" : "write_ok", 0, NULL);
    req_free(st, r);
}

void dkv_reqs_free(dynamo_kv_state *st)
{
    while (st->nreqs) req_free(st, &st->reqs[0]);
    free(st->reqs);
}

bool dkv_reqs_valid(const dynamo_kv_state *st)
{
    for (size_t i = 0; i < st->nreqs; i++) {
        const dynamo_kv_req *r = &st->reqs[i];
        if (!r->key || r->rid >= st->next_rid || (r->phase == DKV_WRITE && !r->best)) return false;
        if ((r->has & ~r->seen) != 0) return false;
    }
    return true;
}
