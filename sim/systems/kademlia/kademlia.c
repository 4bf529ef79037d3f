/*
 * kademlia: the DHT as a system of its own, with a workload. Every node joins
 * through the bootstrap node (default: the cluster's first), some nodes publish a
 * value under a key of their own (publish = percent of addresses), and every node
 * looks up a random publisher's key every lookup_every (exponential). The
 * cluster-wide figures (lookups, found, hops, RPCs, timeouts, garbage) are in
 * every up node's `.state.dht`; `.state` also shows the node's id, table size,
 * stale contacts (down nodes still in the table) and stored values.
 *
 * The protocol is in kademlia_rpc.c (messages, join, tick), kademlia_lookup.c
 * (iterative lookups) and kademlia_table.c (k-buckets); kademlia.h has the wire
 * format and the embedding interface that bittorrent and ipfs use.
 */
#include "sim/systems/kademlia/kademlia_system.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/systems/system.h"

typedef struct node_state {
    kad_state kad;
} node_state;

static void schedule_work(sim_node *node, const kad_config *cfg)
{
    if (cfg->lookup_every_ns <= 0) return;
    sim_dist d = sim_dist_exponential(cfg->lookup_every_ns);
    uint64_t t = sim_timer_set(node, sim_dist_draw(&d, sim_self_rng(node)), "work", 0);
    SIM_ASSERT(t != 0);
}

static void on_start(sim_node *node, void *state)
{
    node_state *st = state;
    const kademlia_config *c = sim_self_config(node);
    kad_start(node, &st->kad, &c->kad);
    if (c->kad.bootstrap == SIM_NODE_NONE && c->bootstrap[0]) {
        sim_node_id b;
        if (sim_node_find(sim_of(node), c->bootstrap, &b) == 0) ((kademlia_config *)c)->kad.bootstrap = b;
    }
    schedule_work(node, &c->kad);
}

/* A lookup of a random publisher's key (up to 32 draws to find a publisher). */
static void work(sim_node *node, node_state *st)
{
    const kad_config *cfg = st->kad.cfg;
    schedule_work(node, cfg);
    if (!st->kad.joined || cfg->publish_percent == 0) return;
    sim *s = sim_of(node);
    size_t n = sim_node_count(s);
    for (int tries = 0; tries < 32; tries++) {
        sim_node_id a = (sim_node_id)sim_rng_below(sim_self_rng(node), n);
        if (sim_node_program(s, a) != sim_node_program(s, st->kad.self) ||
            sim_node_cluster(s, a) != sim_self_cluster(node) || !kad_is_publisher(cfg, a))
            continue;
        kad_lookup *l = kad_lookup_start(node, &st->kad, KAD_GET_PEERS, kad_key_of(cfg, a), NULL, a);
        l->workload = true;
        kad_lookup_go(node, &st->kad, l);
        return;
    }
}

static void on_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    node_state *st = state;
    if (kad_timer(node, &st->kad, name, arg)) return;
    if (strcmp(name, "work") == 0) work(node, st);
}

static void on_receive(sim_node *node, void *state, const sim_msg *msg)
{
    node_state *st = state;
    if (!kad_receive(node, &st->kad, msg) && st->kad.cfg->stats) st->kad.cfg->stats->garbage_dropped++;
}

static void on_stop(sim_node *node, void *state)
{
    node_state *st = state;
    kad_stop(&st->kad);
}

static const sim_program kademlia_program = {
    .name = "kademlia",
    .state_bytes = sizeof(node_state),
    .start = on_start,
    .receive = on_receive,
    .timer = on_timer,
    .stop = on_stop,
};

const sim_program *kademlia_program_get(void)
{
    return &kademlia_program;
}

static int opt_duration(const cJSON *o, const char *key, int64_t min_ns, int64_t *out, char *err, size_t n)
{
    int rc = sim_option_duration(o, key, out, err, n);
    if (!rc && *out < min_ns) {
        snprintf(err, n, "option '%s' must be at least %lld ms", key, (long long)(min_ns / SIM_NS_PER_MS));
        rc = SIM_EINVAL;
    }
    return rc;
}

