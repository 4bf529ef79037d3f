/*
 * broadcast-client: a simulated client of the broadcast system (broadcast.c), the
 * workload Maelstrom's broadcast test runs. Every `interval` until `stop` (both
 * measured on the client's local clock from its start) it picks a server
 * uniformly with its own stream and broadcasts a fresh value; at `read_at` it
 * reads every server. Each request is an operation in the history:
 *
 *     invoke broadcast {"value":V}  -> ok on broadcast_ok, unknown after `timeout`
 *     invoke read {"node":"n3"}     -> ok {"messages":[...]} on read_ok, unknown after `timeout`
 *
 * A broadcast is sent once and not retried (its value may or may not spread:
 * that is what "unknown" means). A read, being idempotent, is resent with the
 * same msg_id every `interval` until answered; one that times out all the same
 * is retried as a new op, until the server answers once, so that a lossy link to
 * the client does not leave the checker without a final read of some server.
 *
 * Servers are the nodes of cluster `servers_cluster` that run the broadcast
 * program (the client itself is not partitioned: kernel semantics). V is the id
 * the history gives the broadcast op (sim.h: ids are 1, 2, ... in invoke order),
 * so values are unique across clients and across a client's restarts without any
 * coordination. Replies that match no pending request (duplicates, late replies
 * after a timeout) and corrupted replies are ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/system.h"

extern const sim_system sim_system_broadcast;

typedef struct client_config {
    int64_t interval_ns, stop_ns, read_at_ns, timeout_ns;
    uint32_t servers_cluster;
} client_config;

typedef struct pending {
    uint64_t msg_id, op_id;
    sim_node_id to;
    bool is_read;
} pending;

typedef struct client_state {
    const client_config *cfg;
    int64_t start_clock_ns;
    uint64_t next_msg_id;
    sim_node_id *servers;
    size_t nservers;
    pending *ops;                 /* requests awaiting a reply, in send order */
    size_t nops, cap;
} client_state;

static void list_servers(sim_node *node, client_state *st)
{
    sim *s = sim_of(node);
    const sim_program *server = sim_system_broadcast.program;
    free(st->servers);
    st->servers = malloc((sim_node_count(s) + 1) * sizeof(sim_node_id));
    SIM_ASSERT(st->servers != NULL);
    st->nservers = 0;
    for (sim_node_id id = 0; id < sim_node_count(s); id++)
        if (sim_node_cluster(s, id) == st->cfg->servers_cluster && sim_node_program(s, id) == server)
            st->servers[st->nservers++] = id;
}

static void set_timer(sim_node *node, int64_t delay_ns, const char *name, uint64_t arg)
{
    uint64_t timer = sim_timer_set(node, delay_ns, name, arg);
    SIM_ASSERT(timer != 0);
}

/* Records a request for operation op_id to server `to`; returns its msg_id. */
static uint64_t track(sim_node *node, client_state *st, sim_node_id to, uint64_t op_id, bool is_read)
{
    SIM_ASSERT(op_id != 0);
    uint64_t msg_id = ++st->next_msg_id;
    if (st->nops == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 16;
        st->ops = realloc(st->ops, st->cap * sizeof(pending));
        SIM_ASSERT(st->ops != NULL);
    }
    st->ops[st->nops++] = (pending){ msg_id, op_id, to, is_read };
    set_timer(node, st->cfg->timeout_ns, "timeout", msg_id);
    return msg_id;
}

static void send_request(sim_node *node, sim_node_id to, cJSON *msg, uint64_t msg_id)
{
    cJSON_AddNumberToObject(msg, "msg_id", (double)msg_id);
    sim_json_send(node, to, msg);
    cJSON_Delete(msg);
}

static void send_read(sim_node *node, sim_node_id to, uint64_t msg_id)
{
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "type", "read");
    send_request(node, to, msg, msg_id);
}

static void broadcast_one(sim_node *node, client_state *st)
{
    sim *s = sim_of(node);
    if (st->nservers == 0) return;
    sim_node_id to = st->servers[sim_rng_below(sim_self_rng(node), st->nservers)];
    uint64_t value = sim_history_count(s) + 1;      /* the id this op will get */
    char args[48];
    snprintf(args, sizeof(args), "{\"value\":%llu}", (unsigned long long)value);
    uint64_t op = sim_history_invoke(s, sim_self(node), "broadcast", args);
    SIM_ASSERT(op == value);
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "type", "broadcast");
    cJSON_AddNumberToObject(msg, "message", (double)value);
    send_request(node, to, msg, track(node, st, to, op, false));
}

static void read_one(sim_node *node, client_state *st, sim_node_id server)
{
    sim *s = sim_of(node);
    char args[96];
    snprintf(args, sizeof(args), "{\"node\":\"%s\"}", sim_node_name(s, server));
    uint64_t op = sim_history_invoke(s, sim_self(node), "read", args);
    uint64_t msg_id = track(node, st, server, op, true);
    send_read(node, server, msg_id);
    set_timer(node, st->cfg->interval_ns, "resend", msg_id);
}

/* The index of pending request msg_id, or nops when there is none. */
static size_t find_pending(const client_state *st, uint64_t msg_id)
{
    size_t i = 0;
    while (i < st->nops && st->ops[i].msg_id != msg_id) i++;
    return i;
}

