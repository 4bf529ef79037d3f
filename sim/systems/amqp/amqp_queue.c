/*
 * A queue on its leader broker: messages wait in `ready` (FIFO) and are pushed
 * to the queue's consumers in turn, each holding at most `prefetch` unacked
 * deliveries (basic.qos). A delivery stays unacked until the consumer acks it
 * (done), nacks it with requeue (back to the head, flagged redelivered) or
 * without (dead-lettered to the queue's dead-letter exchange, if any, else
 * dropped). A consumer that stops heartbeating for consumer_timeout is gone:
 * its unacked deliveries return to the head of the queue, redelivered = true.
 * A message past its TTL (per message, or the queue's default) is dead-lettered
 * instead of delivered.
 *
 *     READY --push (consumer under prefetch)--> UNACKED --ack--> gone
 *       ^  |                                      |--nack(requeue) | consumer gone--> READY (redelivered)
 *       |  +--TTL expired--> dead-letter exchange <--nack(no requeue)--+
 *
 * Durability (classic queues): a persistent message in a durable queue is
 * written to the broker's disk and synced before it is confirmed, and removed
 * on ack; after a crash the broker recovers it (flagged redelivered, since it
 * may have been delivered). Transient messages, and every message of a
 * non-durable queue, live in memory only and die with the broker.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/amqp/amqp.h"

bool amqp_is_leader(const amqp_state *st, const amqp_queue *q)
{
    if (!q->hosted) return false;
    if (st->cfg->q[q->def].type == Q_CLASSIC) return q->replicas[0] == st->rank;
    return q->leader == st->rank;
}

void amqp_confirm_to(sim_node *node, amqp_state *st, sim_node_id to, int64_t corr, bool ok)
{
    (void)st;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", ok ? "confirm" : "nack");
    cJSON_AddNumberToObject(m, "corr", (double)corr);
    amqp_send(node, to, m);
}

static void enq_result(sim_node *node, sim_node_id to, int64_t id, bool ok)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", ok ? "enq_ok" : "enq_err");
    cJSON_AddNumberToObject(m, "id", (double)id);
    amqp_send(node, to, m);
}

void amqp_queue_push(amqp_queue *q, const amqp_msg *m)
{
    if (q->head + q->n == q->cap) {
        if (q->head > 0) {
            memmove(q->ready, q->ready + q->head, q->n * sizeof(amqp_msg));
            q->head = 0;
        }
        if (q->n == q->cap) {
            q->cap = q->cap ? q->cap * 2 : 64;
            q->ready = realloc(q->ready, q->cap * sizeof(amqp_msg));
            SIM_ASSERT(q->ready != NULL);
        }
    }
    q->ready[q->head + q->n++] = *m;
}

static void push_front(amqp_queue *q, const amqp_msg *m)
{
    if (q->head == 0) {
        amqp_queue_push(q, m);                    /* makes room, then rotate it to the front */
        amqp_msg last = q->ready[q->head + q->n - 1];
        memmove(q->ready + q->head + 1, q->ready + q->head, (q->n - 1) * sizeof(amqp_msg));
        q->ready[q->head] = last;
        return;
    }
    q->ready[--q->head] = *m;
    q->n++;
}

static const amqp_qdef *qdef(const amqp_state *st, const amqp_queue *q)
{
    return &st->cfg->q[q->def];
}

static bool persisted(const amqp_state *st, const amqp_queue *q, const amqp_msg *m)
{
    return qdef(st, q)->type == Q_CLASSIC && qdef(st, q)->durable && m->persistent;
}

static void disk_key(char *key, size_t len, const amqp_state *st, const amqp_queue *q, int64_t seq)
{
    snprintf(key, len, "m/%s/%012" PRId64, qdef(st, q)->name, seq);
}

