/*
 * kafka_client: the program, options and `.state` of Kafka producers and
 * consumers (see kafka_client.h; the roles are kafka_producer.c and
 * kafka_consumer.c). Both learn partition leaders (and the consumers the group
 * coordinator) from a broker's metadata, asking the bootstrap brokers in turn,
 * and ask again after any error that says the leader moved.
 *
 * Options: brokers (names, required), topic ("events"), producers (how many of
 * the cluster's nodes produce; the rest consume), rate ("1000/s" per producer),
 * acks (0, 1 or "all"), batch (records), linger ("5ms"), retries, idempotent
 * (0/1), request_timeout, stop (when producers stop), group_id, assignment
 * ("range" | "roundrobin"), commit ("after": at-least-once | "before":
 * at-most-once), process (time to process a fetch), poll_wait (long poll),
 * session_timeout, heartbeat, idle (the last `idle` consumers wait for an
 * injected {type="join"}).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/kafka/kafka_client.h"
#include "sim/systems/system.h"
#include "sim/units.h"

void kafka_client_send(sim_node *node, kc_state *st, sim_node_id to, cJSON *m)
{
    cJSON_AddNumberToObject(m, "corr", (double)++st->corr);
    if (to != SIM_NODE_NONE) sim_json_send(node, to, m);
    cJSON_Delete(m);
}

void kafka_client_metadata(sim_node *node, kc_state *st)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "metadata");
    cJSON_AddStringToObject(m, "t", st->cfg->topic);
    st->rr = (st->rr + 1) % st->nbrokers;
    kafka_client_send(node, st, st->brokers[st->rr], m);
}

/* metadata_ok {t, leaders: [node id | -1], ctrl}: learn the partitions' leaders. */
bool kafka_client_on_metadata(sim_node *node, kc_state *st, const cJSON *in, const char *type)
{
    if (strcmp(type, "metadata_ok") != 0) return strcmp(type, "metadata_err") == 0;
    const cJSON *leaders = cJSON_GetObjectItemCaseSensitive(in, "leaders");
    int n = cJSON_IsArray(leaders) ? cJSON_GetArraySize(leaders) : 0;
    if (n <= 0) return true;
    if (!st->parts) {
        st->parts = calloc((size_t)n, sizeof(kc_part));
        SIM_ASSERT(st->parts != NULL);
        st->nparts = n;
        st->sticky = (int64_t)sim_rng_below(sim_self_rng(node), (uint64_t)n);
    }
    int i = 0;
    bool all = true;
    for (const cJSON *l = leaders->child; l && i < st->nparts; l = l->next, i++) {
        double id = cJSON_IsNumber(l) ? l->valuedouble : -1;
        st->parts[i].leader = id >= 0 ? (sim_node_id)id : SIM_NODE_NONE;
        all = all && id >= 0;
    }
    double ctrl = sim_json_int(in, "ctrl", -1);
    st->coordinator = ctrl >= 0 ? (sim_node_id)ctrl : SIM_NODE_NONE;
    st->meta_ok = all || st->producer;     /* a producer sends what it can; leaderless partitions wait */
    return true;
}

static void kc_start(sim_node *node, void *state)
{
    kc_state *st = state;
    const kc_config *c = sim_self_config(node);
    st->cfg = c;
    sim_node_id peers[1024];
    size_t n = sim_cluster_peers(node, peers, 1024), rank = 0;
    while (rank < n && rank < 1024 && peers[rank] < sim_self(node)) rank++;
    st->producer = (int64_t)rank < c->producers;
    st->index = st->producer ? (int64_t)rank : (int64_t)rank - c->producers;
    st->coordinator = SIM_NODE_NONE;
    st->gen = -1;
    st->start_ns = sim_now_ns(sim_of(node));
    /* a producer id per incarnation (then per partition, kafka_producer.c): node and start time */
    st->pid = (int64_t)sim_self(node) * (INT64_C(1) << 20) + (st->start_ns / SIM_NS_PER_MS) % (INT64_C(1) << 20);
    for (int64_t i = 0; i < c->nbrokers; i++) {
        sim_node_id id;
        if (sim_node_find(sim_of(node), c->brokers[i], &id) == 0) st->brokers[st->nbrokers++] = id;
    }
    if (st->nbrokers == 0) {
        sim_check_report(sim_of(node), "kafka-config", false, "kafka_client: no node of 'brokers' exists");
        sim_halt(sim_of(node));
        return;
    }
    if (st->producer) st->base_seq = c->ledger->prod[st->index].next;
    int64_t consumers = (int64_t)n + 1 - c->producers;
    st->left = !st->producer && st->index >= consumers - c->idle;
    sim_annotate(node, "role", st->producer ? "producer" : "consumer");
    sim_timer_set(node, st->producer ? c->linger_ns : c->heartbeat_ns, "tick", 0);
}

