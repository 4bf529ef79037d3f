/*
 * multipaxos-client: a simulated client of the Multi-Paxos key-value store
 * (multipaxos.c). It runs one operation at a time, a new one after a random
 * think time of mean `interval`, until `stop` (on its local clock):
 *
 *     get  {"key":K}                  -> ok {"key":K,"value":V|null}
 *     put  {"key":K,"value":V}        -> ok {"key":K,"value":V}
 *     cas  {"key":K,"from":A,"to":B}  -> ok, or fail when the value was not A
 *
 * Keys are "k0".."k<keys-1>"; a put writes, and a cas sets, the op's own history id,
 * so every written value is unique; a cas expects the last value this client saw.
 * Each op is recorded in the kernel history (sim_history_invoke/complete): ok on a
 * reply, fail on a cas whose precondition failed (it had no effect), unknown when no
 * reply came within `deadline` (it may still take effect later). Until then the
 * request is resent every `timeout` with the same seq, so the replicas' sessions
 * execute it at most once: to the leader a redirect names, else to the next replica.
 * Duplicate, late and corrupted replies are ignored. The replicas are the nodes
 * running multipaxos in cluster `servers_cluster` (default: in any cluster).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/consensus/consensus_util.h"
#include "sim/systems/system.h"

extern const sim_system sim_system_multipaxos;

typedef struct client_config {
    int64_t interval_ns, stop_ns, timeout_ns, deadline_ns, keys;
    uint32_t servers_cluster;
} client_config;

typedef struct client_state {
    const client_config *cfg;
    int64_t start_clock_ns;
    sim_node_id servers[CONS_MEMBERS_MAX];
    size_t nservers, target;
    int64_t seq;                  /* of the current (or last) request */
    bool active;
    uint64_t op;                  /* its history id */
    char f[8], key[16];
    cJSON *request;               /* the request, resent as is */
    int64_t invoked_clock_ns;
    int64_t last_seen[16];        /* per key: last value seen, -1 none */
} client_state;

static void list_servers(sim_node *node, client_state *st)
{
    sim *s = sim_of(node);
    st->nservers = 0;
    for (sim_node_id id = 0; id < sim_node_count(s) && st->nservers < CONS_MEMBERS_MAX; id++)
        if ((st->cfg->servers_cluster == UINT32_MAX || sim_node_cluster(s, id) == st->cfg->servers_cluster) &&
            sim_node_program(s, id) == sim_system_multipaxos.program)
            st->servers[st->nservers++] = id;
}

static void send_request(sim_node *node, client_state *st)
{
    if (st->nservers == 0) return;
    sim_json_send(node, st->servers[st->target % st->nservers], st->request);
    cons_timer(node, st->cfg->timeout_ns, "retry", (uint64_t)st->seq);
}

/* Invokes a random operation and sends its first request. */
static void begin(sim_node *node, client_state *st)
{
    sim *s = sim_of(node);
    int64_t k = cons_jitter(node, st->cfg->keys), kind = cons_jitter(node, 10);
    uint64_t id = sim_history_count(s) + 1;  /* the id this op gets: a unique value */
    snprintf(st->key, sizeof(st->key), "k%lld", (long long)k);
    snprintf(st->f, sizeof(st->f), "%s", kind < 4 ? "get" : kind < 8 ? "put" : "cas");
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "key", st->key);
    if (kind >= 4 && kind < 8) cJSON_AddNumberToObject(args, "value", (double)id);
    if (kind >= 8) {
        int64_t from = st->last_seen[k] >= 0 ? st->last_seen[k] : 1 + cons_jitter(node, (int64_t)id);
        cJSON_AddNumberToObject(args, "from", (double)from);
        cJSON_AddNumberToObject(args, "to", (double)id);
    }
    char *text = cons_encode(args);
    st->op = sim_history_invoke(s, sim_self(node), st->f, text);
    SIM_ASSERT(st->op == id);
    free(text);
    st->seq++;
    st->active = true;
    st->invoked_clock_ns = sim_clock_ns(node);
    cJSON_AddStringToObject(args, "type", "request");
    cJSON_AddStringToObject(args, "op", st->f);
    cJSON_AddNumberToObject(args, "seq", (double)st->seq);
    cJSON_AddNumberToObject(args, "opid", (double)id);
    cJSON_Delete(st->request);
    st->request = args;
    send_request(node, st);
}

/* Ends the current op and schedules the next one (mean think time: interval). */
static void end(sim_node *node, client_state *st, sim_outcome outcome, const char *result)
{
    SIM_ASSERT(st->active);
    sim_history_complete(sim_of(node), st->op, outcome, result);
    st->active = false;
    cons_timer(node, cons_jitter(node, 2 * st->cfg->interval_ns) + 1, "next", 0);
}

static void on_reply(sim_node *node, client_state *st, const cJSON *in)
{
    int64_t seq;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(in, "result");
    if (!st->active || !cons_get_int(in, "seq", &seq) || seq != st->seq || !cJSON_IsObject(r)) return;
    bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"));
    bool get = strcmp(st->f, "get") == 0, put = strcmp(st->f, "put") == 0;
    const cJSON *reply_value = cJSON_GetObjectItemCaseSensitive(r, "value");
    cJSON *res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "key", st->key);
    if (get) cJSON_AddItemToObject(res, "value", reply_value ? cJSON_Duplicate(reply_value, true) : cJSON_CreateNull());
    if (put) cJSON_AddItemToObject(res, "value", cJSON_Duplicate(cJSON_GetObjectItem(st->request, "value"), true));
    if (!get && !put) {
        cJSON_AddItemToObject(res, "from", cJSON_Duplicate(cJSON_GetObjectItem(st->request, "from"), true));
        cJSON_AddItemToObject(res, "to", cJSON_Duplicate(cJSON_GetObjectItem(st->request, "to"), true));
    }
    /* The value this client now knows the key holds, for its next cas. */
    const cJSON *seen = get ? reply_value : put ? cJSON_GetObjectItem(st->request, "value")
                      : ok ? cJSON_GetObjectItem(st->request, "to") : reply_value;
    if (cJSON_IsNumber(seen)) st->last_seen[strtoll(st->key + 1, NULL, 10)] = (int64_t)seen->valuedouble;
    char *text = cons_encode(res);
    cJSON_Delete(res);
    end(node, st, ok ? SIM_OP_OK : SIM_OP_FAIL, text);
    free(text);
}

