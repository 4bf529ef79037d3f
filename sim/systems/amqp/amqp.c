/*
 * amqp: the broker program of a RabbitMQ-style push broker (files: amqp.h).
 * Exchanges, queues and bindings come from the options, the same on every
 * broker:
 *
 *   dsim.cluster{ system = "amqp", count = 3,
 *     exchanges = { orders = "direct", logs = "fanout", events = "topic" },
 *     queues = { q = { durable = 1, type = "classic" | "quorum" | "mirrored",
 *                      dlx = "dead", ttl = "1s", home = 1, replicas = 3 } },
 *     bindings = { { "events", "q", "order.*.eu" }, ... },
 *     heartbeat = "10ms", election_timeout = "100ms", consumer_timeout = "100ms" }
 *
 * Brokers heartbeat one another (bhb) every `heartbeat`; a broker not heard for
 * election_timeout is down to the listener (mirrored queues promote by it, a
 * quorum leader steps down without a majority of it).
 *
 * Invariants: A1 a confirmed message of a quorum queue is in a majority of its
 * replicas' logs; A2 a confirmed persistent message of a durable classic queue
 * survives its broker's crash until acked; A3 a message is delivered to at most
 * one consumer at a time per queue leader. Scenarios check what they imply
 * through amqp-client's ledger (lost, duplicates) under faults.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/amqp/amqp.h"
#include "sim/systems/system.h"
#include "sim/units.h"

int amqp_rank_of(const amqp_state *st, sim_node_id id)
{
    for (int i = 0; i < st->nb; i++)
        if (st->brokers[i] == id) return i;
    return -1;
}

void amqp_send(sim_node *node, sim_node_id to, cJSON *m)
{
    if (to != SIM_NODE_NONE) sim_json_send(node, to, m);
    cJSON_Delete(m);
}

bool amqp_alive(const amqp_state *st, int rank, int64_t now_ns)
{
    if (rank == st->rank) return true;
    return rank >= 0 && st->heard_ns[rank] > 0 && now_ns - st->heard_ns[rank] <= st->cfg->election_ns;
}

static uint32_t fnv(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static void place_queues(sim_node *node, amqp_state *st, bool restarted)
{
    for (int i = 0; i < st->cfg->nq; i++) {
        const amqp_qdef *d = &st->cfg->q[i];
        amqp_queue *q = &st->q[i];
        q->def = i;
        int home = d->home >= 0 ? d->home % st->nb : (int)(fnv(d->name) % (uint32_t)st->nb);
        q->nrep = d->type == Q_CLASSIC ? 1 : (d->nrep < st->nb ? d->nrep : st->nb);
        for (int k = 0; k < q->nrep; k++) {
            q->replicas[k] = (home + k) % st->nb;
            if (q->replicas[k] == st->rank) q->hosted = true;
        }
        q->leader = restarted && d->type == Q_QUORUM ? -1 : q->replicas[0];
        q->term = restarted ? 0 : 1;
        if (restarted && q->hosted) amqp_queue_recover(node, st, q);
    }
}

static void amqp_start(sim_node *node, void *state)
{
    amqp_state *st = state;
    st->cfg = sim_self_config(node);
    sim_node_id peers[AMQP_MAX_BROKERS];
    size_t n = sim_cluster_peers(node, peers, AMQP_MAX_BROKERS - 1);
    bool placed = false;
    for (size_t i = 0; i <= n; i++) {
        if (!placed && (i == n || peers[i] > sim_self(node))) {
            st->rank = st->nb;
            st->brokers[st->nb++] = sim_self(node);
            placed = true;
        }
        if (i < n) st->brokers[st->nb++] = peers[i];
    }
    sim_disk *d = sim_self_disk(node);
    bool restarted = sim_disk_read(d, "boot", NULL) != NULL;
    if (!restarted) {
        SIM_ASSERT(sim_disk_write(d, "boot", "1", 1) == 0);
        sim_disk_sync(d);
    }
    for (int r = 0; r < st->nb; r++) st->heard_ns[r] = sim_now_ns(sim_of(node));   /* presumed up at first */
    place_queues(node, st, restarted);
    sim_timer_set(node, st->cfg->heartbeat_ns, "tick", 0);
}

