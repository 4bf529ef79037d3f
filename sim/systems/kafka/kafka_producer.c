/*
 * The producer of kafka_client. Every `linger` it generates the records due at
 * `rate` (a deterministic count: rate x elapsed time), fills one partition's
 * batch up to `batch` records before moving to the next (Kafka's sticky
 * partitioner), closes every non-empty batch, and sends each partition's oldest
 * closed batch to that partition's leader, one batch in flight per partition
 * (max.in.flight.requests.per.connection = 1, which keeps order across retries).
 *
 *     OPEN --full | linger--> QUEUED --send--> IN FLIGHT --produce_ok--> acknowledged
 *                               ^                 | error | timeout
 *                               +--- tries <= retries  (else: given up, "failed")
 *
 * acks = 0 sends and forgets (nothing is ever acknowledged); 1 waits for the
 * leader's append; all (-1) for the ISR. With idempotent = 1 a batch carries the
 * producer id and a per-partition sequence number, so a retry of a batch that
 * was in fact written is not written again; without it a retry after a lost
 * answer duplicates the batch in the log. Giving up on a batch starts a new
 * producer id for its partition (Kafka bumps the epoch): the sequence has a gap.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/kafka/kafka_client.h"

#define MAX_REQUEST_BATCHES 16       /* batches per produce request (max.request.size) */

static void queue_push(kc_part *p, kc_pbatch b)
{
    if (p->qhead + p->qlen == p->qcap) {
        if (p->qhead > 0) {
            memmove(p->queue, p->queue + p->qhead, p->qlen * sizeof(kc_pbatch));
            p->qhead = 0;
        }
        if (p->qlen == p->qcap) {
            p->qcap = p->qcap ? p->qcap * 2 : 16;
            p->queue = realloc(p->queue, p->qcap * sizeof(kc_pbatch));
            SIM_ASSERT(p->queue != NULL);
        }
    }
    p->queue[p->qhead + p->qlen++] = b;
}

static void close_open(kc_part *p)
{
    if (p->open.n == 0) return;
    p->pseq += p->open.n;
    queue_push(p, p->open);
    p->open.n = 0;
}

static void generate(sim_node *node, kc_state *st, int64_t now)
{
    const kc_config *c = st->cfg;
    int64_t until = c->stop_ns > 0 && now > c->stop_ns ? c->stop_ns : now;
    double elapsed_s = (double)(until - st->start_ns) / 1e9;
    int64_t due = (int64_t)(c->rate_per_s * elapsed_s) - (c->ledger->prod[st->index].next - st->base_seq);
    while (due > 0) {
        kc_part *p = &st->parts[st->sticky];
        int64_t take = c->batch - p->open.n;
        if (take > due) take = due;
        int64_t seq = kafka_ledger_reserve(c->ledger, st->index, take);
        if (p->open.n == 0)
            p->open = (kc_pbatch){ .seq = p->pseq, .v0 = ((st->index + 1) << KC_SEQ_BITS) | seq, .ts_ns = now };
        p->open.n += (uint32_t)take;
        due -= take;
        if (p->open.n >= c->batch) {
            close_open(p);
            st->sticky = (st->sticky + 1) % st->nparts;
        }
    }
    (void)node;
    /* Linger is over: close the open batches, except where a request is in flight
     * and nothing is queued (the batch could not leave now anyway, so it keeps
     * filling: batches grow under load, as Kafka's accumulator makes them). */
    kc_part *sp = &st->parts[st->sticky];
    if (sp->open.n > 0 && !(sp->inflight && sp->qlen == 0)) st->sticky = (st->sticky + 1) % st->nparts;
    for (int i = 0; i < st->nparts; i++) {
        kc_part *p = &st->parts[i];
        if (!(p->inflight && p->qlen == 0)) close_open(p);
    }
}