/* Removes and returns the pending request msg_id; false when there is none. */
static bool take(client_state *st, uint64_t msg_id, pending *out)
{
    size_t i = find_pending(st, msg_id);
    if (i == st->nops) return false;
    *out = st->ops[i];
    memmove(&st->ops[i], &st->ops[i + 1], (st->nops - i - 1) * sizeof(pending));
    st->nops--;
    return true;
}

static void client_receive(sim_node *node, void *state, const sim_msg *msg)
{
    client_state *st = state;
    if (msg->corrupted) return;
    cJSON *in = sim_json_parse(msg);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(in, "type");
    const char *t = cJSON_IsString(type) ? type->valuestring : "";
    bool is_read = strcmp(t, "read_ok") == 0;
    int64_t msg_id = sim_json_int(in, "in_reply_to", -1);
    pending p;
    if ((is_read || strcmp(t, "broadcast_ok") == 0) && msg_id > 0 && take(st, (uint64_t)msg_id, &p)) {
        SIM_ASSERT(p.is_read == is_read);
        char *result = NULL;
        if (is_read) {
            cJSON *r = cJSON_CreateObject();
            const cJSON *list = cJSON_GetObjectItemCaseSensitive(in, "messages");
            cJSON_AddItemToObject(r, "messages", list ? cJSON_Duplicate(list, true) : cJSON_CreateArray());
            result = sim_json_encode(r);
            cJSON_Delete(r);
        }
        sim_history_complete(sim_of(node), p.op_id, SIM_OP_OK, result);
        free(result);
    }
    cJSON_Delete(in);
}

static void client_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    client_state *st = state;
    pending p;
    if (strcmp(name, "timeout") == 0) {
        if (!take(st, arg, &p)) return;
        sim_history_complete(sim_of(node), p.op_id, SIM_OP_UNKNOWN, NULL);
        if (p.is_read) read_one(node, st, p.to);   /* until each server answers once */
        return;
    }
    if (strcmp(name, "resend") == 0) {                /* a read is idempotent: resend it */
        size_t i = find_pending(st, arg);
        if (i == st->nops) return;
        send_read(node, st->ops[i].to, arg);
        set_timer(node, st->cfg->interval_ns, "resend", arg);
        return;
    }
    list_servers(node, st);
    if (strcmp(name, "read") == 0) {
        for (size_t i = 0; i < st->nservers; i++) read_one(node, st, st->servers[i]);
        return;
    }
    int64_t elapsed = sim_clock_ns(node) - st->start_clock_ns;
    if (elapsed > st->cfg->stop_ns) return;
    broadcast_one(node, st);
    if (elapsed + st->cfg->interval_ns <= st->cfg->stop_ns)
        set_timer(node, st->cfg->interval_ns, "tick", 0);
}

static const client_config defaults = {
    .interval_ns = 50 * SIM_NS_PER_MS, .stop_ns = SIM_NS_PER_S,
    .read_at_ns = 2 * SIM_NS_PER_S, .timeout_ns = SIM_NS_PER_S, .servers_cluster = 0,
};

static void client_start(sim_node *node, void *state)
{
    client_state *st = state;
    st->cfg = sim_self_config(node) ? sim_self_config(node) : &defaults;
    st->start_clock_ns = sim_clock_ns(node);
    if (st->cfg->interval_ns <= st->cfg->stop_ns)
        set_timer(node, st->cfg->interval_ns, "tick", 0);
    set_timer(node, st->cfg->read_at_ns, "read", 0);
}

static void client_stop(sim_node *node, void *state)
{
    client_state *st = state;
    free(st->servers);
    free(st->ops);
}

static int client_configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { "interval", "stop", "read_at", "timeout",
                                         "servers_cluster", NULL };
    client_config c = defaults;
    int64_t cluster = 0;
    int rc = sim_option_check_known(options, known, err, errlen);
    if (!rc) rc = sim_option_duration(options, "interval", &c.interval_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "stop", &c.stop_ns, err, errlen);
    c.read_at_ns = c.stop_ns + SIM_NS_PER_S;
    if (!rc) rc = sim_option_duration(options, "read_at", &c.read_at_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "timeout", &c.timeout_ns, err, errlen);
    if (!rc) rc = sim_option_int(options, "servers_cluster", 0, UINT32_MAX, &cluster, err, errlen);
    const int64_t max = 1000 * 3600 * SIM_NS_PER_S;    /* keeps every timer representable */
    const char *bad = c.interval_ns <= 0 || c.interval_ns > max ? "interval"
                      : c.timeout_ns <= 0 || c.timeout_ns > max ? "timeout"
                      : c.stop_ns > max ? "stop" : c.read_at_ns > max ? "read_at" : NULL;
    if (!rc && bad) {
        snprintf(err, errlen, "option '%s' must be more than 0 and at most 1000h", bad);
        rc = SIM_EINVAL;
    }
    if (rc) return rc;
    c.servers_cluster = (uint32_t)cluster;
    return sim_config_copy(&c, sizeof(c), config);
}

static const sim_program client_program = {
    .name = "broadcast-client",
    .state_bytes = sizeof(client_state),
    .start = client_start,
    .receive = client_receive,
    .timer = client_timer,
    .stop = client_stop,
};

const sim_system sim_system_broadcast_client = {
    .name = "broadcast-client",
    .summary = "a client that broadcasts unique values, then reads every server",
    .program = &client_program,
    .configure = client_configure,
    .release = free,
};