static void dispatch(sim_node *node, amqp_state *st, const sim_msg *msg, const cJSON *in, const char *t)
{
    int rank = amqp_rank_of(st, msg->from);
    if (rank >= 0) st->heard_ns[rank] = sim_now_ns(sim_of(node));
    if (strcmp(t, "publish") == 0) amqp_on_publish(node, st, msg, in);
    else if (strcmp(t, "enqueue") == 0) amqp_on_enqueue(node, st, msg, in);
    else if (strcmp(t, "enq_ok") == 0) amqp_on_enqueue_result(node, st, in, true);
    else if (strcmp(t, "enq_err") == 0) amqp_on_enqueue_result(node, st, in, false);
    else if (strcmp(t, "consume") == 0 || strcmp(t, "chb") == 0) amqp_on_consume(node, st, msg, in);
    else if (strcmp(t, "ack") == 0) amqp_on_ack(node, st, msg, in, true);
    else if (strcmp(t, "nack") == 0) amqp_on_ack(node, st, msg, in, false);
    else if (strcmp(t, "bhb") != 0) amqp_on_repl(node, st, msg, in, t);
}

static void amqp_receive(sim_node *node, void *state, const sim_msg *msg)
{
    amqp_state *st = state;
    if (msg->corrupted) return;
    cJSON *in = sim_json_parse(msg);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(in, "type");
    if (cJSON_IsString(type)) dispatch(node, st, msg, in, type->valuestring);
    cJSON_Delete(in);
}

static void amqp_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    amqp_state *st = state;
    (void)arg;
    if (strcmp(name, "tick") != 0) return;
    cJSON *hb = cJSON_CreateObject();
    cJSON_AddStringToObject(hb, "type", "bhb");
    for (int r = 0; r < st->nb; r++)
        if (r != st->rank) sim_json_send(node, st->brokers[r], hb);
    cJSON_Delete(hb);
    int64_t now = sim_now_ns(sim_of(node));
    for (int i = 0; i < st->cfg->nq; i++) {
        amqp_repl_tick(node, st, &st->q[i], now);
        amqp_queue_tick(node, st, &st->q[i], now);
    }
    sim_timer_set(node, st->cfg->heartbeat_ns, "tick", 0);
}

static void amqp_stop(sim_node *node, void *state)
{
    amqp_state *st = state;
    (void)node;
    for (int i = 0; i < AMQP_MAX; i++) amqp_queue_free(&st->q[i]);
    free(st->pend);
}

/* ---- options ---------------------------------------------------------------------- */

