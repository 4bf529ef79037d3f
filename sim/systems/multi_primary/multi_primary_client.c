/*
 * multi_primary, the client side and the node's life cycle: reads (with every
 * sibling and the merged context), writes (LWW stamp or version vector),
 * inserts (refused when the id exists here, which cannot see an insert racing
 * at another node), cas, the replication tick, and the system's options. The
 * protocol is drawn at the top of multi_primary.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "sim/msg.h"
#include "sim/systems/multi_primary/multi_primary.h"
#include "sim/systems/system.h"
#include "sim/systems/invariant.h"

static void reply(sim_node *node, sim_node_id to, const cJSON *in, cJSON *out)
{
    int64_t id = sim_json_int(in, "msg_id", -1);
    if (id >= 0) cJSON_AddNumberToObject(out, "in_reply_to", (double)id);
    if (to != SIM_NODE_NONE) sim_json_send(node, to, out);
    cJSON_Delete(out);
}

static cJSON *msg_of(const char *type, int code, const char *text)
{
    cJSON *out = cJSON_CreateObject();
    SIM_ASSERT(out != NULL);
    cJSON_AddStringToObject(out, "type", type);
    if (code) cJSON_AddNumberToObject(out, "code", code);
    if (text) cJSON_AddStringToObject(out, "text", text);
    return out;
}

static cJSON *read_ok(const mp_state *st, const mp_key *k)
{
    cJSON *out = msg_of("read_ok", 0, NULL), *sibs = cJSON_CreateArray(), *ctx = cJSON_CreateArray();
    int64_t vv[MP_NODES_MAX] = { 0 };
    for (size_t i = 0; i < k->nsib; i++) {
        cJSON_AddItemToArray(sibs, cJSON_CreateNumber((double)k->sib[i].value));
        for (size_t j = 0; j < st->nmembers; j++)
            if (k->sib[i].vv[j] > vv[j]) vv[j] = k->sib[i].vv[j];
    }
    for (size_t j = 0; j < st->nmembers; j++) cJSON_AddItemToArray(ctx, cJSON_CreateNumber((double)vv[j]));
    cJSON_AddNumberToObject(out, "value", (double)k->sib[0].value);
    cJSON_AddItemToObject(out, "siblings", sibs);
    cJSON_AddItemToObject(out, "context", ctx);
    return out;
}

static void on_client(sim_node *node, mp_state *st, const sim_msg *msg, const cJSON *in, const char *t)
{
    int64_t key, value, from;
    if (!sim_json_get_int(in, "key", &key)) return reply(node, msg->from, in, msg_of("error", 12, "key must be an integer"));
    mp_key *k = mp_key_find(st, key);
    if (strcmp(t, "read") == 0) {
        if (!k) return reply(node, msg->from, in, msg_of("error", 20, "key does not exist"));
        return reply(node, msg->from, in, read_ok(st, k));
    }
    bool is_cas = strcmp(t, "cas") == 0;
    if (!sim_json_get_int(in, is_cas ? "to" : "value", &value) || (is_cas && !sim_json_get_int(in, "from", &from)))
        return reply(node, msg->from, in, msg_of("error", 12, "malformed request"));
    if (strcmp(t, "insert") == 0 && k)
        return reply(node, msg->from, in, msg_of("error", 21, "key already exists"));
    if (is_cas && !k) return reply(node, msg->from, in, msg_of("error", 20, "key does not exist"));
    if (is_cas && (k->nsib != 1 || k->sib[0].value != from))
        return reply(node, msg->from, in, msg_of("error", 22, "value differs"));
    mp_local_write(node, st, key, value, cJSON_GetObjectItemCaseSensitive(in, "context"));
    char type[16];
    snprintf(type, sizeof(type), "%s_ok", t);
    reply(node, msg->from, in, msg_of(type, 0, NULL));
}

static void mp_start(sim_node *node, void *state)
{
    mp_state *st = state;
    const mp_config *cfg = sim_self_config(node);
    SIM_ASSERT(cfg != NULL);
    st->cfg = *cfg;
    st->boot = sim_clock_ns(node);
    sim_node_id ids[MP_NODES_MAX];
    size_t n = sim_cluster_peers(node, ids, MP_NODES_MAX);
    SIM_ASSERT(n + 1 <= MP_NODES_MAX);
    for (size_t i = 0; i < n; i++) st->peers[i] = (mp_peer){ ids[i], 0, 0 };
    st->npeers = n;
    size_t m = 0;                                /* members: peers and self, in id order */
    for (size_t i = 0; i < n && ids[i] < sim_self(node); i++) st->members[m++] = ids[i];
    st->self_index = (uint32_t)m;
    st->members[m++] = sim_self(node);
    for (size_t i = 0; i < n; i++)
        if (ids[i] > sim_self(node)) st->members[m++] = ids[i];
    st->nmembers = m;
    sim_annotate(node, "resolve", st->cfg.version_vectors ? "version vectors" : "last writer wins");
    sim_timer_set(node, st->cfg.sync_interval_ns, "sync", 0);
}

