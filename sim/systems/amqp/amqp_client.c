/*
 * amqp-client: RabbitMQ publishers and consumers as node programs, with the
 * delivery ledger of kafka-client (sim/systems/kafka/kafka_ledger.c: a record is
 * "acknowledged" when the broker confirmed it, "processed" when a consumer
 * finished it). Client i of the cluster talks to brokers[i mod #brokers]; the
 * first `publishers` clients publish, the others consume.
 *
 * Publisher: every `interval` it publishes the messages due at `rate`, routing
 * key keys[k mod #keys] for its k-th message, persistent or not, with a TTL if
 * given, in confirm mode: a message is retried after a nack or confirm_timeout,
 * `retries` times, then given up ("failed").
 *
 *     NEW --publish--> UNCONFIRMED --confirm--> confirmed (acked in the ledger)
 *                          | nack | timeout: tries <= retries --> publish again
 *
 * Consumer: subscribes to queues[j mod #queues] (consume, with its prefetch) at
 * its broker, or at the queue's leader when the broker names another; the
 * broker pushes deliveries, the consumer processes them one at a time for
 * `process` each and acks, or rejects every `nack_every`-th (nack without
 * requeue: dead-lettered). It heartbeats (chb) every `heartbeat` so the broker
 * notices when it dies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/kafka/kafka_client.h"
#include "sim/systems/system.h"
#include "sim/units.h"

#define AC_MAX_LIST 16

typedef struct ac_config {
    char brokers[AC_MAX_LIST][64], keys[AC_MAX_LIST][48], queues[AC_MAX_LIST][48], exchange[48];
    int nbrokers, nkeys, nqueues;
    int64_t publishers, persistent, retries, prefetch, nack_every;
    double rate_per_s;
    int64_t ttl_ns, interval_ns, confirm_timeout_ns, stop_ns, process_ns, heartbeat_ns;
    kc_ledger *ledger;
} ac_config;

typedef struct ac_out { int64_t corr, v, ts_ns, sent_ns; int tries; } ac_out;
typedef struct ac_in { int64_t tag, v, ts_ns; bool redelivered; } ac_in;

typedef struct ac_state {
    const ac_config *cfg;
    bool publisher;
    int64_t index, corr, start_ns, base_seq, generated;
    sim_node_id broker, target;
    ac_out *out;
    size_t nout, capout;
    ac_in *in;
    size_t nin, capin;
    bool processing;
    int64_t heard_ns;                 /* consumer: the last answer from its target */
    const char *queue;
    uint64_t received, redelivered, processed, rejected, nacked;
} ac_state;

static void publish(sim_node *node, ac_state *st, ac_out *o)
{
    const ac_config *c = st->cfg;
    int64_t seq = o->v & ((INT64_C(1) << KC_SEQ_BITS) - 1);
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "publish");
    cJSON_AddNumberToObject(m, "corr", (double)(o->corr = ++st->corr));
    cJSON_AddStringToObject(m, "x", c->exchange);
    cJSON_AddStringToObject(m, "k", c->keys[seq % c->nkeys]);
    cJSON_AddNumberToObject(m, "v", (double)o->v);
    cJSON_AddNumberToObject(m, "ts", (double)o->ts_ns);
    if (c->persistent) cJSON_AddNumberToObject(m, "persist", 1);
    if (c->ttl_ns) cJSON_AddNumberToObject(m, "ttl", (double)c->ttl_ns);
    o->sent_ns = sim_now_ns(sim_of(node));
    sim_json_send(node, st->broker, m);
    cJSON_Delete(m);
}

static void publisher_tick(sim_node *node, ac_state *st, int64_t now)
{
    const ac_config *c = st->cfg;
    int64_t until = c->stop_ns > 0 && now > c->stop_ns ? c->stop_ns : now;
    int64_t due = (int64_t)(c->rate_per_s * (double)(until - st->start_ns) / 1e9) - st->generated;
    for (; due > 0; due--, st->generated++) {
        if (st->nout == st->capout) {
            st->capout = st->capout ? st->capout * 2 : 64;
            st->out = realloc(st->out, st->capout * sizeof(ac_out));
            SIM_ASSERT(st->out != NULL);
        }
        int64_t seq = kafka_ledger_reserve(c->ledger, st->index, 1);
        ac_out *o = &st->out[st->nout++];
        *o = (ac_out){ .v = ((st->index + 1) << KC_SEQ_BITS) | seq, .ts_ns = now };
        publish(node, st, o);
    }
    for (size_t i = 0; i < st->nout;) {
        ac_out *o = &st->out[i];
        if (now - o->sent_ns < c->confirm_timeout_ns) {
            i++;
            continue;
        }
        if (++o->tries <= c->retries) {
            publish(node, st, o);
            i++;
            continue;
        }
        c->ledger->failed++;
        *o = st->out[--st->nout];
    }
}