static int find_name(char (*names)[AMQP_NAME], int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

static int exchanges_option(const cJSON *o, amqp_config *c, char *err, size_t errlen)
{
    static const char *const types[] = { "direct", "fanout", "topic" };
    for (const cJSON *e = o ? o->child : NULL; e; e = e->next) {
        if (c->nx == AMQP_MAX || strlen(e->string) >= AMQP_NAME || !e->string[0]) {
            snprintf(err, errlen, "option 'exchanges': at most %d, names of 1..%d characters", AMQP_MAX, AMQP_NAME - 1);
            return SIM_EINVAL;
        }
        int t = -1;
        for (int k = 0; k < 3 && cJSON_IsString(e); k++)
            if (strcmp(e->valuestring, types[k]) == 0) t = k;
        if (t < 0) {
            snprintf(err, errlen, "exchange '%s': unknown type '%s' (direct, fanout or topic)", e->string,
                     cJSON_IsString(e) ? e->valuestring : "?");
            return SIM_EINVAL;
        }
        snprintf(c->xname[c->nx], AMQP_NAME, "%s", e->string);
        c->xtype[c->nx++] = t;
    }
    return 0;
}

static int queue_option(const cJSON *e, amqp_config *c, amqp_qdef *d, char *err, size_t errlen)
{
    static const char *const known[] = { "durable", "type", "dlx", "ttl", "home", "replicas", NULL };
    char sub[256];
    int64_t durable = 1, home = 0, nrep = 3;
    int rc = sim_option_check_known(e, known, sub, sizeof(sub));
    if (!rc) rc = sim_option_int(e, "durable", 0, 1, &durable, sub, sizeof(sub));
    if (!rc) rc = sim_option_int(e, "home", 1, AMQP_MAX_BROKERS, &home, sub, sizeof(sub));
    if (!rc) rc = sim_option_int(e, "replicas", 1, AMQP_MAX_REPLICAS, &nrep, sub, sizeof(sub));
    if (!rc) rc = sim_option_duration(e, "ttl", &d->ttl_ns, sub, sizeof(sub));
    const cJSON *t = e ? cJSON_GetObjectItemCaseSensitive(e, "type") : NULL, *x = e ? cJSON_GetObjectItemCaseSensitive(e, "dlx") : NULL;
    d->type = !t ? Q_CLASSIC : !cJSON_IsString(t) ? -1 : strcmp(t->valuestring, "classic") == 0 ? Q_CLASSIC
              : strcmp(t->valuestring, "quorum") == 0 ? Q_QUORUM : strcmp(t->valuestring, "mirrored") == 0 ? Q_MIRRORED : -1;
    if (!rc && d->type < 0) rc = SIM_EINVAL, snprintf(sub, sizeof(sub), "'type' must be classic, quorum or mirrored");
    d->dlx = x && cJSON_IsString(x) ? find_name(c->xname, c->nx, x->valuestring) : -1;
    if (!rc && x && d->dlx < 0) rc = SIM_EINVAL, snprintf(sub, sizeof(sub), "'dlx' must name an exchange");
    d->durable = (int)durable;
    d->home = (int)home - 1;
    d->nrep = (int)nrep;
    if (rc) snprintf(err, errlen, "queue '%s': %s", d->name, sub);
    return rc;
}

static int queues_option(const cJSON *o, amqp_config *c, char *err, size_t errlen)
{
    for (const cJSON *e = o ? o->child : NULL; e; e = e->next) {
        bool empty = cJSON_IsArray(e) && cJSON_GetArraySize(e) == 0;      /* {} from Lua */
        if (c->nq == AMQP_MAX || strlen(e->string) >= AMQP_NAME || !e->string[0] || (!cJSON_IsObject(e) && !empty)) {
            snprintf(err, errlen, "option 'queues': name = { options } each, at most %d", AMQP_MAX);
            return SIM_EINVAL;
        }
        amqp_qdef *d = &c->q[c->nq++];
        snprintf(d->name, AMQP_NAME, "%s", e->string);
        int rc = queue_option(empty ? NULL : e, c, d, err, errlen);
        if (rc) return rc;
    }
    return 0;
}

static int bindings_option(const cJSON *o, amqp_config *c, char *err, size_t errlen)
{
    int n = 0;
    for (const cJSON *e = o ? o->child : NULL; e; e = e->next, n++) {
        const cJSON *x = cJSON_GetArrayItem(e, 0), *q = cJSON_GetArrayItem(e, 1), *k = cJSON_GetArrayItem(e, 2);
        int xi = cJSON_IsString(x) ? find_name(c->xname, c->nx, x->valuestring) : -1;
        int qi = -1;
        for (int i = 0; i < c->nq && cJSON_IsString(q); i++)
            if (strcmp(c->q[i].name, q->valuestring) == 0) qi = i;
        if (n == AMQP_MAX_BINDINGS || xi < 0 || qi < 0 || (k && (!cJSON_IsString(k) || strlen(k->valuestring) >= AMQP_NAME))) {
            snprintf(err, errlen, "binding %d: must be { exchange, queue, key } naming a declared exchange and queue", n + 1);
            return SIM_EINVAL;
        }
        const char *key = k ? k->valuestring : "";
        if (c->xtype[xi] == X_TOPIC && !amqp_pattern_valid(key)) {
            snprintf(err, errlen, "binding %d: malformed topic pattern '%s' (words, '*' or '#', separated by single dots)",
                     n + 1, key);
            return SIM_EINVAL;
        }
        c->bx[n] = xi;
        c->bq[n] = qi;
        snprintf(c->bkey[n], AMQP_NAME, "%s", key);
    }
    return 0;
}

static int amqp_configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { "exchanges", "queues", "bindings", "heartbeat", "election_timeout",
                                         "consumer_timeout", NULL };
    amqp_config c = { .heartbeat_ns = 10 * SIM_NS_PER_MS, .election_ns = 100 * SIM_NS_PER_MS,
                      .consumer_timeout_ns = 100 * SIM_NS_PER_MS };
    for (int i = 0; i < AMQP_MAX_BINDINGS; i++) c.bx[i] = -1;
    int rc = sim_option_check_known(options, known, err, errlen);
    const cJSON *x = options ? cJSON_GetObjectItemCaseSensitive(options, "exchanges") : NULL;
    const cJSON *q = options ? cJSON_GetObjectItemCaseSensitive(options, "queues") : NULL;
    const cJSON *b = options ? cJSON_GetObjectItemCaseSensitive(options, "bindings") : NULL;
    if (!rc && ((x && !cJSON_IsObject(x)) || (q && !cJSON_IsObject(q)) || (b && !cJSON_IsArray(b)))) {
        snprintf(err, errlen, "options 'exchanges' and 'queues' must be tables of name = ..., 'bindings' a list");
        rc = SIM_EINVAL;
    }
    if (!rc) rc = exchanges_option(x, &c, err, errlen);
    if (!rc) rc = queues_option(q, &c, err, errlen);
    if (!rc) rc = bindings_option(b, &c, err, errlen);
    if (!rc) rc = sim_option_duration(options, "heartbeat", &c.heartbeat_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "election_timeout", &c.election_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "consumer_timeout", &c.consumer_timeout_ns, err, errlen);
    if (!rc && (c.heartbeat_ns <= 0 || c.election_ns <= c.heartbeat_ns || c.consumer_timeout_ns <= 0)) {
        snprintf(err, errlen, "option 'election_timeout' must exceed 'heartbeat' (> 0), 'consumer_timeout' > 0");
        rc = SIM_EINVAL;
    }
    if (rc) return rc;
    return sim_config_copy(&c, sizeof(c), config);
}

