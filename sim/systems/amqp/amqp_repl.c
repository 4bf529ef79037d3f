/*
 * Replicated queues, the two kinds RabbitMQ has offered.
 *
 * Quorum (CP): the queue is a replicated log on its `replicas` brokers, kept by
 * Raft. The leader appends each operation (E enqueue, S settle = acked or
 * dead-lettered, N the no-op a new leader commits first), sends it to the
 * followers (qapp), and applies it once a majority stored it; only then is the
 * publisher confirmed. Followers that miss the leader for a randomized election
 * timeout stand as candidates (qvote), granted by replicas whose log is not newer.
 * The leader pushes messages to consumers only while it hears a majority of
 * the replicas, so a leader cut off in a minority neither confirms nor delivers:
 * the queue refuses rather than diverges.
 *
 *     FOLLOWER --timeout--> CANDIDATE --majority of votes--> LEADER
 *        ^                     |                                | a higher term seen,
 *        +---- a higher term --+--------------------------------+ or no majority heard
 *
 * Mirrored (AP, "classic mirrored" with automatic sync): the master is the
 * lowest-ranked replica its broker can hear; it applies each operation at once,
 * confirms, and sends it to the mirrors without waiting (mrep). Each side of a
 * partition promotes its own master, so both keep accepting and delivering. When
 * a replica that acted as master hears a lower-ranked one again it gives up
 * (autoheal: the losing side's contents are discarded) and takes a full copy of
 * the winner's queue (msync): messages confirmed only on the losing side are
 * lost, and messages both masters delivered were processed twice.
 *
 * Known limits: the quorum log lives in memory (a replica that crashes rejoins
 * empty and catches up; losing a majority at once loses the queue); a new leader
 * flags every message it holds as redelivered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/amqp/amqp.h"

#define APPEND_MAX 64

static bool quorum(const amqp_state *st, const amqp_queue *q)
{
    return st->cfg->q[q->def].type == Q_QUORUM;
}

static const char *qname(const amqp_state *st, const amqp_queue *q)
{
    return st->cfg->q[q->def].name;
}

static cJSON *qmsg(const amqp_state *st, const amqp_queue *q, const char *type)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", type);
    cJSON_AddStringToObject(m, "q", qname(st, q));
    cJSON_AddNumberToObject(m, "term", (double)q->term);
    return m;
}

static void log_push(amqp_queue *q, const amqp_entry *e)
{
    if (q->nlog == q->caplog) {
        q->caplog = q->caplog ? q->caplog * 2 : 64;
        q->log = realloc(q->log, (size_t)q->caplog * sizeof(amqp_entry));
        SIM_ASSERT(q->log != NULL);
    }
    q->log[q->nlog++] = *e;
}

static void send_append(sim_node *node, amqp_state *st, amqp_queue *q, int r)
{
    int64_t prev = q->match[r] < q->nlog ? q->match[r] : q->nlog;
    cJSON *m = qmsg(st, q, "qapp");
    cJSON_AddNumberToObject(m, "prev", (double)prev);
    cJSON_AddNumberToObject(m, "pterm", prev > 0 ? (double)q->log[prev - 1].term : 0);
    cJSON_AddNumberToObject(m, "commit", (double)q->commit);
    cJSON *a = cJSON_AddArrayToObject(m, "e");
    for (int64_t i = prev; i < q->nlog && i < prev + APPEND_MAX; i++) {
        cJSON *e = amqp_msg_json(&q->log[i].m);
        cJSON_AddNumberToObject(e, "term", (double)q->log[i].term);
        char op[2] = { q->log[i].op, 0 };
        cJSON_AddStringToObject(e, "op", op);
        cJSON_AddItemToArray(a, e);
    }
    amqp_send(node, st->brokers[r], m);
}

static void send_mirror(sim_node *node, amqp_state *st, amqp_queue *q, char op, const amqp_msg *msg)
{
    for (int i = 0; i < q->nrep; i++) {
        if (q->replicas[i] == st->rank) continue;
        cJSON *m = qmsg(st, q, "mrep");
        char o[2] = { op, 0 };
        cJSON_AddStringToObject(m, "op", o);
        cJSON_AddItemToObject(m, "m", amqp_msg_json(msg));
        amqp_send(node, st->brokers[q->replicas[i]], m);
    }
}

int64_t amqp_repl_append(sim_node *node, amqp_state *st, amqp_queue *q, char op, const amqp_msg *m)
{
    amqp_entry e = { q->term, op, *m };
    if (!quorum(st, q)) {
        amqp_queue_apply(node, st, q, &e);
        send_mirror(node, st, q, op, m);
        return 0;
    }
    log_push(q, &e);
    q->match[st->rank] = q->nlog;
    for (int i = 0; i < q->nrep; i++)
        if (q->replicas[i] != st->rank) send_append(node, st, q, q->replicas[i]);
    return q->nlog;
}

/* Applies what is committed; on the leader, confirms the publishes it covers. */
void amqp_repl_committed(sim_node *node, amqp_state *st, amqp_queue *q)
{
    if (q->leader == st->rank) {
        for (int64_t n = q->nlog; n > q->commit; n--) {
            int count = 0;
            for (int i = 0; i < q->nrep; i++) count += q->match[q->replicas[i]] >= n;
            if (count * 2 > q->nrep && q->log[n - 1].term == q->term) {
                q->commit = n;
                break;
            }
        }
    }
    while (q->applied < q->commit) amqp_queue_apply(node, st, q, &q->log[q->applied++]);
    size_t kept = 0;
    for (size_t i = 0; i < q->nwaiting; i += 3) {
        int64_t *w = &q->waiting[i];
        if (w[0] <= q->commit && q->leader == st->rank) {
            cJSON *m = cJSON_CreateObject();
            cJSON_AddStringToObject(m, "type", "enq_ok");
            cJSON_AddNumberToObject(m, "id", (double)w[2]);
            amqp_send(node, (sim_node_id)w[1], m);
        } else {
            memmove(&q->waiting[kept], w, 3 * sizeof(int64_t));
            kept += 3;
        }
    }
    q->nwaiting = kept;
    amqp_dispatch(node, st, q);
}

