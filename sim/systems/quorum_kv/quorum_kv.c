/*
 * quorum_kv: a linearizable key-value store on majority quorums, the CP store of
 * the CAP chapter. Each key is one CASPaxos register (Rystsov 2018): every
 * operation, read included, is one round of single-decree Paxos that reads the
 * register from a majority and writes f(value) back to a majority. A node that
 * cannot reach a majority answers {"type":"error","code":11} (temporarily
 * unavailable: definite, nothing was written) when no accept left it, and code 0
 * (timeout: indefinite) when one did: Consistency over Availability.
 *
 * Messages (canonical JSON): the client speaks Maelstrom's lin-kv
 *   {"type":"read","key":K} -> read_ok {value}   (error 20: absent)
 *   {"type":"write","key":K,"value":V} -> write_ok
 *   {"type":"cas","key":K,"from":A,"to":B} -> cas_ok (error 20 absent, 22 not A)
 * and the nodes speak Paxos, rid naming the coordinator's request:
 *   prepare {key,ballot,rid} -> promise {rid,ballot,ok,promised,accepted,value?}
 *   accept {key,ballot,rid,value?} -> accepted {rid,ballot,ok,promised}
 * A ballot is round << 16 | node id: unique per proposer, ordered by round. A
 * node whose id does not fit 16 bits, or a cluster of more than 63 nodes (a vote
 * mask of 64 bits), is refused: a failed check "quorum-kv-config" at its start.
 *
 * State machine of one request at its coordinator (any node the client asks):
 *
 *   PREPARE(b) --majority promised--> ACCEPT(b, f(v of the highest accepted))
 *      |  ^                              |--majority accepted--> reply, DONE
 *      |  |                              +--attempt timer: error 0 (indefinite)--> DONE
 *      |  +--attempt timer (no majority, or a nack: a higher ballot exists)
 *      +--attempt timer after the deadline: error 11 (definite, nothing written)--> DONE
 *
 * and of one key at an acceptor: promised/accepted only grow,
 *   prepare(b >= promised) -> promised = b;  accept(b >= promised) -> accepted =
 *   promised = b, value = v; both synced to disk before the answer.
 *
 * Invariants: (I1) accepted <= promised for every register, and both survive a
 * crash (disk, synced before replying); (I2) a reply other than an error follows
 * a majority of accepted for the request's ballot, so two majorities intersect
 * and a later prepare sees the value: linearizability. I1 and the request table's
 * shape are quorum_kv_state_valid(), asserted after every handler.
 */
#include "sim/systems/quorum_kv/quorum_kv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/system.h"
#include "sim/systems/invariant.h"

enum { OP_READ, OP_WRITE, OP_CAS };

struct quorum_kv_req {
    uint64_t rid;
    sim_node_id client;
    int64_t msg_id, ballot, best_ballot, deadline_ns;
    int op;
    bool accepting, accept_sent;
    char *key, *from, *arg;   /* write: arg is the value; cas: from -> arg */
    char *best;               /* value of the highest accepted seen (NULL: absent) */
    int64_t best_tag;         /* the request that wrote it (rid << 16 | node id) */
    uint64_t voted;           /* members that answered this ballot, by index */
    uint32_t attempt;
    uint64_t timer;
};

static char *dup(const char *s) { return s ? strdup(s) : NULL; }
static bool same(const char *a, const char *b) { return a && b ? strcmp(a, b) == 0 : a == b; }

static size_t members(const quorum_kv_state *st) { return st->npeers + 1; }

static size_t index_of(const quorum_kv_state *st, sim_node_id id)
{
    for (size_t i = 0; i < st->npeers; i++)
        if (st->peers[i] == id) return i;
    return SIZE_MAX;
}

bool quorum_kv_state_valid(const quorum_kv_state *st)
{
    for (size_t i = 0; i < st->nregs; i++)
        if (!st->regs[i].key || st->regs[i].accepted > st->regs[i].promised) return false;
    for (size_t i = 0; i < st->nreqs; i++) {
        const quorum_kv_req *r = &st->reqs[i];
        if (!r->key || r->rid == 0 || r->rid >= st->next_rid) return false;
        if (__builtin_popcountll(r->voted) > (int)members(st)) return false;
    }
    return st->npeers < 64;
}

/* ---- the coordinator ------------------------------------------------------------- */

static void req_free(quorum_kv_state *st, quorum_kv_req *r)
{
    free(r->key), free(r->from), free(r->arg), free(r->best);
    *r = st->reqs[--st->nreqs];
}

