/*
 * dynamo_kv: a Dynamo/Cassandra-style key-value store, the AP store of the CAP
 * chapter (DeCandia et al., SOSP 2007). Every node answers every request, even
 * cut off from the rest; replicas may disagree for a while and converge once
 * messages flow again: Basically Available, Soft state, Eventually consistent.
 *
 * Placement: the nodes form a ring in id order; key K lives on the n nodes
 * from FNV-1a(K) mod size (its preference list). With the option vnodes = V,
 * Cassandra's ring instead: each node has V points (shard_map.c's layout) and
 * K's replicas are the first n distinct nodes from hash(K) clockwise.
 * Consistency per request (ONE, QUORUM, ALL; a request's "consistency" field,
 * else the option): how many of the n a read / write waits for (else r, w).
 * With strict = 1 quorums are strict: no ok without r replies / w acks (hints
 * are still kept and handed off, but never count), a read repairs the stale
 * replicas of its quorum before it answers, and cas is refused (error 10) unless
 * lwt = 1: then cas and write are Paxos rounds (dynamo_kv_lwt.c). Versions are (timestamp of
 * the coordinator's clock, coordinator id), the timestamp bumped past every
 * version the coordinator stamped before (a version names one value); the later
 * wins (last writer wins), so a skewed clock can silently lose a write.
 *
 * Messages (canonical JSON): clients speak Maelstrom's lin-kv (read, write,
 * cas; see dynamo_kv_coord.c for the coordinator); between nodes
 *   get {key,rid} -> get_ok {rid,value?,ts,origin}
 *   put {key,value,ts,origin,rid,hint} -> put_ok {rid,key,ts,origin,hint}
 *   sync {entries:[[key,value,ts,origin]...]} -> sync_ok {entries: the newer ones}
 *   dump {msg_id} -> dump_ok {entries:[{key,value,version,replicas}]}  (for checks)
 * Three mechanisms bring replicas back together:
 *   hinted handoff  a write's coordinator keeps a hint for each replica that
 *                   did not ack, and resends it every handoff_interval until the
 *                   replica's put_ok;
 *   read repair     a read sends the newest version to replicas that answered
 *                   an older one;
 *   anti-entropy    every anti_entropy interval a node sends a random peer all
 *                   entries both replicate; the peer merges them and answers with
 *                   its newer ones (Dynamo compares Merkle trees to send only the
 *                   differences; a full exchange costs O(keys) and is simpler).
 *
 * State machine of one key at one replica (versions only grow):
 *
 *   ABSENT --put/sync/repair(v)--> HOLDS(v) --put/sync/repair(v' newer)--> HOLDS(v')
 *   hint for replica p: HELD --put_ok from p--> DROPPED   (lost if we crash)
 *
 * Invariants: (I1) the store holds one entry per key, only keys it replicates,
 * and an entry changes only to a newer version (dkv_merge); (I2) every hint
 * targets a replica of its key other than this node. Convergence (the named
 * check "eventual consistency", lua/dsim/convergence.lua): once the network
 * heals and writes stop, every replica of a key ends with the newest version.
 */
#include "sim/systems/dynamo_kv/dynamo_kv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/dynamo_kv/dynamo_kv_internal.h"
#include "sim/systems/system.h"
#include "sim/systems/invariant.h"

/* ---- placement -------------------------------------------------------------------- */

size_t dkv_nrep(const dynamo_kv_state *st, const dynamo_kv_config *cfg)
{
    return (size_t)cfg->n < st->nmembers ? (size_t)cfg->n : st->nmembers;
}

/* vnodes > 0: walk the ring from the first point at or after hash(key), taking
 * each member the first time one of its points comes up (Cassandra's
 * SimpleStrategy); i is the i-th distinct member met. */
static sim_node_id ring_pref(const dynamo_kv_state *st, const char *key, size_t i)
{
    const shard_layout *l = &st->ring;
    uint64_t h = shard_hash(key, strlen(key)), taken = 0;
    size_t lo = 0, hi = l->npoints, found = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->points[mid].at < h) lo = mid + 1;
        else hi = mid;
    }
    for (size_t k = 0; k < l->npoints; k++) {
        uint32_t s = l->points[(lo + k) % l->npoints].shard;
        if (taken & (UINT64_C(1) << s)) continue;
        taken |= UINT64_C(1) << s;
        if (found++ == i) return st->members[s];
    }
    SIM_ASSERT(!"ring_pref: fewer members than replicas");
    return SIM_NODE_NONE;
}