int kademlia_parse(const cJSON *o, kademlia_config *c, char *err, size_t n)
{
    static const char *const known[] = { "k", "alpha", "rpc_timeout", "refresh", "ttl", "republish",
                                         "lookup_every", "join_spread", "publish", "join_refresh",
                                         "bootstrap", "salt", NULL };
    memset(c, 0, sizeof(*c));
    c->kad = (kad_config){ .k = 20, .alpha = 3, .rpc_timeout_ns = SIM_NS_PER_S,
                           .refresh_ns = 3600 * SIM_NS_PER_S, .ttl_ns = 3600 * SIM_NS_PER_S,
                           .republish_ns = 1800 * SIM_NS_PER_S, .join_refresh = true,
                           .bootstrap = SIM_NODE_NONE, .salt = 0x6b61646dULL };
    int64_t k = 20, alpha = 3, pub = 0, jr = 1, salt = 0x6b61646d;
    int rc = sim_option_check_known(o, known, err, n);
    if (!rc) rc = sim_option_int(o, "k", 1, 64, &k, err, n);
    if (!rc) rc = sim_option_int(o, "alpha", 1, 16, &alpha, err, n);
    if (!rc) rc = sim_option_int(o, "publish", 0, 100, &pub, err, n);
    if (!rc) rc = sim_option_int(o, "join_refresh", 0, 1, &jr, err, n);
    if (!rc) rc = sim_option_int(o, "salt", 0, INT64_MAX, &salt, err, n);
    if (!rc) rc = opt_duration(o, "rpc_timeout", SIM_NS_PER_MS, &c->kad.rpc_timeout_ns, err, n);
    if (!rc) rc = opt_duration(o, "refresh", SIM_NS_PER_S, &c->kad.refresh_ns, err, n);
    if (!rc) rc = opt_duration(o, "ttl", SIM_NS_PER_S, &c->kad.ttl_ns, err, n);
    if (!rc) rc = opt_duration(o, "republish", SIM_NS_PER_S, &c->kad.republish_ns, err, n);
    if (!rc) rc = opt_duration(o, "lookup_every", 0, &c->kad.lookup_every_ns, err, n);
    if (!rc) rc = opt_duration(o, "join_spread", 0, &c->kad.join_spread_ns, err, n);
    const cJSON *b = o ? cJSON_GetObjectItemCaseSensitive(o, "bootstrap") : NULL;
    if (!rc && b && (!cJSON_IsString(b) || strlen(b->valuestring) >= sizeof(c->bootstrap))) {
        snprintf(err, n, "option 'bootstrap' must be a node name");
        rc = SIM_EINVAL;
    }
    if (rc) return rc;
    if (b) snprintf(c->bootstrap, sizeof(c->bootstrap), "%s", b->valuestring);
    c->kad.k = (uint32_t)k;
    c->kad.alpha = (uint32_t)alpha;
    c->kad.publish_percent = (uint32_t)pub;
    c->kad.join_refresh = jr != 0;
    c->kad.salt = (uint64_t)salt;
    return 0;
}

static int kademlia_configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    kademlia_config c;
    int rc = kademlia_parse(options, &c, err, errlen);
    if (!rc) rc = sim_config_copy(&c, sizeof(c), config);
    if (!rc) ((kademlia_config *)*config)->kad.stats = &((kademlia_config *)*config)->stats;
    return rc;
}

bool kad_state_valid(const kad_state *st)
{
    for (uint32_t b = 0; b < st->nb; b++) {
        const uint32_t *s = st->slots + (size_t)b * st->cfg->k;
        if (st->buckets[b].count > st->cfg->k) return false;
        for (int i = 0; i < st->buckets[b].count; i++) {
            if (s[i] == st->self) return false;
            if (kad_common_prefix(st->id, kad_id_of(s[i], st->cfg->salt)) != (int)b) return false;
            for (int j = 0; j < i; j++)
                if (s[j] == s[i]) return false;
        }
    }
    return true;
}

cJSON *kad_stats_json(const kad_stats *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "lookups", (double)s->lookups_done);
    cJSON_AddNumberToObject(o, "found", (double)s->found);
    cJSON_AddNumberToObject(o, "hops_mean", s->lookups_done ? (double)s->hops_sum / (double)s->lookups_done : 0);
    cJSON_AddNumberToObject(o, "hops_max", (double)s->hops_max);
    cJSON_AddNumberToObject(o, "latency_ms_mean", s->lookups_done ? (double)s->latency_ns_sum / 1e6 / (double)s->lookups_done : 0);
    cJSON_AddNumberToObject(o, "rpcs", (double)s->rpcs_sent);
    cJSON_AddNumberToObject(o, "rpc_timeouts", (double)s->rpc_timeouts);
    cJSON_AddNumberToObject(o, "garbage_dropped", (double)s->garbage_dropped);
    cJSON_AddNumberToObject(o, "evictions", (double)s->evictions);
    cJSON_AddNumberToObject(o, "stores", (double)s->stores);
    cJSON_AddNumberToObject(o, "joins", (double)s->joins);
    return o;
}

cJSON *kad_node_json(const sim *s, const kad_state *st)
{
    cJSON *o = cJSON_CreateObject();
    char hex[41];
    kad_id_hex(st->id, hex);
    uint32_t stale = 0;
    for (uint32_t b = 0; b < st->nb; b++)
        for (int i = 0; i < st->buckets[b].count; i++)
            stale += sim_node_get_status(s, st->slots[(size_t)b * st->cfg->k + i]) != SIM_NODE_UP;
    cJSON_AddStringToObject(o, "id", hex);
    cJSON_AddBoolToObject(o, "joined", st->joined);
    cJSON_AddNumberToObject(o, "contacts", kad_table_size(st));
    cJSON_AddNumberToObject(o, "buckets", st->nb);
    cJSON_AddNumberToObject(o, "stale", stale);
    cJSON_AddNumberToObject(o, "stored", st->nstore);
    cJSON_AddNumberToObject(o, "banned", st->nbanned < KAD_BANNED ? st->nbanned : KAD_BANNED);
    cJSON_AddBoolToObject(o, "valid", kad_state_valid(st));
    return o;
}

static cJSON *kademlia_state_json(const sim *s, sim_node_id id)
{
    const node_state *st = sim_node_state(s, id);
    if (!st || !st->kad.cfg) return NULL;
    cJSON *o = kad_node_json(s, &st->kad);
    if (st->kad.cfg->stats) cJSON_AddItemToObject(o, "dht", kad_stats_json(st->kad.cfg->stats));
    return o;
}

const sim_system sim_system_kademlia = {
    .name = "kademlia",
    .summary = "a Kademlia DHT: k-buckets, iterative lookups, get_peers/announce_peer with tokens (BEP 5)",
    .program = &kademlia_program,
    .configure = kademlia_configure,
    .release = free,
    .state_json = kademlia_state_json,
};