static void step_down(amqp_queue *q, int64_t term)
{
    q->term = term;
    q->leader = -1;
    q->votes = 0;
    q->nwaiting = 0;               /* their publishers time out and retry */
    q->nconsumers = 0;
}

static void become_leader(sim_node *node, amqp_state *st, amqp_queue *q)
{
    q->leader = st->rank;
    q->votes = 0;
    memset(q->match, 0, sizeof(q->match));
    for (size_t i = 0; i < q->nunacked; i++) amqp_queue_push(q, &q->unacked[i].m);
    q->nunacked = 0;
    for (size_t i = 0; i < q->n; i++) q->ready[q->head + i].redelivered = 1;
    sim_log(node, "queue %s: leader, term %lld", qname(st, q), (long long)q->term);
    char key[64];
    snprintf(key, sizeof(key), "queue %s", qname(st, q));
    sim_annotate(node, key, "leader");                        /* for the viewer */
    amqp_msg none = { 0 };
    amqp_repl_append(node, st, q, 'N', &none);
}

static void election_reset(sim_node *node, amqp_state *st, amqp_queue *q, int64_t now)
{
    uint64_t span = (uint64_t)st->cfg->election_ns;
    q->election_at_ns = now + st->cfg->election_ns + (int64_t)sim_rng_below(sim_self_rng(node), span ? span : 1);
}

static void start_election(sim_node *node, amqp_state *st, amqp_queue *q, int64_t now)
{
    q->term++;
    q->voted_term = q->term;
    q->votes = 1;
    q->leader = -1;
    election_reset(node, st, q, now);
    for (int i = 0; i < q->nrep; i++) {
        if (q->replicas[i] == st->rank) continue;
        cJSON *m = qmsg(st, q, "qvote");
        cJSON_AddNumberToObject(m, "li", (double)q->nlog);
        cJSON_AddNumberToObject(m, "lt", q->nlog ? (double)q->log[q->nlog - 1].term : 0);
        amqp_send(node, st->brokers[q->replicas[i]], m);
    }
}