sim_node_id dkv_pref(const dynamo_kv_state *st, const dynamo_kv_config *cfg, const char *key, size_t i)
{
    SIM_ASSERT(i < dkv_nrep(st, cfg));
    if (cfg->vnodes > 0) return ring_pref(st, key, i);
    uint64_t h = UINT64_C(14695981039346656037);
    for (const char *p = key; *p; p++) h = (h ^ (uint8_t)*p) * UINT64_C(1099511628211);
    return st->members[(h % st->nmembers + i) % st->nmembers];
}

bool dkv_is_replica(const dynamo_kv_state *st, const dynamo_kv_config *cfg, const char *key, sim_node_id id)
{
    for (size_t i = 0; i < dkv_nrep(st, cfg); i++)
        if (dkv_pref(st, cfg, key, i) == id) return true;
    return false;
}

size_t dkv_index(const dynamo_kv_state *st, sim_node_id id)
{
    for (size_t i = 0; i < st->nmembers; i++)
        if (st->members[i] == id) return i;
    return SIZE_MAX;
}

/* ---- the store ---------------------------------------------------------------------- */

dynamo_kv_entry *dkv_find(dynamo_kv_state *st, const char *key)
{
    for (size_t i = 0; i < st->ndata; i++)
        if (strcmp(st->data[i].key, key) == 0) return &st->data[i];
    return NULL;
}

static dynamo_kv_entry *append(dynamo_kv_entry **arr, size_t *n, size_t *cap)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *arr = realloc(*arr, *cap * sizeof(**arr));
        SIM_ASSERT(*arr != NULL);
    }
    return &(*arr)[(*n)++];
}

static void save(sim_node *node, const dynamo_kv_entry *e)
{
    char dkey[300], val[2048];
    snprintf(dkey, sizeof(dkey), "d/%s", e->key);
    int n = snprintf(val, sizeof(val), "%lld %lld %s", (long long)e->ts, (long long)e->origin, e->value);
    SIM_ASSERT(n > 0 && (size_t)n < sizeof(val));
    sim_disk_write(sim_self_disk(node), dkey, val, (size_t)n);
    sim_disk_sync(sim_self_disk(node));
}

bool dkv_merge(sim_node *node, dynamo_kv_state *st, const char *key, const char *value, int64_t ts,
               int64_t origin)
{
    const dynamo_kv_config *cfg = sim_self_config(node);
    if (!value || !dkv_is_replica(st, cfg, key, sim_self(node))) return false;
    dynamo_kv_entry *e = dkv_find(st, key);
    if (e && !dkv_newer(ts, origin, e->ts, e->origin)) return false;
    if (!e) {
        e = append(&st->data, &st->ndata, &st->capdata);
        *e = (dynamo_kv_entry){ strdup(key), NULL, 0, 0, SIM_NODE_NONE };
    }
    free(e->value);
    e->value = strdup(value);
    e->ts = ts, e->origin = origin;
    save(node, e);
    sim_annotate(node, "write", key);
    return true;
}

void dkv_hint_add(dynamo_kv_state *st, sim_node_id target, const char *key, const char *value, int64_t ts,
                  int64_t origin)
{
    for (size_t i = 0; i < st->nhints; i++) {
        dynamo_kv_entry *h = &st->hints[i];
        if (h->hint_for != target || strcmp(h->key, key) != 0) continue;
        if (dkv_newer(ts, origin, h->ts, h->origin)) {
            free(h->value);
            h->value = strdup(value);
            h->ts = ts, h->origin = origin;
        }
        return;
    }
    dynamo_kv_entry *h = append(&st->hints, &st->nhints, &st->caphints);
    *h = (dynamo_kv_entry){ strdup(key), strdup(value), ts, origin, target };
}

static void load_disk(dynamo_kv_state *st, sim_disk *d, sim_node_id self)
{
    for (size_t i = 0; i < sim_disk_count(d); i++) {
        const char *k = sim_disk_key_at(d, i);
        size_t len = 0;
        const char *v = sim_disk_read(d, k, &len);
        char text[2048];
        if (strncmp(k, "d/", 2) != 0 && strncmp(k, "p/", 2) != 0) continue;
        SIM_ASSERT(v != NULL && len < sizeof(text));
        memcpy(text, v, len);
        text[len] = 0;
        if (k[0] == 'p') {
            dkv_lwt_load(st, k + 2, text);
            continue;
        }
        long long ts = 0, origin = 0;
        int used = 0;
        int fields = sscanf(text, "%lld %lld %n", &ts, &origin, &used);
        SIM_ASSERT(fields == 2);             /* written by store() on this node's disk */
        dynamo_kv_entry *e = append(&st->data, &st->ndata, &st->capdata);
        *e = (dynamo_kv_entry){ strdup(k + 2), strdup(text + used), ts, origin, SIM_NODE_NONE };
        if (origin == (long long)self && ts > st->issued_ts) st->issued_ts = ts;   /* versions it stamped */
    }
}