static void on_confirm(sim_node *node, ac_state *st, const cJSON *in, bool ok)
{
    int64_t corr = sim_json_int(in, "corr", -1);
    for (size_t i = 0; i < st->nout; i++) {
        ac_out *o = &st->out[i];
        if (o->corr != corr) continue;
        if (ok) {
            kafka_ledger_acked(st->cfg->ledger, o->v, 1, sim_now_ns(sim_of(node)) - o->ts_ns);
            *o = st->out[--st->nout];
        } else {
            st->nacked++;
            o->sent_ns = sim_now_ns(sim_of(node)) - st->cfg->confirm_timeout_ns / 2;   /* retried in half a timeout */
        }
        return;
    }
}

static void consume(sim_node *node, ac_state *st, const char *type)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", type);
    cJSON_AddStringToObject(m, "q", st->queue);
    cJSON_AddNumberToObject(m, "prefetch", (double)st->cfg->prefetch);
    sim_json_send(node, st->target, m);
    cJSON_Delete(m);
}

static void ack(sim_node *node, ac_state *st, int64_t tag, bool ok)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", ok ? "ack" : "nack");
    cJSON_AddStringToObject(m, "q", st->queue);
    cJSON_AddNumberToObject(m, "tag", (double)tag);
    sim_json_send(node, st->target, m);
    cJSON_Delete(m);
}

static void process_next(sim_node *node, ac_state *st)
{
    if (st->processing || st->nin == 0) return;
    st->processing = true;
    sim_timer_set(node, st->cfg->process_ns, "proc", 0);
}

static void processed(sim_node *node, ac_state *st)
{
    st->processing = false;
    if (st->nin == 0) return;
    ac_in d = st->in[0];
    memmove(st->in, st->in + 1, (st->nin - 1) * sizeof(ac_in));
    st->nin--;
    bool reject = st->cfg->nack_every > 0 && (st->received % (uint64_t)st->cfg->nack_every) == 0;
    if (reject) st->rejected++;
    else {
        st->processed++;
        kafka_ledger_processed(st->cfg->ledger, d.v, sim_now_ns(sim_of(node)) - d.ts_ns);
    }
    ack(node, st, d.tag, !reject);
    process_next(node, st);
}

static void on_deliver(sim_node *node, ac_state *st, const cJSON *in)
{
    if (st->nin == st->capin) {
        st->capin = st->capin ? st->capin * 2 : 16;
        st->in = realloc(st->in, st->capin * sizeof(ac_in));
        SIM_ASSERT(st->in != NULL);
    }
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(in, "m");
    ac_in d = { sim_json_int(in, "tag", -1), sim_json_int(m, "v", 0), sim_json_int(m, "t", 0), sim_json_int(m, "r", 0) };
    st->in[st->nin++] = d;
    st->received++;
    if (d.redelivered) st->redelivered++;
    process_next(node, st);
}

static void ac_start(sim_node *node, void *state)
{
    ac_state *st = state;
    const ac_config *c = sim_self_config(node);
    st->cfg = c;
    sim_node_id peers[1024];
    size_t n = sim_cluster_peers(node, peers, 1024), rank = 0;
    while (rank < n && rank < 1024 && peers[rank] < sim_self(node)) rank++;
    st->publisher = (int64_t)rank < c->publishers;
    st->index = st->publisher ? (int64_t)rank : (int64_t)rank - c->publishers;
    st->start_ns = sim_now_ns(sim_of(node));
    if (sim_node_find(sim_of(node), c->brokers[rank % (size_t)c->nbrokers], &st->broker) != 0) {
        sim_check_report(sim_of(node), "amqp-config", false, "amqp-client: a node of 'brokers' does not exist");
        sim_halt(sim_of(node));
        return;
    }
    st->target = st->broker;
    st->heard_ns = st->start_ns;
    if (st->publisher) {
        st->generated = 0;
    } else {
        st->queue = c->queues[st->index % c->nqueues];
        consume(node, st, "consume");
    }
    sim_annotate(node, "role", st->publisher ? "publisher" : "consumer");
    sim_timer_set(node, st->publisher ? c->interval_ns : c->heartbeat_ns, "tick", 0);
}

