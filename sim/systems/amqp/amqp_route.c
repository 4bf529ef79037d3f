/*
 * Exchanges and publishing. A publish names an exchange and a routing key; the
 * exchange picks the queues: direct, the bindings whose key equals the routing
 * key; fanout, every bound queue; topic, the bindings whose pattern matches,
 * words separated by dots, `*` standing for exactly one word and `#` for zero or
 * more ("order.*.eu" matches "order.book.eu"; "order.#" matches "order" and
 * "order.book.eu"). The broker the publisher talks to routes the message and
 * sends it to each target queue's leader; the publisher gets one confirm when
 * every target has it safe (synced to disk for a persistent message in a durable
 * queue, committed by a majority for a quorum queue), or a nack when one
 * refused. A message no queue takes is confirmed and counted as unroutable
 * (RabbitMQ drops it unless the publisher asked for `mandatory`).
 *
 *   publisher --publish--> broker --enqueue--> queue leader(s) --enq_ok|enq_err--> broker
 *   broker --confirm | nack (once every target answered)--> publisher
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/amqp/amqp.h"

#define MAX_WORDS 32

typedef struct word { const char *p; size_t len; } word;

static int split(const char *s, word *w)
{
    int n = 0;
    for (;;) {
        const char *e = strchr(s, '.');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (n == MAX_WORDS) return -1;
        w[n++] = (word){ s, len };
        if (!e) return n;
        s = e + 1;
    }
}

static bool is(const word *w, char c)
{
    return w->len == 1 && w->p[0] == c;
}

/* Pattern words p[i..np) against key words k[j..nk); # takes zero or more words. */
static bool match_from(const word *p, int i, int np, const word *k, int j, int nk)
{
    if (i == np) return j == nk;
    if (is(&p[i], '#')) return match_from(p, i + 1, np, k, j, nk) || (j < nk && match_from(p, i, np, k, j + 1, nk));
    if (j == nk) return false;
    if (!is(&p[i], '*') && (p[i].len != k[j].len || memcmp(p[i].p, k[j].p, k[j].len) != 0)) return false;
    return match_from(p, i + 1, np, k, j + 1, nk);
}

bool amqp_topic_match(const char *pattern, const char *key)
{
    word p[MAX_WORDS], k[MAX_WORDS];
    int np = split(pattern, p), nk = key[0] ? split(key, k) : 0;
    return np >= 0 && nk >= 0 && match_from(p, 0, np, k, 0, nk);
}

/* A pattern is words of [A-Za-z0-9_-] or a lone * or #, joined by single dots. */
bool amqp_pattern_valid(const char *pattern)
{
    const char *w = pattern;
    for (;;) {
        const char *e = strchr(w, '.');
        size_t len = e ? (size_t)(e - w) : strlen(w);
        if (len == 0) return false;
        bool wild = len == 1 && (*w == '*' || *w == '#');
        for (size_t i = 0; i < len && !wild; i++) {
            char c = w[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
                return false;
        }
        if (!e) return true;
        w = e + 1;
    }
}

cJSON *amqp_msg_json(const amqp_msg *m)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "v", (double)m->v);
    cJSON_AddStringToObject(j, "k", m->key);
    cJSON_AddNumberToObject(j, "t", (double)m->ts_ns);
    if (m->expires_ns) cJSON_AddNumberToObject(j, "exp", (double)m->expires_ns);
    if (m->persistent) cJSON_AddNumberToObject(j, "p", 1);
    if (m->redelivered) cJSON_AddNumberToObject(j, "r", 1);
    if (m->deaths) cJSON_AddNumberToObject(j, "d", m->deaths);
    return j;
}

void amqp_msg_parse(const cJSON *j, amqp_msg *m)
{
    memset(m, 0, sizeof(*m));
    m->v = sim_json_int(j, "v", 0);
    m->ts_ns = sim_json_int(j, "t", 0);
    m->expires_ns = sim_json_int(j, "exp", 0);
    m->persistent = sim_json_int(j, "p", 0) != 0;
    m->redelivered = sim_json_int(j, "r", 0) != 0;
    m->deaths = (uint8_t)sim_json_int(j, "d", 0);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "k");
    if (cJSON_IsString(k)) snprintf(m->key, sizeof(m->key), "%s", k->valuestring);
}