bool dynamo_kv_state_valid(const dynamo_kv_state *st)
{
    if (st->nmembers == 0 || st->nmembers > DYNAMO_KV_MAX_NODES || st->self_idx >= st->nmembers) return false;
    for (size_t i = 0; i < st->ndata; i++) {
        if (!st->data[i].key || !st->data[i].value || st->data[i].hint_for != SIM_NODE_NONE) return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(st->data[i].key, st->data[j].key) == 0) return false;
    }
    for (size_t i = 0; i < st->nhints; i++)
        if (st->hints[i].hint_for == st->members[st->self_idx] || !st->hints[i].value) return false;
    return dkv_reqs_valid(st);
}


/* ---- the program ------------------------------------------------------------------------ */

static void arm_loop(sim_node *node, const char *name, int64_t every_ns)
{
    if (every_ns <= 0) return;
    sim_timer_set(node, every_ns + (int64_t)sim_rng_below(sim_self_rng(node), (uint64_t)every_ns / 2 + 1), name, 0);
}

static void start(sim_node *node, void *state)
{
    const dynamo_kv_config *cfg = sim_self_config(node);
    dynamo_kv_state *st = state;
    sim_node_id peers[DYNAMO_KV_MAX_NODES];
    size_t np = sim_cluster_peers(node, peers, DYNAMO_KV_MAX_NODES - 1);
    if (!sim_invariant(node, np < DYNAMO_KV_MAX_NODES, "dynamo-kv-config", "more than 64 nodes in one cluster"))
        np = 0;                                         /* refused: the run stops here */
    for (size_t i = 0; i <= np; i++) {                  /* peers are in id order: insert self */
        bool before = i == np || peers[i] > sim_self(node);
        if (before && st->nmembers == i) st->self_idx = i, st->members[st->nmembers++] = sim_self(node);
        if (i < np) st->members[st->nmembers++] = peers[i];
    }
    st->next_rid = 1;
    int rc = cfg->vnodes > 0 ? shard_layout_init(&st->ring, SHARD_RING, st->nmembers, (size_t)cfg->vnodes) : 0;
    SIM_ASSERT(rc == 0);
    load_disk(st, sim_self_disk(node), sim_self(node));
    arm_loop(node, "handoff", cfg->handoff_ns);
    arm_loop(node, "anti-entropy", cfg->anti_entropy_ns);
    sim_annotate(node, "role", "replica");
    sim_invariant(node, dynamo_kv_state_valid(st), "dynamo-kv-local", "dynamo_kv_state_valid");
}

static void receive(sim_node *node, void *state, const sim_msg *msg)
{
    dynamo_kv_state *st = state;
    if (msg->corrupted) return;                           /* failed its checksum */
    cJSON *m = sim_json_parse(msg);
    if (!m) return;
    const char *t = msg->type;
    if (strcmp(t, "read") == 0) dkv_client(node, st, msg, m, DKV_READ);
    else if (strcmp(t, "write") == 0) dkv_client(node, st, msg, m, DKV_WRITE);
    else if (strcmp(t, "cas") == 0) dkv_client(node, st, msg, m, DKV_CAS);
    else if (strcmp(t, "get") == 0) dkv_on_get(node, st, msg, m);
    else if (strcmp(t, "put") == 0) dkv_on_put(node, st, msg, m);
    else if (strcmp(t, "put_ok") == 0 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "hint")))
        dkv_on_hint_ok(st, msg, m);
    else if (strcmp(t, "get_ok") == 0 || strcmp(t, "put_ok") == 0) dkv_reply(node, st, msg, m);
    else if (strcmp(t, "sync") == 0 || strcmp(t, "sync_ok") == 0) dkv_on_sync(node, st, msg, m, t[4] == 0);
    else if (!strcmp(t, "prepare") || !strcmp(t, "promise") || !strcmp(t, "accept") || !strcmp(t, "accepted"))
        dkv_lwt_message(node, st, msg, m);
    else if (strcmp(t, "dump") == 0) dkv_on_dump(node, st, msg, m);
    cJSON_Delete(m);
    sim_invariant(node, dynamo_kv_state_valid(st), "dynamo-kv-local", "dynamo_kv_state_valid");
}

