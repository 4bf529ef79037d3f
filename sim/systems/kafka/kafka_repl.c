/*
 * Replication of a partition: the leader appends produced batches, followers
 * fetch from it (long polling), the leader learns each follower's log end from
 * its fetch offset and advances the high watermark (hw) to the smallest log end
 * in the ISR; consumers read below hw only. A follower that has not caught up
 * with the leader's log end for replica_lag_time_max is dropped from the ISR and
 * added back once it reaches hw; the leader asks the controller (alter_isr) and
 * uses a changed ISR only once the controller's metadata confirms it, so the
 * hw is never computed over a set smaller than the one the controller would
 * elect from (Kafka's "maximal ISR").
 *
 * Divergence after an election: a follower's fetch carries its log end and the
 * epoch of its last batch; when the leader's log has that epoch ending earlier,
 * or a different epoch at that place, the answer is "truncate to X" and the
 * follower drops its tail (KIP-101/279's leader epochs, instead of truncating to
 * a high watermark, which loses or diverges committed records).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/kafka/kafka.h"

static int popcount(uint64_t m)
{
    int n = 0;
    for (; m; m &= m - 1) n++;
    return n;
}

static void add_waiter(kafka_part *p, kafka_waiter w)
{
    if (p->nwait == p->capwait) {
        p->capwait = p->capwait ? p->capwait * 2 : 8;
        p->waiters = realloc(p->waiters, p->capwait * sizeof(kafka_waiter));
        SIM_ASSERT(p->waiters != NULL);
    }
    p->waiters[p->nwait++] = w;
}

static void produce_ok(sim_node *node, kafka_state *st, kafka_part *p, sim_node_id to, int64_t corr, int64_t base,
                       bool dup)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "produce_ok");
    cJSON_AddNumberToObject(m, "corr", (double)corr);
    cJSON_AddStringToObject(m, "t", st->topics[p->topic].name);
    cJSON_AddNumberToObject(m, "p", p->index);
    cJSON_AddNumberToObject(m, "o", (double)base);
    if (dup) cJSON_AddBoolToObject(m, "dup", true);
    kafka_send(node, to, m);
}

void kafka_fetch_reply(sim_node *node, kafka_state *st, kafka_part *p, sim_node_id to, int64_t corr, int64_t offset,
                       int mode)
{
    int64_t limit = mode == FETCH_REPLICA ? p->leo : p->hw;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "fetch_ok");
    cJSON_AddNumberToObject(m, "corr", (double)corr);
    if (mode == FETCH_PROXY) cJSON_AddNumberToObject(m, "c", 1);
    cJSON_AddStringToObject(m, "t", st->topics[p->topic].name);
    cJSON_AddNumberToObject(m, "p", p->index);
    cJSON_AddNumberToObject(m, "hw", (double)p->hw);
    cJSON *a = cJSON_AddArrayToObject(m, "b");
    size_t i = kafka_log_find(p, offset);
    for (int k = 0; i < p->nlog && k < KAFKA_FETCH_BATCHES; i++, k++) {
        if (p->log[i].base + p->log[i].n > limit) break;
        cJSON_AddItemToArray(a, kafka_batch_json(&p->log[i]));
    }
    st->fetches_served++;
    kafka_send(node, to, m);
}

/* Answers every waiter whose condition now holds (or, with fail, every waiter
 * with not_leader: this broker lost the leadership). */
static void wake(sim_node *node, kafka_state *st, kafka_part *p, bool fail, int64_t now_ns)
{
    size_t kept = 0;
    for (size_t i = 0; i < p->nwait; i++) {
        kafka_waiter w = p->waiters[i];
        bool done = fail;
        if (w.kind == W_FETCH) {
            done = done || (w.base == FETCH_REPLICA ? p->leo : p->hw) > w.offset || now_ns >= w.deadline_ns;
            if (done && fail) kafka_error(node, w.to, "fetch_err", w.corr, KAFKA_NOT_LEADER);
            else if (done) kafka_fetch_reply(node, st, p, w.to, w.corr, w.offset, (int)w.base);
        } else {
            done = done || p->hw >= w.offset;
            bool enough = popcount(p->isr) >= st->cfg->min_insync;
            if (done && (fail || !enough)) {
                if (w.kind == W_MAEL_SEND) kafka_mael_error(node, w.to, w.corr, 13, "not committed");
                else kafka_error(node, w.to, "produce_err", w.corr, fail ? KAFKA_NOT_LEADER : KAFKA_NOT_ENOUGH);
            } else if (done && w.kind == W_MAEL_SEND) {
                cJSON *m = cJSON_CreateObject();
                cJSON_AddStringToObject(m, "type", "send_ok");
                cJSON_AddNumberToObject(m, "in_reply_to", (double)w.corr);
                cJSON_AddNumberToObject(m, "offset", (double)w.base);
                kafka_send(node, w.to, m);
            } else if (done) {
                produce_ok(node, st, p, w.to, w.corr, w.base, false);
            }
        }
        if (!done) p->waiters[kept++] = w;
    }
    p->nwait = kept;
}