static int alive_replicas(const amqp_state *st, const amqp_queue *q, int64_t now)
{
    int n = 0;
    for (int i = 0; i < q->nrep; i++) n += amqp_alive(st, q->replicas[i], now);
    return n;
}

static void mirrored_tick(sim_node *node, amqp_state *st, amqp_queue *q, int64_t now)
{
    int master = -1;
    for (int i = 0; i < q->nrep && master < 0; i++)
        if (amqp_alive(st, q->replicas[i], now)) master = q->replicas[i];
    if (master == q->leader) return;
    int was = q->leader;
    q->leader = master;
    char key[64];
    snprintf(key, sizeof(key), "queue %s", qname(st, q));
    sim_annotate(node, key, master == st->rank ? "master" : "mirror");   /* for the viewer */
    if (master == st->rank) {
        sim_log(node, "queue %s: promoted to master", qname(st, q));
        for (size_t i = 0; i < q->n; i++) q->ready[q->head + i].redelivered = 1;
        return;
    }
    if (was == st->rank) sim_log(node, "queue %s: autoheal, contents discarded for the master's", qname(st, q));
    q->head = q->n = q->nunacked = q->nconsumers = 0;
    cJSON *m = qmsg(st, q, "msync_req");
    amqp_send(node, st->brokers[master], m);
}

void amqp_repl_tick(sim_node *node, amqp_state *st, amqp_queue *q, int64_t now)
{
    if (!q->hosted || st->cfg->q[q->def].type == Q_CLASSIC) return;
    if (!quorum(st, q)) return mirrored_tick(node, st, q, now);
    if (q->leader == st->rank) {
        if (alive_replicas(st, q, now) * 2 <= q->nrep) {
            sim_log(node, "queue %s: no majority heard, stepping down", qname(st, q));
            char key[64];
            snprintf(key, sizeof(key), "queue %s", qname(st, q));
            sim_annotate(node, key, "follower");
            step_down(q, q->term);
            election_reset(node, st, q, now);
            return;
        }
        for (int i = 0; i < q->nrep; i++)
            if (q->replicas[i] != st->rank) send_append(node, st, q, q->replicas[i]);
        return;
    }
    if (q->election_at_ns == 0) election_reset(node, st, q, now);
    else if (now >= q->election_at_ns) start_election(node, st, q, now);
}

static void on_append(sim_node *node, amqp_state *st, amqp_queue *q, int rank, const cJSON *in)
{
    int64_t term = sim_json_int(in, "term", 0), prev = sim_json_int(in, "prev", 0);
    cJSON *r = NULL;
    if (term < q->term) goto reply_fail;
    if (term > q->term || q->leader != rank) step_down(q, term);
    q->leader = rank;
    election_reset(node, st, q, sim_now_ns(sim_of(node)));
    if (prev > q->nlog || (prev > 0 && q->log[prev - 1].term != sim_json_int(in, "pterm", -1))) goto reply_fail;
    int64_t idx = prev;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(in, "e");
    for (const cJSON *e = cJSON_IsArray(a) ? a->child : NULL; e; e = e->next, idx++) {
        amqp_entry en = { .term = sim_json_int(e, "term", 0) };
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(e, "op");
        en.op = cJSON_IsString(op) ? op->valuestring[0] : 'N';
        amqp_msg_parse(e, &en.m);
        if (idx < q->nlog && q->log[idx].term != en.term) q->nlog = idx;   /* a conflict: drop the tail */
        if (idx >= q->nlog) log_push(q, &en);
    }
    int64_t commit = sim_json_int(in, "commit", 0);
    if (commit > q->commit) q->commit = commit < idx ? commit : idx;
    amqp_repl_committed(node, st, q);
    r = qmsg(st, q, "qapp_ok");
    cJSON_AddNumberToObject(r, "ok", 1);
    cJSON_AddNumberToObject(r, "match", (double)idx);
    amqp_send(node, st->brokers[rank], r);
    return;
reply_fail:
    r = qmsg(st, q, "qapp_ok");
    cJSON_AddNumberToObject(r, "ok", 0);
    cJSON_AddNumberToObject(r, "match", (double)(prev - 1 < q->nlog ? (prev > 0 ? prev - 1 : 0) : q->nlog));
    amqp_send(node, st->brokers[rank], r);
}