static quorum_kv_req *req_find(quorum_kv_state *st, uint64_t rid)
{
    for (size_t i = 0; i < st->nreqs; i++)
        if (st->reqs[i].rid == rid) return &st->reqs[i];
    return NULL;
}

static void reply(sim_node *node, const quorum_kv_req *r, const char *type, int code, const char *value)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", code ? "error" : type);
    if (code) cJSON_AddNumberToObject(m, "code", code);
    if (code) cJSON_AddStringToObject(m, "text", type);
    sim_json_add_text(m, "value", value);
    cJSON_AddNumberToObject(m, "in_reply_to", (double)r->msg_id);
    sim_json_send(node, r->client, m);
    cJSON_Delete(m);
}

/* The tag of the values this request writes: unique per request and per node,
 * across restarts too (rid counts from a boot number kept on disk). */
static int64_t my_tag(const sim_node *node, const quorum_kv_req *r)
{
    return (int64_t)r->rid << 16 | (int64_t)sim_self(node);
}

/* A request whose accept was sent is never retried: its accept may have been
 * chosen and then overwritten, so a second cas could apply twice; it ends with
 * an indefinite error instead. This check is the belt to those braces: a value
 * carrying our own tag is our own effect, never a reason to compare again. */
static bool applied(const sim_node *node, const quorum_kv_req *r)
{
    return r->best && r->best_tag == my_tag(node, r);
}

static bool cas_wins(const sim_node *node, const quorum_kv_req *r)
{
    return r->op == OP_CAS && !applied(node, r) && r->best && same(r->best, r->from);
}

/* The value the accept writes, f(current), and its tag. */
static const char *next_value(const sim_node *node, const quorum_kv_req *r, int64_t *tag)
{
    bool mine = r->op == OP_WRITE || cas_wins(node, r);
    *tag = mine ? my_tag(node, r) : r->best_tag;
    return mine ? r->arg : r->best;
}

static void finish(sim_node *node, quorum_kv_state *st, quorum_kv_req *r)
{
    if (r->op == OP_WRITE || (r->op == OP_CAS && applied(node, r))) reply(node, r, r->op == OP_WRITE ? "write_ok" : "cas_ok", 0, NULL);
    else if (!r->best) reply(node, r, "key does not exist", 20, NULL);
    else if (r->op == OP_READ) reply(node, r, "read_ok", 0, r->best);
    else if (!same(r->best, r->from)) reply(node, r, "precondition failed", 22, NULL);
    else reply(node, r, "cas_ok", 0, NULL);
    req_free(st, r);
}

static void send_phase(sim_node *node, quorum_kv_state *st, quorum_kv_req *r);

static void arm(sim_node *node, quorum_kv_req *r, int64_t delay_ns)
{
    if (r->timer) sim_timer_cancel(node, r->timer);
    r->timer = sim_timer_set(node, delay_ns, "attempt", r->rid << 8 | (r->attempt & 0xff));
}

static void start_attempt(sim_node *node, quorum_kv_state *st, quorum_kv_req *r)
{
    const quorum_kv_config *cfg = sim_self_config(node);
    st->round++;
    r->ballot = st->round << 16 | (int64_t)sim_self(node);
    r->accepting = false;
    r->voted = 0;
    r->best_ballot = -1;
    free(r->best);
    r->best = NULL;
    r->attempt++;
    arm(node, r, cfg->attempt_ns);
    send_phase(node, st, r);
}

/* One member's answer to the request's current phase. */
static void on_vote(sim_node *node, quorum_kv_state *st, quorum_kv_req *r, size_t idx, bool ok,
                    int64_t promised, int64_t accepted, int64_t tag, const char *value)
{
    const quorum_kv_config *cfg = sim_self_config(node);
    SIM_ASSERT(idx < members(st));
    if (!ok && r->accepting) return;   /* the attempt timer ends it: no retry after an accept */
    if (!ok) {                 /* a higher ballot exists: back off, then retry above it */
        if ((promised >> 16) > st->round) st->round = promised >> 16;
        arm(node, r, 1 + (int64_t)sim_rng_below(sim_self_rng(node), (uint64_t)cfg->attempt_ns / 2));
        return;
    }
    if (r->voted & (UINT64_C(1) << idx)) return;
    r->voted |= UINT64_C(1) << idx;
    if (!r->accepting && accepted > r->best_ballot) {
        r->best_ballot = accepted;
        free(r->best);
        r->best = dup(value);
        r->best_tag = tag;
    }
    if ((size_t)__builtin_popcountll(r->voted) < members(st) / 2 + 1) return;
    if (r->accepting) return finish(node, st, r);
    r->accepting = r->accept_sent = true;
    r->voted = 0;
    send_phase(node, st, r);
}