void kafka_advance_hw(sim_node *node, kafka_state *st, kafka_part *p)
{
    if (p->leader != st->rank) return;
    int64_t m = p->leo;
    for (int r = 0; r < st->nb; r++)
        if (r != st->rank && (p->isr & (UINT64_C(1) << r)) && p->fol_leo[r] < m) m = p->fol_leo[r];
    if (m > p->hw) p->hw = m;
    wake(node, st, p, false, sim_now_ns(sim_of(node)));
}

/* Checks a produce request; NULL with the error sent when it is refused. */
static kafka_part *produce_target(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in,
                                  int64_t corr, int64_t acks)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(in, "t");
    kafka_part *p = cJSON_IsString(t) ? kafka_part_of(st, t->valuestring, sim_json_int(in, "p", -1)) : NULL;
    const char *code = !p ? KAFKA_UNKNOWN_TOPIC
                       : p->leader != st->rank ? KAFKA_NOT_LEADER
                       : acks < 0 && popcount(p->isr) < st->cfg->min_insync ? KAFKA_NOT_ENOUGH : NULL;
    if (!code) return p;
    kafka_error(node, msg->from, "produce_err", corr, code);
    return NULL;
}

/* Appends one batch of a produce request; returns false (error sent) when its
 * sequence leaves a gap. A batch an idempotent producer sent before (sequence
 * below the next expected) is a retry: acknowledged, not appended again. */
static bool append_one(sim_node *node, kafka_state *st, kafka_part *p, kafka_batch *b, int64_t *first)
{
    if (b->pid >= 0) {
        const kafka_pid *kp = kafka_pid_find(p, b->pid);
        int64_t expected = kp ? kp->seq + kp->n : b->seq;
        if (b->seq < expected) return true;
        if (b->seq > expected) return false;
    }
    b->base = p->leo;
    b->epoch = p->epoch;
    int64_t base = kafka_log_append(node, st, p, b);
    if (*first < 0) *first = base;
    return true;
}

/* produce {corr, t, p, acks (-1 = all), b: [batches]} -> produce_ok {corr, t, p, o} | produce_err */
void kafka_on_produce(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in)
{
    int64_t corr = sim_json_int(in, "corr", -1), acks = sim_json_int(in, "acks", -1);
    kafka_part *p = produce_target(node, st, msg, in, corr, acks);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(in, "b");
    if (!p || !cJSON_IsArray(list)) return;
    int64_t first = -1;
    bool ok = true;
    for (const cJSON *c = list->child; c && ok; c = c->next) {
        kafka_batch b;
        if (!kafka_batch_parse(c, &b)) break;
        ok = append_one(node, st, p, &b, &first);
        free(b.vals);
    }
    if (!ok && acks != 0) kafka_error(node, msg->from, "produce_err", corr, KAFKA_OUT_OF_ORDER);
    if (!ok) return;
    if (acks == 1 || (acks < 0 && p->hw >= p->leo)) produce_ok(node, st, p, msg->from, corr, first, first < 0);
    else if (acks < 0) add_waiter(p, (kafka_waiter){ msg->from, corr, p->leo, 0, first, W_PRODUCE });
    kafka_advance_hw(node, st, p);
}

/* A Maelstrom send appended here as the leader: answered once committed. */
void kafka_mael_append(sim_node *node, kafka_state *st, kafka_part *p, sim_node_id client, int64_t msg_id,
                       int64_t value)
{
    kafka_batch b = { .base = p->leo, .pid = -1, .v0 = value, .ts_ns = sim_now_ns(sim_of(node)), .n = 1,
                      .epoch = p->epoch };
    int64_t base = kafka_log_append(node, st, p, &b);
    add_waiter(p, (kafka_waiter){ client, msg_id, base + 1, 0, base, W_MAEL_SEND });
    kafka_advance_hw(node, st, p);
}