static void ac_receive(sim_node *node, void *state, const sim_msg *msg)
{
    ac_state *st = state;
    if (msg->corrupted || !st->cfg) return;
    cJSON *in = sim_json_parse(msg);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(in, "type");
    const char *t = cJSON_IsString(type) ? type->valuestring : "";
    if (!st->publisher && msg->from == st->target) st->heard_ns = sim_now_ns(sim_of(node));
    if (strcmp(t, "confirm") == 0 || strcmp(t, "nack") == 0) on_confirm(node, st, in, t[0] == 'c');
    else if (strcmp(t, "deliver") == 0 && !st->publisher) on_deliver(node, st, in);
    else if (strcmp(t, "consume_err") == 0 && !st->publisher) {
        int64_t leader = sim_json_int(in, "leader", -1);
        st->target = leader >= 0 ? (sim_node_id)leader : st->broker;
    }
    cJSON_Delete(in);
}

static void ac_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    ac_state *st = state;
    (void)arg;
    if (strcmp(name, "proc") == 0) return processed(node, st);
    if (st->publisher) publisher_tick(node, st, sim_now_ns(sim_of(node)));
    else {
        /* The target stopped answering (down, or cut off): back to our own broker, which names the leader. */
        int64_t now = sim_now_ns(sim_of(node));
        if (st->heard_ns && now - st->heard_ns > 5 * st->cfg->heartbeat_ns && st->target != st->broker) {
            st->target = st->broker;
            st->heard_ns = now;
        }
        consume(node, st, "consume");      /* registers, or refreshes: the heartbeat */
    }
    sim_timer_set(node, st->publisher ? st->cfg->interval_ns : st->cfg->heartbeat_ns, "tick", 0);
}

static void ac_stop(sim_node *node, void *state)
{
    ac_state *st = state;
    (void)node;
    free(st->out);
    free(st->in);
}

/* ---- options ---------------------------------------------------------------------- */

static int list_option(const cJSON *o, const char *key, char (*out)[48], int *n, size_t width, char *err, size_t errlen)
{
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    if (!v) return 0;
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0 && cJSON_GetArraySize(v) <= AC_MAX_LIST) {
        *n = 0;
        for (const cJSON *e = v->child; e; e = e->next) {
            if (!cJSON_IsString(e) || strlen(e->valuestring) >= width) goto bad;
            snprintf(out[(*n)++], width, "%s", e->valuestring);
        }
        return 0;
    }
bad:
    snprintf(err, errlen, "option '%s' must be a list of 1..%d names", key, AC_MAX_LIST);
    return SIM_EINVAL;
}