/* `.state`: {rank, queues = [{name, leader (rank, 1-based; 0 none), term, ready, unacked,
 * consumers, enqueued, delivered, redelivered, acked, dead_lettered, expired}]}: hosted queues. */
static cJSON *amqp_state_json(const sim *s, sim_node_id id)
{
    const amqp_state *st = sim_node_state(s, id);
    if (!st || !st->cfg) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "rank", st->rank + 1);
    cJSON_AddNumberToObject(o, "unroutable", (double)st->unroutable);
    cJSON *a = cJSON_AddArrayToObject(o, "queues");
    for (int i = 0; i < st->cfg->nq; i++) {
        const amqp_queue *q = &st->q[i];
        if (!q->hosted) continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", st->cfg->q[i].name);
        cJSON_AddNumberToObject(e, "leader", q->leader + 1);
        cJSON_AddNumberToObject(e, "term", (double)q->term);
        cJSON_AddNumberToObject(e, "ready", (double)q->n);
        cJSON_AddNumberToObject(e, "unacked", (double)q->nunacked);
        cJSON_AddNumberToObject(e, "consumers", (double)q->nconsumers);
        cJSON_AddNumberToObject(e, "enqueued", (double)q->enqueued);
        cJSON_AddNumberToObject(e, "delivered", (double)q->delivered);
        cJSON_AddNumberToObject(e, "redelivered", (double)q->redelivered);
        cJSON_AddNumberToObject(e, "acked", (double)q->acked);
        cJSON_AddNumberToObject(e, "dead_lettered", (double)q->dead_lettered);
        cJSON_AddNumberToObject(e, "expired", (double)q->expired);
        cJSON_AddItemToArray(a, e);
    }
    return o;
}

static const sim_program amqp_program = {
    .name = "amqp",
    .state_bytes = sizeof(amqp_state),
    .start = amqp_start,
    .receive = amqp_receive,
    .timer = amqp_timer,
    .stop = amqp_stop,
};

const sim_system sim_system_amqp = {
    .name = "amqp",
    .summary = "a RabbitMQ-style push broker: exchanges, bindings, confirms, prefetch, DLX, quorum and mirrored queues",
    .program = &amqp_program,
    .configure = amqp_configure,
    .release = free,
    .state_json = amqp_state_json,
};
