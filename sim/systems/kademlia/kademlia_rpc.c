/*
 * A Kademlia node's messages, timers and value store: answering ping, find_node,
 * get_peers and announce_peer; the join (bootstrap); the minute tick that rotates
 * the token secret, expires values, refreshes idle buckets and republishes.
 *
 *     node: DOWN --start--> JOINING --lookup(own id) done--> JOINED
 *           JOINING --lookup found nobody (bootstrap down)--> retry after 10 s
 *           any --crash--> DOWN (table, values, lookups forgotten)
 *
 * Invariants: (K1) no bucket holds more than k contacts, none twice, never
 * ourselves, each in the bucket of its common prefix with our id; (K2) a value is
 * stored only with a token we issued to its announcer within two secret
 * rotations; (K3) a stored value is never served after its expiry. K1 is
 * kad_state_valid() in kademlia.c, checked by the scenarios' final check.
 *
 * Garbage: a message too short for its kind, a count that disagrees with its
 * length, a sender id that is not its address's, a forged contact, a bad token:
 * dropped, counted, and the sender banned and removed from the table.
 */
#include "sim/systems/kademlia/kademlia.h"

#include <stdlib.h>
#include <string.h>

#define TICK_NS (60 * SIM_NS_PER_S)
#define SECRET_TICKS 5                  /* the token secret rotates every 5 minutes */
#define STORE_MAX 4096

static const char *const kind_names[] = { "", "ping", "pong", "find_node", "nodes", "get_peers",
                                          "peers", "announce_peer", "announced" };

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_id(uint8_t *p, kad_id id)
{
    for (int i = 0; i < 5; i++) put32(p + 4 * i, id.w[i]);
}

static kad_id get_id(const uint8_t *p)
{
    kad_id id;
    for (int i = 0; i < 5; i++) id.w[i] = get32(p + 4 * i);
    return id;
}

static void header(uint8_t *b, int kind, int count, uint32_t txid, kad_id sender, kad_id target,
                   uint32_t token)
{
    memset(b, 0, KAD_HDR);
    b[0] = (uint8_t)kind;
    b[1] = (uint8_t)count;
    put32(b + 4, txid);
    put_id(b + 8, sender);
    put_id(b + 28, target);
    put32(b + 48, token);
}

void kad_send(sim_node *node, kad_state *st, sim_node_id to, int kind, uint32_t txid,
              kad_id target, uint32_t token, uint64_t value)
{
    uint8_t b[KAD_HDR + 8];
    int n = kind == KAD_M_ANNOUNCE;
    header(b, kind, n, txid, st->id, target, token);
    if (n) {
        put32(b + KAD_HDR, (uint32_t)value);
        put32(b + KAD_HDR + 4, (uint32_t)(value >> 32));
    }
    sim_send(node, to, kind_names[kind], b, KAD_HDR + 8 * (size_t)n);
    if (st->cfg->stats) st->cfg->stats->rpcs_sent++;
}

static uint32_t token_for(uint64_t secret, sim_node_id addr)
{
    return (uint32_t)mix64(secret ^ ((uint64_t)addr << 20));
}

bool kad_banned(const kad_state *st, sim_node_id addr)
{
    for (uint32_t i = 0; i < st->nbanned && i < KAD_BANNED; i++)
        if (st->banned[i] == addr) return true;
    return false;
}

bool kad_garbage(sim_node *node, kad_state *st, sim_node_id from)
{
    if (st->cfg->stats) st->cfg->stats->garbage_dropped++;
    if (from == SIM_NODE_NONE || kad_banned(st, from)) return true;
    st->banned[st->nbanned++ % KAD_BANNED] = from;
    kad_table_remove(st, from);
    sim_log(node, "dropped garbage from node %u; banned", (unsigned)from);
    return true;
}

bool kad_is_publisher(const kad_config *cfg, sim_node_id addr)
{
    return mix64(cfg->salt ^ 0xabcdefu ^ addr) % 100 < cfg->publish_percent;
}

kad_id kad_key_of(const kad_config *cfg, sim_node_id addr)
{
    uint8_t b[12];
    put32(b, addr);
    put32(b + 4, (uint32_t)cfg->salt);
    put32(b + 8, (uint32_t)(cfg->salt >> 32));
    return kad_id_hash(b, sizeof b);
}

