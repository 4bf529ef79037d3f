/*
 * broadcast: Maelstrom's broadcast workload, made fault-tolerant. Every integer
 * broadcast at any node must reach every node of the cluster despite loss,
 * duplication, corruption, reordering, partitions that heal, and crashes.
 *
 * Messages (canonical JSON, sim/msg.h):
 *   client -> node  {"type":"broadcast","message":V,"msg_id":K} -> {"type":"broadcast_ok","in_reply_to":K}
 *                   {"type":"read","msg_id":K} -> {"type":"read_ok","messages":[sorted],"in_reply_to":K}
 *   node -> peer    {"type":"gossip","messages":[V...],"boot":B}
 *                -> {"type":"gossip_ok","messages":[the same V...],"boot":B',"to_boot":B}
 * B is the sender's boot generation, B' the replier's; to_boot echoes B.
 *
 * Protocol. A value from a client is pushed at once to every peer (one gossip
 * each). Every node, on a timer (gossip_interval + a jitter in [0, interval/2)
 * from its own stream), sends each peer one gossip with every value that peer
 * has not acknowledged (at most BATCH_MAX). A peer holds a value once it acks it
 * or sends it to us. broadcast_ok waits until some peer holds the value, so an
 * acknowledged value survives the crash of any one node (answering at once lost
 * values in seed sweeps: pushes dropped, then the only holder crashed); a crash
 * loses the held replies, the client times out, the op is unknown: true.
 *
 * Restarts. State is volatile, so a crash makes the peers' acks for the node
 * lies. Each incarnation takes a boot generation, its local clock at start (as
 * Cassandra's gossip does), carried by every gossip and gossip_ok. When a peer's
 * boot rises we forget its acks and resend it everything; a message with an
 * older boot is a leftover of a dead incarnation whose acks are ignored (its
 * values are still learned: they are real). A node that knows nothing would send
 * nothing, so each node introduces itself: it gossips (maybe empty) to a peer
 * until a gossip_ok with to_boot == its boot shows the peer has seen that boot.
 * Assumption: a node's local clock reads later at each start (no restart in the
 * same nanosecond, clocks never set back across a restart).
 *
 * State machine, for one value v at node n and one peer p:
 *
 *     v: UNKNOWN --broadcast(v) | gossip(v)--> KNOWN --push, then every tick--> sent to p
 *     p: UNACKED --gossip_ok(v) | gossip(v) from p at its newest boot--> ACKED
 *     p: ACKED --any message from p with a newer boot (p restarted)--> UNACKED
 *     client request: HELD --some peer ACKED--> broadcast_ok sent
 *     peer: NEW --gossip_ok(to_boot == our boot)--> INTRODUCED (no empty gossip)
 *     node: DOWN --start: boot = local clock--> UP --crash--> DOWN (all forgotten)
 *
 * Safety: (S1) a node holds only values some client broadcast (they enter by a
 * broadcast or a gossip from a holder); (S2) values[] has no duplicate, sorted[]
 * is the same set ascending with consistent indices, every held reply is for a
 * held value; (S3) acked[i] implies the peer, at boot_seen, received values[i];
 * (S4) broadcast_ok(v) implies two nodes held v. S2 is broadcast_state_valid(),
 * asserted after each handler (O(values), like the insert it follows).
 * Liveness: if every pair of up nodes eventually exchanges messages (loss < 1,
 * partitions heal) and they stay up long enough, every value held by an up node
 * reaches every node: it stays unacked, hence resent each tick, until received.
 */
#include "sim/systems/broadcast/broadcast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/system.h"
#include "sim/systems/invariant.h"

#define BATCH_MAX 256                     /* values per gossip message */
#define JSON_INT_MAX 9007199254740991.0   /* 2^53 - 1: exact in a JSON number */

/* ---- the value set -------------------------------------------------------------- */

static bool json_value_int(const cJSON *v, int64_t *out)
{
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    if (!(d >= -JSON_INT_MAX && d <= JSON_INT_MAX) || d != (double)(int64_t)d) return false;
    *out = (int64_t)d;
    return true;
}

/* Binary search: true when found; *pos is its place or where it would go. */
static bool find(const broadcast_state *st, int64_t value, size_t *pos)
{
    size_t lo = 0, hi = st->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->sorted[mid].value < value) lo = mid + 1;
        else hi = mid;
    }
    *pos = lo;
    return lo < st->count && st->sorted[lo].value == value;
}

bool broadcast_has(const broadcast_state *st, int64_t value)
{
    size_t pos;
    return find(st, value, &pos);
}