static void send_phase(sim_node *node, quorum_kv_state *st, quorum_kv_req *r)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", r->accepting ? "accept" : "prepare");
    sim_json_add_text(m, "key", r->key);
    cJSON_AddNumberToObject(m, "ballot", (double)r->ballot);
    cJSON_AddNumberToObject(m, "rid", (double)r->rid);
    int64_t tag = 0;
    const char *value = r->accepting ? next_value(node, r, &tag) : NULL;
    sim_json_add_text(m, "value", value);
    if (r->accepting) cJSON_AddNumberToObject(m, "tag", (double)tag);
    for (size_t i = 0; i < st->npeers; i++) sim_json_send(node, st->peers[i], m);
    quorum_kv_reg *reg;
    bool ok = quorum_kv_accept(node, st, r->key, r->ballot, r->accepting ? m : NULL, &reg);
    on_vote(node, st, r, st->npeers, ok, reg->promised, reg->accepted, reg->tag, reg->value);
    cJSON_Delete(m);
}

static void on_client(sim_node *node, quorum_kv_state *st, const sim_msg *msg, const cJSON *m, int op)
{
    const quorum_kv_config *cfg = sim_self_config(node);
    quorum_kv_req r = { .rid = st->next_rid++, .client = msg->from, .op = op,
                        .msg_id = sim_json_int(m, "msg_id", 0) };
    r.key = sim_json_field_text(m, "key");
    r.arg = sim_json_field_text(m, op == OP_CAS ? "to" : "value");
    r.from = op == OP_CAS ? sim_json_field_text(m, "from") : NULL;
    if (!r.key || (op != OP_READ && !r.arg) || (op == OP_CAS && !r.from)) {
        reply(node, &r, "malformed request", 12, NULL);
        free(r.key), free(r.arg), free(r.from);
        return;
    }
    r.deadline_ns = sim_clock_ns(node) + cfg->deadline_ns;
    if (st->nreqs == st->capreqs) {
        st->capreqs = st->capreqs ? st->capreqs * 2 : 16;
        st->reqs = realloc(st->reqs, st->capreqs * sizeof(*st->reqs));
        SIM_ASSERT(st->reqs != NULL);
    }
    st->reqs[st->nreqs++] = r;
    start_attempt(node, st, &st->reqs[st->nreqs - 1]);
}

static void on_peer(sim_node *node, quorum_kv_state *st, const sim_msg *msg, const cJSON *m)
{
    const char *type = msg->type;
    uint64_t rid = (uint64_t)sim_json_int(m, "rid", 0);
    int64_t ballot = sim_json_int(m, "ballot", -1);
    if (strcmp(type, "prepare") == 0 || strcmp(type, "accept") == 0) {
        char *key = sim_json_field_text(m, "key");
        if (!key || ballot < 0) return free(key);
        bool is_accept = type[0] == 'a';
        quorum_kv_reg *reg;
        bool ok = quorum_kv_accept(node, st, key, ballot, is_accept ? m : NULL, &reg);
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "type", is_accept ? "accepted" : "promise");
        cJSON_AddNumberToObject(a, "rid", (double)rid);
        cJSON_AddNumberToObject(a, "ballot", (double)ballot);
        cJSON_AddBoolToObject(a, "ok", ok);
        cJSON_AddNumberToObject(a, "promised", (double)reg->promised);
        if (!is_accept) cJSON_AddNumberToObject(a, "accepted", (double)reg->accepted);
        if (!is_accept) cJSON_AddNumberToObject(a, "tag", (double)reg->tag);
        if (!is_accept) sim_json_add_text(a, "value", reg->value);
        sim_json_send(node, msg->from, a);
        cJSON_Delete(a);
        free(key);
        return;
    }
    quorum_kv_req *r = req_find(st, rid);
    size_t idx = index_of(st, msg->from);
    if (!r || idx == SIZE_MAX || ballot != r->ballot) return;        /* stale or foreign */
    if (r->accepting != (strcmp(type, "accepted") == 0)) return;
    char *value = sim_json_field_text(m, "value");
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(m, "ok");
    on_vote(node, st, r, idx, cJSON_IsTrue(ok), sim_json_int(m, "promised", -1),
            sim_json_int(m, "accepted", -1), sim_json_int(m, "tag", 0), value);
    free(value);
}