/* ---- the value store ---- */

uint32_t kad_store_get(kad_state *st, kad_id key, int64_t now_ns, uint64_t *out, uint32_t max)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < st->nstore && n < max; i++)
        if (st->store[i].expires_ns > now_ns && kad_cmp(st->store[i].key, key) == 0) out[n++] = st->store[i].value;
    return n;
}

static void store_put(kad_state *st, kad_id key, uint64_t value, int64_t expires_ns)
{
    uint32_t soonest = 0;
    for (uint32_t i = 0; i < st->nstore; i++) {
        if (kad_cmp(st->store[i].key, key) == 0 && st->store[i].value == value) {
            st->store[i].expires_ns = expires_ns;
            return;
        }
        if (st->store[i].expires_ns < st->store[soonest].expires_ns) soonest = i;
    }
    if (st->nstore == STORE_MAX) {                  /* full: the soonest to expire goes */
        st->store[soonest] = (kad_entry){ key, value, expires_ns };
        return;
    }
    if (st->nstore == st->store_cap) {
        st->store_cap = st->store_cap ? st->store_cap * 2 : 4;
        st->store = realloc(st->store, st->store_cap * sizeof(kad_entry));
        SIM_ASSERT(st->store != NULL);
    }
    st->store[st->nstore++] = (kad_entry){ key, value, expires_ns };
}

static void store_expire(kad_state *st, int64_t now_ns)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < st->nstore; i++)
        if (st->store[i].expires_ns > now_ns) st->store[kept++] = st->store[i];
    st->nstore = kept;
}

/* ---- answering ---- */

static void reply(sim_node *node, kad_state *st, const sim_msg *msg, const uint8_t *in)
{
    uint32_t txid = get32(in + 4);
    kad_id target = get_id(in + 28);
    int kind = in[0];
    uint8_t b[KAD_HDR + KAD_CONTACT * 255];
    int64_t now = sim_now_ns(sim_of(node));
    uint32_t token = kind == KAD_M_GET_PEERS ? token_for(st->secret, msg->from) : 0;
    if (kind == KAD_M_GET_PEERS) {
        uint64_t v[KAD_MAX_VALUES];
        uint32_t n = kad_store_get(st, target, now, v, KAD_MAX_VALUES);
        if (n > 0) {
            header(b, KAD_M_PEERS, (int)n, txid, st->id, target, token);
            for (uint32_t i = 0; i < n; i++) {
                put32(b + KAD_HDR + 8 * i, (uint32_t)v[i]);
                put32(b + KAD_HDR + 8 * i + 4, (uint32_t)(v[i] >> 32));
            }
            sim_send(node, msg->from, "peers", b, KAD_HDR + 8 * (size_t)n);
            return;
        }
    }
    uint32_t near[255];
    uint32_t n = kad_table_closest(st, target, near, st->cfg->k);
    header(b, KAD_M_NODES, (int)n, txid, st->id, target, token);
    for (uint32_t i = 0; i < n; i++) {
        put_id(b + KAD_HDR + KAD_CONTACT * i, kad_id_of(near[i], st->cfg->salt));
        put32(b + KAD_HDR + KAD_CONTACT * i + 20, near[i]);
    }
    sim_send(node, msg->from, "nodes", b, KAD_HDR + KAD_CONTACT * (size_t)n);
}

static void on_announce(sim_node *node, kad_state *st, const sim_msg *msg, const uint8_t *in)
{
    uint32_t token = get32(in + 48);
    if (token != token_for(st->secret, msg->from) && token != token_for(st->old_secret, msg->from)) {
        kad_garbage(node, st, msg->from);           /* never asked, or a forged token */
        return;
    }
    uint64_t value = (uint64_t)get32(in + KAD_HDR) | (uint64_t)get32(in + KAD_HDR + 4) << 32;
    store_put(st, get_id(in + 28), value, sim_now_ns(sim_of(node)) + st->cfg->ttl_ns);
    if (st->cfg->stats) st->cfg->stats->stores++;
    uint8_t b[KAD_HDR];
    header(b, KAD_M_ANNOUNCED, 0, get32(in + 4), st->id, get_id(in + 28), 0);
    sim_send(node, msg->from, "announced", b, KAD_HDR);
}