static void kc_receive(sim_node *node, void *state, const sim_msg *msg)
{
    kc_state *st = state;
    if (msg->corrupted || !st->cfg || st->nbrokers == 0) return;
    cJSON *in = sim_json_parse(msg);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(in, "type");
    if (cJSON_IsString(type) && !kafka_client_on_metadata(node, st, in, type->valuestring)) {
        if (st->producer) kafka_producer_receive(node, st, in, type->valuestring);
        else kafka_consumer_receive(node, st, in, type->valuestring);
    }
    cJSON_Delete(in);
}

static void kc_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    kc_state *st = state;
    if (strcmp(name, "rto") == 0) return kafka_producer_timeout(node, st, arg);
    if (strcmp(name, "process") == 0) return kafka_consumer_process(node, st);
    if (st->producer) kafka_producer_tick(node, st);
    else kafka_consumer_tick(node, st);
    sim_timer_set(node, st->producer ? st->cfg->linger_ns : st->cfg->heartbeat_ns, "tick", 0);
}

static void kc_stop(sim_node *node, void *state)
{
    kc_state *st = state;
    (void)node;
    for (int i = 0; i < st->nparts; i++) {
        free(st->parts[i].queue);
        free(st->parts[i].last_seq);
    }
    free(st->parts);
    free(st->work);
}

/* ---- options ---------------------------------------------------------------------- */

static int string_option(const cJSON *o, const char *key, char *out, size_t len, char *err, size_t errlen)
{
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    if (!v) return 0;
    if (cJSON_IsString(v) && v->valuestring[0] && strlen(v->valuestring) < len) {
        snprintf(out, len, "%s", v->valuestring);
        return 0;
    }
    snprintf(err, errlen, "option '%s' must be a name of 1..%zu characters", key, len - 1);
    return SIM_EINVAL;
}

static int choice_option(const cJSON *o, const char *key, const char *a, const char *b, int64_t *out, char *err,
                         size_t errlen)
{
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    if (!v) return 0;
    if (cJSON_IsString(v) && strcmp(v->valuestring, a) == 0) return *out = 0, 0;
    if (cJSON_IsString(v) && strcmp(v->valuestring, b) == 0) return *out = 1, 0;
    snprintf(err, errlen, "option '%s' must be \"%s\" or \"%s\"", key, a, b);
    return SIM_EINVAL;
}

static int brokers_option(const cJSON *o, kc_config *c, char *err, size_t errlen)
{
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, "brokers") : NULL;
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0 && cJSON_GetArraySize(v) <= KC_MAX_BROKERS) {
        for (const cJSON *e = v->child; e; e = e->next) {
            if (!cJSON_IsString(e) || strlen(e->valuestring) >= 64) goto bad;
            snprintf(c->brokers[c->nbrokers++], 64, "%s", e->valuestring);
        }
        return 0;
    }
bad:
    snprintf(err, errlen, "option 'brokers' must list the broker nodes' names, e.g. {\"k1\", \"k2\"}");
    return SIM_EINVAL;
}

static int numbers_option(const cJSON *o, kc_config *c, char *err, size_t errlen)
{
    const cJSON *acks = o ? cJSON_GetObjectItemCaseSensitive(o, "acks") : NULL;
    if (acks && !(cJSON_IsString(acks) && strcmp(acks->valuestring, "all") == 0)) {
        if (!cJSON_IsNumber(acks) || (acks->valuedouble != 0 && acks->valuedouble != 1)) {
            snprintf(err, errlen, "option 'acks' must be 0, 1 or \"all\"");
            return SIM_EINVAL;
        }
        c->acks = (int64_t)acks->valuedouble;
    }
    const cJSON *rate = o ? cJSON_GetObjectItemCaseSensitive(o, "rate") : NULL;
    if (rate && (!cJSON_IsString(rate) || sim_rate_parse(rate->valuestring, &c->rate_per_s) != 0)) {
        snprintf(err, errlen, "option 'rate' must be a rate like \"1000/s\"");
        return SIM_EINVAL;
    }
    int rc = sim_option_int(o, "producers", 0, 1024, &c->producers, err, errlen);
    if (!rc) rc = sim_option_int(o, "batch", 1, 1000000, &c->batch, err, errlen);
    if (!rc) rc = sim_option_int(o, "retries", 0, 1000000, &c->retries, err, errlen);
    if (!rc) rc = sim_option_int(o, "idempotent", 0, 1, &c->idempotent, err, errlen);
    if (!rc) rc = sim_option_int(o, "idle", 0, 1024, &c->idle, err, errlen);
    if (!rc) rc = sim_option_duration(o, "linger", &c->linger_ns, err, errlen);
    if (!rc) rc = sim_option_duration(o, "request_timeout", &c->request_timeout_ns, err, errlen);
    if (!rc) rc = sim_option_duration(o, "stop", &c->stop_ns, err, errlen);
    if (!rc) rc = sim_option_duration(o, "process", &c->process_ns, err, errlen);
    if (!rc) rc = sim_option_duration(o, "poll_wait", &c->poll_wait_ns, err, errlen);
    if (!rc) rc = sim_option_duration(o, "session_timeout", &c->session_ns, err, errlen);
    if (!rc) rc = sim_option_duration(o, "heartbeat", &c->heartbeat_ns, err, errlen);
    return rc;
}