/* Writes m (a zeroed copy: no padding bytes reach the disk) and syncs. */
static void disk_put(sim_node *node, amqp_state *st, amqp_queue *q, amqp_msg *m)
{
    m->seq = q->disk_seq++;
    amqp_msg z;
    memset(&z, 0, sizeof(z));
    z.v = m->v, z.expires_ns = m->expires_ns, z.ts_ns = m->ts_ns, z.seq = m->seq;
    memcpy(z.key, m->key, sizeof(z.key));
    z.persistent = 1, z.deaths = m->deaths;
    char key[96];
    disk_key(key, sizeof(key), st, q, m->seq);
    sim_disk *d = sim_self_disk(node);
    SIM_ASSERT(sim_disk_write(d, key, &z, sizeof(z)) == 0);
    sim_disk_sync(d);
}

/* The message is done with (acked, dead-lettered, expired): off the disk, off the replicas. */
static void settle(sim_node *node, amqp_state *st, amqp_queue *q, const amqp_msg *m)
{
    if (persisted(st, q, m)) {
        char key[96];
        disk_key(key, sizeof(key), st, q, m->seq);
        sim_disk_remove(sim_self_disk(node), key);
    }
    if (qdef(st, q)->type != Q_CLASSIC) amqp_repl_append(node, st, q, 'S', m);
}

static void dead_letter(sim_node *node, amqp_state *st, amqp_queue *q, const amqp_msg *m)
{
    settle(node, st, q, m);
    q->dead_lettered++;
    if (qdef(st, q)->dlx >= 0) amqp_publish_local(node, st, qdef(st, q)->dlx, m);
}

/* enqueue {id, q, m} from the broker that routed a publish */
void amqp_on_enqueue(sim_node *node, amqp_state *st, const sim_msg *msg, const cJSON *in)
{
    int64_t id = sim_json_int(in, "id", -1);
    const cJSON *qn = cJSON_GetObjectItemCaseSensitive(in, "q");
    amqp_queue *q = NULL;
    for (int i = 0; i < st->cfg->nq && cJSON_IsString(qn); i++)
        if (strcmp(st->cfg->q[i].name, qn->valuestring) == 0) q = &st->q[i];
    if (!q || !amqp_is_leader(st, q)) return enq_result(node, msg->from, id, false);
    amqp_msg m;
    amqp_msg_parse(cJSON_GetObjectItemCaseSensitive(in, "m"), &m);
    int64_t now = sim_now_ns(sim_of(node));
    if (!m.expires_ns && qdef(st, q)->ttl_ns > 0) m.expires_ns = now + qdef(st, q)->ttl_ns;
    q->enqueued++;
    if (qdef(st, q)->type == Q_QUORUM) {
        int64_t idx = amqp_repl_append(node, st, q, 'E', &m);
        if (q->nwaiting + 3 > q->capwaiting) {
            q->capwaiting = q->capwaiting ? q->capwaiting * 2 : 48;
            q->waiting = realloc(q->waiting, q->capwaiting * sizeof(int64_t));
            SIM_ASSERT(q->waiting != NULL);
        }
        q->waiting[q->nwaiting++] = idx;
        q->waiting[q->nwaiting++] = msg->from;
        q->waiting[q->nwaiting++] = id;
        amqp_repl_committed(node, st, q);
        return;
    }
    if (qdef(st, q)->type == Q_MIRRORED) {
        amqp_repl_append(node, st, q, 'E', &m);     /* applied here at once, pushed to the mirrors */
    } else {
        if (persisted(st, q, &m)) disk_put(node, st, q, &m);
        amqp_queue_push(q, &m);
    }
    enq_result(node, msg->from, id, true);
    amqp_dispatch(node, st, q);
}

/* Applies a replicated log entry to the queue's contents. */
void amqp_queue_apply(sim_node *node, amqp_state *st, amqp_queue *q, const amqp_entry *e)
{
    (void)node;
    (void)st;
    if (e->op == 'E') {
        amqp_queue_push(q, &e->m);
        return;
    }
    if (e->op != 'S') return;
    for (size_t i = 0; i < q->nunacked; i++)
        if (q->unacked[i].m.v == e->m.v) {
            q->unacked[i] = q->unacked[--q->nunacked];
            return;
        }
    for (size_t i = 0; i < q->n; i++)
        if (q->ready[q->head + i].v == e->m.v) {
            memmove(&q->ready[q->head + i], &q->ready[q->head + i + 1], (q->n - i - 1) * sizeof(amqp_msg));
            q->n--;
            return;
        }
}