static int ac_configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { "brokers", "publishers", "exchange", "keys", "rate", "persistent", "ttl",
                                         "retries", "confirm_timeout", "interval", "stop", "queues", "prefetch",
                                         "process", "nack_every", "heartbeat", NULL };
    ac_config c = { .nkeys = 1, .nqueues = 1, .publishers = 1, .retries = 10, .prefetch = 10, .rate_per_s = 100,
                    .interval_ns = 5 * SIM_NS_PER_MS, .confirm_timeout_ns = 200 * SIM_NS_PER_MS,
                    .process_ns = SIM_NS_PER_MS, .heartbeat_ns = 20 * SIM_NS_PER_MS };
    snprintf(c.queues[0], 48, "q");
    int rc = sim_option_check_known(options, known, err, errlen);
    const cJSON *b = options ? cJSON_GetObjectItemCaseSensitive(options, "brokers") : NULL;
    const cJSON *x = options ? cJSON_GetObjectItemCaseSensitive(options, "exchange") : NULL;
    const cJSON *rate = options ? cJSON_GetObjectItemCaseSensitive(options, "rate") : NULL;
    if (!rc && !b) rc = SIM_EINVAL, snprintf(err, errlen, "option 'brokers' is required: the broker nodes' names");
    if (!rc && b) {
        c.nbrokers = 0;
        for (const cJSON *e = cJSON_IsArray(b) ? b->child : NULL; e && c.nbrokers < AC_MAX_LIST; e = e->next)
            if (cJSON_IsString(e) && strlen(e->valuestring) < 64) snprintf(c.brokers[c.nbrokers++], 64, "%s", e->valuestring);
        if (c.nbrokers == 0) rc = SIM_EINVAL, snprintf(err, errlen, "option 'brokers' must list broker names");
    }
    if (!rc) rc = list_option(options, "keys", c.keys, &c.nkeys, 48, err, errlen);
    if (!rc) rc = list_option(options, "queues", c.queues, &c.nqueues, 48, err, errlen);
    if (!rc && x && (!cJSON_IsString(x) || strlen(x->valuestring) >= 48))
        rc = SIM_EINVAL, snprintf(err, errlen, "option 'exchange' must be an exchange name");
    if (!rc && x) snprintf(c.exchange, 48, "%s", x->valuestring);
    if (!rc && rate && (!cJSON_IsString(rate) || sim_rate_parse(rate->valuestring, &c.rate_per_s) != 0))
        rc = SIM_EINVAL, snprintf(err, errlen, "option 'rate' must be a rate like \"100/s\"");
    if (!rc) rc = sim_option_int(options, "publishers", 0, 1024, &c.publishers, err, errlen);
    if (!rc) rc = sim_option_int(options, "persistent", 0, 1, &c.persistent, err, errlen);
    if (!rc) rc = sim_option_int(options, "retries", 0, 1000000, &c.retries, err, errlen);
    if (!rc) rc = sim_option_int(options, "prefetch", 0, 100000, &c.prefetch, err, errlen);
    if (!rc) rc = sim_option_int(options, "nack_every", 0, 1000000, &c.nack_every, err, errlen);
    if (!rc) rc = sim_option_duration(options, "ttl", &c.ttl_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "confirm_timeout", &c.confirm_timeout_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "interval", &c.interval_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "stop", &c.stop_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "process", &c.process_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "heartbeat", &c.heartbeat_ns, err, errlen);
    if (!rc && (c.interval_ns <= 0 || c.heartbeat_ns <= 0 || c.confirm_timeout_ns <= 0))
        rc = SIM_EINVAL, snprintf(err, errlen, "options 'interval', 'heartbeat', 'confirm_timeout' must be more than 0");
    if (rc) return rc;
    c.ledger = kafka_ledger_new(c.publishers);
    return sim_config_copy(&c, sizeof(c), config);
}

static void ac_release(void *config)
{
    ac_config *c = config;
    if (c) kafka_ledger_free(c->ledger);
    free(c);
}

/* `.state`: {role, queue, received, redelivered, processed, rejected, pending (publisher:
 * unconfirmed), nacked (publisher: nacks received), ledger = the application's summary}. */
static cJSON *ac_state_json(const sim *s, sim_node_id id)
{
    const ac_state *st = sim_node_state(s, id);
    if (!st || !st->cfg) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "role", st->publisher ? "publisher" : "consumer");
    if (st->queue) cJSON_AddStringToObject(o, "queue", st->queue);
    cJSON_AddNumberToObject(o, "received", (double)st->received);
    cJSON_AddNumberToObject(o, "redelivered", (double)st->redelivered);
    cJSON_AddNumberToObject(o, "processed", (double)st->processed);
    cJSON_AddNumberToObject(o, "rejected", (double)st->rejected);
    cJSON_AddNumberToObject(o, "pending", (double)st->nout);
    cJSON_AddNumberToObject(o, "nacked", (double)st->nacked);
    cJSON_AddItemToObject(o, "ledger", kafka_ledger_summary(st->cfg->ledger));
    return o;
}

static const sim_program ac_program = {
    .name = "amqp-client",
    .state_bytes = sizeof(ac_state),
    .start = ac_start,
    .receive = ac_receive,
    .timer = ac_timer,
    .stop = ac_stop,
};

const sim_system sim_system_amqp_client = {
    .name = "amqp-client",
    .summary = "RabbitMQ publishers (confirms, retries) and consumers (prefetch, acks, nacks), with a delivery ledger",
    .program = &ac_program,
    .configure = ac_configure,
    .release = ac_release,
    .state_json = ac_state_json,
};