static void client_receive(sim_node *node, void *state, const sim_msg *msg)
{
    client_state *st = state;
    const char *t;
    cJSON *in = cons_parse(msg, &t);
    int64_t seq, leader;
    if (in && strcmp(t, "reply") == 0) {
        on_reply(node, st, in);
    } else if (in && strcmp(t, "redirect") == 0 && st->active && cons_get_int(in, "seq", &seq) &&
               seq == st->seq && cons_get_int(in, "leader", &leader) && leader >= 0) {
        for (size_t i = 0; i < st->nservers; i++) {
            if (st->servers[i] != (sim_node_id)leader || i == st->target % st->nservers) continue;
            st->target = i;                  /* a new leader to ask: ask it now */
            sim_json_send(node, st->servers[i], st->request);
        }
    }
    cJSON_Delete(in);
}

static void client_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    client_state *st = state;
    if (strcmp(name, "retry") == 0) {
        if (!st->active || (int64_t)arg != st->seq) return;
        if (sim_clock_ns(node) - st->invoked_clock_ns >= st->cfg->deadline_ns) {
            end(node, st, SIM_OP_UNKNOWN, NULL);     /* it may still happen: unknown */
            return;
        }
        st->target++;                                /* this one may be down */
        send_request(node, st);
    } else if (strcmp(name, "next") == 0 && !st->active &&
               sim_clock_ns(node) - st->start_clock_ns < st->cfg->stop_ns) {
        list_servers(node, st);
        begin(node, st);
    }
}

static const client_config defaults = {
    .interval_ns = 20 * SIM_NS_PER_MS, .stop_ns = 2 * SIM_NS_PER_S, .timeout_ns = 100 * SIM_NS_PER_MS,
    .deadline_ns = SIM_NS_PER_S, .keys = 3, .servers_cluster = UINT32_MAX,
};

static void client_start(sim_node *node, void *state)
{
    client_state *st = state;
    st->cfg = sim_self_config(node) ? sim_self_config(node) : &defaults;
    st->start_clock_ns = sim_clock_ns(node);
    for (size_t i = 0; i < sizeof(st->last_seen) / sizeof(st->last_seen[0]); i++) st->last_seen[i] = -1;
    list_servers(node, st);
    st->target = (size_t)cons_jitter(node, st->nservers ? (int64_t)st->nservers : 1);
    cons_timer(node, cons_jitter(node, st->cfg->interval_ns) + 1, "next", 0);
}

static void client_stop(sim_node *node, void *state) { cJSON_Delete(((client_state *)state)->request); }

static int client_configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { "interval", "stop", "timeout", "deadline", "keys",
                                         "servers_cluster", NULL };
    client_config c = defaults;
    int64_t cluster = UINT32_MAX;             /* default: the replicas of every cluster */
    int rc = sim_option_check_known(options, known, err, errlen);
    if (!rc) rc = sim_option_duration(options, "interval", &c.interval_ns, err, errlen);
    if (!rc) rc = cons_option_positive("interval", c.interval_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "stop", &c.stop_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "timeout", &c.timeout_ns, err, errlen);
    if (!rc) rc = cons_option_positive("timeout", c.timeout_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "deadline", &c.deadline_ns, err, errlen);
    if (!rc) rc = cons_option_positive("deadline", c.deadline_ns, err, errlen);
    if (!rc) rc = sim_option_int(options, "keys", 1, 16, &c.keys, err, errlen);
    if (!rc) rc = sim_option_int(options, "servers_cluster", 0, UINT32_MAX - 1, &cluster, err, errlen);
    if (rc) return rc;
    c.servers_cluster = (uint32_t)cluster;
    return sim_config_copy(&c, sizeof(c), config);
}

static const sim_program client_program = {
    .name = "multipaxos-client",
    .state_bytes = sizeof(client_state),
    .start = client_start,
    .receive = client_receive,
    .timer = client_timer,
    .stop = client_stop,
};

static cJSON *client_state_json(const sim *s, sim_node_id id);

const sim_system sim_system_multipaxos_client = {
    .name = "multipaxos-client",
    .summary = "a client of multipaxos: get/put/cas with retries, recorded in the history",
    .program = &client_program,
    .configure = client_configure,
    .release = free,
    .state_json = client_state_json,
};

/* h.state: the request in flight (seq, f, key, the server it went to) or
 * active = false between requests. */
static cJSON *client_state_json(const sim *s, sim_node_id id)
{
    const client_state *st = sim_node_state(s, id);
    if (!st) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "active", st->active);
    cJSON_AddNumberToObject(o, "seq", (double)st->seq);
    if (st->active) {
        cJSON_AddStringToObject(o, "f", st->f);
        cJSON_AddStringToObject(o, "key", st->key);
        if (st->target < st->nservers) cJSON_AddStringToObject(o, "server", sim_node_name(s, st->servers[st->target]));
    }
    return o;
}