/* The offset a diverged follower must truncate to, or -1 when its log matches. */
static int64_t divergence(const kafka_part *p, int64_t offset, int64_t last_epoch)
{
    if (offset == 0) return -1;
    int64_t end = kafka_log_epoch_end(p, last_epoch);
    if (offset > end) return end;
    size_t i = kafka_log_find(p, offset - 1);
    if (i < p->nlog && p->log[i].epoch != last_epoch) return p->log[i].base;
    return -1;
}

static void follower_fetch(sim_node *node, kafka_state *st, kafka_part *p, const sim_msg *msg, const cJSON *in,
                           int rank)
{
    int64_t corr = sim_json_int(in, "corr", -1), o = sim_json_int(in, "o", 0);
    int64_t now = sim_now_ns(sim_of(node));
    int64_t trunc = divergence(p, o, sim_json_int(in, "e", -1));
    if (trunc >= 0) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "type", "fetch_ok");
        cJSON_AddNumberToObject(m, "corr", (double)corr);
        cJSON_AddStringToObject(m, "t", st->topics[p->topic].name);
        cJSON_AddNumberToObject(m, "p", p->index);
        cJSON_AddNumberToObject(m, "trunc", (double)trunc);
        kafka_send(node, msg->from, m);
        return;
    }
    p->fol_leo[rank] = o;
    if (o >= p->leo) p->fol_caught_ns[rank] = now;
    kafka_advance_hw(node, st, p);
    int64_t wait = sim_json_int(in, "w", 0);
    if (o < p->leo || wait <= 0) kafka_fetch_reply(node, st, p, msg->from, corr, o, FETCH_REPLICA);
    else add_waiter(p, (kafka_waiter){ msg->from, corr, o, now + wait, FETCH_REPLICA, W_FETCH });
}

/* fetch {corr, t, p, o, w (max wait ns), e (followers: last epoch)} -> fetch_ok {corr, t, p, hw, b: [batches]} */
void kafka_on_fetch(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in)
{
    int64_t corr = sim_json_int(in, "corr", -1), o = sim_json_int(in, "o", 0);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(in, "t");
    kafka_part *p = cJSON_IsString(t) ? kafka_part_of(st, t->valuestring, sim_json_int(in, "p", -1)) : NULL;
    if (!p || p->leader != st->rank) {
        kafka_error(node, msg->from, "fetch_err", corr, p ? KAFKA_NOT_LEADER : KAFKA_UNKNOWN_TOPIC);
        return;
    }
    int rank = kafka_rank_of(st, msg->from);
    if (rank >= 0 && sim_json_int(in, "c", 0) == 0) {
        follower_fetch(node, st, p, msg, in, rank);
        return;
    }
    int mode = rank >= 0 ? FETCH_PROXY : FETCH_CONSUMER;
    if (o > p->leo) {              /* the log was truncated under the reader (an election): restart at its end */
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "type", "fetch_err");
        cJSON_AddNumberToObject(m, "corr", (double)corr);
        cJSON_AddStringToObject(m, "error", "offset_out_of_range");
        cJSON_AddNumberToObject(m, "leo", (double)p->leo);
        kafka_send(node, msg->from, m);
        return;
    }
    int64_t wait = sim_json_int(in, "w", 0);
    if (o < p->hw || wait <= 0) kafka_fetch_reply(node, st, p, msg->from, corr, o, mode);
    else add_waiter(p, (kafka_waiter){ msg->from, corr, o, sim_now_ns(sim_of(node)) + wait, mode, W_FETCH });
}

static void send_fetch(sim_node *node, kafka_state *st, kafka_part *p)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "fetch");
    cJSON_AddStringToObject(m, "t", st->topics[p->topic].name);
    cJSON_AddNumberToObject(m, "p", p->index);
    cJSON_AddNumberToObject(m, "o", (double)p->leo);
    cJSON_AddNumberToObject(m, "e", (double)kafka_log_last_epoch(p));
    cJSON_AddNumberToObject(m, "w", (double)(st->cfg->lag_max_ns / 2));
    p->fetching = true;
    p->fetch_sent_ns = sim_now_ns(sim_of(node));
    kafka_send(node, st->brokers[p->leader], m);
}