static int kc_configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { "brokers", "topic", "producers", "rate", "acks", "batch", "linger",
                                         "retries", "idempotent", "request_timeout", "stop", "group_id", "assignment",
                                         "commit", "process", "poll_wait", "session_timeout", "heartbeat", "idle",
                                         NULL };
    kc_config c = { .producers = 1, .acks = -1, .batch = 100, .retries = 5, .rate_per_s = 1000,
                    .linger_ns = 5 * SIM_NS_PER_MS, .request_timeout_ns = 200 * SIM_NS_PER_MS,
                    .poll_wait_ns = 50 * SIM_NS_PER_MS, .session_ns = 150 * SIM_NS_PER_MS,
                    .heartbeat_ns = 30 * SIM_NS_PER_MS };
    snprintf(c.topic, sizeof(c.topic), "events");
    int rc = sim_option_check_known(options, known, err, errlen);
    if (!rc) rc = brokers_option(options, &c, err, errlen);
    if (!rc) rc = string_option(options, "topic", c.topic, sizeof(c.topic), err, errlen);
    if (!rc) rc = string_option(options, "group_id", c.group, sizeof(c.group), err, errlen);
    if (!rc) rc = choice_option(options, "assignment", "range", "roundrobin", &c.roundrobin, err, errlen);
    if (!rc) rc = choice_option(options, "commit", "after", "before", &c.commit_before, err, errlen);
    if (!rc) rc = numbers_option(options, &c, err, errlen);
    if (!rc && !c.group[0] && options && cJSON_GetObjectItemCaseSensitive(options, "commit")) {
        snprintf(err, errlen, "option 'commit' needs a 'group_id': a consumer in no group has no offsets to commit");
        rc = SIM_EINVAL;
    }
    if (!rc && !c.group[0]) snprintf(c.group, sizeof(c.group), "app");
    if (!rc && (c.linger_ns <= 0 || c.heartbeat_ns <= 0 || c.request_timeout_ns <= 0)) {
        snprintf(err, errlen, "options 'linger', 'heartbeat' and 'request_timeout' must be more than 0");
        rc = SIM_EINVAL;
    }
    if (rc) return rc;
    c.ledger = kafka_ledger_new(c.producers);
    return sim_config_copy(&c, sizeof(c), config);
}

static void kc_release(void *config)
{
    kc_config *c = config;
    if (c) kafka_ledger_free(c->ledger);
    free(c);
}

/* `.state`: {role, gen (consumers), partitions = [{partition, position, hw}] (assigned),
 * lag (sum of hw - position), ledger = the application's summary (kafka_ledger_summary)}. */
static cJSON *kc_state_json(const sim *s, sim_node_id id)
{
    const kc_state *st = sim_node_state(s, id);
    if (!st || !st->cfg) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "role", st->producer ? "producer" : "consumer");
    if (!st->producer) {
        cJSON_AddNumberToObject(o, "gen", (double)st->gen);
        cJSON *a = cJSON_AddArrayToObject(o, "partitions");
        int64_t lag = 0;
        for (int i = 0; i < st->nparts; i++) {
            const kc_part *p = &st->parts[i];
            if (!p->assigned) continue;
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "partition", i);
            cJSON_AddNumberToObject(e, "position", (double)p->pos);
            cJSON_AddNumberToObject(e, "hw", (double)p->hw);
            cJSON_AddItemToArray(a, e);
            lag += p->hw > p->pos ? p->hw - p->pos : 0;
        }
        cJSON_AddNumberToObject(o, "lag", (double)lag);
    }
    cJSON_AddItemToObject(o, "ledger", kafka_ledger_summary(st->cfg->ledger));
    return o;
}

static const sim_program kc_program = {
    .name = "kafka-client",
    .state_bytes = sizeof(kc_state),
    .start = kc_start,
    .receive = kc_receive,
    .timer = kc_timer,
    .stop = kc_stop,
};

const sim_system sim_system_kafka_client = {
    .name = "kafka-client",
    .summary = "Kafka producers (acks, batching, retries, idempotence) and a consumer group, with a delivery ledger",
    .program = &kc_program,
    .configure = kc_configure,
    .release = kc_release,
    .state_json = kc_state_json,
};