static void start(sim_node *node, void *state)
{
    quorum_kv_state *st = state;
    st->npeers = sim_cluster_peers(node, st->peers, 63);
    char why[160];
    snprintf(why, sizeof(why), "node id %llu does not fit the 16 bits of a ballot (at most 65535)",
             (unsigned long long)sim_self(node));
    bool fits = sim_invariant(node, sim_self(node) <= 0xffff, "quorum-kv-config", why) &&
                sim_invariant(node, st->npeers < 63, "quorum-kv-config", "more than 63 nodes in one cluster");
    if (!fits) {                                /* refused: the run stops here */
        st->npeers = 0;
        return;
    }
    sim_disk *d = sim_self_disk(node);
    size_t len = 0;
    const char *b = sim_disk_read(d, "boot", &len);
    uint32_t boot = b && len == sizeof(uint32_t) ? (memcpy(&boot, b, len), boot + 1) : 1;
    sim_disk_write(d, "boot", &boot, sizeof(boot));
    sim_disk_sync(d);
    st->next_rid = (uint64_t)boot << 24 | 1;    /* rid << 16 stays below 2^53 for 8191 boots */
    quorum_kv_load(st, d);
    for (size_t i = 0; i < st->nregs; i++)     /* never reuse a ballot after a restart */
        if ((st->regs[i].promised >> 16) > st->round) st->round = st->regs[i].promised >> 16;
    sim_annotate(node, "role", "quorum");
    sim_invariant(node, quorum_kv_state_valid(st), "quorum-kv-local", "quorum_kv_state_valid");
}

static void receive(sim_node *node, void *state, const sim_msg *msg)
{
    quorum_kv_state *st = state;
    if (msg->corrupted) return;                           /* failed its checksum */
    cJSON *m = sim_json_parse(msg);
    if (!m) return;
    static const char *const ops[] = { "read", "write", "cas" };
    bool done = false;
    for (int op = 0; op < 3 && !done; op++)
        if (strcmp(msg->type, ops[op]) == 0) on_client(node, st, msg, m, op), done = true;
    if (!done) on_peer(node, st, msg, m);
    cJSON_Delete(m);
    sim_invariant(node, quorum_kv_state_valid(st), "quorum-kv-local", "quorum_kv_state_valid");
}

static void timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    quorum_kv_state *st = state;
    quorum_kv_req *r = req_find(st, arg >> 8);
    if (strcmp(name, "attempt") != 0 || !r || (r->attempt & 0xff) != (arg & 0xff)) return;
    r->timer = 0;
    if (r->accept_sent) reply(node, r, "timed out: the accept may have taken effect", 0, NULL), req_free(st, r);
    else if (sim_clock_ns(node) < r->deadline_ns) start_attempt(node, st, r);
    else reply(node, r, "temporarily unavailable: no majority reachable", 11, NULL), req_free(st, r);
    sim_invariant(node, quorum_kv_state_valid(st), "quorum-kv-local", "quorum_kv_state_valid");
}

static void stop(sim_node *node, void *state)
{
    quorum_kv_state *st = state;
    (void)node;
    for (size_t i = 0; i < st->nregs; i++) free(st->regs[i].key), free(st->regs[i].value);
    while (st->nreqs) req_free(st, &st->reqs[0]);
    free(st->regs);
    free(st->reqs);
}

static const sim_program program = { "quorum-kv", sizeof(quorum_kv_state), start, receive, timer, stop };

static int configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { "attempt_timeout", "request_timeout", NULL };
    quorum_kv_config c = { 40 * SIM_NS_PER_MS, 250 * SIM_NS_PER_MS };
    int rc = sim_option_check_known(options, known, err, errlen);
    if (!rc) rc = sim_option_duration(options, "attempt_timeout", &c.attempt_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "request_timeout", &c.deadline_ns, err, errlen);
    if (!rc && (c.attempt_ns <= 0 || c.deadline_ns <= 0)) {
        snprintf(err, errlen, "options 'attempt_timeout' and 'request_timeout' must be > 0");
        rc = SIM_EINVAL;
    }
    if (rc) return rc;
    return sim_config_copy(&c, sizeof(c), config);
}

const sim_system sim_system_quorum_kv = {
    .name = "quorum-kv",
    .summary = "a CP key-value store: CASPaxos on majority quorums; refuses without a majority (lin-kv)",
    .program = &program,
    .configure = configure,
    .release = free,
    .state_json = quorum_kv_state_json,
};