/* A follower's fetch answered: truncate, or append and fetch again at once. */
void kafka_on_fetch_ok(sim_node *node, kafka_state *st, const cJSON *in)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(in, "t");
    kafka_part *p = cJSON_IsString(t) ? kafka_part_of(st, t->valuestring, sim_json_int(in, "p", -1)) : NULL;
    if (!p || !p->hosted || p->leader == st->rank || p->leader < 0) return;
    p->fetching = false;
    int64_t trunc = sim_json_int(in, "trunc", -1);
    if (trunc >= 0) {
        kafka_log_truncate(node, st, p, trunc);
        send_fetch(node, st, p);
        return;
    }
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(in, "b");
    for (const cJSON *c = cJSON_IsArray(a) ? a->child : NULL; c; c = c->next) {
        kafka_batch b;
        if (!kafka_batch_parse(c, &b)) break;
        if (b.base == p->leo) kafka_log_append(node, st, p, &b);
        free(b.vals);
    }
    int64_t hw = sim_json_int(in, "hw", 0);
    if (hw > p->hw) p->hw = hw < p->leo ? hw : p->leo;
    send_fetch(node, st, p);
}

static void isr_maintain(sim_node *node, kafka_state *st, kafka_part *p, int64_t now)
{
    if (p->isr_pending && now - p->fetch_sent_ns < st->cfg->session_ns) return;
    uint64_t isr = p->isr;
    for (int i = 0; i < p->nrep; i++) {
        int r = p->replicas[i];
        uint64_t bit = UINT64_C(1) << r;
        if (r == st->rank) continue;
        bool recent = now - p->fol_caught_ns[r] <= st->cfg->lag_max_ns;
        if ((isr & bit) && !recent) isr &= ~bit;
        else if (!(isr & bit) && recent && p->fol_leo[r] >= p->hw) isr |= bit;
    }
    if (isr == p->isr || st->controller < 0) return;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "alter_isr");
    cJSON_AddStringToObject(m, "t", st->topics[p->topic].name);
    cJSON_AddNumberToObject(m, "p", p->index);
    cJSON_AddNumberToObject(m, "e", (double)p->epoch);
    cJSON *a = cJSON_AddArrayToObject(m, "isr");
    for (int r = 0; r < st->nb; r++)
        if (isr & (UINT64_C(1) << r)) cJSON_AddItemToArray(a, cJSON_CreateNumber(r));
    p->isr_pending = true;
    p->fetch_sent_ns = now;        /* doubles as the time the request went out */
    if (st->controller == st->rank) {
        cJSON_AddStringToObject(m, "self", "1");
        sim_msg fake = { .from = sim_self(node) };
        kafka_on_alter_isr(node, st, &fake, m);
        cJSON_Delete(m);
    } else {
        kafka_send(node, st->brokers[st->controller], m);
    }
}

/* Every heartbeat: followers (re)start fetching; leaders expire long polls and
 * keep the ISR. */
void kafka_repl_tick(sim_node *node, kafka_state *st)
{
    int64_t now = sim_now_ns(sim_of(node));
    for (int i = 0; i < st->nparts; i++) {
        kafka_part *p = &st->parts[i];
        if (!p->hosted || p->leader < 0) continue;
        if (p->leader != st->rank) {
            if (!p->fetching || now - p->fetch_sent_ns > st->cfg->lag_max_ns + st->cfg->session_ns)
                send_fetch(node, st, p);
            continue;
        }
        wake(node, st, p, false, now);
        isr_maintain(node, st, p, now);
    }
}

/* The controller's metadata changed p's leader or epoch (old_leader before). */
void kafka_repl_became(sim_node *node, kafka_state *st, kafka_part *p, int old_leader)
{
    int64_t now = sim_now_ns(sim_of(node));
    if (old_leader == st->rank && p->leader != st->rank) wake(node, st, p, true, now);
    p->fetching = false;
    p->isr_pending = false;
    if (p->leader == st->rank) {
        for (int r = 0; r < st->nb; r++) {
            p->fol_leo[r] = 0;
            p->fol_caught_ns[r] = (p->isr & (UINT64_C(1) << r)) ? now : 0;
        }
        sim_log(node, "leader of %s-%d, epoch %" PRId64 ", leo %" PRId64, st->topics[p->topic].name, p->index, p->epoch,
                p->leo);
    }
}