static void on_append_ok(sim_node *node, amqp_state *st, amqp_queue *q, int rank, const cJSON *in)
{
    int64_t term = sim_json_int(in, "term", 0), match = sim_json_int(in, "match", 0);
    if (term > q->term) return step_down(q, term);
    if (q->leader != st->rank || term != q->term) return;
    if (sim_json_int(in, "ok", 0)) {
        if (match > q->match[rank]) q->match[rank] = match;
    } else {
        q->match[rank] = match;
    }
    amqp_repl_committed(node, st, q);
    if (q->match[rank] < q->nlog) send_append(node, st, q, rank);
}

static void on_vote(sim_node *node, amqp_state *st, amqp_queue *q, int rank, const cJSON *in, bool reply)
{
    int64_t term = sim_json_int(in, "term", 0);
    if (term > q->term) step_down(q, term);
    if (!reply) {
        int64_t li = sim_json_int(in, "li", 0), lt = sim_json_int(in, "lt", 0);
        int64_t mylt = q->nlog ? q->log[q->nlog - 1].term : 0;
        bool newer = lt > mylt || (lt == mylt && li >= q->nlog);
        bool grant = term == q->term && q->voted_term < term && newer;
        if (grant) {
            q->voted_term = term;
            election_reset(node, st, q, sim_now_ns(sim_of(node)));
        }
        cJSON *r = qmsg(st, q, "qvote_ok");
        cJSON_AddNumberToObject(r, "g", grant);
        amqp_send(node, st->brokers[rank], r);
        return;
    }
    if (term == q->term && q->leader < 0 && q->votes > 0 && sim_json_int(in, "g", 0)) {
        if (++q->votes * 2 > q->nrep) become_leader(node, st, q);
    }
}

static void on_mirror(sim_node *node, amqp_state *st, amqp_queue *q, int rank, const cJSON *in, const char *type)
{
    if (strcmp(type, "msync_req") == 0) {
        if (q->leader != st->rank) return;
        cJSON *m = qmsg(st, q, "msync");
        cJSON *a = cJSON_AddArrayToObject(m, "msgs");
        for (size_t i = 0; i < q->nunacked; i++) cJSON_AddItemToArray(a, amqp_msg_json(&q->unacked[i].m));
        for (size_t i = 0; i < q->n; i++) cJSON_AddItemToArray(a, amqp_msg_json(&q->ready[q->head + i]));
        amqp_send(node, st->brokers[rank], m);
        return;
    }
    if (rank != q->leader) return;
    if (strcmp(type, "msync") == 0) {
        q->head = q->n = 0;
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(in, "msgs");
        for (const cJSON *e = cJSON_IsArray(a) ? a->child : NULL; e; e = e->next) {
            amqp_msg m;
            amqp_msg_parse(e, &m);
            amqp_queue_push(q, &m);
        }
        return;
    }
    amqp_entry en;
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(in, "op");
    en.op = cJSON_IsString(op) ? op->valuestring[0] : 'N';
    amqp_msg_parse(cJSON_GetObjectItemCaseSensitive(in, "m"), &en.m);
    amqp_queue_apply(node, st, q, &en);
}

void amqp_on_repl(sim_node *node, amqp_state *st, const sim_msg *msg, const cJSON *in, const char *type)
{
    int rank = amqp_rank_of(st, msg->from);
    const cJSON *qn = cJSON_GetObjectItemCaseSensitive(in, "q");
    amqp_queue *q = NULL;
    for (int i = 0; i < st->cfg->nq && cJSON_IsString(qn); i++)
        if (strcmp(st->cfg->q[i].name, qn->valuestring) == 0) q = &st->q[i];
    if (!q || !q->hosted || rank < 0) return;
    if (strcmp(type, "qapp") == 0) on_append(node, st, q, rank, in);
    else if (strcmp(type, "qapp_ok") == 0) on_append_ok(node, st, q, rank, in);
    else if (strcmp(type, "qvote") == 0) on_vote(node, st, q, rank, in, false);
    else if (strcmp(type, "qvote_ok") == 0) on_vote(node, st, q, rank, in, true);
    else on_mirror(node, st, q, rank, in, type);
}