static void deliver(sim_node *node, amqp_state *st, amqp_queue *q, amqp_consumer *c, const amqp_msg *m)
{
    if (q->nunacked == q->capunacked) {
        q->capunacked = q->capunacked ? q->capunacked * 2 : 32;
        q->unacked = realloc(q->unacked, q->capunacked * sizeof(amqp_unacked));
        SIM_ASSERT(q->unacked != NULL);
    }
    int64_t tag = ++q->next_tag;
    q->unacked[q->nunacked++] = (amqp_unacked){ *m, c->node, tag };
    c->inflight++;
    q->delivered++;
    if (m->redelivered) q->redelivered++;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "type", "deliver");
    cJSON_AddStringToObject(d, "q", qdef(st, q)->name);
    cJSON_AddNumberToObject(d, "tag", (double)tag);
    cJSON_AddItemToObject(d, "m", amqp_msg_json(m));
    amqp_send(node, c->node, d);
}

/* Pushes ready messages to consumers in turn while one has room under its prefetch. */
void amqp_dispatch(sim_node *node, amqp_state *st, amqp_queue *q)
{
    if (!amqp_is_leader(st, q)) return;
    int64_t now = sim_now_ns(sim_of(node));
    while (q->n > 0 && q->nconsumers > 0) {
        amqp_consumer *c = NULL;
        for (size_t k = 0; k < q->nconsumers && !c; k++) {
            amqp_consumer *cand = &q->consumers[(q->rr + k) % q->nconsumers];
            if (cand->prefetch == 0 || cand->inflight < cand->prefetch) {
                c = cand;
                q->rr = (q->rr + k + 1) % q->nconsumers;
            }
        }
        if (!c) return;
        amqp_msg m = q->ready[q->head++];
        q->n--;
        if (m.expires_ns && now >= m.expires_ns) {
            q->expired++;
            dead_letter(node, st, q, &m);
            continue;
        }
        deliver(node, st, q, c, &m);
    }
}

static amqp_queue *queue_named(amqp_state *st, const cJSON *in)
{
    const cJSON *qn = cJSON_GetObjectItemCaseSensitive(in, "q");
    for (int i = 0; i < st->cfg->nq && cJSON_IsString(qn); i++)
        if (strcmp(st->cfg->q[i].name, qn->valuestring) == 0) return &st->q[i];
    return NULL;
}

static void consume_err(sim_node *node, amqp_state *st, sim_node_id to, amqp_queue *q)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "consume_err");
    cJSON_AddStringToObject(m, "q", q ? qdef(st, q)->name : "");
    int l = q ? (qdef(st, q)->type == Q_CLASSIC ? q->replicas[0] : q->leader) : -1;
    cJSON_AddNumberToObject(m, "leader", l >= 0 ? (double)st->brokers[l] : -1);
    amqp_send(node, to, m);
}

/* consume {q, prefetch} registers (or refreshes) a consumer; chb {q} is its heartbeat. */
void amqp_on_consume(sim_node *node, amqp_state *st, const sim_msg *msg, const cJSON *in)
{
    amqp_queue *q = queue_named(st, in);
    if (!q || !amqp_is_leader(st, q)) return consume_err(node, st, msg->from, q);
    int64_t now = sim_now_ns(sim_of(node));
    bool hb = strcmp(cJSON_GetObjectItemCaseSensitive(in, "type")->valuestring, "chb") == 0;
    bool known = false;
    for (size_t i = 0; i < q->nconsumers && !known; i++)
        if (q->consumers[i].node == msg->from) {
            q->consumers[i].last_seen_ns = now;
            known = true;
        }
    if (hb && !known) return consume_err(node, st, msg->from, q);
    if (known) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "type", "consume_ok");
        cJSON_AddStringToObject(m, "q", qdef(st, q)->name);
        amqp_send(node, msg->from, m);
        return;
    }
    q->consumers = realloc(q->consumers, (q->nconsumers + 1) * sizeof(amqp_consumer));
    SIM_ASSERT(q->consumers != NULL);
    q->consumers[q->nconsumers++] = (amqp_consumer){ msg->from, sim_json_int(in, "prefetch", 0), now, 0 };
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "consume_ok");
    cJSON_AddStringToObject(m, "q", qdef(st, q)->name);
    amqp_send(node, msg->from, m);
    amqp_dispatch(node, st, q);
}