static void grow(broadcast_state *st)
{
    size_t cap = st->cap ? st->cap * 2 : 64;
    st->values = realloc(st->values, cap * sizeof(int64_t));
    st->sorted = realloc(st->sorted, cap * sizeof(broadcast_entry));
    SIM_ASSERT(st->values != NULL && st->sorted != NULL && cap <= UINT32_MAX);
    for (size_t i = 0; i < st->npeers; i++) {
        broadcast_peer *p = &st->peers[i];
        p->acked = realloc(p->acked, cap);
        SIM_ASSERT(p->acked != NULL);
        memset(p->acked + st->cap, 0, cap - st->cap);
    }
    st->cap = cap;
}

/* Adds value if new (annotating it for the viewer and the checker). */
static bool learn(sim_node *node, broadcast_state *st, int64_t value)
{
    size_t pos;
    if (find(st, value, &pos)) return false;
    if (st->count == st->cap) grow(st);
    memmove(&st->sorted[pos + 1], &st->sorted[pos], (st->count - pos) * sizeof(broadcast_entry));
    st->sorted[pos] = (broadcast_entry){ value, (uint32_t)st->count };
    st->values[st->count++] = value;
    char text[32];
    snprintf(text, sizeof(text), "%lld", (long long)value);
    sim_annotate(node, "learned", text);
    snprintf(text, sizeof(text), "%zu", st->count);
    sim_annotate(node, "values", text);
    return true;
}

bool broadcast_state_valid(const broadcast_state *st)
{
    if (st->count > st->cap || (st->cap && (!st->values || !st->sorted))) return false;
    for (size_t i = 0; i < st->count; i++) {
        const broadcast_entry *e = &st->sorted[i];
        if (i > 0 && st->sorted[i - 1].value >= e->value) return false;
        if (e->index >= st->count || st->values[e->index] != e->value) return false;
    }
    for (size_t i = 0; i < st->npeers; i++) {
        const broadcast_peer *p = &st->peers[i];
        if (i > 0 && st->peers[i - 1].id >= p->id) return false;
        if (p->low > st->count || (p->low > 0 && !p->acked[p->low - 1])) return false;
    }
    for (size_t i = 0; i < st->nwaiting; i++)
        if (!broadcast_has(st, st->waiting[i].value)) return false;
    return true;
}

/* ---- peers ----------------------------------------------------------------------- */

static broadcast_peer *peer_find(broadcast_state *st, sim_node_id id)
{
    size_t lo = 0, hi = st->npeers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->peers[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < st->npeers && st->peers[lo].id == id ? &st->peers[lo] : NULL;
}

/* Lists the peers again when nodes were added since; keeps what we knew. Nodes
 * are never removed and ids only grow, so a merge in id order suffices. */
static void refresh_peers(sim_node *node, broadcast_state *st)
{
    size_t nodes = sim_node_count(sim_of(node));
    if (nodes == st->nodes_seen) return;
    st->nodes_seen = nodes;
    size_t n = sim_cluster_peers(node, NULL, 0);
    sim_node_id *ids = malloc((n ? n : 1) * sizeof(sim_node_id));
    broadcast_peer *peers = calloc(n ? n : 1, sizeof(broadcast_peer));
    SIM_ASSERT(ids != NULL && peers != NULL);
    sim_cluster_peers(node, ids, n);
    for (size_t i = 0, j = 0; i < n; i++) {
        if (j < st->npeers && st->peers[j].id == ids[i]) {
            peers[i] = st->peers[j++];
            continue;
        }
        peers[i].id = ids[i];
        peers[i].acked = calloc(st->cap ? st->cap : 1, 1);
        SIM_ASSERT(peers[i].acked != NULL);
    }
    free(st->peers);
    free(ids);
    st->peers = peers;
    st->npeers = n;
}

static void mark_acked(broadcast_state *st, broadcast_peer *p, int64_t value)
{
    size_t pos;
    if (!find(st, value, &pos)) return;
    p->acked[st->sorted[pos].index] = 1;
    while (p->low < st->count && p->acked[p->low]) p->low++;
}

/* Notes the boot generation a message from p carries; true when it is p's
 * newest incarnation (so the acks it implies can be trusted). */
static bool note_boot(broadcast_state *st, broadcast_peer *p, int64_t boot)
{
    if (p->heard && boot < p->boot_seen) return false;
    if (p->heard && boot > p->boot_seen) {   /* p restarted: it may hold nothing */
        memset(p->acked, 0, st->cap);
        p->low = 0;
    }
    p->heard = true;
    p->boot_seen = boot;
    return true;
}

/* ---- messages -------------------------------------------------------------------- */

static cJSON *int_array(const int64_t *values, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    SIM_ASSERT(a != NULL);
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)values[i]));
    return a;
}

static void send_gossip(sim_node *node, const broadcast_state *st, sim_node_id to,
                        const int64_t *values, size_t n)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "gossip");
    cJSON_AddItemToObject(m, "messages", int_array(values, n));
    cJSON_AddNumberToObject(m, "boot", (double)st->boot);
    sim_json_send(node, to, m);
    cJSON_Delete(m);
}