/* The queues exchange x sends key to, without repeats; returns how many. */
static int route(const amqp_config *c, int x, const char *key, int *out)
{
    int n = 0;
    for (int b = 0; b < AMQP_MAX_BINDINGS && c->bx[b] >= 0; b++) {
        if (c->bx[b] != x) continue;
        bool hit = c->xtype[x] == X_FANOUT || (c->xtype[x] == X_DIRECT && strcmp(c->bkey[b], key) == 0) ||
                   (c->xtype[x] == X_TOPIC && amqp_topic_match(c->bkey[b], key));
        bool seen = false;
        for (int i = 0; i < n; i++) seen = seen || out[i] == c->bq[b];
        if (hit && !seen) out[n++] = c->bq[b];
    }
    return n;
}

static int leader_rank(const amqp_state *st, int qi)
{
    const amqp_queue *q = &st->q[qi];
    return q->leader >= 0 ? q->leader : q->replicas[0];
}

static void route_and_send(sim_node *node, amqp_state *st, int x, const amqp_msg *m, sim_node_id publisher,
                           int64_t corr)
{
    int targets[AMQP_MAX];
    int n = route(st->cfg, x, m->key, targets);
    if (n == 0) {
        st->unroutable++;
        if (publisher != SIM_NODE_NONE) amqp_confirm_to(node, st, publisher, corr, true);
        return;
    }
    if (st->npend == st->cappend) {
        st->cappend = st->cappend ? st->cappend * 2 : 32;
        st->pend = realloc(st->pend, st->cappend * sizeof(*st->pend));
        SIM_ASSERT(st->pend != NULL);
    }
    int64_t id = ++st->next_id;
    st->pend[st->npend++] = (struct amqp_pending){ publisher, corr, id, n, false };
    for (int i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "type", "enqueue");
        cJSON_AddNumberToObject(e, "id", (double)id);
        cJSON_AddStringToObject(e, "q", st->cfg->q[targets[i]].name);
        cJSON_AddItemToObject(e, "m", amqp_msg_json(m));
        amqp_send(node, st->brokers[leader_rank(st, targets[i])], e);
    }
}

/* publish {corr, x, k, v, persist, ttl (ns)} from a publisher */
void amqp_on_publish(sim_node *node, amqp_state *st, const sim_msg *msg, const cJSON *in)
{
    int64_t corr = sim_json_int(in, "corr", -1);
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(in, "x"), *k = cJSON_GetObjectItemCaseSensitive(in, "k");
    int xi = -1;
    for (int i = 0; i < st->cfg->nx && cJSON_IsString(x); i++)
        if (strcmp(st->cfg->xname[i], x->valuestring) == 0) xi = i;
    if (xi < 0 || !cJSON_IsString(k) || strlen(k->valuestring) >= AMQP_NAME) {
        amqp_confirm_to(node, st, msg->from, corr, false);
        return;
    }
    amqp_msg m = { .v = sim_json_int(in, "v", 0), .ts_ns = sim_json_int(in, "ts", 0),
                   .persistent = sim_json_int(in, "persist", 0) != 0 };
    int64_t ttl = sim_json_int(in, "ttl", 0);
    if (ttl > 0) m.expires_ns = sim_now_ns(sim_of(node)) + ttl;
    snprintf(m.key, sizeof(m.key), "%s", k->valuestring);
    st->published++;
    route_and_send(node, st, xi, &m, msg->from, corr);
}

/* Dead-lettering: republish m to exchange x from inside the broker (no confirm). */
void amqp_publish_local(sim_node *node, amqp_state *st, int x, const amqp_msg *m)
{
    amqp_msg d = *m;
    d.deaths++;
    d.expires_ns = 0;
    d.redelivered = 0;
    if (d.deaths > 8) return;      /* a dead-letter cycle: give up, as RabbitMQ drops cycles */
    route_and_send(node, st, x, &d, SIM_NODE_NONE, -1);
}

/* enq_ok / enq_err {id} from a queue leader */
void amqp_on_enqueue_result(sim_node *node, amqp_state *st, const cJSON *in, bool ok)
{
    int64_t id = sim_json_int(in, "id", -1);
    for (size_t i = 0; i < st->npend; i++) {
        struct amqp_pending *p = &st->pend[i];
        if (p->id != id) continue;
        p->nacked = p->nacked || !ok;
        if (--p->outstanding > 0) return;
        if (p->publisher != SIM_NODE_NONE) amqp_confirm_to(node, st, p->publisher, p->corr, !p->nacked);
        st->pend[i] = st->pend[--st->npend];
        return;
    }
}