static void mp_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    mp_state *st = state;
    if (strcmp(name, "sync") != 0) return;
    mp_tick(node, st);
    sim_timer_set(node, st->cfg.sync_interval_ns, "sync", 0);
    sim_invariant(node, mp_state_valid(st), "multi-primary-local", "mp_state_valid");
}

static void mp_receive(sim_node *node, void *state, const sim_msg *msg)
{
    mp_state *st = state;
    if (msg->corrupted) return;
    cJSON *in = sim_json_parse(msg);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(in, "type");
    const char *t = cJSON_IsString(type) ? type->valuestring : "";
    if (!strcmp(t, "read") || !strcmp(t, "write") || !strcmp(t, "insert") || !strcmp(t, "cas"))
        on_client(node, st, msg, in, t);
    else if (!strncmp(t, "mp_", 3)) mp_sync_receive(node, st, msg, in, t);
    cJSON_Delete(in);
    sim_invariant(node, mp_state_valid(st), "multi-primary-local", "mp_state_valid");
}

static void mp_stop(sim_node *node, void *state)
{
    free(((mp_state *)state)->keys);
}

static int mp_configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { "resolve", "sync_interval", NULL };
    mp_config c = { .sync_interval_ns = 50 * SIM_NS_PER_MS };
    int rc = sim_option_check_known(options, known, err, errlen);
    const cJSON *r = options ? cJSON_GetObjectItemCaseSensitive(options, "resolve") : NULL;
    if (!rc && r && !(cJSON_IsString(r) && (!strcmp(r->valuestring, "lww") || !strcmp(r->valuestring, "vv")))) {
        snprintf(err, errlen, "option 'resolve' must be \"lww\" or \"vv\"");
        rc = SIM_EINVAL;
    }
    if (!rc) rc = sim_option_duration(options, "sync_interval", &c.sync_interval_ns, err, errlen);
    if (!rc && c.sync_interval_ns <= 0) {
        snprintf(err, errlen, "option 'sync_interval' must be more than 0");
        rc = SIM_EINVAL;
    }
    if (rc) return rc;
    c.version_vectors = r && !strcmp(r->valuestring, "vv");
    return sim_config_copy(&c, sizeof(c), config);
}

static const sim_program mp_program = {
    .name = "multi-primary",
    .state_bytes = sizeof(mp_state),
    .start = mp_start,
    .receive = mp_receive,
    .timer = mp_timer,
    .stop = mp_stop,
};

const sim_system sim_system_multi_primary = {
    .name = "multi-primary",
    .summary = "multi-primary KV store: every node takes writes; conflicts by LWW or version vectors",
    .program = &mp_program,
    .configure = mp_configure,
    .release = free,
    .state_json = multi_primary_state_json,
};