static int kind_of(const char *type)
{
    for (int k = KAD_M_PING; k <= KAD_M_ANNOUNCED; k++)
        if (strcmp(type, kind_names[k]) == 0) return k;
    return 0;
}

/* Is the body well formed for its kind? */
static bool well_formed(const sim_msg *msg, int kind)
{
    if (msg->body_len < KAD_HDR || msg->body[0] != kind) return false;
    size_t count = msg->body[1], each = kind == KAD_M_NODES ? KAD_CONTACT
                                      : (kind == KAD_M_PEERS || kind == KAD_M_ANNOUNCE) ? 8 : 0;
    if (kind == KAD_M_ANNOUNCE && count != 1) return false;
    return msg->body_len == KAD_HDR + count * each;
}

bool kad_receive(sim_node *node, kad_state *st, const sim_msg *msg)
{
    int kind = kind_of(msg->type);
    if (!kind) return false;
    if (msg->corrupted || msg->from == SIM_NODE_NONE || kad_banned(st, msg->from)) return true;
    if (!well_formed(msg, kind) ||
        kad_cmp(get_id(msg->body + 8), kad_id_of(msg->from, st->cfg->salt)) != 0)
        return kad_garbage(node, st, msg->from);
    kad_table_seen(node, st, msg->from);
    switch (kind) {
    case KAD_M_PING: {
        uint8_t b[KAD_HDR];
        header(b, KAD_M_PONG, 0, get32(msg->body + 4), st->id, st->id, 0);
        sim_send(node, msg->from, "pong", b, KAD_HDR);
        break;
    }
    case KAD_M_FIND_NODE:
    case KAD_M_GET_PEERS: reply(node, st, msg, msg->body); break;
    case KAD_M_ANNOUNCE: on_announce(node, st, msg, msg->body); break;
    case KAD_M_NODES:
    case KAD_M_PEERS: kad_lookup_reply(node, st, msg, get32(msg->body + 4), msg->body, msg->body_len); break;
    default: break;                                 /* pong, announced: seen is enough */
    }
    return true;
}

/* ---- joining, publishing, the tick ---- */

static void refresh_bucket(sim_node *node, kad_state *st, int b)
{
    kad_lookup *l = kad_lookup_start(node, st, KAD_FIND_NODE, kad_random_in_bucket(st->id, b, sim_self_rng(node)),
                                     NULL, 0);
    kad_lookup_go(node, st, l);
}

static void join_done(sim_node *node, kad_state *st, const kad_lookup *l)
{
    if (kad_table_size(st) == 0) {                  /* nobody answered: try again */
        uint64_t t = sim_timer_set(node, 10 * SIM_NS_PER_S, "kad_join", 0);
        SIM_ASSERT(t != 0);
        return;
    }
    st->joined = true;
    if (st->cfg->stats) st->cfg->stats->joins++;
    sim_annotate(node, "dht", "joined");
    int closest = -1;
    for (uint32_t b = 0; b < st->nb; b++)
        if (st->buckets[b].count) closest = (int)b;
    for (int b = closest - 1; st->cfg->join_refresh && b >= 0; b--) refresh_bucket(node, st, b);
    if (kad_is_publisher(st->cfg, st->self)) kad_publish(node, st, kad_key_of(st->cfg, st->self), st->self);
}

static sim_node_id bootstrap_of(sim_node *node, const kad_state *st)
{
    if (st->cfg->bootstrap != SIM_NODE_NONE) return st->cfg->bootstrap;
    sim *s = sim_of(node);
    sim_node_id id = st->self;                      /* the first node of our cluster */
    while (id > 0 && sim_node_cluster(s, id - 1) == sim_self_cluster(node) &&
           sim_node_program(s, id - 1) == sim_node_program(s, st->self))
        id--;
    return id;
}