/* Sends out (and frees it) to a client, with in_reply_to unless msg_id is -1. */
static void reply(sim_node *node, sim_node_id to, int64_t msg_id, cJSON *out)
{
    if (msg_id >= 0) cJSON_AddNumberToObject(out, "in_reply_to", (double)msg_id);
    if (to != SIM_NODE_NONE) sim_json_send(node, to, out);
    cJSON_Delete(out);
}

static void broadcast_ok(sim_node *node, sim_node_id to, int64_t msg_id)
{
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "type", "broadcast_ok");
    reply(node, to, msg_id, out);
}

/* True when a peer holds value too (or there is no peer to hold it). */
static bool replicated(const broadcast_state *st, int64_t value)
{
    size_t pos;
    if (!find(st, value, &pos)) return false;
    for (size_t i = 0; i < st->npeers; i++)
        if (st->peers[i].acked[st->sorted[pos].index]) return true;
    return st->npeers == 0;
}

/* Answers the held broadcasts whose value a peer now holds. */
static void release_waiting(sim_node *node, broadcast_state *st)
{
    size_t kept = 0;
    for (size_t i = 0; i < st->nwaiting; i++) {
        broadcast_waiting w = st->waiting[i];
        if (replicated(st, w.value)) broadcast_ok(node, w.client, w.msg_id);
        else st->waiting[kept++] = w;
    }
    st->nwaiting = kept;
}

static void on_broadcast(sim_node *node, broadcast_state *st, const sim_msg *msg, const cJSON *in)
{
    int64_t v, msg_id = sim_json_int(in, "msg_id", -1);
    if (!json_value_int(cJSON_GetObjectItemCaseSensitive(in, "message"), &v)) return;
    if (learn(node, st, v)) {
        refresh_peers(node, st);
        for (size_t i = 0; i < st->npeers; i++) send_gossip(node, st, st->peers[i].id, &v, 1);
    }
    if (replicated(st, v)) {
        broadcast_ok(node, msg->from, msg_id);
        return;
    }
    if (st->nwaiting == st->waiting_cap) {
        st->waiting_cap = st->waiting_cap ? st->waiting_cap * 2 : 16;
        st->waiting = realloc(st->waiting, st->waiting_cap * sizeof(broadcast_waiting));
        SIM_ASSERT(st->waiting != NULL);
    }
    st->waiting[st->nwaiting++] = (broadcast_waiting){ v, msg->from, msg_id };
}

static void on_read(sim_node *node, broadcast_state *st, const sim_msg *msg, const cJSON *in)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *a = cJSON_CreateArray();
    SIM_ASSERT(out != NULL && a != NULL);
    for (size_t i = 0; i < st->count; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)st->sorted[i].value));
    cJSON_AddStringToObject(out, "type", "read_ok");
    cJSON_AddItemToObject(out, "messages", a);
    reply(node, msg->from, sim_json_int(in, "msg_id", -1), out);
}

/* gossip: learn, count the sender as holding the values, ack exactly them.
 * gossip_ok: count the sender as holding them; maybe it now knows our boot. */
static void on_gossip(sim_node *node, broadcast_state *st, const sim_msg *msg, const cJSON *in,
                      bool is_ok)
{
    int64_t boot;
    if (!json_value_int(cJSON_GetObjectItemCaseSensitive(in, "boot"), &boot)) return;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(in, "messages");
    if (!cJSON_IsArray(list)) return;
    refresh_peers(node, st);                  /* the sender may be a node added since */
    broadcast_peer *p = msg->from == SIM_NODE_NONE ? NULL : peer_find(st, msg->from);
    bool current = p && note_boot(st, p, boot);
    cJSON *acks = cJSON_CreateArray();
    SIM_ASSERT(acks != NULL);
    for (const cJSON *c = list->child; c; c = c->next) {
        int64_t v;
        if (!json_value_int(c, &v)) continue;
        if (!is_ok) learn(node, st, v);
        if (current) mark_acked(st, p, v);
        cJSON_AddItemToArray(acks, cJSON_CreateNumber((double)v));
    }
    if (current) release_waiting(node, st);
    if (is_ok) {
        int64_t to_boot;
        if (p && json_value_int(cJSON_GetObjectItemCaseSensitive(in, "to_boot"), &to_boot) &&
            to_boot == st->boot)
            p->introduced = true;
        cJSON_Delete(acks);
        return;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "type", "gossip_ok");
    cJSON_AddItemToObject(out, "messages", acks);
    cJSON_AddNumberToObject(out, "boot", (double)st->boot);
    cJSON_AddNumberToObject(out, "to_boot", (double)boot);
    if (msg->from != SIM_NODE_NONE) sim_json_send(node, msg->from, out);
    cJSON_Delete(out);
}