static void timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    const dynamo_kv_config *cfg = sim_self_config(node);
    dynamo_kv_state *st = state;
    if (strcmp(name, "request") == 0) dkv_req_timer(node, st, arg);
    else if (strcmp(name, "lwt") == 0) dkv_lwt_timer(node, st, arg);
    else if (strcmp(name, "handoff") == 0) dkv_handoff(node, st), arm_loop(node, name, cfg->handoff_ns);
    else if (strcmp(name, "anti-entropy") == 0) dkv_anti_entropy(node, st), arm_loop(node, name, cfg->anti_entropy_ns);
    sim_invariant(node, dynamo_kv_state_valid(st), "dynamo-kv-local", "dynamo_kv_state_valid");
}

static void stop(sim_node *node, void *state)
{
    dynamo_kv_state *st = state;
    (void)node;
    for (size_t i = 0; i < st->ndata; i++) free(st->data[i].key), free(st->data[i].value);
    for (size_t i = 0; i < st->nhints; i++) free(st->hints[i].key), free(st->hints[i].value);
    free(st->data);
    free(st->hints);
    shard_layout_free(&st->ring);
    dkv_reqs_free(st);
    dkv_lwt_free(st);
}

static const sim_program program = { "dynamo-kv", sizeof(dynamo_kv_state), start, receive, timer, stop };

int dynamo_kv_level_parse(const char *name)
{
    static const char *const names[] = { "ONE", "QUORUM", "ALL" };
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, names[i]) == 0) return DYNAMO_KV_CL_ONE + i;
    return -1;
}

/* The string option "consistency": absent leaves the level DEFAULT (r and w). */
static int level_option(const cJSON *options, int *out, char *err, size_t errlen)
{
    const cJSON *v = options ? cJSON_GetObjectItemCaseSensitive(options, "consistency") : NULL;
    if (!v) return 0;
    *out = dynamo_kv_level_parse(cJSON_IsString(v) ? v->valuestring : NULL);
    if (*out >= 0) return 0;
    snprintf(err, errlen, "option 'consistency' must be \"ONE\", \"QUORUM\" or \"ALL\"");
    return SIM_EINVAL;
}

static int configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { "n", "r", "w", "request_timeout", "handoff_interval", "anti_entropy",
                                         "read_repair", "vnodes", "consistency", "strict", "lwt", NULL };
    dynamo_kv_config c = { 3, 1, 1, 50 * SIM_NS_PER_MS, 100 * SIM_NS_PER_MS, 200 * SIM_NS_PER_MS, true,
                           0, DYNAMO_KV_CL_DEFAULT, false, false };
    int64_t rr = 1, strict = 0, lwt = 0;
    int rc = sim_option_check_known(options, known, err, errlen);
    if (!rc) rc = sim_option_int(options, "n", 1, DYNAMO_KV_MAX_NODES, &c.n, err, errlen);
    if (!rc) rc = sim_option_int(options, "r", 1, c.n, &c.r, err, errlen);
    if (!rc) rc = sim_option_int(options, "w", 1, c.n, &c.w, err, errlen);
    if (!rc) rc = sim_option_int(options, "read_repair", 0, 1, &rr, err, errlen);
    if (!rc) rc = sim_option_int(options, "strict", 0, 1, &strict, err, errlen);
    if (!rc) rc = sim_option_int(options, "lwt", 0, 1, &lwt, err, errlen);
    if (!rc) rc = sim_option_int(options, "vnodes", 0, SHARD_MAX_VNODES, &c.vnodes, err, errlen);
    if (!rc) rc = level_option(options, &c.consistency, err, errlen);
    if (!rc) rc = sim_option_duration(options, "request_timeout", &c.request_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "handoff_interval", &c.handoff_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "anti_entropy", &c.anti_entropy_ns, err, errlen);
    if (!rc && c.request_ns <= 0) snprintf(err, errlen, "option 'request_timeout' must be > 0"), rc = SIM_EINVAL;
    if (rc) return rc;
    c.read_repair = rr != 0;
    c.strict = strict != 0;
    c.lwt = lwt != 0;
    return sim_config_copy(&c, sizeof(c), config);
}

const sim_system sim_system_dynamo_kv = {
    .name = "dynamo-kv",
    .summary = "an AP key-value store (Dynamo): sloppy quorums, hinted handoff, read repair, anti-entropy (lin-kv)",
    .program = &program,
    .configure = configure,
    .release = free,
    .state_json = dynamo_kv_state_json,
};