/* ack {q, tag} / nack {q, tag, requeue} */
void amqp_on_ack(sim_node *node, amqp_state *st, const sim_msg *msg, const cJSON *in, bool ack)
{
    amqp_queue *q = queue_named(st, in);
    if (!q || !amqp_is_leader(st, q)) return;
    int64_t tag = sim_json_int(in, "tag", -1);
    for (size_t i = 0; i < q->nunacked; i++) {
        if (q->unacked[i].tag != tag || q->unacked[i].consumer != msg->from) continue;
        amqp_msg m = q->unacked[i].m;
        q->unacked[i] = q->unacked[--q->nunacked];
        for (size_t k = 0; k < q->nconsumers; k++)
            if (q->consumers[k].node == msg->from && q->consumers[k].inflight > 0) q->consumers[k].inflight--;
        if (ack) {
            q->acked++;
            settle(node, st, q, &m);
        } else if (sim_json_int(in, "requeue", 0)) {
            m.redelivered = 1;
            push_front(q, &m);
        } else {
            dead_letter(node, st, q, &m);
        }
        break;
    }
    amqp_dispatch(node, st, q);
}

/* Consumers that stopped heartbeating are gone (their deliveries requeued,
 * redelivered); expired messages are dead-lettered. */
void amqp_queue_tick(sim_node *node, amqp_state *st, amqp_queue *q, int64_t now)
{
    if (!amqp_is_leader(st, q)) return;
    for (size_t i = 0; i < q->nconsumers;) {
        amqp_consumer *c = &q->consumers[i];
        if (now - c->last_seen_ns <= st->cfg->consumer_timeout_ns) {
            i++;
            continue;
        }
        sim_log(node, "queue %s: consumer %s gone, %d deliveries requeued", qdef(st, q)->name,
                sim_node_name(sim_of(node), c->node), c->inflight);
        for (size_t k = q->nunacked; k-- > 0;) {
            if (q->unacked[k].consumer != c->node) continue;
            amqp_msg m = q->unacked[k].m;
            m.redelivered = 1;
            push_front(q, &m);
            q->unacked[k] = q->unacked[--q->nunacked];
        }
        q->consumers[i] = q->consumers[--q->nconsumers];
    }
    for (size_t i = 0; i < q->n;) {
        amqp_msg m = q->ready[q->head + i];
        if (!m.expires_ns || now < m.expires_ns) {
            i++;
            continue;
        }
        memmove(&q->ready[q->head + i], &q->ready[q->head + i + 1], (q->n - i - 1) * sizeof(amqp_msg));
        q->n--;
        q->expired++;
        dead_letter(node, st, q, &m);
    }
    amqp_dispatch(node, st, q);
}

/* After a restart: a durable classic queue gets back its synced persistent messages. */
void amqp_queue_recover(sim_node *node, amqp_state *st, amqp_queue *q)
{
    if (qdef(st, q)->type != Q_CLASSIC || !qdef(st, q)->durable) return;
    char prefix[96];
    snprintf(prefix, sizeof(prefix), "m/%s/", qdef(st, q)->name);
    sim_disk *d = sim_self_disk(node);
    for (size_t i = 0; i < sim_disk_count(d); i++) {
        const char *key = sim_disk_key_at(d, i);
        size_t len;
        if (strncmp(key, prefix, strlen(prefix)) != 0) continue;
        const amqp_msg *m = sim_disk_read(d, key, &len);
        if (!m || len != sizeof(amqp_msg)) continue;
        amqp_msg copy = *m;
        copy.redelivered = 1;
        if (copy.seq >= q->disk_seq) q->disk_seq = copy.seq + 1;
        amqp_queue_push(q, &copy);
    }
}

void amqp_queue_free(amqp_queue *q)
{
    free(q->ready);
    free(q->unacked);
    free(q->consumers);
    free(q->log);
    free(q->waiting);
}