/* ---- handlers ---------------------------------------------------------------------- */

static void schedule_tick(sim_node *node, const broadcast_state *st)
{
    uint64_t half = (uint64_t)(st->gossip_interval_ns / 2);
    int64_t jitter = half ? (int64_t)sim_rng_below(sim_self_rng(node), half) : 0;
    uint64_t timer = sim_timer_set(node, st->gossip_interval_ns + jitter, "gossip", 0);
    SIM_ASSERT(timer != 0);
}

static void broadcast_start(sim_node *node, void *state)
{
    broadcast_state *st = state;
    const broadcast_config *cfg = sim_self_config(node);
    st->boot = sim_clock_ns(node);
    st->gossip_interval_ns = cfg ? cfg->gossip_interval_ns : 100 * SIM_NS_PER_MS;
    refresh_peers(node, st);
    sim_annotate(node, "values", "0");
    schedule_tick(node, st);
    sim_invariant(node, broadcast_state_valid(st), "broadcast-local", "broadcast_state_valid");
}

static void broadcast_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    broadcast_state *st = state;
    if (strcmp(name, "gossip") != 0) return;
    refresh_peers(node, st);
    int64_t batch[BATCH_MAX];
    for (size_t i = 0; i < st->npeers; i++) {
        const broadcast_peer *p = &st->peers[i];
        size_t n = 0;
        for (size_t j = p->low; j < st->count && n < BATCH_MAX; j++)
            if (!p->acked[j]) batch[n++] = st->values[j];
        if (n > 0 || !p->introduced) send_gossip(node, st, p->id, batch, n);
    }
    schedule_tick(node, st);
    sim_invariant(node, broadcast_state_valid(st), "broadcast-local", "broadcast_state_valid");
}

static void broadcast_receive(sim_node *node, void *state, const sim_msg *msg)
{
    broadcast_state *st = state;
    if (msg->corrupted) return;              /* a checksum would reject it */
    cJSON *in = sim_json_parse(msg);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(in, "type");
    const char *t = cJSON_IsString(type) ? type->valuestring : "";
    if (strcmp(t, "broadcast") == 0) on_broadcast(node, st, msg, in);
    else if (strcmp(t, "read") == 0) on_read(node, st, msg, in);
    else if (strcmp(t, "gossip") == 0) on_gossip(node, st, msg, in, false);
    else if (strcmp(t, "gossip_ok") == 0) on_gossip(node, st, msg, in, true);
    cJSON_Delete(in);
    sim_invariant(node, broadcast_state_valid(st), "broadcast-local", "broadcast_state_valid");
}

static void broadcast_stop(sim_node *node, void *state)
{
    broadcast_state *st = state;
    for (size_t i = 0; i < st->npeers; i++) free(st->peers[i].acked);
    free(st->peers);
    free(st->values);
    free(st->sorted);
    free(st->waiting);
}

static int broadcast_configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { "gossip_interval", NULL };
    broadcast_config c = { .gossip_interval_ns = 100 * SIM_NS_PER_MS };
    int rc = sim_option_check_known(options, known, err, errlen);
    if (!rc) rc = sim_option_duration(options, "gossip_interval", &c.gossip_interval_ns, err, errlen);
    if (!rc && (c.gossip_interval_ns <= 0 || c.gossip_interval_ns > 1000 * 3600 * SIM_NS_PER_S)) {
        snprintf(err, errlen, "option 'gossip_interval' must be more than 0 and at most 1000h");
        rc = SIM_EINVAL;
    }
    if (rc) return rc;
    return sim_config_copy(&c, sizeof(c), config);
}

static const sim_program broadcast_program = {
    .name = "broadcast",
    .state_bytes = sizeof(broadcast_state),
    .start = broadcast_start,
    .receive = broadcast_receive,
    .timer = broadcast_timer,
    .stop = broadcast_stop,
};

/* `.state` in scenarios: {values = {v1, v2, ...}} in increasing order. */
static cJSON *broadcast_state_json(const sim *s, sim_node_id id)
{
    const broadcast_state *st = sim_node_state(s, id);
    if (!st) return NULL;
    cJSON *obj = cJSON_CreateObject();
    cJSON *values = cJSON_AddArrayToObject(obj, "values");
    for (size_t i = 0; i < st->count; i++)
        cJSON_AddItemToArray(values, cJSON_CreateNumber((double)st->sorted[i].value));
    return obj;
}

const sim_system sim_system_broadcast = {
    .name = "broadcast",
    .summary = "every value broadcast at any node reaches all nodes, despite faults (Maelstrom)",
    .program = &broadcast_program,
    .configure = broadcast_configure,
    .release = free,
    .state_json = broadcast_state_json,
};