/* Sends up to MAX_REQUEST_BATCHES queued batches of partition i in one request. */
static void send_head(sim_node *node, kc_state *st, int i)
{
    kc_part *p = &st->parts[i];
    if (p->inflight || p->qlen == 0 || p->leader == SIM_NODE_NONE) return;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "produce");
    cJSON_AddStringToObject(m, "t", st->cfg->topic);
    cJSON_AddNumberToObject(m, "p", i);
    cJSON_AddNumberToObject(m, "acks", (double)st->cfg->acks);
    cJSON *list = cJSON_AddArrayToObject(m, "b");
    size_t k = 0;
    for (; k < p->qlen && k < MAX_REQUEST_BATCHES; k++) {
        const kc_pbatch *b = &p->queue[p->qhead + k];
        int64_t pid = st->pid * 65536 + i * 256 + (p->pid_gen % 256);
        kafka_batch kb = { .pid = st->cfg->idempotent ? pid : -1, .seq = b->seq, .v0 = b->v0,
                           .ts_ns = b->ts_ns, .n = b->n };
        cJSON_AddItemToArray(list, kafka_batch_json(&kb));
    }
    kafka_client_send(node, st, p->leader, m);
    p->nreq = k;
    if (st->cfg->acks == 0) {        /* fire and forget */
        p->qhead += k;
        p->qlen -= k;
        return;
    }
    p->inflight = true;
    p->corr = st->corr;
    p->sent_ns = sim_now_ns(sim_of(node));
    sim_timer_set(node, st->cfg->request_timeout_ns, "rto", (uint64_t)p->corr);
}

void kafka_producer_tick(sim_node *node, kc_state *st)
{
    if (!st->parts) {
        kafka_client_metadata(node, st);
        return;
    }
    bool leaderless = false;
    for (int i = 0; i < st->nparts; i++) leaderless = leaderless || st->parts[i].leader == SIM_NODE_NONE;
    if (!st->meta_ok || leaderless) kafka_client_metadata(node, st);
    generate(node, st, sim_now_ns(sim_of(node)));
    for (int i = 0; i < st->nparts; i++) send_head(node, st, i);
}

static kc_part *inflight_of(kc_state *st, int64_t corr, int *index)
{
    for (int i = 0; i < st->nparts; i++)
        if (st->parts[i].inflight && st->parts[i].corr == corr) return *index = i, &st->parts[i];
    return NULL;
}

/* A new producer id for partition p, sequences from 0 again (Kafka bumps the
 * producer epoch): after a gap in its sequence (a batch given up) or when the
 * leader's idea of it differs (a new leader without our last batches). Ids are
 * per partition, so the bump never touches a request in flight elsewhere, whose
 * retry under a new id would be appended twice. */
static void new_pid(kc_part *p)
{
    p->pid_gen++;
    int64_t seq = 0;
    for (size_t k = 0; k < p->qlen; k++) {
        p->queue[p->qhead + k].seq = seq;
        seq += p->queue[p->qhead + k].n;
    }
    p->pseq = seq;
}

/* A failed attempt: retry (at the next tick, after a metadata refresh) or give up. */
static void attempt_failed(kc_state *st, kc_part *p, bool out_of_order)
{
    p->inflight = false;
    if (out_of_order) new_pid(p);
    if (++p->tries <= st->cfg->retries) {
        st->meta_ok = false;
        return;
    }
    for (size_t k = 0; k < p->nreq; k++) st->cfg->ledger->failed += p->queue[p->qhead + k].n;
    p->qhead += p->nreq;
    p->qlen -= p->nreq;
    p->tries = 0;
    new_pid(p);
}

void kafka_producer_receive(sim_node *node, kc_state *st, const cJSON *in, const char *type)
{
    int i;
    kc_part *p = inflight_of(st, sim_json_int(in, "corr", -1), &i);
    if (!p) return;
    if (strcmp(type, "produce_ok") == 0) {
        for (size_t k = 0; k < p->nreq; k++) {
            const kc_pbatch *b = &p->queue[p->qhead + k];
            kafka_ledger_acked(st->cfg->ledger, b->v0, b->n, sim_now_ns(sim_of(node)) - b->ts_ns);
        }
        p->inflight = false;
        p->tries = 0;
        p->qhead += p->nreq;
        p->qlen -= p->nreq;
        send_head(node, st, i);
    } else if (strcmp(type, "produce_err") == 0) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(in, "error");
        attempt_failed(st, p, cJSON_IsString(e) && strcmp(e->valuestring, KAFKA_OUT_OF_ORDER) == 0);
    }
}

void kafka_producer_timeout(sim_node *node, kc_state *st, uint64_t corr)
{
    int i;
    kc_part *p = inflight_of(st, (int64_t)corr, &i);
    (void)node;
    if (p) attempt_failed(st, p, false);
}