static void join(sim_node *node, kad_state *st)
{
    sim_node_id b = bootstrap_of(node, st);
    if (b == st->self) {                            /* the first node: the DHT is us */
        st->joined = true;
        sim_annotate(node, "dht", "joined");
        if (kad_is_publisher(st->cfg, st->self)) kad_publish(node, st, kad_key_of(st->cfg, st->self), st->self);
        return;
    }
    kad_table_seen(node, st, b);
    kad_lookup *l = kad_lookup_start(node, st, KAD_FIND_NODE, st->id, join_done, 0);
    kad_lookup_go(node, st, l);
}

void kad_publish(sim_node *node, kad_state *st, kad_id key, uint64_t value)
{
    bool known = false;
    for (uint32_t i = 0; i < st->npubs && !known; i++)
        known = kad_cmp(st->pubs[i].key, key) == 0 && st->pubs[i].value == value;
    if (!known) {
        st->pubs = realloc(st->pubs, (st->npubs + 1) * sizeof(kad_pub));
        SIM_ASSERT(st->pubs != NULL);
        st->pubs[st->npubs++] = (kad_pub){ key, value };
    }
    kad_lookup *l = kad_lookup_start(node, st, KAD_ANNOUNCE, key, NULL, 0);
    l->announce_value = value;
    kad_lookup_go(node, st, l);
}

static void tick(sim_node *node, kad_state *st)
{
    int64_t now = sim_now_ns(sim_of(node));
    if (++st->ticks % SECRET_TICKS == 0) {
        st->old_secret = st->secret;
        st->secret = sim_rng_next(sim_self_rng(node));
    }
    store_expire(st, now);
    for (uint32_t b = 0; st->joined && b < st->nb; b++)
        if (st->buckets[b].count && now - (int64_t)st->buckets[b].touched_s * SIM_NS_PER_S >= st->cfg->refresh_ns)
            refresh_bucket(node, st, (int)b);
    if (st->joined && st->npubs && now >= st->republish_due_ns) {
        st->republish_due_ns = now + st->cfg->republish_ns;
        for (uint32_t i = 0; i < st->npubs; i++) {
            kad_lookup *l = kad_lookup_start(node, st, KAD_ANNOUNCE, st->pubs[i].key, NULL, 0);
            l->announce_value = st->pubs[i].value;
            kad_lookup_go(node, st, l);
        }
    }
    uint64_t t = sim_timer_set(node, TICK_NS, "kad_tick", 0);
    SIM_ASSERT(t != 0);
}

bool kad_timer(sim_node *node, kad_state *st, const char *name, uint64_t arg)
{
    if (strncmp(name, "kad_", 4) != 0) return false;
    if (strcmp(name, "kad_rpc") == 0) kad_lookup_timeout(node, st, arg);
    else if (strcmp(name, "kad_evict") == 0) kad_table_ping_result(node, st, (sim_node_id)arg, false);
    else if (strcmp(name, "kad_tick") == 0) tick(node, st);
    else if (strcmp(name, "kad_join") == 0) join(node, st);
    return true;
}

void kad_start(sim_node *node, kad_state *st, const kad_config *cfg)
{
    st->cfg = cfg;
    st->self = sim_self(node);
    st->id = kad_id_of(st->self, cfg->salt);
    st->secret = sim_rng_next(sim_self_rng(node));
    st->old_secret = st->secret;
    int64_t now = sim_now_ns(sim_of(node));
    for (uint32_t b = 0; b < st->nb; b++) st->buckets[b].touched_s = (uint32_t)(now / SIM_NS_PER_S);
    st->republish_due_ns = now + cfg->republish_ns;
    int64_t delay = cfg->join_spread_ns > 0 ? sim_rng_range(sim_self_rng(node), 0, cfg->join_spread_ns) : 0;
    uint64_t t1 = sim_timer_set(node, delay, "kad_join", 0);
    uint64_t t2 = sim_timer_set(node, delay + TICK_NS, "kad_tick", 0);
    SIM_ASSERT(t1 != 0 && t2 != 0);
}

void kad_stop(kad_state *st)
{
    kad_lookups_free(st);
    kad_table_free(st);
    free(st->store);
    free(st->pubs);
    st->store = NULL;
    st->pubs = NULL;
}
